"""Alignment with mouse visual cortex: does NeuRN move a network closer to the cortex RDMs?

For each architecture and seed, the same network is built with and without NeuRN from the
same seed (so both start from identical kernels), and analysed twice: untrained
(``weights=None``, a control) and after a short training on real MNIST. Every NeuRN and
Conv2D layer's RDM over the 118 natural scenes is compared with the 21 area × layer cortex
RDMs (Spearman r); the bootstrap over scenes uses the same resamples for every model, so
NeuRN − plain differences are paired and seeds are averaged inside each resample. The
single-cell RMSE / KDE-IoU analysis runs on the UNVERIFIED demonstration data only, and is
labelled so.

    python -m benchmarks.alignment_results                 # measure (about 10 min), the page
    python -m benchmarks.alignment_results --quick         # 1 seed, 100 resamples, smoke check
    python -m benchmarks.alignment_results --report-only   # the page from what was measured
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from benchmarks.results import (
    README,
    RESULTS,
    markdown_table,
    write_figure,
    write_page,
    write_section,
)
from neurn_keras import applications, cortex, datasets, neuro
from neurn_keras.cortex import figures
from neurn_keras.cortex.labels import short_labels
from neurn_keras.files import atomic_write, atomic_write_text

PAGE = RESULTS / "alignment.md"
FIGURES = RESULTS / "alignment"
CONDITIONS = ("untrained", "mnist")
DEMO_HEADER = [
    "model",
    "layer",
    "kernel",
    "maps",
    "kept",
    "cells",
    "RMSE best",
    "RMSE pairs",
    "KDE-IoU",
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="only write the page, its figures and sections, from docs/results/alignment/",
    )
    p.add_argument("--archs", nargs="+", default=["digitnet", "mobilenetv2"])
    p.add_argument(
        "--trained-archs",
        nargs="*",
        default=["digitnet"],
        help="architectures also trained on MNIST (MobileNetV2's BatchNorm statistics do not "
        "settle in a short CPU training: chance test accuracy after 1 epoch on 10k images)",
    )
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--train-images", type=int, default=10000, help="MNIST training images")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--quick", action="store_true", help="1 seed, 100 resamples, 2000 images")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.n_boot, args.train_images = 1, 100, 2000
    return args


def label(arch: str, condition: str, seed: int, neurn: bool) -> str:
    return f"{arch}-{condition}-s{seed}-{'neurn' if neurn else 'plain'}"


def build_models(args) -> tuple[dict, pd.DataFrame]:
    """All models, and a table of how each was made (training accuracy, test accuracy)."""
    unknown = sorted(set(args.trained_archs) - set(args.archs))
    if unknown:
        raise SystemExit(f"--trained-archs {unknown} are not in --archs {args.archs}")
    x, y = datasets.load_domain("mnist", "train", limit=args.train_images)
    x_test, y_test = datasets.load_domain("mnist", "test", limit=2000)
    models, rows = {}, []
    for arch in args.archs:
        for seed in range(args.seeds):
            for neurn in (True, False):
                keras.utils.set_random_seed(seed)
                model = applications.build_model(arch, neurn=neurn, input_shape=(32, 32, 3))
                models[label(arch, "untrained", seed, neurn)] = model
                if arch not in args.trained_archs:
                    continue
                trained = keras.models.clone_model(model)
                trained.set_weights(model.get_weights())  # the same start as the untrained one
                trained.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
                start = time.perf_counter()
                keras.utils.set_random_seed(seed)
                trained.fit(
                    datasets.prepare(x, (32, 32, 3)),
                    y,
                    epochs=args.epochs,
                    batch_size=64,
                    verbose=0,
                )
                accuracy = trained.evaluate(
                    datasets.prepare(x_test, (32, 32, 3)), y_test, verbose=0
                )[1]
                models[label(arch, "mnist", seed, neurn)] = trained
                rows.append(
                    {
                        "arch": arch,
                        "seed": seed,
                        "neurn": neurn,
                        "mnist_test_accuracy": accuracy,
                        "train_seconds": time.perf_counter() - start,
                    }
                )
                print(f"{label(arch, 'mnist', seed, neurn)}: MNIST test accuracy {accuracy:.3f}")
    return models, pd.DataFrame(rows)


def same_start(models, args) -> bool:
    """Whether each untrained NeuRN / plain pair has identical Conv2D kernels."""
    for arch in args.archs:
        for seed in range(args.seeds):
            a = cortex.feature_representations(models[label(arch, "untrained", seed, True)])
            b = cortex.feature_representations(models[label(arch, "untrained", seed, False)])
            if list(a) != list(b) or not all(np.array_equal(a[k], b[k]) for k in a):
                return False
    return True


def seed_averaged(rsa, arch: str, condition: str, seeds: int) -> pd.DataFrame:
    """NeuRN − plain best-layer r per group and its mean over groups, averaged over seeds
    inside each bootstrap resample (intervals: scene sampling; seed spread reported apart)."""
    points, boots, per_seed = [], [], []
    for seed in range(seeds):
        w_point, w_boot = rsa.best_samples(label(arch, condition, seed, True))
        p_point, p_boot = rsa.best_samples(label(arch, condition, seed, False))
        points.append((w_point, p_point))
        boots.append(w_boot - p_boot)
        per_seed.append(float(np.mean(w_point - p_point)))
    with_point = np.mean([w for w, _ in points], axis=0)
    without_point = np.mean([p for _, p in points], axis=0)
    diff_boot = np.mean(boots, axis=0)  # (groups, n_boot)
    rows = []
    names = [*rsa.groups, "mean"]
    withs = [*with_point, with_point.mean()]
    withouts = [*without_point, without_point.mean()]
    diffs = [*diff_boot, diff_boot.mean(axis=0)]
    for group, w, p, boot in zip(names, withs, withouts, diffs, strict=True):
        low, high = np.quantile(boot, [0.025, 0.975])
        rows.append(
            {
                "with_model": f"{arch} {condition}",
                "without_model": "plain",
                "group": group,
                "with": w,
                "without": p,
                "difference": w - p,
                "ci_low": low,
                "ci_high": high,
            }
        )
    table = pd.DataFrame(rows)
    table.attrs["per_seed"] = per_seed
    return table


def conclusion(comparisons: list[pd.DataFrame]) -> str:
    """One sentence per condition, read off the numbers: direction and whether the
    interval of the mean difference excludes 0."""
    parts = []
    for table in comparisons:
        mean = table.set_index("group").loc["mean"]
        name = table["with_model"].iloc[0]
        direction = "closer to" if mean["difference"] > 0 else "further from"
        sure = (mean["ci_low"] > 0) or (mean["ci_high"] < 0)
        parts.append(
            f"{name}: NeuRN {direction} cortex on average "
            + ("(interval excludes 0)" if sure else "(interval includes 0: no evidence either way)")
        )
    return "**In short:** " + "; ".join(parts) + "."


def fmt(value: float, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if value < 0 or value > 0 else f"{value:.{digits}f}"


def rsa_section(data: dict, args) -> tuple[str, list[pd.DataFrame], list[list[str]]]:
    """The summary table (one row per architecture and condition) and the scale line."""
    made, summary = data["made"], []
    for table in data["comparisons"]:
        arch, condition = table["with_model"].iloc[0].split(" ")
        mean = table.set_index("group").loc["mean"]
        per_group = table[table["group"] != "mean"]
        accuracy = "–"
        if condition == "mnist":
            acc = made[made["arch"] == arch].groupby("neurn")["mnist_test_accuracy"].mean()
            accuracy = f"{acc[True]:.3f} / {acc[False]:.3f}"
        summary.append(
            [arch, condition, accuracy, f"{mean['with']:.3f}", f"{mean['without']:.3f}",
             f"{fmt(mean['difference'])} [{fmt(mean['ci_low'])}, {fmt(mean['ci_high'])}]",
             ", ".join(fmt(d) for d in table.attrs["per_seed"]),
             f"{(per_group['ci_low'] > 0).sum()} / {(per_group['ci_high'] < 0).sum()}"]
        )  # fmt: skip
    header = ["architecture", "weights", "MNIST test acc. (NeuRN / plain)", "r with NeuRN",
              "r plain", "Δ r [95% CI]", "Δ r per seed",
              "groups Δ>0 / Δ<0 (CI excl. 0)"]  # fmt: skip
    text = markdown_table(header, summary) + "\n\n" + conclusion(data["comparisons"])
    ceiling = data["ceiling"]
    context = (
        f"For scale: the scenes' own pixels reach a mean r of {data['pixels_mean']:.3f}; the "
        f"groups' noise ceilings average {ceiling['mean']:.3f} (from {ceiling['min']:.3f} for "
        f"VISrl L5 to {ceiling['max']:.3f})."
    )
    return text + "\n\n" + context, data["comparisons"], summary


MEASURED = FIGURES / "measured.json"
KDE = FIGURES / "kde_unverified.npz"
"""What ``measure`` keeps for the page: everything it says, in small files, so that the
page, its figures and the README section rebuild without the data or the models."""


def frame_records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", double_precision=6))


def measure(args) -> None:
    """Builds and trains the models, runs the RSA and the single-cell demonstration, and
    writes what the page needs into ``docs/results/alignment/``."""
    from neurn_keras.environment import versions

    start = time.perf_counter()
    rsms = neuro.load_scene_rsms()
    models, made = build_models(args)
    identical = same_start(models, args)
    rsa = cortex.rsa_analysis(models, rsms, n_boot=args.n_boot, seed=0)
    columns = ["model", "layer", "layer_index", "group", "spearman", "ci_low", "ci_high"]
    layers = rsa.layers[columns].round(4)
    atomic_write(FIGURES / "rsa_layers.csv", lambda tmp: layers.to_csv(tmp, index=False))
    comparisons = []
    for arch in args.archs:
        for condition in CONDITIONS:
            if condition == "mnist" and arch not in args.trained_archs:
                continue
            table = seed_averaged(rsa, arch, condition, args.seeds)
            comparisons.append({"rows": frame_records(table), "per_seed": table.attrs["per_seed"]})
    first = args.archs[0]
    shown = [label(first, "mnist", 0, True), label(first, "mnist", 0, False), "pixels"]
    labels = short_labels({k: models[k] for k in shown[:2]})
    cells = neuro.load_unverified_responses(warn=False)
    demo = cortex.rmse_analysis({k: models[k] for k in shown[:2]}, cells,
                                groupings=("cell_class",), seed=0)  # fmt: skip
    arrays = {}
    for index, (neural, kernel, _) in enumerate(demo.kde_values.values()):
        arrays[f"{index}_neural"], arrays[f"{index}_kernel"] = neural, kernel
    atomic_write(KDE, lambda tmp: np.savez_compressed(tmp, **arrays), suffix=".npz")
    ceiling = rsms.groups.set_index("group")["noise_ceiling"]
    best = rsa.best
    measured = {
        "settings": {key: getattr(args, key) for key in
                     ("archs", "trained_archs", "seeds", "train_images", "epochs", "n_boot")},
        "identical_start": identical,
        "made": frame_records(made),
        "comparisons": comparisons,
        "pixels_mean": float(best[best["model"] == "pixels"]["spearman"].mean()),
        "ceiling": {"mean": float(ceiling.mean()), "min": float(ceiling.min()),
                    "max": float(ceiling.max())},
        "best_shown": frame_records(best[best["model"].isin(shown)]),
        "coverage": rsa.coverage,
        "shown": shown,
        "labels": labels,
        "demo_layers": frame_records(demo.layers),
        "demo_note": demo.note,
        "kde": [[model, group, layer] for (model, group), (_, _, layer) in demo.kde_values.items()],
        "minutes": round((time.perf_counter() - start) / 60, 1),
        "versions": versions(),
        "platform": f"{platform.platform()}; {platform.processor() or platform.machine()}",
    }  # fmt: skip
    atomic_write_text(MEASURED, json.dumps(measured, indent=1, sort_keys=True) + "\n")


def load_measured() -> dict:
    """``measured.json`` with its tables as DataFrames and the KDE values back."""
    data = json.loads(MEASURED.read_text(encoding="utf-8"))
    data["made"] = pd.DataFrame(data["made"])
    tables = []
    for item in data["comparisons"]:
        table = pd.DataFrame(item["rows"])
        table.attrs["per_seed"] = item["per_seed"]
        tables.append(table)
    data["comparisons"] = tables
    data["best_shown"] = pd.DataFrame(data["best_shown"])
    data["demo_layers"] = pd.DataFrame(data["demo_layers"])
    with np.load(KDE) as arrays:
        data["kde_values"] = {
            (model, group): (arrays[f"{i}_neural"], arrays[f"{i}_kernel"], layer)
            for i, (model, group, layer) in enumerate(data["kde"])
        }
    return data


def write_figures(data: dict) -> None:
    settings = data["settings"]
    chart = pd.concat(data["comparisons"], ignore_index=True)
    title = f"Does NeuRN move the network closer to cortex? (mean of {settings['seeds']} seeds)"
    write_figure(figures.rsa_pairs_chart(chart, title=title), FIGURES / "rsa_pairs.png")
    first = settings["archs"][0]
    write_figure(
        figures.rsa_chart(
            data["best_shown"], ci=data["coverage"], labels=data["labels"],
            title=f"RSA with mouse visual cortex: {first} after MNIST training, seed 0 "
            f"({data['coverage']:.0%} bootstrap intervals over scenes)",
        ),
        FIGURES / "rsa_by_area.png",
    )  # fmt: skip
    write_figure(
        figures.fig3_kde(data["kde_values"], data["demo_layers"], note=data["demo_note"],
                         labels=data["labels"]),
        FIGURES / "fig3_kde_unverified.png",
    )  # fmt: skip


def report() -> None:
    """The page, its figures and the README section, from ``docs/results/alignment/``."""
    data = load_measured()
    settings = argparse.Namespace(**data["settings"])
    table, _, summary = rsa_section(data, settings)
    write_figures(data)
    shown = data["shown"]
    demo_rows = [
        [r.model, r.layer, r.kernel, r.n_maps, r.n_maps_kept, r.n_cells, f"{r.rmse_best:.4f}",
         f"{r.rmse_mean_pairs:.4f}", f"{r.kde_iou:.3f}"]
        for r in data["demo_layers"].itertuples()
    ]  # fmt: skip
    body = page_text(settings, data, table, shown, markdown_table(DEMO_HEADER, demo_rows))
    write_page(PAGE, "Alignment with mouse visual cortex (RSA)", body,
               [(data["versions"], data["platform"])])  # fmt: skip
    short = table.split("\n\n")[1]  # the "In short" sentence
    write_section(README, "alignment", readme_section(summary, short, settings))


def page_text(args, data: dict, table: str, shown: list[str], demo: str) -> str:
    first = args.archs[0]
    return f"""
