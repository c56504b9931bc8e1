"""A method: what stands in front of the backbone, in order, and its three names.

A method is an optional training-only augmentation (RandConv, Pro-RandConv, polarity
inversion) and an input normalization (NeuRN with its ``NeuRNOptions``, LCN, a control,
or none), the augmentation first unless it comes after NeuRN. Every name of a method is
derived here from that one description:

- ``tag()``, for directory and file names: ``neurn-k5-reflect``, ``randconv+plain``;
- ``label()``, for tables and logs: ``NeuRN (k=5, reflect)``, ``RandConv (λ=10)+LCN``;
- ``model_name(backbone)``, the Keras model's name: ``digitnet_randconv_neurn``.

``RunConfig.method()`` and ``RunRecord.method()`` give a run's method; tables group
their rows by it (it is hashable and sorts augmentation first).

>>> method = Method(augment="randconv", input_norm="neurn", neurn=NeuRNOptions(kernel_size=3))
>>> method.tag(), method.label(), method.model_name("digitnet")
('randconv+neurn-k3-reflect', 'RandConv+NeuRN (k=3, reflect)', 'digitnet_randconv_neurn')
>>> Method().tag(), Method().label(), Method().model_name("vgg19")
('plain', 'plain', 'vgg19')
"""

from __future__ import annotations

from dataclasses import dataclass

from neurn_keras.layer_options import AUGMENTS, INPUT_NORMS, NeuRNOptions

AUGMENT_LABELS = {name: stage.label for name, stage in AUGMENTS.items()}
NORM_LABELS = {name: stage.label for name, stage in INPUT_NORMS.items()}


@dataclass(frozen=True)
class Step:
    """One stage of a method, named three ways (an empty name leaves it out)."""

    token: str  # in the model's name
    tag: str  # in file names
    label: str  # in tables


@dataclass(frozen=True, order=True)
class Method:
    """An input pipeline in front of a backbone.

    Attributes:
        augment: a name of ``layer_options.AUGMENTS`` (``"none"``, ``"randconv"``, ...).
        consistency: the weight of RandConv's consistency loss (0: none).
        input_norm: a name of ``layer_options.INPUT_NORMS`` (``"neurn"``, ``"none"``, ...).
        neurn: NeuRN's options (None without NeuRN; the defaults when NeuRN is named
            without them).
        augment_after_norm: the augmentation comes after NeuRN.
        inner_neurn: NeuRN again after DigitNet's first convolution.
    """

    augment: str = "none"
    consistency: float = 0.0
    input_norm: str = "none"
    neurn: NeuRNOptions | None = None
    augment_after_norm: bool = False
    inner_neurn: bool = False

    def __post_init__(self):
        if self.input_norm == "neurn" and self.neurn is None:
            object.__setattr__(self, "neurn", NeuRNOptions())
        if self.input_norm != "neurn":
            object.__setattr__(self, "neurn", None)

    @property
    def uses_neurn(self) -> bool:
        return self.input_norm == "neurn"

    def without_neurn(self) -> Method:
        """The same augmentation with no input normalization: NeuRN's baseline."""
        return Method(self.augment, self.consistency)

    def neurn_names(self) -> list[tuple[str, str]]:
        """``(tag, label)`` of NeuRN's options as the names show them (k and padding
        always, the others where they differ from the paper's) and of a second NeuRN."""
        if not self.uses_neurn:
            return []
        return self.neurn.names() + ([("inner", "again after conv1")] if self.inner_neurn else [])

    def norm_step(self, neurn_details: bool = True) -> Step:
        if self.uses_neurn:
            names = self.neurn_names()
            tag = "-".join(["neurn", *(tag for tag, _ in names)])
            details = ", ".join(label for _, label in names)
            return Step("neurn", tag, "NeuRN" + (f" ({details})" if neurn_details else ""))
        token = "" if self.input_norm == "none" else self.input_norm
        return Step(token, token or "plain", NORM_LABELS.get(self.input_norm, self.input_norm))

    def steps(self, neurn_details: bool = True) -> list[Step]:
        """The stages in the order they process the pixels."""
        norm = self.norm_step(neurn_details)
        if self.augment == "none":
            return [norm]
        weight = f"{self.consistency:g}" if self.consistency else ""
        augment = Step(
            self.augment,
            self.augment + (f"-c{weight}" if weight else ""),
            AUGMENT_LABELS.get(self.augment, self.augment) + (f" (λ={weight})" if weight else ""),
        )
        return [norm, augment] if self.augment_after_norm else [augment, norm]

    def tag(self) -> str:
        """For file names: ``randconv+neurn-k3-reflect``, ``plain``."""
        return "+".join(step.tag for step in self.steps())

    def label(self, neurn_details: bool = True) -> str:
        """For tables: ``RandConv+NeuRN (k=3, reflect)`` (``NeuRN`` alone without details)."""
        return "+".join(s.label for s in self.steps(neurn_details) if s.label) or "plain"

    def model_name(self, backbone: str) -> str:
        """The Keras model's name: ``digitnet_randconv_neurn``."""
        return "_".join([backbone, *(step.token for step in self.steps() if step.token)])
