"""A small zoo, built once per session into a temporary cache shared by the tests."""

from __future__ import annotations

import pytest

from neurn_keras.archsim import zoo

SMALL_ZOO = ["VGG16", "VGG19", "MobileNetV2", "ResNet50", "ResNet101", "DenseNet121"]


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory):
    """A cache folder that ``small_zoo`` has filled."""
    return tmp_path_factory.mktemp("archsim_cache")


@pytest.fixture(scope="session")
def small_zoo(zoo_cache) -> dict[str, tuple[str, ...]]:
    """Layer sequences of SMALL_ZOO, built with weights=None."""
    return zoo(SMALL_ZOO, cache_dir=zoo_cache, progress=False)
