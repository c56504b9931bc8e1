"""python -m neurn_keras.table: Table 1 from results.json files written here."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from scipy import stats

from neurn_keras.cli.table import main
from neurn_keras.training.record import collect_records as collect_results
from neurn_keras.training.tables import (
    PAPER_TRANSFERS,
    build_table,
    paired_comparisons,
    render_paired,
    render_table,
    transfer_label,
)

PAPER_HEADER = "M→U M→S M→MM U→M U→S U→MM S→M S→U S→MM MM→M MM→U MM→S".split()


def write_record(root, name, backbone, neurn, source, seed, accuracy, method=None, **config):
    """A results.json in the real format (as python -m neurn_keras.train writes it)."""
    method = {"input_norm": "neurn" if neurn else "none", "augment": "none",
              "consistency": 0.0, **(method or {})}  # fmt: skip
    neurn = method["input_norm"] == "neurn"
    record = {
        "schema_version": 2,
        "backbone": backbone,
        "neurn": neurn,
        "neurn_config": {"kernel_size": 5, "padding": "reflect", "method": "moments"}
        if neurn
        else None,
        **method,
        "source": source,
        "targets": [t for t in accuracy if t != source],
        "input_shape": [32, 32, 3],
        "seed": seed,
        "accuracy": {source: 0.99, **accuracy},
        "test_images": {},
        "train_images": 90,
        "val_images": 10,
        "epochs_run": 3,
        "steps_run": 30,
        "max_epochs": 5,
        "best_epoch": 3,
        "best_val_accuracy": 0.9,
        "stopped_early": False,
        "precise_bn": {},
        "train_images_per_second": 100.0,
        "wall_seconds": 12.5,
        "distributed_replicas": 1,
        "train_argv": [],
        "platform": "x",
        "versions": {"keras": "3"},
        "data_files": {},
        "config": {"epochs": 5, "train_limit": 10000, **config},
    }
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps(record))


@pytest.fixture
def runs(tmp_path):
    """DigitNet with and without NeuRN, three seeds, MNIST and USPS sources."""
    for seed, (plain, ours) in enumerate([(0.50, 0.60), (0.60, 0.65), (0.70, 0.85)]):
        write_record(
            tmp_path,
            f"p{seed}",
            "digitnet",
            False,
            "mnist",
            seed,
            {"usps": plain, "mnist_m": 0.30, "syn_render": 0.20},
        )
        write_record(
            tmp_path,
            f"n{seed}",
            "digitnet",
            True,
            "mnist",
            seed,
            {"usps": ours, "mnist_m": 0.25, "syn_render": 0.20},
        )
    write_record(tmp_path, "pu", "digitnet", False, "usps", 0, {"mnist": 0.40})
    return tmp_path  # fmt: skip


def test_layout_values_and_bold(runs):
    records, problems = collect_results(runs)
    assert problems == [] and len(records) == 7
    table = build_table(records, all_columns=True, source_columns=False)
    assert [transfer_label(c) for c in table.columns[:12]] == PAPER_HEADER
    assert table.columns[:12] == list(PAPER_TRANSFERS)
    assert [transfer_label(c) for c in table.columns[12:]] == ["M→syn_render (ours)"]
    assert [row.label for row in table.rows] == ["DigitNet", "DigitNet+NeuRN"]
    lines = render_table(table, "md").splitlines()
    assert lines[0] == "| model | " + " | ".join(PAPER_HEADER) + " | M→syn_render (ours) |"
    plain, ours = (line.split(" | ") for line in lines[2:4])
    # M→U: plain 50/60/70 -> 60.00 ± 10.00; NeuRN 60/65/85 -> 70.00 ± 13.23, better: bold
    assert plain[1] == "60.00 ± 10.00" and ours[1] == "**70.00 ± 13.23**"
    assert plain[3] == "**30.00 ± 0.00**" and ours[3] == "25.00 ± 0.00"  # M→MM: plain better
    assert plain[2] == "–" and ours[2] == "–"  # M→S: no SVHN runs
    assert plain[4] == "40.00 (n=1)" and ours[4] == "–"  # U→M: one seed, no pair: not bold
    assert plain[-1] == "**20.00 ± 0.00** |" and ours[-1] == "**20.00 ± 0.00** |"  # a tie
    assert "(n = 3 unless marked)" in lines[-1]


def test_csv_and_latex(runs):
    table = build_table(collect_results(runs)[0], source_columns=False)
    assert [transfer_label(c) for c in table.columns] == [
        "M→U",
        "M→MM",
        "U→M",
        "M→syn_render (ours)",
    ]
    rows = list(csv.DictReader(io.StringIO(render_table(table, "csv"))))
    assert rows[1]["model"] == "DigitNet+NeuRN" and rows[1]["kernel_size"] == "5"
    assert float(rows[1]["M→U mean"]) == pytest.approx(70.0)
    assert float(rows[1]["M→U std"]) == pytest.approx(13.2288, abs=1e-3)
    assert rows[1]["M→U n"] == "3" and rows[1]["U→M n"] == "0"
    latex = render_table(table, "latex")
    assert latex.startswith("\\begin{tabular}{lcccc}\n\\toprule\n")
    assert "M$\\to$syn\\_render (ours)" in latex and "\\textbf{70.00 $\\pm$ 13.23}" in latex
    assert latex.count("\\\\\n") == 3  # header and two rows


def test_runs_with_other_settings_are_not_averaged(runs):
    write_record(runs, "long", "digitnet", False, "mnist", 0, {"usps": 0.9}, epochs=50)
    table = build_table(collect_results(runs)[0], source_columns=False)
    labels = [row.label for row in table.rows]
    assert labels == ["DigitNet [epochs=5]", "DigitNet+NeuRN [epochs=5]", "DigitNet [epochs=50]"]
    assert table.rows[2].cells[("mnist", "usps")] == {0: 0.9}


def test_paired_comparison_per_transfer(runs):
    comparisons = {c.transfer: c for c in paired_comparisons(build_table(collect_results(runs)[0]))}
    usps = comparisons[("mnist", "usps")]
    assert usps.seeds == (0, 1, 2)
    assert usps.differences == pytest.approx((0.10, 0.05, 0.15))
    expected = stats.ttest_rel([0.60, 0.65, 0.85], [0.50, 0.60, 0.70]).pvalue
    assert usps.p_value == pytest.approx(expected)
    assert comparisons[("mnist", "syn_render")].p_value is None  # no spread
    assert ("usps", "mnist") not in comparisons  # no NeuRN run to pair with
    text = render_paired(list(comparisons.values()))
    assert "| DigitNet+NeuRN | M→U | 60.00 | 70.00 | +10.00, +5.00, +15.00 | +10.00 |" in text


def test_holm_adjusted_p_values():
    from neurn_keras.training.tables import holm_adjusted

    # sorted 0.01, 0.02, 0.04 over three tests: 0.03, 0.04, 0.04 (monotone), None kept
    assert holm_adjusted([0.04, None, 0.01, 0.02]) == pytest.approx([0.04, None, 0.03, 0.04])
    assert holm_adjusted([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_default_columns_are_the_sources_and_the_transfers_with_runs(runs):
    table = build_table(collect_results(runs)[0])
    assert [transfer_label(c) for c in table.columns] == [
        "M (source)", "M→U", "M→MM", "U (source)", "U→M", "M→syn_render (ours)",
    ]  # fmt: skip
    lines = render_table(table, "md").splitlines()
    assert lines[2].split(" | ")[1] == "**99.00 ± 0.00**"  # the source's own test accuracy
    ours = [cell.strip(" |") for cell in lines[3].split(" | ")]
    assert [i for i, cell in enumerate(ours) if cell == "–"] == [4, 5]  # no USPS-source run


def test_method_rows_and_neurn_against_the_same_augmentation(tmp_path):
    randconv = {"augment": "randconv", "consistency": 10.0}
    for seed in range(3):
        write_record(tmp_path, f"rc{seed}", "digitnet", False, "mnist", seed,
                     {"usps": 0.80 + seed / 100}, method=randconv)  # fmt: skip
        write_record(tmp_path, f"rcn{seed}", "digitnet", True, "mnist", seed,
                     {"usps": 0.70 + seed / 50}, method=randconv)  # fmt: skip
        write_record(tmp_path, f"lcn{seed}", "digitnet", False, "mnist", seed,
                     {"usps": 0.6}, method={"input_norm": "lcn"})  # fmt: skip
        write_record(tmp_path, f"p{seed}", "digitnet", False, "mnist", seed, {"usps": 0.5})
        write_record(tmp_path, f"nrc{seed}", "digitnet", True, "mnist", seed,
                     {"usps": 0.75}, method={**randconv, "augment_after_norm": True})  # fmt: skip
    table = build_table(collect_results(tmp_path)[0])
    assert [row.label for row in table.rows] == [
        "DigitNet", "DigitNet+LCN", "DigitNet+RandConv (λ=10)",
        "DigitNet+RandConv (λ=10)+NeuRN", "DigitNet+NeuRN+RandConv (λ=10)",
    ]  # fmt: skip
    pairs = [c for c in paired_comparisons(table) if c.transfer == ("mnist", "usps")]
    assert {p.baseline_label for p in pairs} == {"DigitNet+RandConv (λ=10)"}  # not plain
    by_label = {p.label: p for p in pairs}
    before = by_label["DigitNet+RandConv (λ=10)+NeuRN"]
    after = by_label["DigitNet+NeuRN+RandConv (λ=10)"]
    assert before.differences == pytest.approx((-0.10, -0.09, -0.08))
    assert after.differences == pytest.approx((-0.05, -0.06, -0.07))


def test_cli_formats_and_output_file(runs, tmp_path, capsys):
    assert main([str(runs)]) == 0
    assert capsys.readouterr().out.startswith("| model | M (source) | M→U |")
    assert main([str(runs), "--all-columns"]) == 0
    assert "| U→S |" in capsys.readouterr().out
    target = tmp_path / "out" / "table.tex"
    assert main([str(runs), "--format", "latex", "--output", str(target)]) == 0
    assert target.read_text().startswith("\\begin{tabular}")


def test_cli_reports_invalid_records_and_keeps_the_rest(runs, capsys):
    (runs / "broken").mkdir()
    (runs / "broken" / "results.json").write_text('{"backbone": ')
    assert main([str(runs), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("warning: skipped") == 1 and "broken/results.json" in captured.err
    assert len(captured.out.splitlines()) == 3


@pytest.mark.parametrize("kind", ["missing", "empty", "bad-format"])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, kind):
    argv = {
        "missing": [str(tmp_path / "nope")],
        "empty": [str(tmp_path)],
        "bad-format": [str(tmp_path), "--format", "xlsx"],
    }[kind]
    try:
        code = main(argv)
    except SystemExit as exit:
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("python -m neurn_keras.table: error:")


def test_table_reads_runs_without_importing_keras(tmp_path):
    write_record(tmp_path, "a", "digitnet", True, "mnist", 0, {"usps": 0.5})
    write_record(tmp_path, "b", "digitnet", False, "mnist", 0, {"usps": 0.4})
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "neurn_keras.table", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "M→U" in result.stdout and "50.0" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert not {"keras", "tensorflow", "jax", "torch"} & imported
