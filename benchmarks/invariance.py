"""What in NeuRN does the work: NeuRN against one-line invariances -> docs/results/invariance.md

A confirmatory page: ``docs/results/invariance_plan.md`` (committed before its first run)
names the methods, the grid, the seeds, the outcome and every test, in a JSON block that
this script reads; nothing here restates them. Each run is one cell of the digits10k
protocol, resumable, kept in ``docs/results/invariance/`` when it finishes (seed 3 of every
cell first, so a partial grid covers every method); the page comes from those files and
the plan alone.

    python -m benchmarks.invariance                       # run the missing cells, the page
    python -m benchmarks.invariance --report-only
    python -m benchmarks.invariance --sources mnist --methods sobel --seeds 3
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks._grid import add_grid_options, run_grid
from benchmarks.results import (
    AVERAGE,
    DOMAIN_NAMES,
    README,
    RENDERED,
    RESULTS,
    CellStore,
    Paired,
    accuracy_chart,
    average_over_targets,
    environments_of,
    holm_adjusted,
    markdown_table,
    mean_std,
    method_of,
    p_text,
    paired,
    panels_of,
    real_targets,
    records_by_row,
    transfer_label,
    write_figure,
    write_page,
    write_section,
)
from benchmarks.results import paired_tests as paired_exploratory
from benchmarks.results import tests_table as exploratory_table
from neurn_keras.training import RunRecord

CELLS = RESULTS / "invariance"
PLAN = RESULTS / "invariance_plan.md"
PAGE = RESULTS / "invariance.md"
FIGURE = RESULTS / "invariance.png"
PLAN_BLOCK = re.compile(r"<!-- plan -->\n```json\n(.*?)\n```", re.DOTALL)


@dataclass(frozen=True)
class Comparison:
    """One planned test: ``method`` − ``baseline``, both trained on ``source``."""

    source: str
    method: str
    baseline: str


@dataclass(frozen=True)
class Plan:
    """The plan's JSON block, typed."""

    protocol: str
    seeds: tuple[int, ...]
    alpha: float
    real_domains: tuple[str, ...]
    reported_apart: tuple[str, ...]
    methods: dict
    grid: dict
    primary: Comparison
    families: dict

    def targets(self, source: str) -> tuple[str, ...]:
        """Every test domain of a run from ``source``: the real ones, then those apart."""
        return tuple(d for d in (*self.real_domains, *self.reported_apart) if d != source)

    def averaged(self, source: str) -> tuple[str, ...]:
        """The targets the outcome averages: the real domains other than the source."""
        return tuple(d for d in self.real_domains if d != source)

    def comparisons(self) -> list[tuple[str, Comparison]]:
        """Every confirmatory test with its family (``"primary"`` for the primary)."""
        return [("primary", self.primary)] + [
            (family, test) for family, tests in self.families.items() for test in tests
        ]


