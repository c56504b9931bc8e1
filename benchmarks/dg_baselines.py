"""NeuRN against the field on digits -> docs/results/dg_baselines.md

The single-source digits protocol of the literature (``--protocol digits10k``: DigitNet,
the first 10,000 MNIST images, 10,000 Adam steps of batch 32 at lr 1e-4, the best of
the validations every 250 steps), with the field's simple input-side methods beside
NeuRN, alone and combined: ERM, NeuRN (k=3 and k=5, reflect), LCN, RandConv, NeuRN +
RandConv, Pro-RandConv, NeuRN + Pro-RandConv, and the other order (RandConv after NeuRN,
tested on its own); seeds 0, 1, 2. Targets: USPS, MNIST-M,
syn_render (ours) and SVHN when its files exist. Each run is one cell, resumable and kept
in ``docs/results/dg_baselines/`` when it finishes (seed 0 of every method first, so a
partial grid already compares them all); the page comes from those files alone.

    python -m benchmarks.dg_baselines                    # run the missing cells, then the page
    python -m benchmarks.dg_baselines --report-only --update-readme
    python -m benchmarks.dg_baselines --max-minutes 60   # a slice of the grid
    python -m benchmarks.dg_baselines --methods erm randconv neurn3+randconv --seeds 1
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from dataclasses import dataclass

from benchmarks._grid import CellStore, Finished, add_grid_options, run_grid
from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)
from neurn_keras.files import save_figure

CELLS = ROOT / "docs" / "results" / "dg_baselines"
FIGURE = ROOT / "docs" / "results" / "dg_baselines.png"
PUBLISHED = ROOT / "data" / "reference" / "digits10k_published.csv"
SEEDS = (0, 1, 2)
TARGETS = ("usps", "mnist_m", "syn_render", "svhn")
TARGET_LABELS = {"usps": "M→U", "mnist_m": "M→MM", "syn_render": "M→syn_render (ours)",
                 "svhn": "M→S"}  # fmt: skip
PUBLISHED_COLUMNS = {"usps": "usps", "mnist_m": "mnist_m", "svhn": "svhn"}
SANITY_TARGETS = ("mnist_m", "usps")  # ours within SANITY_POINTS of the published ERM there
SANITY_POINTS = 5.0


@dataclass(frozen=True)
class Method:
    """One row: the run's input pipeline."""

    name: str
    key: str
    input_norm: str = "none"
    kernel_size: int = 5
    augment: str = "none"
    after_norm: bool = False  # the augmentation after NeuRN instead of on the raw pixels

    def settings(self) -> dict:
        return {"input_norm": self.input_norm, "kernel_size": self.kernel_size,
                "padding": "reflect", "augment": self.augment,
                "augment_after_norm": self.after_norm}  # fmt: skip


METHODS = (
    Method("ERM", "erm"),
    Method("NeuRN (k=3)", "neurn3", "neurn", 3),
    Method("NeuRN (k=5)", "neurn5", "neurn", 5),
    Method("LCN", "lcn", "lcn"),
    Method("RandConv", "randconv", augment="randconv"),
    Method("NeuRN (k=3) + RandConv", "neurn3+randconv", "neurn", 3, "randconv"),
    Method("Pro-RandConv", "prorandconv", augment="prorandconv"),
    Method("NeuRN (k=3) + Pro-RandConv", "neurn3+prorandconv", "neurn", 3, "prorandconv"),
)
"""NeuRN is combined with the augmentations at k=3, its best kernel size in the earlier
capped digits runs (M→MM); the augmentation acts on raw pixels, NeuRN after it."""

ORDER_METHODS = (
    Method("RandConv after NeuRN (k=3)", "randconv-after-neurn3", "neurn", 3, "randconv", True),
)
"""The other order, tried with the cheaper augmentation: NeuRN on the raw pixels, RandConv
on its output. Tested in a family of its own, so the main table's tests keep their power."""
ORDER_PAIRS = (
    ("RandConv after NeuRN (k=3)", "NeuRN (k=3) + RandConv"),
    ("RandConv after NeuRN (k=3)", "RandConv"),
)
ALL_METHODS = METHODS + ORDER_METHODS
ALPHA = 0.05
"""Holm-corrected p below this is starred and called significant in the verdicts."""


