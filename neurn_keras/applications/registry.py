"""The registry: every declared backbone's constructor and family, in the declared order.

``register_family`` makes a family's public constructor (``builder.make_constructor``)
and records it under its name in ``BACKBONES`` and ``FAMILIES``. Both follow the order
of ``neurn_keras.backbones.NAMES`` whatever order the family modules are imported in,
and only declared backbones, as declared, can be registered; ``check_complete`` (run
when ``neurn_keras.applications`` is imported) makes sure none is missing.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from neurn_keras import backbones
from neurn_keras.applications.builder import make_constructor
from neurn_keras.applications.family import Family
from neurn_keras.errors import InvalidValueError

BACKBONES: dict[str, Callable[..., keras.Model]] = {}
"""Registry: name -> constructor, in the order of ``neurn_keras.backbones.NAMES``."""

FAMILIES: dict[str, Family] = {}
"""Registry: name -> ``Family`` definition, in the same order."""


def _sort_by_declaration(registry: dict) -> None:
    items = sorted(registry.items(), key=lambda item: backbones.order(item[0]))
    registry.clear()
    registry.update(items)


def register_family(family: Family) -> Callable[..., keras.Model]:
    """Makes the public constructor of ``family`` and records it in the registries."""
    backbones.get(family.name)  # ValueError for an undeclared name
    if family.name in FAMILIES:
        raise InvalidValueError(f"backbone {family.name!r} is already registered")
    differences = family.differences()
    if differences:
        raise InvalidValueError(
            f"backbone {family.name!r}: the family disagrees with its declaration in "
            f"neurn_keras.backbones: {'; '.join(differences)}; make it with "
            f"Family.declared({family.name!r}, backbone)"
        )
    constructor = make_constructor(family)
    FAMILIES[family.name] = family
    BACKBONES[family.name] = constructor
    _sort_by_declaration(FAMILIES)
    _sort_by_declaration(BACKBONES)
    return constructor


def check_complete() -> None:
    """Raises RuntimeError if a declared backbone has no registered family."""
    missing = [name for name in backbones.NAMES if name not in FAMILIES]
    if missing:
        raise RuntimeError(
            f"neurn_keras.backbones declares {', '.join(missing)} but no module of "
            "neurn_keras.applications registers a family for it"
        )


def family_of(name: str) -> Family:
    """The ``Family`` registered under ``name``; ValueError naming the choices otherwise."""
    backbones.get(name)  # ValueError naming the declared choices
    return FAMILIES[name]


def min_input_size(name: str) -> int:
    """Smallest input height and width backbone ``name`` accepts (smaller is resized up)."""
    return backbones.get(name).min_size
