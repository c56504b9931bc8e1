"""The options of ``train`` and ``sweep``, made from ``RunConfig``'s fields.

Each field of :class:`~neurn_keras.training.RunConfig` that documents itself becomes one
option (``kernel_size`` -> ``--kernel-size``; see :mod:`neurn_keras.training.command_line`),
in the ``--help`` section its ``group`` names. ``sweep`` takes the fields it varies in the
plural (``--kernel-sizes 3 5``). Every option defaults to "not given", so that a
``--protocol`` preset fills what the user did not give and ``RunConfig``'s own defaults
the rest: a sweep cell runs with exactly the settings ``train`` gives the same flags.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping

from neurn_keras.training.command_line import FieldSpec, field_specs, flag
from neurn_keras.training.config import RunConfig

GROUP_TITLES = {"model": "model", "data": "data", "training": "training"}
"""The ``--help`` sections, in order, by the ``group`` of each field."""
VARIED = ("backbone", "source", "seed", "input_norm", "kernel_size", "padding", "augment")
"""The fields a sweep varies, each given in the plural (``--backbones``, ``--seeds``)."""
SWEEP_SEEDS = (0, 1, 2)


def specs() -> tuple[FieldSpec, ...]:
    return field_specs(RunConfig)


def plural(name: str) -> str:
    """A varied field's sweep flag: ``kernel_size`` -> ``--kernel-sizes``."""
    return flag(name) + "s"


SWEEP_FLAGS = {name: plural(name) for name in VARIED}
"""Errors about a varied field name the flag the sweep's user typed."""


def checked(spec: FieldSpec) -> Callable[[str], str]:
    """An argparse ``type`` that checks one word of ``spec``'s value and keeps the text
    (``settings`` converts it, with the same rules as ``RunConfig.to_argv`` wrote it)."""

    def check(text: str) -> str:
        try:
            spec.parse_one(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text

    check.__name__ = spec.name  # argparse names the type in some messages
    return check


def help_text(spec: FieldSpec, default=None) -> str:
    """The field's help, with its default (escaped for argparse's % formatting)."""
    value = spec.default if default is None else default
    shown = "" if value is None and spec.none_word == "none" else " ".join(spec.format(value))
    if spec.kind is bool:
        shown = "on" if value else "off"
    text = spec.help + (f" (default {shown})" if shown else "")
    return text.replace("%", "%%")


def option_arguments(spec: FieldSpec) -> dict:
    """``add_argument`` keywords for ``spec``: not given by default, typed, documented."""
    kwargs: dict = {"default": argparse.SUPPRESS, "help": help_text(spec)}
    if spec.kind is bool:
        return {**kwargs, "action": argparse.BooleanOptionalAction}
    kwargs["type"] = checked(spec)
    if spec.count is not None:
        kwargs["nargs"] = spec.count
    if spec.choices is not None and spec.count is None:
        kwargs["choices"] = [str(choice) for choice in spec.choices]
    if spec.metavar is not None:
        kwargs["metavar"] = spec.metavar
    return kwargs


def sections(parser: argparse.ArgumentParser, title: str = "{}") -> dict:
    """The ``--help`` sections of the fields' options, by group (``title`` formats names)."""
    return {
        key: parser.add_argument_group(title.format(name)) for key, name in GROUP_TITLES.items()
    }


def add_field_options(
    into_sections: Mapping[str, argparse._ActionsContainer],
    skip: Iterable[str] = (),
    into: Mapping[str, argparse._ActionsContainer] | None = None,
) -> None:
    """One option per documented ``RunConfig`` field not in ``skip``, in the section of its
    group; ``into`` puts a field's option elsewhere (a mutually exclusive group)."""
    for spec in specs():
        if spec.name in skip:
            continue
        container = (into or {}).get(spec.name) or into_sections[spec.group]
        container.add_argument(spec.flag, **option_arguments(spec))


def add_sweep_axes(group: argparse._ArgumentGroup, norms: argparse._ActionsContainer) -> None:
    """``--backbones --sources --seeds --input-norms --kernel-sizes --paddings --augments``:
    the values a sweep crosses (``--input-norms`` in ``norms``, beside ``--neurn``)."""
    for spec in specs():
        if spec.name not in VARIED:
            continue
        default = list(SWEEP_SEEDS) if spec.name == "seed" else [spec.default]
        kwargs = option_arguments(spec)
        kwargs.update(nargs="+", default=default, help=_sweep_help(spec, default))
        if spec.choices is not None:
            kwargs["metavar"] = spec.name.upper()
        target = norms if spec.name == "input_norm" else group
        if spec.name == "input_norm":
            kwargs.update(default=None, help=spec.help + ", instead of --neurn")
        target.add_argument(plural(spec.name), **kwargs)


def _sweep_help(spec: FieldSpec, default: list) -> str:
    values = " ".join(" ".join(spec.format(value)) for value in default)
    return f"{spec.help}, each a cell (default {values})".replace("%", "%%")


def settings(args: argparse.Namespace, skip: Iterable[str] = ()) -> dict:
    """The ``RunConfig`` fields the user gave, as values (``protocol`` among them)."""
    found = {}
    for spec in specs():
        if spec.name in skip or not hasattr(args, spec.name):
            continue
        found[spec.name] = spec.parse(getattr(args, spec.name))
    return found


def sweep_values(args: argparse.Namespace, name: str) -> list:
    """The values of varied field ``name`` given to the sweep, converted."""
    spec = next(spec for spec in specs() if spec.name == name)
    texts = getattr(args, plural(name)[2:].replace("-", "_"))
    return None if texts is None else [spec.parse_one(str(text)) for text in texts]


def config_from_settings(settings: Mapping) -> RunConfig:
    """``RunConfig`` from given fields, a ``protocol``'s preset filling what is not given."""
    settings = dict(settings)
    protocol = settings.pop("protocol", None)
    if protocol is None:
        return RunConfig(**settings)
    return RunConfig.for_protocol(protocol, **settings)
