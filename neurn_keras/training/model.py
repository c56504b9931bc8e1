"""The model of a run: built from ``applications`` or started from a saved ``.keras`` file."""

from __future__ import annotations

import keras

from neurn_keras import model_parts
from neurn_keras.errors import ArgumentError, ModelFileError, one_line
from neurn_keras.training.config import RunConfig, check_model_file

CONSISTENCY_DRAWS = 3
"""Augmented copies per batch with RandConv's consistency loss, as in Xu et al. (2021)."""


def replace_head(model: keras.Model, classes: int) -> keras.Model:
    """``model`` with a fresh last ``Dense`` layer of ``classes`` units, if its count differs."""
    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        raise ModelFileError(
            f"the model's last layer {head.name!r} is a {type(head).__name__}, not the Dense "
            "classifier whose size could be changed; start from a classifier model"
        )
    if head.units == classes:
        return model
    outputs = keras.layers.Dense(classes, activation=head.activation, name=head.name)(head.input)
    return keras.Model(model.input, outputs, name=model.name)


def read_start_model(path: str) -> keras.Model:
    """The model saved in ``path`` (``init_from``); ``ModelFileError`` when it is none.

    A file that is not a ``.keras`` archive is refused at once, before Keras reads it.
    """
    check_model_file(path)
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types for a file that is not a model
        raise ModelFileError(
            f"`init_from` {path} is not a Keras model file ({one_line(error)}); pass a "
            ".keras file written by model.save() or by python -m neurn_keras.train"
        ) from error
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"`init_from` {path} holds a {type(model).__name__}, not a model")
    return model


def check_start_model(model: keras.Model, config: RunConfig) -> None:
    """Raises ``ArgumentError`` where the saved model and the run's settings disagree."""
    shape = tuple(model.input_shape[1:])
    if shape != config.input_shape:
        raise ArgumentError(
            "input_shape",
            config.input_shape,
            f"the `init_from` model takes inputs of shape {shape}; pass "
            f"`input_shape` {' '.join(str(v) for v in shape)}",
        )
    found = model_parts.neurn_options(model)
    if (found is not None) != config.neurn:
        wanted = "neurn" if found is not None else "none (or another normalization)"
        raise ArgumentError(
            "input_norm",
            config.input_norm,
            f"the `init_from` model {'has' if found else 'has no'} NeuRN layer; "
            f"pass `input_norm` {wanted} to match it",
        )
    differences = found.differences(config.neurn_options()) if found is not None else {}
    if differences:
        first = next(iter(differences))
        model_has = ", ".join(f"{name}={ours}" for name, (ours, _) in differences.items())
        fix = " ".join(f"`{name}` {ours}" for name, (ours, _) in differences.items())
        raise ArgumentError(
            first,
            differences[first][1],
            f"the `init_from` model's NeuRN has {model_has}; pass {fix} to match it",
        )


def build_run_model(config: RunConfig, start: keras.Model | None = None) -> keras.Model:
    """The model to train (not compiled): ``start`` (read from ``init_from``) with its head
    resized, else ``applications.build_model`` with the run's settings."""
    if start is not None:
        check_start_model(start, config)
        return replace_head(start, config.classes)
    from neurn_keras import applications

    options = {}
    if config.inner_neurn:  # the feature maps have 64 channels: no luminance for them
        inner = {k: v for k, v in config.neurn_config().items() if k != "color"}
        options["inner_neurn"] = inner
    try:
        return applications.build_model(
            config.backbone,
            neurn=config.neurn_config() or False,
            input_norm=None if config.neurn else config.input_norm,
            augment=None if config.augment == "none" else config.augment,
            augment_after_norm=config.augment_after_norm,
            input_shape=config.input_shape,
            classes=config.classes,
            weights=config.weights,
            **options,
        )
    except applications.WeightsDownloadError as error:
        raise ArgumentError("weights", config.weights, one_line(error)) from error


def trainer_for(model: keras.Model, config: RunConfig) -> keras.Model:
    """What ``fit`` trains: ``model`` itself, or it inside RandConv's consistency wrapper."""
    if config.consistency <= 0:
        return model
    from neurn_keras.training.consistency import ConsistencyTrainer

    return ConsistencyTrainer(model, draws=CONSISTENCY_DRAWS, weight=config.consistency)


def inner_model(trainer: keras.Model) -> keras.Model:
    """The classifier inside ``trainer_for``'s result."""
    from neurn_keras.training.consistency import ConsistencyTrainer

    return trainer.model if isinstance(trainer, ConsistencyTrainer) else trainer
