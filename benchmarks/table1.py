"""The paper's Table 1 on every transfer our data allows -> docs/results/table1.md

Grids of ``python -m neurn_keras.train`` runs, resumable cell by cell (run this script
again and only the missing cells are trained). Each finished cell is kept as one file in
``docs/results/table1/<grid>/``, and the page (with ``table1_heatmap.png`` and the
README's section) is generated from those files alone:

- ``cpu``: the snapshot. Every backbone of ``neurn_keras.backbones``, with and without
  NeuRN (``KERNEL_SIZE``, reflect), on sources MNIST, USPS and MNIST-M (each source's
  targets: the other two and syn_render), 2 epochs, each source's first 10,000 training images,
  2,000 test images per domain, seed 0: about 90 minutes per source on a 2-core CPU.
- ``digitnet``: DigitNet with and without NeuRN to convergence (the recipe: early
  stopping with patience 5, at most 100 epochs) on the cpu grid's data, seeds 0, 1, 2,
  the three sources: 18 runs. DigitNet is the one backbone a 2-core CPU trains to
  convergence in minutes; its NeuRN − plain, averaged over the six transfers, is the
  page's primary comparison.
- ``vgg19-probe``: VGG19 without NeuRN on 3,000 MNIST images for 3 epochs at a few
  learning rates below the recipe's 1e-3 (at which it never leaves chance).
- ``vgg19-lr``: VGG19 with and without NeuRN on the cpu grid's budget at the learning
  rate the probe chose (``chosen_lr``: read from the probe's cells, never typed): 6 cells.
- ``gpu``: the paper's grid: every backbone with and without NeuRN, every source present
  with all its training images, every other domain as a target, the recipe (Adam 1e-3,
  batch 256, early stopping with patience 5, at most 100 epochs, Precise BN on 8,192
  images), seeds 0, 1, 2 (seed 0 of every cell first). Meant for a GPU under JAX, in
  slices.

    python -m benchmarks.table1 --grid cpu                  # run (resumable), then the page
    python -m benchmarks.table1 --grid digitnet             # 18 runs to convergence
    python -m benchmarks.table1 --grid vgg19-probe          # then --grid vgg19-lr
    python -m benchmarks.table1 --report-only              # the page from the cells

On the GPU machine (the repository with ``.device/`` packed by
``../shared/tools/device-pack``, run from its root; ``setup.sh`` installs Keras, selects
JAX and points ``NEURN_DATA_DIR`` at the packed data), one slice is one call::

    source .device/setup.sh && mkdir -p $OUT/gpu && \\
        { cp docs/results/table1/gpu/*.json $OUT/gpu/ 2>/dev/null || true; } && \\
        python -m benchmarks.table1 --grid gpu --max-minutes 5 --cells-dir $OUT/gpu \\
        --runs-dir /tmp/runs --no-report

The committed cells are copied in first, so they are skipped; each new cell is written to
``$OUT/gpu`` the moment it finishes, so a call cut off by its time limit still brings back
every finished cell (the one in progress is lost and starts again next time).
``--max-minutes`` starts no new cell after that many minutes: leave the call's limit
room for the last one. Copy what comes back into ``docs/results/table1/gpu/``, commit
it, and rebuild the page here with ``--report-only``.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks._grid import add_grid_options, batchnorm_check, percent, run_cells
from benchmarks.results import (
    DOMAIN_NAMES,
    README,
    REAL_DOMAINS,
    RENDERED,
    RESULTS,
    ROOT,
    CellStore,
    Finished,
    average_over_targets,
    environments_of,
    markdown_table,
    permutation_agreement,
    sign_test,
    spearman,
    write_figure,
    write_page,
    write_section,
)

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure

    from neurn_keras.training.tables import PairedComparison

DOMAINS = REAL_DOMAINS
NAMES = DOMAIN_NAMES
REFERENCE = ROOT / "data" / "reference" / "paper_table1.csv"
CELLS = RESULTS / "table1"
PAGE = RESULTS / "table1.md"
FIGURE = RESULTS / "table1_heatmap.png"
SOURCE_BAR = 0.90
"""Every backbone should learn its source: source test accuracy at least 90% in inference
mode (the models below it are listed with the numbers that say why)."""
CHANCE = 0.15
"""Ten classes: a training accuracy below this is no learning at all (rows marked †)."""
ALPHA = 0.05
"""A Holm-corrected p below this is starred and called significant."""
TIE_POINTS = 2.0
"""The sensitivity analysis counts |NeuRN − plain| below this (pp) as a tie: converged
DigitNet's seeds alone move a transfer by up to 4.5 pp, and a 2-epoch snapshot has one."""
GPU_CALL = (
    "source .device/setup.sh && mkdir -p $OUT/gpu && { cp docs/results/table1/gpu/*.json "
    "$OUT/gpu/ 2>/dev/null || true; } && python -m benchmarks.table1 --grid gpu "
    "--max-minutes 5 --cells-dir $OUT/gpu --runs-dir /tmp/runs --no-report"
)
"""One slice of the gpu grid on the GPU machine (the module docstring says more)."""
RECIPE_LR = 0.001
"""The recipe's Adam learning rate (the paper's)."""
PROBE_BAR = 0.5
"""The VGG19 probe: a learning rate qualifies when its best validation accuracy (on the
held-out MNIST training images; never the test set) reaches this."""
AT_CHANCE_WHY = {
    "vgg19": (
        "VGG19 has no BatchNormalization, 19 weight layers and random initial weights here "
        "(the paper started from ImageNet weights); under the recipe's Adam at lr 1e-3 it "
        "never leaves chance"
    ),
}
"""Why a backbone's recipe rows sit at chance, for the footnote under the tables."""


@dataclass(frozen=True)
class Grid:
    """One grid of cells: every backbone × learning rate × source × seed × input norm."""

    name: str
    sources: tuple[str, ...]
    seeds: tuple[int, ...]
    epochs: int
    train_limit: int | None
    test_limit: int | None
    precise_bn: int
    domains: tuple[str, ...]  # a source's targets: the other domains present, then syn_render
    description: str
    backbones: tuple[str, ...] | None = None  # None: every backbone, in Table 1's order
    input_norms: tuple[str, ...] = ("none", "neurn")
    lrs: tuple[float, ...] | None = (RECIPE_LR,)  # None: the learning rate the probe chose
    with_targets: bool = True  # False: the source's own test set only
    seed_major: bool = False  # seed 0 of every cell first, so a partial grid covers all

    def targets(self, source: str, present: Sequence[str]) -> tuple[str, ...]:
        if not self.with_targets:
            return ()
        others = [d for d in self.domains if d != source and d in present]
        return (*others, RENDERED)

    def cells(self, present: Sequence[str], lrs: tuple[float, ...] | None = None) -> list:
        """The grid's ``RunConfig``s, in the order they run (``lrs`` replaces the grid's)."""
        from neurn_keras import backbones
        from neurn_keras.training import RunConfig

        lrs = lrs or self.lrs
        if not lrs:
            raise ValueError(f"grid {self.name!r} takes its learning rate from the VGG19 probe")
        keys = [
            (seed, backbone, lr, source)
            for backbone in self.backbones or backbones.NAMES
            for lr in lrs
            for source in self.sources
            if source in present
            for seed in self.seeds
        ]
        if self.seed_major:
            keys.sort(key=lambda key: key[0])  # stable: the rest of the order is kept
        return [
            RunConfig(
                backbone=backbone,
                input_norm=input_norm,
                kernel_size=KERNEL_SIZE,
                source=source,
                targets=self.targets(source, present),
                epochs=self.epochs,
                lr=lr,
                train_limit=self.train_limit,
                test_limit=self.test_limit,
                precise_bn=self.precise_bn,
                seed=seed,
            )
            for seed, backbone, lr, source in keys
            for input_norm in self.input_norms
        ]


