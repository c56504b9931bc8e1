"""The errors the library raises for bad input, named in the caller's terms.

Library code speaks in argument names (``RunConfig(kernel_size=4)`` is told about
``kernel_size``); the command-line tools translate the same error into their flags
(``--kernel-size 4``) with :meth:`ArgumentError.render`. Argument names inside a
message are written between backquotes, ```init_from```, so that each caller can show
them its own way.

    >>> error = ArgumentError("kernel_size", 4, "must be an odd integer >= 1")
    >>> str(error)
    'kernel_size=4: must be an odd integer >= 1'
    >>> error.render(lambda name: "--" + name.replace("_", "-"))
    '--kernel-size 4: must be an odd integer >= 1'
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")


class NeurnError(Exception):
    """Bad input to neurn_keras: its message names the thing, the value and the fix."""

    def render(self, name_of: Callable[[str], str] | None = None) -> str:
        """The message, with each ```argument``` shown as ``name_of(argument)``."""
        show = name_of or (lambda name: name)
        return _NAME.sub(lambda match: show(match.group(1)), self.template())

    def template(self) -> str:
        return " ".join(str(self.args[0] if self.args else type(self).__name__).split())

    def __str__(self) -> str:
        return self.render()


class ArgumentError(NeurnError, ValueError):
    """An argument has a bad value.

    Args:
        argument: the argument's name (a ``RunConfig`` field, a function parameter).
        value: its value, shown as ``argument=value`` (or ``--flag value`` by a CLI).
        problem: what is wrong and how to fix it; other arguments in backquotes.
    """

    def __init__(self, argument: str, value, problem: str):
        super().__init__(argument, value, problem)
        self.argument, self.value, self.problem = argument, value, problem

    def render(self, name_of: Callable[[str], str] | None = None) -> str:
        if name_of is None:
            name, value = self.argument, f"={self.value!r}"
        else:
            name, value = name_of(self.argument), f" {_plain(self.value)}"
        problem = NeurnError.render(_Message(self.problem), name_of)
        return f"{name}{value}: {problem}"


class DataNotFoundError(NeurnError, FileNotFoundError):
    """A data set's files are not where they were looked for."""


class RunDirectoryError(NeurnError):
    """A run directory holds something else (another run's settings, unrelated files)."""


class ModelFileError(NeurnError):
    """A file given as a model (``init_from``, ``weights``) is not what it should be."""


class _Message(NeurnError):
    """A bare message template, for rendering the problem part of an ArgumentError."""


def _plain(value) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(_plain(item) for item in value)
    return "none" if value is None else str(value)


__all__ = [
    "ArgumentError",
    "DataNotFoundError",
    "ModelFileError",
    "NeurnError",
    "RunDirectoryError",
]
