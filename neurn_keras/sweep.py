"""``python -m neurn_keras.sweep`` (also ``neurn-sweep``): see :mod:`neurn_keras.cli.sweep`."""

import sys

from neurn_keras.cli.sweep import main

if __name__ == "__main__":
    sys.exit(main())
