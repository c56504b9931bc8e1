"""The ``input_tensor`` and ``input_shape`` arguments: one check for every builder.

The constructors (raw pixels in: 1 or 3 channels, any size) and our own architectures
behind them (``keras_style.backbone_input``: 3 channels, at least the minimum size) ask
the same question with different bounds, so they share ``resolve_input_shape``.
"""

from __future__ import annotations

import numbers

import keras

from neurn_keras.errors import InvalidTypeError, InvalidValueError


def resolve_input_shape(
    name: str,
    input_shape,
    input_tensor,
    *,
    default: tuple[int, int, int],
    channels: tuple[int, ...] = (1, 3),
    min_size: int = 1,
) -> tuple[int, int, int]:
    """The ``(height, width, channels)`` a builder starts from.

    The shape of ``input_tensor`` when one is given (``input_shape``, if also given, must
    equal it), else ``input_shape``, else ``default``; checked to have known height and
    width of at least ``min_size`` and a channel count in ``channels``.

    Raises:
        TypeError: ``input_tensor`` is not a symbolic Keras tensor.
        ValueError: the shapes disagree, or the shape is out of bounds; the message
            names ``name`` and the bounds.
    """
    if input_tensor is not None:
        if not keras.utils.is_keras_tensor(input_tensor):
            raise InvalidTypeError(
                f"{name}: input_tensor must be a symbolic Keras tensor such as "
                f"keras.Input(shape=(32, 32, 3)), got {type(input_tensor).__name__}"
            )
        tensor_shape = tuple(input_tensor.shape[1:])
        if input_shape is not None and tuple(input_shape) != tensor_shape:
            raise InvalidValueError(
                f"{name}: input_shape={tuple(input_shape)} does not match "
                f"input_tensor of shape {tensor_shape}; pass input_shape=None or "
                f"input_shape={tensor_shape}"
            )
        input_shape = tensor_shape
    shape = tuple(default if input_shape is None else input_shape)
    valid = (
        len(shape) == 3
        and all(
            isinstance(size, numbers.Integral) and not isinstance(size, bool) and size >= min_size
            for size in shape[:2]
        )
        and shape[2] in channels
    )
    if not valid:
        raise InvalidValueError(
            f"{name}: input_shape must be (height, width, channels) with known height and "
            f"width{f' of at least {min_size}' if min_size > 1 else ''} and "
            f"{' or '.join(str(c) for c in channels)} channels, got {shape!r}"
        )
    return tuple(int(size) for size in shape)
