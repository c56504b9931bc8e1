"""benchmarks.neurn_ablations: its cells, its rows matched through the records, and that
it moves no default (its tests are exploratory)."""

from __future__ import annotations

from benchmarks import neurn_ablations
from benchmarks.results import RESULTS, CellStore, paired_tests

TARGETS = ("usps", "mnist_m", "syn_render")


def accuracy(value: float) -> dict:
    return {"mnist": 0.98, **dict.fromkeys(TARGETS, value)}


def test_the_reused_rows_are_dg_baselines_own_cells():
    committed = {p.stem for p in (RESULTS / "dg_baselines").glob("*.json")}
    assert committed, "no dg_baselines cells committed"
    for config in neurn_ablations.configs(neurn_ablations.FROM_DG_BASELINES):
        assert config.cell_name() in committed


def test_the_new_rows_are_distinct_cells_that_vary_one_setting():
    configs = neurn_ablations.configs()
    assert len(configs) == len(neurn_ablations.NEW) * len(neurn_ablations.SEEDS) == 15
    assert len({c.cell_name() for c in configs}) == len(configs)
    assert {c.method().tag() for c in configs} == {
        "neurn-k7-reflect",
        "neurn-k3-zeros",
        "neurn-k3-reflect-perchannel",
        "neurn-k3-reflect-luminance",
        "neurn-k3-reflect-inner",
    }
    assert all(c.protocol == "digits10k" and not c.protocol_deviations() for c in configs)


def test_every_committed_cell_lands_in_its_row():
    """Rows are matched through ``record.method()``: every cell of the page has a row, and
    every row has its three seeds."""
    records = neurn_ablations.load_records()
    assert {name: len(seeds) for name, seeds in records.items()} == dict.fromkeys(
        neurn_ablations.ROWS, 3
    )
    assert len(CellStore(neurn_ablations.CELLS).load()) == 15


def test_the_page_decides_no_default():
    results = {
        "ERM": {s: accuracy(0.58 + s / 100) for s in (0, 1, 2)},
        "NeuRN (k=3)": {s: accuracy(0.70 + s / 100) for s in (0, 1, 2)},
        "NeuRN (k=5)": {s: accuracy(0.95 - s / 1000) for s in (0, 1, 2)},  # far ahead
        "NeuRN (k=3, zeros)": {s: accuracy(0.60 + s / 50) for s in (0, 1, 2)},
    }
    panels = ["usps", "mnist_m", "syn_render", "average"]
    tests = paired_tests(results, neurn_ablations.PAIRS, panels, "mnist")
    text = neurn_ablations.defaults_text(tests)
    assert text.startswith("Nothing on this page moves a default: its tests are exploratory.")
    assert "Here k=3 − k=5 is -23.90 points" in text
    assert '`padding="reflect"` is our choice, not the paper\'s' in text


def test_findings_wait_for_every_seed():
    results = {
        "NeuRN (k=3)": {0: accuracy(0.7), 1: accuracy(0.72)},
        "NeuRN (k=7)": {0: accuracy(0.6)},
    }
    tests = paired_tests(results, neurn_ablations.PAIRS, ["average"], "mnist")
    text = neurn_ablations.findings(results, tests)
    assert "NeuRN (k=7) -10.00 (fewer than 2 seeds)" in text
    assert "Not on every seed yet: ERM, NeuRN (k=3)," in text
