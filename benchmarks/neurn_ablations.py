"""Where NeuRN helps: the ablations the paper left out -> docs/results/neurn_ablations.md

On the literature's digits protocol (``--protocol digits10k``, as ``dg_baselines``:
DigitNet, the first 10,000 MNIST images, 10,000 Adam steps of batch 32 at lr 1e-4),
seeds 0, 1, 2, NeuRN varied one setting at a time from k=3, reflect:

- window size k = 3, 5, 7;
- padding: reflect or zeros;
- the maximum c over the whole image (the paper) or over each channel;
- colour: each RGB channel (the paper) or the luminance only;
- σ/c at the input only (the paper) or also after DigitNet's first convolution.

ERM, NeuRN k=3 and NeuRN k=5 are ``dg_baselines``' own runs (the same configurations,
read from ``docs/results/dg_baselines/``); the others are run here, resumable cell by
cell, kept in ``docs/results/neurn_ablations/``. The page comes from those files alone.

The primary comparison, tested on its own, decides the layer's default window: NeuRN
k=3 against k=5 (the default), on the average over the targets. Every other variant is
compared with ERM and with NeuRN k=3, Holm-corrected together as exploratory; the other
defaults (the paper's padding, maximum, colour and placement) stay unless a variant beats
k=3 there.

    python -m benchmarks.neurn_ablations                  # run the missing cells, the page
    python -m benchmarks.neurn_ablations --report-only --update-readme
    python -m benchmarks.neurn_ablations --variants k7 zeros --seeds 0
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field, fields

from benchmarks import dg_baselines
from benchmarks._grid import CellStore, add_grid_options, run_grid
from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)
from neurn_keras.files import save_figure

CELLS = ROOT / "docs" / "results" / "neurn_ablations"
PAGE = ROOT / "docs" / "results" / "neurn_ablations.md"
FIGURE = ROOT / "docs" / "results" / "neurn_ablations.png"
SEEDS = dg_baselines.SEEDS
ALPHA = dg_baselines.ALPHA


@dataclass(frozen=True)
class Variant:
    """One row: the run's NeuRN (or none), as ``RunConfig`` fields."""

    name: str
    key: str
    changes: dict = field(default_factory=dict, hash=False)
    measured_in: str = "here"  # "dg_baselines": its runs are that page's

    @property
    def input_norm(self) -> str:
        return self.changes.get("input_norm", "neurn")

    def settings(self) -> dict:
        neurn = {"input_norm": "neurn", "kernel_size": 3, "padding": "reflect"}
        return {**neurn, **self.changes}


REFERENCE = "NeuRN (k=3)"
VARIANTS = (
    Variant("ERM", "erm", {"input_norm": "none"}, "dg_baselines"),
    Variant(REFERENCE, "k3", {}, "dg_baselines"),
    Variant("NeuRN (k=5)", "k5", {"kernel_size": 5}, "dg_baselines"),
    Variant("NeuRN (k=7)", "k7", {"kernel_size": 7}),
    Variant("NeuRN (k=3, zeros)", "zeros", {"padding": "zeros"}),
    Variant("NeuRN (k=3, max per channel)", "channel", {"normalize_over": "channel"}),
    Variant("NeuRN (k=3, luminance)", "luminance", {"color": "luminance"}),
    Variant("NeuRN (k=3) + again after conv1", "inner", {"inner_neurn": True}),
)
NEW = tuple(v for v in VARIANTS if v.measured_in == "here")
SETTING_ROWS = tuple(v for v in NEW if "kernel_size" not in v.changes)
"""The rows that vary a setting other than the window (padding, maximum, colour, place)."""
PRIMARY = ("NeuRN (k=3)", "NeuRN (k=5)")
"""The primary comparison: is k=3 better than the layer's default k=5 (on the average)?"""
EXPLORATORY = tuple(
    (variant.name, base)
    for variant in VARIANTS
    if variant.name != "ERM"
    for base in ("ERM", REFERENCE)
    if variant.name != base and {variant.name, base} != set(PRIMARY)
)
"""Every NeuRN against ERM and against NeuRN k=3 (Holm over all of them together)."""