KERNEL_SIZE = 5
"""NeuRN's window in every Table 1 cell: the package's default when the grid began (it is
3 since 0.2.0, after ``neurn_ablations``); kept so that the cells stay one grid."""

CPU_DATA = (
    "each source's first 10,000 training images (90% trained on, 10% held out for early "
    "stopping; USPS has 7,291 in all), the first 2,000 test images of each domain"
)
CPU_BUDGET = {
    "sources": ("mnist", "usps", "mnist_m"),
    "seeds": (0,),
    "epochs": 2,
    "train_limit": 10000,
    "test_limit": 2000,
    "precise_bn": 2048,
    "domains": ("mnist", "usps", "mnist_m"),
}
"""The 2-epoch snapshot's budget, shared by the recipe's cells and VGG19's at its own rate."""
GRIDS = {
    "cpu": Grid(
        "cpu",
        **CPU_BUDGET,
        description=(
            f"Sources MNIST, USPS and MNIST-M, {CPU_DATA}, the recipe (Adam 1e-3, batch "
            "256, early stopping with patience 5) but **at most 2 epochs**, Precise BN on "
            "2,048 training images before every validation, seed 0, TensorFlow backend: a "
            "budget meant for a 2-core CPU, a snapshot in which several backbones are still "
            "learning (each cell's minutes are in the tables; the cells ran while other "
            "work shared the cores, so images/s are lower than on an idle machine)"
        ),
    ),
    "digitnet": Grid(
        "digitnet",
        sources=("mnist", "usps", "mnist_m"),
        seeds=(0, 1, 2),
        epochs=100,
        train_limit=10000,
        test_limit=2000,
        precise_bn=2048,
        domains=("mnist", "usps", "mnist_m"),
        description=(
            f"DigitNet with and without NeuRN (k={KERNEL_SIZE}, reflect) on sources MNIST, "
            f"USPS and MNIST-M, {CPU_DATA}, the full recipe: Adam 1e-3, batch 256, early stopping "
            "on validation accuracy with patience 5, at most 100 epochs, the best epoch "
            "kept; seeds 0, 1, 2. DigitNet is the one backbone a 2-core CPU trains to "
            "convergence in minutes (it has no BatchNormalization, so Precise BN does "
            "nothing)"
        ),
        backbones=("digitnet",),
        seed_major=True,
    ),
    "vgg19-probe": Grid(
        "vgg19-probe",
        sources=("mnist",),
        seeds=(0,),
        epochs=3,
        train_limit=3000,
        test_limit=2000,
        precise_bn=2048,
        domains=(),
        description=(
            "VGG19 without NeuRN, source MNIST, its first 3,000 training images (2,700 "
            "trained on), 3 epochs of Adam, batch 256, seed 0, the first 2,000 MNIST test "
            "images, at learning rates below the recipe's 1e-3"
        ),
        backbones=("vgg19",),
        input_norms=("none",),
        lrs=(3e-4, 1e-4, 3e-5, 1e-5),
        with_targets=False,
    ),
    "vgg19-lr": Grid(
        "vgg19-lr",
        **CPU_BUDGET,
        description=(
            "VGG19 with and without NeuRN on the cpu grid's sources, data and budget, at "
            "the learning rate the probe chose instead of the recipe's 1e-3"
        ),
        backbones=("vgg19",),
        lrs=None,
    ),
    "gpu": Grid(
        "gpu",
        sources=DOMAINS,
        seeds=(0, 1, 2),
        epochs=100,
        train_limit=None,
        test_limit=None,
        precise_bn=8192,
        domains=DOMAINS,
        description=(
            "The paper's grid on a GPU under JAX: every backbone with and without NeuRN, "
            "every source present with all its training images, every other domain (and "
            "syn_render) as a target with its full test set, the recipe (Adam 1e-3, batch "
            "256, early stopping with patience 5, at most 100 epochs), Precise BN on 8,192 "
            "images, seeds 0, 1, 2"
        ),
        seed_major=True,
    ),
}


def present_domains() -> list[str]:
    """The real domains whose files are in the data directory (to run cells)."""
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


def domains_of(finished: list[Finished]) -> list[str]:
    """The real domains the records were trained or tested on (to write the page)."""
    seen = {d for f in finished for d in (f.record.source, *f.record.accuracy)}
    return [d for d in DOMAINS if d in seen]


def grid_cells(name: str, present: Sequence[str], probe: list[Finished] | None = None) -> list:
    """The cells of grid ``name``; ``vgg19-lr``'s at the probe's choice (none before it)."""
    grid = GRIDS[name]
    if grid.lrs is not None:
        return grid.cells(present)
    if probe is None:
        probe = CellStore(CELLS / "vgg19-probe").load()
    lr = chosen_lr(probe)
    return [] if lr is None else grid.cells(present, (lr,))


def chosen_lr(probe: list[Finished], bar: float = PROBE_BAR) -> float | None:
    """The probe's learning rate with the highest best validation accuracy (held-out
    training images, not the test set), if that reaches ``bar`` (ties: the larger rate);
    None when none does."""
    scored = [(f.record.best_val_accuracy or 0.0, lr_of(f.record)) for f in probe]
    passing = [item for item in scored if item[0] >= bar]
    return max(passing)[1] if passing else None


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


def paper_key(transfer: tuple[str, str]) -> str:
    return f"{transfer[0]}->{transfer[1]}"


def paper_differences(paper) -> dict[str, dict[str, float]]:
    """``{"mnist->usps": {backbone: NeuRN − plain in points}}`` from the paper's table."""
    out: dict[str, dict[str, float]] = {}
    for (backbone, neurn), figures in paper.items():
        if not neurn or (backbone, False) not in paper:
            continue
        for key, value in figures.items():
            out.setdefault(key, {})[backbone] = value - paper[(backbone, False)][key]
    return out


# ------------------------------------------------------------------------------ the numbers

Transfer = tuple[str, str]


@dataclass(frozen=True)
class Model:
    """A pair of rows: one backbone at one learning rate, with and without NeuRN."""

    backbone: str
    lr: float = RECIPE_LR

    @property
    def recipe(self) -> bool:
        return self.lr == RECIPE_LR

    def label(self) -> str:
        from neurn_keras.training.tables import backbone_label

        extra = "" if self.recipe else f" (lr {lr_text(self.lr)})"
        return backbone_label(self.backbone) + extra

    def order(self) -> tuple[int, float]:
        from neurn_keras import backbones

        return (backbones.order(self.backbone), -self.lr)


def lr_text(lr: float) -> str:
    """``3e-05``: a learning rate as the tables print it."""
    return f"{lr:.0e}"


def lr_of(record) -> float:
    return float(record.config.get("lr", RECIPE_LR))


def model_of(record) -> Model:
    return Model(record.backbone, lr_of(record))


def label(record) -> str:
    return model_of(record).label() + ("+NeuRN" if record.neurn else "")


def transfers_of(grid: Grid, present: Sequence[str]) -> list[Transfer]:
    """Every (source, target) of a grid, sources in its order, targets in theirs."""
    return [(s, t) for s in grid.sources if s in present for t in grid.targets(s, present)]


