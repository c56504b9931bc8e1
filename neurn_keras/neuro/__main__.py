"""``python -m neurn_keras.neuro``: see :mod:`neurn_keras.cli.neuro`.

Imported as a module (``neurn_keras.neuro.__main__``, the old place of the tool) it
warns and gives the tool's ``main``; that import path goes in the next release.
"""

import sys

from neurn_keras.cli.neuro import main

if __name__ == "__main__":
    sys.exit(main())
else:
    from neurn_keras._deprecation import warn_moved

    warn_moved(__name__, "neurn_keras.cli.neuro")

__all__ = ["main"]
