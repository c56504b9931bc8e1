"""What the image layers accept, defined once and without Keras, so that a command line
can check its arguments before Keras loads.

>>> [is_odd_size(k) for k in (1, 3, 4, True, 5.0)]
[True, True, False, False, False]
>>> NeuRNOptions(normalize_over="channel").names()
[('k3', 'k=3'), ('reflect', 'reflect'), ('perchannel', 'max per channel')]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_KERNEL_SIZE = 3
"""NeuRN's window when none is given. The paper does not fix k. On the literature's digits
protocol k=3 was ahead of k=5 in an exploratory comparison (``docs/results/
neurn_ablations.md``; named primary only after its data were seen), so 0.2.0 changed the
default from 5; the confirmatory test of ``docs/results/invariance_plan.md`` decides it
under the plan's one rule for defaults (a test ties this value to that rule)."""

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


def _option(default, help: str, names: Mapping | tuple[str, str], **command_line):
    """A ``NeuRNOptions`` field: its default, its ``--help`` line and command-line
    metadata (``choices``, ``metavar``), and how a method's names show it: formats of its
    tag and label for every value (``("k{}", "k={}")``: always shown), or
    ``{value: (tag, label)}`` for the values that differ from the paper's (shown only
    then)."""
    return field(default=default, metadata={"help": help, "names": names, **command_line})


@dataclass(frozen=True, order=True)
class NeuRNOptions:
    """What NeuRN computes: the options that change its output, declared once.

    The layer's arguments and ``get_config``, ``RunConfig``'s NeuRN fields and their
    flags, a method's names (``methods.Method``), the run record and ``--init-from``'s
    check all read these fields; a new option is a new field here (and its use in the
    layer). How NeuRN runs (``method``, ``blocking``) changes only its speed, not its
    output, and is not an option here.
    """

    kernel_size: int = _option(
        DEFAULT_KERNEL_SIZE, "NeuRN window size, odd", ("k{}", "k={}"), metavar="K"
    )
    padding: str = _option("reflect", "NeuRN padding", ("{}", "{}"), choices=PADDINGS)
    normalize_over: str = _option(
        "image",
        "what NeuRN's maximum is taken over: the whole image (the paper) or each channel",
        {"channel": ("perchannel", "max per channel")},
        choices=NORMALIZE_OVER,
    )
    color: str = _option(
        "rgb",
        "NeuRN on each RGB channel, or on the luminance (repeated to 3 channels)",
        {"luminance": ("luminance", "luminance")},
        choices=COLORS,
    )

    @classmethod
    def fields(cls) -> tuple[dataclasses.Field, ...]:
        return dataclasses.fields(cls)

    @classmethod
    def from_mapping(cls, values: Mapping) -> NeuRNOptions:
        """The options in ``values`` (a layer's config, a record's ``neurn_config``), the
        defaults for those it lacks; other keys are ignored."""
        return cls(**{f.name: values[f.name] for f in cls.fields() if f.name in values})

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def problems(self) -> list[tuple[str, object, str]]:
        """``(option, value, what it must be)`` for every bad option (empty: all good)."""
        out = []
        if not is_odd_size(self.kernel_size):
            out.append(("kernel_size", self.kernel_size, "an odd integer >= 1"))
        for option in self.fields():
            allowed = option.metadata.get("choices")
            value = getattr(self, option.name)
            if allowed and value not in allowed:
                out.append((option.name, value, "one of " + ", ".join(allowed)))
        return out

    def names(self) -> list[tuple[str, str]]:
        """``(tag, label)`` of every option a method's names show: the window and the
        padding always, the others where they differ from the paper's."""
        out = []
        for option in self.fields():
            value, names = getattr(self, option.name), option.metadata["names"]
            if isinstance(names, tuple):
                out.append((names[0].format(value), names[1].format(value)))
            elif value in names:
                out.append(names[value])
        return out

    def differences(self, other: NeuRNOptions) -> dict[str, tuple]:
        """``{option: (ours, theirs)}`` for every option where ``other`` differs."""
        return {
            f.name: (getattr(self, f.name), getattr(other, f.name))
            for f in self.fields()
            if getattr(self, f.name) != getattr(other, f.name)
        }


NEURN_DEFAULTS = NeuRNOptions()
"""The layer's options when none is given."""


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
        Stage("none", "", "", "pixels", "none"),
        Stage("neurn", "NeuRN", "NeuRN", "unit", NEURN_INVARIANCE),
        Stage("lcn", "LCN", "LocalContrastNormalization", "normalized",
              "local brightness and contrast: x → a·x + b for a > 0 (an inverted image "
              "comes out negated)"),
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
