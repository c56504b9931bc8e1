"""The ``weights`` argument: ImageNet through Keras (offline: a clear error), files, transfer.

Nothing here downloads: the network boundary (``urlretrieve`` inside Keras's
``get_file``) is replaced by one that fails, and Keras's cache points at an empty folder.
"""

from __future__ import annotations

import urllib.error
from unittest import mock

import h5py
import keras
import numpy as np
import pytest

from neurn_keras import applications, backbones

SMALL_KERAS_FAMILY = "mobilenetv2"
# Keras's own note that MobileNetV2's ImageNet weights are for 96..224 pixels.
pytestmark = pytest.mark.filterwarnings("ignore:`input_shape` is undefined or non-square")


@pytest.fixture
def offline(tmp_path):
    """Keras with an empty cache and no network; yields the mocked ``urlretrieve``."""
    from keras.src.backend import config
    from keras.src.utils import file_utils

    failure = urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    with (
        mock.patch.object(file_utils, "urlretrieve", side_effect=failure) as fetch,
        mock.patch.object(config, "_KERAS_DIR", str(tmp_path)),
    ):
        yield fetch


@pytest.mark.parametrize("include_top", [False, True])
def test_imagenet_weights_offline_raise_an_error_that_says_what_to_do(offline, include_top):
    with pytest.raises(applications.WeightsDownloadError) as caught:
        applications.build_model(SMALL_KERAS_FAMILY, weights="imagenet", include_top=include_top)
    offline.assert_called_once()
    url = offline.call_args.args[0]
    file_name = url.rsplit("/", 1)[-1]
    message = str(caught.value)
    assert "no_top" in file_name  # a fresh head on ImageNet features: only the base
    assert f"weights='/path/to/{file_name}'" in message
    assert url in message and "mobilenetv2" in message
    assert isinstance(caught.value, ConnectionError)


def test_imagenet_with_the_imagenet_head_asks_keras_for_the_full_file(offline):
    with pytest.raises(applications.WeightsDownloadError):
        applications.build_model(
            SMALL_KERAS_FAMILY, weights="imagenet", input_shape=(224, 224, 3), classes=1000
        )
    assert "no_top" not in offline.call_args.args[0]


WITHOUT_IMAGENET = [b.name for b in backbones.BACKBONES if not b.imagenet_weights]


def test_our_own_architectures_are_those_without_imagenet_weights():
    assert sorted(WITHOUT_IMAGENET) == ["digitnet", "shufflenetv2", "vit"]


@pytest.mark.parametrize("name", WITHOUT_IMAGENET)
def test_our_own_architectures_have_no_imagenet_weights(name):
    with pytest.raises(ValueError, match="no ImageNet weights"):
        applications.build_model(name, weights="imagenet")


def test_a_missing_weights_file_is_named(tmp_path):
    missing = tmp_path / "nothing.h5"
    with pytest.raises(FileNotFoundError, match=r"nothing\.h5"):
        applications.build_model("digitnet", weights=missing)
    with pytest.raises(TypeError, match="weights must be None, 'imagenet' or a file path"):
        applications.build_model("digitnet", weights=3)


def write_keras_notop_h5(model: keras.Model, path) -> None:
    """Writes ``model``'s weights as Keras's published ``*_notop.h5`` files are laid out.

    Root attributes ``layer_names``, ``backend``, ``keras_version``; one group per layer
    with a ``weight_names`` attribute and one dataset per weight.
    """
    layers = [layer for layer in model.layers if layer.weights]
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.path.rsplit('/', 1)[-1]}:0" for w in layer.weights]
            group.attrs["weight_names"] = [name.encode() for name in names]
            for name, value in zip(names, layer.get_weights(), strict=True):
                group.create_dataset(name, data=value)


def backbone_weights(model: keras.Model) -> list[np.ndarray]:
    return [w for layer in model.layers if layer.weights for w in layer.get_weights()]


@pytest.fixture(scope="module")
def donor():
    """A MobileNetV2 base (no top) whose weights differ from a fresh initialization."""
    model = applications.build_model(SMALL_KERAS_FAMILY, neurn=False, include_top=False)
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.weights])
    return model


@pytest.mark.parametrize("file_format", ["keras_notop_h5", "weights_h5"])
@pytest.mark.parametrize("include_top", [False, True])
def test_a_weights_file_without_top_loads(donor, tmp_path, file_format, include_top):
    if file_format == "keras_notop_h5":
        path = tmp_path / "mobilenet_v2_notop.h5"
        write_keras_notop_h5(donor, path)
    else:
        path = tmp_path / "base.weights.h5"
        donor.save_weights(path)
    model = applications.build_model(SMALL_KERAS_FAMILY, weights=path, include_top=include_top)
    loaded, expected = backbone_weights(model), backbone_weights(donor)
    assert len(loaded) == len(expected) + (2 if include_top else 0)  # + the head's kernel, bias
    for got, want in zip(loaded, expected, strict=False):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["vit", "digitnet"])
def test_our_architectures_load_their_own_base_weights(tmp_path, name):
    base = applications.build_model(name, include_top=False)
    path = tmp_path / f"{name}.weights.h5"
    base.save_weights(path)
    model = applications.build_model(name, weights=str(path), neurn=False)
    for got, want in zip(backbone_weights(model), backbone_weights(base), strict=False):
        np.testing.assert_array_equal(got, want)


def test_weights_of_another_architecture_are_refused(donor):
    other = applications.build_model("digitnet", include_top=False)
    with pytest.raises(ValueError, match="belong to another architecture"):
        applications.transfer_weights(other, donor)
    with pytest.raises(ValueError, match="more than the"):
        applications.transfer_weights(donor, other)


def test_layers_in_front_of_the_input_tensor_keep_their_weights(donor, tmp_path):
    path = tmp_path / "base.weights.h5"
    donor.save_weights(path)
    pixels = keras.Input((32, 32, 3))
    mine = keras.layers.Conv2D(3, 1, name="my_conv")
    model = applications.build_model(
        SMALL_KERAS_FAMILY, weights=path, input_tensor=mine(pixels), input_shape=None
    )
    assert model.input is pixels and model.get_layer("my_conv") is mine
    expected = backbone_weights(donor)
    loaded = [w for layer in model.layers[2:] if layer.weights for w in layer.get_weights()]
    assert len(loaded) == len(expected) + 2
    for got, want in zip(loaded, expected, strict=False):
        np.testing.assert_array_equal(got, want)
