"""benchmarks.invariance: the plan comes first, the page tests exactly what the plan names,
each test waits for every seed, and the verdicts follow the plan's rules."""

from __future__ import annotations

import re
import subprocess

import pytest

from benchmarks import invariance
from benchmarks.results import ROOT
from neurn_keras.training import RunRecord

PLAN = invariance.read_plan()


def record(source: str, seed: int, accuracy: dict) -> RunRecord:
    return RunRecord(
        backbone="digitnet", input_norm="none", neurn=False, neurn_config=None, augment="none",
        consistency=0.0, source=source, targets=[], input_shape=[32, 32, 3], seed=seed,
        accuracy=accuracy, test_images={}, train_images=1, val_images=1, epochs_run=1,
        steps_run=1, max_epochs=1, best_epoch=1, best_val_accuracy=0.5, stopped_early=False,
        precise_bn=None, train_images_per_second=None, wall_seconds=1.0,
        distributed_replicas=1, config={}, train_argv=[], versions={}, platform="",
        data_files={},
    )  # fmt: skip


def runs_with(outcomes: dict) -> dict:
    """``{(source, method): {seed: record}}`` whose outcome is ``outcomes[(source, method)]``
    plus a little per seed (a list: one value per seed)."""
    out = {}
    for (source, method), values in outcomes.items():
        targets = [d for d in ("mnist", "usps", "mnist_m") if d != source]
        out[(source, method)] = {
            seed: record(source, seed, {source: 0.98, **dict.fromkeys(targets, value)})
            for seed, value in zip(PLAN.seeds, values, strict=False)
        }
    return out


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def first_added(path) -> str:
    return git("log", "--diff-filter=A", "--format=%at", "--", str(path)).split()[-1]


def test_the_plan_was_committed_before_every_record_it_covers():
    try:
        plan_time = int(first_added(invariance.PLAN))
    except (subprocess.CalledProcessError, FileNotFoundError, IndexError):
        pytest.skip("no git history here")
    records = sorted(invariance.CELLS.glob("*.json"))
    for path in records:
        added = git("log", "--diff-filter=A", "--format=%at", "--", str(path)).split()
        if added:  # a record not committed yet is younger than the plan too
            assert int(added[-1]) > plan_time, path.name


def test_the_plan_names_fresh_seeds_and_the_grid_it_asks_for():
    assert PLAN.seeds == (3, 4, 5, 6, 7)
    configs = invariance.configs(PLAN)
    assert len(configs) == 60 and len({c.cell_name() for c in configs}) == 60
    assert {c.seed for c in configs} == set(PLAN.seeds)
    assert len(PLAN.grid["mnist"]) == 8
    for config in configs:
        assert config.protocol == "digits10k"
        assert set(config.protocol_deviations()) <= {"source"}
        assert "syn_render" in config.targets


def confirmatory_rows(page: str) -> list[str]:
    section = page.split("## The planned tests (confirmatory)")[1].split("\n## ")[0]
    return [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]


def test_the_page_tests_nothing_the_plan_does_not_name():
    page = invariance.PAGE.read_text(encoding="utf-8")
    rows = confirmatory_rows(page)[1:]  # the header first
    named = {
        (family, f"{invariance.LABELS[c.method]} − {invariance.LABELS[c.baseline]}", c.source)
        for family, c in PLAN.comparisons()
    }
    found = set()
    for row in rows:
        family, comparison = (cell.strip() for cell in row.strip("|").split("|")[:2])
        name, source = re.fullmatch(r"(.*) \((.*)\)", comparison).groups()
        source = {v: k for k, v in invariance.DOMAIN_NAMES.items()}[source]
        found.add((family, name, source))
    assert found == named


def test_a_test_waits_for_every_seed_of_both_arms():
    runs = runs_with({("mnist", "neurn_k3"): [0.75] * 5, ("mnist", "erm"): [0.66] * 4})
    primary = next(t for t in invariance.planned_tests(PLAN, runs) if t.family == "primary")
    assert primary.paired is None and primary.holm is None
    assert primary.verdict(PLAN.alpha).startswith("not tested yet")


