"""The Table 1 benchmark's grids and its verdicts, on hand-made records (no training)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import table1
from benchmarks.results import CellStore, Finished
from neurn_keras import backbones
from neurn_keras.training import RunRecord
from neurn_keras.training.tables import holm_adjusted

PRESENT = ["mnist", "usps", "mnist_m"]
SOURCES = ("mnist", "usps", "mnist_m")


def finished(backbone, neurn, source, accuracy, seed=0, lr=0.001, trained=0.9, val=0.9) -> Finished:
    """A finished cell with the given accuracies (fractions), last training accuracy and
    best validation accuracy."""
    record = RunRecord(
        backbone=backbone, input_norm="neurn" if neurn else "none", neurn=neurn,
        neurn_config={"kernel_size": 5, "padding": "reflect"} if neurn else None,
        augment="none", consistency=0.0, source=source,
        targets=[t for t in accuracy if t != source], input_shape=[32, 32, 3], seed=seed,
        accuracy=accuracy, test_images={}, train_images=90, val_images=10, epochs_run=2,
        steps_run=4, max_epochs=2, best_epoch=2, best_val_accuracy=val, stopped_early=False,
        precise_bn={}, train_images_per_second=1.0, wall_seconds=60.0,
        distributed_replicas=1, config={"lr": lr}, train_argv=[], versions={}, platform="",
        data_files={},
    )  # fmt: skip
    return Finished(record, [{"epoch": 2.0, "accuracy": trained}], {})


def pair(backbone, source, plain, with_neurn, **kwargs) -> list[Finished]:
    """A plain and a NeuRN cell; ``plain`` and ``with_neurn`` map target -> accuracy."""
    own = {source: 0.9}
    return [
        finished(backbone, False, source, {**own, **plain}, **kwargs),
        finished(backbone, True, source, {**own, **with_neurn}, **kwargs),
    ]


# ------------------------------------------------------------------------------- the grids


def test_the_cpu_grid_keeps_the_committed_cell_names():
    names = {c.cell_name() for c in table1.GRIDS["cpu"].cells(PRESENT)}
    committed = {p.stem for p in (table1.CELLS / "cpu").glob("*.json")}
    assert committed, "the repository's cpu cells are missing"
    assert committed <= names


def test_every_committed_neurn_cell_has_the_window_the_page_names():
    windows = {
        f.record.neurn_config["kernel_size"]
        for grid in ("cpu", "digitnet", "vgg19-lr")
        for f in CellStore(table1.CELLS / grid).load()
        if f.record.neurn
    }
    assert windows == {table1.KERNEL_SIZE}


def test_the_cpu_grid_covers_every_backbone_source_and_norm():
    cells = table1.GRIDS["cpu"].cells(PRESENT)
    assert len(cells) == len(backbones.NAMES) * len(SOURCES) * 2
    for cell in cells:
        others = tuple(d for d in SOURCES if d != cell.source)
        assert cell.targets == (*others, "syn_render")
        assert (cell.epochs, cell.lr, cell.seed) == (2, table1.RECIPE_LR, 0)


def test_the_digitnet_grid_is_18_distinct_runs_to_convergence():
    cells = table1.GRIDS["digitnet"].cells(PRESENT)
    assert len({c.cell_name() for c in cells}) == len(cells) == 18
    assert {c.backbone for c in cells} == {"digitnet"}
    assert {(c.source, c.seed, c.input_norm) for c in cells} == {
        (s, seed, n) for s in SOURCES for seed in (0, 1, 2) for n in ("none", "neurn")
    }
    for cell in cells:
        assert (cell.epochs, cell.patience, cell.lr) == (100, 5, table1.RECIPE_LR)
        assert (cell.train_limit, cell.test_limit) == (10000, 2000)
    assert {c.seed for c in cells[:6]} == {0}  # seed 0 of every source first
    cpu = {c.cell_name() for c in table1.GRIDS["cpu"].cells(PRESENT)}
    assert not cpu & {c.cell_name() for c in cells}


def test_the_vgg19_lr_grid_follows_the_probe():
    assert table1.grid_cells("vgg19-lr", PRESENT, probe=[]) == []
    probe = [
        finished("vgg19", False, "mnist", {"mnist": 0.9}, lr=1e-4, val=0.7),
        finished("vgg19", False, "mnist", {"mnist": 0.7}, lr=3e-5, val=0.9),
    ]  # chosen on validation accuracy, never on the test set
    cells = table1.grid_cells("vgg19-lr", PRESENT, probe=probe)
    assert len(cells) == 6
    assert {(c.backbone, c.lr, c.epochs) for c in cells} == {("vgg19", 3e-5, 2)}
    assert {c.source for c in cells} == set(SOURCES)
    with pytest.raises(ValueError, match="probe"):
        table1.GRIDS["vgg19-lr"].cells(PRESENT)


def test_the_probe_is_vgg19_plain_on_mnist_below_the_recipe_rate():
    cells = table1.GRIDS["vgg19-probe"].cells(PRESENT)
    assert {(c.backbone, c.input_norm, c.source, c.targets) for c in cells} == {
        ("vgg19", "none", "mnist", ())
    }
    assert all(c.lr < table1.RECIPE_LR for c in cells)
    assert len({c.cell_name() for c in cells}) == len(cells)


def test_the_gpu_grid_runs_the_full_recipe_on_all_images():
    cells = table1.GRIDS["gpu"].cells(PRESENT)
    assert len(cells) == len(backbones.NAMES) * len(SOURCES) * 3 * 2
    assert {(c.train_limit, c.test_limit, c.epochs, c.precise_bn) for c in cells} == {
        (None, None, 100, 8192)
    }
    assert [c.seed for c in cells] == sorted(c.seed for c in cells)


# ------------------------------------------------------------------------------ the rules


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({3e-4: 0.11, 1e-4: 0.62, 3e-5: 0.80, 1e-5: 0.55}, 3e-5),  # the best that clears
        ({3e-4: 0.11, 1e-4: 0.30}, None),  # none clears the bar
        ({1e-4: 0.75, 3e-5: 0.75}, 1e-4),  # a tie goes to the larger rate
    ],
)
def test_chosen_lr(scores, expected):
    """On the best validation accuracy; the test accuracy (here its opposite) is not read."""
    probe = [
        finished("vgg19", False, "mnist", {"mnist": 1 - a}, lr=lr, val=a)
        for lr, a in scores.items()
    ]
    assert table1.chosen_lr(probe) == expected


def test_sign_test_is_the_two_sided_binomial():
    assert table1.sign_test(0, 0) is None
    assert table1.sign_test(10, 0) == pytest.approx(2 * 0.5**10)
    assert table1.sign_test(3, 3) == pytest.approx(1.0)
    assert table1.sign_test(8, 2) == table1.sign_test(2, 8)


def test_differences_are_neurn_minus_plain_in_points_averaged_over_seeds():
    cells = [
        *pair("xception", "mnist", {"usps": 0.50}, {"usps": 0.60}, seed=0),
        *pair("xception", "mnist", {"usps": 0.50}, {"usps": 0.56}, seed=1),
        finished("vit", True, "mnist", {"mnist": 0.9, "usps": 0.4}),  # no plain run
    ]
    diffs = table1.differences(cells)
    assert list(diffs) == [table1.Model("xception")]
    assert diffs[table1.Model("xception")][("mnist", "usps")] == pytest.approx(8.0)


def test_verdict_counts_ties_apart_and_compares_signs_with_the_paper():
    cells = [
        *pair("xception", "mnist", {"usps": 0.5}, {"usps": 0.6}),  # +10
        *pair("vit", "mnist", {"usps": 0.5}, {"usps": 0.4}),  # -10
        *pair("vgg19", "mnist", {"usps": 0.1}, {"usps": 0.1}),  # tie
        *pair("densenet121", "mnist", {"usps": 0.3}, {"usps": 0.35}),  # +5
        *pair("vgg19", "mnist", {"usps": 0.1}, {"usps": 0.5}, lr=3e-5),  # not a recipe row
    ]
    paper = {"mnist->usps": {"xception": 1.0, "vit": 2.0, "vgg19": 3.0, "densenet121": 0.0}}
    (verdict,) = table1.verdicts(table1.differences(cells), [("mnist", "usps")], paper)
    assert (verdict.higher, verdict.lower, verdict.ties) == (2, 1, 1)
    assert len(verdict.deltas) == 4
    assert verdict.p_value == pytest.approx(table1.sign_test(2, 1))
    assert verdict.agreement == (1, 2)  # xception agrees, vit does not; ties left out
    assert verdict.paper_higher == (3, 4)
    agree, compared, p = verdict.permutation
    assert (agree, compared) == (1, 2) and p == pytest.approx(1.0)
    text = table1.verdict_lines([verdict], [0.5], [0.9])
    assert "higher for 2 of 4 backbones, 1 tie left out" in text
    assert "signs as the paper's: 1 of 2 (p = 1.00)" in text


def test_the_sensitivity_analysis_counts_seed_noise_as_ties_and_drops_rows_near_chance():
    cells = [
        *pair("xception", "mnist", {"usps": 0.50}, {"usps": 0.60}),  # +10: higher
        *pair("vit", "mnist", {"usps": 0.50}, {"usps": 0.51}),  # +1: a tie within 2 pp
        *pair("densenet121", "mnist", {"usps": 0.11}, {"usps": 0.14}),  # both below 15%
        *pair("resnet50v2", "mnist", {"usps": 0.60}, {"usps": 0.50}),  # -10: lower
    ]
    (verdict,) = table1.verdicts(
        table1.differences(cells), [("mnist", "usps")], {}, table1.arms(cells)
    )
    assert (verdict.higher, verdict.lower) == (4 - 1, 1)
    assert verdict.near_chance == {"densenet121"}
    assert verdict.sensitive == (1, 1, 1)
    assert verdict.sensitive_p == pytest.approx(1.0)


def test_agreement_with_the_paper_is_tested_against_chance():
    """All our signs agree, but the paper has every backbone higher: shuffling our signs
    cannot do otherwise, so the agreement is exactly what chance gives (p = 1)."""
    paper = dict.fromkeys("abcdef", 1.0)
    same = table1.Verdict(("mnist", "usps"), dict.fromkeys("abcdef", 2.0), paper)
    assert same.permutation == (6, 6, pytest.approx(1.0))
    mixed_paper = {"a": 1.0, "b": 1.0, "c": 1.0, "d": -1.0, "e": -1.0, "f": -1.0}
    ours = {"a": 5.0, "b": 4.0, "c": 3.0, "d": -1.0, "e": -2.0, "f": -3.0}
    matched = table1.Verdict(("mnist", "usps"), ours, mixed_paper)
    agree, _, p = matched.permutation
    assert agree == 6 and p == pytest.approx(1 / 20)  # one of C(6, 3) arrangements
    assert matched.rank_correlation == pytest.approx(0.8, abs=0.1)


def test_the_cost_on_the_source_is_measured_on_the_converged_runs():
    cells = [
        *pair("digitnet", "mnist", {"usps": 0.80}, {"usps": 0.70}, seed=0),
        *pair("digitnet", "mnist", {"usps": 0.80}, {"usps": 0.72}, seed=1),
    ]
    cells[1].record.accuracy["mnist"] = 0.88  # NeuRN 2 pp lower at home on seed 0
    text = table1.source_cost(cells)
    assert "on its own source's test set MNIST -1.00" in text
    assert "it is lower on M→U -9.00" in text


def test_paper_differences_subtract_the_plain_row():
    paper = {
        ("vgg19", True): {"mnist->usps": 74.0, "usps->mnist": 40.0},
        ("vgg19", False): {"mnist->usps": 70.0, "usps->mnist": 50.0},
        ("vit", True): {"mnist->usps": 60.0, "usps->mnist": 30.0},
    }
    assert table1.paper_differences(paper) == {
        "mnist->usps": {"vgg19": 4.0},
        "usps->mnist": {"vgg19": -10.0},
    }


def test_the_published_figures_are_read_from_the_repository():
    assert table1.REFERENCE.is_relative_to(table1.ROOT)
    figures = table1.paper_figures()
    assert {b for b, _ in figures} == {b.name for b in backbones.BACKBONES if b.paper_row}


def test_holm_runs_over_every_exploratory_test_of_the_page():
    tests = table1.digitnet_tests(
        [
            *pair("digitnet", "mnist", {"usps": 0.50}, {"usps": 0.60}, seed=0),
            *pair("digitnet", "mnist", {"usps": 0.52}, {"usps": 0.61}, seed=1),
            *pair("digitnet", "mnist", {"usps": 0.49}, {"usps": 0.62}, seed=2),
        ]
    )
    assert [c.transfer for c in tests] == [("mnist", "usps")]
    signs = [
        table1.Verdict(("mnist", "usps"), {f"b{i}": 1.0 for i in range(9)}, {}),
        table1.Verdict(("mnist", "mnist_m"), {"a": 1.0, "b": -1.0}, {}),
    ]
    test_p, sign_p = table1.exploratory_family(tests, signs)
    raw = [tests[0].p_value, signs[0].p_value, signs[1].p_value]
    assert [*test_p, *sign_p] == holm_adjusted(raw)
    smallest = min(raw)
    assert min(p for p in [*test_p, *sign_p]) == pytest.approx(3 * smallest)


def test_primary_comparison_pairs_by_source_and_seed_over_the_real_targets():
    cells = []
    for seed, gain in enumerate((0.02, 0.04, 0.06)):
        plain = {"usps": 0.5, "mnist_m": 0.3, "syn_render": 0.2}
        with_neurn = {"usps": 0.5 + gain, "mnist_m": 0.3 + gain, "syn_render": 0.9}
        cells += pair("digitnet", "mnist", plain, with_neurn, seed=seed)
    primary = table1.primary_comparison(cells)
    assert primary.differences == pytest.approx((0.02, 0.04, 0.06))  # syn_render left out
    assert primary.p_value is not None
    low, high = table1.interval([100 * d for d in primary.differences])
    assert low < 4.0 < high
    assert "+4.00 pp over 3 pairs" in table1.primary_sentence(primary)


def test_heatmap_rows_and_matrix():
    diffs = {
        table1.Model("xception"): {("mnist", "usps"): 5.0},
        table1.Model("vgg19", 3e-5): {("mnist", "usps"): -2.0},
    }
    labels, rows = table1.heatmap_rows(
        diffs,
        {("mnist", "mnist_m"): 1.5},
        chance={table1.Model("vgg19"): True, table1.Model("vit"): False},
        extra=[table1.Model("vgg19", 3e-5)],
    )
    assert len(labels) == len(backbones.NAMES) + 2
    assert labels[1:3] == ["VGG19 † (at chance)", "VGG19 (lr 3e-05)"]
    assert "ViT † (at chance on some sources)" in labels
    assert labels[-1].startswith("DigitNet to convergence")
    columns = [("mnist", "usps"), ("mnist", "mnist_m")]
    matrix = table1.heatmap_matrix(rows, columns)
    assert matrix.shape == (len(labels), 2)
    assert matrix[labels.index("Xception"), 0] == 5.0
    assert matrix[2, 0] == -2.0
    assert matrix[-1, 1] == 1.5
    assert math.isnan(matrix[0, 0]) and np.isnan(matrix[-1, 0])


def test_rows_at_chance_are_marked_and_explained():
    cells = pair("vgg19", "mnist", {"usps": 0.1}, {"usps": 0.1})
    cells = [table1.Finished(c.record, [{"accuracy": 0.11}], {}) for c in cells]
    learning = pair("vgg19", "usps", {"mnist": 0.5}, {"mnist": 0.6})
    assert table1.chance_models(cells) == {table1.Model("vgg19"): True}
    assert table1.chance_models(cells + learning) == {table1.Model("vgg19"): False}
    assert table1.chance_models(learning) == {}
    assert table1.mark(cells[0]) == "VGG19 †"
    note = table1.chance_note(cells, 3e-5)
    assert "VGG19, VGG19+NeuRN" in note and "BatchNormalization" in note
    assert "lr 3e-05" in note
    assert table1.chance_note(pair("xception", "mnist", {"usps": 0.5}, {"usps": 0.6}), None) == ""


def test_rows_at_chance_without_a_known_reason_say_only_what_the_records_show():
    stuck = pair("efficientnetb0", "mnist_m", {"usps": 0.1}, {"usps": 0.1})
    stuck = [table1.Finished(c.record, [{"accuracy": 0.11}], {}) for c in stuck]
    learns = pair("efficientnetb0", "mnist", {"usps": 0.5}, {"usps": 0.6})
    note = table1.chance_note(stuck + learns, None)
    assert "EfficientNetB0: at chance from MNIST-M, but it learns from MNIST;" in note
    assert "BatchNormalization" not in note and note.endswith("(why is not measured here).")


def test_the_documented_gpu_call_is_the_one_the_page_shows():
    documented = " ".join(table1.__doc__.replace("\\\n", " ").split())
    assert table1.GPU_CALL in documented
    assert "--grid gpu" in table1.GPU_CALL and "--no-report" in table1.GPU_CALL


def test_direction_summary_says_where_we_go_against_the_paper():
    paper = {"a": 1.0, "b": 2.0, "c": -1.0}
    along = table1.Verdict(("mnist", "mnist_m"), {"a": 1.0, "b": 1.0, "c": -1.0}, paper)
    against = table1.Verdict(("mnist", "usps"), {"a": -1.0, "b": -1.0, "c": 1.0}, paper)
    split = table1.Verdict(("usps", "mnist"), {"a": -1.0, "b": 1.0}, paper)
    text = table1.direction_summary([along, against, split])
    assert "as in the paper's table on M→MM (NeuRN higher for 2 of 3 here, 2 of 3 in the" in text
    assert "**against the paper's** on M→U (NeuRN higher for 1 of 3 here" in text
    assert "U→M" not in text.split("Split evenly")[0]
    assert (
        "Split evenly, so neither way: U→M (NeuRN higher for 1 and lower for 1 of 2 here; "
        "higher for 2 and lower for 1 of 3 in the paper)."
    ) in text
    assert "No more agreement than chance gives" in text
    assert table1.direction_summary([split]).startswith("Split evenly")
    assert table1.direction_summary([]) == ""


def test_the_vgg19_rows_at_the_probes_rate_sit_beside_vgg19():
    targets = {"usps": 0.5, "mnist_m": 0.3, "syn_render": 0.2}
    results = table1.Results(
        PRESENT,
        {},
        cpu=[
            *pair("xception", "mnist", targets, targets),
            *pair("vgg19", "mnist", targets, targets),
        ],
        vgg=pair("vgg19", "mnist", targets, targets, lr=3e-5),
        converged=[],
        probe=[finished("vgg19", False, "mnist", {"mnist": 0.6}, lr=3e-5)],
        gpu=[],
    )
    assert results.lr == 3e-5 and results.expected["vgg19-lr"] == 6
    text = "\n".join(table1.cpu_section(results))
    rows = [
        line.split(" | ")[0].lstrip("| ") for line in text.splitlines() if line.startswith("| ")
    ]
    models = [row for row in rows if row != "model"]
    assert models == [
        "VGG19", "VGG19+NeuRN", "VGG19 (lr 3e-05)", "VGG19 (lr 3e-05)+NeuRN",
        "Xception", "Xception+NeuRN",
    ]  # fmt: skip
