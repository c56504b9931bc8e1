"""python -m neurn_keras.table: the paper's Table 1 from a directory of runs."""

from __future__ import annotations

import sys
from pathlib import Path

from neurn_keras import cli
from neurn_keras.cli import UsageError

PROG = "python -m neurn_keras.table"

DESCRIPTION = """\
Collect every results.json under RUNS_DIR (written by python -m neurn_keras.train or
python -m neurn_keras.sweep) into the layout of Table 1 of Qazi et al. (2025): one row
per backbone and input pipeline (plain, +NeuRN, +RandConv, ...); per source, a column
with the source's own test accuracy ("M (source)"), then one column per transfer
source→target in the paper's order M→U, M→S, M→MM, U→M, U→S, U→MM, S→M, S→U, S→MM,
MM→M, MM→U, MM→S (M = MNIST, U = USPS, S = SVHN, MM = MNIST-M), then transfers to or
from syn_render, our rendered digits (named "syn_render (ours)", never SYN or SVHN).
Columns without any run are left out (--all-columns shows all twelve of the paper's).

Each cell is the test accuracy in percent, mean ± standard deviation over seeds; in
each column the best row of each backbone is bold. Runs whose settings
differ (epochs, training images, ...) get those settings in their row names instead
of being averaged together. Invalid results.json files are reported on stderr, one line
each, and left out."""

EPILOG = """\
examples:
  python -m neurn_keras.table runs/
  python -m neurn_keras.table runs/ --format latex --output table1.tex

exit status: 0 done, 2 bad input (no such directory, no valid results.json in it)."""


def build_parser() -> cli.Parser:
    from neurn_keras.training.tables import FORMATS

    parser = cli.Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("runs_dir", type=Path, metavar="RUNS_DIR", help="directory of runs")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="md",
        help="md (Markdown, default), csv or latex (booktabs)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the table to FILE (atomically) instead of printing it",
    )
    parser.add_argument(
        "--all-columns",
        action="store_true",
        help="show every paper column, also those without runs (e.g. SVHN's), as '–'",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        from neurn_keras.files import atomic_write_text
        from neurn_keras.training.record import collect_records
        from neurn_keras.training.tables import build_table, render_table

        if not args.runs_dir.is_dir():
            raise UsageError(f"RUNS_DIR {args.runs_dir} is not a directory")
        records, problems = collect_records(args.runs_dir)
        for problem in problems:
            print(f"{PROG}: warning: skipped {problem}", file=sys.stderr)
        if not records:
            raise UsageError(
                f"no valid results.json under {args.runs_dir}; run python -m neurn_keras.train "
                "or python -m neurn_keras.sweep with --output there first"
            )
        table = build_table(records, all_columns=args.all_columns)
        for duplicate in table.duplicates:
            print(f"{PROG}: warning: {duplicate}", file=sys.stderr)
        text = render_table(table, args.format)
        if args.output is None:
            sys.stdout.write(text)
        else:
            atomic_write_text(args.output, text)
            print(f"{len(records)} runs -> {args.output}")
        return 0

    return cli.run_cli(PROG, body, needs_keras=False)


if __name__ == "__main__":
    sys.exit(main())
