"""``python -m neurn_keras.cortex``: see :mod:`neurn_keras.cli.cortex`."""

import sys

from neurn_keras.cli.cortex import main

if __name__ == "__main__":
    sys.exit(main())