def configs(targets: tuple[str, ...], variants=NEW, seeds=SEEDS):
    """The runs, seed 0 of every variant first."""
    from neurn_keras.training import RunConfig

    return [
        RunConfig.for_protocol("digits10k", targets=targets, seed=seed, **variant.settings())
        for seed in seeds
        for variant in variants
    ]


def records_by_variant(targets) -> dict[str, dict]:
    """``{variant: {seed: RunRecord}}`` from this page's cells and dg_baselines'."""
    by_tag = {}
    for variant in VARIANTS:
        config = configs(targets, (variant,), seeds=(0,))[0]
        by_tag[config.method().tag()] = variant.name
    out: dict[str, dict] = {}
    for item in CellStore(CELLS).load() + CellStore(dg_baselines.CELLS).load():
        record = item.record
        if record.protocol != "digits10k" or record.protocol_deviations:
            continue
        name = by_tag.get(record.method().tag())
        if name is not None:
            out.setdefault(name, {})[record.seed] = record
    return out


def accuracies(records) -> dict[str, dict[int, dict]]:
    """``{variant: {seed: accuracy by target}}`` from ``records_by_variant``'s records."""
    return {
        name: {seed: record.accuracy for seed, record in seeds.items()}
        for name, seeds in records.items()
    }


def results_by_variant(targets) -> dict[str, dict[int, dict]]:
    """``{variant: {seed: accuracy by target}}`` from this page's cells and dg_baselines'."""
    return accuracies(records_by_variant(targets))


def timing(records) -> str:
    """How long this page's own runs (the rows measured here) took, from their records."""
    minutes = {
        v.name: [r.wall_seconds / 60 for r in records[v.name].values()]
        for v in NEW
        if records.get(v.name)
    }
    if not minutes:
        return "No run of this page yet."
    every = [m for values in minutes.values() for m in values]
    table = markdown_table(
        ["variant", "runs", "minutes per run (mean)", "range"],
        [[v.name, len(minutes[v.name]), f"{statistics.fmean(minutes[v.name]):.1f}",
          f"{min(minutes[v.name]):.1f} to {max(minutes[v.name]):.1f}"]
         for v in NEW if v.name in minutes],
    )  # fmt: skip
    return (
        f"This page's {len(every)} runs took {sum(every) / 60:.1f} hours of wall time in all "
        "(by their records), on 2 CPU cores that other work shared (mostly two runs at a "
        "time, so minutes vary with the load). The slowest are the runs with a second NeuRN "
        "inside DigitNet, where it works on 64 feature maps instead of 3 channels.\n\n" + table
    )


def results_table(results, targets) -> str:
    header = ["variant", *(dg_baselines.TARGET_LABELS[t] for t in targets), "average",
              "M (source)", "runs from"]  # fmt: skip
    rows = []
    for variant in VARIANTS:
        seeds = results.get(variant.name, {})
        rows.append(
            [
                variant.name,
                *(dg_baselines.cell([a[t] for a in seeds.values()]) for t in targets),
                dg_baselines.cell([dg_baselines.average(a, targets) for a in seeds.values()]),
                dg_baselines.cell([a["mnist"] for a in seeds.values()]),
                "dg_baselines" if variant.measured_in == "dg_baselines" else "this page",
            ]
        )
    return markdown_table(header, rows)


def primary_test(results, targets):
    """The primary comparison on the average over targets: ``(PairedComparison, p)``, one
    paired t-test on its own (no correction), or None without runs."""
    from neurn_keras.training.tables import PairedComparison

    for name, base, target, ours, theirs in dg_baselines.comparisons(results, targets, (PRIMARY,)):
        if target == "average" and ours:
            seeds = tuple(range(len(ours)))
            comparison = PairedComparison(
                "digitnet", name, base, ("mnist", target), seeds, tuple(theirs), tuple(ours)
            )
            return comparison, comparison.p_value
    return None