def differences(finished: list[Finished]) -> dict[Model, dict[Transfer, float]]:
    """NeuRN − plain in percentage points per model and transfer, averaged over the seeds
    that both have (a transfer without both runs is left out)."""
    runs: dict[tuple, dict[int, dict]] = {}
    for item in finished:
        record = item.record
        key = (model_of(record), record.source, record.neurn)
        runs.setdefault(key, {})[record.seed] = record.accuracy
    out: dict[Model, dict[Transfer, float]] = {}
    for (model, source, neurn), with_neurn in runs.items():
        plain = runs.get((model, source, False))
        seeds = sorted(set(with_neurn) & set(plain or ()))
        if not neurn or not seeds:
            continue
        targets = [t for t in with_neurn[seeds[0]] if t != source]
        for target in targets:
            values = [
                100 * (with_neurn[s][target] - plain[s][target])
                for s in seeds
                if target in with_neurn[s] and target in plain[s]
            ]
            if values:
                out.setdefault(model, {})[(source, target)] = statistics.fmean(values)
    return out


def arms(finished: list[Finished]) -> dict[Model, dict[Transfer, tuple[float, float]]]:
    """(plain, NeuRN) target accuracy in percent per model and transfer, seed means."""
    runs: dict[tuple, dict[int, dict]] = {}
    for item in finished:
        record = item.record
        runs.setdefault((model_of(record), record.source, record.neurn), {})[record.seed] = (
            record.accuracy
        )
    out: dict[Model, dict[Transfer, tuple[float, float]]] = {}
    for (model, source, neurn), with_neurn in runs.items():
        plain = runs.get((model, source, False), {})
        seeds = sorted(set(with_neurn) & set(plain)) if neurn else []
        for target in [t for t in with_neurn[seeds[0]] if t != source] if seeds else []:
            both = [s for s in seeds if target in with_neurn[s] and target in plain[s]]
            if both:
                out.setdefault(model, {})[(source, target)] = (
                    statistics.fmean(100 * plain[s][target] for s in both),
                    statistics.fmean(100 * with_neurn[s][target] for s in both),
                )
    return out


@dataclass(frozen=True)
class Verdict:
    """NeuRN − plain on one transfer across backbones (points), beside the paper's signs.

    ``near_chance`` names the backbones whose two arms are both below ``CHANCE`` on this
    transfer (the sensitivity analysis leaves them out)."""

    transfer: Transfer
    deltas: dict[str, float]  # backbone -> ours
    paper: dict[str, float]  # backbone -> the paper's (backbones it has)
    near_chance: frozenset = frozenset()

    @property
    def sensitive(self) -> tuple[int, int, int]:
        """(higher, lower, ties) with |Δ| < TIE_POINTS a tie and near-chance rows left out."""
        kept = [d for b, d in self.deltas.items() if b not in self.near_chance]
        higher = sum(d >= TIE_POINTS for d in kept)
        lower = sum(d <= -TIE_POINTS for d in kept)
        return higher, lower, len(kept) - higher - lower

    @property
    def sensitive_p(self) -> float | None:
        higher, lower, _ = self.sensitive
        return sign_test(higher, lower)

    @property
    def permutation(self) -> tuple[int, int, float] | None:
        """(agree, compared, p): our signs against the paper's on the backbones where both
        are nonzero, and the chance of as many agreements with our signs shuffled."""
        both = [(d, self.paper[b]) for b, d in self.deltas.items() if b in self.paper]
        both = [(d, p) for d, p in both if d != 0 and p != 0]
        if not both:
            return None
        ours, theirs = [1 if d > 0 else -1 for d, _ in both], [1 if p > 0 else -1 for _, p in both]
        agree, p = permutation_agreement(ours, theirs)
        return agree, len(both), p

    @property
    def rank_correlation(self) -> float | None:
        """Spearman's ρ of our Δ with the paper's Δ over the backbones both have."""
        shared = [b for b in self.deltas if b in self.paper]
        return spearman([self.deltas[b] for b in shared], [self.paper[b] for b in shared])

    @property
    def higher(self) -> int:
        return sum(d > 0 for d in self.deltas.values())

    @property
    def lower(self) -> int:
        return sum(d < 0 for d in self.deltas.values())

    @property
    def ties(self) -> int:
        return sum(d == 0 for d in self.deltas.values())

    @property
    def p_value(self) -> float | None:
        return sign_test(self.higher, self.lower)

    @property
    def agreement(self) -> tuple[int, int]:
        """(agree, compared): backbones where both signs are nonzero, and those equal."""
        both = [(d, self.paper[b]) for b, d in self.deltas.items() if b in self.paper]
        both = [(d, p) for d, p in both if d != 0 and p != 0]
        return sum((d > 0) == (p > 0) for d, p in both), len(both)

    @property
    def paper_higher(self) -> tuple[int, int]:
        return sum(p > 0 for p in self.paper.values()), len(self.paper)


def verdicts(
    diffs: dict[Model, dict[Transfer, float]],
    transfers: Sequence[Transfer],
    paper_diffs: dict[str, dict[str, float]],
    accuracies: dict[Model, dict[Transfer, tuple[float, float]]] | None = None,
) -> list[Verdict]:
    """One verdict per transfer over the recipe's models (other learning rates left out);
    ``accuracies`` (``arms``) marks the backbones near chance on both arms."""
    out = []
    for transfer in transfers:
        deltas = {m.backbone: d[transfer] for m, d in diffs.items() if m.recipe and transfer in d}
        near = frozenset(
            m.backbone
            for m, pairs in (accuracies or {}).items()
            if m.recipe and transfer in pairs and max(pairs[transfer]) < 100 * CHANCE
        )
        out.append(Verdict(transfer, deltas, paper_diffs.get(paper_key(transfer), {}), near))
    return out


def records_of(finished: list[Finished]) -> list:
    return [f.record for f in finished]


def primary_comparison(finished: list[Finished]) -> PairedComparison | None:
    """DigitNet+NeuRN − DigitNet, each run's accuracy averaged over its real targets (the
    paper's transfers), paired by (source, seed); a ``PairedComparison`` or None."""
    from neurn_keras.training.tables import PairedComparison

    runs = {(f.record.source, f.record.seed, f.record.neurn): f.record for f in finished}
    pairs = sorted((s, seed) for s, seed, n in runs if n and (s, seed, False) in runs)
    if not pairs:
        return None

    def value(record) -> float:
        return average_over_targets(record.accuracy, record.source)

    return PairedComparison(
        "digitnet",
        "DigitNet+NeuRN",
        "DigitNet",
        ("six transfers", "average"),
        tuple(range(len(pairs))),
        tuple(value(runs[(s, seed, False)]) for s, seed in pairs),
        tuple(value(runs[(s, seed, True)]) for s, seed in pairs),
    )


def interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float] | None:
    """The t confidence interval of the mean of ``values`` (None with fewer than two)."""
    if len(values) < 2:
        return None
    from scipy.stats import t

    half = t.ppf(0.5 + level / 2, len(values) - 1) * statistics.stdev(values)
    half /= math.sqrt(len(values))
    centre = statistics.fmean(values)
    return centre - half, centre + half


def digitnet_tests(finished: list[Finished]) -> list[PairedComparison]:
    """DigitNet+NeuRN against DigitNet per transfer, paired t-tests over seeds."""
    from neurn_keras.training.tables import build_table, paired_comparisons

    if not finished:
        return []
    return paired_comparisons(build_table(records_of(finished)))