def present_targets() -> tuple[str, ...]:
    from neurn_keras import datasets

    out = []
    for name in TARGETS:
        try:
            datasets.source_files(name, "test")
        except FileNotFoundError:
            continue
        out.append(name)
    return tuple(out)


def cells(targets: tuple[str, ...], methods: tuple[Method, ...] = ALL_METHODS, seeds=SEEDS):
    """Every run, seed 0 of every method first (in ``methods``' order), then seed 1, 2."""
    from neurn_keras.training import RunConfig

    return [
        RunConfig.for_protocol("digits10k", targets=targets, seed=seed, **method.settings())
        for seed in seeds
        for method in methods
    ]


def method_of(record) -> str:
    for method in ALL_METHODS:
        settings = method.settings()
        same_norm = record.input_norm == settings["input_norm"]
        same_k = record.input_norm != "neurn" or record.neurn_config["kernel_size"] == (
            method.kernel_size
        )
        same_order = record.augment_after_norm == method.after_norm
        if same_norm and same_k and same_order and record.augment == method.augment:
            return method.name
    return "other"


def published_erm() -> dict[str, float]:
    """The published ERM on the sanity targets, from the reference file."""
    row = next((r for r in published_rows() if r["method"] == "ERM"), None)
    return {t: float(row[t]) for t in SANITY_TARGETS} if row else {}


def published_rows() -> list[dict]:
    if not PUBLISHED.is_file():
        return []
    with open(PUBLISHED, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------------------ the page


def by_method(finished: list[Finished]) -> dict[str, dict[int, dict]]:
    """``{method: {seed: accuracy by target}}`` (fractions)."""
    out: dict[str, dict[int, dict]] = {}
    for item in finished:
        out.setdefault(method_of(item.record), {})[item.record.seed] = item.record.accuracy
    return out


def average(accuracy: dict, targets) -> float:
    return statistics.fmean(accuracy[t] for t in targets)


def cell(values: list[float], full: int | None = len(SEEDS)) -> str:
    """Mean ± std in percent, with the count unless it is ``full`` (None: always)."""
    if not values:
        return "–"
    text = f"{100 * statistics.fmean(values):.2f}"
    if len(values) > 1:
        text += f" ± {100 * statistics.stdev(values):.2f}"
    return text + ("" if len(values) == full else f" (n={len(values)})")


def chart(results, targets, methods=ALL_METHODS, title=None, published=True):
    """One panel per target and the average: each method's mean (bar) and seeds (dots),
    with the published figure (×) where there is one (``published``). ``methods``: rows
    with a ``name`` and an ``input_norm``, in order."""
    import matplotlib.pyplot as plt

    names = [m.name for m in methods if results.get(m.name)]
    uses_neurn = {m.name: m.input_norm == "neurn" for m in methods}
    published = {r["method"]: r for r in published_rows()} if published else {}
    panels = [*targets, "average"]
    figure, axes = plt.subplots(
        1, len(panels), figsize=(2.9 * len(panels) + 1.5, 0.42 * len(names) + 1.4), sharey=True
    )
    rows = range(len(names))[::-1]
    for ax, panel in zip(axes, panels, strict=True):
        for row, name in zip(rows, names, strict=True):
            runs = results[name].values()
            values = [100 * (average(a, targets) if panel == "average" else a[panel]) for a in runs]
            color = "tab:orange" if uses_neurn[name] else "tab:blue"
            ax.barh(row, statistics.fmean(values), color=color, alpha=0.45, height=0.7)
            ax.plot(values, [row] * len(values), "o", color=color, markersize=4)
            column = PUBLISHED_COLUMNS.get(panel)
            if name in published and column:
                ax.plot(float(published[name][column]), row, "kx", markersize=8, mew=2)
        ax.set_title("average over targets" if panel == "average" else TARGET_LABELS[panel])
        ax.set_xlabel("test accuracy (%)")
        ax.set_xlim(0, 100)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(list(rows), names)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color="tab:blue", alpha=0.45, label="without NeuRN"),
        plt.Rectangle((0, 0), 1, 1, color="tab:orange", alpha=0.45, label="with NeuRN"),
        plt.Line2D([], [], marker="o", color="grey", ls="", label="one seed"),
    ]
    if published:
        handles.append(plt.Line2D([], [], marker="x", color="k", mew=2, ls="",
                                  label="published (Pro-RandConv Table 1)"))  # fmt: skip
    figure.legend(
        handles=handles, loc="lower center", ncol=len(handles), bbox_to_anchor=(0.5, -0.08)
    )
    figure.suptitle(title or "Single-source digits from MNIST, 10,000 steps (bar: mean over seeds)")
    return figure


