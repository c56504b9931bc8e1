"""Short model labels: the backbone and its NeuRN settings instead of run-directory names."""

import keras
from cortex_fixtures import small_model

from neurn_keras import NeuRN
from neurn_keras.cortex.labels import PIXELS_LABEL, describe, display, short_labels

NEURN_RUN = "digitnet-neurn-k5-reflect-mnist-seed0-3f9a1c2b7e"
PLAIN_RUN = "digitnet-plain-mnist-seed0-8d2e4b6a1c"


def test_describe_reads_the_backbone_and_the_neurn_settings():
    assert describe(small_model(True, name="digitnet_neurn")) == "digitnet + NeuRN (k=3, reflect)"
    assert describe(small_model(False, name="digitnet")) == "digitnet"
    assert describe(small_model(True, nested=True, name="vgg19_neurn")).startswith("vgg19 + NeuRN")


def test_describe_shows_other_neurn_settings():
    inputs = keras.Input((16, 16, 1))
    outputs = keras.layers.Conv2D(2, 3)(NeuRN(3, padding="zeros")(inputs))
    assert describe(keras.Model(inputs, outputs, name="mine")) == "mine + NeuRN (k=3, zeros)"


def test_a_model_with_keras_default_name_is_not_described():
    inputs = keras.Input((8, 8, 1))
    assert describe(keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))) is None


def test_short_labels_replace_run_directory_names():
    models = {
        NEURN_RUN: small_model(True, name="digitnet_neurn"),
        PLAIN_RUN: small_model(False, name="digitnet"),
    }
    assert short_labels(models) == {
        NEURN_RUN: "digitnet + NeuRN (k=3, reflect)",
        PLAIN_RUN: "digitnet",
    }


def test_models_that_read_the_same_are_told_apart_by_their_keys():
    models = {
        "digitnet-plain-mnist-seed0-8d2e4b6a1c": small_model(False, name="digitnet"),
        "digitnet-plain-mnist-seed1-0b1c2d3e4f": small_model(False, name="digitnet"),
        "a.keras-like stem": keras.Model(*_io(), name="functional_7"),
    }
    assert list(short_labels(models).values()) == [
        "digitnet [seed0]",
        "digitnet [seed1]",
        "a.keras-like stem",
    ]


def _io():
    inputs = keras.Input((8, 8, 1))
    return inputs, keras.layers.Conv2D(2, 3)(inputs)


def test_display_names_the_pixel_baseline():
    assert display("pixels", {"m": "short"}) == PIXELS_LABEL
    assert display("m", {"m": "short"}) == "short"
    assert display("other", None) == "other"
