"""neurn_keras.model_parts: the one walker over nested models, and "has it NeuRN?"."""

from __future__ import annotations

import keras

from neurn_keras import NeuRN
from neurn_keras.model_parts import has_neurn, neurn_layer, walk_layers


def nested_model(neurn: bool) -> keras.Model:
    inner_in = keras.Input((8, 8, 3))
    y = keras.layers.Conv2D(2, 3, name="conv")(inner_in)
    inner = keras.Model(inner_in, y + 3.0, name="backbone")  # `+ 3.0`: a keras.ops node
    inputs = keras.Input((8, 8, 3), name="pixels")
    x = NeuRN(3, name="neurn")(inputs) if neurn else inputs
    return keras.Model(inputs, keras.layers.Flatten(name="flat")(inner(x)))


def test_layers_of_nested_models_have_paths():
    paths = [path for path, _ in walk_layers(nested_model(True))]
    assert paths[:2] == ["pixels", "neurn"] and paths[-1] == "flat"
    assert "backbone/conv" in paths and "backbone" not in paths  # nested models not yielded


def test_operations_include_the_ops_nodes_in_topological_order():
    model = nested_model(False)
    plain = [type(layer).__name__ for _, layer in walk_layers(model)]
    with_ops = [type(op).__name__ for _, op in walk_layers(model, operations=True)]
    assert "Add" not in plain and "Add" in with_ops
    assert with_ops.index("Conv2D") < with_ops.index("Add") < with_ops.index("Flatten")


def test_has_neurn_looks_inside_nested_models():
    assert has_neurn(nested_model(True)) and not has_neurn(nested_model(False))
    outer = keras.Sequential([keras.Input((8, 8, 3)), nested_model(True)])
    assert isinstance(neurn_layer(outer), NeuRN)
