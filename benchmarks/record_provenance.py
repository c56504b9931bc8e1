"""Gives every committed record the backbone's input range and initialization, and a file
name of its own where the model that made it differs from today's.

Records written before 2026-12-07 do not say how their backbone started or what range its
inputs had (``RunRecord.backbone_input``, recorded since). For DigitNet it matters: on
2026-12-01 (commit a3cad35) DigitNet moved from Keras's initialization and [0, 1] inputs
to PyTorch's initialization and [-1, 1] inputs, and a record's settings do not tell the
two apart. This fills ``backbone_input`` in from what made each record:

- a DigitNet cell last added before that change (``git log``), or kept in
  ``erm_sanity/keras_defaults`` or ``erm_sanity/previous_digitnet``: our first DigitNet
  (``initialization`` keras, inputs [0, 1]); renamed ``<cell>-first-digitnet.json``, so
  that no two record files of one name hold different results;
- the other ``erm_sanity`` variants: the start model their folder names;
- every other record: today's model of its backbone (unchanged since it was made).

Run once; records that already say are left alone, so running it again changes nothing.

    python -m benchmarks.record_provenance
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.results import RESULTS, ROOT

DIGITNET_CHANGE = "2026-12-01T07:43:17+00:00"
"""When DigitNet's initialization and input range changed (commit a3cad35)."""
FIRST_DIGITNET = {"preprocessing": "unit", "input_range": [0.0, 1.0], "initialization": "keras"}
SUFFIX = "-first-digitnet"
ERM_SANITY = {
    "keras_defaults": FIRST_DIGITNET,
    "previous_digitnet": FIRST_DIGITNET,
    "centered": {"preprocessing": "rescaling", "input_range": [-1.0, 1.0],
                 "initialization": "keras"},
    "centered+torch_init": {"preprocessing": "rescaling", "input_range": [-1.0, 1.0],
                            "initialization": "pytorch"},
}  # fmt: skip


def last_added(path: Path) -> str | None:
    """When ``path`` was last added to the repository (ISO 8601): where its content comes
    from (a cell moved away and run again is added anew); None if it never was."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "log", "--diff-filter=A", "--format=%aI", "--",
         str(path.relative_to(ROOT))],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    return found[0] if found else None


def todays(backbone: str) -> dict:
    """What today's model of ``backbone`` feeds it and how it starts."""
    from neurn_keras import backbones
    from neurn_keras.model_parts import RANGES

    mode = backbones.get(backbone).preprocessing
    initialization = "pytorch" if backbone == "digitnet" else "keras"
    return {
        "preprocessing": mode,
        "input_range": RANGES.get(mode),
        "initialization": initialization,
    }


def provenance(path: Path, record: dict) -> dict:
    """``backbone_input`` of the record in ``path`` (see the module's docstring)."""
    folder = path.parent.name
    if path.parent.parent.name == "erm_sanity" and folder in ERM_SANITY:
        return ERM_SANITY[folder]
    if record["backbone"] == "digitnet":
        added = last_added(path)
        if added is not None and added < DIGITNET_CHANGE:
            return FIRST_DIGITNET
    return todays(record["backbone"])


def migrate(path: Path) -> Path | None:
    """Fills in one cell file's ``backbone_input``; renames it if it was our first DigitNet.
    Returns the new path when anything changed."""
    data = json.loads(path.read_text(encoding="utf-8"))
    record = data.get("record") if isinstance(data, dict) else None
    if not isinstance(record, dict) or record.get("backbone_input"):
        return None
    record["backbone_input"] = provenance(path, record)
    target = path
    if record["backbone_input"] == FIRST_DIGITNET and not path.stem.endswith(SUFFIX):
        target = path.with_name(path.stem + SUFFIX + path.suffix)
        subprocess.run(["git", "-C", str(ROOT), "mv", str(path), str(target)], check=True)
    target.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


def main() -> int:
    changed = [new for path in sorted(RESULTS.rglob("*.json")) if (new := migrate(path))]
    renamed = [p for p in changed if p.stem.endswith(SUFFIX)]
    print(f"{len(changed)} records given their backbone's input; {len(renamed)} renamed:")
    for path in renamed:
        print(f"  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
