"""``python -m neurn_keras.cortex``: compare models with mouse visual cortex (scores, figures)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from neurn_keras.cli import Parser, UsageError, positive_int, run_cli, size_hw
from neurn_keras.files import atomic_write, atomic_write_text

PROG = "python -m neurn_keras.cortex"

DESCRIPTION = """\
Compare Keras models, with and without NeuRN, with mouse visual cortex (Allen Brain
Observatory, natural scenes), as in Mice to Machines (Qazi, Jalil, Iqbal 2025), and write
the scores as CSV and the figures as PNG.

Two analyses, each run when its data is given:

  single cells (--neural FILE, a compact neural file: NAME.npz + NAME.csv, see
  python -m neurn_keras.neuro): each cell's map is its responses weighting the scenes
  (N = T^T FS, mean-centred unless --no-center); each Conv2D kernel gives F*C maps.
  Representative cells (per cell class) and kernel maps (per layer) are picked by UMAP +
  KMeans (--clusters x --per-cluster, the paper's 10 x 50). Per layer and group of cells
  (all, cell class, area, Cre line, area/Cre line): RMSE of each cell with its best kernel
  (cell map resized to the kernel, both min-max scaled), averaged over cells, and the
  KDE-IoU of the two value distributions.

  population RSA (the 21 area x layer RDMs of abo_natural_scenes.npz in the data
  directory; --no-rsa skips it): each NeuRN and Conv2D layer's RDM (1 - Pearson r of its
  activations to the 118 scenes) against each cortex RDM by Spearman r, with a bootstrap
  over scenes (--n-boot) and the groups' noise ceilings; NeuRN/plain pairs are compared
  with paired bootstrap differences.

NeuRN/plain pairs are found automatically (same Conv2D kernel shapes, one model with a
NeuRN layer and one without) unless given with --pair. On stderr, before the analyses: a
warning line for each way a pair differs besides NeuRN (run directories: their
results.json settings, epochs run, training images and versions; .keras files: their
layers with weights and parameter counts); after them, one line per pair with its
headline numbers, NeuRN vs plain (best-layer RSA and its paired difference; RMSE and
KDE-IoU). Progress bars appear only on a terminal.

outputs in --output DIR:
  rmse_layers.csv, rmse_models.csv      single-cell scores per layer / per model
  fig2a_rmse_neurn_vs_plain.png         RMSE with NeuRN against without (diagonal = equal)
  fig2b_rmse_area_genotype.png          RMSE by area and Cre line, per model
  fig3_kde.png                          value densities of cell maps and kernels
  rsa_layers.csv, rsa_best.csv          RSA per layer / best layer per model and group
  rsa_pairs.csv                         NeuRN minus plain, best-layer RSA, per group
  rsa_by_area.png, rsa_by_layer.png     the RSA charts
  rsa_pairs.png                         NeuRN minus plain per group, with intervals
  settings.json                         the arguments, the neural data's note and the
                                        figures' short model labels (backbone, NeuRN k
                                        and padding) for each model
"""

EPILOG = """\
examples:
  python -m neurn_keras.cortex --model runs/digitnet_neurn --model runs/digitnet \\
      --output runs/cortex                                # RSA only (needs NEURN_DATA_DIR)
  python -m neurn_keras.neuro from-unverified --output runs/demo.npz
  python -m neurn_keras.cortex --model a.keras --model b.keras --neural runs/demo.npz \\
      --output runs/cortex_demo --n-boot 200

Data labelled UNVERIFIED (its note says so) is marked on every figure and in settings.json.

