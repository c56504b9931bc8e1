"""What the image layers accept, defined once and without Keras, so that a command line
can check its arguments before Keras loads.

>>> [is_odd_size(k) for k in (1, 3, 4, True, 5.0)]
[True, True, False, False, False]
"""

from __future__ import annotations

DEFAULT_KERNEL_SIZE = 3
"""NeuRN's window when none is given. The paper does not fix k; on the literature's digits
protocol k=3 beats k=5 (the primary test of ``docs/results/neurn_ablations.md``, which a
test ties this default to), so 0.2.0 changed the default from 5."""

PADDINGS = ("reflect", "zeros")
"""How NeuRN, local contrast normalization and RandConv read outside the image."""

NORMALIZE_OVER = ("image", "channel")
"""What NeuRN's maximum c is taken over: the whole image (all pixels and channels, the
paper) or each channel of the image separately."""

COLORS = ("rgb", "luminance")
"""What NeuRN sees of a colour image: every channel on its own, or one luminance channel
(ITU-R BT.601 weights) whose result is repeated to the input's channel count."""

LUMINANCE_WEIGHTS = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights of R, G and B (they sum to 1)."""

BLOCKINGS = ("auto", "cache", "whole")
"""How NeuRN's moments path walks the batch: chosen by the device the layer runs on,
blocks of images sized for a CPU's cache, or the whole batch at once."""


def is_odd_size(value) -> bool:
    """Whether ``value`` is a window size the layers take: an odd int >= 1 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1 and value % 2 == 1
