"""Deprecated: ``python -m neurn_keras.align`` is ``python -m neurn_keras.cortex`` now.

Run, it warns (FutureWarning) and runs :mod:`neurn_keras.cli.cortex`; imported, it warns
(DeprecationWarning) and gives that tool's ``build_parser``, ``run`` and ``main``. Both go
in the next release.
"""

from neurn_keras.cli.cortex import build_parser, main, run

if __name__ == "__main__":
    from neurn_keras._deprecation import run_moved_command

    run_moved_command("neurn_keras.align", "neurn_keras.cortex", main)
else:
    from neurn_keras._deprecation import warn_moved

    warn_moved(__name__, "neurn_keras.cli.cortex (python -m neurn_keras.cortex)")

__all__ = ["build_parser", "main", "run"]