def read_plan(path: Path = PLAN) -> Plan:
    """The plan's JSON block; ``ValueError`` naming what is wrong with it."""
    found = PLAN_BLOCK.search(path.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{path}: no JSON block after '<!-- plan -->'")
    data = json.loads(found.group(1))
    plan = Plan(
        protocol=data["protocol"],
        seeds=tuple(data["seeds"]),
        alpha=float(data["alpha"]),
        real_domains=tuple(data["real_domains"]),
        reported_apart=tuple(data["reported_apart"]),
        methods=data["methods"],
        grid=data["grid"],
        primary=Comparison(**data["primary"]),
        families={
            name: [Comparison(**test) for test in tests] for name, tests in data["families"].items()
        },
    )
    for _, test in plan.comparisons():
        for method in (test.method, test.baseline):
            if method not in plan.grid.get(test.source, ()):
                raise ValueError(f"{path}: {method} from {test.source} is tested but not run")
    return plan


def config(plan: Plan, source: str, method: str, seed: int):
    """The ``RunConfig`` of one cell."""
    from neurn_keras.training import RunConfig

    return RunConfig.for_protocol(
        plan.protocol,
        source=source,
        targets=plan.targets(source),
        seed=seed,
        **plan.methods[method],
    )


def configs(plan: Plan, sources=None, methods=None, seeds=None) -> list:
    """The grid's cells (optionally a slice), every source and method of a seed first."""
    return [
        config(plan, source, method, seed)
        for seed in seeds or plan.seeds
        for source, listed in plan.grid.items()
        if sources is None or source in sources
        for method in listed
        if methods is None or method in methods
    ]


# ------------------------------------------------------------------------------ the page


def load(plan: Plan) -> dict[tuple[str, str], dict[int, RunRecord]]:
    """``{(source, method): {seed: record}}`` of the plan's grid, from the committed cells."""
    records = [f.record for f in CellStore(CELLS).load() if f.record.seed in plan.seeds]
    out = {}
    for source, methods in plan.grid.items():
        rows = {name: method_of(plan.protocol, source=source, **plan.methods[name])
                for name in methods}  # fmt: skip
        found = records_by_row(records, rows, protocol=plan.protocol, source=source)
        out.update({(source, name): seeds for name, seeds in found.items()})
    return out


def outcome(record: RunRecord) -> float:
    """The plan's outcome of one run: ``AVERAGE`` (its real targets other than the source)."""
    return average_over_targets(record.accuracy, record.source)


@dataclass(frozen=True)
class Result:
    """One planned test: its comparison, its family, the paired outcomes, its Holm p
    (within its family; the primary is alone), or None while an arm lacks a seed."""

    family: str
    comparison: Comparison
    paired: Paired | None
    holm: float | None

    def direction(self, alpha: float) -> int | None:
        """+1: the method is better, -1: the baseline is (Holm p < ``alpha``), 0: not
        significant, None: not tested yet."""
        if self.paired is None or self.holm is None:
            return None
        if self.holm >= alpha:
            return 0
        return 1 if self.paired.mean > 0 else -1

    def difference(self) -> str:
        """``+6.51 points, 95% CI +3.85 to +9.17``."""
        low, high = self.paired.interval()
        return (f"{100 * self.paired.mean:+.2f} points, 95% CI {100 * low:+.2f} to "
                f"{100 * high:+.2f}")  # fmt: skip

    def verdict(self, alpha: float) -> str:
        c = self.comparison
        direction = self.direction(alpha)
        if direction is None:
            return "not tested yet (an arm lacks a seed)"
        if direction == 0:
            if self.family == "controls":
                return f"not distinguishable on {self.paired.n} seeds"
            return "no significant difference"
        better = c.method if direction > 0 else c.baseline
        return f"{LABELS.get(better, better)} is better"


def planned_tests(plan: Plan, runs) -> list[Result]:
    """Exactly the plan's tests, each only once both arms have every seed of the plan."""
    out = []
    for family in ["primary", *plan.families]:
        chosen = [plan.primary] if family == "primary" else plan.families[family]
        results = []
        for comparison in chosen:
            ours = runs.get((comparison.source, comparison.method), {})
            theirs = runs.get((comparison.source, comparison.baseline), {})
            complete = all(set(plan.seeds) <= set(arm) for arm in (ours, theirs))
            results.append(
                paired({s: outcome(r) for s, r in ours.items()},
                       {s: outcome(r) for s, r in theirs.items()}) if complete else None
            )  # fmt: skip
        adjusted = holm_adjusted([None if r is None else r.p for r in results])
        out += [Result(family, c, r, h) for c, r, h in zip(chosen, results, adjusted, strict=True)]
    return out


LABELS = {
    "erm": "ERM", "neurn_k3": "NeuRN (k=3)", "neurn_k5": "NeuRN (k=5)",
    "polarity": "polarity inversion", "standardize": "per-image standardization",
    "minmax": "luminance min–max", "sobel": "Sobel magnitude", "localstd": "local σ (no max)",
}  # fmt: skip
"""How the page names the plan's methods."""


def runs_table(plan: Plan, runs) -> str:
    header = ["source", "method", "seeds", "target accuracy (real targets, %)", "average", RENDERED,
              "source (home)"]  # fmt: skip
    rows = []
    for source, methods in plan.grid.items():
        for name in methods:
            seeds = runs.get((source, name), {})
            records = list(seeds.values())
            targets = ", ".join(
                f"{transfer_label((source, t))} {mean_std([r.accuracy[t] for r in records])}"
                for t in (real_targets(records[0].accuracy, source) if records else [])
            )
            rows.append([DOMAIN_NAMES[source], LABELS.get(name, name), f"{len(seeds)} of "
                         f"{len(plan.seeds)}", targets or "–",
                         mean_std([outcome(r) for r in records]),
                         mean_std([r.accuracy[RENDERED] for r in records
                                   if RENDERED in r.accuracy]),
                         mean_std([r.accuracy[source] for r in records])])  # fmt: skip
    return markdown_table(header, rows)


def tests_table(plan: Plan, tests: list[Result]) -> str:
    header = ["family", "comparison (from)", "mean Δ (pp)", "95% CI", "per seed", "p",
              "p (Holm, within family)", "verdict"]  # fmt: skip
    rows = []
    for t in tests:
        c = t.comparison
        name = f"{LABELS[c.method]} − {LABELS[c.baseline]} ({DOMAIN_NAMES[c.source]})"
        if t.paired is None:
            rows.append([t.family, name, "–", "–", "–", "–", "–", t.verdict(plan.alpha)])
            continue
        low, high = t.paired.interval() or (math.nan, math.nan)
        rows.append([t.family, name, f"{100 * t.paired.mean:+.2f}",
                     f"{100 * low:+.2f} to {100 * high:+.2f}",
                     ", ".join(f"{100 * d:+.1f}" for d in t.paired.differences),
                     p_text(t.paired.p), p_text(t.holm), t.verdict(plan.alpha)])  # fmt: skip
    return markdown_table(header, rows)


def exploratory(plan: Plan, runs) -> list:
    """From MNIST, per target and at home: every method against ERM and NeuRN (k=3)
    against every other method (Holm over all of them; decides nothing)."""
    source = plan.primary.source
    results = {LABELS[name]: {s: r.accuracy for s, r in runs.get((source, name), {}).items()}
               for name in plan.grid[source]}  # fmt: skip
    present = {k: v for k, v in results.items() if v}
    panels = [p for p in panels_of(present, source) if p != "average"] + [source]
    pairs = [(LABELS[m], "ERM") for m in plan.grid[source] if m != "erm"]
    pairs += [("NeuRN (k=3)", LABELS[m]) for m in plan.grid[source] if m not in ("erm", "neurn_k3")]
    return paired_exploratory(present, pairs, panels, source)


def figure_path(plan: Plan, source: str) -> Path:
    """The primary source's figure is ``invariance.png``; another source's is named after it."""
    return FIGURE if source == plan.primary.source else FIGURE.with_name(f"invariance_{source}.png")


def figure(plan: Plan, runs, source: str):
    """Per-target accuracy of each of ``source``'s methods, each seed a dot."""
    results = {LABELS[name]: {s: r.accuracy for s, r in runs.get((source, name), {}).items()}
               for name in plan.grid[source]}  # fmt: skip
    with_neurn = {LABELS[name]: plan.methods[name].get("input_norm") == "neurn"
                  for name in plan.grid[source]}  # fmt: skip
    what = (
        "NeuRN against one-line invariances" if len(plan.grid[source]) > 2 else "NeuRN against ERM"
    )
    title = (f"From {DOMAIN_NAMES[source]}, seeds {plan.seeds[0]}–{plan.seeds[-1]}: {what} "
             "(bar: mean; dots: seeds)")  # fmt: skip
    return accuracy_chart(results, with_neurn, source, title)


def findings(plan: Plan, tests: list[Result]) -> list[str]:
    """The plan's decisions, one line each, in its words."""
    lines = []
    for t in tests:
        c = t.comparison
        name = f"{LABELS[c.method]} − {LABELS[c.baseline]} from {DOMAIN_NAMES[c.source]}"
        if t.paired is None:
            lines.append(f"- {t.family}: {name}: not tested yet (an arm lacks a seed).")
            continue
        low, high = t.paired.interval()
        lines.append(
            f"- {t.family}: {name}: {100 * t.paired.mean:+.2f} points (95% CI {100 * low:+.2f} "
            f"to {100 * high:+.2f}; p = {p_text(t.paired.p)}"
            + ("" if t.family == "primary" else f", Holm {p_text(t.holm)}")
            + f"): {t.verdict(plan.alpha)}."
        )
    return lines


def window_decision(plan: Plan, tests: list[Result]) -> str:
    """The window under the plan's one rule for defaults."""
    from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE

    test = next((t for t in tests if t.family == "window"), None)
    direction = None if test is None else test.direction(plan.alpha)
    if direction is None:
        return (f"The default window (k={DEFAULT_KERNEL_SIZE}) is not confirmed yet: the "
                "window test waits for every seed.")  # fmt: skip
    if direction > 0:
        return (f"k=3 beats k=5 on fresh seeds (Holm p = {test.holm:.3f}): the default "
                f"k={DEFAULT_KERNEL_SIZE} is confirmed.")  # fmt: skip
    if direction < 0:
        return (f"k=5 beats k=3 on fresh seeds (Holm p = {test.holm:.3f}): under the plan's "
                f"rule the default goes back to k=5 (it is k={DEFAULT_KERNEL_SIZE}).")  # fmt: skip
    return (f"k=3 − k=5 is not significant on fresh seeds (p = {test.holm:.3f}): under the "
            f"plan's rule the default stays k={DEFAULT_KERNEL_SIZE}, and it is called not "
            "confirmed.")  # fmt: skip


def headline(plan: Plan, tests: list[Result], link: str = "") -> str:
    """The one sentence of the verdict, by the plan's rule for it (``link``: to the page,
    for the README)."""
    where = f", [{link}]({link})" if link else ""
    controls = [t for t in tests if t.family == "controls"]
    if any(t.direction(plan.alpha) is None for t in controls) or not controls:
        done = sum(t.direction(plan.alpha) is not None for t in controls)
        return (f"**What in NeuRN does the work** (confirmatory{where}): not decided yet "
                f"({done} of {len(controls)} control tests complete).")  # fmt: skip
    beaten = [t for t in controls if t.direction(plan.alpha) > 0]
    winners = [t for t in controls if t.direction(plan.alpha) < 0]
    unbeaten = [t for t in controls if t not in beaten]

    def said(t: Result) -> str:
        return f"{LABELS[t.comparison.baseline]} (NeuRN − it {t.difference()})"

    lead = f"**What in NeuRN does the work** (confirmatory, {len(plan.seeds)} fresh seeds{where}): "
    if winners:
        return lead + "a one-line control beats NeuRN: " + "; ".join(map(said, winners)) + "."
    if unbeaten:
        opener = "NeuRN does not beat " if beaten else "NeuRN beats none of the one-line controls: "
        others = ", ".join(LABELS[t.comparison.baseline] for t in beaten)
        rest = f"; it beats the other {len(beaten)} ({others})." if beaten else "."
        return lead + opener + "; ".join(map(said, unbeaten)) + rest
    return lead + f"NeuRN beats every one-line control tested ({len(beaten)})."


def primary_decision(plan: Plan, tests: list[Result]) -> str:
    """The primary comparison, in the words of the plan's rule for it."""
    test = next(t for t in tests if t.family == "primary")
    c = test.comparison
    against = f"{LABELS[c.baseline]} from {DOMAIN_NAMES[c.source]}"
    direction = test.direction(plan.alpha)  # alone: its Holm p is its p
    if direction is None:
        return f"Against {against} (primary): not tested yet (an arm lacks a seed)."
    numbers = f"{test.difference()}, p = {p_text(test.paired.p)}"
    if direction == 0:
        return f"Against {against} (primary): no significant difference on fresh seeds ({numbers})."
    if direction > 0:
        return f"Primary: NeuRN beats {against} on fresh seeds ({numbers})."
    return f"Primary: NeuRN is worse than {against} on fresh seeds ({numbers})."


def readme_section(plan: Plan, tests: list[Result], link: str) -> str:
    """The README's lines: the verdict on the controls, the primary, the window."""
    return " ".join([headline(plan, tests, link), primary_decision(plan, tests),
                     window_decision(plan, tests)])  # fmt: skip


def report() -> None:
    plan = read_plan()
    runs = load(plan)
    tests = planned_tests(plan, runs)
    done = sum(len(seeds) for seeds in runs.values())
    expected = sum(len(m) for m in plan.grid.values()) * len(plan.seeds)
    intro = (
        "A confirmatory test of what in NeuRN does the work, by the plan committed before "
        "its runs ([invariance_plan.md](invariance_plan.md): the hypotheses, the one primary "
        "comparison, the families, the seeds, the decision rules). Protocol `digits10k`, "
        f"DigitNet, seeds {', '.join(map(str, plan.seeds))} (used by no earlier page). The "
        f"outcome of a run: {AVERAGE}. {done} of {expected} runs in."
    )
    drawn = [source for source, methods in plan.grid.items()
             if any(runs.get((source, m)) for m in methods)]  # fmt: skip
    body = "\n\n".join([
        intro,
        "## Verdict\n\n" + headline(plan, tests) + " " + primary_decision(plan, tests) + "\n\n"
        + "\n".join(findings(plan, tests)),
        "## The defaults\n\n" + window_decision(plan, tests),
        *(f"![from {DOMAIN_NAMES[source]}: per-target accuracy per method, each seed a point]"
          f"({figure_path(plan, source).name})" for source in drawn),
        "## The runs\n\nMean ± std over the seeds in (percent).\n\n" + runs_table(plan, runs),
        "## The planned tests (confirmatory)\n\nTwo-sided paired t-tests over the seeds on "
        "the outcome, Holm within each family; the primary alone. Nothing but these is "
        "tested as confirmatory.\n\n" + tests_table(plan, tests),
        "## Per target and at home (exploratory)\n\nEvery method against ERM and NeuRN "
        "(k=3) against every other method, from MNIST, on each target (syn_render included) "
        "and on MNIST's own test set; paired t-tests, Holm over this table. Chosen after the "
        "plan, decides nothing.\n\n" + exploratory_table(exploratory(plan, runs), "mnist"),
    ])  # fmt: skip
    every = [r for seeds in runs.values() for r in seeds.values()]
    write_page(PAGE, "What in NeuRN does the work: NeuRN against one-line invariances", body,
               environments_of(every))  # fmt: skip
    for source in drawn:
        write_figure(figure(plan, runs, source), figure_path(plan, source))
    write_section(README, "invariance", readme_section(plan, tests, "docs/results/invariance.md"))


def main(argv=None) -> int:
    plan = read_plan()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_grid_options(parser, "invariance", CELLS)
    parser.add_argument("--sources", nargs="+", choices=list(plan.grid), help="only these")
    parser.add_argument("--methods", nargs="+", choices=list(plan.methods), help="only these")
    parser.add_argument("--seeds", nargs="+", type=int, choices=plan.seeds, help="only these")
    args = parser.parse_args(argv)
    if not args.report_only:
        run_grid(configs(plan, args.sources, args.methods, args.seeds), args)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
