"""Alignment with mouse visual cortex: does NeuRN move a network closer to the cortex RDMs?

For each architecture and seed, the same network is built with and without NeuRN from the
same seed (so both start from identical kernels), and analysed twice: untrained
(``weights=None``, a control) and after a short training on real MNIST. Every NeuRN and
Conv2D layer's RDM over the 118 natural scenes is compared with the 21 area × layer cortex
RDMs (Spearman r); the bootstrap over scenes uses the same resamples for every model, so
NeuRN − plain differences are paired and seeds are averaged inside each resample. The
single-cell RMSE / KDE-IoU analysis runs on the UNVERIFIED demonstration data only, and is
labelled so.

    python -m benchmarks.alignment_results                 # writes docs/results/alignment.md
    python -m benchmarks.alignment_results --quick         # 1 seed, 100 resamples, smoke check
    python -m benchmarks.alignment_results --update-readme # also the README's alignment section
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)
from neurn_keras import applications, cortex, datasets, neuro
from neurn_keras.cortex import figures
from neurn_keras.cortex.labels import short_labels
from neurn_keras.files import atomic_write

PAGE = ROOT / "docs" / "results" / "alignment.md"
FIGURES = ROOT / "docs" / "results" / "alignment"
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


def parse_args():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
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
    p.add_argument("--update-readme", action="store_true")
    args = p.parse_args()
    if args.update_readme:
        check_readme_section("alignment")
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


def rsa_section(
    rsa, rsms, args, made: pd.DataFrame
) -> tuple[str, list[pd.DataFrame], list[list[str]]]:
    best = rsa.best
    pixels = best[best["model"] == "pixels"].set_index("group")["spearman"]
    ceiling = rsms.groups.set_index("group")["noise_ceiling"]
    summary, comparisons = [], []
    for arch in args.archs:
        for condition in CONDITIONS:
            if condition == "mnist" and arch not in args.trained_archs:
                continue
            table = seed_averaged(rsa, arch, condition, args.seeds)
            comparisons.append(table)
            mean = table.set_index("group").loc["mean"]
            per_group = table[table["group"] != "mean"]
            accuracy = ""
            if condition == "mnist":
                acc = made[made["arch"] == arch].groupby("neurn")["mnist_test_accuracy"].mean()
                accuracy = f"{acc[True]:.3f} / {acc[False]:.3f}"
            summary.append(
                [
                    arch,
                    condition,
                    accuracy or "–",
                    f"{mean['with']:.3f}",
                    f"{mean['without']:.3f}",
                    f"{fmt(mean['difference'])} [{fmt(mean['ci_low'])}, {fmt(mean['ci_high'])}]",
                    ", ".join(fmt(d) for d in table.attrs["per_seed"]),
                    f"{(per_group['ci_low'] > 0).sum()} / {(per_group['ci_high'] < 0).sum()}",
                ]
            )
    header = [
        "architecture",
        "weights",
        "MNIST test acc. (NeuRN / plain)",
        "r with NeuRN",
        "r plain",
        "Δ r [95% CI]",
        "Δ r per seed",
        "groups Δ>0 / Δ<0 (CI excl. 0)",
    ]
    text = markdown_table(header, summary) + "\n\n" + conclusion(comparisons)
    context = (
        f"For scale: the scenes' own pixels reach a mean r of {pixels.mean():.3f}; the groups' "
        f"noise ceilings average {ceiling.mean():.3f} (from {ceiling.min():.3f} for VISrl L5 to "
        f"{ceiling.max():.3f})."
    )
    return text + "\n\n" + context, comparisons, summary


def main() -> None:
    args = parse_args()
    FIGURES.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rsms = neuro.load_scene_rsms()
    models, made = build_models(args)
    identical = same_start(models, args)
    rsa = cortex.rsa_analysis(models, rsms, n_boot=args.n_boot, seed=0)
    columns = ["model", "layer", "layer_index", "group", "spearman", "ci_low", "ci_high"]
    layers = rsa.layers[columns].round(4)
    atomic_write(FIGURES / "rsa_layers.csv", lambda tmp: layers.to_csv(tmp, index=False))
    table, comparisons, summary = rsa_section(rsa, rsms, args, made)

    chart = pd.concat(comparisons, ignore_index=True)
    figures.save_figure(
        figures.rsa_pairs_chart(
            chart,
            title=f"Does NeuRN move the network closer to cortex? (mean of {args.seeds} seeds)",
        ),
        FIGURES / "rsa_pairs.png",
    )
    first = args.archs[0]
    shown = [label(first, "mnist", 0, True), label(first, "mnist", 0, False), "pixels"]
    labels = short_labels({k: models[k] for k in shown[:2]})
    figures.save_figure(
        figures.rsa_chart(
            rsa.best[rsa.best["model"].isin(shown)],
            ci=rsa.coverage,
            labels=labels,
            title=f"RSA with mouse visual cortex: {first} after MNIST training, seed 0 "
            f"({rsa.coverage:.0%} bootstrap intervals over scenes)",
        ),
        FIGURES / "rsa_by_area.png",
    )

    cells = neuro.load_unverified_responses(warn=False)
    pair = {k: models[k] for k in shown[:2]}
    demo = cortex.rmse_analysis(pair, cells, groupings=("cell_class",), seed=0)
    figures.save_figure(
        figures.fig3_kde(demo.kde_values, demo.layers, note=demo.note, labels=labels),
        FIGURES / "fig3_kde_unverified.png",
    )
    demo_rows = [
        [
            r.model,
            r.layer,
            r.kernel,
            r.n_maps,
            r.n_maps_kept,
            r.n_cells,
            f"{r.rmse_best:.4f}",
            f"{r.rmse_mean_pairs:.4f}",
            f"{r.kde_iou:.3f}",
        ]
        for r in demo.layers.itertuples()
    ]
    minutes = (time.perf_counter() - start) / 60

    body = f"""
