"""Tiny real runs shared by the training tests (a few hundred images, DigitNet, 32x32x3)."""

from __future__ import annotations

import pytest

from neurn_keras.training import RunConfig

TINY = {"train_limit": 300, "test_limit": 64, "batch_size": 64}


def make_tiny_config(**changes) -> RunConfig:
    """A small real run: 270 training + 30 validation MNIST images, 64 test images per domain."""
    settings = {**TINY, "epochs": 2, **changes}
    return RunConfig(**settings)


@pytest.fixture(scope="session")
def tiny_config():
    """``tiny_config(**changes)``: a small real run's configuration."""
    return make_tiny_config


@pytest.fixture(scope="session")
def reference_run(real_data_dir, tmp_path_factory):
    """DigitNet+NeuRN, default targets, 2 epochs: ``(config, run directory, results)``."""
    from neurn_keras.training import train_and_evaluate

    config = make_tiny_config()
    output = tmp_path_factory.mktemp("reference") / "run"
    results = train_and_evaluate(config, output, data_dir=real_data_dir, progress_bar=False)
    return config, output, results


@pytest.fixture
def interrupted_run(monkeypatch, real_data_dir):
    """``interrupted_run(config, output, epoch)``: a run stopped by Ctrl-C as epoch
    ``epoch`` (0-based) begins, leaving its backup; the callbacks are restored after."""
    from neurn_keras.training import callbacks, train_and_evaluate

    original = callbacks.EpochRecorder.on_epoch_begin

    def interrupt(config, output, epoch: int) -> None:
        def stop_at(self, current, logs=None):
            if current == epoch:
                raise KeyboardInterrupt  # as Ctrl-C (or a kill) during that epoch
            return original(self, current, logs)

        monkeypatch.setattr(callbacks.EpochRecorder, "on_epoch_begin", stop_at)
        try:
            with pytest.raises(KeyboardInterrupt):
                train_and_evaluate(config, output, data_dir=real_data_dir, progress_bar=False)
        finally:
            monkeypatch.setattr(callbacks.EpochRecorder, "on_epoch_begin", original)

    return interrupt
