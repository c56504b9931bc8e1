"""The paper's Table 1 on every backbone, with and without NeuRN -> docs/results/table1.md

Two grids of ``python -m neurn_keras.train`` runs, resumable cell by cell (run this
script again and only the missing cells are trained; finished cells are kept in
``docs/results/table1/<grid>/``, so the page can always be regenerated from the repo):

- ``cpu``: every backbone of ``neurn_keras.backbones``, in its order, with and without
  NeuRN (k=5, reflect), source MNIST (its first 10,000 training images), targets USPS,
  MNIST-M and syn_render, one seed, a budget that fits about 90 minutes of a 2-core CPU
  (below).
- ``full``: the paper's grid: every backbone, with and without NeuRN, every source
  present (MNIST, USPS, MNIST-M; SVHN when its files exist), every other domain as a
  target, the recipe (Adam 1e-3, batch 256, early stopping with patience 5, at most 100
  epochs, Precise BN on 8,192 images), seeds 0, 1, 2. Meant for a GPU: run it in
  slices with ``--max-minutes`` and bring the cell files back.

    python -m benchmarks.table1 --grid cpu                  # run (resumable), then the page
    python -m benchmarks.table1 --report-only --update-readme
    KERAS_BACKEND=jax python -m benchmarks.table1 --grid full --max-minutes 8 \\
        --cells-dir $OUT/table1/full                        # one slice on the GPU machine
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks._grid import CellStore, Finished, batchnorm_check, percent, run_cells
from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)

DOMAINS = ("mnist", "usps", "svhn", "mnist_m")
REFERENCE = ROOT / "data" / "reference" / "paper_table1.csv"
CELLS = ROOT / "docs" / "results" / "table1"
SOURCE_BAR = 0.90
"""Every backbone should learn MNIST: source test accuracy at least 90% in inference mode."""


@dataclass(frozen=True)
class Grid:
    name: str
    sources: tuple[str, ...]
    seeds: tuple[int, ...]
    epochs: int
    train_limit: int | None
    test_limit: int | None
    precise_bn: int
    domains: tuple[str, ...]  # a source's targets: the other domains present, then syn_render
    description: str

    def targets(self, source: str, present: list[str]) -> tuple[str, ...]:
        others = [d for d in self.domains if d != source and d in present]
        return (*others, "syn_render")

    def cells(self, present: list[str]):
        from neurn_keras import backbones
        from neurn_keras.training import RunConfig

        cells = []
        for backbone in backbones.NAMES:
            for source in (s for s in self.sources if s in present):
                targets = self.targets(source, present)
                for seed in self.seeds:
                    for input_norm in ("none", "neurn"):
                        cells.append(
                            RunConfig(
                                backbone=backbone,
                                input_norm=input_norm,
                                source=source,
                                targets=targets,
                                epochs=self.epochs,
                                train_limit=self.train_limit,
                                test_limit=self.test_limit,
                                precise_bn=self.precise_bn,
                                seed=seed,
                            )
                        )
        return cells


GRIDS = {
    "cpu": Grid(
        "cpu",
        sources=("mnist", "usps", "mnist_m"),
        seeds=(0,),
        epochs=2,
        train_limit=10000,
        test_limit=2000,
        precise_bn=2048,
        domains=("mnist", "usps", "mnist_m"),
        description=(
            "source MNIST, its first 10,000 training images (9,000 trained on, 1,000 held "
            "out for early stopping), the recipe (Adam 1e-3, batch 256, early stopping with "
            "patience 5) but **at most 2 epochs**, Precise BN on "
            "2,048 training images before every validation, the first 2,000 test images "
            "of each domain, seed 0, TensorFlow backend: a budget meant for a 2-core CPU "
            "(each cell's minutes are in the table; the cells ran while other work shared "
            "the cores, so images/s are lower than on an idle machine)"
        ),
    ),
    "full": Grid(
        "full",
        sources=DOMAINS,
        seeds=(0, 1, 2),
        epochs=100,
        train_limit=None,
        test_limit=None,
        precise_bn=8192,
        domains=DOMAINS,
        description=(
            "every source present with all its training images, every other domain as a "
            "target, the recipe (Adam 1e-3, batch 256, early stopping with patience 5, at "
            "most 100 epochs), Precise BN on 8,192 images, seeds 0, 1, 2"
        ),
    ),
}


def present_domains() -> list[str]:
    from neurn_keras import datasets

    found = []
    for name in DOMAINS:
        try:
            datasets.source_files(name, "train")
            datasets.source_files(name, "test")
        except FileNotFoundError:
            continue
        found.append(name)
    return found


def paper_figures() -> dict[tuple[str, bool], dict[str, float]]:
    """``{(backbone, neurn): {"mnist->usps": 74.2, ...}}`` from the paper's Table 1."""
    if not REFERENCE.is_file():
        return {}
    with open(REFERENCE, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        (row["backbone"], row["neurn"] == "true"): {
            key: float(value) for key, value in row.items() if "->" in key
        }
        for row in rows
    }


