"""The run's optimizer and learning-rate schedule, and a cosine run that resumes."""

from __future__ import annotations

import keras
import pytest

from neurn_keras.training import load_record, train_and_evaluate
from neurn_keras.training.run import make_optimizer


def learning_rate_at(optimizer, step: int) -> float:
    optimizer.iterations.assign(step)
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def test_adam_at_a_constant_rate_by_default(tiny_config):
    optimizer = make_optimizer(tiny_config(lr=3e-4))
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert learning_rate_at(optimizer, 0) == pytest.approx(3e-4)
    assert learning_rate_at(optimizer, 10_000) == pytest.approx(3e-4)


def test_sgd_with_momentum_on_a_cosine_to_zero(tiny_config):
    config = tiny_config(optimizer="sgd", momentum=0.9, lr=0.01, lr_schedule="cosine")
    optimizer = make_optimizer(config, total_steps=1000)
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.momentum == 0.9
    assert learning_rate_at(optimizer, 0) == pytest.approx(0.01)
    assert learning_rate_at(optimizer, 500) == pytest.approx(0.005, rel=1e-5)
    assert learning_rate_at(optimizer, 250) == pytest.approx(0.005 * (1 + 2**-0.5), rel=1e-5)
    assert learning_rate_at(optimizer, 1000) == pytest.approx(0.0, abs=1e-9)


def test_a_cosine_schedule_needs_the_run_length(tiny_config):
    with pytest.raises(ValueError, match="needs the run's total_steps"):
        make_optimizer(tiny_config(lr_schedule="cosine"))


def test_an_interrupted_cosine_run_resumes_on_its_schedule(
    tiny_config, real_data_dir, tmp_path, interrupted_run
):
    """The schedule reads the optimizer's step count, which the backup restores."""
    config = tiny_config(
        input_norm="none", optimizer="sgd", momentum=0.9, lr=0.05, lr_schedule="cosine",
        epochs=3, targets=("usps",),
    )  # fmt: skip
    reference = train_and_evaluate(config, tmp_path / "whole", data_dir=real_data_dir,
                                   progress_bar=False)  # fmt: skip
    output = tmp_path / "interrupted"
    interrupted_run(config, output, epoch=2)
    resumed = train_and_evaluate(config, output, data_dir=real_data_dir, progress_bar=False)
    assert resumed.accuracy == reference.accuracy
    whole, again = (d / "history.csv" for d in (tmp_path / "whole", output))
    assert again.read_text() == whole.read_text()
    record = load_record(output / "results.json")
    assert (record.config["optimizer"], record.config["lr_schedule"]) == ("sgd", "cosine")