exit status: 0 on success, 2 on bad input (one line on stderr), 130 when interrupted
(files already written are complete: every file is written to a temporary name first).
"""


def build_parser() -> Parser:
    p = Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    _add_input_output_options(p.add_argument_group("inputs and outputs"))
    _add_single_cell_options(p.add_argument_group("single-cell analysis"))
    both = p.add_argument_group("both analyses")
    both.add_argument(
        "--depthwise",
        action="store_true",
        help="include DepthwiseConv2D and SeparableConv2D layers",
    )
    both.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (1000)")
    both.add_argument("--seed", type=int, default=0, help="seed of sampling and bootstrap (0)")
    both.add_argument(
        "--quiet", action="store_true", help="no progress bars (none either when not on a terminal)"
    )
    return p


def _add_input_output_options(io: argparse._ArgumentGroup) -> None:
    """``--model --neural --data-dir --no-rsa --output --pair``."""
    io.add_argument(
        "--model",
        action="append",
        required=True,
        type=Path,
        metavar="PATH",
        help="a .keras file or a run directory with model.keras (repeat)",
    )
    io.add_argument(
        "--neural",
        type=Path,
        metavar="FILE",
        help="compact neural file NAME.npz (with NAME.csv) for the single-cell analysis",
    )
    io.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="directory with abo_natural_scenes.npz (default: $NEURN_DATA_DIR)",
    )
    io.add_argument("--no-rsa", action="store_true", help="skip the population RSA")
    io.add_argument("--output", type=Path, required=True, metavar="DIR", help="output directory")
    io.add_argument(
        "--pair",
        nargs=2,
        action="append",
        metavar=("WITH", "WITHOUT"),
        help="labels (file stems / run names) of a NeuRN and a plain model (repeat)",
    )


def _add_single_cell_options(cells: argparse._ArgumentGroup) -> None:
    """How cells' maps are made, sampled and scored."""
    from neurn_keras.cortex.grouping import GROUPINGS

    cells.add_argument(
        "--map-size",
        type=size_hw,
        metavar="HxW",
        help="size of the cells' maps (default: the scenes' size)",
    )
    cells.add_argument(
        "--no-center",
        action="store_true",
        help="the paper's literal N = T^T FS, without subtracting each cell's mean",
    )
    cells.add_argument(
        "--normalize",
        choices=("minmax", "zscore"),
        default="minmax",
        help="per-map scaling before RMSE and KDE-IoU (default minmax)",
    )
    cells.add_argument(
        "--no-sample",
        action="store_true",
        help="use every cell and kernel map (no UMAP + KMeans sampling)",
    )
    cells.add_argument("--clusters", type=positive_int, default=10, help="KMeans clusters (10)")
    cells.add_argument("--per-cluster", type=positive_int, default=50, help="maps per cluster (50)")
    cells.add_argument(
        "--max-points",
        type=positive_int,
        default=4000,
        help="embed at most this many maps with UMAP, at random (4000)",
    )
    cells.add_argument(
        "--umap-epochs",
        type=positive_int,
        default=None,
        help="UMAP optimisation epochs (default: UMAP's own)",
    )
    cells.add_argument(
        "--groupings",
        nargs="+",
        choices=GROUPINGS,
        default=["all", "cell_class", "area", "cre_line", "area_cre_line"],
        help="groups of cells to score",
    )
    cells.add_argument(
        "--min-kernel",
        type=positive_int,
        default=2,
        help="skip kernels smaller than this a side (2 drops 1x1 convolutions)",
    )
    cells.add_argument(
        "--time-window",
        type=float,
        nargs=2,
        default=(0.0, 0.5),
        metavar=("START", "STOP"),
        help="seconds averaged for time-resolved data (0 0.5, the SDK window)",
    )


