"""Models with NeuRN outside Keras: TFLite, float or int8 (TensorFlow backend).

``model.export(path)`` (a SavedModel) and ``model.export("model.tflite", format="litert")``
(float TFLite) work on a model with NeuRN as on any other. Full-integer (int8)
quantization does not: on TensorFlow NeuRN runs as one XLA function with a loop over
blocks of images, and TFLite's int8 interpreter aborts the process on that loop
(TensorFlow 2.21); NeuRN's own arithmetic (the variance of 0..255 pixels, the division by
each image's largest σ) also needs more than 8 bits. :func:`to_tflite` therefore traces
NeuRN as plain operations (:func:`convertible`) and keeps it in float32 while the rest of
the model is quantized::

    from neurn_keras.deploy import to_tflite

    Path("model_int8.tflite").write_bytes(to_tflite(model, representative_images=x_train[:200]))
"""

from __future__ import annotations

import re
import tempfile
import warnings
from collections.abc import Iterator

import keras
import numpy as np
from keras import ops

from neurn_keras.errors import InvalidValueError
from neurn_keras.layers import NeuRN
from neurn_keras.layers.local_std import neurn_moments_pooled
from neurn_keras.model_parts import walk_layers

INTERPRETER_DEPRECATION = r"\s*Warning: tf\.lite\.Interpreter is deprecated"
"""TensorFlow's warning when a ``tf.lite.Interpreter`` is made (LiteRT's ``ai_edge_litert``
replaces it); the interpreter still works in TensorFlow 2.21."""


class _PlainNeuRN(NeuRN):
    """NeuRN by average pooling in plain ops (no XLA function, no loop): for converters only."""

    def _normalized(self, inputs, work_dtype: str, out_dtype: str):
        sigma_over_peak = neurn_moments_pooled(
            ops.cast(inputs, work_dtype), self.kernel_size, self.padding, self.normalize_over
        )
        return ops.cast(sigma_over_peak, out_dtype)


def convertible(model: keras.Model) -> keras.Model:
    """``model`` with every NeuRN layer traced as plain operations, for TFLite converters.

    The other layers are ``model``'s own (same weights, nothing copied); the NeuRN layers
    keep their names and arguments, and their outputs agree with NeuRN's to float
    rounding. For conversion only: the copy does not save to ``.keras``. ``model`` must
    be functional or Sequential (NeuRN may sit in a nested model).
    """

    def swap(layer):
        return _PlainNeuRN.from_config(layer.get_config()) if isinstance(layer, NeuRN) else layer

    return keras.models.clone_model(model, clone_function=swap, recursive=True)


def neurn_tensors(tensor_names: list[str], model: keras.Model) -> list[str]:
    """The TFLite tensors that ``model``'s NeuRN layers compute: TensorFlow names each
    after the layer's name scope (``model_1/neurn_1/Sqrt``)."""
    names = sorted({layer.name for _, layer in walk_layers(model) if isinstance(layer, NeuRN)})
    if not names:
        return []
    pattern = re.compile(r"(^|/)(" + "|".join(map(re.escape, names)) + r")(_\d+)?/")
    return [name for name in tensor_names if pattern.search(name)]


def to_tflite(model: keras.Model, representative_images: np.ndarray | None = None) -> bytes:
    """The TFLite flat buffer of ``model``: float32, or int8 with ``representative_images``.

    Args:
        model: a functional or Sequential model, with NeuRN or without.
        representative_images: raw pixels ``(N, H, W, C)`` like the model's inputs (a
            few hundred training images), to calibrate int8 quantization. Then weights
            and activations are int8, except NeuRN's, which stay float32; the model's
            input and output stay float32 (raw 0..255 pixels in).

    Returns:
        The ``.tflite`` file's bytes, for ``tf.lite.Interpreter`` or LiteRT.
    """
    if keras.backend.backend() != "tensorflow":
        raise InvalidValueError(
            f"to_tflite: TFLite conversion needs the TensorFlow backend, not "
            f"{keras.backend.backend()!r}; run with KERAS_BACKEND=tensorflow"
        )
    import tensorflow as tf

    plain = convertible(model)
    with tempfile.TemporaryDirectory(prefix="neurn_tflite_") as saved_model:
        plain.export(saved_model, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        if representative_images is None:
            return converter.convert()
        images = np.asarray(representative_images, dtype="float32")
        if images.ndim != 4 or len(images) == 0:
            raise InvalidValueError(
                "to_tflite: representative_images must be a non-empty batch (N, H, W, C) "
                f"of raw pixels, got shape {images.shape}"
            )

        def batches() -> Iterator[list[np.ndarray]]:
            for index in range(len(images)):
                yield [images[index : index + 1]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = batches
        return _quantize_without_neurn(converter, batches, model)


def _quantize_without_neurn(converter, batches, model: keras.Model) -> bytes:
    """int8 TFLite with NeuRN's tensors left in float32: TFLite's selective quantization
    (``QuantizationDebugger``'s ``denylisted_nodes``), calibrated once."""
    import tensorflow as tf

    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=[])
    with warnings.catch_warnings():  # the debugger reads models with tf.lite.Interpreter
        warnings.filterwarnings("ignore", INTERPRETER_DEPRECATION, UserWarning)
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=batches, debug_options=options
        )
        calibrated = tf.lite.Interpreter(model_content=debugger.calibrated_model)
    names = [tensor["name"] for tensor in calibrated.get_tensor_details()]
    options.denylisted_nodes = neurn_tensors(names, model)
    return debugger.get_nondebug_quantized_model()