def test_holm_within_each_family_and_the_primary_alone():
    noise = [0.0, 0.011, -0.007, 0.004, -0.003]
    outcomes = {(s, m): [0.70 + n for n in noise] for s, ms in PLAN.grid.items() for m in ms}
    outcomes[("mnist", "neurn_k3")] = [0.75 + n / 2 for n in noise]
    tests = invariance.planned_tests(PLAN, runs_with(outcomes))
    assert [t.family for t in tests] == [family for family, _ in PLAN.comparisons()]
    primary = tests[0]
    assert primary.holm == pytest.approx(primary.paired.p)  # alone: uncorrected
    controls = [t for t in tests if t.family == "controls"]
    smallest = min(t.paired.p for t in controls)
    assert min(t.holm for t in controls) == pytest.approx(min(1.0, 5 * smallest))


def test_the_headline_follows_the_plans_rule():
    noise = [0.0, 0.011, -0.007, 0.004, -0.003]
    outcomes = {(s, m): [0.60 + n for n in noise] for s, ms in PLAN.grid.items() for m in ms}
    outcomes[("mnist", "neurn_k3")] = [0.75 + n / 2 for n in noise]
    beaten = invariance.headline(PLAN, invariance.planned_tests(PLAN, runs_with(outcomes)))
    assert "NeuRN beats every one-line control tested (5)." in beaten
    outcomes[("mnist", "sobel")] = [0.75 + n for n in noise]  # as good as NeuRN
    tie = invariance.headline(PLAN, invariance.planned_tests(PLAN, runs_with(outcomes)))
    assert "NeuRN does not beat Sobel magnitude (NeuRN − it" in tie
    assert "it beats the other 4 (polarity inversion, per-image standardization, luminance" in tie
    outcomes[("mnist", "sobel")] = [0.85 + n for n in noise]  # better than NeuRN
    worse = invariance.headline(PLAN, invariance.planned_tests(PLAN, runs_with(outcomes)))
    assert "a one-line control beats NeuRN: Sobel magnitude" in worse
    outcomes = {(s, m): [0.75 + n for n in noise] for s, ms in PLAN.grid.items() for m in ms}
    outcomes[("mnist", "neurn_k3")] = [0.75 + n for n in reversed(noise)]  # a tie, with noise
    none = invariance.headline(PLAN, invariance.planned_tests(PLAN, runs_with(outcomes)), "p.md")
    assert "NeuRN beats none of the one-line controls: " in none
    assert "(confirmatory, 5 fresh seeds, [p.md](p.md))" in none


def test_the_layer_default_window_follows_the_plans_rule():
    """Once the window test is complete, the default is what the plan's rule says."""
    from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE

    tests = invariance.planned_tests(PLAN, invariance.load(PLAN))
    window = next(t for t in tests if t.family == "window")
    if window.holm is None:
        pytest.skip("the window test waits for its seeds")
    k5_better = window.holm < PLAN.alpha and window.paired.mean < 0
    assert DEFAULT_KERNEL_SIZE == (5 if k5_better else 3)


def test_the_primary_is_said_in_the_plans_words():
    noise = [0.0, 0.011, -0.007, 0.004, -0.003]
    outcomes = {("mnist", "erm"): [0.66 + n for n in noise]}
    for neurn, words in [(0.75, "Primary: NeuRN beats ERM from MNIST on fresh seeds (+9.00"),
                         (0.60, "Primary: NeuRN is worse than ERM from MNIST on fresh seeds"),
                         (0.66, "no significant difference on fresh seeds")]:  # fmt: skip
        outcomes[("mnist", "neurn_k3")] = [neurn + n for n in reversed(noise)]
        tests = invariance.planned_tests(PLAN, runs_with(outcomes))
        assert words in invariance.primary_decision(PLAN, tests)
    del outcomes[("mnist", "erm")]
    tests = invariance.planned_tests(PLAN, runs_with(outcomes))
    assert "not tested yet" in invariance.primary_decision(PLAN, tests)
