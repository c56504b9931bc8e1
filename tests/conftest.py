"""Shared fixtures: the real data directory (settings live in the root ``conftest.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from neurn_keras.environment import DATA_ENV_VAR as ENV_VAR

REQUIRE_ENV = "NEURN_REQUIRE_DATA"


def _missing(reason: str):
    """Skip, or fail when NEURN_REQUIRE_DATA=1 (as CI sets it)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 makes missing data an error)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The directory with the real data files (``$NEURN_DATA_DIR``); skips without it."""
    value = os.environ.get(ENV_VAR)
    if not value:
        _missing(f"real data: set {ENV_VAR} to the shared data directory (e.g. ../shared/data)")
    path = Path(value).expanduser()
    if not path.is_dir():
        _missing(f"real data: {ENV_VAR}={value} is not a directory")
    return path


@pytest.fixture(scope="session")
def real_data_file(real_data_dir):
    """Returns a function giving the path of a real data file, or skipping without it."""

    def get(name: str) -> Path:
        path = real_data_dir / name
        if not path.is_file():
            _missing(f"real data: {name} is not in {real_data_dir}")
        return path

    return get
