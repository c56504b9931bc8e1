"""JAX-only NeuRN path: :func:`~neurn_keras.layers.local_std.neurn_moments` under ``jax.jit``.

Compiled once per (k, padding, dtypes) and input shape, also when the layer is called
eagerly (op by op, each of the block loop's steps would be a separate dispatch); inside
an outer ``jax.jit`` it is inlined into the caller's program. Blocks of images are for
CPU caches: on an accelerator the whole batch is one block.
"""

from __future__ import annotations

import functools

import jax

from neurn_keras.layers.local_std import BLOCK_BYTES, neurn_moments

WHOLE_BATCH = 2**62


@functools.cache
def compiled_neurn_moments(kernel_size: int, padding: str, dtype: str, output_dtype: str):
    """``neurn_moments`` for one (k, padding, dtype, output dtype), as a ``jax.jit`` function."""
    run = functools.partial(
        neurn_moments,
        kernel_size=kernel_size,
        padding=padding,
        dtype=dtype,
        output_dtype=output_dtype,
        block_bytes=BLOCK_BYTES if jax.default_backend() == "cpu" else WHOLE_BATCH,
    )
    return jax.jit(run)
