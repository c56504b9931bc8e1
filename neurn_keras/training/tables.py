"""Table 1 of Qazi et al. (2025) from run records, and paired comparisons of NeuRN's effect.

Rows are a backbone with each input pipeline it was run with (plain, NeuRN, an
augmentation, an augmentation with NeuRN, ...); columns each source's own test
accuracy, then the paper's transfers M→U … MM→S (source → target) that have runs, then
any transfer to or from ``syn_render``, always named as our renderer. A cell is the
mean ± standard deviation (n − 1) of the test accuracy over seeds, in percent; in each
column the best row of each backbone is bold.

When records differ in other settings (epochs, training images, ...), the settings
that differ are added to the row names, so runs made differently are never averaged.
"""

from __future__ import annotations

import csv
import io
import math
import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from neurn_keras import backbones
from neurn_keras.errors import InvalidValueError, ResultsError
from neurn_keras.layer_options import AUGMENTS, INPUT_NORMS, NeuRNOptions
from neurn_keras.methods import Method
from neurn_keras.training.record import RunRecord, load_record

PAPER_DOMAINS = ("mnist", "usps", "svhn", "mnist_m")
ABBREVIATIONS = {"mnist": "M", "usps": "U", "svhn": "S", "mnist_m": "MM"}
PAPER_TRANSFERS = tuple((s, t) for s in PAPER_DOMAINS for t in PAPER_DOMAINS if s != t)
"""M→U, M→S, M→MM, U→M, U→S, U→MM, S→M, S→U, S→MM, MM→M, MM→U, MM→S (the paper's order)."""
OUR_RENDERER = "syn_render (ours)"
SETTING_KEYS = (
    "input_shape", "epochs", "steps", "batch_size", "lr", "patience", "val_split",
    "train_limit", "test_limit", "weights", "init_from", "precise_bn",
)  # fmt: skip
FORMATS = ("md", "csv", "latex")

Transfer = tuple[str, str]
"""(source, target); (source, source) is the source's own test accuracy."""


def domain_label(name: str) -> str:
    return ABBREVIATIONS.get(name, OUR_RENDERER if name == "syn_render" else name)


def transfer_label(transfer: Transfer) -> str:
    if transfer[0] == transfer[1]:
        return f"{domain_label(transfer[0])} (source)"
    return f"{domain_label(transfer[0])}→{domain_label(transfer[1])}"


def backbone_label(name: str) -> str:
    """The constructor's name (``MobileNetV2``) when the backbone is declared."""
    return backbones.label(name)


@dataclass
class Row:
    """One row: a backbone, its method, and accuracies by column and seed."""

    backbone: str
    method: Method
    setting: tuple  # ((key, value), ...) of the settings that differ between records
    label: str = ""
    cells: dict[Transfer, dict[int, float]] = field(default_factory=dict)

    @property
    def group(self) -> tuple:
        return (self.backbone, self.setting)

    @property
    def neurn(self) -> bool:
        return self.method.uses_neurn


@dataclass
class Table:
    rows: list[Row]
    columns: list[Transfer]
    duplicates: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    mean: float
    std: float | None
    n: int


def summarize(values: Iterable[float]) -> Summary | None:
    values = list(values)
    if not values:
        return None
    std = statistics.stdev(values) if len(values) > 1 else None
    return Summary(statistics.fmean(values), std, len(values))


def _setting(record: RunRecord) -> dict:
    return {key: _hashable(record.config.get(key)) for key in SETTING_KEYS}


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def build_table(
    records: list[RunRecord], all_columns: bool = False, source_columns: bool = True
) -> Table:
    """Groups run records into Table 1's rows and columns.

    Args:
        records: run records; each gives one accuracy per target of its source.
        all_columns: show every paper column, also those without any run (e.g. SVHN's).
        source_columns: put each source's own test accuracy before its transfers.
    """
    varying = [key for key in SETTING_KEYS if len({_setting(r)[key] for r in records}) > 1]
    rows: dict[tuple, Row] = {}
    duplicates = []
    for record in records:
        setting = tuple((key, _setting(record)[key]) for key in varying)
        method = record.method()
        row = rows.setdefault(
            (record.backbone, method, setting), Row(record.backbone, method, setting)
        )
        for target, value in record.accuracy.items():
            if target == record.source and not source_columns:
                continue
            seeds = row.cells.setdefault((record.source, target), {})
            if record.seed in seeds:
                duplicates.append(
                    f"{record.path or '?'}: a second run of seed {record.seed} for "
                    f"{transfer_label((record.source, target))}; the later one is used"
                )
            seeds[record.seed] = float(value)
    ordered = sorted(rows.values(), key=_row_order)
    neurn_variants: dict[tuple, set] = {}
    for row in ordered:
        if row.neurn:
            neurn_variants.setdefault(row.group, set()).add(row.method.neurn)
    for row in ordered:
        row.label = _row_label(row, len(neurn_variants.get(row.group, ())) > 1)
    present = {transfer for row in ordered for transfer in row.cells}
    columns = []
    for source in dict.fromkeys([*PAPER_DOMAINS, *sorted({s for s, _ in present})]):
        if (source, source) in present:
            columns.append((source, source))
        columns += [t for t in PAPER_TRANSFERS if t[0] == source and (t in present or all_columns)]
    columns += sorted(present - set(PAPER_TRANSFERS) - set(columns), key=_extra_order)
    return Table(ordered, columns, duplicates)


