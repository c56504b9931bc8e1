"""NeuRN against the field on digits -> docs/results/dg_baselines.md

The single-source digits protocol of the literature (``--protocol digits10k``: DigitNet,
the first 10,000 MNIST images, 10,000 Adam steps of batch 32 at lr 1e-4, the best of
the validations every 250 steps), with the field's simple input-side methods beside
NeuRN, alone and combined: ERM, NeuRN (k=3 and k=5, reflect), LCN, RandConv, NeuRN +
RandConv, Pro-RandConv, NeuRN + Pro-RandConv, and the other order (RandConv after NeuRN,
tested on its own); seeds 0, 1, 2. Each run is one cell, resumable and kept in
``docs/results/dg_baselines/`` when it finishes (seed 0 of every row first); the page
comes from those files and ``data/reference/digits10k_published.csv`` alone.

    python -m benchmarks.dg_baselines                    # run the missing cells, then the page
    python -m benchmarks.dg_baselines --report-only
    python -m benchmarks.dg_baselines --rows erm randconv --seeds 1
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchmarks._grid import (
    add_grid_options,
    add_row_options,
    chosen_rows,
    protocol_cells,
    run_grid,
)
from benchmarks.results import (
    AVERAGE,
    README,
    RESULTS,
    CellStore,
    accuracies,
    accuracy_chart,
    digits_published,
    environments_of,
    methods_of,
    minutes_table,
    paired_tests,
    panel_label,
    panel_value,
    panels_of,
    records_by_row,
    rows_table,
    tests_table,
    write_figure,
    write_page,
    write_section,
)

CELLS = RESULTS / "dg_baselines"
PAGE = RESULTS / "dg_baselines.md"
FIGURE = RESULTS / "dg_baselines.png"
PROTOCOL, SOURCE, SEEDS = "digits10k", "mnist", (0, 1, 2)
SANITY_POINTS = 5.0
"""Our run of a published method is within this many points of the published figure."""
NEURN3 = {"input_norm": "neurn", "kernel_size": 3, "padding": "reflect"}
ROWS = {
    "ERM": ("erm", {"input_norm": "none"}),
    "NeuRN (k=3)": ("neurn3", NEURN3),
    "NeuRN (k=5)": ("neurn5", {**NEURN3, "kernel_size": 5}),
    "LCN": ("lcn", {"input_norm": "lcn"}),
    "RandConv": ("randconv", {"input_norm": "none", "augment": "randconv"}),
    "NeuRN (k=3) + RandConv": ("neurn3+randconv", {**NEURN3, "augment": "randconv"}),
    "Pro-RandConv": ("prorandconv", {"input_norm": "none", "augment": "prorandconv"}),
    "NeuRN (k=3) + Pro-RandConv": ("neurn3+prorandconv", {**NEURN3, "augment": "prorandconv"}),
    "RandConv after NeuRN (k=3)": (
        "randconv-after-neurn3",
        {**NEURN3, "augment": "randconv", "augment_after_norm": True},
    ),
}
"""Each row: its key (``--rows``) and its ``RunConfig`` changes to the protocol."""
ORDER_ROW = "RandConv after NeuRN (k=3)"
MAIN_PAIRS = (
    *((name, "ERM") for name in ROWS if name not in ("ERM", ORDER_ROW)),
    *((name, name.split(" + ")[1]) for name in ROWS if " + " in name),
)
"""The main family: every row against ERM, each NeuRN + augmentation against the
augmentation alone."""
ORDER_PAIRS = ((ORDER_ROW, "NeuRN (k=3) + RandConv"), (ORDER_ROW, "RandConv"))
"""The other order, in a family of its own (so the main family keeps its power)."""
SANITY_ROWS = ("ERM", "RandConv")
RANDCONV_GAP = (
    "the published RandConv row is Pro-RandConv's re-run of "
    "RandConv on Pro-RandConv's own recipe (SGD with momentum, a cosine schedule, 500 "
    "epochs: about 7× our steps), and RandConv's own digits scripts "
    "(wildphoton/RandConv `exp_mnist10k.sh`) train with its consistency loss (λ = 5 for "
    "RC_img with p = 0.5, λ = 10 for RC_mix, three augmented draws per batch), which our row "
    "leaves out; our layer's defaults also mix the two variants (mixing, and the image kept "
    "with probability 0.5). Which of the three makes the gap is not measured here; "
    "`--consistency 10` and `--protocol prorandconv-digits` run the first two."
)
"""Why our RandConv is below the published figure (read off the two protocols)."""


def configs(names=tuple(ROWS), seeds=SEEDS) -> list:
    return protocol_cells(PROTOCOL, ROWS, names, seeds)


def results_table(results, panels) -> str:
    table = rows_table(results, list(ROWS), panels, SOURCE)
    rows = []
    for name, figures in digits_published().items():
        shown = [f"{figures[p]:.2f}" if p in figures else "–" for p in panels]
        rows.append(f"| {name} (published: Pro-RandConv Table 1) | {' | '.join(shown)} | – |")
    return "\n".join([table, *rows])


def sanity_lines(results) -> str:
    """Our ERM and RandConv beside their published figures (within SANITY_POINTS?)."""
    lines = []
    for name in SANITY_ROWS:
        runs = results.get(name, {})
        figures = digits_published().get(name, {})
        checks = []
        for target in ("mnist_m", "usps"):
            if runs and target in figures:
                ours = 100 * statistics.fmean(a[target] for a in runs.values())
                within = abs(ours - figures[target]) <= SANITY_POINTS
                checks.append(f"{panel_label(target, SOURCE)} {ours:.2f} against "
                              f"{figures[target]:.2f} ({'within' if within else 'NOT within'} "
                              f"{SANITY_POINTS:g} points)")  # fmt: skip
        if checks:
            lines.append(f"- Sanity bar, our {name} beside the published {name}: "
                         + "; ".join(checks) + ".")  # fmt: skip
    if any("NOT within" in line and "RandConv" in line for line in lines):
        lines.append("- Why our RandConv is lower (their protocol against ours): " + RANDCONV_GAP)
    return "\n".join(lines)


def augmentation_verdict(results, tests) -> str:
    """Whether NeuRN adds to the best augmentation (from the main family's tests)."""
    augmentations = [n for n in ("RandConv", "Pro-RandConv") if results.get(n)]
    if not augmentations:
        return ""
    scored = {n: statistics.fmean(panel_value(a, "average", SOURCE) for a in results[n].values())
              for n in augmentations}  # fmt: skip
    best = max(scored, key=scored.get)
    combined = f"NeuRN (k=3) + {best}"
    head = f"- The best augmentation here is {best} (average {100 * scored[best]:.2f}%)."
    test = next((t for t in tests if (t.row, t.baseline, t.panel) ==
                 (combined, best, "average")), None)  # fmt: skip
    if test is None or test.holm is None:
        return f"{head} {combined} is not on enough seeds for a paired test yet."
    if test.paired.mean > 0:
        outcome = "a significant gain" if test.significant else "no significant gain"
        outcome = f"NeuRN adds {outcome} on top of it."
    else:
        lower = "significantly" if test.significant else "not significantly"
        outcome = f"NeuRN adds nothing on top of it; the combination is lower ({lower})."
    return (
        f"{head} {combined} minus {best} on the average: {100 * test.paired.mean:+.2f} "
        f"points over {test.paired.n} seeds (Holm-corrected p = {test.holm:.3f}): {outcome}"
    )


def intro(finished: int) -> str:
    return (
        "The literature's single-source digits protocol (`--protocol digits10k`): DigitNet "
        "as in RandConv's code (inputs in [-1, 1], PyTorch's default initialization; why: "
        "[erm_sanity.md](erm_sanity.md)), the first 10,000 MNIST training images at 32×32 "
        "RGB (9,000 trained on, 1,000 held out for model selection), 10,000 Adam steps of "
        "batch 32 at lr 1e-4, validated every 250 steps, the best validation kept (as "
        "RandConv's `exp_mnist10k.sh`). RandConv: kernel sizes {1, 3, 5, 7}, Kaiming-normal "
        "weights, the image kept with probability 0.5 and otherwise mixed α·conv + (1−α)·x, "
        "no consistency loss; Pro-RandConv: a 3×3 Gaussian-windowed random block with "
        "deformable offsets, standardization, random affine and tanh, repeated 1–10 times "
        "(see [docs/baselines.md](../baselines.md)). Test accuracy in percent, mean ± std "
        f"over seeds {', '.join(map(str, SEEDS))}; the full test sets. The average: {AVERAGE}; "
        f"here M→U and M→MM. {finished} of {len(configs())} runs. Published rows are "
        "Pro-RandConv's Table 1 (our syn_render is our own renderer, not their SYN digits); "
        "Pro-RandConv reports them after a longer schedule (`--protocol "
        "prorandconv-digits`, SGD, 500 epochs), which no run here uses: our rows compare "
        "with each other on equal terms, not with the published ones."
    )


def report() -> None:
    finished = CellStore(CELLS).load()
    records = records_by_row(
        [f.record for f in finished], methods_of(PROTOCOL, ROWS), protocol=PROTOCOL, source=SOURCE,
        protocol_deviations={},
    )  # fmt: skip
    results = accuracies(records)
    panels = panels_of({k: v for k, v in results.items() if v}, SOURCE)
    main_tests = paired_tests(results, MAIN_PAIRS, panels, SOURCE)
    order_tests = paired_tests(results, ORDER_PAIRS, ["average"], SOURCE)
    body = "\n\n".join(
        [
            intro(len(finished)),
            f"![accuracy per row and target]({FIGURE.name})",
            results_table(results, panels),
            sanity_lines(results) + "\n" + augmentation_verdict(results, main_tests),
            "## Paired tests (exploratory)\n\nEvery row against ERM, and every NeuRN + "
            "augmentation against the augmentation alone, per target and on the average; "
            "paired t-tests over seeds, Holm-corrected over every test of this table "
            "(* Holm p < 0.05). Chosen after the runs: exploratory.\n\n"
            + tests_table(main_tests, SOURCE),
            "## The other order\n\nThe rows above put the augmentation on the raw pixels and "
            "NeuRN after it; *RandConv after NeuRN (k=3)* swaps them (`--augment-after-norm`). "
            "Paired tests on the average, Holm-corrected within this table.\n\n"
            + tests_table(order_tests, SOURCE),
            "## Time per run\n\n" + minutes_table(records),
        ]
    )
    write_page(PAGE, "NeuRN against the field", body, environments_of(f.record for f in finished))
    rows_with_neurn = {name: ROWS[name][1]["input_norm"] == "neurn" for name in ROWS}
    if any(results.values()):
        title = "Single-source digits from MNIST, 10,000 steps (bar: mean over seeds)"
        figure = accuracy_chart(results, rows_with_neurn, SOURCE, title, digits_published())
        write_figure(figure, FIGURE)
    write_section(
        README,
        "dg-baselines",
        "**NeuRN against the field** (the literature's digits protocol, 10,000 steps; "
        f"{len(finished)} of {len(configs())} runs; "
        "[docs/results/dg_baselines.md](docs/results/dg_baselines.md); how our ERM came to "
        "meet the published ERM: [docs/results/erm_sanity.md](docs/results/erm_sanity.md)):"
        f"\n\n![accuracy per row and target](docs/results/{FIGURE.name})\n\n"
        + sanity_lines(results)
        + "\n"
        + augmentation_verdict(results, main_tests),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_grid_options(parser, "dg_baselines", CELLS)
    add_row_options(parser, ROWS, tuple(ROWS), SEEDS)
    args = parser.parse_args(argv)
    if not args.report_only:
        run_grid(configs(chosen_rows(ROWS, args.rows), args.seeds), args)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