def best_variant(results, targets) -> tuple[str, float] | None:
    """The NeuRN variant with the highest mean average accuracy over the seeds, among
    those run on every seed (a variant on fewer seeds is not ranked against them)."""
    incomplete = set(incomplete_variants(results))
    scored = {
        v.name: statistics.fmean(dg_baselines.average(a, targets) for a in results[v.name].values())
        for v in VARIANTS
        if v.input_norm == "neurn" and v.name not in incomplete
    }
    if not scored:
        return None
    best = max(scored, key=scored.get)
    return best, scored[best]


def incomplete_variants(results) -> list[str]:
    """The NeuRN variants not yet run on every seed (not to be ranked)."""
    return [
        v.name
        for v in VARIANTS
        if v.input_norm == "neurn" and len(results.get(v.name, {})) < len(SEEDS)
    ]


def verdict(results, targets, tested, primary) -> str:
    """Which NeuRN to use on digits, and what happens to the layer's default."""
    lines = []
    if primary is None:
        lines.append("- Primary comparison (k=3 against the default k=5): no runs yet.")
    else:
        comparison, p = primary
        difference = 100 * comparison.mean_difference
        per_seed = ", ".join(f"{100 * d:+.1f}" for d in comparison.differences)
        outcome = (
            "not testable yet (fewer than 2 seeds)"
            if p is None
            else ("significant" if p < ALPHA else "not significant")
            + f" (paired t-test over {len(comparison.seeds)} seeds, p = {p:.3f})"
        )
        lines.append(
            f"- Primary comparison: NeuRN k=3 minus k=5 (the default until 0.2.0), averaged over "
            f"the targets: {difference:+.2f} points (per seed {per_seed}); {outcome}."
        )
    found = best_variant(results, targets)
    if found:
        best, score = found
        missing = incomplete_variants(results)
        text = f"- The best NeuRN here is {best}, {100 * score:.2f}% on the average"
        if best == REFERENCE and missing:
            text += (
                f"; no variant run on all {len(SEEDS)} seeds beats it ({', '.join(missing)}: "
                "not on every seed yet, so not ranked)."
            )
        elif best == REFERENCE:
            text += "; no variant beats it."
        else:
            text += f", {best_margin(best, tested)}."
        lines.append(text)
    on_average = averages_against_reference(tested)
    if on_average:
        listed = "; ".join(
            f"{c.label} {100 * c.mean_difference:+.2f} ({significance_note(p, len(c.seeds))})"
            for c, p in on_average
        )
        lines.append(
            f"- Each variant minus NeuRN (k=3) on the same seeds, points on the average: {listed}."
        )
    return "\n".join(lines)


def best_margin(best: str, tested) -> str:
    """How far the best variant is ahead of NeuRN (k=3), with its corrected p."""
    difference, p = against_reference(best, tested)
    held = "–" if p is None else f"{p:.3f}"
    return f"{difference:+.2f} points against {REFERENCE}, Holm-corrected p = {held}"


def significance_note(p: float | None, seeds: int) -> str:
    """A difference's test, or why it has none yet."""
    if p is None:
        return f"{seeds} seed{'s' * (seeds != 1)}, not tested yet"
    return f"Holm p = {p:.3f}"


def evidence_for_k3(primary) -> bool | None:
    """Whether the primary test says k=3 beats k=5 (None: not testable yet)."""
    if primary is None or primary[1] is None:
        return None
    comparison, p = primary
    return beats(comparison.mean_difference, p)


