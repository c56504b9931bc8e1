"""Argument checks and the dtype rule that the image layers share (one-line errors)."""

from __future__ import annotations

from neurn_keras.errors import InvalidValueError


def work_dtype(compute_dtype: str) -> str:
    """The dtype the augmentations compute in: float64 if asked for, else float32."""
    return "float64" if compute_dtype == "float64" else "float32"


def check_choice(layer: str, name: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidValueError(f"{layer}: {name} must be one of {list(allowed)}, got {value!r}")
    return value


def check_number(layer: str, name: str, value, low: float, high: float) -> float:
    """A real number in the closed interval [low, high] (bools are refused)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not low <= value <= high:
        raise InvalidValueError(
            f"{layer}: {name} must be a number in [{low}, {high}], got {value!r}"
        )
    return float(value)


def check_int(layer: str, name: str, value, low: int, odd: bool = False) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if not ok or (odd and value % 2 == 0):
        kind = "an odd int" if odd else "an int"
        raise InvalidValueError(f"{layer}: {name} must be {kind} >= {low}, got {value!r}")
    return value


def check_bool(layer: str, name: str, value) -> bool:
    if not isinstance(value, bool):
        raise InvalidValueError(f"{layer}: {name} must be True or False, got {value!r}")
    return value


def check_seed(layer: str, value) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidValueError(f"{layer}: seed must be an int or None, got {value!r}")
    return value


def check_images(layer: str, input_shape) -> int:
    """Checks a (batch, H, W, C) shape and returns C."""
    if len(input_shape) != 4:
        raise InvalidValueError(
            f"{layer} expects images (batch, height, width, channels), "
            f"got an input of shape {tuple(input_shape)}"
        )
    if input_shape[-1] is None:
        raise InvalidValueError(f"{layer}: the channel dimension must be known, got None")
    return int(input_shape[-1])
