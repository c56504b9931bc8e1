"""TensorFlow-only NeuRN paths: the XLA-compiled moments, and the patches reference.

``compiled_neurn_moments`` runs :func:`neurn_moments` as one XLA cluster. Keras runs a
model on a CPU-only TensorFlow without XLA, op by op, where NeuRN's dozen elementwise
passes over the images would cost several times the XLA version; compiling just this
function fuses them, also inside a graph-mode model, a ``tf.data`` map, or an outer
XLA function.

``local_std_patches`` is the reference: ``tf.image.extract_patches`` gathers every k×k
window and the standard deviation is taken exactly (two-pass, mean first). It needs k²
times the input's memory and is much slower.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from neurn_keras.layers.local_std import neurn_moments, pad_spatial


@functools.cache
def compiled_neurn_moments(kernel_size: int, padding: str):
    """``neurn_moments`` for one (k, padding), as an XLA-compiled ``tf.function``."""

    def run(x):
        return neurn_moments(x, kernel_size, padding)

    return tf.function(run, jit_compile=True, autograph=False, reduce_retracing=True)


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