**Question.** Does putting NeuRN in front of a network make its layers' representation of
natural scenes more like mouse visual cortex? Measured by population RSA against the 21
area × layer RDMs of the Allen Brain Observatory (Conwell et al. 2021), 118 scenes.

**Setup.** Architectures: {", ".join(args.archs)} (`applications.build_model`, input 32×32×3,
raw pixels). Seeds 0..{args.seeds - 1}; for each seed the NeuRN and plain networks start
from the same weights (identical Conv2D kernels: {"yes" if data["identical_start"] else "NO"}).
*untrained*: `weights=None`, a control. *mnist* ({", ".join(args.trained_archs) or "none"}):
{args.epochs} epoch(s) of Adam (batch 64) on the first {args.train_images} real MNIST
training images (prepared to 32×32×3), test accuracy on 2000 MNIST test images.
MobileNetV2 is analysed untrained only: in a trial run its BatchNorm statistics had not
settled after one such epoch (test accuracy at chance), so its "trained" activations would
mean little. Scores: each model's best layer (NeuRN or Conv2D output) per
group; {args.n_boot} bootstrap resamples of the scenes shared by all models, seeds averaged
inside each resample (so the intervals reflect scene sampling; the per-seed column shows
the seed spread). Δ r = with NeuRN − plain, mean over the 21 groups.

