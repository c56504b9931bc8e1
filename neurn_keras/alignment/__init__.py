"""Deprecated: the comparison of networks with cortex is :mod:`neurn_keras.cortex`.

``neurn_keras.alignment`` and its modules are the same objects under their old names,
kept for one release; importing them warns (DeprecationWarning).
"""

from neurn_keras._deprecation import warn_moved

warn_moved(__name__, "neurn_keras.cortex")

from neurn_keras.cortex import *  # noqa: E402, F403
from neurn_keras.cortex import __all__ as _cortex_names  # noqa: E402
from neurn_keras.model_parts import has_neurn, walk_layers  # noqa: E402

__all__ = [*_cortex_names, "has_neurn", "walk_layers"]
