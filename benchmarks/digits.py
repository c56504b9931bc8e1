"""Single-source domain generalization on digits: does NeuRN help? -> docs/results/digits.md

Two protocols, both run with ``python -m neurn_keras.sweep`` (resumable: run this script
again after an interruption and only the missing cells are trained), then the page is
generated from the run records alone:

1. ``digits-10k``, the literature's protocol: DigitNet, the first 10,000 MNIST training
   images at 32x32x3; targets the full USPS, MNIST-M and syn_render test sets (and SVHN
   when present); without NeuRN and with NeuRN for k in {3, 5, 7} x both paddings.
2. ``recipe``, the paper's Table 1 rows: DigitNet and MobileNetV2 (weights=None), every
   source present, with and without NeuRN (k=5, reflect).

    python -m benchmarks.digits                   # both protocols, then the page
    python -m benchmarks.digits --report-only     # the page from the runs made so far
    python -m benchmarks.digits --report-only --update-readme   # and README's summary
    python -m benchmarks.digits --quick --page /tmp/digits-quick.md   # a smoke test

The caps below (epochs, training and test images, seeds) keep both protocols to about
three hours on a 2-core CPU; every cap is printed on the page.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._report import (
    ROOT,
    check_readme_section,
    environment_line,
    markdown_table,
    replace_readme_section,
    write_page,
)

PUBLISHED = {  # Pro-RandConv (Choi et al., CVPR 2023), Table 1, digits-10k; accuracies in %
    "source": "Choi et al., Progressive Random Convolutions for Single Domain Generalization, "
    "CVPR 2023, Table 1",
    "rows": {
        "ERM": {"svhn": 32.52, "mnist_m": 54.92, "usps": 78.21},
        "RandConv": {"svhn": 61.66, "mnist_m": 84.53, "usps": 85.31},
        "Pro-RandConv": {"svhn": 69.67, "mnist_m": 82.30, "usps": 93.67},
    },
}
DIGIT_SOURCES = ("mnist", "usps", "svhn", "mnist_m")


@dataclass
class Protocol:
    """One grid of the page: a sweep's arguments and what the page says about it."""

    name: str
    title: str
    backbones: list[str]
    sources: list[str]
    seeds: list[int]
    kernel_sizes: list[int]
    paddings: list[str]
    epochs: int
    train_limit: int | None
    test_limit: int | None
    caps: list[str] = field(default_factory=list)
    batch_size: int = 256

    def sweep_argv(self, source: str, targets: list[str], runs_dir: Path) -> list[str]:
        def limit(value):
            return "all" if value is None else str(value)

        return [
            "--backbones", *self.backbones, "--sources", source, "--neurn", "both",
            "--kernel-sizes", *map(str, self.kernel_sizes), "--paddings", *self.paddings,
            "--seeds", *map(str, self.seeds), "--targets", *targets,
            "--epochs", str(self.epochs), "--train-limit", limit(self.train_limit),
            "--test-limit", limit(self.test_limit), "--batch-size", str(self.batch_size),
            "--output", str(runs_dir),
        ]  # fmt: skip


def present(name: str) -> bool:
    from neurn_keras import datasets

    try:
        datasets.source_files(name, "test")
        datasets.source_files(name, "train")
    except FileNotFoundError:
        return False
    return True


def targets_for(source: str, sources_present: list[str]) -> list[str]:
    """Every other digit domain with data, then syn_render (explicit, so cells are shared)."""
    return [name for name in DIGIT_SOURCES if name != source and name in sources_present] + [
        "syn_render"
    ]


