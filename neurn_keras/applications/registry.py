"""The registry: every declared backbone's constructor and family, in the declared order.

``register_family`` joins a backbone's declaration (``neurn_keras.backbones``) to the
function that builds it, makes the public constructor (``builder.make_constructor``) and
records both under the backbone's name in ``BACKBONES`` and ``FAMILIES``. Both follow the
order of ``neurn_keras.backbones.NAMES`` whatever order the family modules are imported
in, and only declared backbones can be registered; ``check_complete`` (run when
``neurn_keras.applications`` is imported) makes sure none is missing.
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
"""Registry: name -> ``Family``, in the same order."""


def _sort_by_declaration(registry: dict) -> None:
    items = sorted(registry.items(), key=lambda item: backbones.order(item[0]))
    registry.clear()
    registry.update(items)


def register_family(
    name: str, build: Callable[..., keras.Model], options_doc: str = ""
) -> Callable[..., keras.Model]:
    """Joins declared backbone ``name`` to ``build``, makes its public constructor and
    records both in the registries."""
    family = Family(backbones.get(name), build, options_doc)  # error for an undeclared name
    if name in FAMILIES:
        raise InvalidValueError(f"backbone {name!r} is already registered")
    constructor = make_constructor(family)
    FAMILIES[name] = family
    BACKBONES[name] = constructor
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
    """The ``Family`` registered under ``name``; an error naming the choices otherwise."""
    backbones.get(name)  # names the declared choices
    return FAMILIES[name]


def min_input_size(name: str) -> int:
    """Smallest input height and width backbone ``name`` accepts (smaller is resized up)."""
    return backbones.get(name).min_size
