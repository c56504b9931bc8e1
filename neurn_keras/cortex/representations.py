"""Neural and feature representations: 2-D maps from cells and from convolution kernels."""

from __future__ import annotations

import keras
import numpy as np

from neurn_keras.errors import InvalidValueError
from neurn_keras.model_parts import walk_layers
from neurn_keras.neuro.resize import resize_maps


def neural_representations(
    responses: np.ndarray, scenes: np.ndarray, size, center: bool = True
) -> np.ndarray:
    """One 2-D map per cell: the scenes weighted by the cell's responses, N = Tᵀ·FS.

    T is the (scenes, cells) response matrix and FS the (scenes, h·w) matrix of the
    flattened scenes, resized to ``size`` and cast to float (pixel values as given, e.g.
    0..255). Cell c's map is Σₛ T[s, c] · scene_s.

    ``center=True`` (the default) first subtracts each cell's mean response over the
    scenes, so the map is Σₛ (T[s, c] − mean_c) · scene_s: a reverse-correlation receptive
    field, in which scenes the cell prefers add and the others subtract. A cell that
    responds to scene k only (1 there, 0 elsewhere) gets ``scene_k − mean(scenes)``.
    ``center=False`` is the paper's literal formula: that cell gets scene_k itself, but in
    general every cell's map then carries its mean response times the sum of all scenes,
    a component common to all cells that dominates cells with a large mean response.

    Args:
        responses: (cells, scenes) trial means, or (cells, scenes, time) time-resolved.
            NaN (a scene without trials) counts as the cell's mean response.
        scenes: (scenes, H, W) grayscale images.
        size: (h, w) of the maps, or an int for square maps.
        center: subtract each cell's mean response first.

    Returns:
        (cells, h, w) float32, or (cells, time, h, w) for time-resolved responses.
    """
    responses = np.asarray(responses, dtype=np.float64)
    scenes = np.asarray(scenes)
    if responses.ndim not in (2, 3):
        raise InvalidValueError(
            "neural_representations: responses must be (cells, scenes) or "
            f"(cells, scenes, time), got shape {responses.shape} (average trials first, "
            "e.g. NeuralData.mean_responses())"
        )
    if scenes.ndim != 3 or scenes.shape[0] != responses.shape[1]:
        raise InvalidValueError(
            f"neural_representations: {responses.shape[1]} scenes in responses but scenes "
            f"has shape {scenes.shape}; expected ({responses.shape[1]}, H, W)"
        )
    small = resize_maps(scenes, size).astype(np.float64)
    flat = small.reshape(small.shape[0], -1)  # (S, h*w)
    weights = np.moveaxis(responses, 1, -1)  # (cells[, time], S)
    mean = np.nanmean(weights, axis=-1, keepdims=True)
    weights = np.where(np.isnan(weights), mean, weights)
    if center:
        weights = weights - mean
    maps = weights @ flat
    return maps.reshape(*weights.shape[:-1], *small.shape[1:]).astype(np.float32)


CONV_KINDS = ("conv", "depthwise", "separable")


def conv_kind(layer) -> str | None:
    """``"conv"``, ``"depthwise"``, ``"separable"`` or ``None`` for a Keras layer.

    Conv2DTranspose is not a convolution kernel over an image here, so it gives ``None``.
    """
    if isinstance(layer, keras.layers.SeparableConv2D):
        return "separable"
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return "depthwise"
    if isinstance(layer, keras.layers.Conv2D) and not isinstance(
        layer, keras.layers.Conv2DTranspose
    ):
        return "conv"
    return None


def conv_layers(model, depthwise: bool = False) -> list[tuple[str, keras.layers.Layer]]:
    """The (path, layer) of every Conv2D in ``model`` (nested ones too), in model order.

    ``depthwise=True`` adds DepthwiseConv2D and SeparableConv2D layers.
    """
    kinds = CONV_KINDS if depthwise else ("conv",)
    return [(path, layer) for path, layer in walk_layers(model) if conv_kind(layer) in kinds]


def _no_conv_error(model, depthwise: bool) -> ValueError:
    what = "Conv2D, DepthwiseConv2D or SeparableConv2D" if depthwise else "Conv2D"
    hint = "" if depthwise else " (pass depthwise=True to include depthwise/separable layers)"
    return ValueError(
        f"model {model.name!r} has no {what} layer, so it has no convolution kernels to "
        f"compare with cells{hint}"
    )


def kernel_maps(layer) -> np.ndarray:
    """A convolution layer's kernel as 2-D maps, (F·C, kh, kw) (depthwise: (C·M, kh, kw)).

    Map ``f·C + c`` is the kernel of output channel f over input channel c (for depthwise
    and separable layers, channel c's multiplier m is map ``c·M + m``; a separable layer
    gives its depthwise kernel, the only spatial one).
    """
    kind = conv_kind(layer)
    if kind is None:
        raise InvalidValueError(
            f"kernel_maps: layer {layer.name!r} ({type(layer).__name__}) is not a convolution"
        )
    kernel = layer.depthwise_kernel if kind == "separable" else layer.kernel
    kernel = keras.ops.convert_to_numpy(kernel).astype(np.float32)  # (kh, kw, C, F or M)
    kh, kw = kernel.shape[:2]
    order = (2, 3, 0, 1) if kind != "conv" else (3, 2, 0, 1)
    return np.ascontiguousarray(kernel.transpose(order).reshape(-1, kh, kw))


def feature_representations(
    model, depthwise: bool = False, min_size: int = 1
) -> dict[str, np.ndarray]:
    """Every Conv2D kernel of ``model`` as 2-D maps: layer path → (F·C, kh, kw) float32.

    A kernel of shape (kh, kw, C, F) gives F·C maps; map ``f·C + c`` is output filter f
    over input channel c. Nested models (``keras.applications`` backbones inside a
    classifier) are walked; their layers are named ``"backbone/layer"``.

    Args:
        model: a built Keras model.
        depthwise: include DepthwiseConv2D and SeparableConv2D (depthwise part) kernels.
        min_size: skip kernels smaller than ``min_size`` in either spatial dimension
            (``min_size=2`` drops 1×1 pointwise convolutions, whose maps are single numbers).

    Raises:
        ValueError: the model has no such layer (or none of at least ``min_size``).
    """
    layers = conv_layers(model, depthwise=depthwise)
    if not layers:
        raise _no_conv_error(model, depthwise)
    maps = {path: kernel_maps(layer) for path, layer in layers}
    kept = {p: m for p, m in maps.items() if min(m.shape[1:]) >= min_size}
    if not kept:
        raise InvalidValueError(
            f"model {model.name!r}: all {len(maps)} convolution kernels are smaller than "
            f"{min_size}x{min_size}; lower min_size"
        )
    return kept
