"""The figures: Fig. 2A and 2B (RMSE), Fig. 3 (KDE overlays) and the RSA charts, with seaborn.

Models are keyed by file stem or run-directory name; pass ``labels`` (key -> short label,
from :func:`neurn_keras.cortex.labels.short_labels`) to show the backbone and its NeuRN
settings in legends and titles instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from neurn_keras.cortex.labels import PIXELS, display
from neurn_keras.errors import InvalidValueError
from neurn_keras.files import save_figure
from neurn_keras.neuro.allen_files import LAYER_LABELS

Labels = Mapping[str, str] | None

__all__ = [
    "fig2a_neurn_vs_plain",
    "fig2b_area_genotype",
    "fig3_kde",
    "group_label",
    "rsa_chart",
    "rsa_layers_chart",
    "rsa_pairs_chart",
    "save_figure",
]

UNVERIFIED_BANNER = "UNVERIFIED neural data: demonstration only"


def _banner(fig, note: str) -> None:
    """Mark a figure made from UNVERIFIED data, in red below the plots."""
    if note.startswith("UNVERIFIED"):
        fig.text(
            0.5,
            -0.01,
            UNVERIFIED_BANNER,
            ha="center",
            va="top",
            color="firebrick",
            fontsize=11,
            fontweight="bold",
        )


def group_label(group: str) -> str:
    """``"VISp_layer23"`` -> ``"VISp L2/3"``; ``"mean"`` -> ``"mean of groups"``."""
    if group == "mean":
        return "mean of groups"
    area, _, layer = group.partition("_")
    return f"{area} {LAYER_LABELS[layer]}" if layer in LAYER_LABELS else group


def fig2a_neurn_vs_plain(
    models: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    grouping: str = "cell_class",
    note: str = "",
    labels: Labels = None,
):
    """Figure 2A: each group's RMSE with NeuRN against without, one point per pair and group.

    ``models`` is ``RMSEAnalysis.models``. Points below the diagonal: the NeuRN model's
    kernels are closer to the cells' maps.
    """
    pair_column = "NeuRN model / plain model"
    group_column = grouping.replace("_", " ")
    table = models[models["grouping"] == grouping].set_index(["model", "group"])["rmse_best"]
    rows = []
    for with_label, without_label in pairs:
        pair = f"{display(with_label, labels)} / {display(without_label, labels)}"
        for group in sorted(set(table.loc[with_label].index) & set(table.loc[without_label].index)):
            rows.append(
                {
                    pair_column: pair,
                    group_column: group,
                    "without NeuRN": table.loc[(without_label, group)],
                    "with NeuRN": table.loc[(with_label, group)],
                }
            )
    if not rows:
        raise InvalidValueError("fig2a_neurn_vs_plain: no (NeuRN, plain) pair with scores to plot")
    frame = pd.DataFrame(rows)
    fig, ax = plt.subplots(figsize=(6, 5.5))
    sns.scatterplot(
        frame, x="without NeuRN", y="with NeuRN", hue=pair_column, style=group_column, s=90, ax=ax
    )
    values = frame[["without NeuRN", "with NeuRN"]].to_numpy()
    low, high = values.min(), values.max()
    pad = 0.05 * (high - low or 1.0)
    ax.plot(
        [low - pad, high + pad],
        [low - pad, high + pad],
        color="0.4",
        ls="--",
        lw=1,
        label="equal RMSE",
    )
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("RMSE without NeuRN (cells vs best kernel, mean over layers)")
    ax.set_ylabel("RMSE with NeuRN (cells vs best kernel, mean over layers)")
    ax.set_title(
        f"Fig. 2A: RMSE with and without NeuRN, cells by {group_column}\n"
        "(below the diagonal: NeuRN kernels match the cells better)"
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    _banner(fig, note)
    return fig


def fig2b_area_genotype(models: pd.DataFrame, note: str = "", labels: Labels = None):
    """Figure 2B: RMSE by area (x) and Cre line (colour), one panel per model."""
    frame = models[models["grouping"] == "area_cre_line"].copy()
    frame["model"] = [display(m, labels) for m in frame["model"]]
    if frame.empty:
        raise InvalidValueError("fig2b_area_genotype: no 'area_cre_line' grouping in the scores")
    frame[["area", "Cre line"]] = frame["group"].str.split("/", n=1, expand=True)
    grid = sns.catplot(
        frame,
        kind="bar",
        x="area",
        y="rmse_best",
        hue="Cre line",
        col="model",
        col_wrap=min(3, frame["model"].nunique()),
        height=3.6,
        aspect=1.1,
        errorbar=None,
    )
    grid.set_axis_labels("visual area", "RMSE (cells vs best kernel)")
    grid.set_titles("{col_name}")
    grid.figure.suptitle("Fig. 2B: RMSE of cells vs best kernel, by area and Cre line", y=1.04)
    _banner(grid.figure, note)
    return grid.figure


def fig3_kde(
    kde_values: dict, scores: pd.DataFrame | None = None, note: str = "", labels: Labels = None
):
    """Figure 3: densities of normalized cell-map values and kernel values, per model and
    cell class, for each model's first analysed layer; panels give the KDE-IoU."""
    if not kde_values:
        raise InvalidValueError("fig3_kde: no values to plot")
    models = list(dict.fromkeys(m for m, _ in kde_values))
    groups = list(dict.fromkeys(g for _, g in kde_values))
    fig, axes = plt.subplots(
        len(groups),
        len(models),
        figsize=(3.4 * len(models), 2.8 * len(groups)),
        squeeze=False,
        sharex=True,
    )
    palette = sns.color_palette("colorblind", 2)
    for r, group in enumerate(groups):
        for c, model in enumerate(models):
            ax = axes[r, c]
            if (model, group) not in kde_values:
                ax.set_visible(False)
                continue
            neural, kernel, layer = kde_values[(model, group)]
            sns.kdeplot(neural, ax=ax, color=palette[0], fill=True, alpha=0.3, label="cells")
            sns.kdeplot(kernel, ax=ax, color=palette[1], fill=True, alpha=0.3, label="kernels")
            iou = _iou(scores, model, layer, group)
            ax.set_title(
                f"{display(model, labels)}\n{layer} · {group}"
                + (f" · IoU {iou:.2f}" if iou else ""),
                fontsize=9,
            )
            ax.set_xlabel("normalized value")
            ax.set_ylabel("density" if c == 0 else "")
            if r == 0 and c == 0:
                ax.legend(fontsize=8)
    fig.suptitle(
        "Fig. 3: value densities of cell maps and kernel maps\n"
        "(each model's first layer; IoU: overlap of the two densities)",
        y=1.02,
    )
    fig.tight_layout()
    _banner(fig, note)
    return fig


