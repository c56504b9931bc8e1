"""Deprecated: split into :mod:`neurn_keras.cortex.rdms` and :mod:`neurn_keras.cortex.rsa`
(removed in the next release).
"""

from neurn_keras._deprecation import warn_moved

warn_moved(__name__, "neurn_keras.cortex.rsa")

from neurn_keras.cortex.rdms import compare_rdms, rdm, upper_triangle  # noqa: E402
from neurn_keras.cortex.rsa import RSAResult, rsa_scores  # noqa: E402

__all__ = ["RSAResult", "compare_rdms", "rdm", "rsa_scores", "upper_triangle"]