def exploratory_family(
    tests: list[PairedComparison], verdict_list: list[Verdict]
) -> tuple[list[float | None], list[float | None]]:
    """Holm over every exploratory test of the page together: the per-transfer t-tests and
    the sign tests. Returns the adjusted p-values of each, in their order."""
    from neurn_keras.training.tables import holm_adjusted

    adjusted = holm_adjusted([c.p_value for c in tests] + [v.p_value for v in verdict_list])
    return adjusted[: len(tests)], adjusted[len(tests) :]


def heatmap_matrix(rows: Sequence[dict], columns: Sequence[Transfer]) -> np.ndarray:
    """Rows × columns of NeuRN − plain (points), NaN where a row lacks the transfer."""
    import numpy as np

    return np.array([[row.get(c, np.nan) for c in columns] for row in rows], dtype=float)


# ------------------------------------------------------------------------------- the page


def p_text(p: float | None, star: bool = False) -> str:
    if p is None:
        return "–"
    return f"{p:.3f}" + (" *" if star and p < ALPHA else "")


def at_chance(item: Finished) -> bool:
    trained = (item.history[-1] if item.history else {}).get("accuracy")
    return trained is not None and trained < CHANCE


def mark(item: Finished) -> str:
    return label(item.record) + (" †" if at_chance(item) else "")


def chance_note(finished: list[Finished], lr: float | None) -> str:
    """The footnote for the rows marked †: which, and why, from their records."""
    flagged = [f for f in finished if at_chance(f)]
    if not flagged:
        return ""
    names = ", ".join(dict.fromkeys(label(f.record) for f in flagged))
    text = (
        f"† At chance: last-epoch training accuracy below {100 * CHANCE:.0f}% (ten "
        f"classes): {names}."
    )
    for backbone, why in AT_CHANCE_WHY.items():
        if any(f.record.backbone == backbone and model_of(f.record).recipe for f in flagged):
            text += f" {why}."
            if backbone == "vgg19" and lr is not None:
                text += (
                    f" The rows VGG19 (lr {lr_text(lr)}) are the same network at the learning "
                    "rate the probe chose (the probe: docs/results/table1.md, *VGG19*)."
                )
    return text + unexplained_chance(finished, flagged)


def unexplained_chance(finished: list[Finished], flagged: list[Finished]) -> str:
    """For flagged models without a known reason: the sources they stay at chance on and
    those they learn on the same budget, as the records show; no reason claimed."""
    parts = []
    for name in dict.fromkeys(label(f.record) for f in flagged):
        if any(f.record.backbone in AT_CHANCE_WHY for f in flagged if label(f.record) == name):
            continue
        stuck = {f.record.source for f in flagged if label(f.record) == name}
        learns = {f.record.source for f in finished if label(f.record) == name} - stuck
        part = f"{name}: at chance from {', '.join(NAMES[s] for s in sorted(stuck))}"
        if learns:
            part += f", but it learns from {', '.join(NAMES[s] for s in sorted(learns))}"
        parts.append(part)
    if not parts:
        return ""
    return f" {'; '.join(parts)} on the same budget (why is not measured here)."


def source_table(finished: list[Finished], source: str, targets: Sequence[str], paper: dict) -> str:
    """One row per model trained on ``source``: its own test accuracy (inference and batch
    statistics), each target beside the paper's figure, and how the run went."""
    from neurn_keras.training.tables import domain_label, transfer_label

    published = {key for figures in paper.values() for key in figures}
    header = ["model", f"{domain_label(source)} (source) %", "with batch statistics %"]
    for target in targets:
        header.append(f"{transfer_label((source, target))} %")
        if paper_key((source, target)) in published:
            header.append(f"paper {transfer_label((source, target))}")
    header += ["epochs", "best epoch", "train images/s", "minutes"]
    rows = []
    for item in finished:
        record, check = item.record, item.checks.get("batchnorm", {})
        figures = paper.get((record.backbone, record.neurn), {}) if model_of(record).recipe else {}
        row = [
            mark(item),
            percent(record.accuracy[source]),
            percent(check.get("batch_statistics")) if check else "no BN",
        ]
        for target in targets:
            row.append(percent(record.accuracy.get(target)))
            if paper_key((source, target)) in published:
                row.append(figures.get(paper_key((source, target)), "–"))
        row += [
            record.epochs_run,
            record.best_epoch,
            f"{record.train_images_per_second:.0f}",
            f"{record.wall_seconds / 60:.1f}",
        ]
        rows.append(row)
    return markdown_table(header, rows)


def agreement_text(verdict: Verdict) -> str:
    """Our signs against the paper's, as chance would have them, and the rank correlation."""
    found = verdict.permutation
    if found is None:
        return "–"
    agree, compared, p = found
    rho = verdict.rank_correlation
    return f"{agree} of {compared} (p = {p:.2f}); ρ = " + ("–" if rho is None else f"{rho:+.2f}")


def sensitivity_text(verdict: Verdict, p_holm: float | None) -> str:
    higher, lower, ties = verdict.sensitive
    left_out = len(verdict.near_chance)
    out = f" ({left_out} near chance left out)" if left_out else ""
    tested = f"p = {p_text(verdict.sensitive_p)}, Holm {p_text(p_holm)}"
    return f"{higher} higher, {lower} lower, {ties} tie{'s' * (ties != 1)}{out}; {tested}"


def verdict_table(
    verdict_list: list[Verdict], adjusted: list[float | None], sensitive: list[float | None]
) -> str:
    from neurn_keras.training.tables import transfer_label

    header = [
        "transfer", "NeuRN higher", "median Δ (pp)", "range Δ (pp)", "sign test p",
        "p (Holm)", f"sensitivity: Δ within ±{TIE_POINTS:g} pp a tie, both arms < "
        f"{100 * CHANCE:.0f}% left out", "signs as the paper's (permutation p); rank "
        "correlation of Δ", "paper: NeuRN higher",
    ]  # fmt: skip
    rows = []
    for verdict, p_holm, p_sensitive in zip(verdict_list, adjusted, sensitive, strict=True):
        deltas = list(verdict.deltas.values())
        paper_higher = sum(p > 0 for p in verdict.paper.values())
        paper = f"{paper_higher} of {len(verdict.paper)}" if verdict.paper else "–"
        ties = f" ({verdict.ties} tie{'s' if verdict.ties != 1 else ''})" if verdict.ties else ""
        if not deltas:
            rows.append([transfer_label(verdict.transfer), "not run yet", *["–"] * 6, paper])
            continue
        rows.append(
            [
                transfer_label(verdict.transfer),
                f"{verdict.higher} of {len(deltas)}{ties}",
                f"{statistics.median(deltas):+.1f}",
                f"{min(deltas):+.1f} to {max(deltas):+.1f}",
                p_text(verdict.p_value),
                p_text(p_holm, star=True),
                sensitivity_text(verdict, p_sensitive),
                agreement_text(verdict),
                paper,
            ]
        )
    return markdown_table(header, rows)


