"""The results layer's one vocabulary, which every page script uses (and no page another).

- where committed records live, and how a page's rows are matched to them: a row is a
  ``neurn_keras.methods.Method`` (or the ``RunConfig`` changes that give one), matched
  through the record's own ``record.method()``;
- the domains, their labels, and the one meaning of "the average over the targets";
- the statistics of every page (paired t-test with its interval, Holm, the exact sign
  test, a permutation test of agreement, Spearman's rank correlation);
- how a page, a figure or a generated section of another file is written, each from
  committed records alone: the "Measured on" line comes from the records, never from the
  machine that renders the page, so ``python -m benchmarks.rebuild`` gives the same bytes
  anywhere (``REGISTRY`` names every generated file and section and its producer).
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from neurn_keras.datasets import DOMAINS, RENDERED_DOMAINS
from neurn_keras.files import atomic_write_text, save_figure
from neurn_keras.methods import Method
from neurn_keras.training import RunConfig, RunRecord
from neurn_keras.training.tables import (
    domain_label,
    holm_adjusted,
    transfer_label,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
README = ROOT / "README.md"
ALPHA = 0.05
"""A (corrected) p below this is called significant on every page."""

REAL_DOMAINS = DOMAINS
"""The real digit domains (MNIST, USPS, SVHN, MNIST-M), in the paper's order."""
DOMAIN_NAMES = {"mnist": "MNIST", "usps": "USPS", "svhn": "SVHN", "mnist_m": "MNIST-M",
                "syn_render": "syn_render (ours)"}  # fmt: skip
"""Each domain's name in running text (``domain_label`` gives the tables' short form)."""
RENDERED = RENDERED_DOMAINS[0]
"""Our rendered digits: reported beside the real targets, never averaged in."""
AVERAGE = (
    "the mean of a run's test accuracies on the real target domains (the real domains "
    "other than its source whose test sets it was evaluated on; never syn_render, our "
    "rendered digits, which is reported apart)"
)
"""What "the average over the targets" means on every page (stated once, here)."""


# ---------------------------------------------------------------- domains and the average


def real_targets(accuracy: Mapping[str, float], source: str) -> list[str]:
    """The real target domains of a run's accuracies, in the paper's order."""
    return [d for d in REAL_DOMAINS if d != source and d in accuracy]


def average_over_targets(accuracy: Mapping[str, float], source: str) -> float:
    """``AVERAGE`` of one run: its accuracies on ``real_targets``."""
    targets = real_targets(accuracy, source)
    if not targets:
        raise ValueError(f"no real target among {sorted(accuracy)} (source {source})")
    return statistics.fmean(accuracy[d] for d in targets)


DIGITS_PUBLISHED = ROOT / "data" / "reference" / "digits10k_published.csv"


def digits_published() -> dict[str, dict[str, float]]:
    """``{method: {target: percent}}``: the digits protocol's published figures
    (Pro-RandConv's Table 1, ``data/reference/digits10k_published.csv``)."""
    import csv

    with open(DIGITS_PUBLISHED, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = ("usps", "mnist_m", "svhn")
    return {r["method"]: {c: float(r[c]) for c in columns if r.get(c)} for r in rows}


# ---------------------------------------------------------------- rows and records


def method_of(protocol: str | None = None, **changes) -> Method:
    """The method a run with these ``RunConfig`` changes has (from the protocol's preset)."""
    config = RunConfig.for_protocol(protocol, **changes) if protocol else RunConfig(**changes)
    return config.method()


def methods_of(protocol: str, rows: Mapping) -> dict[str, Method]:
    """``{name: Method}`` of a page's rows (``{name: (key, RunConfig changes)}``)."""
    return {name: method_of(protocol, **changes) for name, (_, changes) in rows.items()}


def records_by_row(
    records: Iterable[RunRecord], rows: Mapping[str, Method], **where
) -> dict[str, dict[int, RunRecord]]:
    """``{row: {seed: record}}``: each record under the row whose method is its own
    ``record.method()``, among the records whose fields equal ``where``
    (``protocol="digits10k"``, ``source="mnist"``); a seed found twice is an error."""
    by_method = {method: name for name, method in rows.items()}
    out: dict[str, dict[int, RunRecord]] = {name: {} for name in rows}
    for record in records:
        if any(getattr(record, key) != value for key, value in where.items()):
            continue
        name = by_method.get(record.method())
        if name is None:
            continue
        if record.seed in out[name]:
            raise ValueError(f"{name}: two records of seed {record.seed} ({record.path})")
        out[name][record.seed] = record
    return out


@dataclass
class Finished:
    """A finished cell as kept in the repository: its record, its history, and any checks
    made on its saved model."""

    record: RunRecord
    history: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)


