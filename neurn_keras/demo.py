"""``python -m neurn_keras.demo``: see :mod:`neurn_keras.cli.demo`.

Imported as a module (``neurn_keras.demo``, the old place of the tool) it warns and gives
the tool's ``build_parser``, ``run`` and ``main``; that import path goes in the next release.
"""

import sys

from neurn_keras.cli.demo import build_parser, main, run

if __name__ == "__main__":
    sys.exit(main())
else:
    from neurn_keras._deprecation import warn_moved

    warn_moved(__name__, "neurn_keras.cli.demo")

__all__ = ["build_parser", "main", "run"]
