"""Writes the table of backbones -> docs/results/backbones.md

One row per backbone, in the order of their declaration (``neurn_keras.backbones``), which
gives the name, constructor, architecture, code and minimum input size. The rest is read
off models built by ``neurn_keras.applications`` (about a minute on a CPU) and kept in
``docs/results/backbones/rows.json``: the parameter count at the given input shape and
number of classes, and the chain of layers in front of the backbone for a 1-channel input
of that size, which shows where NeuRN sits. The page (and the same table in
``docs/applications.md``) is made from that file.

    python -m benchmarks.backbones_table                    # build the models, the page
    python -m benchmarks.backbones_table --report-only      # the page from rows.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.results import RESULTS, ROOT, markdown_table, write_page, write_section
from neurn_keras.files import atomic_write_text

PAGE = RESULTS / "backbones.md"
ROWS = RESULTS / "backbones" / "rows.json"
APPLICATIONS_DOC = ROOT / "docs" / "applications.md"


def parse_shape(text: str) -> tuple[int, int, int]:
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHT,WIDTH,CHANNELS, got {text!r}") from None
    if len(shape) != 3 or min(shape) < 1 or shape[2] not in (1, 3):
        raise argparse.ArgumentTypeError(
            f"expected HEIGHT,WIDTH,CHANNELS with 1 or 3 channels, got {text!r}"
        )
    return shape


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.backbones_table",
        description=(
            "Build every backbone of neurn_keras.applications and write a Markdown table: "
            "name, constructor, architecture, code, minimum input size, parameters, and "
            "the layers from the raw pixels to the backbone (where NeuRN sits)."
        ),
        epilog="Builds 2 models per backbone on the CPU; takes about a minute.",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only write the page, from docs/results/backbones/rows.json",
    )
    parser.add_argument(
        "--input-shape",
        type=parse_shape,
        default=(32, 32, 3),
        metavar="H,W,C",
        help="input shape the parameters are counted at (default: 32,32,3)",
    )
    parser.add_argument("--classes", type=int, default=10, help="number of classes (default: 10)")
    return parser.parse_args(argv)


def adaptation_chain(model, constructor_name: str) -> str:
    """The layers from the input to the backbone, e.g. ``gray→RGB → **NeuRN** → ...``."""
    steps = []
    for layer in model.layers[1:]:
        if layer.name == "gray_to_rgb":
            steps.append("gray→RGB")
        elif layer.name == "resize":
            steps.append(f"resize to {layer.height}×{layer.width}")
        elif layer.name == "neurn":
            steps.append("**NeuRN**")
        elif layer.name == "preprocess":
            steps.append(f"preprocess ({layer.mode})")
        else:
            break
    return " → ".join([*steps, constructor_name])


def rows(shape, classes: int) -> list[dict]:
    """One row per backbone, in the declared order (``neurn_keras.backbones``)."""
    import keras
    from tqdm import tqdm

    from neurn_keras import applications, backbones

    out = []
    for backbone in tqdm(backbones.BACKBONES, desc="backbones"):
        constructor = applications.BACKBONES[backbone.name]
        keras.backend.clear_session()
        model = constructor(input_shape=shape, classes=classes)
        gray = constructor(input_shape=(shape[0], shape[1], 1), classes=classes)
        out.append(
            {
                "name": f"`{backbone.name}`",
                "constructor": f"`{backbone.label}`",
                "architecture": backbone.reference,
                "code": f"`{backbone.code}`",
                "min input": f"{backbone.min_size}×{backbone.min_size}",
                "parameters": f"{model.count_params():,}",
                "layers from 1-channel pixels to the backbone": adaptation_chain(
                    gray, backbone.label
                ),
            }
        )
    return out


def markdown(table: list[dict], shape, classes: int) -> str:
    header = list(table[0])
    note = (
        f"Parameters at {shape[0]}×{shape[1]}×{shape[2]} with {classes} classes, the same "
        "with and without NeuRN. Preprocessing modes: caffe (BGR minus the ImageNet mean), "
        "tf ([-1, 1]), torch ([0, 1], ImageNet mean and std), unit ([0, 1]), pixels "
        "(0..255; EfficientNet normalizes inside itself). Written by "
        "`python -m benchmarks.backbones_table`."
    )
    body = markdown_table(header, [[row[key] for key in header] for row in table])
    return body + "\n\n" + note + "\n"


def measure(shape, classes: int) -> None:
    """Builds the models and keeps their rows (and where they were built) in ``ROWS``."""
    import platform

    from neurn_keras.environment import versions

    data = {
        "input_shape": list(shape),
        "classes": classes,
        "rows": rows(shape, classes),
        "versions": versions(),
        "platform": f"{platform.platform()}; {platform.processor() or platform.machine()}",
    }
    ROWS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(ROWS, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def report() -> None:
    data = json.loads(ROWS.read_text(encoding="utf-8"))
    text = markdown(data["rows"], data["input_shape"], data["classes"])
    write_page(PAGE, "Backbones of neurn_keras.applications", text,
               [(data["versions"], data["platform"])])  # fmt: skip
    write_section(APPLICATIONS_DOC, "backbones-table", text)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.report_only:
        measure(args.input_shape, args.classes)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
