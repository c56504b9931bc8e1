"""Groups of cells: all, cell class, area, Cre line, area and Cre line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from neurn_keras.errors import InvalidValueError

if TYPE_CHECKING:
    import pandas as pd

GROUPINGS = ("all", "cell_class", "area", "cre_line", "area_cre_line")
_COLUMNS = {
    "cell_class": ("cell_class",),
    "area": ("area",),
    "cre_line": ("cre_line",),
    "area_cre_line": ("area", "cre_line"),
}


def group_cells(cells: pd.DataFrame, by: str = "cell_class") -> dict[str, np.ndarray]:
    """Row indices of ``cells`` per group: label → int array, labels sorted.

    ``by`` is one of :data:`GROUPINGS`: ``"all"`` (one group), ``"cell_class"``,
    ``"area"``, ``"cre_line"`` or ``"area_cre_line"`` (labels ``"VISp/Cux2-CreERT2"``).
    """
    if by not in GROUPINGS:
        raise InvalidValueError(f"group_cells: by must be one of {list(GROUPINGS)}, got {by!r}")
    if by == "all":
        return {"all": np.arange(len(cells))}
    columns = list(_COLUMNS[by])
    missing = [c for c in columns if c not in cells.columns]
    if missing:
        raise InvalidValueError(f"group_cells: the cell table has no columns {missing}")
    labels = cells[columns].astype(str).agg("/".join, axis=1).to_numpy()
    return {label: np.flatnonzero(labels == label) for label in sorted(set(labels))}