# ------------------------------------------------------------------------------- the page


def label(record) -> str:
    from neurn_keras.training.tables import backbone_label

    return backbone_label(record.backbone) + ("+NeuRN" if record.neurn else "")


def mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else None


def cpu_table(finished: list[Finished], paper) -> str:
    """One row per model: source accuracy (inference and batch statistics), each target
    beside the paper's figure, and how the run went."""
    targets = ("usps", "mnist_m", "syn_render")
    header = [
        "model", "M (source) %", "with batch statistics %",
        "M→U %", "paper M→U", "M→MM %", "paper M→MM", "M→syn_render (ours) %",
        "epochs", "best epoch", "train images/s", "minutes",
    ]  # fmt: skip
    rows = []
    for item in finished:
        record, check = item.record, item.checks.get("batchnorm", {})
        figures = paper.get((record.backbone, record.neurn), {})
        cells = [percent(record.accuracy.get(t)) for t in targets]
        rows.append([
            label(record), percent(record.accuracy["mnist"]),
            percent(check.get("batch_statistics")) if check else "no BN",
            cells[0], figures.get("mnist->usps", "–"), cells[1],
            figures.get("mnist->mnist_m", "–"), cells[2],
            record.epochs_run, record.best_epoch, f"{record.train_images_per_second:.0f}",
            f"{record.wall_seconds / 60:.1f}",
        ])  # fmt: skip
    return markdown_table(header, rows)


def neurn_effect(finished: list[Finished]) -> str:
    """Sentences from the records: where NeuRN helps, where it does not."""
    by_model = {(f.record.backbone, f.record.neurn): f.record for f in finished}
    lines = []
    for target, name in (("usps", "M→U"), ("mnist_m", "M→MM"), ("syn_render", "M→syn_render")):
        pairs = [
            (backbone, by_model[(backbone, True)], by_model[(backbone, False)])
            for backbone, neurn in by_model
            if neurn and (backbone, False) in by_model
        ]
        if not pairs:
            continue
        deltas = {b: 100 * (n.accuracy[target] - p.accuracy[target]) for b, n, p in pairs}
        better = sorted(b for b, d in deltas.items() if d > 0)
        lines.append(
            f"- {name}: NeuRN is higher for {len(better)} of {len(pairs)} backbones "
            f"(median difference {statistics.median(deltas.values()):+.1f} pp; "
            f"from {min(deltas.values()):+.1f} to {max(deltas.values()):+.1f})."
        )
    return "\n".join(lines)


CHANCE = 0.15
"""Ten classes: a training accuracy below this is no learning at all."""


