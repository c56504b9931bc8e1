"""benchmarks.neurn_ablations: its cells, its one primary test, and the default it decides."""

from __future__ import annotations

import pytest

from benchmarks import dg_baselines, neurn_ablations
from benchmarks._grid import CellStore
from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE

TARGETS = ("usps", "mnist_m", "syn_render")


def accuracy(value: float) -> dict:
    return {"mnist": 0.98, **dict.fromkeys(TARGETS, value)}


def test_the_reused_rows_are_dg_baselines_own_cells():
    reused = [v for v in neurn_ablations.VARIANTS if v.measured_in == "dg_baselines"]
    committed = {path.stem for path in dg_baselines.CELLS.glob("*.json")}
    assert committed, "no dg_baselines cells committed"
    for config in neurn_ablations.configs(TARGETS, reused):
        assert config.cell_name() in committed


def test_the_new_rows_are_distinct_cells_that_vary_one_setting():
    configs = neurn_ablations.configs(TARGETS)
    assert len(configs) == len(neurn_ablations.NEW) * len(neurn_ablations.SEEDS) == 15
    assert len({c.cell_name() for c in configs}) == len(configs)
    tags = {c.method().tag() for c in configs}
    assert tags == {
        "neurn-k7-reflect",
        "neurn-k3-zeros",
        "neurn-k3-reflect-perchannel",
        "neurn-k3-reflect-luminance",
        "neurn-k3-reflect-inner",
    }
    assert all(c.protocol == "digits10k" and not c.protocol_deviations() for c in configs)


def test_the_primary_comparison_is_one_test_outside_the_family():
    assert neurn_ablations.PRIMARY == ("NeuRN (k=3)", "NeuRN (k=5)")
    pairs = {frozenset(pair) for pair in neurn_ablations.EXPLORATORY}
    assert frozenset(neurn_ablations.PRIMARY) not in pairs
    results = {
        "NeuRN (k=3)": {0: accuracy(0.70), 1: accuracy(0.72), 2: accuracy(0.69)},
        "NeuRN (k=5)": {0: accuracy(0.65), 1: accuracy(0.66), 2: accuracy(0.66)},
    }
    comparison, p = neurn_ablations.primary_test(results, TARGETS)
    assert comparison.mean_difference == pytest.approx(0.0467, abs=1e-3)
    assert p == comparison.p_value  # uncorrected: the page's one primary test
    assert neurn_ablations.evidence_for_k3((comparison, p)) is (p < neurn_ablations.ALPHA)


def test_no_runs_no_test():
    assert neurn_ablations.primary_test({}, TARGETS) is None
    assert neurn_ablations.evidence_for_k3(None) is None


def test_the_layer_default_follows_the_committed_evidence(real_data_file):
    for name in ("usps.npz", "mnist_m.npz"):  # the page's targets are the ones on hand
        real_data_file(name)
    targets = dg_baselines.present_targets()
    assert targets == TARGETS
    if not CellStore(dg_baselines.CELLS).load():
        pytest.skip("no dg_baselines cells committed")
    results = neurn_ablations.results_by_variant(targets)
    supported = neurn_ablations.evidence_for_k3(neurn_ablations.primary_test(results, targets))
    assert supported is not None
    assert (DEFAULT_KERNEL_SIZE == 3) is supported


def test_the_best_variant_is_called_best_only_among_those_run():
    results = {
        "NeuRN (k=3)": {0: accuracy(0.70), 1: accuracy(0.72), 2: accuracy(0.69)},
        "NeuRN (k=5)": {0: accuracy(0.65), 1: accuracy(0.66), 2: accuracy(0.66)},
    }
    results["NeuRN (k=7)"] = {0: accuracy(0.90)}  # higher, but on one seed of three
    text = neurn_ablations.verdict(results, TARGETS, [], None)
    assert "- The best NeuRN here is NeuRN (k=3), " in text
    assert "no variant run on all 3 seeds beats it (NeuRN (k=7), " in text
    assert "NeuRN (k=3) + again after conv1: not on every seed yet, so not ranked" in text
    del results["NeuRN (k=7)"]
    everything = {v.name: results["NeuRN (k=5)"] for v in neurn_ablations.VARIANTS}
    everything["NeuRN (k=3)"] = results["NeuRN (k=3)"]
    assert "; no variant beats it." in neurn_ablations.verdict(everything, TARGETS, [], None)


