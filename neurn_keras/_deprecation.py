"""Old names kept for one release: a warning that names the new one, then the new thing.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     warn_moved("neurn_keras.old", "neurn_keras.new")
>>> str(caught[0].message)
'neurn_keras.old is deprecated and will be removed in the next release; use neurn_keras.new'
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType


def warn_moved(
    old: str, new: str, category: type[Warning] = DeprecationWarning, stacklevel: int = 3
) -> None:
    """Warns that ``old`` is deprecated in favour of ``new`` (default: at the caller's caller)."""
    message = f"{old} is deprecated and will be removed in the next release; use {new}"
    warnings.warn(message, category, stacklevel=stacklevel)


def alias_module(old: str, new: str) -> ModuleType:
    """Makes the module being imported as ``old`` the module ``new`` itself, with a warning.

    Called from the old module's body: afterwards ``import old`` gives ``new`` (the same
    object, so its functions, classes and private names are all there).
    """
    warn_moved(old, new, stacklevel=4)
    module = importlib.import_module(new)
    sys.modules[old] = module
    return module


def run_moved_command(old: str, new: str, main) -> None:
    """Runs ``main()`` for a ``python -m`` name that moved, after a FutureWarning naming the new."""
    warn_moved(f"python -m {old}", f"python -m {new}", FutureWarning, stacklevel=3)
    sys.exit(main())
