"""Every error neurn_keras raises for bad input, as one family: :class:`NeurnError`.

Each class also derives from the built-in error a caller would expect (``ValueError``,
``FileNotFoundError``, ...), so ``except ValueError`` keeps working, while
``except NeurnError`` catches everything the library refuses. A message names the
thing, the value and the fix, and is always one line (:func:`one_line`).

Library code speaks in argument names (``RunConfig(kernel_size=4)`` is told about
``kernel_size``); the command-line tools (``neurn_keras.cli``, the only place that turns
errors into exit codes) show the same error with their flags (``--kernel-size 4``)
through :meth:`NeurnError.render`. Argument names inside a message are written between
backquotes, ```init_from```, so that each caller can show them its own way.

    >>> error = ArgumentError("kernel_size", 4, "must be an odd integer >= 1")
    >>> str(error)
    'kernel_size=4: must be an odd integer >= 1'
    >>> error.render(lambda name: "--" + name.replace("_", "-"))
    '--kernel-size 4: must be an odd integer >= 1'
    >>> one_line(OSError("no file\\n  x.npz"))
    'no file x.npz'
"""

from __future__ import annotations

import re
from collections.abc import Callable

_NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")


def one_line(error: BaseException) -> str:
    """An exception's message on one line (its type's name when it has none).

    A ``NeurnError``'s argument names stay in backquotes, so that a message built from it
    is shown with flags by a command line and with argument names by the library.
    """
    if isinstance(error, NeurnError):
        return error.template()
    return " ".join(str(error).split()) or type(error).__name__


class NeurnError(Exception):
    """Bad input to neurn_keras: its message names the thing, the value and the fix."""

    def render(self, name_of: Callable[[str], str] | None = None) -> str:
        """The message on one line, with each ```argument``` shown as ``name_of(argument)``."""
        show = name_of or (lambda name: name)
        return _NAME.sub(lambda match: show(match.group(1)), self.template())

    def template(self) -> str:
        return " ".join(str(self.args[0] if self.args else type(self).__name__).split())

    def __str__(self) -> str:
        return self.render()


# ---------------------------------------------------------------- arguments and values


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

    def template(self) -> str:
        return f"`{self.argument}` {_plain(self.value)}: {' '.join(self.problem.split())}"

    def render(self, name_of: Callable[[str], str] | None = None) -> str:
        if name_of is None:
            name, value = self.argument, f"={self.value!r}"
        else:
            name, value = name_of(self.argument), f" {_plain(self.value)}"
        problem = NeurnError.render(_Message(self.problem), name_of)
        return f"{name}{value}: {problem}"


class InvalidValueError(NeurnError, ValueError):
    """A value the library cannot use: an argument out of range, arrays that disagree."""


class InvalidTypeError(NeurnError, TypeError):
    """An argument of the wrong kind (a string where a sequence of tokens is expected)."""


class UnknownNameError(NeurnError, KeyError):
    """A name that is not among the choices (a model, a layer or a group of a result)."""


class MissingDependencyError(NeurnError, ImportError):
    """An optional package is needed and not installed; the message says what to install."""


# ---------------------------------------------------------------- files and data


class MissingFileError(NeurnError, FileNotFoundError):
    """A file or folder is not where it was looked for."""


class DataNotFoundError(MissingFileError):
    """A data set's files are not where they were looked for."""


class DatasetFormatError(NeurnError, ValueError):
    """A data file that exists but cannot be read as the data set it should hold."""


class NWBFormatError(NeurnError, ValueError):
    """An NWB file that is not a readable Allen Brain Observatory natural-scenes session."""


class NeuralFormatError(NeurnError, ValueError):
    """A compact neural file (``NAME.npz`` + ``NAME.csv``) whose parts do not agree."""


class UnknownCreLineError(InvalidValueError):
    """A Cre line that ``neurn_keras.neuro.cre_lines`` cannot place in a cell class."""


class ModelFileError(NeurnError, ValueError):
    """A file given as a model (``init_from``, ``weights``) is not what it should be."""


class ResultsError(NeurnError, ValueError):
    """A ``results.json`` that is not a valid run record."""


class RunDirectoryError(NeurnError):
    """A run directory holds something else (another run's settings, unrelated files)."""


# ---------------------------------------------------------------- downloads


class OfflineError(NeurnError, ConnectionError):
    """A download was refused because ``NEURN_OFFLINE=1``; no network was tried."""


class WeightsDownloadError(NeurnError, ConnectionError):
    """Keras could not download a backbone's ImageNet weights."""


class _Message(NeurnError):
    """A bare message template, for rendering the problem part of an ArgumentError."""


def _plain(value) -> str:
    if isinstance(value, (list, tuple)):
        return " ".join(_plain(item) for item in value)
    return "none" if value is None else str(value)


__all__ = [
    "ArgumentError",
    "DataNotFoundError",
    "DatasetFormatError",
    "InvalidTypeError",
    "InvalidValueError",
    "MissingDependencyError",
    "MissingFileError",
    "ModelFileError",
    "NWBFormatError",
    "NeuralFormatError",
    "NeurnError",
    "OfflineError",
    "ResultsError",
    "RunDirectoryError",
    "UnknownCreLineError",
    "UnknownNameError",
    "WeightsDownloadError",
    "one_line",
]