def _iou(scores, model, layer, group):
    if scores is None:
        return None
    hit = scores[
        (scores["model"] == model) & (scores["layer"] == layer) & (scores["group"] == group)
    ]
    return float(hit["kde_iou"].iloc[0]) if len(hit) else None


def rsa_chart(best: pd.DataFrame, title: str = "", ci: float = 0.95, labels: Labels = None):
    """The RSA chart: per area, each model's best-layer Spearman r per cortical layer, with
    bootstrap intervals, and the group's noise ceiling (black bar, ± s.e.m.)."""
    if best.empty:
        raise InvalidValueError("rsa_chart: no scores")
    areas = sorted(best["area"].unique())
    models = list(dict.fromkeys(best["model"]))
    palette = dict(zip(models, sns.color_palette("colorblind", len(models)), strict=True))
    cols = min(3, len(areas))
    rows = int(np.ceil(len(areas) / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False, sharey=True
    )
    width = 0.8 / len(models)
    for ax, area in zip(axes.ravel(), areas, strict=False):
        sub = best[best["area"] == area]
        layers = sorted(
            sub["cortical_layer"].unique(),
            key=lambda s: list(LAYER_LABELS).index(s) if s in LAYER_LABELS else 99,
        )
        for i, model in enumerate(models):
            part = sub[sub["model"] == model].set_index("cortical_layer").reindex(layers)
            x = np.arange(len(layers)) - 0.4 + width * (i + 0.5)
            y = part["spearman"].to_numpy()
            err = np.vstack([y - part["ci_low"].to_numpy(), part["ci_high"].to_numpy() - y])
            ax.bar(x, y, width, color=palette[model], label=display(model, labels))
            ax.errorbar(x, y, yerr=np.abs(err), fmt="none", ecolor="0.2", lw=1, capsize=2)
        ceiling = sub.drop_duplicates("cortical_layer").set_index("cortical_layer").reindex(layers)
        bounds = zip(ceiling["noise_ceiling"], ceiling["noise_ceiling_sem"], strict=True)
        for j, (nc, sem) in enumerate(bounds):
            ax.hlines(
                nc,
                j - 0.45,
                j + 0.45,
                color="black",
                lw=2,
                label="noise ceiling" if j == 0 else None,
            )
            ax.fill_between([j - 0.45, j + 0.45], nc - sem, nc + sem, color="0.6", alpha=0.5)
        ax.set_xticks(np.arange(len(layers)), [LAYER_LABELS.get(s, s) for s in layers])
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_title(area)
        ax.set_xlabel("cortical layer")
    for ax in axes[:, 0]:
        ax.set_ylabel("Spearman r (best model layer)")
    for ax in axes.ravel()[len(areas) :]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncol=min(4, len(labels)),
        bbox_to_anchor=(0.5, 1.0),
        fontsize=9,
    )
    fig.suptitle(
        title or f"RSA with mouse visual cortex ({ci:.0%} bootstrap intervals over scenes)", y=1.06
    )
    fig.tight_layout()
    return fig


