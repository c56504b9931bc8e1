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
