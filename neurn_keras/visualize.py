"""Figures of what NeuRN does to images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np

from neurn_keras.layers import NeuRN


def neurn_gallery(
    images: Mapping[str, np.ndarray],
    kernel_sizes: Sequence[int] = (3, 5, 9),
    paddings: Sequence[str] = ("reflect", "zeros"),
):
    """A grid: one row per image, its raw pixels, then NeuRN for every (padding, k).

    Args:
        images: row label -> one image (H, W) or (H, W, C), raw 0..255 pixels.
        kernel_sizes: window sizes to show.
        paddings: NeuRN paddings to show.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if not images:
        raise ValueError("neurn_gallery: no images given")
    settings = [(padding, k) for padding in paddings for k in kernel_sizes]
    fig, axes = plt.subplots(
        len(images),
        1 + len(settings),
        figsize=(1.6 * (1 + len(settings)), 1.7 * len(images)),
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
                title = "raw" if col == 0 else "{}\nk={}".format(*settings[col - 1])
                ax.set_title(title, fontsize=8)
        axes[row, 0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig
