"""Where NeuRN runs, read from the Keras backend, and how its moments path walks the batch.

On a CPU the moments path cuts the batch into blocks of about ``BLOCK_BYTES`` of input
and loops over them inside the compiled program, so that each block's intermediates stay
in the cache (``local_std.py``). On a GPU or TPU that loop would run a batch of 224×224
images as dozens of small sequential steps, each too small to fill the device, so there
the whole batch is one block. The choice follows the device the computation is placed
on, as each backend decides it, never the kind of machine:

- **JAX**: a concrete array committed to a device runs there (``jax.jit`` follows its
  committed arguments), so its device decides. An uncommitted array, a NumPy array, or
  a tracer inside an outer ``jax.jit`` (which has no device yet) runs on JAX's default
  device: ``jax.default_device`` where one is set, else ``jax.devices()[0]``.
- **TensorFlow**: the input tensor's device says nothing (eager tensors made from NumPy
  live on the host even when the ops run on a GPU), so the layer asks the placer: a
  probe op made where the layer's op is made reports, eagerly, the device it ran on,
  and in a graph the device its ``tf.device`` scope requests. A graph without a device
  request is placed by TensorFlow on its first GPU if it sees one, else on the CPU;
  except a ``tf.data`` function, which always runs on the host CPU.
- **PyTorch**: the tensor's ``.device``. The layer converts its input first, so a NumPy
  array counts where Keras puts it (its default torch device).

``blocking="cache"`` or ``"whole"`` forces a path on any device (each gives the same
output up to float rounding); ``"auto"`` applies the rule above.
"""

from __future__ import annotations

import keras

from neurn_keras.errors import InvalidValueError
from neurn_keras.layer_options import BLOCKINGS

CPU = "cpu"


def _jax_platform(x) -> str:
    import jax

    if isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer) and x.committed:
        return next(iter(x.devices())).platform
    return jax_default_platform()


def jax_default_platform() -> str:
    """The platform of JAX's default device (``jax.default_device`` if set)."""
    import jax

    default = jax.config.jax_default_device
    if default is None:
        return jax.devices()[0].platform
    return default if isinstance(default, str) else default.platform


def _tensorflow_platform() -> str:
    import tensorflow as tf

    if not tf.executing_eagerly():
        if tf.compat.v1.get_default_graph().name.startswith("Dataset_"):
            return CPU  # tf.data runs its map, filter, ... functions on the host
    device = tf.identity(tf.zeros((), tf.float32)).device
    if device:
        return tf.DeviceSpec.from_string(device).device_type.lower()
    return tensorflow_default_platform()


def tensorflow_default_platform() -> str:
    """Where TensorFlow places an op that requests no device: its first GPU, else the CPU."""
    import tensorflow as tf

    return "gpu" if tf.config.list_logical_devices("GPU") else CPU


def platform_of(x) -> str:
    """The platform the backend runs an op on ``x`` on, lower-case: ``"cpu"``, ``"gpu"``,
    ``"tpu"`` (PyTorch: its device type, e.g. ``"cuda"``)."""
    backend = keras.backend.backend()
    if backend == "jax":
        return _jax_platform(x)
    if backend == "tensorflow":
        return _tensorflow_platform()
    if backend == "torch":
        return keras.ops.convert_to_tensor(x).device.type
    return CPU


def path_for(backend: str, platform: str, blocking: str = "auto") -> str:
    """``"cache"`` (blocks for a CPU's cache) or ``"whole"`` (the batch at once) on
    ``platform`` under Keras backend ``backend``, for ``blocking`` (one of ``BLOCKINGS``).

    ``"auto"``: cache blocks on a CPU, the whole batch on anything else. PyTorch runs op
    by op, where a block costs a dozen separate library calls, so there ``"auto"`` takes
    the whole batch (average pooling, a few calls) on every device.

    >>> [path_for(backend, "cpu") for backend in ("jax", "tensorflow", "torch")]
    ['cache', 'cache', 'whole']
    >>> path_for("jax", "gpu"), path_for("jax", "gpu", blocking="cache")
    ('whole', 'cache')
    """
    if blocking not in BLOCKINGS:
        raise InvalidValueError(f"blocking must be one of {list(BLOCKINGS)}, got {blocking!r}")
    if blocking != "auto":
        return blocking
    if backend == "torch":
        return "whole"
    return "cache" if platform == CPU else "whole"


def batch_path(blocking: str, x) -> str:
    """:func:`path_for` the current Keras backend and the platform that runs ``x``."""
    return path_for(keras.backend.backend(), platform_of(x), blocking)