def diagnosis(item: Finished) -> str:
    """Why a model is below the bar, in words, from its own numbers."""
    trained = (item.history[-1] if item.history else {}).get("accuracy")
    check = item.checks.get("batchnorm")
    if check and check["batch_statistics"] - check["inference"] > 0.02:
        return "its BatchNormalization moving statistics (inference well below batch statistics)"
    if trained is not None and trained < CHANCE:
        return "it did not learn at all (training accuracy at chance)"
    if trained is not None and trained < SOURCE_BAR + 0.05:
        return "still learning when the budget ended (training accuracy near or below the bar)"
    return "it fits its training images but not MNIST's test set"


def below_the_bar(finished: list[Finished]) -> str:
    """Every model under 90% on its source's test set, with the numbers that say why."""
    lines = []
    for item in finished:
        record = item.record
        source = record.accuracy[record.source]
        if source >= SOURCE_BAR:
            continue
        last = item.history[-1] if item.history else {}
        check = item.checks.get("batchnorm")
        why = (
            f"last-epoch training accuracy {percent(last.get('accuracy'))}%, best validation "
            f"accuracy {percent(record.best_val_accuracy)}%"
        )
        if check:
            why += (
                f"; with each batch's own BatchNormalization statistics "
                f"{percent(check['batch_statistics'])}% (inference {percent(check['inference'])}%)"
            )
        else:
            why += "; no BatchNormalization"
        lines.append(f"- {label(record)}: {percent(source)}% — {why}: {diagnosis(item)}.")
    if not lines:
        return f"Every model reaches {100 * SOURCE_BAR:.0f}% on MNIST's test set."
    return (
        f"Below {100 * SOURCE_BAR:.0f}% on MNIST's own test set (the source) after the "
        "CPU budget:\n\n" + "\n".join(lines)
    )


def batchnorm_gap(finished: list[Finished]) -> str:
    gaps = [(label(f.record), f.checks["batchnorm"]) for f in finished if f.checks.get("batchnorm")]
    if not gaps:
        return ""

    def shortfall(check) -> float:  # how far inference falls below batch statistics
        return check["batch_statistics"] - check["inference"]

    worst = max(gaps, key=lambda g: shortfall(g[1]))
    within = sum(shortfall(c) <= 0.02 for _, c in gaps)
    if shortfall(worst[1]) <= 0:
        return (
            f"BatchNormalization check (Precise BN on): in none of the {len(gaps)} models with "
            "BatchNormalization is the source accuracy in inference mode below the accuracy "
            "with each test batch's own statistics."
        )
    return (
        f"BatchNormalization check (Precise BN on): for {within} of the {len(gaps)} models "
        "with BatchNormalization, the source accuracy in inference mode is at most 2 points "
        "below (or above) the accuracy with each test batch's own statistics; the largest "
        f"shortfall is {worst[0]}'s ({percent(worst[1]['inference'])}% in inference against "
        f"{percent(worst[1]['batch_statistics'])}%)."
    )


def full_section(finished: list[Finished], expected: int) -> str:
    if not finished:
        return (
            f"Not run yet ({expected} cells): no accelerator has been lent to the sessions "
            "that ran this script so far. To run it: "
            "`KERAS_BACKEND=jax python -m benchmarks.table1 --grid full` (resumable, in "
            "slices with `--max-minutes`)."
        )
    from neurn_keras.training.tables import build_table, render_table

    table = build_table([f.record for f in finished])
    return f"{len(finished)} of {expected} cells.\n\n" + render_table(table, "md")


def steps_text(finished: list[Finished]) -> str:
    """How many optimizer steps the cells took, from their records."""
    steps = sorted({f.record.steps_run for f in finished})
    if not steps:
        return ""
    span = str(steps[0]) if len(steps) == 1 else f"{steps[0]} to {steps[-1]}"
    return f"{span} optimizer steps per cell; "