def _write_csv(frame, path: Path) -> None:
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def _write_json(data: dict, path: Path) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def _inputs(args):
    """Load and check every input before any long computation; bad input -> UsageError."""
    try:
        return _load_inputs(args)
    except (FileNotFoundError, ValueError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise UsageError(str(message)) from None


def _load_inputs(args):
    from neurn_keras.cortex.models import check_pairs, labelled_paths, load_models, pair_models
    from neurn_keras.cortex.representations import feature_representations

    if args.neural is None and args.no_rsa:
        raise UsageError("nothing to do: give --neural FILE, or drop --no-rsa")
    if args.n_boot < 0:
        raise UsageError(f"--n-boot must be >= 0, got {args.n_boot}")
    for path in args.model:
        if not path.exists():
            raise UsageError(f"--model: no file or directory {path}")
    try:
        models = load_models(args.model)
    except FileNotFoundError:
        raise
    except Exception as error:  # keras raises many types for a file that is not a model
        raise UsageError(f"--model: cannot load a Keras model ({error})") from None
    neural = None
    if args.neural is not None:
        from neurn_keras.neuro.compact import load_neural

        neural = load_neural(args.neural, warn_unverified=False)
        if neural.time_resolved:
            neural = neural.time_window(*args.time_window)
        for label, model in models.items():
            try:
                feature_representations(model, args.depthwise, min_size=args.min_kernel)
            except ValueError as error:
                raise UsageError(f"--model {label}: {error}") from None
    rsms = None
    if not args.no_rsa:
        from neurn_keras.cortex.activations import activation_layers
        from neurn_keras.neuro.allen_files import load_scene_rsms

        rsms = load_scene_rsms(args.data_dir)
        for label, model in models.items():
            if not activation_layers(model, args.depthwise):
                raise UsageError(
                    f"--model {label}: no NeuRN or convolution layer to compare with cortex"
                )
    pairs = [tuple(p) for p in args.pair] if args.pair else pair_models(models)
    check_pairs(pairs, models)
    return models, neural, rsms, pairs, labelled_paths(args.model)


def _single_cells(args, models, neural, pairs, labels, progress: bool):
    """The RMSE / KDE-IoU analysis: its files and its per-model table."""
    from neurn_keras.cortex import figures
    from neurn_keras.cortex.cells import rmse_analysis
    from neurn_keras.files import save_figure

    out, note = args.output, neural.note
    if note.startswith("UNVERIFIED"):
        print(f"warning: {note}", file=sys.stderr)
    result = rmse_analysis(
        models,
        neural,
        map_size=args.map_size,
        center=not args.no_center,
        normalize=args.normalize,
        groupings=args.groupings,
        sample=not args.no_sample,
        n_clusters=args.clusters,
        per_cluster=args.per_cluster,
        max_points=args.max_points,
        n_epochs=args.umap_epochs,
        seed=args.seed,
        depthwise=args.depthwise,
        min_kernel=args.min_kernel,
        progress=progress,
    )
    written = []
    for name, frame in (("rmse_layers.csv", result.layers), ("rmse_models.csv", result.models)):
        frame = frame.assign(unverified_neural_data=note.startswith("UNVERIFIED"))
        _write_csv(frame, out / name)
        written.append(out / name)
    if pairs:
        grouping = "cell_class" if "cell_class" in args.groupings else args.groupings[0]
        fig = figures.fig2a_neurn_vs_plain(result.models, pairs, grouping, note=note, labels=labels)
        written.append(save_figure(fig, out / "fig2a_rmse_neurn_vs_plain.png"))
    else:
        print("fig2a skipped: no NeuRN/plain pair among the models", file=sys.stderr)
    if "area_cre_line" in args.groupings:
        fig = figures.fig2b_area_genotype(result.models, note=note, labels=labels)
        written.append(save_figure(fig, out / "fig2b_rmse_area_genotype.png"))
    if result.kde_values:
        fig = figures.fig3_kde(result.kde_values, result.layers, note=note, labels=labels)
        written.append(save_figure(fig, out / "fig3_kde.png"))
    return written, result.models


def _population(args, models, rsms, pairs, labels, progress: bool):
    """The population RSA: its files, the pairs' comparisons and the intervals' coverage."""
    import pandas as pd

    from neurn_keras.cortex import figures
    from neurn_keras.cortex.rsa import rsa_analysis
    from neurn_keras.files import save_figure

    out = args.output
    rsa = rsa_analysis(
        models,
        rsms,
        n_boot=args.n_boot,
        seed=args.seed,
        depthwise=args.depthwise,
        progress=progress,
    )
    comparisons = [rsa.compare(w, wo) for w, wo in pairs]
    tables = {
        "rsa_layers.csv": rsa.layers,
        "rsa_best.csv": rsa.best,
        "rsa_pairs.csv": pd.concat(comparisons, ignore_index=True)
        if comparisons
        else pd.DataFrame(columns=["with_model", "without_model", "group", "difference"]),
    }
    written = []
    for name, frame in tables.items():
        _write_csv(frame, out / name)
        written.append(out / name)
    charts = {
        "rsa_by_area.png": figures.rsa_chart(rsa.best, ci=rsa.coverage, labels=labels),
        "rsa_by_layer.png": figures.rsa_layers_chart(rsa.layers, labels=labels),
    }
    for name, chart in charts.items():
        written.append(save_figure(chart, out / name))
    if comparisons:
        chart = figures.rsa_pairs_chart(tables["rsa_pairs.csv"], labels=labels)
        written.append(save_figure(chart, out / "rsa_pairs.png"))
    return written, tables["rsa_pairs.csv"], rsa.coverage


def pair_summary(pair, groupings, rmse_models=None, rsa_pairs=None, coverage=0.95) -> str:
    """One line: the pair's headline numbers, NeuRN against plain, from what was computed.

    RSA: the best-layer Spearman r averaged over the cortex groups (``rsa_pairs.csv``'s
    ``mean`` row), its paired-bootstrap interval and p. Single cells: RMSE and KDE-IoU
    averaged over the model's layers, for all cells (else the mean over the first
    grouping's groups).
    """
    with_label, without_label = pair
    parts = []
    if rsa_pairs is not None:
        row = rsa_pairs[
            (rsa_pairs["with_model"] == with_label)
            & (rsa_pairs["without_model"] == without_label)
            & (rsa_pairs["group"] == "mean")
        ].iloc[0]
        parts.append(
            f"RSA {row['with']:.3f} vs {row['without']:.3f} (best layer, mean over cortex "
            f"groups; difference {row['difference']:+.3f}, {coverage:.0%} CI "
            f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}], p = {row['p_two_sided']:.2g})"
        )
    if rmse_models is not None:
        grouping = "all" if "all" in groupings else groupings[0]
        scores = (
            rmse_models[rmse_models["grouping"] == grouping]
            .groupby("model")[["rmse_best", "kde_iou"]]
            .mean()
        )
        cells = "all cells" if grouping == "all" else f"mean over {grouping} groups"
        for column, name in (("rmse_best", "RMSE"), ("kde_iou", "KDE-IoU")):
            with_value, without_value = (scores.loc[label, column] for label in pair)
            parts.append(
                f"{name} {with_value:.3f} vs {without_value:.3f} ({cells}; "
                f"difference {with_value - without_value:+.3f})"
            )
    return f"pair {with_label} vs {without_label} (NeuRN vs plain): " + "; ".join(parts)


