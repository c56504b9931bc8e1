"""Rewrites committed run records without the paths of the machine that made them.

Records written before neurn_keras 0.2 keyed ``data_files`` by absolute paths
(``/…/shared/data/mnist.npz``) and left ``data_dir`` empty. This rewrites every record
under ``docs/results/`` (a run's ``results.json``, or a benchmark cell's ``record``) the
way 0.2 writes them: data files by their path inside the data directory, ``data_dir`` and
any other absolute path as ``neurn_keras.environment.portable_path`` shows it. Nothing
else changes, so every page rebuilds as before. Records already portable are left as
they are; run it again whenever older records arrive (e.g. cells from an older checkout).

    python -m benchmarks.portable_records            # rewrite, then list what changed
    python -m benchmarks.portable_records --check    # exit 1 if a record holds a machine path
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path, PurePosixPath

from benchmarks.results import ROOT
from neurn_keras.environment import portable_path

RESULTS = ROOT / "docs" / "results"


def is_machine_path(text: str) -> bool:
    return text.startswith("/") and len(PurePosixPath(text).parts) > 2


def portable_record(record: dict) -> dict:
    """``record`` (a ``results.json`` object) with data files keyed inside their data
    directory and every other absolute path made portable."""
    record = _portable(record)
    files = record.get("data_files") or {}
    absolute = [key for key in files if is_machine_path(key.split(" (")[0])]
    if absolute:
        root = Path(os.path.commonpath([Path(key.split(" (")[0]).parent for key in absolute]))
        record["data_files"] = {
            (_inside(key, root) if key in absolute else key): digest
            for key, digest in files.items()
        }
        if record.get("data_dir") is None:
            record["data_dir"] = portable_path(root)
    return record


def _inside(key: str, root: Path) -> str:
    path, _, rest = key.partition(" (")
    relative = Path(path).relative_to(root).as_posix()
    return f"{relative} ({rest}" if rest else relative


def _portable(value):
    if isinstance(value, dict):
        return {
            key: (value[key] if key == "data_files" else _portable(value[key])) for key in value
        }
    if isinstance(value, list):
        return [_portable(item) for item in value]
    if isinstance(value, str) and is_machine_path(value):
        return portable_path(value)
    return value


def rewrite(path: Path) -> bool:
    """Rewrites one JSON file's record(s) in place; whether anything changed."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("record"), dict):  # a benchmark cell
        new = {**data, "record": portable_record(data["record"])}
    elif isinstance(data, dict) and "data_files" in data:  # a results.json
        new = portable_record(data)
    else:
        return False
    if new == data:
        return False
    indent = 1 if text.startswith('{\n "') else 2
    path.write_text(json.dumps(new, indent=indent, sort_keys=True) + "\n", encoding="utf-8")
    return True


def machine_paths(path: Path) -> list[str]:
    """The absolute paths left in a record file."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and is_machine_path(value.split(" (")[0]):
            found.append(value)

    walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if any")
    args = parser.parse_args(argv)
    files = sorted(RESULTS.rglob("*.json"))
    if args.check:
        left = {path: machine_paths(path) for path in files}
        left = {path: paths for path, paths in left.items() if paths}
        for path, paths in left.items():
            print(f"{path.relative_to(ROOT)}: {', '.join(paths[:3])}")
        return 1 if left else 0
    changed = [path for path in files if rewrite(path)]
    print(f"{len(changed)} of {len(files)} record files rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
