"""The resumability pieces: history repair, atomic checkpoints, early-stopping state."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from neurn_keras.training.callbacks import (
    AtomicModelCheckpoint,
    ResumableEarlyStopping,
    backup_epoch,
    clean_history,
)

HEADER = "epoch,accuracy,loss,val_accuracy,val_loss\n"


def rows(*epochs, value="0.5"):
    return "".join(f"{e},{value},1.0,{value},1.0\n" for e in epochs)


@pytest.mark.parametrize(
    ("text", "before", "kept_epochs"),
    [
        (HEADER + rows(0, 1, 2), None, [0, 1, 2]),
        (HEADER + rows(0, 1) + "2,0.5,1.", None, [0, 1]),  # killed mid-line
        (HEADER + rows(0, 1, 2), 2, [0, 1]),  # epoch 2 will run again
        (HEADER + rows(0, 1) + rows(1, value="0.9") + rows(2), None, [0, 1, 2]),
        (HEADER + rows(0) + "garbage\n" + rows(1), None, [0, 1]),
        ("epoch,acc", None, []),  # killed while writing the header
    ],
)
def test_clean_history_repairs_interrupted_logs(tmp_path, text, before, kept_epochs):
    path = tmp_path / "history.csv"
    path.write_text(text)
    assert clean_history(path, before_epoch=before) == len(kept_epochs)
    lines = path.read_text().splitlines()
    assert [int(line.split(",")[0]) for line in lines[1:]] == kept_epochs
    if "0.9" in text:  # an epoch logged twice keeps its last row
        assert lines[2] == "1,0.9,1.0,0.9,1.0"


def test_clean_history_without_file_is_a_no_op(tmp_path):
    assert clean_history(tmp_path / "missing.csv") == 0
    assert not (tmp_path / "missing.csv").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [('{"epoch": 3, "batch": 0}', 3), ('{"epoch": 3', None), ('{"batch": 0}', None), (None, None)],
)
def test_backup_epoch_reads_keras_metadata(tmp_path, content, expected):
    if content is not None:
        (tmp_path / "training_metadata.json").write_text(content)
    assert backup_epoch(tmp_path) == expected


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
    state = {"best": 0.8, "best_epoch": 2, "wait": 3}
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


def test_results_schema_rejects_bad_records(tmp_path):
    from neurn_keras.training.results import ResultsError, check_results, collect_results

    good = {
        "backbone": "digitnet", "neurn": False, "neurn_config": None, "source": "mnist",
        "targets": ["usps"], "input_shape": [32, 32, 3], "seed": 0,
        "accuracy": {"mnist": 0.9, "usps": 0.5}, "epochs_run": 1,
        "train_images_per_second": 10.0, "wall_seconds": 1.0, "versions": {},
        "data_files": {}, "config": {},
    }  # fmt: skip
    assert check_results(good) is good
    for change, message in [
        ({"accuracy": {"mnist": 1.5}}, r"not in \[0, 1\]"),
        ({"seed": True}, "'seed' has the wrong type"),
        ({"accuracy": {"usps": 0.5}}, "no accuracy for the source"),
    ]:
        with pytest.raises(ResultsError, match=message):
            check_results({**good, **change})
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.json").write_text(json.dumps(good))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "results.json").write_text('{"backbone": "digitnet"')  # truncated
    records, problems = collect_results(tmp_path)
    assert [r["path"] for r in records] == [str(tmp_path / "a")]
    assert len(problems) == 1 and "b/results.json" in problems[0]