def sanity_check(ours: float, published: float) -> str:
    """``"within"`` or ``"NOT within"``: our ERM (percent) against the published one."""
    return "within" if abs(ours - published) <= SANITY_POINTS else "NOT within"


def results_table(results, targets) -> str:
    header = ["method", *(TARGET_LABELS[t] for t in targets), "average", "M (source)"]
    rows = []
    for method in ALL_METHODS:
        seeds = results.get(method.name, {})
        rows.append(
            [
                method.name,
                *(cell([acc[t] for acc in seeds.values()]) for t in targets),
                cell([average(acc, targets) for acc in seeds.values()]),
                cell([acc["mnist"] for acc in seeds.values()]),
            ]
        )
    published_targets = [t for t in targets if t in PUBLISHED_COLUMNS]
    for row in published_rows():
        values = [row[PUBLISHED_COLUMNS[t]] if t in published_targets else "–" for t in targets]
        rows.append([f"{row['method']} (published: {row['source']})", *values, "–", "–"])
    return markdown_table(header, rows)


MAIN_PAIRS = (
    *((m.name, "ERM") for m in METHODS if m.name != "ERM"),
    *((m.name, m.name.split(" + ")[1]) for m in METHODS if " + " in m.name),
)
"""The main family of tests: every method against ERM, and each NeuRN + augmentation
against the augmentation alone."""


def comparisons(results, targets, pairs=MAIN_PAIRS) -> list[tuple]:
    """(row, baseline, target, row values, baseline values) for each of ``pairs``, on the
    seeds both have."""
    out = []
    for name, base in pairs:
        ours, theirs = results.get(name, {}), results.get(base, {})
        seeds = sorted(set(ours) & set(theirs))
        for target in (*targets, "average"):

            def value(accuracy, target=target):
                return average(accuracy, targets) if target == "average" else accuracy[target]

            out.append((name, base, target, [value(ours[s]) for s in seeds],
                        [value(theirs[s]) for s in seeds]))  # fmt: skip
    return out


def tests_table(results, targets, pairs=MAIN_PAIRS) -> tuple[str, list]:
    """The paired tests of ``pairs``, Holm-corrected within them: the table and the tests."""
    from neurn_keras.training.tables import PairedComparison, holm_adjusted

    rows, tested = [], []
    for name, base, target, ours, theirs in comparisons(results, targets, pairs):
        if not ours:
            continue
        seeds = tuple(range(len(ours)))
        transfer = ("mnist", target)
        tested.append(
            PairedComparison("digitnet", name, base, transfer, seeds, tuple(theirs), tuple(ours))
        )
    adjusted = holm_adjusted([c.p_value for c in tested])
    for comparison, p_holm in zip(tested, adjusted, strict=True):
        target = comparison.transfer[1]
        p = comparison.p_value
        rows.append(
            [
                comparison.label,
                comparison.baseline_label,
                TARGET_LABELS.get(target, target),
                f"{100 * comparison.mean_difference:+.2f}",
                ", ".join(f"{100 * d:+.1f}" for d in comparison.differences),
                "–" if p is None else f"{p:.3f}",
                "–" if p_holm is None else f"{p_holm:.3f}" + (" *" if p_holm < ALPHA else ""),
            ]
        )
    header = ["row", "against", "target", "mean Δ (pp)", "per seed", "p (paired t)", "p (Holm)"]
    return markdown_table(header, rows), list(zip(tested, adjusted, strict=True))


def _combination_outcome(difference: float, *, significant: bool) -> str:
    """How NeuRN + augmentation compares with the augmentation alone, in words."""
    if difference > 0:
        return (
            "adds a significant amount on top of it."
            if significant
            else "does not add a significant gain on top of it."
        )
    lower = "significantly lower." if significant else "lower, not significantly."
    return f"does not add anything on top of it; the combination is {lower}"


