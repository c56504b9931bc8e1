"""Figures of what NeuRN does to images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np

from neurn_keras.errors import InvalidValueError
from neurn_keras.layers import NeuRN


def neurn_gallery(
    images: Mapping[str, np.ndarray],
    kernel_sizes: Sequence[int] = (3, 5, 9),
    paddings: Sequence[str] = ("reflect", "zeros"),
    title: str | None = None,
):
    """A grid: one row per image, its raw pixels, then NeuRN for every (padding, k).

    Args:
        images: row label -> one image (H, W) or (H, W, C), raw 0..255 pixels.
        kernel_sizes: window sizes to show.
        paddings: NeuRN paddings to show.
        title: the figure's title (default: says the columns are NeuRN's output).

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if not images:
        raise InvalidValueError("neurn_gallery: no images given")
    settings = [(padding, k) for padding in paddings for k in kernel_sizes]
    fig, axes = plt.subplots(
        len(images),
        1 + len(settings),
        figsize=(1.6 * (1 + len(settings)), 1.7 * len(images) + 0.6),
        squeeze=False,
    )
    for row, (label, image) in enumerate(images.items()):
        image = np.asarray(image)
        batch = (image[..., None] if image.ndim == 2 else image)[None]
        shown = [batch[0]] + [
            keras.ops.convert_to_numpy(NeuRN(k, padding=padding)(batch))[0]
            for padding, k in settings
        ]
        for col, panel in enumerate(shown):
            ax = axes[row, col]
            gray = panel.shape[-1] == 1
            data = panel[..., 0] if gray else panel / (255.0 if col == 0 else 1.0)
            ax.imshow(data, cmap="gray" if gray else None, vmin=0, vmax=255 if col == 0 else 1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                heading = (
                    "raw pixels"
                    if col == 0
                    else "NeuRN k={1}\n{0} padding".format(*settings[col - 1])
                )
                ax.set_title(heading, fontsize=8)
        axes[row, 0].set_ylabel(label, fontsize=9)
    fig.suptitle(
        title
        or "NeuRN output: the k×k local standard deviation over the image's largest, in [0, 1]\n"
        "first column: the raw image; then NeuRN with each padding and window size k",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
