"""How the package starts: quiet TensorFlow, and no Keras at all for a command's ``--help``.

``import neurn_keras`` in a program or notebook imports Keras (and with it the backend) and
registers every custom layer. Our command-line tools (``python -m neurn_keras.<tool>``,
``neurn-<tool>``) start without Keras: they parse their arguments first, so ``--help``
and a bad argument answer at once, and import Keras when there is work to do.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

CONSOLE_SCRIPT_PREFIX = "neurn-"


def console_script_name(script: str | None = None) -> str | None:
    """``neurn-train`` when this process is one of our console scripts, else None."""
    script = (sys.argv[0] if sys.argv else "") if script is None else script
    name = Path(script or "").name
    return name if name.startswith(CONSOLE_SCRIPT_PREFIX) else None


def started_as_command(argv: list[str] | None = None, script: str | None = None) -> bool:
    """Whether this process is ``python -m neurn_keras.<tool>`` or a ``neurn-*`` script."""
    argv = list(getattr(sys, "orig_argv", sys.argv) if argv is None else argv)
    if "-m" in argv[:-1]:
        module = argv[argv.index("-m") + 1]
        return module.startswith("neurn_keras.")
    return console_script_name(script) is not None


@contextlib.contextmanager
def quiet_tensorflow_import():
    """Silences what TensorFlow prints to stderr while it loads (``NEURN_TF_LOGS=1`` keeps it).

    TensorFlow writes its startup lines (oneDNN, CUDA drivers) before its logging is set
    up, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them; they would bury the one-line errors
    of our command lines. ``TF_CPP_MIN_LOG_LEVEL`` defaults to 3 here, which hides the
    ``failed call to cuInit`` line of machines without a GPU (set it yourself to see
    TensorFlow's C++ errors). An import that fails still raises as usual.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if os.environ.get("NEURN_TF_LOGS") == "1" or "tensorflow" in sys.modules:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


BACKEND_PACKAGES = {
    "tensorflow": ("tensorflow", "pip install tensorflow"),
    "jax": ("jax", "pip install jax"),
    "torch": ("torch", "pip install torch"),
}
"""The package each Keras backend imports, and the command that installs it."""


def requested_backend() -> str:
    """The Keras backend this process will load: ``$KERAS_BACKEND``, else the ``backend``
    of Keras's config file (``$KERAS_HOME/keras.json``, ``~/.keras/keras.json``), else
    TensorFlow (Keras's default). Reads no Keras."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    import json

    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    with contextlib.suppress(OSError, ValueError, AttributeError):
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as handle:
            return json.load(handle).get("backend") or "tensorflow"
    return "tensorflow"


def check_backend_installed() -> None:
    """``MissingDependencyError`` (one line: the install command) when the requested Keras
    backend's package is not installed, before Keras fails on it with a traceback."""
    import importlib.util

    backend = requested_backend()
    package, install = BACKEND_PACKAGES.get(backend, (None, None))
    if package is not None and "keras" not in sys.modules and not importlib.util.find_spec(package):
        from neurn_keras.errors import MissingDependencyError

        raise MissingDependencyError(
            f"the Keras backend is {backend} (KERAS_BACKEND), but {package} is not installed: "
            f"{install}, or choose another backend (KERAS_BACKEND=tensorflow, jax or torch)"
        )


def import_keras():
    """Keras, its backend loaded quietly, and every custom layer of the package registered.

    ``MissingDependencyError`` when the requested backend is not installed."""
    check_backend_installed()
    with quiet_tensorflow_import():
        import keras

    import neurn_keras.applications
    import neurn_keras.layers  # noqa: F401  (registers NeuRN and the baselines)

    return keras
