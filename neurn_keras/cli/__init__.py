"""What the command-line tools share: one-line errors with exit code 2, Ctrl-C, arg types.

Every ``python -m neurn_keras.<tool>`` parses with :class:`Parser` and runs its body
through :func:`run_cli`: bad input is one line on stderr and exit code 2 (never a
traceback), an interrupted run exits with 130 after saying what was kept. The library's
errors (``neurn_keras.errors``) name arguments; here they are shown with the tool's
flags (``kernel_size=4`` becomes ``--kernel-size 4``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping

from neurn_keras._startup import console_script_name, import_keras
from neurn_keras.errors import NeurnError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(NeurnError):
    """Bad input that only a command line can give (flags that do not go together).

    Like every ``NeurnError``, the tools print its message on one line and exit with
    code 2; the message names the thing, the value and the fix.
    """


def invoked_as(prog: str) -> str:
    """The tool's name as the user typed it: ``neurn-train`` for the console script, else
    ``prog`` (``python -m neurn_keras.train``)."""
    return console_script_name() or prog


class Parser(argparse.ArgumentParser):
    """``ArgumentParser`` whose errors are one line (no usage block) with exit code 2."""

    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        if "prog" in kwargs:
            kwargs["prog"] = invoked_as(kwargs["prog"])
        super().__init__(**kwargs)

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be >= 1")
    return value


def limit(text: str) -> int | None:
    """A positive image count, or ``all`` (None)."""
    return None if text.lower() == "all" else positive_int(text)


def fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be between 0 and 1")
    return value


def positive_float(text: str) -> float:
    """A number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return value


def size_hw(text: str) -> tuple[int, int]:
    """An image size written ``HxW`` (e.g. ``31x31``), both >= 1."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 31x31, got {text!r}") from None
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(f"sizes must be >= 1, got {text!r}")
    return height, width


def flag(argument: str, flags: Mapping[str, str] | None = None) -> str:
    """The command-line flag of a library argument: ``kernel_size`` -> ``--kernel-size``."""
    return (flags or {}).get(argument) or "--" + argument.replace("_", "-")


def as_flags(message: str, flags: Mapping[str, str] | None = None) -> str:
    """A library message on one line, its backquoted ```argument``` names shown as flags."""
    return NeurnError(message).render(lambda name: flag(name, flags))


def run_cli(
    prog: str,
    body: Callable[[], int],
    interrupted: str = "run the same command again to resume",
    flags: Mapping[str, str] | None = None,
    needs_keras: bool = True,
) -> int:
    """Runs ``body``: bad input -> one line and exit 2, Ctrl-C -> ``interrupted``, 130.

    Bad input is a ``neurn_keras.errors.NeurnError`` (``UsageError`` is one), whose
    argument names are shown as flags (``flags`` maps the ones that are not
    ``--`` + the name with dashes). Keras is imported here, after the arguments were
    parsed, unless ``needs_keras`` is false.
    """
    prog = invoked_as(prog)
    try:
        if needs_keras:
            import_keras()
        return body()
    except NeurnError as error:
        message = error.render(lambda name: flag(name, flags))
        print(f"{prog}: error: {' '.join(message.split())}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; {interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
