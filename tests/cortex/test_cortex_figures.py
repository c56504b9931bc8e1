"""The figures show the numbers they are given."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from neurn_keras.cortex import figures


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
    assert [t.get_text() for t in ax.get_yticklabels()] == ["VISp L2/3", "mean of groups"]
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    spans = sorted((round(float(a[0]), 6), round(float(b[0]), 6)) for a, b in segments)
    assert spans == [(-0.1, 0.01), (0.02, 0.2)]
    plt.close(fig)


RUN_NEURN = "digitnet-neurn-k5-reflect-mnist-seed0-3f9a1c2b7e"
RUN_PLAIN = "digitnet-plain-mnist-seed0-8d2e4b6a1c"
LABELS = {RUN_NEURN: "digitnet + NeuRN (k=5, reflect)", RUN_PLAIN: "digitnet"}


def rsa_layers():
    rows = [("pixels", "pixels", 0, 0.1)]
    rows += [
        (RUN_NEURN, name, i, 0.2 + 0.1 * i) for i, name in enumerate(("neurn", "conv1", "conv2"))
    ]
    rows += [(RUN_PLAIN, name, i, 0.3 + 0.1 * i) for i, name in enumerate(("conv1", "conv2"))]
    return pd.DataFrame(
        [
            {"model": m, "layer": layer, "layer_index": i, "group": g, "spearman": r + shift}
            for m, layer, i, r in rows
            for g, shift in (("VISp_layer23", 0.0), ("VISl_layer4", 0.02))
        ]
    )


def legend_texts(fig) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + fig.legends
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def test_rsa_layers_chart_names_the_layers_and_lines_them_up():
    fig = figures.rsa_layers_chart(rsa_layers(), labels=LABELS)
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["neurn", "conv1", "conv2"]
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["digitnet"].get_xdata(), [1, 2])  # conv1, conv2
    np.testing.assert_allclose(lines["digitnet"].get_ydata(), [0.31, 0.41])
    np.testing.assert_allclose(lines["digitnet + NeuRN (k=5, reflect)"].get_xdata(), [0, 1, 2])
    assert legend_texts(fig) == [
        "digitnet + NeuRN (k=5, reflect)",
        "digitnet",
        "pixels (no network)",
    ]
    assert "2 cortex groups" in ax.get_ylabel()
    assert ax.get_xlabel().startswith("model layer")
    plt.close(fig)


def test_rsa_layers_chart_turns_long_layer_names():
    frame = rsa_layers().replace({"conv2": "block_16_project_conv"})
    fig = figures.rsa_layers_chart(frame)
    assert {t.get_rotation() for t in fig.axes[0].get_xticklabels()} == {45.0}
    plt.close(fig)


def test_figures_label_models_by_backbone_and_neurn_not_by_run_name():
    best = rsa_best().replace({"m": RUN_NEURN})
    fig = figures.rsa_chart(best, labels=LABELS)
    assert legend_texts(fig) == ["noise ceiling", "pixels (no network)", LABELS[RUN_NEURN]]
    plt.close(fig)

    pairs = pd.DataFrame(
        {
            "with_model": [RUN_NEURN],
            "without_model": [RUN_PLAIN],
            "group": ["mean"],
            "difference": [0.1],
            "ci_low": [0.0],
            "ci_high": [0.2],
        }
    )
    fig = figures.rsa_pairs_chart(pairs, labels=LABELS)
    assert legend_texts(fig) == ["digitnet + NeuRN (k=5, reflect) − digitnet"]
    plt.close(fig)

    scores = model_scores().replace({"a_neurn": RUN_NEURN, "a": RUN_PLAIN})
    fig = figures.fig2a_neurn_vs_plain(scores, [(RUN_NEURN, RUN_PLAIN)], labels=LABELS)
    assert "digitnet + NeuRN (k=5, reflect) / digitnet" in legend_texts(fig)
    assert "cell class" in fig.axes[0].get_title()
    plt.close(fig)

    fig = figures.fig2b_area_genotype(scores, labels=LABELS)
    assert {ax.get_title() for ax in fig.axes if ax.get_title()} == set(LABELS.values())
    plt.close(fig)

    values = {(RUN_NEURN, "all"): (np.linspace(0, 1, 30), np.linspace(0.2, 1, 30), "conv1")}
    fig = figures.fig3_kde(values, labels=LABELS)
    assert fig.axes[0].get_title() == "digitnet + NeuRN (k=5, reflect)\nconv1 · all"
    plt.close(fig)


def test_every_figure_has_a_title():
    scores = model_scores()
    pairs = pd.DataFrame(
        {
            "with_model": ["n"],
            "without_model": ["p"],
            "group": ["mean"],
            "difference": [0.1],
            "ci_low": [0.0],
            "ci_high": [0.2],
        }
    )
    values = {("x", "all"): (np.linspace(0, 1, 30), np.linspace(0.2, 1, 30), "conv1")}
    made = [
        figures.fig2a_neurn_vs_plain(scores, [("a_neurn", "a")]),
        figures.fig2b_area_genotype(scores),
        figures.fig3_kde(values),
        figures.rsa_chart(rsa_best()),
        figures.rsa_layers_chart(rsa_layers()),
        figures.rsa_pairs_chart(pairs),
    ]
    for fig in made:
        title = fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title()
        assert len(title) > 10, title
        plt.close(fig)


def test_group_labels_read_as_area_and_layer():
    assert figures.group_label("VISrl_layer5") == "VISrl L5"
    assert figures.group_label("mean") == "mean of groups"
    assert figures.group_label("odd") == "odd"