def protocols(quick: bool, sources_present: list[str]) -> list[Protocol]:
    if quick:
        tiny = dict(seeds=[0, 1], epochs=1, train_limit=300, test_limit=100)
        return [
            Protocol("digits-10k", "digits-10k (quick)", ["digitnet"], ["mnist"],
                     kernel_sizes=[3, 5], paddings=["reflect"], **tiny),
            Protocol("recipe", "recipe (quick)", ["digitnet"], ["mnist", "usps"],
                     kernel_sizes=[5], paddings=["reflect"], **tiny),
        ]  # fmt: skip
    digits_10k = Protocol(
        "digits-10k", "Protocol digits-10k (DigitNet, first 10,000 MNIST images)",
        ["digitnet"], ["mnist"], seeds=[0, 1, 2], kernel_sizes=[3, 5, 7],
        paddings=["reflect", "zeros"], epochs=8, train_limit=10000, test_limit=None,
        caps=[
            "at most 8 epochs per run (the paper trains until early stopping with patience 5, "
            "which 8 epochs rarely reach); the best validation epoch is kept",
            "10% of the 10,000 training images are held out (stratified) for early "
            "stopping, so 9,000 are trained on",
            "syn_render is our renderer's full test split: 9,000 images, not 10,000",
        ],
    )  # fmt: skip
    recipe = Protocol(
        "recipe", "Protocol recipe (the paper's Table 1 rows: DigitNet and MobileNetV2)",
        ["digitnet", "mobilenetv2"], list(sources_present),
        seeds=[0, 1], kernel_sizes=[5], paddings=["reflect"], epochs=8, train_limit=10000,
        test_limit=None,
        caps=[
            "2 seeds instead of 3, at most 8 epochs per run, and at most the first 10,000 "
            "training images of each source (MNIST has 60,000; USPS has 7,291 and MNIST-M "
            "10,000 here, so only MNIST is cut), to fit about three hours of a 2-core CPU",
            "MobileNetV2 without ImageNet weights (weights=None), as the paper's digits runs",
            "NeuRN with k=5 and reflect padding (the package default)",
        ],
    )  # fmt: skip
    small_batches = Protocol(
        "mobilenetv2-batch32",
        "MobileNetV2 with batches of 32 (a deviation from the recipe, as a diagnosis)",
        ["mobilenetv2"], ["mnist"], seeds=[0, 1], kernel_sizes=[5], paddings=["reflect"],
        epochs=8, train_limit=10000, test_limit=None, batch_size=32,
        caps=[
            "batches of 32 instead of 256, so 8 times as many optimizer steps per epoch "
            "(282 instead of 36): a test of whether MobileNetV2's chance-level accuracy under "
            "the capped recipe comes from too few steps for the moving statistics of "
            "BatchNormalization (momentum 0.999) to follow the weights; see the "
            "BatchNormalization check below",
            "MNIST source only, 2 seeds, at most 8 epochs, the first 10,000 training images",
        ],
    )  # fmt: skip
    return [digits_10k, recipe, small_batches]


def run_protocol(protocol: Protocol, runs_dir: Path, sources_present: list[str]) -> None:
    from neurn_keras.sweep import main as sweep

    for source in protocol.sources:
        argv = protocol.sweep_argv(source, targets_for(source, sources_present), runs_dir)
        print(f"[{protocol.name}] python -m neurn_keras.sweep {' '.join(argv)}", flush=True)
        code = sweep(argv)
        if code != 0:
            print(f"[{protocol.name}] sweep exit {code}; the page shows the cells that finished")


def expected_cells(protocol: Protocol, runs_dir: Path, sources_present: list[str]) -> set[str]:
    from neurn_keras.sweep import base_config, build_parser
    from neurn_keras.training.grid import expand_grid

    names = set()
    for source in protocol.sources:
        argv = protocol.sweep_argv(source, targets_for(source, sources_present), runs_dir)
        args = build_parser().parse_args(argv)
        cells = expand_grid(base_config(args), args.backbones, args.sources, args.seeds,
                            args.neurn, args.kernel_sizes, args.paddings)  # fmt: skip
        names |= {cell.cell_name() for cell in cells}
    return names


# --------------------------------------------------------------------------------- the page


def published_table(table) -> str:
    """The published digits-10k figures beside our rows, for the transfers they report."""
    from neurn_keras.training.tables import summarize

    targets = ("svhn", "mnist_m", "usps")
    header = ["method", "M→S", "M→MM", "M→U", "source of the numbers"]
    rows = [
        [name, *(f"{values[t]:.2f}" for t in targets), "published (not rerun here)"]
        for name, values in PUBLISHED["rows"].items()
    ]
    for row in table.rows:
        cells = []
        for target in targets:
            summary = summarize(row.cells.get(("mnist", target), {}).values())
            if summary is None:
                cells.append("no data" if target == "svhn" else "–")
            else:
                cells.append(f"{100 * summary.mean:.2f} ± {100 * (summary.std or 0):.2f}")
        rows.append([row.label, *cells, "this page (mean ± std over seeds)"])
    return markdown_table(header, rows)


