"""What the image layers accept, defined once and without Keras, so that a command line
can check its arguments before Keras loads.

>>> [is_odd_size(k) for k in (1, 3, 4, True, 5.0)]
[True, True, False, False, False]
"""

from __future__ import annotations

PADDINGS = ("reflect", "zeros")
"""How NeuRN, local contrast normalization and RandConv read outside the image."""


def is_odd_size(value) -> bool:
    """Whether ``value`` is a window size the layers take: an odd int >= 1 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1 and value % 2 == 1
