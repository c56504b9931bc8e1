"""TensorFlow-only NeuRN paths: the XLA-compiled moments, and the patches reference.

``compiled_neurn_moments`` runs :func:`~neurn_keras.layers.local_std.neurn_moments` as
one XLA program (its block loop included). Keras runs a model on a CPU-only TensorFlow
without XLA, op by op, where NeuRN's passes over the images would cost several times the
XLA version; compiling just this function fuses them, also inside a graph-mode model, a
``tf.data`` map, or an outer XLA function.

One ``tf.function`` per (k, padding, dtypes, normalization, block size), traced once per
image size with the batch left open (``TensorSpec((None, H, W, C))``): a new batch size
costs an XLA compilation but no retracing, and calling the concrete function bypasses
``tf.function``'s dispatch, so mixing image sizes never triggers its "frequent retracing"
warning. Images of a size unknown when traced (a graph with ``None`` height or width)
trace in a ``tf.function`` of their own: TensorFlow reuses the most general trace that
fits a call, so a known size would otherwise run that any-size trace (the pooled form).

``local_std_patches`` is the reference: ``tf.image.extract_patches`` gathers every k×k
window and the standard deviation is taken exactly (two-pass, mean first). It needs k²
times the input's memory and is much slower.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from neurn_keras.layers.local_std import BLOCK_BYTES, WHOLE_BATCH, neurn_moments, pad_spatial
from neurn_keras.layers.placement import CPU, tensorflow_default_platform


@functools.cache
def _traced_function(
    kernel_size: int,
    padding: str,
    dtype: str,
    output_dtype: str,
    normalize_over: str,
    block_bytes: int,
    any_size: bool,
):
    def run(x):
        return neurn_moments(
            x,
            kernel_size,
            padding,
            dtype=dtype,
            output_dtype=output_dtype,
            block_bytes=block_bytes,
            normalize_over=normalize_over,
        )

    return tf.function(run, jit_compile=True, autograph=False)


def neurn_function(
    kernel_size: int,
    padding: str,
    dtype: str,
    output_dtype: str,
    normalize_over: str = "image",
    block_bytes: int | None = None,
    any_size: bool = False,
):
    """The ``tf.function`` for these arguments (one per arguments); ``block_bytes=None``:
    blocks for TensorFlow's default device (``BLOCK_BYTES`` on a CPU, else ``WHOLE_BATCH``).
    ``any_size``: the one for images whose height or width is unknown when traced."""
    if block_bytes is None:
        block_bytes = BLOCK_BYTES if tensorflow_default_platform() == CPU else WHOLE_BATCH
    return _traced_function(
        kernel_size, padding, dtype, output_dtype, normalize_over, block_bytes, any_size
    )


def compiled_neurn_moments(
    x,
    kernel_size: int,
    padding: str,
    dtype: str = "float32",
    output_dtype: str = "float32",
    normalize_over: str = "image",
    block_bytes: int | None = None,
):
    """NeuRN of ``x`` (batch, H, W, C) by the XLA-compiled moments, eager or in a graph."""
    x = tf.convert_to_tensor(x)
    any_size = x.shape[1] is None or x.shape[2] is None
    function = neurn_function(
        kernel_size, padding, dtype, output_dtype, normalize_over, block_bytes, any_size
    )
    spec = tf.TensorSpec((None, *x.shape[1:]), x.dtype)
    return function.get_concrete_function(spec)(x)


def local_std_patches(x, kernel_size: int, padding: str = "reflect"):
    """Population standard deviation of every k×k window, via extracted patches.

    Args:
        x: float tensor (batch, H, W, C).
        kernel_size: odd window size k.
        padding: ``"reflect"`` (mirror, then "VALID" patches) or ``"zeros"``
            (``extract_patches(..., padding="SAME")``, which reads zeros outside).

    Returns:
        Tensor of x's shape and dtype.
    """
    x = tf.convert_to_tensor(x)
    pad = kernel_size // 2
    if padding == "reflect":
        source, mode = pad_spatial(x, pad, padding), "VALID"
    else:
        source, mode = x, "SAME"
    patches = tf.image.extract_patches(
        source,
        sizes=[1, kernel_size, kernel_size, 1],
        strides=[1, 1, 1, 1],
        rates=[1, 1, 1, 1],
        padding=mode,
    )
    # extract_patches lays each window out as (row, column, channel).
    shape = tf.shape(x)
    windows = tf.reshape(patches, tf.concat([shape[:3], [kernel_size**2, shape[3]]], 0))
    mean = tf.reduce_mean(windows, axis=3, keepdims=True)
    return tf.sqrt(tf.reduce_mean(tf.square(windows - mean), axis=3))
