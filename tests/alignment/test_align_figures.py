"""The figures show the numbers they are given."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from neurn_keras.alignment import figures


def model_scores():
    rows = []
    for model, neurn, base in (("a_neurn", True, 0.20), ("a", False, 0.30)):
        for grouping, group, shift in (
            ("cell_class", "excitatory", 0.0),
            ("cell_class", "inhibitory", 0.05),
            ("area_cre_line", "VISp/Cux2-CreERT2", 0.0),
            ("area_cre_line", "VISl/Sst-IRES-Cre", 0.02),
        ):
            rows.append(
                {
                    "model": model,
                    "neurn": neurn,
                    "grouping": grouping,
                    "group": group,
                    "rmse_best": base + shift,
                }
            )
    return pd.DataFrame(rows)


def test_fig2a_points_are_the_pairs_scores():
    fig = figures.fig2a_neurn_vs_plain(model_scores(), [("a_neurn", "a")], note="UNVERIFIED: demo")
    ax = fig.axes[0]
    points = np.concatenate([c.get_offsets() for c in ax.collections])
    expected = {(0.30, 0.20), (0.35, 0.25)}
    assert {tuple(np.round(p, 6)) for p in points} == expected
    diagonal = next(line for line in ax.get_lines() if line.get_label() == "equal RMSE")
    x, y = diagonal.get_data()
    np.testing.assert_allclose(x, y)
    assert any("UNVERIFIED" in t.get_text() for t in fig.texts)
    plt.close(fig)
    with pytest.raises(ValueError, match="no \\(NeuRN, plain\\) pair"):
        figures.fig2a_neurn_vs_plain(model_scores(), [])


def test_fig2b_bars_by_area_and_line():
    fig = figures.fig2b_area_genotype(model_scores())
    heights = sorted(
        round(p.get_height(), 6) for ax in fig.axes for p in ax.patches if p.get_height() > 0
    )
    assert heights == [0.2, 0.22, 0.3, 0.32]
    assert {ax.get_title() for ax in fig.axes if ax.get_title()} == {"a_neurn", "a"}
    plt.close(fig)


def test_fig3_panels_and_iou():
    rng = np.random.default_rng(0)
    values = {
        (m, g): (rng.uniform(size=50), rng.uniform(size=40), "conv1")
        for m in ("x", "y")
        for g in ("excitatory", "inhibitory")
    }
    scores = pd.DataFrame(
        [{"model": "x", "layer": "conv1", "group": "excitatory", "kde_iou": 0.8125}]
    )
    fig = figures.fig3_kde(values, scores)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4 and "x\nconv1 · excitatory · IoU 0.81" in titles
    plt.close(fig)


def rsa_best():
    rows = []
    for model, level in (("pixels", 0.1), ("m", 0.3)):
        for area, layers in (("VISp", ("layer23", "layer4")), ("VISl", ("layer23",))):
            for k, layer in enumerate(layers):
                score = level + 0.1 * k
                rows.append(
                    {
                        "model": model,
                        "group": f"{area}_{layer}",
                        "area": area,
                        "cortical_layer": layer,
                        "spearman": score,
                        "ci_low": score - 0.05,
                        "ci_high": score + 0.05,
                        "noise_ceiling": 0.9 - 0.1 * k,
                        "noise_ceiling_sem": 0.01,
                    }
                )
    return pd.DataFrame(rows)


def test_rsa_chart_bars_errors_and_ceilings():
    fig = figures.rsa_chart(rsa_best())
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["VISl", "VISp"]
    visp = visible[1]
    heights = [round(p.get_height(), 6) for p in visp.patches]
    assert heights == [0.1, 0.2, 0.3, 0.4]  # pixels L2/3, L4, then m L2/3, L4
    assert [t.get_text() for t in visp.get_xticklabels()] == ["L2/3", "L4"]
    segments = [
        seg for c in visp.collections if hasattr(c, "get_segments") for seg in c.get_segments()
    ]
    horizontal = {round(float(a[1]), 6) for a, b in segments if a[1] == b[1]}
    vertical = {(round(float(a[1]), 6), round(float(b[1]), 6)) for a, b in segments if a[0] == b[0]}
    assert horizontal == {0.9, 0.8}  # the noise ceilings of L2/3 and L4
    assert vertical == {(0.05, 0.15), (0.15, 0.25), (0.25, 0.35), (0.35, 0.45)}  # the intervals
    plt.close(fig)


def test_save_figure_writes_a_png_atomically(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    path = figures.save_figure(fig, tmp_path / "sub" / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["f.png"]


def test_rsa_pairs_chart_points_and_intervals():
    pairs = pd.DataFrame(
        {
            "with_model": ["n", "n"],
            "without_model": ["p", "p"],
            "group": ["VISp_layer23", "mean"],
            "difference": [0.1, -0.05],
            "ci_low": [0.02, -0.1],
            "ci_high": [0.2, 0.01],
        }
    )
    fig = figures.rsa_pairs_chart(pairs)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [0.1, -0.05])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["VISp_layer23", "mean"]
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    spans = sorted((round(float(a[0]), 6), round(float(b[0]), 6)) for a, b in segments)
    assert spans == [(-0.1, 0.01), (0.02, 0.2)]
    plt.close(fig)
