"""A deterministic, seeded, stratified train/validation split (for early stopping)."""

from __future__ import annotations

import numpy as np

from neurn_keras.datasets.formats import Arrays
from neurn_keras.errors import InvalidValueError


def train_val_split(
    x: np.ndarray, y: np.ndarray, val_fraction: float = 0.1, seed: int = 0
) -> tuple[Arrays, Arrays]:
    """Hold out ``val_fraction`` of ``(x, y)``, stratified by label, the same way every time.

    Uses scikit-learn's ``StratifiedShuffleSplit`` (validation size
    ``ceil(val_fraction * N)``, each class in proportion). Both parts keep the order of
    the arrays passed in.

    Args:
        x, y: examples and integer labels of equal length; every class needs at least
            two examples.
        val_fraction: in (0, 1).
        seed: the split for a given ``(y, val_fraction, seed)`` never changes.

    Returns:
        ``(x_train, y_train), (x_val, y_val)``.
    """
    from sklearn.model_selection import StratifiedShuffleSplit

    y = np.asarray(y)
    if len(x) != len(y):
        raise InvalidValueError(f"x has {len(x)} examples but y has {len(y)}")
    if not 0 < val_fraction < 1:
        raise InvalidValueError(f"val_fraction={val_fraction!r} must be in (0, 1)")
    counts = np.unique(y, return_counts=True)
    if counts[1].min() < 2:
        rare = counts[0][counts[1].argmin()]
        raise InvalidValueError(f"class {rare} has a single example; a stratified split needs two")
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=val_fraction, random_state=seed)
    train, val = next(splitter.split(np.zeros(len(y)), y))
    train, val = np.sort(train), np.sort(val)
    return (x[train], y[train]), (x[val], y[val])