def test_a_variant_on_one_seed_is_not_called_tested():
    results = {
        "NeuRN (k=3)": {0: accuracy(0.70), 1: accuracy(0.72), 2: accuracy(0.69)},
        "NeuRN (k=7)": {0: accuracy(0.60)},
    }
    _, tested = dg_baselines.tests_table(results, TARGETS, neurn_ablations.EXPLORATORY)
    text = neurn_ablations.verdict(results, TARGETS, tested, None)
    line = "on the same seeds, points on the average: NeuRN (k=7) -10.00 (1 seed"
    assert line + ", not tested yet)." in text


def complete(results: dict, value: float) -> dict:
    """``results`` with every new row on every seed at ``value`` (± a little per seed)."""
    noise = (-0.004, 0.003, 0.001)
    out = dict(results)
    for variant in neurn_ablations.NEW:
        out.setdefault(
            variant.name, {seed: accuracy(value + noise[seed]) for seed in neurn_ablations.SEEDS}
        )
    return out


def decide(results):
    _, tested = dg_baselines.tests_table(results, TARGETS, neurn_ablations.EXPLORATORY)
    return neurn_ablations.better_settings(results, tested), neurn_ablations.settings_decision(
        results, tested
    )


BASE = {
    "ERM": {0: accuracy(0.58), 1: accuracy(0.59), 2: accuracy(0.58)},
    "NeuRN (k=3)": {0: accuracy(0.70), 1: accuracy(0.72), 2: accuracy(0.69)},
    "NeuRN (k=5)": {0: accuracy(0.65), 1: accuracy(0.66), 2: accuracy(0.66)},
}


def test_the_other_defaults_wait_for_every_seed():
    results = {**BASE, "NeuRN (k=3, luminance)": {0: accuracy(0.95)}}
    better, text = decide(results)
    assert better == []
    assert text.startswith("Not decided yet (")
    assert "NeuRN (k=3, luminance)" in text and "`color='rgb'`" in text


def test_a_setting_within_seed_noise_leaves_the_defaults_the_papers():
    seeds = {"NeuRN (k=3, max per channel)": {0: accuracy(0.72), 1: accuracy(0.70),
                                              2: accuracy(0.71)}}  # fmt: skip
    better, text = decide(complete({**BASE, **seeds}, 0.69))
    assert better == []
    assert text.startswith("No other setting beats NeuRN (k=3)")
    assert "the largest difference: NeuRN (k=3, max per channel)" in text
    assert "`normalize_over='image'`" in text and "`padding='reflect'`" in text


def test_a_setting_far_ahead_on_every_seed_is_named():
    ahead = {"NeuRN (k=3, zeros)": {0: accuracy(0.897), 1: accuracy(0.921), 2: accuracy(0.889)}}
    better, text = decide(complete({**BASE, **ahead}, 0.60))
    assert [v.name for v in better] == ["NeuRN (k=3, zeros)"]
    assert text.startswith("Better than NeuRN (k=3) after the Holm correction: NeuRN (k=3, zeros)")


def test_the_layer_defaults_follow_the_committed_evidence_on_the_other_settings(real_data_file):
    import inspect

    from neurn_keras.layers import NeuRN

    for name in ("usps.npz", "mnist_m.npz"):
        real_data_file(name)
    targets = dg_baselines.present_targets()
    results = neurn_ablations.results_by_variant(targets)
    _, tested = dg_baselines.tests_table(results, targets, neurn_ablations.EXPLORATORY)
    layer = inspect.signature(NeuRN).parameters
    defaults = neurn_ablations.setting_defaults()
    for key, value in defaults.items():
        if key in layer:  # inner_neurn belongs to the run, not to the layer
            assert layer[key].default == value, key
    for variant in neurn_ablations.better_settings(results, tested):
        for key, value in variant.changes.items():
            assert defaults[key] == value, f"{variant.name} beats k=3 but is not the default"