def default_decision(primary) -> str:
    """What the evidence says of NeuRN's default window, and what the default is."""
    from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE

    supported = evidence_for_k3(primary)
    if supported is None:
        return (
            f"The primary comparison cannot be tested yet; the default is k={DEFAULT_KERNEL_SIZE}."
        )
    comparison, p = primary
    found = (
        f"k=3 is {100 * comparison.mean_difference:+.2f} points against k=5 on the average "
        f"(p = {p:.3f}, the primary test)"
    )
    if supported and DEFAULT_KERNEL_SIZE == 3:
        return (
            f"{found}: NeuRN's default window is k=3 since neurn_keras 0.2.0 (it was 5; "
            "CHANGELOG.md). One protocol and three seeds: on other data, try both."
        )
    if supported:
        return f"{found}: the evidence supports k=3, but the default is k={DEFAULT_KERNEL_SIZE}."
    return (
        f"{found}: not significant, so the evidence does not change the default "
        f"(k={DEFAULT_KERNEL_SIZE})."
    )


def setting_defaults() -> dict:
    """The run defaults of the settings ``SETTING_ROWS`` vary (the paper's choices)."""
    from neurn_keras.training import RunConfig

    defaults = {f.name: f.default for f in fields(RunConfig)}
    return {key: defaults[key] for key in sorted({k for v in SETTING_ROWS for k in v.changes})}


def averages_against_reference(tested) -> list:
    """The tests of ``tested`` (``(comparison, Holm p)``) of a row against NeuRN (k=3) on
    the average over the targets."""
    return [
        (c, p) for c, p in tested if c.baseline_label == REFERENCE and c.transfer[1] == "average"
    ]


def against_reference(name: str, tested) -> tuple[float, float | None]:
    """``name`` minus NeuRN (k=3) on the average (points) and its Holm-corrected p."""
    for c, p in averages_against_reference(tested):
        if c.label == name:
            return 100 * c.mean_difference, p
    raise KeyError(f"{name} is not tested against {REFERENCE}")


def beats(difference: float, p: float | None) -> bool:
    """A positive difference whose (corrected) test is significant."""
    return p is not None and p < ALPHA and difference > 0


def better_settings(results, tested) -> list[Variant]:
    """The non-window rows, run on every seed, significantly better than NeuRN (k=3)."""
    waiting = set(incomplete_variants(results))
    return [
        v
        for v in SETTING_ROWS
        if v.name not in waiting and beats(*against_reference(v.name, tested))
    ]


def settings_decision(results, tested, brief: bool = False) -> str:
    """What the tests against NeuRN (k=3) say of the defaults other than the window
    (``brief``: one clause, for the README)."""
    shown = ", ".join(f"`{key}={value!r}`" for key, value in setting_defaults().items())
    incomplete = set(incomplete_variants(results))
    waiting = [v.name for v in SETTING_ROWS if v.name in incomplete]
    if waiting:
        return (
            f"Not decided yet ({', '.join(waiting)}: not on every seed); the defaults stay "
            f"the paper's: {shown}."
        )
    better = better_settings(results, tested)
    if better:
        margins = {v.name: against_reference(v.name, tested) for v in better}
        listed = "; ".join(
            f"{name} {d:+.2f} points (Holm p = {p:.3f})" for name, (d, p) in margins.items()
        )
        return (
            f"Better than NeuRN (k=3) after the Holm correction: {listed}. The evidence "
            f"supports changing that default; the defaults are {shown}."
        )
    if brief:
        return (
            "No other setting beats NeuRN (k=3) after the Holm correction, so the other "
            "defaults stay the paper's."
        )
    (d, p), name = max((against_reference(v.name, tested), v.name) for v in SETTING_ROWS)
    return (
        f"No other setting beats NeuRN (k=3) after the Holm correction (the largest "
        f"difference: {name}, {d:+.2f} points on the average, Holm p = {p:.3f}; "
        f"{len(SEEDS)} seeds, {len(tested)} tests), so the defaults stay the paper's: {shown}. "
        f"Differences of this size may be real; {len(SEEDS)} seeds cannot tell them from "
        "seed noise."
    )


