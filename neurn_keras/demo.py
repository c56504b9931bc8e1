"""python -m neurn_keras.demo: NeuRN applied to real digit images, as a figure.

Reads a few test images of every digit domain found in the data directory and writes
``neurn_gallery.png``: each image raw, then NeuRN with both paddings and several k.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m neurn_keras.demo",
        description="Apply NeuRN to real digit images and write a before/after figure.",
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
    parser.add_argument("--per-domain", type=int, default=2, help="images per domain (default 2)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.per_domain < 1:
        print("error: --per-domain must be >= 1", file=sys.stderr)
        return 2

    import matplotlib

    matplotlib.use("Agg")
    from neurn_keras import datasets
    from neurn_keras.visualize import neurn_gallery

    images, missing = {}, []
    for name in datasets.DOMAINS:
        try:
            x, y = datasets.load_domain(name, "test", data_dir=args.data_dir)
        except FileNotFoundError as error:
            missing.append(f"{name}: {str(error).splitlines()[0]}")
            continue
        for i in range(args.per_domain):
            images[f"{name} ({y[i]})"] = x[i]
    if not images:
        print("error: no digit data found:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    for line in missing:
        print(f"skipped {line}", file=sys.stderr)
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / "neurn_gallery.png"
    neurn_gallery(images).savefig(path, dpi=120)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