def verdict(results, targets, tested) -> str:
    """Plain sentences: the sanity bar, and whether NeuRN adds to the best augmentation."""
    lines = []
    erm = results.get("ERM", {})
    if erm:
        checks = []
        for target, published in published_erm().items():
            ours = 100 * statistics.fmean(acc[target] for acc in erm.values())
            verdict = sanity_check(ours, published)
            checks.append(f"{TARGET_LABELS[target]} {ours:.2f} against {published:.2f} "
                          f"({verdict} {SANITY_POINTS:g} points)")  # fmt: skip
        lines.append("- Sanity bar, our ERM beside the published ERM: " + "; ".join(checks) + ".")
    augmentations = [m.name for m in METHODS if m.augment != "none" and m.input_norm == "none"]
    scored = {n: statistics.fmean(average(a, targets) for a in results[n].values())
              for n in augmentations if results.get(n)}  # fmt: skip
    if scored:
        best = max(scored, key=scored.get)
        combined = next((m.name for m in METHODS if m.name.endswith(f"+ {best}")), None)
        mine = [
            (c, p)
            for c, p in tested
            if (c.label, c.baseline_label, c.transfer[1]) == (combined, best, "average")
        ]
        if not mine:
            lines.append(
                f"- The best augmentation here is {best} (average {100 * scored[best]:.2f}%). "
                f"{combined} has no run on the same seeds yet, so whether NeuRN adds "
                "anything on top of it is not measured."
            )
        else:
            comparison, p_holm = mine[0]
            n = len(comparison.seeds)
            difference = 100 * comparison.mean_difference
            head = (
                f"- The best augmentation here is {best} (average {100 * scored[best]:.2f}%). "
                f"{combined} minus {best}, averaged over the targets: {difference:+.2f} points"
            )
            if p_holm is None:
                lines.append(
                    f"{head} on the {n} seed{'s' if n != 1 else ''} in so far; a paired test "
                    "needs at least 2, so whether NeuRN adds anything on top of it is not "
                    "yet measured."
                )
            else:
                outcome = _combination_outcome(difference, significant=p_holm < ALPHA)
                power = (
                    ""
                    if n >= len(SEEDS)
                    else f" Only {n} of the {len(SEEDS)} seeds are in: a "
                    "paired test over so few seeds has little power."
                )
                lines.append(
                    f"{head} over {n} seeds (Holm-corrected p = {p_holm:.3f}): NeuRN {outcome}"
                    + power
                )
    return "\n".join(lines)


def order_summary(tested) -> str:
    """One sentence: the other order against each of ORDER_PAIRS, on the average."""
    averages = [(c, p) for c, p in tested if c.transfer[1] == "average"]
    if not averages:
        return ""
    parts = [
        f"{100 * c.mean_difference:+.2f} points against {c.baseline_label} "
        + ("(no paired test yet)" if p is None else f"(Holm-corrected p = {p:.3f})")
        for c, p in averages
    ]
    held = [p for _, p in averages if p is not None]
    if len(held) < len(averages):
        ending = ""
    elif any(p < ALPHA for p in held):
        ending = " At least one difference is significant."
    else:
        ending = (
            " None is significant: swapping the order changes nothing measurable, and with "
            "NeuRN first the pair gains nothing measurable over RandConv alone."
        )
    return f"Averaged over the targets, {averages[0][0].label}: " + "; ".join(parts) + "." + ending


