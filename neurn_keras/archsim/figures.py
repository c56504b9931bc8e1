"""The clustered similarity heatmap (the paper's Figure 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from neurn_keras.errors import InvalidValueError

DEFAULT_TITLE = (
    "Architecture similarity: layer-type sequences aligned (Needleman–Wunsch)\n"
    "index = matched layers / alignment length (1 = identical)\n"
    "rows and columns clustered by {method} linkage on 1 − index"
)


def clustermap(
    matrix: pd.DataFrame, method: str = "average", title: str | None = None, **kwargs
) -> sns.matrix.ClusterGrid:
    """Heatmap of a similarity matrix, rows and columns ordered by hierarchical clustering.

    The clustering uses the distance ``1 - similarity`` itself (not distances between
    rows of the matrix), with ``method`` linkage (default ``"average"``, UPGMA).

    Args:
        matrix: square, symmetric DataFrame of similarity indices in [0, 1], labelled.
        method: ``scipy.cluster.hierarchy.linkage`` method.
        title: the figure's title (default: what the index is and how it is clustered).
        **kwargs: passed to ``seaborn.clustermap`` (e.g. ``cmap``, ``figsize``).

    Returns:
        The seaborn ``ClusterGrid``; its ``.figure`` is the matplotlib figure.
    """
    values = matrix.to_numpy(dtype=float)
    n = len(matrix)
    if values.shape != (n, n) or n < 2 or list(matrix.index) != list(matrix.columns):
        raise InvalidValueError(
            f"clustermap: need a square similarity matrix with the same labels on both "
            f"axes and at least 2 rows, got shape {values.shape}"
        )
    if not np.allclose(values, values.T):
        raise InvalidValueError("clustermap: the similarity matrix is not symmetric")
    distances = 1.0 - values
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform(distances, checks=False), method=method)
    side = max(6.0, 0.17 * n + 3.0)
    options = {
        "row_linkage": tree,
        "col_linkage": tree,
        "vmin": 0.0,
        "vmax": 1.0,
        "cmap": "viridis",
        "figsize": (side, side),
        "xticklabels": True,
        "yticklabels": True,
        "dendrogram_ratio": 0.15,
        "cbar_pos": (0.02, 0.87, 0.025, 0.11),
        "cbar_kws": {"label": "similarity index"},
    }
    options.update(kwargs)
    grid = sns.clustermap(matrix, **options)
    grid.ax_heatmap.set_xlabel("")
    grid.ax_heatmap.set_ylabel("")
    # above the colour bar's label, which can be taller than the bar in a small figure
    top = 1.0 + 0.4 / grid.figure.get_figheight()
    grid.figure.suptitle(
        title or DEFAULT_TITLE.format(method=method), y=top, va="bottom", fontsize=11
    )
    return grid
