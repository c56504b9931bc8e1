"""Deprecated: :mod:`neurn_keras.archsim.needleman_wunsch` (removed in the next release).

``align`` is :func:`~neurn_keras.archsim.needleman_wunsch.needleman_wunsch` there.
"""

from neurn_keras._deprecation import warn_moved

warn_moved(__name__, "neurn_keras.archsim.needleman_wunsch")

from neurn_keras.archsim.needleman_wunsch import GAP, Alignment  # noqa: E402
from neurn_keras.archsim.needleman_wunsch import needleman_wunsch as align  # noqa: E402

__all__ = ["GAP", "Alignment", "align"]
