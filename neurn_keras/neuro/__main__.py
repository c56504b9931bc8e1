"""``python -m neurn_keras.neuro``: see :mod:`neurn_keras.cli.neuro`."""

import sys

from neurn_keras.cli.neuro import main

if __name__ == "__main__":
    sys.exit(main())
