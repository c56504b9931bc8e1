"""Packages whose public names are imported from their modules on first use.

A command line (``python -m neurn_keras.cortex``) imports its package before it parses
its arguments; with the names loaded lazily, ``--help`` and a bad argument answer before
Keras, TensorFlow or pandas load.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(
    package: str,
    exports: Mapping[str, Sequence[str]],
    modules: Sequence[str] = (),
    before: Callable[[str], None] | None = None,
) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``: the one way a package
    of neurn_keras loads names on first use.

    Args:
        package: the package's ``__name__``.
        exports: module (relative to the package) -> the names imported from it when
            first asked for, then kept in the package. No such name may be that of a
            module of the package (importing the module would hide it).
        modules: subpackages or modules offered as attributes themselves
            (``neurn_keras.cortex``), imported on first use.
        before: called with the name before anything is imported for it (e.g. to load
            Keras quietly first).
    """
    module_of = {name: module for module, names in exports.items() for name in names}
    found = {info.name for info in pkgutil.iter_modules(sys.modules[package].__path__)}
    clash = sorted(set(module_of) & found)
    if clash:
        raise ImportError(f"{package}: exported names {clash} are also module names")

    def __getattr__(name: str):
        if name not in module_of and name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if before is not None:
            before(name)
        if name in modules:
            return importlib.import_module(f"{package}.{name}")
        value = getattr(importlib.import_module(f"{package}.{module_of[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *module_of, *modules})

    return __getattr__, __dir__, sorted({*module_of, *modules})