def report(targets, update_readme: bool) -> None:
    finished = CellStore(CELLS).load()
    results = by_method(finished)
    expected = len(cells(targets))
    hours = sum(f.record.wall_seconds for f in finished) / 3600
    table = results_table(results, targets)
    tests, tested = tests_table(results, targets)
    missing = [TARGET_LABELS[t] for t in TARGETS if t not in targets]
    minutes = {
        m: statistics.fmean(
            f.record.wall_seconds / 60 for f in finished if method_of(f.record) == m
        )
        for m in results
    }
    timing = markdown_table(
        ["method", "runs", "minutes per run (mean)"],
        [[m.name, len(results.get(m.name, {})), f"{minutes[m.name]:.1f}"]
         for m in ALL_METHODS if m.name in minutes],
    )  # fmt: skip
    order = results.get(ORDER_METHODS[0].name)
    order_tests = "No run yet."
    if order:
        order_table, order_tested = tests_table(results, targets, ORDER_PAIRS)
        order_tests = f"{order_table}\n\n{order_summary(order_tested)}".rstrip()
    intro = (
        "The literature's single-source digits protocol (`--protocol digits10k`): DigitNet "
        "as in RandConv's code (inputs in [-1, 1], PyTorch's default initialization; why: "
        "[erm_sanity.md](erm_sanity.md)), "
        "the first 10,000 MNIST training images at 32×32 RGB (9,000 trained on, 1,000 "
        "held out for model selection), 10,000 Adam steps of batch 32 at lr 1e-4, validated "
        "every 250 steps, the best validation kept (as RandConv's `exp_mnist10k.sh`). "
        "RandConv: kernel sizes {1, 3, 5, 7}, Kaiming-normal weights, the image kept with "
        "probability 0.5 and otherwise mixed α·conv + (1−α)·x, no consistency loss; "
        "Pro-RandConv: a 3×3 Gaussian-windowed random block with deformable offsets, "
        "standardization, random affine and tanh, repeated 1–10 times (see "
        "[docs/baselines.md](../baselines.md)). Test accuracy in percent, mean ± std over "
        f"seeds {', '.join(map(str, SEEDS))}; the full test sets of each target. "
        f"{len(finished)} of {expected} runs, {hours:.1f} hours in all (wall-clock, summed "
        "over runs, mostly two at a time on 2 cores). "
        f"Targets missing here: {', '.join(missing) or 'none'}. Published rows are Pro-"
        "RandConv's Table 1 (our syn_render is our own renderer, not their SYN digits). "
        "Every row of ours uses RandConv's 10,000-step schedule, so our rows compare on "
        "equal terms. Pro-RandConv reports its own digits results after a longer schedule: "
        "SGD with momentum 0.9, lr 0.01 on a cosine, batch 64, 500 epochs, about 7× our "
        "steps and 15× our training images (as a third-party reproduction quotes the "
        "paper; not checked against the paper here). Our Pro-RandConv row is therefore "
        "not the published recipe; `--protocol prorandconv-digits` runs that schedule, "
        "and no run here uses it yet."
    )
    body = "\n\n".join(
        [
            intro,
            f"![accuracy per method and target]({FIGURE.name})",
            table,
            verdict(results, targets, tested),
            "## Paired tests\n\nEvery method against ERM, and every NeuRN + augmentation "
            "against the augmentation alone, per target and on the average over targets; "
            "paired t-tests over seeds, Holm-corrected over every test of this table "
            f"(* p < {ALPHA:g}).\n\n" + tests,
            "## The other order\n\nThe rows above put the augmentation on the raw pixels "
            "and NeuRN after it. The row *RandConv after NeuRN (k=3)* swaps them "
            "(`--augment-after-norm`): NeuRN's output, scaled to 0..255, is what RandConv "
            "draws on. Paired tests against the usual order and against RandConv alone, "
            "Holm-corrected within this table only.\n\n" + order_tests,
            "## Time per run\n\n" + timing,
        ]
    )
    write_page(ROOT / "docs" / "results" / "dg_baselines.md", "NeuRN against the field", body)
    if results:
        save_figure(chart(results, targets), FIGURE)
    if update_readme:
        summary = (
            "**NeuRN against the field** (the literature's digits protocol, 10,000 steps; "
            f"{len(finished)} of {expected} runs; "
            "[docs/results/dg_baselines.md](docs/results/dg_baselines.md), from "
            "`python -m benchmarks.dg_baselines`; how our ERM came to meet the published "
            "ERM: [docs/results/erm_sanity.md](docs/results/erm_sanity.md)):\n\n"
            + f"![accuracy per method and target]({FIGURE.relative_to(ROOT).as_posix()})\n\n"
            + verdict(results, targets, tested)
        )
        replace_readme_section("dg-baselines", summary)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_grid_options(parser, "dg_baselines", CELLS)
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=[m.key for m in ALL_METHODS],
        default=[m.key for m in ALL_METHODS],
        metavar="KEY",
        help="only these rows' runs, in this order (default: all; keys: "
        + ", ".join(m.key for m in ALL_METHODS)
        + ")",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        choices=SEEDS,
        default=list(SEEDS),
        help="only these seeds' runs (two processes on disjoint seeds share the cores)",
    )
    args = parser.parse_args(argv)
    if args.update_readme:
        check_readme_section("dg-baselines")
    targets = present_targets()
    if not args.report_only:
        chosen = tuple(next(m for m in ALL_METHODS if m.key == key) for key in args.methods)
        run_grid(cells(targets, chosen, args.seeds), args)
    report(targets, args.update_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
