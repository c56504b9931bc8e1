"""Short model labels for figures: the backbone and its NeuRN settings, not a file name.

The analyses key models by their file stem or run-directory name
(``digitnet-neurn-k5-reflect-mnist-seed0-3f9a1c2b7e``), which is unique but too long for a
legend. :func:`short_labels` reads each model instead: ``digitnet + NeuRN (k=5, reflect)``
or ``digitnet``. Models that read the same are told apart by what differs in their keys
(``[seed0]`` / ``[seed1]``), and the keys stay the tables' identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import keras

from neurn_keras.cortex.rdms import PIXELS
from neurn_keras.model_parts import neurn_layer

PIXELS_LABEL = "pixels (no network)"
"""The label of the RSA baseline, the scenes' own pixels."""

_KERAS_DEFAULT_NAME = re.compile(r"(functional|sequential|model)(_\d+)?")
_HASH = re.compile(r"[0-9a-f]{8,}")


def describe(model: keras.Model) -> str | None:
    """``"digitnet + NeuRN (k=5, reflect)"``, ``"digitnet"``; None for an unnamed model.

    The backbone is the model's name (``applications.build_model`` names a model after
    its backbone, with ``_neurn`` when NeuRN is in front); a model with Keras's default
    name (``functional_3``) gets None.
    """
    neurn = neurn_layer(model)
    name = model.name.removesuffix("_neurn") if neurn is not None else model.name
    if _KERAS_DEFAULT_NAME.fullmatch(name):
        return None
    if neurn is None:
        return name
    return f"{name} + NeuRN (k={neurn.kernel_size}, {neurn.padding})"


def _differences(keys: Sequence[str]) -> list[str]:
    """Per key, its words that the other keys lack (hash-like words only when needed)."""
    words = [re.split(r"[-_.\s]+", key) for key in keys]
    common = set.intersection(*(set(w) for w in words))
    result = []
    for key, own in zip(keys, words, strict=True):
        distinct = [w for w in own if w not in common]
        readable = [w for w in distinct if not _HASH.fullmatch(w)]
        result.append(" ".join(readable or distinct) or key)
    return result


def short_labels(models: Mapping[str, keras.Model]) -> dict[str, str]:
    """Key -> a short, unique label for legends and panel titles (see the module doc)."""
    labels = {key: describe(model) or key for key, model in models.items()}
    by_label: dict[str, list[str]] = {}
    for key, label in labels.items():
        by_label.setdefault(label, []).append(key)
    for label, keys in by_label.items():
        if len(keys) > 1:
            for key, extra in zip(keys, _differences(keys), strict=True):
                labels[key] = f"{label} [{extra}]"
    if len(set(labels.values())) < len(labels):  # still ambiguous: the keys themselves
        return {key: key for key in models}
    return labels


def display(name: str, labels: Mapping[str, str] | None) -> str:
    """The label of model ``name`` in a figure (the pixel baseline has its own)."""
    if name == PIXELS:
        return PIXELS_LABEL
    return (labels or {}).get(name, name)
