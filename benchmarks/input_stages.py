"""What each input normalization and augmentation makes invariant -> docs/neurn.md section

The lines come from the declarations in ``neurn_keras.layer_options`` (``INPUT_NORMS``,
``AUGMENTS``), so the documentation and the command line's choices cannot drift apart.

    python -m benchmarks.input_stages
"""

from __future__ import annotations

import sys

from benchmarks.results import ROOT, markdown_table, write_section
from neurn_keras.layer_options import AUGMENTS, INPUT_NORMS

PAGE = ROOT / "docs" / "neurn.md"


def table() -> str:
    rows = [
        [f"`--input-norm {name}`", f"`{stage.layer}`" if stage.layer else "–", stage.invariance]
        for name, stage in INPUT_NORMS.items()
    ]
    rows += [
        [f"`--augment {name}`", f"`{stage.layer}`", stage.invariance]
        for name, stage in AUGMENTS.items()
        if stage.layer
    ]
    return markdown_table(["choice", "layer", "what the backbone no longer sees"], rows)


def report() -> None:
    write_section(PAGE, "input-stages", table())


def main() -> int:
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
