"""``python -m neurn_keras.train`` (also ``neurn-train``): see :mod:`neurn_keras.cli.train`."""

import sys

from neurn_keras.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