def report(present: list[str], update_readme: bool) -> None:
    paper = paper_figures()
    stores = {name: CellStore(CELLS / name) for name in GRIDS}
    cpu = sorted(stores["cpu"].load(), key=lambda f: _order(f.record))
    full = stores["full"].load()
    expected_cpu = len(GRIDS["cpu"].cells(present))
    expected_full = len(GRIDS["full"].cells(present))
    missing = [d for d in DOMAINS if d not in present]
    minutes = sum(f.record.wall_seconds for f in cpu) / 60
    body = "\n".join(
        [
            "Table 1 of the paper: each backbone trained on one digit domain, tested on the "
            "others, with and without NeuRN in front. Every number comes from the cell files "
            "in `docs/results/table1/` (one per run: its `results.json`, `history.csv` and "
            "the BatchNormalization check), written by this script. Accuracies in percent; "
            '"paper" columns are Qazi et al.\'s Table 1 (their recipe starts from ImageNet '
            "weights fine-tuned on CIFAR-27; ours starts from random weights).",
            "",
            f"Domains missing here: {', '.join(missing) or 'none'}.",
            "",
            "## The CPU grid",
            "",
            f"{GRIDS['cpu'].description}. {len(cpu)} of {expected_cpu} cells; "
            f"{steps_text(cpu)}"
            f"{minutes:.0f} minutes of training and evaluation in all.",
            "",
            cpu_table(cpu, paper) if cpu else "No cell has finished yet.",
            "",
            '"with batch statistics": the same saved model on the first 1,000 source test '
            "images, normalizing with each batch's own statistics instead of the moving ones "
            '("no BN": the model has no BatchNormalization).',
            "",
            neurn_effect(cpu),
            "",
            below_the_bar(cpu) if cpu else "",
            "",
            batchnorm_gap(cpu),
            "",
            "## The full grid",
            "",
            GRIDS["full"].description + ".",
            "",
            full_section(full, expected_full),
        ]
    )
    write_page(ROOT / "docs" / "results" / "table1.md", "Table 1 on every backbone", body)
    if update_readme:
        summary = "\n".join(
            [
                f"**Table 1 on every backbone, CPU budget** ({GRIDS['cpu'].description}; "
                f"[docs/results/table1.md](docs/results/table1.md), from "
                "`python -m benchmarks.table1`):",
                "",
                cpu_table(cpu, paper) if cpu else "No cell has finished yet.",
                "",
                neurn_effect(cpu),
                "",
                batchnorm_gap(cpu),
            ]
        )
        replace_readme_section("table1", summary)


def _order(record):
    from neurn_keras import backbones

    return (backbones.order(record.backbone), record.neurn, record.source, record.seed)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", choices=tuple(GRIDS), default="cpu")
    parser.add_argument("--report-only", action="store_true", help="only write the page")
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument(
        "--max-minutes", type=float, default=None, help="start no new cell after this many minutes"
    )
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "benchmarks" / "table1")
    parser.add_argument(
        "--cells-dir", type=Path, default=None, help="finished cells (default table1/GRID)"
    )
    parser.add_argument(
        "--backbones",
        nargs="+",
        default=None,
        metavar="NAME",
        help="only these backbones' cells, in this order (default: all, in Table 1's order)",
    )
    args = parser.parse_args(argv)
    from neurn_keras import backbones

    unknown = sorted(set(args.backbones or ()) - set(backbones.NAMES))
    if unknown:
        parser.error(f"unknown backbones {unknown}; choose from {', '.join(backbones.NAMES)}")
    if args.update_readme:
        check_readme_section("table1")
    present = present_domains()
    if "mnist" not in present:
        parser.error("MNIST not found: set NEURN_DATA_DIR (see data/README.md)")
    if not args.report_only:
        grid = GRIDS[args.grid]
        store = CellStore(args.cells_dir or CELLS / grid.name)
        started = time.monotonic()
        cells = grid.cells(present)
        if args.backbones:
            cells = [c for name in args.backbones for c in cells if c.backbone == name]
        failed = run_cells(
            cells,
            args.runs_dir / grid.name,
            store,
            checks=batchnorm_check,
            max_minutes=args.max_minutes,
        )
        print(f"{(time.monotonic() - started) / 60:.1f} min; failed: {failed or 'none'}")
    report(present, args.update_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
