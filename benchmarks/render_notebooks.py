"""Executes the notebooks and writes them, with their outputs, to docs/notebooks/.

The notebooks in ``notebooks/`` are kept without outputs: their diffs show only code and
text, the tests execute exactly them, and no stale output can contradict the code. The
copies with outputs are generated here, for readers on GitHub and for the docs site, as
``docs/results`` is generated from the records. ``tests/test_notebooks.py`` checks that
each copy has the source's cells.

    NEURN_DATA_DIR=../shared/data python -m benchmarks.render_notebooks           # all
    NEURN_DATA_DIR=../shared/data python -m benchmarks.render_notebooks 01 04     # some

Each notebook runs in a fresh kernel in ``notebooks/``, as Jupyter runs it. In the text
outputs, the data directory is written ``$NEURN_DATA_DIR`` and the repository root
``.``, so that the copies do not show the machine they were rendered on. Figures are PNG
at ``--dpi`` (inline backend).

Each copy stores the ``defaults_fingerprint`` of the code it ran (in its metadata):
what the package does when told nothing (NeuRN's options, a run's settings and presets,
the input stages, the version). A test compares it with today's, so a change of a
default that a rendered output shows fails until the copies are rendered again.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks.results import ROOT

NOTEBOOKS = ROOT / "notebooks"
RENDERED = ROOT / "docs" / "notebooks"
DPI = 72
SETUP = (
    "%config InlineBackend.figure_formats = ['png']\n"
    "%config InlineBackend.rc = {{'figure.dpi': {dpi}}}"
)
"""Run in the kernel before the notebook (not written to the copy): PNG figures at a
modest resolution."""


def defaults_fingerprint() -> str:
    """A short hash of the package's defaults, which a rendered notebook's outputs show."""
    import dataclasses
    import hashlib
    import json

    import neurn_keras
    from neurn_keras.layer_options import AUGMENTS, INPUT_NORMS, NeuRNOptions
    from neurn_keras.training import PROTOCOLS, RunConfig

    facts = {
        "version": neurn_keras.__version__,
        "neurn": dataclasses.asdict(NeuRNOptions()),
        "run": RunConfig().identity(),
        "protocols": {name: dict(p.settings) for name, p in PROTOCOLS.items()},
        "stages": [sorted(INPUT_NORMS), sorted(AUGMENTS)],
    }
    text = json.dumps(facts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.render_notebooks",
        description="Execute notebooks/*.ipynb and write them with outputs to docs/notebooks/.",
    )
    parser.add_argument(
        "names", nargs="*", help="notebooks to render, by prefix (01) or name (default: all)"
    )
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell (1200)")
    parser.add_argument("--dpi", type=int, default=DPI, help=f"figure resolution ({DPI})")
    return parser.parse_args(argv)


def selected(names: list[str]) -> list[Path]:
    """The notebooks whose file name starts with one of ``names`` (all without names)."""
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    chosen = [p for p in paths if not names or any(p.name.startswith(n) for n in names)]
    unknown = [n for n in names if not any(p.name.startswith(n) for p in paths)]
    if unknown:
        sys.exit(f"render_notebooks: no notebook named {unknown} in {NOTEBOOKS}")
    return chosen


def anonymize(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def as_displayed(text: str) -> str:
    """Text as a terminal shows it: a carriage return starts its line over (progress bars)."""
    return "\n".join(line.rstrip("\r").split("\r")[-1] for line in text.split("\n"))


def merged_streams(outputs: list) -> list:
    """Consecutive outputs of one stream joined into one, shown as a terminal would."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output["output_type"] == "stream"
            and previous is not None
            and previous["output_type"] == "stream"
            and previous["name"] == output["name"]
        ):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    for output in merged:
        if output["output_type"] == "stream":
            output["text"] = as_displayed(output["text"])
    return merged


def clean_outputs(notebook, replacements: dict[str, str]) -> None:
    """Progress bars as their last state, machine-specific paths out of the text outputs,
    no execution timestamps."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = anonymize(output["text"], replacements)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output["data"][mime] = anonymize(value, replacements)


def render(path: Path, timeout: int, dpi: int, replacements: dict[str, str]) -> Path:
    """Executes ``path`` in ``notebooks/`` and writes its copy with outputs, with
    ``replacements`` made in its text outputs; returns the copy."""
    import nbformat
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        record_timing=False,
    )
    with client.setup_kernel():
        setup = run_sync(client.kc.execute_interactive)
        reply = setup(SETUP.format(dpi=dpi), store_history=False, timeout=timeout)
        if reply["content"]["status"] != "ok":
            sys.exit(f"render_notebooks: the kernel refused {SETUP!r}: {reply['content']}")
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    clean_outputs(notebook, replacements)
    notebook.metadata["neurn_keras"] = {"defaults_fingerprint": defaults_fingerprint()}
    target = RENDERED / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def main(argv=None) -> int:
    args = parse_args(argv)
    if not os.environ.get("NEURN_DATA_DIR"):
        sys.exit("render_notebooks: set NEURN_DATA_DIR to the data directory (see data/README.md)")
    from neurn_keras.environment import resolve_data_dir

    # absolute from here on, for the kernels too (as the README's relative value means)
    replacements = {str(resolve_data_dir(relative_to=ROOT)): "$NEURN_DATA_DIR", str(ROOT): "."}
    for path in selected(args.names):
        start = time.monotonic()
        target = render(path, args.timeout, args.dpi, replacements)
        size = target.stat().st_size / 2**20
        print(f"{target.relative_to(ROOT)}: {size:.2f} MiB, {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
