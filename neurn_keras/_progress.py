"""Progress bars: tqdm's notebook widget where ipywidgets can draw it, its text bar elsewhere.

``tqdm.auto`` picks the widget in a Jupyter kernel, and without ipywidgets it warns
("IProgress not found. Please update jupyter and ipywidgets") as soon as it is imported.
The package does not depend on ipywidgets, and a notebook rendered on GitHub or in the
docs cannot show a widget, only text; so the widget is used only where ipywidgets is
installed, and ``tqdm.auto`` is not even imported otherwise.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Iterator

IPROGRESS_WARNING = "IProgress not found"
"""The start of the warning ``tqdm.auto`` gives in a kernel without ipywidgets."""


def bar_class() -> type:
    """``tqdm.auto.tqdm`` when ipywidgets is installed, else the text bar ``tqdm.std.tqdm``."""
    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


def tqdm(*args, **kwargs):
    """A progress bar of :func:`bar_class`; the arguments are tqdm's."""
    return bar_class()(*args, **kwargs)


@contextlib.contextmanager
def no_iprogress_warning() -> Iterator[None]:
    """Around an import of a package that imports ``tqdm.auto`` itself (umap): without
    ipywidgets, its text bar is used anyway, so the warning says nothing to our users."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=IPROGRESS_WARNING)
        yield
