"""Writes the table of backbones (docs/results/backbones.md, and the README's copy).

One row per backbone, in the order of their declaration (``neurn_keras.backbones``), which
gives the name, constructor, architecture, code and minimum input size. The rest is read
off models built by ``neurn_keras.applications``: the parameter count at the given input
shape and number of classes, and the chain of layers in front of the backbone for a
1-channel input of that size, which shows where NeuRN sits.

    python -m benchmarks.backbones_table                    # docs/results/backbones.md
    python -m benchmarks.backbones_table --readme README.md  # also the README's table

The README's copy is its section ``backbones-table``, inside the applications section
(whose other text is written by hand).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)
from neurn_keras.cli import Parser, positive_int

README_SECTION = "backbones-table"


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
    parser = Parser(
        prog="python -m benchmarks.backbones_table",
        description=(
            "Build every backbone of neurn_keras.applications and write a Markdown table: "
            "name, constructor, architecture, code, minimum input size, parameters, and "
            "the layers from the raw pixels to the backbone (where NeuRN sits)."
        ),
        epilog="Builds 2 models per backbone on the CPU; takes about a minute.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "docs" / "results" / "backbones.md",
        help="Markdown file to write (default: docs/results/backbones.md)",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        help=f"also replace its section {README_SECTION!r} (between its markers)",
    )
    parser.add_argument(
        "--input-shape",
        type=parse_shape,
        default=(32, 32, 3),
        metavar="H,W,C",
        help="input shape the parameters are counted at (default: 32,32,3)",
    )
    parser.add_argument(
        "--classes", type=positive_int, default=10, help="number of classes (default: 10)"
    )
    args = parser.parse_args(argv)
    if args.readme is not None and not args.readme.is_file():
        parser.error(f"--readme: no such file {args.readme}")
    return args


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


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.readme is not None:
        check_readme_section(README_SECTION, args.readme)
    text = markdown(rows(args.input_shape, args.classes), args.input_shape, args.classes)
    write_page(args.output, "Backbones of neurn_keras.applications", text)
    print(f"wrote {args.output}")
    if args.readme is not None:
        replace_readme_section(README_SECTION, text, args.readme)
        print(f"updated the table in {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
