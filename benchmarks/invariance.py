"""What in NeuRN does the work: NeuRN against one-line invariances -> docs/results/invariance.md

A confirmatory page: ``docs/results/invariance_plan.md`` (committed before its first run)
names the methods, the grid, the seeds, the outcome and every test, in a JSON block that
this script reads; nothing here restates them. Each run is one cell of the digits10k
protocol, resumable, kept in ``docs/results/invariance/`` when it finishes (seed 3 of every
cell first, so a partial grid covers every method); the page comes from those files and
the plan alone.

    python -m benchmarks.invariance                       # run the missing cells, the page
    python -m benchmarks.invariance --report-only --update-readme
    python -m benchmarks.invariance --sources mnist --methods sobel --seeds 3
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks._grid import add_grid_options, run_grid
from benchmarks._report import ROOT

CELLS = ROOT / "docs" / "results" / "invariance"
PLAN = ROOT / "docs" / "results" / "invariance_plan.md"
PAGE = ROOT / "docs" / "results" / "invariance.md"
FIGURE = ROOT / "docs" / "results" / "invariance.png"
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
