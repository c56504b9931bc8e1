"""``python -m neurn_keras.archsim``: see :mod:`neurn_keras.cli.archsim`.

Imported as a module (``neurn_keras.archsim.__main__``, the old place of the tool) it
warns and gives the tool's ``main``; that import path goes in the next release.
"""

import sys

from neurn_keras.cli.archsim import main

if __name__ == "__main__":
    sys.exit(main())
else:
    from neurn_keras._deprecation import warn_moved

    warn_moved(__name__, "neurn_keras.cli.archsim")

__all__ = ["main"]
