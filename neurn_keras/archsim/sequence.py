"""A Keras model as a sequence of layer-type tokens, in topological order.

Rules (``TOKENS_VERSION`` changes whenever they do, which invalidates cached sequences):

- Functional models are read in the order of ``model.operations`` (topological: every
  layer after the layers it reads from; branches of equal depth in Keras' own order).
  Nested models (``Functional``, ``Sequential``) are flattened in place, recursively.
  Other (subclassed) models are read in the order of ``model.layers``, which is the
  order their layers were assigned, not necessarily the order they run.
- A layer's token is its class name (``Conv2D``, ``BatchNormalization``, ``Add``,
  ``NeuRN``, ``LayerScale``, ...). ``keras.ops`` nodes in a functional graph (``x + 3``,
  ``a * b``) count like layers and are named by their class (``Add``, ``Multiply``).
- Activations get one token each, named after the function they compute, whether they
  are a layer (``ReLU()``, ``Activation("relu")``) or the ``activation=`` of a
  ``Dense``, ``EinsumDense`` or convolution, which then gives two tokens: ``Conv2D``,
  ``ReLU``. Names: ``ReLU``, ``ReLU6`` (``relu6`` or ``ReLU(max_value=6)``), ``SiLU``
  (``silu``/``swish``), ``HardSiLU`` (``hard_silu``/``hard_swish``), ``GELU``,
  ``Sigmoid``, ``HardSigmoid``, ``Softmax``, ``Tanh``, ``ELU``, ``SELU``, ``LeakyReLU``;
  any other function in CamelCase. The identity (``linear``) gives no token.
- Dropped, because they move or pad values without computing with them:
  ``InputLayer``, ``Reshape``, ``Permute``, ``Identity``, ``ZeroPadding1D/2D/3D``,
  ``Cropping1D/2D/3D`` (see ``DROPPED``). ``Flatten`` is kept: it marks a dense
  classifier head, as opposed to global pooling.
"""

from __future__ import annotations

from collections.abc import Iterator

import keras

from neurn_keras.errors import InvalidTypeError
from neurn_keras.model_parts import walk_layers

TOKENS_VERSION = 1

DROPPED = frozenset(
    {
        "InputLayer",
        "Reshape",
        "Permute",
        "Identity",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
    }
)

ACTIVATION_TOKENS = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "silu": "SiLU",
    "swish": "SiLU",
    "hard_silu": "HardSiLU",
    "hard_swish": "HardSiLU",
    "gelu": "GELU",
    "sigmoid": "Sigmoid",
    "hard_sigmoid": "HardSigmoid",
    "softmax": "Softmax",
    "log_softmax": "LogSoftmax",
    "tanh": "Tanh",
    "elu": "ELU",
    "selu": "SELU",
    "leaky_relu": "LeakyReLU",
}

_IDENTITY_ACTIVATIONS = frozenset({"linear", "identity"})

# Layers whose ``activation=`` is applied to their output (RNN cells are not: theirs is
# inside the recurrence).
_WITH_OUTPUT_ACTIVATION = (
    keras.layers.Dense,
    keras.layers.EinsumDense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
    keras.layers.DepthwiseConv1D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv1D,
    keras.layers.SeparableConv2D,
)


def activation_token(activation) -> str | None:
    """The token of an activation function (or its name); None for the identity."""
    if activation is None:
        return None
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    if name is None:  # a callable object, e.g. a layer used as activation
        return type(activation).__name__
    if name in _IDENTITY_ACTIVATIONS:
        return None
    return ACTIVATION_TOKENS.get(name, "".join(part.capitalize() for part in name.split("_")))


def _relu_token(layer: keras.layers.ReLU) -> str:
    plain = not layer.negative_slope and not layer.threshold
    return "ReLU6" if plain and layer.max_value == 6 else "ReLU"


def _operation_tokens(operation) -> Iterator[str]:
    """The tokens of one layer or ``keras.ops`` node (not a model)."""
    if isinstance(operation, keras.layers.Activation):
        token = activation_token(operation.activation)
        if token is not None:
            yield token
        return
    if isinstance(operation, keras.layers.ReLU):
        yield _relu_token(operation)
        return
    name = type(operation).__name__
    if name in DROPPED:
        return
    yield name
    if isinstance(operation, _WITH_OUTPUT_ACTIVATION):
        token = activation_token(operation.activation)
        if token is not None:
            yield token


def layer_sequence(model: keras.Model | keras.layers.Layer) -> tuple[str, ...]:
    """The layer-type tokens of ``model`` in topological order, nested models flattened.

    See the module docstring for what becomes a token and what is dropped.

    Args:
        model: a built Keras model (functional, sequential or subclassed) or one layer.

    Returns:
        A tuple of token strings, e.g. ``("Conv2D", "ReLU", "MaxPooling2D", ...)``.
    """
    if not isinstance(model, keras.layers.Layer):
        raise InvalidTypeError(
            f"layer_sequence: expected a keras Model or Layer, got {type(model).__name__}"
        )
    if isinstance(model, keras.Model):
        operations = [op for _, op in walk_layers(model, operations=True)]
    else:
        operations = [model]
    return tuple(token for op in operations for token in _operation_tokens(op))
