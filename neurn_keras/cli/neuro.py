"""``python -m neurn_keras.neuro``: make and inspect compact neural-data files."""

from __future__ import annotations

import sys
from pathlib import Path

from neurn_keras.cli import Parser, UsageError, run_cli, size_hw

PROG = "python -m neurn_keras.neuro"

DESCRIPTION = """\
Make and inspect compact neural-data files (NAME.npz + NAME.csv), the input of
python -m neurn_keras.cortex.

commands:
  from-nwb          read Allen Brain Observatory ophys NWB 1.x files (three_session_B,
                    natural scenes) and write their cells to one compact file
  from-unverified   convert the shared abo_psailamul_responses_UNVERIFIED.npz (demonstration
                    only: it failed the data manifest's checks; the file is labelled so)
  info              print a compact file's shape, note and cells per area, Cre line, class

To choose and download NWB files with the Allen SDK (a separate environment, since its
pins clash with current numpy), see neurn_keras/neuro/allensdk_download.py.
"""

EPILOG = """\
examples:
  python -m neurn_keras.neuro from-nwb ophys_*.nwb --output abo_ns.npz --scene-size 115x147
  python -m neurn_keras.neuro from-nwb --list downloads/experiments.csv --output abo_ns.npz
  python -m neurn_keras.neuro from-unverified --output demo_unverified.npz
  python -m neurn_keras.neuro info abo_ns.npz

exit status: 0 on success, 2 on bad input (one line on stderr), 130 when interrupted
(files are written to a temporary name first, so none is left half-written).
"""


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    nwb = commands.add_parser("from-nwb", help="NWB 1.x files -> compact file")
    nwb.add_argument("nwb", nargs="*", type=Path, help="ophys NWB files (natural scenes)")
    nwb.add_argument(
        "--list",
        type=Path,
        help="CSV with a column 'nwb_file' (as written by allensdk_download.py)",
    )
    nwb.add_argument("--output", type=Path, required=True, help="output NAME.npz")
    nwb.add_argument("--time-resolved", action="store_true", help="keep each trial's frames")
    nwb.add_argument(
        "--baseline",
        choices=("subtract", "none"),
        default="subtract",
        help="subtract the 1 s pre-stimulus mean from each trial (default) or not",
    )
    nwb.add_argument(
        "--scene-size",
        type=size_hw,
        metavar="HxW",
        help="shrink the 918x1174 scenes (e.g. 115x147); default: keep",
    )
    nwb.add_argument(
        "--unknown-cre",
        choices=("error", "mark"),
        default="error",
        help="an unknown Cre line stops the conversion (default) or marks the cells 'unknown'",
    )
    unv = commands.add_parser("from-unverified", help="the shared UNVERIFIED demo responses")
    unv.add_argument("--output", type=Path, required=True, help="output NAME.npz")
    unv.add_argument("--data-dir", type=Path, help="data directory (default: $NEURN_DATA_DIR)")
    info = commands.add_parser("info", help="describe a compact file")
    info.add_argument("file", type=Path, help="NAME.npz")
    return parser


def _nwb_paths(args) -> list[Path]:
    paths = list(args.nwb)
    if args.list is not None:
        import pandas as pd

        if not args.list.is_file():
            raise UsageError(f"--list: no file {args.list}")
        table = pd.read_csv(args.list)
        if "nwb_file" not in table.columns:
            raise UsageError(f"--list: {args.list} has no column 'nwb_file'")
        paths += [Path(p) for p in table["nwb_file"]]
    if not paths:
        raise UsageError("from-nwb: give NWB files or --list")
    return paths


def _info(path: Path) -> str:
    from neurn_keras.neuro.compact import load_neural

    data = load_neural(path, warn_unverified=False)
    lines = [
        f"{path}: {data.n_cells} cells x {data.n_scenes} scenes x {data.responses.shape[2]} trials"
        + (f" x {data.responses.shape[3]} time points" if data.time_resolved else ""),
        f"scenes: {data.scenes.shape[1]}x{data.scenes.shape[2]} {data.scenes.dtype}",
        f"note: {data.note or '-'}",
    ]
    counts = data.cells.groupby(["area", "cre_line", "cell_class"]).size()
    lines += [f"  {a:6s} {c:22s} {k:11s} {n:6d} cells" for (a, c, k), n in counts.items()]
    return "\n".join(lines)


def _convert(args) -> int:
    from neurn_keras.neuro.compact import save_neural

    if args.command == "info":
        print(_info(args.file))
        return 0
    if not str(args.output).endswith(".npz"):
        raise UsageError(f"--output must end in .npz, got {args.output}")
    if args.command == "from-nwb":
        from tqdm import tqdm

        from neurn_keras.neuro.compact import concat_neural
        from neurn_keras.neuro.nwb import read_nwb

        paths = _nwb_paths(args)
        parts = [
            read_nwb(
                p,
                time_resolved=args.time_resolved,
                baseline=args.baseline,
                scene_size=args.scene_size,
                unknown_cre=args.unknown_cre,
            )
            for p in tqdm(paths, desc="NWB files", unit="file", disable=len(paths) < 2)
        ]
        data = concat_neural(parts)
    else:
        from neurn_keras.neuro.allen_files import load_unverified_responses

        data = load_unverified_responses(args.data_dir, warn=False)
    save_neural(args.output, data)
    print(_info(args.output))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        try:
            return _convert(args)
        except (FileNotFoundError, ValueError, OSError) as error:  # unreadable or bad input
            raise UsageError(str(error)) from None

    return run_cli(
        PROG, body, interrupted="no file is left half-written; run the same command again"
    )


if __name__ == "__main__":
    sys.exit(main())
