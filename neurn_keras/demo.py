"""``python -m neurn_keras.demo``: see :mod:`neurn_keras.cli.demo`."""

import sys

from neurn_keras.cli.demo import main

if __name__ == "__main__":
    sys.exit(main())