class CellStore:
    """The folder of a grid's finished cells (one JSON file per cell, named by the cell)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path(self, config: RunConfig) -> Path:
        return self.directory / f"{config.cell_name()}.json"

    def has(self, config: RunConfig) -> bool:
        return self.path(config).is_file()

    def save(self, config: RunConfig, finished: Finished) -> None:
        data = {
            "record": finished.record.to_json(),
            "history": finished.history,
            "checks": finished.checks,
        }
        atomic_write_text(self.path(config), json.dumps(data, indent=1, sort_keys=True) + "\n")

    def load(self) -> list[Finished]:
        out = []
        for path in sorted(self.directory.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            record = RunRecord.from_json(data["record"], str(path))
            record.path = str(path)
            out.append(Finished(record, data.get("history", []), data.get("checks", {})))
        return out


def accuracies(by_row: Mapping[str, Mapping[int, RunRecord]]) -> dict[str, dict[int, dict]]:
    """``{row: {seed: accuracy by domain}}`` of ``records_by_row``'s records."""
    return {row: {s: r.accuracy for s, r in seeds.items()} for row, seeds in by_row.items()}


def panel_value(accuracy: Mapping[str, float], panel: str, source: str) -> float:
    """A run's accuracy on a target, or ``AVERAGE`` for the panel ``"average"``."""
    return average_over_targets(accuracy, source) if panel == "average" else accuracy[panel]


def panels_of(results: Mapping[str, Mapping[int, Mapping]], source: str) -> list[str]:
    """The targets every run of ``results`` was tested on (real ones first), then
    ``"average"``: the columns of a page, from its records (no data directory)."""
    runs = [set(a) for seeds in results.values() for a in seeds.values()]
    common = set.intersection(*runs) if runs else set()
    targets = [d for d in (*REAL_DOMAINS, RENDERED) if d in common and d != source]
    return [*targets, "average"] if targets else []


def panel_label(panel: str, source: str) -> str:
    if panel == "average":
        return "average (real targets)"
    return transfer_label((source, panel))


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Paired:
    """One paired comparison over seeds: ``ours`` − ``theirs``, seed by seed."""

    ours: tuple[float, ...]
    theirs: tuple[float, ...]

    @property
    def differences(self) -> tuple[float, ...]:
        return tuple(a - b for a, b in zip(self.ours, self.theirs, strict=True))

    @property
    def n(self) -> int:
        return len(self.ours)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.differences)

    @property
    def p(self) -> float | None:
        """Two-sided paired t-test (None with fewer than two pairs or no spread)."""
        if self.n < 2 or statistics.stdev(self.differences) == 0:
            return None
        from scipy import stats

        return float(stats.ttest_rel(self.ours, self.theirs).pvalue)

    def interval(self, level: float = 0.95) -> tuple[float, float] | None:
        """The t confidence interval of the mean difference (None with fewer than 2)."""
        if self.n < 2:
            return None
        from scipy import stats

        half = stats.t.ppf(0.5 + level / 2, self.n - 1) * statistics.stdev(self.differences)
        half /= math.sqrt(self.n)
        return self.mean - half, self.mean + half


def paired(ours: Mapping[int, float], theirs: Mapping[int, float]) -> Paired:
    """The comparison over the seeds both have (``{seed: value}``), in seed order."""
    seeds = sorted(set(ours) & set(theirs))
    return Paired(tuple(ours[s] for s in seeds), tuple(theirs[s] for s in seeds))


def sign_test(higher: int, lower: int) -> float | None:
    """Two-sided exact sign test of ``higher`` against ``lower`` (ties left out)."""
    if higher + lower == 0:
        return None
    from scipy import stats

    return float(stats.binomtest(higher, higher + lower, 0.5).pvalue)