def verdict_lines(
    verdict_list: list[Verdict], adjusted: list[float | None], sensitive: list[float | None]
) -> str:
    """One sentence per transfer, with the counts written "N of 11"."""
    from neurn_keras.training.tables import transfer_label

    lines = []
    for verdict, p_holm, p_sensitive in zip(verdict_list, adjusted, sensitive, strict=True):
        deltas = list(verdict.deltas.values())
        if not deltas:
            continue
        ties = (
            f", {verdict.ties} tie{'s' if verdict.ties != 1 else ''} left out of the test"
            if verdict.ties
            else ""
        )
        paper = f"; signs as the paper's: {agreement_text(verdict)}" if verdict.permutation else ""
        lines.append(
            f"- {transfer_label(verdict.transfer)}: NeuRN is higher for {verdict.higher} of "
            f"{len(deltas)} backbones{ties} (median {statistics.median(deltas):+.1f} pp, "
            f"from {min(deltas):+.1f} to {max(deltas):+.1f}; sign test p = "
            f"{p_text(verdict.p_value)}, Holm {p_text(p_holm)}); counting |Δ| < "
            f"{TIE_POINTS:g} pp as ties and leaving out rows near chance: "
            f"{sensitivity_text(verdict, p_sensitive)}{paper}."
        )
    return "\n".join(lines)


def direction_summary(verdict_list: list[Verdict]) -> str:
    """One sentence: on which transfers most backbones move the way the paper's do, on
    which against it, and on which one side is split evenly (so neither)."""
    from neurn_keras.training.tables import transfer_label

    def direction(higher: int, lower: int) -> int:
        return (higher > lower) - (higher < lower)

    same, against, split = [], [], []
    for v in verdict_list:
        paper_higher, paper_n = v.paper_higher
        paper_lower = sum(p < 0 for p in v.paper.values())
        ours = direction(v.higher, v.lower)
        theirs = direction(paper_higher, paper_lower)
        if not v.deltas or not paper_n:
            continue
        label = transfer_label(v.transfer)
        if not ours or not theirs:
            split.append(
                f"{label} (NeuRN higher for {v.higher} and lower for {v.lower} of "
                f"{len(v.deltas)} here; higher for {paper_higher} and lower for {paper_lower} "
                f"of {paper_n} in the paper)"
            )
            continue
        text = (
            f"{label} (NeuRN higher for {v.higher} of {len(v.deltas)} "
            f"here, {paper_higher} of {paper_n} in the paper)"
        )
        (same if ours == theirs else against).append(text)
    parts = []
    if same:
        parts.append("the same as in the paper's table on " + "; ".join(same))
    if against:
        parts.append("**against the paper's** on " + "; ".join(against))
    sentences = []
    if parts:
        sentences.append(
            "The direction of most backbones (NeuRN higher, or lower) is "
            + ", and ".join(parts)
            + "."
        )
    if split:
        sentences.append("Split evenly, so neither way: " + "; ".join(split) + ".")
    tested = [v.permutation[2] for v in verdict_list if v.permutation]
    if tested:
        sentences.append(
            "No more agreement than chance gives, backbone by backbone: with our signs "
            f"shuffled over the backbones, as many agreements or more come with p from "
            f"{min(tested):.2f} to {max(tested):.2f} (permutation tests in the table)."
            if min(tested) >= ALPHA
            else "Backbone by backbone, the agreement beats chance on some transfers "
            "(permutation p below 0.05 in the table)."
        )
    return " ".join(sentences)


def below_the_bar(finished: list[Finished], source: str) -> str:
    """Every model under the bar on its source's test set, with the numbers that say why."""
    lines = []
    for item in finished:
        record = item.record
        accuracy = record.accuracy[record.source]
        if accuracy >= SOURCE_BAR:
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
        lines.append(f"- {label(record)}: {percent(accuracy)}% — {why}: {diagnosis(item)}.")
    if not finished:
        return ""
    name = NAMES.get(source, source)
    if not lines:
        return f"Every model reaches {100 * SOURCE_BAR:.0f}% on {name}'s own test set."
    return (
        f"Below {100 * SOURCE_BAR:.0f}% on {name}'s own test set (the source) after the "
        "CPU budget:\n\n" + "\n".join(lines)
    )


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
    return "it fits its training images but not its source's test set"


def batchnorm_gap(finished: list[Finished]) -> str:
    gaps = [(f"{label(f.record)} on {NAMES.get(f.record.source)}", f.checks["batchnorm"])
            for f in finished if f.checks.get("batchnorm")]  # fmt: skip
    if not gaps:
        return ""

    def shortfall(check) -> float:  # how far inference falls below batch statistics
        return check["batch_statistics"] - check["inference"]

    worst = max(gaps, key=lambda g: shortfall(g[1]))
    within = sum(shortfall(c) <= 0.02 for _, c in gaps)
    if shortfall(worst[1]) <= 0:
        return (
            f"BatchNormalization check (Precise BN on): in none of the {len(gaps)} cells with "
            "BatchNormalization is the source accuracy in inference mode below the accuracy "
            "with each test batch's own statistics."
        )
    return (
        f"BatchNormalization check (Precise BN on): for {within} of the {len(gaps)} cells "
        "with BatchNormalization, the source accuracy in inference mode is at most 2 points "
        "below (or above) the accuracy with each test batch's own statistics; the largest "
        f"shortfall is {worst[0]}'s ({percent(worst[1]['inference'])}% in inference against "
        f"{percent(worst[1]['batch_statistics'])}%)."
    )


def span(values: Sequence[int]) -> str:
    """``"4"`` or ``"4 to 9"``: the range of ``values``."""
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low} to {high}"


def steps_text(finished: list[Finished]) -> str:
    """How many optimizer steps the cells took, from their records."""
    if not finished:
        return ""
    return f"{span([f.record.steps_run for f in finished])} optimizer steps per cell; "


def chance_models(finished: list[Finished]) -> dict[Model, bool]:
    """The models with a cell at chance: True when every cell of theirs is."""
    cells: dict[Model, list[bool]] = {}
    for item in finished:
        cells.setdefault(model_of(item.record), []).append(at_chance(item))
    return {model: all(flags) for model, flags in cells.items() if any(flags)}


def heatmap_rows(
    diffs: dict[Model, dict[Transfer, float]],
    converged: dict[Transfer, float],
    chance: dict[Model, bool] | None = None,
    extra: Sequence[Model] = (),
) -> tuple[list[str], list[dict]]:
    """The figure's rows: every backbone at the recipe's rate, the models of ``diffs`` and
    ``extra`` (VGG19 at the probe's rate), then the converged DigitNet; a model in
    ``chance`` (see ``chance_models``) is marked †."""
    from neurn_keras import backbones

    models = sorted({*(Model(b) for b in backbones.NAMES), *diffs, *extra}, key=Model.order)
    chance = chance or {}
    marks = {True: " † (at chance)", False: " † (at chance on some sources)"}
    labels = [m.label() + marks.get(chance.get(m), "") for m in models]
    rows = [diffs.get(m, {}) for m in models]
    return [*labels, "DigitNet to convergence (seed mean)"], [*rows, converged]


