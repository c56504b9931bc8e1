"""What the image layers accept, defined once and without Keras, so that a command line
can check its arguments before Keras loads.

>>> [is_odd_size(k) for k in (1, 3, 4, True, 5.0)]
[True, True, False, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Stage:
    """One choice of what stands in front of a backbone (``--input-norm``, ``--augment``).

    Attributes:
        name: the command-line choice and the token in file and model names.
        label: as tables print it ("" for none).
        layer: the class in ``neurn_keras.layers`` ("" for none).
        output: what the layer gives the backbone: ``"unit"`` (a [0, 1] scale, then the
            backbone's own preprocessing, like pixels / 255), ``"normalized"`` (already
            centred and scaled: straight to the backbone) or ``"pixels"`` (0..255, an
            augmentation).
        invariance: in one line, what changes of the image the backbone no longer sees.
    """

    name: str
    label: str
    layer: str
    output: str
    invariance: str


NEURN_INVARIANCE = (
    "brightness, contrast and polarity: x → a·x + b for any a ≠ 0 (reflect padding; with "
    "zeros, x → a·x only), from the local σ over its image maximum"
)
INPUT_NORMS: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage("neurn", "NeuRN", "NeuRN", "unit", NEURN_INVARIANCE),
        Stage("lcn", "LCN", "LocalContrastNormalization", "normalized",
              "local brightness and contrast: x → a·x + b for a > 0 (an inverted image "
              "comes out negated)"),
        Stage("none", "", "", "pixels", "none"),
        Stage("standardize", "per-image standardization", "PerImageStandardization",
              "normalized", "brightness and contrast of the whole image: x → a·x + b for "
              "a > 0 (an inverted image comes out negated)"),
        Stage("minmax", "luminance min–max", "LuminanceMinMax", "unit",
              "brightness and contrast (x → a·x + b for a > 0) and colour at equal "
              "luminance (an inverted image comes out as 1 − y)"),
        Stage("sobel", "Sobel magnitude", "SobelMagnitude", "unit",
              "brightness, contrast and polarity, as NeuRN, from a fixed edge filter"),
        Stage("localstd", "local σ (no max)", "LocalStd", "unit",
              "brightness and polarity (x → c ± x), not contrast: NeuRN without its "
              "division by the image maximum"),
    )
}  # fmt: skip
"""Every input normalization, in front of the backbone on raw pixels, by name."""

AUGMENTS: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage("none", "", "", "pixels", "none"),
        Stage("randconv", "RandConv", "RandConv", "pixels",
              "none built in: trains on random local textures and colours"),
        Stage("prorandconv", "Pro-RandConv", "ProRandConv", "pixels",
              "none built in: trains on progressively random convolutions"),
        Stage("polarity", "polarity inversion", "PolarityInversion", "pixels",
              "polarity, learned: half of the training images are inverted (255 − x)"),
    )
}  # fmt: skip
"""Every training-only augmentation of the raw pixels, by name."""
