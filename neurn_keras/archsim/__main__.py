"""``python -m neurn_keras.archsim``: see :mod:`neurn_keras.cli.archsim`."""

import sys

from neurn_keras.cli.archsim import main

if __name__ == "__main__":
    sys.exit(main())
