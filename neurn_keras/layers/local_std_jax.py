"""JAX-only NeuRN path: :func:`~neurn_keras.layers.local_std.neurn_moments` under ``jax.jit``.

Compiled once per (k, padding, dtypes, normalization, block size) and input shape, also
when the layer is called eagerly (op by op, each of the block loop's steps would be a
separate dispatch); inside an outer ``jax.jit`` it is inlined into the caller's program.
Blocks of images are for CPU caches: the layer asks for the whole batch as one block
(``WHOLE_BATCH``) on an accelerator (``placement.py``).
"""

from __future__ import annotations

import functools

import jax

from neurn_keras.layers.local_std import BLOCK_BYTES, WHOLE_BATCH, neurn_moments
from neurn_keras.layers.placement import CPU, jax_default_platform


@functools.cache
def _compiled(
    kernel_size: int,
    padding: str,
    dtype: str,
    output_dtype: str,
    normalize_over: str,
    block_bytes: int,
):
    run = functools.partial(
        neurn_moments,
        kernel_size=kernel_size,
        padding=padding,
        dtype=dtype,
        output_dtype=output_dtype,
        block_bytes=block_bytes,
        normalize_over=normalize_over,
    )
    return jax.jit(run)


def compiled_neurn_moments(
    kernel_size: int,
    padding: str,
    dtype: str,
    output_dtype: str,
    normalize_over: str = "image",
    block_bytes: int | None = None,
):
    """``neurn_moments`` for these arguments, as a ``jax.jit`` function (one per arguments).

    ``block_bytes=None``: blocks for JAX's default device (``BLOCK_BYTES`` on a CPU, else
    ``WHOLE_BATCH``).
    """
    if block_bytes is None:
        block_bytes = BLOCK_BYTES if jax_default_platform() == CPU else WHOLE_BATCH
    return _compiled(kernel_size, padding, dtype, output_dtype, normalize_over, block_bytes)
