"""Committed records hold no path of the machine that made them (benchmarks.portable_records)."""

from __future__ import annotations

import json

from benchmarks import portable_records
from benchmarks.portable_records import RESULTS, machine_paths, portable_record


def test_old_records_are_keyed_inside_their_data_directory():
    old = {
        "data_dir": None,
        "data_files": {
            "/srv/lab/shared/data/mnist.npz": "a" * 64,
            "/srv/lab/shared/data/mnist_m/train (59001 files)": "combined:" + "b" * 64,
        },
        "train_argv": ["--init-from", "/srv/lab/runs/start/model.keras", "--seed", "0"],
        "accuracy": {"mnist": 0.9735000133514404},
    }
    new = portable_record(old)
    assert new["data_files"] == {
        "mnist.npz": "a" * 64,
        "mnist_m/train (59001 files)": "combined:" + "b" * 64,
    }
    assert new["data_dir"] == ".../shared/data"
    assert new["train_argv"] == ["--init-from", ".../start/model.keras", "--seed", "0"]
    assert new["accuracy"] == old["accuracy"]  # numbers are not touched
    assert portable_record(new) == new  # a portable record stays as it is


def test_no_committed_record_holds_a_machine_path():
    files = sorted(RESULTS.rglob("*.json"))
    assert files, "no committed records found"
    left = {str(path): machine_paths(path) for path in files}
    assert {path: paths for path, paths in left.items() if paths} == {}


def test_the_check_reports_a_machine_path(tmp_path, monkeypatch, capsys):
    record = {"data_files": {"/srv/x/data/usps.npz": "c" * 64}}
    (tmp_path / "cell.json").write_text(json.dumps({"record": record}))
    monkeypatch.setattr(portable_records, "RESULTS", tmp_path)
    monkeypatch.setattr(portable_records, "ROOT", tmp_path)
    assert portable_records.main(["--check"]) == 1
    assert "/srv/x/data/usps.npz" in capsys.readouterr().out
    assert portable_records.main([]) == 0
    assert portable_records.main(["--check"]) == 0