**Question.** Does putting NeuRN in front of a network make its layers' representation of
natural scenes more like mouse visual cortex? Measured by population RSA against the 21
area × layer RDMs of the Allen Brain Observatory (Conwell et al. 2021), 118 scenes.

**Setup.** Architectures: {", ".join(args.archs)} (`applications.build_model`, input 32×32×3,
raw pixels). Seeds 0..{args.seeds - 1}; for each seed the NeuRN and plain networks start
from the same weights (identical Conv2D kernels: {"yes" if identical else "NO"}).
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

All layer scores: [alignment/rsa_layers.csv](alignment/rsa_layers.csv).

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

{markdown_table(DEMO_HEADER, demo_rows)}

![KDE overlays, UNVERIFIED data](alignment/fig3_kde_unverified.png)

Run time: {minutes:.1f} min.
"""
    write_page(PAGE, "Alignment with mouse visual cortex (RSA)", body)
    print(f"wrote {PAGE}")
    if args.update_readme:
        short = table.split("\n\n")[1]  # the "In short" sentence
        replace_readme_section("alignment", readme_section(summary, short, args))
        print("updated README.md (alignment section)")


def readme_section(summary: list[list[str]], short: str, args) -> str:
    rows = [[r[0], r[1], r[3], r[4], r[5]] for r in summary]
    header = ["architecture", "weights", "r with NeuRN", "r plain", "Δ r [95% CI]"]
    table = markdown_table(header, rows) + "\n\n" + short
    return f"""## Alignment with mouse visual cortex

`neurn_keras.neuro` reads Allen Brain Observatory natural-scenes data (NWB 1.x files with
`h5py`, a compact `.npz` + `.csv` format, Cre line → excitatory / inhibitory);
`neurn_keras.cortex` compares networks with it: kernel and cell maps, UMAP + KMeans
sampling, RMSE, KDE-IoU, and population RSA with bootstrap intervals and noise ceilings.

```
python -m neurn_keras.cortex --model runs/a_neurn --model runs/a --output runs/cortex
python -m neurn_keras.neuro from-nwb ophys_*.nwb --output runs/cells.npz   # per-cell data
python -m neurn_keras.cortex --model A.keras --model B.keras --neural runs/cells.npz \\
    --output runs/cortex_cells
```

Does NeuRN move a network closer to cortex? RSA, mean over 21 area × layer groups of the
best layer's Spearman r ({args.seeds} seeds, {args.n_boot} scene resamples; *untrained*:
`weights=None`, NeuRN and plain from the same initial kernels; *mnist*: {args.epochs}
epoch(s) on {args.train_images} MNIST images); details, per-group results and the
single-cell demonstration in
[docs/results/alignment.md](docs/results/alignment.md) and [docs/alignment.md](docs/alignment.md):

{table}
"""


if __name__ == "__main__":
    main()
