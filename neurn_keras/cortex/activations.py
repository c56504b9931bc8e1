"""Layer activations of a Keras model to the scenes, nested backbones included."""

from __future__ import annotations

import keras
import numpy as np

from neurn_keras.cortex.representations import CONV_KINDS, conv_kind
from neurn_keras.datasets.prepare import prepare
from neurn_keras.errors import InvalidValueError
from neurn_keras.layers import NeuRN
from neurn_keras.model_parts import walk_layers


def prepare_scenes(scenes: np.ndarray, model) -> np.ndarray:
    """Grayscale scenes (N, H, W) as the model's raw-pixel input, uint8 (N, h, w, c).

    Float scenes are rounded and clipped to 0..255 first; resizing and gray-to-RGB are
    ``neurn_keras.datasets.prepare``'s, the package's one adaptation of images to a model.
    """
    scenes = np.asarray(scenes)
    if scenes.ndim != 3:
        raise InvalidValueError(
            f"prepare_scenes: scenes must be (N, H, W) grayscale, got {scenes.shape}"
        )
    if scenes.dtype != np.uint8:
        scenes = np.clip(np.rint(scenes), 0, 255).astype(np.uint8)
    return prepare(scenes[..., None], tuple(model.input_shape[1:]))


def activation_layers(model, depthwise: bool = False) -> list[str]:
    """Paths of the layers whose outputs :func:`layer_activations` returns by default.

    Every NeuRN layer and every Conv2D (with ``depthwise=True`` also depthwise and
    separable convolutions), in model order, nested models included. A convolution's
    output is taken as the layer returns it (after its own ``activation=``, before any
    separate BatchNormalization or Activation layer).
    """
    kinds = CONV_KINDS if depthwise else ("conv",)
    return [
        path
        for path, layer in walk_layers(model)
        if isinstance(layer, NeuRN) or conv_kind(layer) in kinds
    ]


def _outer_input(nested) -> keras.KerasTensor:
    nodes = getattr(nested, "_inbound_nodes", [])
    if not nodes or len(nodes[0].input_tensors) != 1:
        raise InvalidValueError(
            f"layer_activations: nested model {nested.name!r} must be called once on one "
            "input inside its parent model"
        )
    return nodes[0].input_tensors[0]


def _graph_inputs(model):
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise InvalidValueError(
            f"layer_activations: model {model.name!r} ({type(model).__name__}) has no "
            "symbolic inputs; a Functional or Sequential model built on a keras.Input is needed"
        )
    return inputs


def _extract(model, x, prefix: str, wanted: set[str], batch_size: int) -> dict[str, np.ndarray]:
    outputs, targets = [], []
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            if any(w.startswith(f"{path}/") for w in wanted):
                outputs.append(_outer_input(layer))
                targets.append((path, layer))
        elif path in wanted:
            outputs.append(layer.output)
            targets.append((path, None))
    if not outputs:
        return {}
    inputs = _graph_inputs(model)
    extractor = keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs)
    batches = [
        extractor(x[i : i + batch_size], training=False) for i in range(0, len(x), batch_size)
    ]
    batches = [b if isinstance(b, list | tuple) else [b] for b in batches]
    values = [
        np.concatenate([keras.ops.convert_to_numpy(b[k]) for b in batches])
        for k in range(len(outputs))
    ]
    result: dict[str, np.ndarray] = {}
    for (path, nested), value in zip(targets, values, strict=True):
        if nested is None:
            result[path] = np.asarray(value)
        else:
            result.update(_extract(nested, value, f"{path}/", wanted, batch_size))
    return result


def layer_activations(
    model,
    images: np.ndarray,
    layers: list[str] | None = None,
    depthwise: bool = False,
    batch_size: int = 64,
) -> dict[str, np.ndarray]:
    """Activations of ``model``'s layers to ``images``: layer path → (N, ...) array.

    Args:
        model: a Functional or Sequential Keras model (nested models are followed).
        images: the model's input, e.g. from :func:`prepare_scenes`.
        layers: layer paths (``"backbone/conv1"``) to return; default
            :func:`activation_layers`.
        depthwise: with ``layers=None``, include depthwise and separable convolutions.
        batch_size: images per forward pass.

    Returns the layers in model order.
    """
    order = [path for path, _ in walk_layers(model)]
    wanted = activation_layers(model, depthwise) if layers is None else list(layers)
    unknown = sorted(set(wanted) - set(order))
    if unknown:
        raise InvalidValueError(
            f"layer_activations: model {model.name!r} has no layers {unknown}; "
            f"its layers are {order}"
        )
    if not wanted:
        raise InvalidValueError(
            f"layer_activations: model {model.name!r} has no NeuRN or convolution layer"
        )
    found = _extract(model, np.asarray(images), "", set(wanted), batch_size)
    return {path: found[path] for path in order if path in found}