def heatmap_figure(labels: list[str], columns: list[Transfer], matrix: np.ndarray) -> Figure:
    """NeuRN − plain (points), diverging colours centred on 0, one block of columns per
    source; the last row (the converged DigitNet) set apart by a line and bold."""
    import matplotlib.pyplot as plt
    import numpy as np

    from neurn_keras.training.tables import transfer_label

    finite = np.abs(matrix[np.isfinite(matrix)])
    limit = max(5.0, 5 * math.ceil(finite.max() / 5)) if finite.size else 5.0
    colours = plt.get_cmap("RdBu").copy()
    colours.set_bad("#e0e0e0")
    figure, ax = plt.subplots(figsize=(1.05 * len(columns) + 3.6, 0.42 * len(labels) + 2.0))
    image = ax.imshow(
        np.ma.masked_invalid(matrix), cmap=colours, vmin=-limit, vmax=limit, aspect="auto"
    )
    for (i, j), value in np.ndenumerate(matrix):
        text = "–" if not np.isfinite(value) else "0.0" if value == 0 else f"{value:+.1f}"
        dark = np.isfinite(value) and abs(value) > 0.6 * limit
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if dark else "black")  # fmt: skip
    ax.set_xticks(range(len(columns)), [transfer_label(c) for c in columns])
    ax.tick_params(axis="x", labelrotation=35)
    for tick in ax.get_xticklabels():
        tick.set_horizontalalignment("right")
    for j in range(1, len(columns)):
        if columns[j][0] != columns[j - 1][0]:
            ax.axvline(j - 0.5, color="black", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.axhline(len(labels) - 1.5, color="black", linewidth=2)
    bar = figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("NeuRN − plain (percentage points)")
    ax.set_title(
        "NeuRN − plain, target test accuracy: CPU snapshot (2 epochs, seed 0)\n"
        "and, below the line, DigitNet to convergence (mean over seeds); grey: not run yet",
        fontsize=10,
    )
    return figure


def probe_section(r: Results) -> str:
    """The probe's cells, the rule that reads them, and the learning rate it chose."""
    grid, probe, lr = GRIDS["vgg19-probe"], r.probe, r.lr
    header = ["lr", "MNIST test %", "last-epoch training %", "best validation %", "epochs",
              "minutes"]  # fmt: skip
    rows = []
    for item in sorted(probe, key=lambda f: -lr_of(f.record)):
        record = item.record
        last = item.history[-1] if item.history else {}
        rows.append([
            lr_text(lr_of(record)), percent(record.accuracy[record.source]),
            percent(last.get("accuracy")), percent(record.best_val_accuracy),
            record.epochs_run, f"{record.wall_seconds / 60:.1f}",
        ])  # fmt: skip
    rule = (
        f"The rule (`chosen_lr`): the probe's learning rate with the highest best "
        f"validation accuracy (its {span([f.record.val_images for f in probe] or [0])} "
        "held-out MNIST training images; never the test set), "
        f"provided it reaches {100 * PROBE_BAR:.0f}% (ties: the larger rate). Until "
        "2026-12-07 the rule read the MNIST test accuracy; on validation accuracy it "
        "chooses the same rate, so the `vgg19-lr` cells stand."
    )
    if probe and r.cpu:
        steps = [f.record.steps_run for f in probe]
        rule += (
            f" A probe cell takes {span(steps)} optimizer steps, a cell of the cpu grid "
            f"{span([f.record.steps_run for f in r.cpu])}: a rate that learns in the probe "
            "has more steps to learn in the grid. The probe's minutes were measured while "
            "the cpu grid shared the two cores."
        )
    if lr is None:
        choice = "No learning rate qualifies yet, so the grid `vgg19-lr` has no cells."
    else:
        choice = (
            f"Chosen: **lr {lr_text(lr)}**. The grid `vgg19-lr` trains VGG19 with and without "
            f"NeuRN at it on the cpu grid's budget: {len(r.vgg)} of {r.expected['vgg19-lr']} "
            "cells (in the tables above as *VGG19 (lr …)*; "
            "`python -m benchmarks.table1 --grid vgg19-lr`)."
        )
    return "\n\n".join(
        [
            f"{grid.description}: {len(probe)} of {r.expected['vgg19-probe']} cells "
            f"(`python -m benchmarks.table1 --grid vgg19-probe`; the recipe's lr 1e-3 is "
            "the cpu grid's VGG19 row).",
            markdown_table(header, rows) if rows else "No probe cell has finished yet.",
            rule,
            choice,
        ]
    )


def digitnet_section(
    finished: list[Finished],
    expected: int,
    tests: list[PairedComparison],
    adjusted: list[float | None],
    primary: PairedComparison | None,
) -> str:
    from neurn_keras.training.tables import build_table, render_table, transfer_label

    grid = GRIDS["digitnet"]
    if not finished:
        return (
            f"{grid.description}. Not run yet (0 of {expected} runs): "
            "`python -m benchmarks.table1 --grid digitnet`."
        )
    epochs = [f.record.epochs_run for f in finished]
    best = [f.record.best_epoch or 0 for f in finished]
    stopped = sum(f.record.stopped_early for f in finished)
    minutes = statistics.fmean(f.record.wall_seconds / 60 for f in finished)
    table = render_table(build_table(records_of(finished), source_columns=True), "md")
    rows = [
        [
            transfer_label(c.transfer),
            f"{100 * statistics.fmean(c.baseline):.2f}",
            f"{100 * statistics.fmean(c.compared):.2f}",
            ", ".join(f"{100 * d:+.1f}" for d in c.differences),
            f"{100 * c.mean_difference:+.2f}",
            p_text(c.p_value),
            p_text(p, star=True),
        ]
        for c, p in zip(tests, adjusted, strict=True)
    ]
    header = ["transfer", "DigitNet %", "+NeuRN %", "per seed Δ (pp)", "mean Δ (pp)",
              "p (paired t)", "p (Holm)"]  # fmt: skip
    return "\n\n".join(
        [
            f"{grid.description}. {len(finished)} of {expected} runs; {stopped} of them "
            f"stopped early; {span(epochs)} epochs per run (best epoch {span(best)}), "
            f"{minutes:.1f} minutes per run on average.",
            table.rstrip(),
            primary_sentence(primary),
            "Per transfer (exploratory): paired t-tests over seeds, Holm-corrected together "
            "with the sign tests of the next section (every exploratory test of this page "
            f"in one family; * p < {ALPHA:g}).",
            markdown_table(header, rows),
        ]
    )


def primary_sentence(primary: PairedComparison | None) -> str:
    """The page's primary comparison in one sentence, or why it is not measured yet."""
    if primary is None:
        return (
            "**Primary comparison** (DigitNet to convergence, NeuRN − plain averaged over the "
            "six transfers): not measured yet."
        )
    diffs = [100 * d for d in primary.differences]
    head = (
        "**Primary comparison** (tested on its own): DigitNet+NeuRN − DigitNet to "
        "convergence, each run's target accuracy averaged over its two real targets (so "
        "over the six transfers M→U, M→MM, U→M, U→MM, MM→M, MM→U), paired by source and "
        f"seed: {statistics.fmean(diffs):+.2f} pp over {len(diffs)} pairs"
    )
    ci = interval(diffs)
    p = primary.p_value
    if ci is None or p is None:
        return head + "; a paired t-test needs at least 2 pairs with some spread."
    outcome = (
        ("NeuRN is higher" if statistics.fmean(diffs) > 0 else "NeuRN is lower")
        if p < ALPHA
        else "no significant difference"
    )
    return (
        f"{head} (95% CI {ci[0]:+.2f} to {ci[1]:+.2f}; paired t-test over source × seed, "
        f"p = {p:.3f}): {outcome}."
    )


def gpu_section(
    finished: list[Finished], present: Sequence[str], paper_diffs: dict[str, dict[str, float]]
) -> str:
    grid = GRIDS["gpu"]
    expected = len(grid.cells(present))
    call = (
        f"On the GPU machine, one slice per call: `{GPU_CALL}`; the cells that come back "
        "go to `docs/results/table1/gpu/` (details in the script's docstring)."
    )
    if not finished:
        return (
            f"{grid.description}. Not run yet ({expected} cells): no accelerator has been "
            f"lent to the sessions that ran this script so far. {call}"
        )
    from neurn_keras.training.tables import build_table, holm_adjusted, render_table

    verdict_list = verdicts(
        differences(finished), transfers_of(grid, present), paper_diffs, arms(finished)
    )
    adjusted = holm_adjusted([v.p_value for v in verdict_list])
    sensitive = holm_adjusted([v.sensitive_p for v in verdict_list])
    return "\n\n".join(
        [
            f"{grid.description}. {len(finished)} of {expected} cells. {call}",
            render_table(build_table(records_of(finished)), "md").rstrip(),
            "Per transfer across backbones (seed means; sign tests Holm-corrected within "
            "this table):",
            verdict_table(verdict_list, adjusted, sensitive),
        ]
    )


@dataclass
class Results:
    """Everything the page, the figure and the README section say, from the cell files."""

    present: list[str]
    paper: dict
    cpu: list[Finished]
    vgg: list[Finished]  # VGG19 at the probe's learning rate
    converged: list[Finished]  # the digitnet grid
    probe: list[Finished]
    gpu: list[Finished]
    paper_diffs: dict[str, dict[str, float]] = field(init=False)
    lr: float | None = field(init=False)  # the probe's choice
    transfers: list[Transfer] = field(init=False)
    cpu_diffs: dict[Model, dict[Transfer, float]] = field(init=False)
    verdicts: list[Verdict] = field(init=False)
    tests: list[PairedComparison] = field(init=False)  # DigitNet per transfer
    test_p: list[float | None] = field(init=False)  # their Holm-corrected p
    sign_p: list[float | None] = field(init=False)  # the sign tests' Holm-corrected p
    sensitive_p: list[float | None] = field(init=False)  # the sensitivity analysis's, Holm
    primary: PairedComparison | None = field(init=False)
    note: str = field(init=False)  # the footnote of the rows at chance
    expected: dict[str, int] = field(init=False)  # cells per grid

    def __post_init__(self) -> None:
        self.paper_diffs = paper_differences(self.paper)
        self.lr = chosen_lr(self.probe)
        self.transfers = transfers_of(GRIDS["cpu"], self.present)
        self.cpu_diffs = differences(self.cpu)
        self.verdicts = verdicts(self.cpu_diffs, self.transfers, self.paper_diffs, arms(self.cpu))
        self.tests = digitnet_tests(self.converged)
        self.test_p, self.sign_p = exploratory_family(self.tests, self.verdicts)
        from neurn_keras.training.tables import holm_adjusted

        self.sensitive_p = holm_adjusted([v.sensitive_p for v in self.verdicts])
        self.primary = primary_comparison(self.converged)
        self.note = chance_note(self.cpu + self.vgg, self.lr)
        self.expected = {name: len(grid_cells(name, self.present, self.probe)) for name in GRIDS}

    @classmethod
    def load(cls, cells: Path = CELLS) -> Results:
        """Everything from the committed cells; the domains are those their records name."""

        def load(name: str) -> list[Finished]:
            return sorted(CellStore(cells / name).load(), key=lambda f: _order(f.record))

        cpu = load("cpu")
        return cls(domains_of(cpu), paper_figures(), cpu, load("vgg19-lr"), load("digitnet"),
                   load("vgg19-probe"), load("gpu"))  # fmt: skip

    def every(self) -> list[Finished]:
        return self.cpu + self.vgg + self.converged + self.probe + self.gpu

    def figure(self) -> Figure:
        labels, rows = heatmap_rows(
            {**self.cpu_diffs, **differences(self.vgg)},
            differences(self.converged).get(Model("digitnet"), {}),
            chance=chance_models(self.cpu + self.vgg),
            extra=[] if self.lr is None else [Model("vgg19", self.lr)],
        )
        return heatmap_figure(labels, self.transfers, heatmap_matrix(rows, self.transfers))


def cpu_section(r: Results) -> list[str]:
    grid = GRIDS["cpu"]
    both = sorted(r.cpu + r.vgg, key=lambda f: _order(f.record))
    minutes = sum(f.record.wall_seconds for f in both) / 60
    parts = [
        f"{grid.description}. {len(r.cpu)} of {r.expected['cpu']} cells, and {len(r.vgg)} of "
        f"{r.expected['vgg19-lr']} VGG19 cells at the probe's learning rate; "
        f"{steps_text(both)}{minutes:.0f} minutes of training and evaluation in all.",
        r.note,
    ]
    for source in (s for s in grid.sources if s in r.present):
        mine = [f for f in both if f.record.source == source]
        parts += [
            f"### Source {NAMES.get(source, source)}",
            source_table(mine, source, grid.targets(source, r.present), r.paper)
            if mine
            else "No cell has finished yet.",
            below_the_bar(mine, source),
        ]
    return [
        *parts,
        '"with batch statistics": the same saved model on the first 1,000 source test '
        "images, normalizing with each batch's own statistics instead of the moving ones "
        '("no BN": the model has no BatchNormalization).',
        batchnorm_gap(both),
    ]


def page_body(r: Results) -> str:
    from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE

    paper_domains = [d for d in DOMAINS if d in r.present]
    measurable = len(paper_domains) * (len(paper_domains) - 1)
    missing = [d for d in DOMAINS if d not in r.present]
    sign_family = (
        "Sign tests: two-sided, exact (binomial, p = 1/2) over the backbones, ties (NeuRN − "
        "plain exactly 0) left out; Holm-corrected together with the DigitNet t-tests "
        f"above (* p < {ALPHA:g}). *Sensitivity*: the same test where a difference under "
        f"{TIE_POINTS:g} pp counts as a tie (one seed of a 2-epoch snapshot; converged "
        "DigitNet's seeds alone move a transfer by up to 4.5 pp) and a backbone whose two "
        f"arms are both below {100 * CHANCE:.0f}% on the target is left out (near chance, "
        "its difference is noise); Holm within the sensitivity tests. *Signs as the "
        "paper's*: on the backbones (of the paper's ten) where neither Δ is 0, how many of "
        "our signs equal the paper's, and the chance p of as many or more with our signs "
        "shuffled over the backbones (a permutation test: high p means the agreement is "
        "what chance gives); ρ: Spearman's rank correlation of our Δ with the paper's. "
        "*Paper: NeuRN higher*: in the paper's own table. The paper trained to convergence "
        "from ImageNet weights; these cells are a 2-epoch snapshot from random weights."
    )
    parts = [
        "Table 1 of the paper: each backbone trained on one digit domain, tested on the "
        "others, with and without NeuRN in front. Every number comes from the cell files "
        "in `docs/results/table1/` (one per run: its `results.json`, `history.csv` and "
        "the BatchNormalization check), written by this script. Accuracies in percent; "
        '"paper" columns and signs are Qazi et al.\'s Table 1 '
        "(`data/reference/paper_table1.csv`; their recipe starts from ImageNet weights "
        "fine-tuned on CIFAR-27, ours from random weights). Δ: NeuRN − plain, in "
        "percentage points (pp). NeuRN is k="
        f"{KERNEL_SIZE}, reflect, in every cell: the package's default when the grid began; "
        f"the default is k={DEFAULT_KERNEL_SIZE} now, after an exploratory comparison of the "
        "ablations ([neurn_ablations.md](neurn_ablations.md); the confirmatory test of "
        "[invariance_plan.md](invariance_plan.md) decides it), and the cells keep one window "
        "so that they stay one grid.",
        f"Domains missing here: {', '.join(missing) or 'none'}, so {measurable} of the "
        f"paper's {len(DOMAINS) * (len(DOMAINS) - 1)} transfers are measurable; each source "
        "is also tested on syn_render, our renderer.",
        f"![NeuRN − plain per backbone and transfer]({FIGURE.name})",
        "## DigitNet to convergence (the primary comparison)",
        digitnet_section(r.converged, r.expected["digitnet"], r.tests, r.test_p, r.primary),
        "## Per transfer across backbones (the CPU snapshot)",
        "For each transfer: for how many backbones NeuRN's target accuracy is higher than "
        f"without it (cpu grid, the recipe's rows only: {len(r.cpu)} of {r.expected['cpu']} "
        "cells in).",
        verdict_table(r.verdicts, r.sign_p, r.sensitive_p),
        direction_summary(r.verdicts),
        sign_family,
        "## The CPU grid",
        *cpu_section(r),
        "## VGG19",
        probe_section(r),
        "## The GPU grid",
        gpu_section(r.gpu, r.present, r.paper_diffs),
    ]
    return "\n\n".join(part for part in parts if part)


def snapshot_summary(r: Results) -> str:
    """The per-transfer verdicts in two sentences (the page has them all)."""
    from neurn_keras.training.tables import transfer_label

    held = [(v, p, q) for v, p, q in zip(r.verdicts, r.sign_p, r.sensitive_p, strict=True)
            if v.deltas]  # fmt: skip
    if not held:
        return ""
    significant = [(v, q) for v, p, q in held if p is not None and p < ALPHA]
    lines = []
    if significant:
        survive = "; ".join(
            f"{transfer_label(v.transfer)}: higher for {v.sensitive[0]}, lower for "
            f"{v.sensitive[1]}, within {TIE_POINTS:g} pp for {v.sensitive[2]} (Holm "
            f"{p_text(q)}, {'significant' if q is not None and q < ALPHA else 'not significant'})"
            for v, q in significant
        )
        lines.append(
            "Across the snapshot's backbones (exploratory, one seed, 2 epochs) NeuRN is higher "
            "for significantly many backbones after Holm on "
            + " and ".join(transfer_label(v.transfer) for v, _ in significant)
            + f"; counting differences under {TIE_POINTS:g} pp as ties (seed noise) and "
            f"leaving out rows near chance: {survive}."
        )
    tested = [v.permutation[2] for v, _, _ in held if v.permutation]
    if tested:
        lines.append(
            "Backbone by backbone, our signs agree with the paper's no more than chance gives "
            f"(permutation p {min(tested):.2f} to {max(tested):.2f})."
            if min(tested) >= ALPHA
            else "Backbone by backbone, our signs agree with the paper's beyond chance on some "
            "transfers (see the page)."
        )
    return " ".join(lines)


def readme_summary(r: Results) -> str:
    """The README's section: what was run, the heatmap, the primary, the cost, in short."""
    from neurn_keras import backbones

    parts = [
        f"**Table 1 on every transfer our data allows** ({len(backbones.NAMES)} backbones ± "
        f"NeuRN (k={KERNEL_SIZE}, the default when the grid began), sources MNIST, USPS, "
        "MNIST-M, a 2-epoch CPU snapshot from random weights: "
        f"{len(r.cpu)} of {r.expected['cpu']} cells; DigitNet ± NeuRN to convergence, 3 "
        f"seeds per source: {len(r.converged)} of {r.expected['digitnet']} runs; every "
        "transfer, the sensitivity analysis and the footnotes: "
        "[docs/results/table1.md](docs/results/table1.md)):",
        f"![NeuRN − plain per backbone and transfer]({FIGURE.relative_to(ROOT).as_posix()})",
        primary_sentence(r.primary),
        source_cost(r.converged),
        snapshot_summary(r),
    ]
    return "\n\n".join(part for part in parts if part)


def source_cost(converged: list[Finished]) -> str:
    """What NeuRN costs converged DigitNet on its own source, and the transfers it loses."""
    if not converged:
        return ""
    by = {(f.record.source, f.record.seed, f.record.neurn): f.record for f in converged}
    pairs = [(s, seed) for s, seed, n in by if n and (s, seed, False) in by]
    if not pairs:
        return ""
    home, losses = [], []
    for source in dict.fromkeys(s for s, _ in sorted(pairs)):
        seeds = [seed for s, seed in pairs if s == source]
        delta = statistics.fmean(
            100 * (by[(source, s, True)].accuracy[source] - by[(source, s, False)].accuracy[source])
            for s in seeds
        )
        home.append(f"{NAMES.get(source, source)} {delta:+.2f}")
        for target in by[(source, seeds[0], True)].accuracy:
            if target in DOMAINS and target != source:
                loss = statistics.fmean(
                    100 * (by[(source, s, True)].accuracy[target]
                           - by[(source, s, False)].accuracy[target]) for s in seeds
                )  # fmt: skip
                if loss < 0:
                    from neurn_keras.training.tables import transfer_label

                    losses.append(f"{transfer_label((source, target))} {loss:+.2f}")
    text = (
        "**What NeuRN costs** (DigitNet to convergence, mean over seeds, pp): on its own "
        f"source's test set {', '.join(home)}"
    )
    if losses:
        text += f"; and it is lower on {', '.join(losses)}"
    return text + "."


def report() -> None:
    """Writes the page, the heatmap and the README's section, from the committed cells."""
    results = Results.load()
    write_figure(results.figure(), FIGURE)
    environments = environments_of(f.record for f in results.every())
    write_page(PAGE, "Table 1 on every transfer", page_body(results), environments)
    write_section(README, "table1", readme_summary(results))


def _order(record):
    from neurn_keras import backbones

    return (backbones.order(record.backbone), -lr_of(record), record.neurn, record.source,
            record.seed)  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--grid",
        choices=tuple(GRIDS),
        default="cpu",
        help="the cells to run: cpu (the 2-epoch snapshot), digitnet (DigitNet to "
        "convergence, 3 seeds), vgg19-probe (VGG19 at lower learning rates), vgg19-lr "
        "(VGG19 at the probe's choice), gpu (the full recipe, for a GPU); default cpu",
    )
    add_grid_options(parser, "table1", None)  # cells: docs/results/table1/GRID
    parser.add_argument(
        "--no-report", action="store_true", help="only run the cells (on the GPU machine)"
    )
    parser.add_argument(
        "--backbones",
        nargs="+",
        default=None,
        metavar="NAME",
        help="only these backbones' cells, in this order (default: all, in Table 1's order)",
    )
    args = parser.parse_args(argv)
    if args.report_only and args.no_report:
        parser.error("--report-only and --no-report exclude each other")
    from neurn_keras import backbones

    unknown = sorted(set(args.backbones or ()) - set(backbones.NAMES))
    if unknown:
        parser.error(f"unknown backbones {unknown}; choose from {', '.join(backbones.NAMES)}")
    if not args.report_only:
        present = present_domains()
        if "mnist" not in present:
            parser.error("MNIST not found: set NEURN_DATA_DIR (see data/README.md)")
        store = CellStore(args.cells_dir or CELLS / args.grid)
        started = time.monotonic()
        cells = grid_cells(args.grid, present)
        if not cells:
            parser.error(f"grid {args.grid!r} has no cells yet (run --grid vgg19-probe first)")
        if args.backbones:
            cells = [c for name in args.backbones for c in cells if c.backbone == name]
        failed = run_cells(
            cells,
            args.runs_dir / args.grid,
            store,
            checks=batchnorm_check,
            max_minutes=args.max_minutes,
        )
        print(f"{(time.monotonic() - started) / 60:.1f} min; failed: {failed or 'none'}")
    if not args.no_report:
        report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