{table}

![NeuRN minus plain per group](alignment/rsa_pairs.png)

Best layer per group for {first}, seed 0, after MNIST training, with the pixel baseline and
noise ceilings:

![RSA by area](alignment/rsa_by_area.png)

All layer scores: [alignment/rsa_layers.csv](alignment/rsa_layers.csv); what this page is
made from: [alignment/measured.json](alignment/measured.json).

**Reading.** These are short trainings of small networks on digits, and untrained
controls; the scores sit far below the noise ceilings. A Δ whose interval includes 0 is
not evidence either way, and per-seed values that change sign mean the seed matters more
than NeuRN. Untrained pairs share their kernels, so their Δ isolates NeuRN's input
transform.

### Single cells: UNVERIFIED demonstration only

The one per-cell data set here (`abo_psailamul_responses_UNVERIFIED.npz`, 212 VISp Cux2
cells) failed the data manifest's consistency checks, so these numbers show the method
working, not a finding. Models: {shown[0]} and {shown[1]}; 10 × 50 representatives, min-max
scaled maps, centred neural maps.

{demo}

![KDE overlays, UNVERIFIED data](alignment/fig3_kde_unverified.png)

Run time of the measurement: {data["minutes"]:.1f} min.
"""


def readme_section(summary: list[list[str]], short: str, args) -> str:
    rows = [[r[0], r[1], r[3], r[4], r[5]] for r in summary]
    header = ["architecture", "weights", "r with NeuRN", "r plain", "Δ r [95% CI]"]
    return (
        "Does NeuRN move a network closer to cortex? RSA, mean over 21 area × layer groups "
        f"of the best layer's Spearman r ({args.seeds} seeds, {args.n_boot} scene resamples; "
        "*untrained*: `weights=None`, NeuRN and plain from the same initial kernels; "
        f"*mnist*: {args.epochs} epoch(s) on {args.train_images} MNIST images); details, "
        "per-group results and the single-cell demonstration in "
        "[docs/results/alignment.md](docs/results/alignment.md) and "
        "[docs/alignment.md](docs/alignment.md):\n\n"
        + markdown_table(header, rows)
        + "\n\n"
        + short
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.report_only:
        FIGURES.mkdir(parents=True, exist_ok=True)
        measure(args)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