def effect_summary(comparisons) -> str:
    """Sentences generated from the paired comparisons, one block per backbone."""
    if not comparisons:
        return "No NeuRN run has a baseline run with the same seed yet."
    by_backbone: dict[str, list] = {}
    for comparison in comparisons:
        by_backbone.setdefault(comparison.baseline_label, []).append(comparison)
    return "\n".join(_backbone_summary(name, group) for name, group in by_backbone.items())


def holm_rejections(p_values, alpha: float = 0.05) -> int:
    """How many tests Holm's step-down procedure rejects (missing p-values count as 1)."""
    ordered = sorted(1.0 if p is None else p for p in p_values)
    rejected = 0
    for rank, p in enumerate(ordered):
        if p > alpha / (len(ordered) - rank):
            break
        rejected += 1
    return rejected


def _backbone_summary(name: str, comparisons) -> str:
    from neurn_keras.training.tables import transfer_label

    better = [c for c in comparisons if c.mean_difference > 0]
    worse = [c for c in comparisons if c.mean_difference < 0]
    all_diffs = [d for c in comparisons for d in c.differences]
    significant = [c for c in comparisons if c.p_value is not None and c.p_value < 0.05]
    best = max(comparisons, key=lambda c: c.mean_difference)
    worst = min(comparisons, key=lambda c: c.mean_difference)
    lines = [
        f"- {name}: over {len(comparisons)} (NeuRN setting, transfer) pairs, NeuRN's mean "
        f"accuracy is higher in {len(better)} and lower in {len(worse)}; over all "
        f"{len(all_diffs)} seed-paired runs the difference is positive in "
        f"{sum(d > 0 for d in all_diffs)}, and its mean is "
        f"{100 * statistics.fmean(all_diffs):+.2f} percentage points. Highest mean "
        f"difference: {best.label} on {transfer_label(best.transfer)} "
        f"({100 * best.mean_difference:+.2f} pp); lowest: {worst.label} on "
        f"{transfer_label(worst.transfer)} ({100 * worst.mean_difference:+.2f} pp).",
    ]
    if significant:
        names = ", ".join(
            f"{c.label} {transfer_label(c.transfer)} ({100 * c.mean_difference:+.2f} pp, "
            f"p={c.p_value:.3f})"
            for c in significant
        )
        lines.append(
            f"  Paired t-tests with p < 0.05 (uncorrected for the {len(comparisons)} tests): "
            f"{names}. After Holm's correction for the {len(comparisons)} tests, "
            f"{holm_rejections([c.p_value for c in comparisons])} remain below 0.05."
        )
    else:
        lines.append("  No paired t-test reaches p < 0.05 (uncorrected).")
    return "\n".join(lines)


