"""``python -m neurn_keras.table`` (also ``neurn-table``): see :mod:`neurn_keras.cli.table`."""

import sys

from neurn_keras.cli.table import main

if __name__ == "__main__":
    sys.exit(main())
