"""Saving figures: one function for every figure the package writes."""

from __future__ import annotations

import os
from pathlib import Path

from neurn_keras.files import atomic_save_figure


def save_figure(
    figure, path: str | os.PathLike, dpi: int = 150, close: bool = True, **kwargs
) -> Path:
    """Saves a matplotlib figure atomically (temporary file, then rename) and closes it.

    The format follows ``path``'s suffix; the figure is cropped to its contents
    (``bbox_inches="tight"``). ``**kwargs`` go to ``Figure.savefig``.

    Args:
        figure: a matplotlib ``Figure`` (a seaborn grid's ``.figure``).
        path: the file to write; its folder is created.
        dpi: resolution.
        close: close the figure afterwards (also when saving fails), freeing its memory.

    Returns:
        ``path`` as a ``Path``.
    """
    try:
        return atomic_save_figure(figure, path, **{"dpi": dpi, "bbox_inches": "tight", **kwargs})
    finally:
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)


__all__ = ["save_figure"]