NORM_ORDER = tuple(INPUT_NORMS)
AUGMENT_ORDER = tuple(AUGMENTS)


def _row_order(row: Row):
    """Backbones in declared order; per backbone, each augmentation (none first) with its
    input normalizations: none, NeuRN (by kernel size and padding), LCN."""

    def rank(order, value):
        return order.index(value) if value in order else len(order)

    method = row.method
    return (
        backbones.order(row.backbone),
        row.backbone,
        str(row.setting),
        rank(AUGMENT_ORDER, method.augment),
        method.augment,
        method.consistency,
        rank(NORM_ORDER, method.input_norm),
        method.neurn or NeuRNOptions(kernel_size=0),
        method.augment_after_norm,
    )


def _extra_order(transfer: Transfer):
    order = (*PAPER_DOMAINS, "syn_render")

    def rank(name):
        return order.index(name) if name in order else len(order)

    return (rank(transfer[0]), transfer[0] != transfer[1], rank(transfer[1]), transfer)


def _row_label(row: Row, several_neurn: bool) -> str:
    label = backbone_label(row.backbone)
    method = row.method.label(neurn_details=several_neurn)
    if method != "plain":
        label += "+" + method
    if row.setting:
        label += " [" + ", ".join(f"{k}={_show(k, v)}" for k, v in row.setting) + "]"
    return label


def _show(key: str, value) -> str:
    if value is None:
        return "all" if key.endswith("_limit") else "none"
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


def best_rows(table: Table) -> dict[Transfer, set[int]]:
    """Per column, the indices of the rows that are best within their backbone's group."""
    best: dict[Transfer, set[int]] = {}
    for column in table.columns:
        groups: dict[tuple, list[tuple[float, int]]] = {}
        for index, row in enumerate(table.rows):
            summary = summarize(row.cells.get(column, {}).values())
            if summary is not None:
                groups.setdefault(row.group, []).append((round(summary.mean, 12), index))
        chosen = set()
        for members in groups.values():
            if len(members) > 1:
                top = max(mean for mean, _ in members)
                chosen |= {index for mean, index in members if mean == top}
        best[column] = chosen
    return best


def _usual_seed_count(table: Table) -> int | None:
    """The most common number of seeds per cell (cells with another count say theirs)."""
    counts = [len(seeds) for row in table.rows for seeds in row.cells.values()]
    return max(set(counts), key=counts.count) if counts else None


def _cell_text(summary: Summary | None, usual_n: int | None, pm: str) -> str:
    if summary is None:
        return ""
    text = f"{100 * summary.mean:.2f}"
    if summary.std is not None:
        text += f"{pm}{100 * summary.std:.2f}"
    if summary.n != usual_n:
        text += f" (n={summary.n})"
    return text


def render_table(table: Table, fmt: str = "md") -> str:
    """The table as Markdown (``md``), ``csv`` or LaTeX (``latex``, booktabs)."""
    if fmt not in FORMATS:
        raise InvalidValueError(f"format {fmt!r} is not one of {FORMATS}")
    if fmt == "csv":
        return _render_csv(table)
    usual_n = _usual_seed_count(table)
    best = best_rows(table)
    latex = fmt == "latex"
    pm = " $\\pm$ " if latex else " ± "
    header = ["model", *(transfer_label(c) for c in table.columns)]
    body = []
    for index, row in enumerate(table.rows):
        cells = [_escape(row.label) if latex else row.label]
        for column in table.columns:
            text = _cell_text(summarize(row.cells.get(column, {}).values()), usual_n, pm)
            if text and index in best[column]:
                text = f"\\textbf{{{text}}}" if latex else f"**{text}**"
            cells.append(text or ("--" if latex else "–"))
        body.append(cells)
    note = (
        f"Test accuracy (%), mean ± standard deviation over seeds (n = {usual_n} unless "
        'marked); "(source)": the source\'s own test set; bold: the best of each '
        "backbone's rows."
    )
    if latex:
        header = [_escape(h).replace("→", "$\\to$") for h in header]
        lines = [
            "\\begin{tabular}{l" + "c" * len(table.columns) + "}",
            "\\toprule",
            " & ".join(header) + " \\\\",
            "\\midrule",
            *(" & ".join(cells) + " \\\\" for cells in body),
            "\\bottomrule",
            "\\end{tabular}",
            f"% {note}",
        ]
        return "\n".join(lines) + "\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + f"\n\n{note}\n"