def permutation_agreement(ours: Sequence[int], theirs: Sequence[int]) -> tuple[int, float]:
    """How many of the signs ``ours`` (+1, −1) equal ``theirs``, and the exact one-sided p
    of as many or more when our signs are shuffled over the rows (every permutation
    equally likely: what chance gives when our directions have nothing to do with theirs).

    Our k positive signs land on the rows of their P positive ones as a hypergeometric
    count X; the agreement is 2X + n − P − k, so its tail is X's.
    """
    from scipy import stats

    n, k, positives = len(ours), sum(s > 0 for s in ours), sum(s > 0 for s in theirs)
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    at_least = math.ceil((agree - n + positives + k) / 2)
    return agree, float(stats.hypergeom.sf(at_least - 1, n, positives, k))


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (None with fewer than 3 pairs or a constant side)."""
    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    from scipy import stats

    return float(stats.spearmanr(x, y).statistic)


def mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``"68.31 ± 0.78"`` in percent (± only with 2 or more values; "–" for none)."""
    if not values:
        return "–"
    mean = 100 * statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {100 * statistics.stdev(values):.{digits}f}"


def rows_table(
    results: Mapping[str, Mapping[int, Mapping]],
    names: Sequence[str],
    panels: Sequence[str],
    source: str,
    extra: tuple[str, Mapping[str, str]] | None = None,
) -> str:
    """Mean ± std of every row with runs, per panel and on the source itself; ``extra``:
    one more column, ``(header, {row: text})``."""
    header = ["row", *(panel_label(p, source) for p in panels), f"{domain_label(source)} (source)"]
    rows = []
    for name in names:
        runs = list(results.get(name, {}).values())
        if runs:
            cells = [mean_std([panel_value(a, p, source) for a in runs]) for p in panels]
            rows.append([name, *cells, mean_std([a[source] for a in runs])])
            if extra:
                rows[-1].append(extra[1][name])
    return markdown_table(header + ([extra[0]] if extra else []), rows)


def p_text(p: float | None) -> str:
    """A p-value as pages print it: three decimals, or two significant digits below 0.001."""
    if p is None:
        return "–"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


@dataclass(frozen=True)
class Test:
    """One paired comparison of a page: ``row`` − ``baseline`` on ``panel``, with its
    p corrected within its family (``holm``; the raw p for a test alone)."""

    row: str
    baseline: str
    panel: str
    paired: Paired
    holm: float | None = None

    @property
    def significant(self) -> bool:
        return self.holm is not None and self.holm < ALPHA


def paired_tests(
    results: Mapping[str, Mapping[int, Mapping]],
    pairs: Iterable[tuple[str, str]],
    panels: Sequence[str],
    source: str,
) -> list[Test]:
    """Each of ``pairs`` on each panel, on the seeds both rows have, Holm-corrected
    together (one family); pairs with a row that has no run are left out."""
    tests = []
    for row, baseline in pairs:
        ours, theirs = results.get(row, {}), results.get(baseline, {})
        for panel in panels:
            comparison = paired(
                {s: panel_value(a, panel, source) for s, a in ours.items()},
                {s: panel_value(a, panel, source) for s, a in theirs.items()},
            )
            if comparison.n:
                tests.append(Test(row, baseline, panel, comparison))
    adjusted = holm_adjusted([t.paired.p for t in tests])
    return [
        Test(t.row, t.baseline, t.panel, t.paired, h) for t, h in zip(tests, adjusted, strict=True)
    ]


def tests_table(tests: Sequence[Test], source: str) -> str:
    rows = [
        [t.row, t.baseline, panel_label(t.panel, source), f"{100 * t.paired.mean:+.2f}",
         ", ".join(f"{100 * d:+.1f}" for d in t.paired.differences), p_text(t.paired.p),
         p_text(t.holm) + (" *" if t.significant else "")]
        for t in tests
    ]  # fmt: skip
    header = ["row", "against", "target", "mean Δ (pp)", "per seed", "p (paired t)", "p (Holm)"]
    return markdown_table(header, rows)


