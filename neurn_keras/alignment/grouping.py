"""Deprecated: split into :mod:`neurn_keras.cortex.grouping` (cells) and
:mod:`neurn_keras.cortex.models` (model pairs) (removed in the next release).
"""

from neurn_keras._deprecation import warn_moved

warn_moved(__name__, "neurn_keras.cortex.grouping")

from neurn_keras.cortex.grouping import GROUPINGS, group_cells  # noqa: E402
from neurn_keras.cortex.models import (  # noqa: E402
    architecture_signature,
    check_pairs,
    pair_models,
)
from neurn_keras.model_parts import has_neurn  # noqa: E402

__all__ = [
    "GROUPINGS",
    "architecture_signature",
    "check_pairs",
    "group_cells",
    "has_neurn",
    "pair_models",
]
