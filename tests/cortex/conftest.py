"""Fixtures of the cortex tests (figures render off-screen)."""

import matplotlib

matplotlib.use("Agg")

import pytest
from cortex_fixtures import small_model


@pytest.fixture(scope="session")
def models():
    return {"small_neurn": small_model(True), "small": small_model(False)}
