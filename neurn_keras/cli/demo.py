"""``python -m neurn_keras.demo``: NeuRN applied to real digit images, as a figure.

Reads a few test images of every digit domain found in the data directory, and renders
a few of ``syn_render`` (ours), and writes ``neurn_gallery.png``: each image raw, then
NeuRN with both paddings and several k.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from neurn_keras.cli import Parser, UsageError, as_flags, positive_int, run_cli

PROG = "python -m neurn_keras.demo"

EPILOG = """\
exit status: 0 on success, 2 on bad input or when no digit data is found (one line on
stderr), 130 when interrupted (the figure is written to a temporary name first).
"""


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Apply NeuRN to real digit images and write a before/after figure.",
        epilog=EPILOG,
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory with mnist.npz, usps.npz, mnist_m.npz, ... "
        "(default: $NEURN_DATA_DIR, else ~/.neurn_keras/data)",
    )
    parser.add_argument(
        "--output", type=Path, default=Path("neurn_demo"), help="folder for the figure"
    )
    parser.add_argument(
        "--per-domain", type=positive_int, default=2, help="images per domain (default 2)"
    )
    return parser


def _test_images(datasets, name: str, args: argparse.Namespace):
    """The first ``--per-domain`` test images of domain ``name``."""
    try:
        return datasets.load_domain(name, "test", data_dir=args.data_dir, limit=args.per_domain)
    except ValueError as error:  # fewer test images than --per-domain
        raise UsageError(f"--per-domain: {error}") from None


def _rows(domain: str, x, y) -> dict:
    """Row label -> image, e.g. ``"mnist\n#1: digit 7"``."""
    return {f"{domain}\n#{i + 1}: digit {y[i]}": x[i] for i in range(len(x))}


def run(args: argparse.Namespace) -> Path:
    """Writes the gallery of the parsed arguments; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    from neurn_keras import datasets
    from neurn_keras.files import save_figure
    from neurn_keras.visualize import neurn_gallery

    images, missing = {}, []
    for name in datasets.DOMAINS:
        try:
            x, y = _test_images(datasets, name, args)
        except FileNotFoundError as error:
            message = as_flags(str(error))
            missing.append(message if message.startswith(f"{name}:") else f"{name}: {message}")
            continue
        images.update(_rows(name, x, y))
    if not images:
        raise UsageError("no digit data found: " + "; ".join(missing))
    for name in datasets.RENDERED_DOMAINS:  # rendered here, always available
        images.update(_rows(f"{name} (ours)", *_test_images(datasets, name, args)))
    for line in missing:
        print(f"skipped {line}", file=sys.stderr)
    return save_figure(neurn_gallery(images), args.output / "neurn_gallery.png", dpi=120)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        print(f"wrote {run(args)}")
        return 0

    return run_cli(PROG, body, interrupted="no figure is left half-written")


if __name__ == "__main__":
    sys.exit(main())