def report(targets, update_readme: bool) -> None:
    records = records_by_variant(targets)
    results = accuracies(records)
    runs = sum(len(seeds) for seeds in results.values())
    expected = len(VARIANTS) * len(SEEDS)
    primary = primary_test(results, targets)
    tests, tested = dg_baselines.tests_table(results, targets, EXPLORATORY)
    intro = (
        "The ablations the paper left out, on the literature's digits protocol "
        "(`--protocol digits10k`, as [dg_baselines.md](dg_baselines.md)): DigitNet, the "
        "first 10,000 MNIST images, 10,000 Adam steps of batch 32 at lr 1e-4, the best of "
        "the validations every 250 steps, seeds "
        f"{', '.join(map(str, SEEDS))}. NeuRN varies one setting at a time from k=3, "
        "reflect padding: the window size, the padding, what the maximum c is taken over, "
        "the colour, and where the contrast is divided out (also after DigitNet's first "
        "convolution, where the same layer sees 64 feature maps). Test accuracy in percent, "
        f"mean ± std over seeds. {runs} of {expected} runs (ERM, k=3 and k=5 are "
        "dg_baselines' runs)."
    )
    body = "\n\n".join(
        [
            intro,
            f"![accuracy per variant and target]({FIGURE.name})",
            results_table(results, targets),
            verdict(results, targets, tested, primary),
            "## The defaults\n\n"
            + default_decision(primary)
            + "\n\n"
            + settings_decision(results, tested),
            "## Time\n\n" + timing(records),
            "## Paired tests (exploratory)\n\nEvery NeuRN variant against ERM and against "
            "NeuRN (k=3), per target and on the average; paired t-tests over seeds, "
            f"Holm-corrected over every test of this table (* p < {ALPHA:g}). The primary "
            "comparison (k=3 against k=5) is tested on its own above and is not in this "
            "table.\n\n" + tests,
        ]
    )
    write_page(PAGE, "Where NeuRN helps: ablations on digits", body)
    if results:
        title = "NeuRN's settings on single-source digits from MNIST (bar: mean over seeds)"
        save_figure(
            dg_baselines.chart(results, targets, VARIANTS, title=title, published=False), FIGURE
        )
    if update_readme:
        found = best_variant(results, targets)
        incomplete = incomplete_variants(results)
        ranked = sum(v.input_norm == "neurn" for v in VARIANTS) - len(incomplete)
        lead = (
            f"of the {ranked} NeuRN variants run on all {len(SEEDS)} seeds so far, the best is"
            if incomplete
            else "the best NeuRN is"
        )
        margin = "" if not found or found[0] == REFERENCE else f", {best_margin(found[0], tested)}"
        best = f"{lead} {found[0]} ({100 * found[1]:.1f}% on average{margin}); " if found else ""
        summary = (
            f"**NeuRN's settings** ({runs} of {expected} runs, "
            "[docs/results/neurn_ablations.md](docs/results/neurn_ablations.md)): "
            f"{best}{default_decision(primary)} "
            f"{settings_decision(results, tested, brief=True)}"
        )
        replace_readme_section("neurn-ablations", summary)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_grid_options(parser, "neurn_ablations", CELLS)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=[v.key for v in NEW],
        default=[v.key for v in NEW],
        metavar="KEY",
        help="only these rows' runs (keys: " + ", ".join(v.key for v in NEW) + ")",
    )
    parser.add_argument(
        "--seeds", nargs="+", type=int, choices=SEEDS, default=list(SEEDS), help="only these"
    )
    args = parser.parse_args(argv)
    if args.update_readme:
        check_readme_section("neurn-ablations")
    targets = dg_baselines.present_targets()
    if not args.report_only:
        chosen = tuple(v for v in NEW if v.key in args.variants)
        run_grid(configs(targets, chosen, args.seeds), args)
    report(targets, args.update_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