def accuracy_chart(
    results: Mapping[str, Mapping[int, Mapping]],
    rows_with_neurn: Mapping[str, bool],
    source: str,
    title: str,
    published: Mapping[str, Mapping[str, float]] | None = None,
):
    """One panel per target and the average: each row's mean (bar) and every seed (dot),
    NeuRN rows in orange, and published figures (×) where ``published`` has one
    (``{row: {target: percent}}``)."""
    import matplotlib.pyplot as plt

    names = [name for name in rows_with_neurn if results.get(name)]
    panels = panels_of({n: results[n] for n in names}, source)
    figure, axes = plt.subplots(
        1, len(panels), figsize=(2.9 * len(panels) + 1.5, 0.42 * len(names) + 2.2), sharey=True,
        layout="constrained",
    )  # fmt: skip
    positions = range(len(names))[::-1]
    for ax, panel in zip(axes, panels, strict=True):
        for position, name in zip(positions, names, strict=True):
            values = [100 * panel_value(a, panel, source) for a in results[name].values()]
            color = "tab:orange" if rows_with_neurn[name] else "tab:blue"
            ax.barh(position, statistics.fmean(values), color=color, alpha=0.45, height=0.7)
            ax.plot(values, [position] * len(values), "o", color=color, markersize=4)
            figure_published = (published or {}).get(name, {}).get(panel)
            if figure_published is not None:
                ax.plot(figure_published, position, "kx", markersize=8, mew=2)
        ax.set_title(panel_label(panel, source))
        ax.set_xlabel("test accuracy (%)")
        ax.set_xlim(0, 100)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(list(positions), names)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color="tab:blue", alpha=0.45, label="without NeuRN"),
        plt.Rectangle((0, 0), 1, 1, color="tab:orange", alpha=0.45, label="with NeuRN"),
        plt.Line2D([], [], marker="o", color="grey", ls="", label="one seed"),
    ]
    if published:
        handles.append(plt.Line2D([], [], marker="x", color="k", mew=2, ls="", label="published"))
    figure.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    figure.suptitle(title)
    return figure


def minutes_table(records: Mapping[str, Mapping[int, RunRecord]]) -> str:
    """Runs and minutes per run (mean and range) of each row, from the records."""
    rows = []
    for name, seeds in records.items():
        minutes = [r.wall_seconds / 60 for r in seeds.values()]
        if minutes:
            rows.append([name, len(minutes), f"{statistics.fmean(minutes):.1f}",
                         f"{min(minutes):.1f} to {max(minutes):.1f}"])  # fmt: skip
    return markdown_table(["row", "runs", "minutes per run (mean)", "range"], rows)


# ---------------------------------------------------------------- writing


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _environment(versions: Mapping, platform: str) -> str:
    machine = platform.rpartition("; ")[2] or platform
    backend = versions.get("keras_backend", "?")
    backend_version = f" {versions[backend]}" if backend in versions else ""
    return (
        f"{machine}, Python {versions.get('python', '?')}, keras {versions.get('keras', '?')} "
        f"({backend}{backend_version}), numpy {versions.get('numpy', '?')}"
    )


def measured_on(environments: Iterable[tuple[Mapping, str]]) -> str:
    """Where the results were measured, from their own records: ``(versions, platform)``
    of each (a ``RunRecord``'s ``versions`` and ``platform``), counted by distinct line."""
    counts = Counter(_environment(versions, platform) for versions, platform in environments)
    if not counts:
        return "nothing measured yet"
    if len(counts) == 1:
        return next(iter(counts))
    return "; ".join(f"{line} ({n} run{'s' * (n != 1)})" for line, n in sorted(counts.items()))


def environments_of(records: Iterable[RunRecord]) -> list[tuple[Mapping, str]]:
    return [(record.versions, record.platform) for record in records]


@dataclass(frozen=True)
class Generated:
    """A generated file (``section`` None) or a marked section of one, and its producer
    (the ``benchmarks`` module whose ``report()`` writes it)."""

    path: str  # relative to the repository root
    producer: str
    section: str | None = None