def run(args) -> list[Path]:
    """Run the analyses of the parsed arguments; returns the files written.

    On stderr: one warning line per difference within a pair other than NeuRN (before
    the analyses), then one summary line per pair. Progress bars only on a terminal.
    """
    import matplotlib

    matplotlib.use("Agg")

    from neurn_keras.cortex.labels import short_labels
    from neurn_keras.cortex.models import pair_differences

    models, neural, rsms, pairs, paths = _inputs(args)
    for pair in pairs:
        for difference in pair_differences(pair, models, paths):
            line = f"warning: pair {pair[0]} vs {pair[1]} differs beyond NeuRN: {difference}"
            print(line, file=sys.stderr)
    progress = not args.quiet and sys.stderr.isatty()
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    note = neural.note if neural is not None else ""
    labels = short_labels(models)
    settings = {
        "arguments": {k: v for k, v in vars(args).items()},
        "models": list(models),
        "figure_labels": labels,
        "pairs": pairs,
        "neural_note": note,
        "unverified_neural_data": note.startswith("UNVERIFIED"),
    }
    _write_json(settings, out / "settings.json")
    written = [out / "settings.json"]
    rmse_models = rsa_pairs = None
    coverage = 0.95
    if neural is not None:
        files, rmse_models = _single_cells(args, models, neural, pairs, labels, progress)
        written += files
    if rsms is not None:
        files, rsa_pairs, coverage = _population(args, models, rsms, pairs, labels, progress)
        written += files
    for pair in pairs:
        summary = pair_summary(pair, args.groupings, rmse_models, rsa_pairs, coverage)
        print(summary, file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        for path in run(args):
            print(path)
        return 0

    return run_cli(PROG, body, interrupted="files written so far are complete")


if __name__ == "__main__":
    sys.exit(main())
