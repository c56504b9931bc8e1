"""Deprecated alias of :mod:`neurn_keras.cortex.sampling` (removed in the next release)."""

from neurn_keras._deprecation import alias_module

alias_module(__name__, "neurn_keras.cortex.sampling")
