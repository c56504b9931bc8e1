"""Named training protocols: presets of ``RunConfig`` fields that the literature fixes.

``RunConfig.for_protocol("digits10k")`` starts from the preset; any field may still be
changed (a short smoke run, another backbone), and the run record lists the fields
that differ from the preset, so a table never passes a modified run off as the
protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Protocol:
    """A preset: its name, where it comes from, and the fields it sets."""

    name: str
    description: str
    settings: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def deviations(self, config) -> dict:
        """``{field: [preset value, config value]}`` for every preset field ``config`` changed."""
        out = {}
        for key, preset in self.settings.items():
            value = getattr(config, key)
            if _canonical(value) != _canonical(preset):
                out[key] = [_canonical(preset), _canonical(value)]
        return out


def _canonical(value):
    return list(value) if isinstance(value, tuple) else value


DIGITS10K = Protocol(
    name="digits10k",
    description=(
        "single-source digits as in RandConv (Xu et al., ICLR 2021): DigitNet, the first "
        "10,000 MNIST training images at 32x32 RGB (10% held out for model selection), "
        "10,000 Adam steps of batch 32 at lr 1e-4, validated every 250 steps, the best "
        "validation kept, no early stop (RandConv's exp_mnist10k.sh)"
    ),
    settings=MappingProxyType(
        {
            "backbone": "digitnet",
            "source": "mnist",
            "input_shape": (32, 32, 3),
            "train_limit": 10000,
            "val_split": 0.1,
            "batch_size": 32,
            "lr": 1e-4,
            "steps": 10000,
            "eval_every": 250,
            "patience": None,
        }
    ),
)

PRORANDCONV_DIGITS = Protocol(
    name="prorandconv-digits",
    description=(
        "the longer schedule that Pro-RandConv (Choi et al., CVPR 2023) reports for its "
        "digits results, as a third-party reproduction quotes it: SGD with momentum 0.9, "
        "lr 0.01 on a cosine to 0, batch 64, 500 epochs (about 70,000 steps); data, "
        "DigitNet and model selection on 10% held out as in digits10k"
    ),
    settings=MappingProxyType(
        {
            **DIGITS10K.settings,
            "batch_size": 64,
            "optimizer": "sgd",
            "momentum": 0.9,
            "lr": 0.01,
            "lr_schedule": "cosine",
            "epochs": 500,
            "steps": None,
            "eval_every": None,
        }
    ),
)

PROTOCOLS: dict[str, Protocol] = {
    protocol.name: protocol for protocol in (DIGITS10K, PRORANDCONV_DIGITS)
}
