"""Choose and download Brain Observatory natural-scenes NWB files with the Allen SDK.

This file is a standalone script for a SEPARATE environment: the Allen SDK pins old numpy
and pandas versions that clash with neurn_keras's. It imports nothing from neurn_keras, so
run it by path, then convert the downloads in the neurn_keras environment::

    python3.11 -m venv ~/allensdk-env && ~/allensdk-env/bin/pip install allensdk
    ~/allensdk-env/bin/python neurn_keras/neuro/allensdk_download.py \\
        --area VISp --area VISl --cre-line Cux2-CreERT2 --cre-line Sst-IRES-Cre \\
        --max-per-group 2 --cache ~/abo_cache --output ~/abo_cache/experiments.csv
    python -m neurn_keras.neuro from-nwb --list ~/abo_cache/experiments.csv \\
        --output abo_ns.npz --scene-size 115x147

It asks ``BrainObservatoryCache.get_ophys_experiments`` for experiments with the
``natural_scenes`` stimulus in the given areas and Cre lines, keeps at most
``--max-per-group`` per (area, Cre line) in id order, downloads each NWB file with
``get_ophys_experiment_data`` (about 100-300 MB each), and writes a CSV with one row per
file: ``nwb_file, ophys_experiment_id, experiment_container_id, area, cre_line,
imaging_depth``. Downloads already in the cache are reused; the CSV is written atomically.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

FIELDS = (
    "nwb_file",
    "ophys_experiment_id",
    "experiment_container_id",
    "area",
    "cre_line",
    "imaging_depth",
)


def select_experiments(
    cache, areas=None, cre_lines=None, max_per_group: int | None = None
) -> list[dict]:
    """Natural-scenes experiments from ``cache`` (a ``BrainObservatoryCache``), at most
    ``max_per_group`` per (area, Cre line), in experiment-id order."""
    experiments = cache.get_ophys_experiments(
        targeted_structures=list(areas) if areas else None,
        cre_lines=list(cre_lines) if cre_lines else None,
        stimuli=["natural_scenes"],
    )
    kept: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for exp in sorted(experiments, key=lambda e: e["id"]):
        group = kept[(exp["targeted_structure"], exp["cre_line"])]
        if max_per_group is None or len(group) < max_per_group:
            group.append(exp)
    return [exp for key in sorted(kept) for exp in kept[key]]


def write_rows(path: Path, rows: list[dict]) -> None:
    """Write the experiments CSV atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is not what a user expects
    os.replace(tmp, path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] + " Run it in an environment with allensdk installed.",
        epilog="exit status: 0 on success, 2 on bad input or a missing allensdk.",
    )
    parser.add_argument("--area", action="append", help="targeted structure, e.g. VISp (repeat)")
    parser.add_argument("--cre-line", action="append", help="Cre line, e.g. Cux2-CreERT2 (repeat)")
    parser.add_argument("--max-per-group", type=int, default=None, help="per (area, Cre line)")
    parser.add_argument("--cache", type=Path, required=True, help="Allen SDK cache directory")
    parser.add_argument("--output", type=Path, required=True, help="experiments CSV to write")
    parser.add_argument("--dry-run", action="store_true", help="list, do not download")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.max_per_group is not None and args.max_per_group < 1:
        print("allensdk_download: --max-per-group must be >= 1", file=sys.stderr)
        return 2
    try:
        from allensdk.core.brain_observatory_cache import BrainObservatoryCache
    except ImportError:
        print(
            "allensdk_download: allensdk is not installed here; run this script with the "
            "python of a separate environment that has it (pip install allensdk)",
            file=sys.stderr,
        )
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    cache = BrainObservatoryCache(manifest_file=str(args.cache / "manifest.json"))
    experiments = select_experiments(cache, args.area, args.cre_line, args.max_per_group)
    if not experiments:
        print("allensdk_download: no natural-scenes experiment matches", file=sys.stderr)
        return 2
    rows = []
    for i, exp in enumerate(experiments, 1):
        print(f"[{i}/{len(experiments)}] experiment {exp['id']}", file=sys.stderr)
        nwb_file = ""
        if not args.dry_run:
            nwb_file = cache.get_ophys_experiment_data(ophys_experiment_id=exp["id"]).nwb_file
        rows.append(
            {
                "nwb_file": nwb_file,
                "ophys_experiment_id": exp["id"],
                "experiment_container_id": exp["experiment_container_id"],
                "area": exp["targeted_structure"],
                "cre_line": exp["cre_line"],
                "imaging_depth": exp["imaging_depth"],
            }
        )
        write_rows(args.output, rows)  # after each download: nothing lost if interrupted
    return 0


if __name__ == "__main__":
    sys.exit(main())