def _merged_order(sequences: Sequence[Sequence[str]]) -> list[str]:
    """One order of all names that keeps each sequence's own order where it can.

    A name not seen yet goes right after the previous name of its sequence, so the
    layers two models share line up (``neurn, conv1, conv2`` and ``conv1, conv2``).
    """
    order: list[str] = []
    for names in sequences:
        at = 0
        for name in names:
            if name in order:
                at = order.index(name) + 1
            else:
                order.insert(at, name)
                at += 1
    return order


def rsa_layers_chart(layers: pd.DataFrame, title: str = "", labels: Labels = None):
    """Spearman r of each model layer, averaged over the cortex groups; x: the layers by
    name, input to output (layers of the same name line up across models)."""
    frame = layers[layers["model"] != PIXELS]
    mean = frame.groupby(["model", "layer_index", "layer"], sort=False)["spearman"].mean()
    mean = mean.reset_index().sort_values(["model", "layer_index"], kind="stable")
    models = list(dict.fromkeys(frame["model"]))
    per_model = {m: mean[mean["model"] == m] for m in models}
    order = _merged_order([list(part["layer"]) for part in per_model.values()])
    position = {name: i for i, name in enumerate(order)}
    palette = sns.color_palette("colorblind", max(1, len(models)))
    fig, ax = plt.subplots(figsize=(max(6.5, 0.45 * len(order) + 3), 4.2))
    for color, model in zip(palette, models, strict=False):
        part = per_model[model]
        x = [position[name] for name in part["layer"]]
        ax.plot(x, part["spearman"], marker="o", color=color, label=display(model, labels))
    pixels = layers[layers["model"] == PIXELS]["spearman"]
    if len(pixels):
        ax.axhline(pixels.mean(), color="0.3", ls="--", lw=1, label=display(PIXELS, labels))
    long_names = max((len(n) for n in order), default=0) > 6 or len(order) > 8
    ax.set_xticks(
        np.arange(len(order)),
        order,
        rotation=45 if long_names else 0,
        ha="right" if long_names else "center",
    )
    ax.set_xlabel("model layer (NeuRN and convolution outputs, input to output)")
    n_groups = layers["group"].nunique()
    ax.set_ylabel(f"Spearman r, mean over {n_groups} cortex groups")
    ax.set_title(title or "RSA with mouse visual cortex, layer by layer")
    ax.legend(fontsize=8)
    return fig


def rsa_pairs_chart(pairs: pd.DataFrame, title: str = "", labels: Labels = None):
    """NeuRN minus plain best-layer Spearman r per cortex group, with paired bootstrap
    intervals: right of 0, the NeuRN model is closer to cortex. ``pairs`` is
    ``RSAResult.compare`` output, several pairs concatenated."""
    if pairs.empty:
        raise InvalidValueError("rsa_pairs_chart: no comparisons")
    names = [
        f"{display(w, labels)} − {display(wo, labels)}"
        for w, wo in zip(pairs["with_model"], pairs["without_model"], strict=True)
    ]
    frame = pairs.assign(pair=names)
    groups = list(dict.fromkeys(frame["group"]))
    pair_labels = list(dict.fromkeys(frame["pair"]))
    palette = dict(zip(pair_labels, sns.color_palette("colorblind", len(pair_labels)), strict=True))
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(groups) + 1.5))
    step = 0.7 / max(1, len(pair_labels))
    for k, label in enumerate(pair_labels):
        part = frame[frame["pair"] == label].set_index("group").reindex(groups)
        y = np.arange(len(groups)) - 0.35 + step * (k + 0.5)
        x = part["difference"].to_numpy()
        err = np.abs(np.vstack([x - part["ci_low"].to_numpy(), part["ci_high"].to_numpy() - x]))
        ax.errorbar(x, y, xerr=err, fmt="o", ms=4, color=palette[label], label=label, capsize=2)
    ax.axvline(0, color="0.3", lw=1)
    ax.set_yticks(np.arange(len(groups)), [group_label(g) for g in groups])
    ax.invert_yaxis()
    ax.set_ylabel("cortex group (area, layer)")
    ax.set_xlabel("Δ Spearman r (with NeuRN − without), best layer")
    ax.set_title(title or "Does NeuRN move the network closer to cortex?")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1, frameon=False)
    return fig