def last_train_accuracy(record: dict) -> float:
    """The training accuracy of the run's last epoch, from its history.csv."""
    with open(Path(record["path"]) / "history.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return float(rows[-1]["accuracy"])


def run_details(records) -> str:
    from neurn_keras.training.tables import backbone_label

    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(backbone_label(record["backbone"]), []).append(record)
    rows = []
    for name, members in groups.items():
        epochs = [r["epochs_run"] for r in members]
        best = [r.get("best_epoch") or 0 for r in members]
        speed = [r["train_images_per_second"] for r in members if r["train_images_per_second"]]
        wall = [r["wall_seconds"] for r in members]
        train_accuracy = [last_train_accuracy(r) for r in members]
        val_accuracy = [r.get("best_val_accuracy") or 0.0 for r in members]
        rows.append([
            name, len(members), f"{min(epochs)}–{max(epochs)}", f"{statistics.fmean(best):.1f}",
            sum(bool(r.get("stopped_early")) for r in members),
            f"{100 * statistics.fmean(train_accuracy):.1f}",
            f"{100 * statistics.fmean(val_accuracy):.1f}",
            f"{statistics.median(speed):.0f}" if speed else "–",
            f"{statistics.fmean(wall) / 60:.1f}", f"{sum(wall) / 3600:.2f}",
        ])  # fmt: skip
    header = ["backbone", "runs", "epochs run", "mean best epoch", "stopped early",
              "last-epoch training accuracy %", "best validation accuracy %",
              "train images/s (median)", "minutes per run", "hours in all"]  # fmt: skip
    return markdown_table(header, rows)


def protocol_section(protocol: Protocol, records: list[dict], expected: int) -> str:
    from neurn_keras.training.tables import (
        build_table,
        paired_comparisons,
        render_paired,
        render_table,
    )

    parts = [f"## {protocol.title}\n"]
    first = records[0] if records else None
    settings = [
        f"- backbones: {', '.join(protocol.backbones)}; sources: {', '.join(protocol.sources)}; "
        f"seeds: {', '.join(map(str, protocol.seeds))}",
        f"- NeuRN: none, and k ∈ {{{', '.join(map(str, protocol.kernel_sizes))}}} × padding "
        f"∈ {{{', '.join(protocol.paddings)}}}",
        f"- recipe: Adam(lr 0.001), batch {protocol.batch_size}, EarlyStopping(val_accuracy, "
        "patience 5, best "
        "weights restored), input 32×32×3 (gray domains repeated to 3 channels, USPS resized "
        "up), raw 0..255 pixels into the model",
        f"- training images: first {protocol.train_limit or 'all'} of the source's training "
        f"split; test images: {'all' if protocol.test_limit is None else protocol.test_limit} "
        "of each domain's test split",
        *(f"- cap: {cap}" for cap in protocol.caps),
        f"- runs finished: {len(records)} of {expected}",
    ]
    if first and first.get("skipped"):
        settings.append(f"- not available here, so not tested: {', '.join(first['skipped'])}")
    parts.append("\n".join(settings) + "\n")
    if not records:
        parts.append("No finished runs yet.\n")
        return "\n".join(parts)
    # the recipe protocol keeps all twelve columns of the paper's Table 1
    table = build_table(records, drop_empty=protocol.name != "recipe")
    parts.append("### Target accuracy\n")
    parts.append(render_table(table, "md"))
    if protocol.name == "digits-10k":
        parts.append("### Beside the published figures\n")
        parts.append(
            "The published rows are copied from "
            f"{PUBLISHED['source']} (SVHN / MNIST-M / USPS): trained on all 10,000 images "
            "with their own schedule and augmentation, so the comparison is indicative, not "
            "a rerun. Our SVHN column is empty because SVHN is not available here.\n"
        )
        parts.append(published_table(table) + "\n")
    comparisons = paired_comparisons(table)
    parts.append("### NeuRN minus baseline, paired by seed\n")
    parts.append(
        "Runs with the same seed share the validation split, the batch order and the initial "
        "weights (NeuRN has none), so the per-seed differences are paired; p is a two-sided "
        "paired t-test over seeds (with 2–3 seeds it can only flag large, consistent "
        "effects).\n"
    )
    parts.append(effect_summary(comparisons) + "\n")
    parts.append(render_paired(comparisons))
    parts.append("### Runs\n")
    parts.append(run_details(records) + "\n")
    with_batch_norm = [r for r in records if r["backbone"] != "digitnet"]
    if with_batch_norm:
        parts.append("### BatchNormalization check\n")
        parts.append(
            "Source test accuracy of each saved model on the first "
            f"{BN_CHECK_IMAGES:,} test images of its source, with BatchNormalization using its "
            "moving statistics (inference, as every accuracy above) and using each batch's own "
            f"statistics (batches of {BN_CHECK_BATCH}). A large gap means the moving "
            "statistics had not caught up with the trained weights when training stopped "
            "(`keras.applications.MobileNetV2` uses momentum 0.999): the network learned, but "
            "its inference mode does not show it.\n"
        )
        parts.append(batch_norm_table(with_batch_norm) + "\n")
    return "\n".join(parts)


BN_CHECK_IMAGES = 2000
BN_CHECK_BATCH = 256


def batch_norm_accuracies(record: dict) -> dict[str, float]:
    """``{"moving": ..., "batch": ...}`` source accuracies (cached in the run directory)."""
    import keras
    import numpy as np

    from neurn_keras import datasets
    from neurn_keras.files import atomic_write_json, read_json

    run = Path(record["path"])
    cache = run / "batch_norm_check.json"
    if cache.exists():
        return read_json(cache)
    model = keras.models.load_model(run / "model.keras")
    x, y = datasets.load_domain(record["source"], "test", limit=BN_CHECK_IMAGES)
    x = datasets.prepare(x, tuple(record["input_shape"])).astype("float32")
    moving = model.predict(x, batch_size=BN_CHECK_BATCH, verbose=0).argmax(-1)
    batch = np.concatenate([
        keras.ops.convert_to_numpy(model(x[i : i + BN_CHECK_BATCH], training=True)).argmax(-1)
        for i in range(0, len(x), BN_CHECK_BATCH)
    ])  # fmt: skip
    result = {"moving": float(np.mean(moving == y)), "batch": float(np.mean(batch == y))}
    atomic_write_json(cache, result)
    return result


def batch_norm_table(records: list[dict]) -> str:
    from neurn_keras.training.tables import backbone_label

    rows = []
    for record in sorted(
        records, key=lambda r: (r["backbone"], r["neurn"], r["source"], r["seed"])
    ):
        accuracy = batch_norm_accuracies(record)
        name = backbone_label(record["backbone"]) + ("+NeuRN" if record["neurn"] else "")
        rows.append([
            name, record["source"], record["seed"], record.get("best_epoch") or "–",
            f"{100 * accuracy['moving']:.1f}", f"{100 * accuracy['batch']:.1f}",
        ])  # fmt: skip
    header = ["model", "source", "seed", "best epoch", "moving statistics %", "batch statistics %"]
    return markdown_table(header, rows)


def readme_summary(records: list[dict], protocol: Protocol, expected: int) -> str:
    """README's short version: the digits-10k table and its paired-difference summary."""
    from neurn_keras.training.tables import build_table, paired_comparisons, render_table

    if not records:
        return "No digits runs have been made yet: run `python -m benchmarks.digits`.\n"
    table = build_table(records, drop_empty=True)
    return (
        f"**Does NeuRN help on digits?** {protocol.title}: {len(records)} of {expected} runs, "
        f"Adam(lr 0.001), batch {protocol.batch_size}, at most {protocol.epochs} epochs "
        "(a CPU cap: early stopping did not trigger), seeds "
        f"{', '.join(map(str, protocol.seeds))}; SVHN is not available here. Target test "
        "accuracy in %, mean ± std over seeds, from `python -m benchmarks.digits` "
        "(every protocol, the paired tests and the per-run details: "
        "[docs/results/digits.md](docs/results/digits.md)):\n\n"
        + render_table(table, "md")
        + "\n"
        + effect_summary(paired_comparisons(table))
        + "\n"
    )


def mobilenet_sentence(records: list[dict]) -> str:
    """README's line on the recipe protocol's MobileNetV2 runs, from their records."""
    runs = [r for r in records if r["backbone"] == "mobilenetv2"]
    if not runs:
        return ""
    source = statistics.fmean(r["accuracy"][r["source"]] for r in runs)
    checks = [batch_norm_accuracies(r) for r in runs]
    batch = statistics.fmean(c["batch"] for c in checks)
    return (
        f"\nMobileNetV2 (`weights=None`) under the same caps is at chance in inference: over "
        f"its {len(runs)} recipe runs ({len({r['source'] for r in runs})} sources, with and "
        f"without NeuRN) the mean accuracy on the source's own test set is {100 * source:.1f}%. "
        "Its BatchNormalization moving statistics account for most of it: with each batch's own "
        f"statistics the same models reach {100 * batch:.1f}% on average. The Table 1 rows "
        "of MobileNetV2 need the paper's uncapped training (a GPU); see the page.\n"
    )


def write_report(
    page: Path,
    runs_dir: Path,
    plan: list[Protocol],
    sources_present,
    seconds,
    update_readme: bool = False,
):
    from neurn_keras.training.results import collect_results

    records, problems = collect_results(runs_dir)
    by_cell = {Path(r["path"]).name: r for r in records}
    sections, total, readme_parts = [], 0.0, []
    for protocol in plan:
        names = expected_cells(protocol, runs_dir, sources_present)
        mine = [by_cell[name] for name in sorted(names) if name in by_cell]
        total += sum(r["wall_seconds"] for r in mine)
        sections.append(protocol_section(protocol, mine, len(names)))
        if protocol.name == "digits-10k":
            readme_parts.insert(0, readme_summary(mine, protocol, len(names)))
        elif protocol.name == "recipe":
            readme_parts.append(mobilenet_sentence(mine))
    missing = [s for s in DIGIT_SOURCES if s not in sources_present]
    intro = [
        "Single-source domain generalization on digits: train on one domain, test on the "
        "others, with and without NeuRN in front of the backbone. Every number below comes "
        "from the run records (`results.json`) under "
        f"`{runs_dir.relative_to(ROOT) if runs_dir.is_relative_to(ROOT) else runs_dir}`; "
        "rerun the command above to reproduce or extend them (finished cells are skipped).",
        "",
        "Accuracies are in percent. M = MNIST, U = USPS, S = SVHN, MM = MNIST-M; "
        "`syn_render (ours)` is this package's rendered printed-digits domain "
        "(`neurn_keras.datasets.render_digits`), not SYN digits and not SVHN.",
        "",
        f"Data sets missing here: {', '.join(missing) or 'none'} (their columns and rows are "
        "left out).",
        "",
        f"Training time in these records: {total / 3600:.2f} hours of wall-clock time on the "
        f"machine below (shared with other work, so timings are noisy).",
    ]
    if problems:
        intro.append(f"\nInvalid run records left out: {len(problems)}.")
    if update_readme:
        replace_readme_section("digits-results", "\n".join(readme_parts))
        print("updated README.md (digits-results section)")
    body = "\n".join(intro) + "\n\n" + "\n".join(sections)
    write_page(page, "Digits: single-source domain generalization with and without NeuRN", body)
    print(f"wrote {page} ({len(records)} runs; this invocation took {seconds / 60:.1f} min)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--protocols",
        nargs="+",
        choices=("digits-10k", "recipe", "mobilenetv2-batch32"),
        default=["digits-10k", "recipe", "mobilenetv2-batch32"],
        help="which grids to run",
    )
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "benchmarks" / "digits")
    parser.add_argument("--page", type=Path, default=ROOT / "docs" / "results" / "digits.md")
    parser.add_argument("--report-only", action="store_true", help="only regenerate the page")
    parser.add_argument(
        "--update-readme", action="store_true", help="also README's digits-results section"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny settings (a smoke test); pass --page and --runs-dir elsewhere",
    )
    args = parser.parse_args(argv)  # fmt: skip
    if args.quick and args.page == parser.get_default("page"):
        parser.error("--quick would overwrite docs/results/digits.md; pass --page")
    if args.quick and args.update_readme:
        parser.error("--quick results do not belong in README.md; drop --update-readme")
    if args.update_readme:
        check_readme_section("digits-results")
    if args.quick and args.runs_dir == parser.get_default("runs_dir"):
        args.runs_dir = ROOT / "runs" / "benchmarks" / "digits-quick"
    start = time.perf_counter()
    sources_present = [name for name in DIGIT_SOURCES if present(name)]
    if "mnist" not in sources_present:
        parser.error(
            "MNIST not found: set NEURN_DATA_DIR to the data directory (see data/README.md)"
        )
    plan = [p for p in protocols(args.quick, sources_present) if p.name in args.protocols]
    if not args.report_only:
        for protocol in plan:
            run_protocol(protocol, args.runs_dir, sources_present)
    print(f"environment: {environment_line()}")
    seconds = time.perf_counter() - start
    write_report(args.page, args.runs_dir, plan, sources_present, seconds, args.update_readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
