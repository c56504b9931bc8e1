"""layer_sequence: tokens, activations, dropped glue, nested models."""

from __future__ import annotations

import keras
import pytest
from keras import layers

from neurn_keras.archsim import activation_token, build_sequence, layer_sequence, similarity
from neurn_keras.archsim.model_zoo import keras_application_models
from neurn_keras.layers import NeuRN

VGG_BLOCK = ["Conv2D", "ReLU"]


def functional(*stack, shape=(16, 16, 3)) -> keras.Model:
    inputs = keras.Input(shape)
    x = inputs
    for layer in stack:
        x = layer(x)
    return keras.Model(inputs, x)


def test_activation_of_a_conv_gives_its_own_token():
    model = functional(layers.Conv2D(4, 3, activation="relu"), layers.Conv2D(4, 3))
    assert layer_sequence(model) == ("Conv2D", "ReLU", "Conv2D")


def test_activations_as_layers_and_as_arguments_get_the_same_token():
    as_argument = functional(
        layers.Conv2D(4, 3, activation="relu"),
        layers.DepthwiseConv2D(3, activation="swish"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    )
    as_layers = functional(
        layers.Conv2D(4, 3),
        layers.ReLU(),
        layers.DepthwiseConv2D(3),
        layers.Activation("silu"),
        layers.Flatten(),
        layers.Dense(3),
        layers.Softmax(),
    )
    expected = ("Conv2D", "ReLU", "DepthwiseConv2D", "SiLU", "Flatten", "Dense", "Softmax")
    assert layer_sequence(as_argument) == expected
    assert layer_sequence(as_layers) == expected
    assert similarity(as_argument, as_layers) == 1.0


def test_activation_names():
    assert activation_token("relu") == "ReLU"
    assert activation_token(keras.activations.relu) == "ReLU"
    assert activation_token(keras.activations.hard_swish) == "HardSiLU"
    assert activation_token("gelu") == "GELU"
    assert activation_token("soft_shrink") == "SoftShrink"
    assert activation_token("linear") is None
    assert activation_token(None) is None


def test_relu6_and_linear_activations():
    model = functional(
        layers.Conv2D(4, 3),
        layers.ReLU(6.0),
        layers.Activation("linear"),
        layers.Activation("relu6"),
        layers.ReLU(),
    )
    assert layer_sequence(model) == ("Conv2D", "ReLU6", "ReLU6", "ReLU")


def test_glue_layers_are_dropped_and_flatten_is_kept():
    model = functional(
        layers.ZeroPadding2D(1),
        layers.Conv2D(4, 3),
        layers.Cropping2D(1),
        layers.Reshape((-1, 4)),
        layers.Permute((2, 1)),
        layers.Identity(),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(2),
    )
    assert layer_sequence(model) == ("Conv2D", "Flatten", "Dropout", "Dense")


def test_nested_models_are_flattened_in_place():
    inner_sequential = keras.Sequential(
        [layers.Conv2D(4, 3, padding="same"), layers.BatchNormalization(), layers.ReLU()]
    )
    inner_functional = functional(layers.MaxPooling2D(), shape=(16, 16, 4))
    outer_input = keras.Input((16, 16, 3))
    x = NeuRN(name="neurn")(outer_input)
    x = inner_sequential(x)
    x = inner_functional(x)
    outer = keras.Model(outer_input, layers.GlobalAveragePooling2D()(x))
    twice = keras.Sequential([outer])  # a model nested two levels deep
    expected = (
        "NeuRN",
        "Conv2D",
        "BatchNormalization",
        "ReLU",
        "MaxPooling2D",
        "GlobalAveragePooling2D",
    )
    assert layer_sequence(outer) == expected
    assert layer_sequence(twice) == expected


def test_branches_and_ops_nodes_in_topological_order():
    inputs = keras.Input((8, 8, 4))
    branch = layers.Conv2D(4, 1, name="branch")(inputs)
    x = layers.Add()([inputs, branch])
    x = x + 3.0  # a keras.ops node, not a layer
    x = layers.Multiply()([x, x])
    sequence = layer_sequence(keras.Model(inputs, x))
    assert sequence == ("Conv2D", "Add", "Add", "Multiply")


def test_subclassed_model_in_layer_order():
    class Small(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(4, 3, activation="relu")
            self.pool = layers.GlobalAveragePooling2D()
            self.head = layers.Dense(2)

        def call(self, x):
            return self.head(self.pool(self.conv(x)))

    assert layer_sequence(Small()) == ("Conv2D", "ReLU", "GlobalAveragePooling2D", "Dense")


def test_refuses_what_is_not_a_model():
    with pytest.raises(TypeError, match="keras Model or Layer"):
        layer_sequence(["Conv2D"])


def test_vgg16_sequence_is_the_textbook_one():
    sequence = build_sequence(keras_application_models()["VGG16"])
    blocks = [2, 2, 3, 3, 3]
    expected = []
    for convs in blocks:
        expected += VGG_BLOCK * convs + ["MaxPooling2D"]
    expected += ["Flatten", "Dense", "ReLU", "Dense", "ReLU", "Dense", "Softmax"]
    assert sequence == tuple(expected)


@pytest.mark.slow
def test_small_input_size_does_not_change_the_sequence():
    """NASNet and MobileNetV2 branch on shapes (padding, cell adjustment): check them."""
    for name in ["NASNetMobile", "MobileNetV2"]:
        constructor = getattr(keras.applications, name)
        with keras.StatelessScope():
            small = layer_sequence(constructor(weights=None, input_shape=(32, 32, 3)))
            default = layer_sequence(constructor(weights=None))
        keras.backend.clear_session()
        assert small == default, name
