"""Fixtures of the neuro tests: small NWB files in the Brain Observatory layout."""

import pytest
from nwb_fixtures import write_nwb


@pytest.fixture
def make_nwb(tmp_path):
    """``make_nwb(name="x.nwb", **write_nwb_arguments)`` → (path, truth)."""

    def make(name: str = "experiment.nwb", **kwargs):
        path = tmp_path / name
        return path, write_nwb(path, **kwargs)

    return make