def _escape(text: str) -> str:
    for char in "\\&%$#_{}":
        text = text.replace(char, "\\" + char)
    return text


def _render_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["model", "backbone", "augment", "input_norm", "kernel_size", "padding"]
    for column in table.columns:
        label = transfer_label(column)
        header += [f"{label} mean", f"{label} std", f"{label} n"]
    writer.writerow(header)
    for row in table.rows:
        method = row.method
        line = [row.label, row.backbone, method.augment, method.input_norm]
        neurn = method.neurn
        line += [neurn.kernel_size if neurn else "", neurn.padding if neurn else ""]
        for column in table.columns:
            summary = summarize(row.cells.get(column, {}).values())
            if summary is None:
                line += ["", "", 0]
            else:
                std = "" if summary.std is None else f"{100 * summary.std:.4f}"
                line += [f"{100 * summary.mean:.4f}", std, summary.n]
        writer.writerow(line)
    return out.getvalue()


# ------------------------------------------------------------------------ paired comparison


@dataclass(frozen=True)
class PairedComparison:
    """One row minus another (its baseline) on one transfer, seed by seed."""

    backbone: str
    label: str  # the compared row's label
    baseline_label: str
    transfer: Transfer
    seeds: tuple[int, ...]
    baseline: tuple[float, ...]
    compared: tuple[float, ...]

    @property
    def differences(self) -> tuple[float, ...]:
        return tuple(n - b for n, b in zip(self.compared, self.baseline, strict=True))

    @property
    def mean_difference(self) -> float:
        return statistics.fmean(self.differences)

    @property
    def p_value(self) -> float | None:
        """Two-sided paired t-test (None with fewer than two seeds or no spread)."""
        diffs = self.differences
        if len(diffs) < 2 or statistics.stdev(diffs) == 0:
            return None
        from scipy import stats

        result = stats.ttest_rel(self.compared, self.baseline)
        return None if math.isnan(result.pvalue) else float(result.pvalue)


def compare_rows(row: Row, baseline: Row, columns) -> list[PairedComparison]:
    """``row`` against ``baseline`` on each transfer of ``columns``, on the seeds both have."""
    out = []
    for column in columns:
        if column[0] == column[1]:
            continue
        ours, theirs = row.cells.get(column, {}), baseline.cells.get(column, {})
        seeds = tuple(sorted(set(ours) & set(theirs)))
        if seeds:
            out.append(
                PairedComparison(
                    row.backbone,
                    row.label,
                    baseline.label,
                    column,
                    seeds,
                    tuple(theirs[s] for s in seeds),
                    tuple(ours[s] for s in seeds),
                )
            )
    return out


def paired_comparisons(table: Table) -> list[PairedComparison]:
    """Every NeuRN row against the same backbone and augmentation without NeuRN, per transfer,
    on the seeds both have."""
    out = []
    for row in table.rows:
        if not row.neurn:
            continue
        base = row.method.without_neurn()
        baseline = next((r for r in table.rows if r.group == row.group and r.method == base), None)
        if baseline is not None:
            out += compare_rows(row, baseline, table.columns)
    return out


def holm_adjusted(p_values: list[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None and is not counted as a test)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[index] = running
    return adjusted


def render_paired(comparisons: list[PairedComparison]) -> str:
    """A Markdown table: per compared row and transfer, the per-seed differences and a paired
    test."""
    header = ["row", "transfer", "baseline %", "row %", "per-seed Δ (pp)", "mean Δ", "p"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for c in comparisons:
        base = statistics.fmean(c.baseline) * 100
        ours = statistics.fmean(c.compared) * 100
        diffs = ", ".join(f"{100 * d:+.2f}" for d in c.differences)
        p = "–" if c.p_value is None else f"{c.p_value:.3f}"
        cells = [
            c.label,
            transfer_label(c.transfer),
            f"{base:.2f}",
            f"{ours:.2f}",
            diffs,
            f"{100 * c.mean_difference:+.2f}",
            p,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ neighbours

NEURN_FIELDS = ("input_norm", "kernel_size", "padding")
"""The settings in which a run with NeuRN differs from its run without."""


def neurn_difference_line(record: RunRecord, neighbours: Iterable[os.PathLike]) -> str | None:
    """The per-target difference (pp) between ``record`` and the first run among
    ``neighbours`` (``results.json`` files) that differs from it only in having, or not
    having, NeuRN; None when there is none."""

    def settings(config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in NEURN_FIELDS}

    for path in neighbours:
        try:
            other = load_record(path)
        except ResultsError:
            continue
        if other.neurn == record.neurn or settings(other.config) != settings(record.config):
            continue
        with_neurn, without = (record, other) if record.neurn else (other, record)
        differences = ", ".join(
            f"{name} {100 * (with_neurn.accuracy[name] - without.accuracy[name]):+.1f} pp"
            for name in record.accuracy
            if name in other.accuracy
        )
        return f"NeuRN minus no NeuRN (beside {Path(other.path).name}): {differences}"
    return None