REGISTRY: tuple[Generated, ...] = (
    Generated("docs/results/table1.md", "table1"),
    Generated("docs/results/table1_heatmap.png", "table1"),
    Generated("README.md", "table1", "table1"),
    Generated("docs/results/dg_baselines.md", "dg_baselines"),
    Generated("docs/results/dg_baselines.png", "dg_baselines"),
    Generated("README.md", "dg_baselines", "dg-baselines"),
    Generated("docs/results/erm_sanity.md", "erm_sanity"),
    Generated("docs/results/neurn_ablations.md", "neurn_ablations"),
    Generated("docs/results/neurn_ablations.png", "neurn_ablations"),
    Generated("README.md", "neurn_ablations", "neurn-ablations"),
    Generated("docs/results/invariance.md", "invariance"),
    Generated("docs/results/invariance.png", "invariance"),
    Generated("docs/results/invariance_usps.png", "invariance"),
    Generated("docs/results/invariance_mnist_m.png", "invariance"),
    Generated("README.md", "invariance", "invariance"),
    Generated("docs/results/faults.md", "faults"),
    Generated("README.md", "faults", "faults"),
    Generated("docs/results/alignment.md", "alignment_results"),
    Generated("docs/results/alignment/rsa_by_area.png", "alignment_results"),
    Generated("docs/results/alignment/rsa_pairs.png", "alignment_results"),
    Generated("docs/results/alignment/fig3_kde_unverified.png", "alignment_results"),
    Generated("README.md", "alignment_results", "alignment"),
    Generated("docs/results/archsim.md", "archsim_zoo"),
    Generated("docs/results/archsim_clustermap.png", "archsim_zoo"),
    Generated("docs/results/backbones.md", "backbones_table"),
    Generated("docs/applications.md", "backbones_table", "backbones-table"),
    Generated("docs/results/neurn_layer.md", "neurn_layer"),
    Generated("README.md", "neurn_layer", "results-neurn"),
    Generated("docs/results/training_throughput.md", "training_throughput"),
    Generated("README.md", "training_throughput", "training-throughput"),
    Generated("docs/training.md", "training_throughput", "training-throughput"),
    Generated("README.md", "ci_times", "ci-times"),
    Generated("docs/neurn.md", "input_stages", "input-stages"),
)
"""Every generated file and section, and its producer: ``python -m benchmarks.rebuild``
runs each producer's ``report()``, and a test fails on a section marker or a generated
page that is not here."""


def _registered(path: Path, section: str | None) -> Generated:
    relative = path.resolve().relative_to(ROOT).as_posix()
    for entry in REGISTRY:
        if (entry.path, entry.section) == (relative, section):
            return entry
    where = f"section {section!r} of {relative}" if section else relative
    raise LookupError(f"{where} is not in benchmarks.results.REGISTRY; add it with its producer")


def write_page(path: Path, title: str, body: str, environments: Iterable[tuple]) -> None:
    """Writes a generated results page (atomically): its producer, how to rebuild it, and
    where its results were measured (``measured_on`` of ``environments``)."""
    producer = _registered(path, None).producer
    text = (
        f"# {title}\n\n"
        f"Generated by `python -m benchmarks.{producer}` from committed records (every page: "
        f"`python -m benchmarks.rebuild`); do not edit by hand.\n\n"
        f"Measured on: {measured_on(environments)}.\n\n{body.rstrip()}\n"
    )
    atomic_write_text(path, text)


def write_figure(figure, path: Path) -> None:
    """Saves a registered figure (``save_figure``: atomic, cropped, closed)."""
    _registered(path, None)
    save_figure(figure, path)


def _section_pattern(name: str) -> re.Pattern:
    return re.compile(
        rf"(<!-- section: {re.escape(name)} -->\n).*?(<!-- /section: {re.escape(name)} -->)",
        re.DOTALL,
    )


def section_markers(text: str) -> list[str]:
    """The names of the generated sections a file's text marks."""
    return re.findall(r"<!-- section: ([\w-]+) -->", text)


RELATIVE_LINK = re.compile(r"\]\((?![a-z]+:|#|/)([^)#\s]+)(#[^)\s]*)?\)")
"""A Markdown link to a file of this repository: its path, then its fragment (if any)."""


def links_from(path: Path, body: str) -> str:
    """``body``'s Markdown links, written from the repository root (as in the README),
    made relative to ``path``'s folder."""
    folder = path.resolve().parent
    if folder == ROOT.resolve():
        return body
    return RELATIVE_LINK.sub(
        lambda m: f"]({os.path.relpath(ROOT.resolve() / m.group(1), folder)}{m.group(2) or ''})",
        body,
    )


def write_section(path: Path, name: str, body: str) -> None:
    """Replaces the text between ``<!-- section: name -->`` and ``<!-- /section: name -->``
    in ``path`` (a registered section; ``LookupError`` when the markers are missing);
    ``body``'s links are written from the repository root (``links_from``)."""
    _registered(path, name)
    body = links_from(path, body)
    text = path.read_text(encoding="utf-8")
    pattern = _section_pattern(name)
    if not pattern.search(text):
        raise LookupError(f"{path} has no section markers for {name!r}")
    replaced = pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text)
    atomic_write_text(path, replaced)
