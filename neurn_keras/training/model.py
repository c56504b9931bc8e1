"""The model of a run: built from ``applications`` or started from a saved ``.keras`` file."""

from __future__ import annotations

import keras

from neurn_keras.cli import UsageError, one_line
from neurn_keras.training.config import RunConfig

NEURN_LAYER = "neurn"


def replace_head(model: keras.Model, classes: int) -> keras.Model:
    """``model`` with a fresh last ``Dense`` layer of ``classes`` units, if its count differs."""
    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        raise UsageError(
            f"the model's last layer {head.name!r} is a {type(head).__name__}, not the Dense "
            "classifier whose size could be changed; start from a classifier model"
        )
    if head.units == classes:
        return model
    outputs = keras.layers.Dense(classes, activation=head.activation, name=head.name)(head.input)
    return keras.Model(model.inputs, outputs, name=model.name)


def load_start_model(config: RunConfig) -> keras.Model:
    """The ``--init-from`` model, checked against the run's settings, with its head resized."""
    try:
        model = keras.models.load_model(config.init_from, compile=False)
    except Exception as error:  # Keras raises many types for a file that is not a model
        raise UsageError(
            f"--init-from {config.init_from} is not a Keras model file ({one_line(error)[:300]}); "
            "pass a .keras file written by model.save() or by python -m neurn_keras.train"
        ) from error
    if not isinstance(model, keras.Model):
        kind = type(model).__name__
        raise UsageError(f"--init-from {config.init_from} holds a {kind}, not a model")
    shape = tuple(model.input_shape[1:])
    if shape != config.input_shape:
        raise UsageError(
            f"--init-from {config.init_from} takes inputs of shape {shape}, but --input-shape "
            f"is {config.input_shape}; pass --input-shape {' '.join(str(v) for v in shape)}"
        )
    has_neurn = any(layer.name == NEURN_LAYER for layer in model.layers)
    if has_neurn != config.neurn:
        flag = "--neurn" if has_neurn else "--no-neurn"
        raise UsageError(
            f"--init-from {config.init_from} {'has' if has_neurn else 'has no'} NeuRN layer; "
            f"pass {flag} to match it"
        )
    if has_neurn:
        layer_config = model.get_layer(NEURN_LAYER).get_config()
        found = (layer_config.get("kernel_size"), layer_config.get("padding"))
        if found != (config.kernel_size, config.padding):
            raise UsageError(
                f"--init-from {config.init_from} has NeuRN kernel_size={found[0]}, "
                f"padding={found[1]}; pass --kernel-size {found[0]} --padding {found[1]}"
            )
    return replace_head(model, config.classes)


def build_run_model(config: RunConfig) -> keras.Model:
    """The model to train (not compiled): ``--init-from``, else ``applications.build_model``."""
    if config.init_from is not None:
        return load_start_model(config)
    from neurn_keras import applications

    try:
        return applications.build_model(
            config.backbone,
            neurn=config.neurn_config() or False,
            input_shape=config.input_shape,
            classes=config.classes,
            weights=config.weights,
        )
    except (ValueError, FileNotFoundError, ConnectionError) as error:
        raise UsageError(f"{config.backbone}: {one_line(error)}") from error


def neurn_layer_config(model: keras.Model) -> dict | None:
    """The configuration of the model's NeuRN layer (None when it has none)."""
    for layer in model.layers:
        if layer.name == NEURN_LAYER:
            config = layer.get_config()
            keys = ("kernel_size", "padding", "method")
            return {key: config[key] for key in keys if key in config}
    return None
