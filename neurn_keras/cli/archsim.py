"""``python -m neurn_keras.archsim``: architecture similarity over the model zoo."""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

from neurn_keras.cli import Parser, UsageError, run_cli

PROG = "python -m neurn_keras.archsim"

DESCRIPTION = """\
Compare architectures by globally aligning their layer sequences (Needleman-Wunsch)
and reading a similarity index from the alignment: matched positions over alignment
length, 1 for identical architectures.

The zoo is every constructor in keras.applications (built with weights=None at a small
input size, which does not change the layers) and the project's backbones with and
without NeuRN (nk.<name>, nk.<name>+NeuRN). Each model is built, read and dropped in
turn; its layer sequence is cached in --cache-dir (default $NEURN_CACHE_DIR/archsim, else
~/.neurn_keras/cache/archsim), so a second run only aligns. A cached
sequence is rebuilt when the keras version, the token rules or (for nk.*) the sources of
neurn_keras.applications and neurn_keras.layers change. Ties between optimal alignments
are broken by the most matched positions, then the fewest gaps, so the index is
symmetric.

writes, in --output:
  similarity.csv                the similarity matrix, models as row and column labels
  similarity_clustermap.png     the matrix clustered (average linkage on 1 - similarity)
  sequences.json                each model's layer sequence
  alignment_A_B.txt             the aligned pair given by --pair (default VGG16 VGG19)
"""

EPILOG = """\
examples:
  python -m neurn_keras.archsim --output runs/archsim
  python -m neurn_keras.archsim --output runs/archsim_vgg --models 'VGG*' 'ResNet*' MobileNetV2
  python -m neurn_keras.archsim --output runs/archsim_nk --models 'nk.*' \\
      --pair nk.vgg19 nk.vgg19+NeuRN
  python -m neurn_keras.archsim --list

exit status: 0 on success, 2 on bad input (one line on stderr), 130 when interrupted
(files already written are complete; cached sequences are kept).
"""


MAX_SCORE = 1000  # keeps the folded integer scores exact for sequences of ~10,000 layers


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "--output", type=Path, metavar="DIR", help="folder for the results (created)"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        metavar="NAME",
        help="models or shell patterns ('EfficientNet*', 'nk.*'); default: the whole zoo",
    )
    parser.add_argument(
        "--pair",
        nargs=2,
        metavar=("A", "B"),
        default=("VGG16", "VGG19"),
        help="the pair whose alignment is written as text (default: VGG16 VGG19)",
    )
    parser.add_argument("--match", type=int, default=1, help="score of a match (default 1)")
    parser.add_argument("--mismatch", type=int, default=-1, help="score of a mismatch (default -1)")
    parser.add_argument("--gap", type=int, default=-1, help="score of a gap (default -1)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where layer sequences are cached (default $NEURN_CACHE_DIR/archsim, else "
        "~/.neurn_keras/cache/archsim)",
    )
    parser.add_argument("--no-cache", action="store_true", help="build every model afresh")
    parser.add_argument("--list", action="store_true", help="print the zoo's names and exit")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _select(patterns: list[str] | None, available: list[str]) -> list[str]:
    if not patterns:
        return list(available)
    chosen: list[str] = []
    for pattern in patterns:
        hits = [n for n in available if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            raise UsageError(
                f"--models: {pattern!r} matches no model (python -m neurn_keras.archsim --list)"
            )
        chosen += [n for n in hits if n not in chosen]
    if len(chosen) < 2:
        raise UsageError(f"--models: need at least 2 models to compare, got {chosen}")
    return chosen


def run(args: argparse.Namespace) -> dict[str, Path]:
    """Computes and writes everything the command line asks for; returns the paths."""
    import matplotlib

    matplotlib.use("Agg")

    from neurn_keras.archsim import needleman_wunsch, outputs, similarity_matrix, zoo, zoo_models
    from neurn_keras.archsim.figures import clustermap
    from neurn_keras.files import atomic_write_text, save_figure

    available = list(zoo_models())
    names = _select(args.models, available)
    for name in args.pair:
        if name not in available:
            raise UsageError(
                f"--pair: unknown model {name!r} (python -m neurn_keras.archsim --list)"
            )
    if args.output.exists() and not args.output.is_dir():
        raise UsageError(f"--output: {args.output} exists and is not a folder")
    scores = {"match": args.match, "mismatch": args.mismatch, "gap": args.gap}
    for option, value in scores.items():
        if abs(value) > MAX_SCORE:
            raise UsageError(f"--{option}: {value} is beyond ±{MAX_SCORE}; use smaller scores")
    wanted = names + [n for n in args.pair if n not in names]
    sequences = zoo(
        wanted, cache_dir=args.cache_dir, use_cache=not args.no_cache, progress=not args.quiet
    )
    matrix = similarity_matrix({n: sequences[n] for n in names}, **scores, progress=not args.quiet)
    out = args.output
    paths = {
        "matrix": outputs.write_matrix(out / outputs.MATRIX_FILE, matrix),
        "sequences": outputs.write_sequences(
            out / outputs.SEQUENCES_FILE, {n: sequences[n] for n in names}
        ),
    }
    grid = clustermap(matrix)
    paths["figure"] = save_figure(grid.figure, out / outputs.FIGURE_FILE, dpi=110)
    a, b = args.pair
    pair = needleman_wunsch(sequences[a], sequences[b], **scores)
    paths["alignment"] = atomic_write_text(
        out / outputs.alignment_file_name(a, b), outputs.alignment_text(pair, a, b, **scores)
    )
    return paths


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        if args.list:
            from neurn_keras.archsim import zoo_models

            print("\n".join(zoo_models()))
            return 0
        if args.output is None:
            raise UsageError("--output is required (a folder for the results)")
        for path in run(args).values():
            print(path)
        return 0

    return run_cli(
        PROG, body, interrupted="files already written are complete; cached sequences are kept"
    )


if __name__ == "__main__":
    sys.exit(main())
