"""The resumability pieces: history repair, atomic checkpoints, early-stopping state."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from neurn_keras.training.backup import EpochBackup, read_backup, restore
from neurn_keras.training.callbacks import (
    AtomicModelCheckpoint,
    ResumableEarlyStopping,
    clean_history,
)
from neurn_keras.training.record import ResultsError, RunRecord, collect_records
from neurn_keras.training.state import TrainingState

HEADER = "epoch,accuracy,loss,val_accuracy,val_loss\n"


def rows(*epochs, value="0.5"):
    return "".join(f"{e},{value},1.0,{value},1.0\n" for e in epochs)


@pytest.mark.parametrize(
    ("text", "after", "kept_epochs"),
    [
        (HEADER + rows(1, 2, 3), None, [1, 2, 3]),
        (HEADER + rows(1, 2) + "3,0.5,1.", None, [1, 2]),  # killed mid-line
        (HEADER + rows(1, 2, 3), 2, [1, 2]),  # epoch 3 will run again
        (HEADER + rows(1, 2) + rows(2, value="0.9") + rows(3), None, [1, 2, 3]),
        (HEADER + rows(1) + "garbage\n" + rows(2), None, [1, 2]),
        ("epoch,acc", None, []),  # killed while writing the header
    ],
)
def test_clean_history_repairs_interrupted_logs(tmp_path, text, after, kept_epochs):
    path = tmp_path / "history.csv"
    path.write_text(text)
    assert clean_history(path, after_epoch=after) == len(kept_epochs)
    lines = path.read_text().splitlines()
    assert [int(line.split(",")[0]) for line in lines[1:]] == kept_epochs
    if "0.9" in text:  # an epoch logged twice keeps its last row
        assert lines[2] == "2,0.9,1.0,0.9,1.0"


def test_clean_history_without_file_is_a_no_op(tmp_path):
    assert clean_history(tmp_path / "missing.csv") == 0
    assert not (tmp_path / "missing.csv").exists()


@pytest.mark.parametrize(
    "content", ['{"epoch": 3', '{"epoch": 3, "weights": "w.weights.h5"}', "[]", None]
)
def test_an_incomplete_commit_is_no_backup(tmp_path, content):
    if content is not None:
        (tmp_path / "commit.json").write_text(content)
    assert read_backup(tmp_path) is None


def small_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_atomic_checkpoint_renames_over_the_best_file(tmp_path):
    model = small_model()
    best = tmp_path / "best.keras"
    checkpoint = AtomicModelCheckpoint(
        best, monitor="val_accuracy", mode="max", save_best_only=True
    )
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"val_accuracy": 0.5})
    assert best.exists() and not checkpoint.partial_path.exists()
    first = best.stat().st_mtime_ns
    checkpoint.on_epoch_end(1, {"val_accuracy": 0.4})  # not better: untouched
    assert best.stat().st_mtime_ns == first
    with pytest.raises(ValueError, match=r"must end with \.keras"):
        AtomicModelCheckpoint(tmp_path / "best.h5x")


def test_early_stopping_resumes_its_state_and_best_weights(tmp_path):
    best_model = small_model()
    best_model.save(tmp_path / "best.keras")
    model = small_model()  # other random weights
    state = TrainingState(epochs_done=3, best=0.8, best_epoch=2, wait=3)
    stopper = ResumableEarlyStopping(
        resume=state, best_model_path=tmp_path / "best.keras", monitor="val_accuracy",
        mode="max", patience=5, restore_best_weights=True,
    )  # fmt: skip
    stopper.set_model(model)
    stopper.on_train_begin()
    assert (stopper.best, stopper.best_epoch, stopper.wait) == (0.8, 2, 3)
    for got, want in zip(stopper.best_weights, best_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    stopper.on_epoch_end(3, {"val_accuracy": 0.7})  # no improvement: wait 4
    stopper.on_epoch_end(4, {"val_accuracy": 0.7})  # wait 5 = patience: stop
    assert model.stop_training
    stopper.on_train_end()
    for got, want in zip(model.get_weights(), best_model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def record_fields(**changes) -> dict:
    """A results.json in the real format, as python -m neurn_keras.train writes it."""
    fields = {
        "backbone": "digitnet", "input_norm": "none", "neurn": False, "neurn_config": None,
        "augment": "none", "consistency": 0.0, "source": "mnist", "targets": ["usps"],
        "input_shape": [32, 32, 3], "seed": 0, "accuracy": {"mnist": 0.9, "usps": 0.5},
        "test_images": {"mnist": 10, "usps": 10}, "train_images": 90, "val_images": 10,
        "epochs_run": 1, "steps_run": 2, "max_epochs": 1, "best_epoch": 1,
        "best_val_accuracy": 0.9, "stopped_early": False, "precise_bn": {},
        "train_images_per_second": 10.0, "wall_seconds": 1.0, "distributed_replicas": 1,
        "config": {}, "train_argv": [], "versions": {}, "platform": "x", "data_files": {},
        "schema_version": 2,
    }  # fmt: skip
    return {**fields, **changes}


def test_record_schema_rejects_bad_records(tmp_path):
    good = record_fields()
    record = RunRecord.from_json(good)
    assert record.to_json() == {**good, "skipped": {}, "protocol": None,
                                "protocol_deviations": {}, "data_dir": None,
                                "augment_after_norm": False, "parts": [],
                                "per_device_batch_size": None,
                                "data_parallel_devices": [], "train_images_dropped_per_pass": 0,
                                "eval_images_padded": {}, "distributed_processes": 1,
                                "backbone_input": {}}  # fmt: skip
    assert RunRecord.from_json(record.to_json()) == record
    for change, message in [
        ({"accuracy": {"mnist": 1.5}}, r"not in \[0, 1\]"),
        ({"seed": True}, "'seed' has the wrong type"),
        ({"accuracy": {"usps": 0.5}}, "no accuracy for the source"),
        ({"schema_version": 1}, "schema_version 1, this neurn_keras reads 2"),
    ]:
        with pytest.raises(ResultsError, match=message):
            RunRecord.from_json({**good, **change})
    missing = dict(good)
    del missing["steps_run"]
    with pytest.raises(ResultsError, match="missing key 'steps_run'"):
        RunRecord.from_json(missing)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.json").write_text(json.dumps(good))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "results.json").write_text('{"backbone": "digitnet"')  # truncated
    records, problems = collect_records(tmp_path)
    assert [r.path for r in records] == [str(tmp_path / "a")]
    assert len(problems) == 1 and "b/results.json" in problems[0]


def test_backup_commits_weights_and_state_together(tmp_path):
    model = small_model()
    model.fit(np.ones((8, 4), "float32"), np.zeros(8, "int64"), epochs=3, verbose=0)
    state = TrainingState(epochs_done=2, best=0.5, best_epoch=1, wait=1, epoch_seconds=[1.0])
    backup = EpochBackup(tmp_path, state)
    backup.set_model(model)
    assert read_backup(tmp_path) is None
    backup.on_epoch_end(0)
    backup.on_epoch_end(1)
    committed = read_backup(tmp_path)
    assert committed.epoch == 2 and committed.state == state
    assert sorted(p.name for p in tmp_path.iterdir()) == ["commit.json", "epoch-2.weights.h5"]
    other = small_model()
    other.optimizer.build(other.trainable_variables)
    restore(other, committed)
    for got, want in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert int(other.optimizer.iterations.numpy()) == 3  # the optimizer's state came back
    # a kill during the next epoch's write leaves a partial file: the commit still holds
    (tmp_path / "epoch-3.weights.h5").write_bytes(b"truncated")
    assert read_backup(tmp_path).epoch == 2
    (tmp_path / "epoch-2.weights.h5").unlink()  # a commit whose weights are gone is none
    assert read_backup(tmp_path) is None
    assert state.restart() == TrainingState(wall_seconds=state.wall_seconds)
