"""Fixtures for the dataset tests: tiny files in every format we parse, and no network.

Every test here runs with the online boundary (TFDS, the USPS download) replaced by a
function that fails the test, with ``NEURN_CACHE_DIR`` unset and the user cache folder
moved into the test's temporary directory, so no test downloads or writes to ``~``.
"""

from __future__ import annotations

import pytest
from dataset_files import NetworkReached, Writer

from neurn_keras.datasets import cache, loading, tfds_source, usps_download


def _forbidden(*args, **kwargs):
    raise NetworkReached(f"the online fallback was reached with {args} {kwargs}")


@pytest.fixture(autouse=True)
def no_network_no_home(monkeypatch, tmp_path):
    monkeypatch.setattr(tfds_source, "load_tfds", _forbidden)
    monkeypatch.setattr(tfds_source, "prepared_files", _forbidden)
    monkeypatch.setattr(usps_download, "download_usps", _forbidden)
    monkeypatch.setattr(loading, "unreachable", lambda host: None)  # reach the mocks
    monkeypatch.delenv(cache.CACHE_ENV_VAR, raising=False)
    monkeypatch.delenv("NEURN_OFFLINE", raising=False)
    monkeypatch.setattr(cache, "USER_CACHE", tmp_path / "user_cache")


@pytest.fixture
def write(tmp_path) -> Writer:
    """A :class:`Writer` for the folder ``tmp_path / "data"``."""
    return Writer(tmp_path / "data")
