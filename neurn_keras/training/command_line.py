"""A configuration dataclass on the command line: one flag per field, values as text and back.

The flag of field ``kernel_size`` is ``--kernel-size``; its value is written and read by
its type annotation (``int``, ``float``, ``str``, ``bool``, ``X | None``, ``tuple``).
Both command lines of ``neurn_keras.cli`` (``train`` and ``sweep``) build their options
from these specs, and ``RunConfig.to_argv`` writes a configuration with them, so the
mapping between fields and flags is stated once, by the dataclass itself (as DomainBed
builds ``--{key} {value}`` from its arguments).

A field's ``metadata`` documents it: ``help`` (required), ``group``, ``metavar``,
``choices`` and ``none`` (the word that means None, ``"none"`` unless given, e.g.
``"all"`` for an image count).

>>> from dataclasses import dataclass, field
>>> @dataclass
... class Example:
...     kernel_size: int = field(default=5, metadata={"help": "window"})
...     limit: int | None = field(default=None, metadata={"help": "images", "none": "all"})
>>> [spec.flag for spec in field_specs(Example)]
['--kernel-size', '--limit']
>>> field_specs(Example)[1].parse("all"), field_specs(Example)[1].format(250)
(None, ['250'])
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neurn_keras.errors import InvalidTypeError, InvalidValueError

NONE_WORD = "none"


def flag(name: str) -> str:
    """The command-line flag of a field or argument: ``kernel_size`` -> ``--kernel-size``."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class FieldSpec:
    """How one field is written on a command line.

    Attributes:
        name: the field's name.
        kind: the type of one value: ``int``, ``float``, ``str`` or ``bool``.
        optional: whether the field may be None (written as ``none_word``).
        count: None for a single value, ``"+"`` for one or more, or an exact count.
        default: the field's default.
        help: what the field means (its documentation).
        group: the section of ``--help`` it belongs in.
        metavar: how ``--help`` names its value.
        choices: the allowed values, where there is a short list.
        none_word: the word that stands for None (an empty tuple for sequences).
    """

    name: str
    kind: type
    optional: bool
    count: int | str | None
    default: Any
    help: str
    group: str = "options"
    metavar: str | tuple[str, ...] | None = None
    choices: tuple | None = None
    none_word: str = NONE_WORD

    @property
    def flag(self) -> str:
        return flag(self.name)

    def parse_one(self, text: str):
        """One value from its text; ``ValueError`` naming what was expected."""
        if self.optional and self.count is None and text.lower() == self.none_word:
            return None
        if self.kind is int:
            try:
                return int(text)
            except ValueError:
                raise InvalidValueError(f"{text!r} is not an integer") from None
        if self.kind is float:
            try:
                return float(text)
            except ValueError:
                raise InvalidValueError(f"{text!r} is not a number") from None
        return text

    def parse(self, values: str | Sequence[str]):
        """The field's value from the text of its command-line value(s)."""
        if self.count is None:
            return self.parse_one(values)
        if self.optional and [v.lower() for v in values] == [self.none_word]:
            return ()
        return tuple(self.parse_one(v) for v in values)

    def format(self, value) -> list[str]:
        """The command-line words after the flag that give ``value`` back through ``parse``."""
        if self.count is not None:
            return [str(v) for v in value] if value else [self.none_word]
        if value is None:
            return [self.none_word]
        return [repr(value) if self.kind is float else str(value)]

    def argv(self, value) -> list[str]:
        """``value`` as command-line words, flag first (``--no-…`` for a false bool)."""
        if self.kind is bool:
            return [self.flag if value else "--no-" + self.flag[2:]]
        return [self.flag, *self.format(value)]


@functools.cache
def field_specs(cls: type) -> tuple[FieldSpec, ...]:
    """The command-line spec of every field of dataclass ``cls`` that has a ``help``."""
    hints = typing.get_type_hints(cls)
    specs = []
    for item in dataclasses.fields(cls):
        if "help" not in item.metadata:
            continue
        kind, optional, count = _describe(hints[item.name], item.name)
        meta = item.metadata
        default = item.default
        if default is dataclasses.MISSING and item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        specs.append(
            FieldSpec(
                name=item.name,
                kind=kind,
                optional=optional,
                count=count,
                default=default,
                help=meta["help"],
                group=meta.get("group", "options"),
                metavar=meta.get("metavar"),
                choices=meta.get("choices"),
                none_word=meta.get("none", NONE_WORD),
            )
        )
    return tuple(specs)


def spec_of(cls: type, name: str) -> FieldSpec:
    """The spec of field ``name`` of ``cls``."""
    for spec in field_specs(cls):
        if spec.name == name:
            return spec
    raise InvalidValueError(f"{cls.__name__} has no command-line field {name!r}")


def to_argv(config, base=None) -> list[str]:
    """``config`` (a dataclass instance) as command-line words, one flag per field.

    A field that is None where ``base`` (default: the dataclass's defaults) is None too is
    left out, so that a value meaning "not set" needs no word of its own.
    """
    words = []
    for spec in field_specs(type(config)):
        value = getattr(config, spec.name)
        unset = spec.default if base is None else getattr(base, spec.name)
        if value is None and unset is None:
            continue
        words += spec.argv(value)
    return words


def _describe(hint, name: str) -> tuple[type, bool, int | str | None]:
    """``(kind, optional, count)`` of a type annotation."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        optional = len(options) < len(typing.get_args(hint))
        if len(options) != 1:
            raise InvalidTypeError(f"{name}: cannot write {hint} on a command line")
        hint = options[0]
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0], optional, "+"
        if len(set(args)) == 1:
            return args[0], optional, len(args)
        raise InvalidTypeError(f"{name}: cannot write {hint} on a command line")
    if hint not in (int, float, str, bool):
        raise InvalidTypeError(f"{name}: cannot write {hint} on a command line")
    return hint, optional, None
