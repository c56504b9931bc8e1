"""The registry follows the declaration (``neurn_keras.backbones``): its order and its data."""

from __future__ import annotations

import os

import keras
import pytest

from neurn_keras import applications, backbones
from neurn_keras.applications import keras_style, registry

EXPECTED_ORDER = backbones.NAMES  # itself checked against Table 1 in test_backbone_declaration


def test_the_registries_keep_the_declared_order():
    assert list(applications.BACKBONES) == list(EXPECTED_ORDER)
    assert list(applications.FAMILIES) == list(EXPECTED_ORDER)


def test_every_family_is_its_declaration_joined_to_its_code():
    for declared in backbones.BACKBONES:
        family = applications.FAMILIES[declared.name]
        constructor = applications.BACKBONES[declared.name]
        assert family.declaration is declared  # the declaration itself, not a copy
        assert family.name == declared.name
        assert constructor.__name__ == declared.label
        assert f"Architecture from ``{declared.code}``" in constructor.__doc__
        assert applications.min_input_size(declared.name) == declared.min_size
        if declared.from_keras:
            assert family.build is getattr(keras.applications, declared.label)


def test_only_declared_backbones_as_declared_can_be_registered(monkeypatch):
    family = applications.FAMILIES["digitnet"]
    with pytest.raises(ValueError, match="already registered"):
        registry.register_family("digitnet", family.build)
    with pytest.raises(ValueError, match="unknown backbone 'lenet'"):
        registry.register_family("lenet", family.build)
    families = {k: v for k, v in applications.FAMILIES.items() if k != "digitnet"}
    constructors = {k: v for k, v in applications.BACKBONES.items() if k != "digitnet"}
    monkeypatch.setattr(registry, "FAMILIES", families)
    monkeypatch.setattr(registry, "BACKBONES", constructors)
    with pytest.raises(RuntimeError, match="declares digitnet but no module"):
        registry.check_complete()
    constructor = registry.register_family("digitnet", family.build, family.options_doc)
    assert list(families) == list(constructors) == list(EXPECTED_ORDER)
    assert constructor.family == family and constructor.family.declaration is family.declaration


def test_one_input_shape_check_for_the_model_and_the_architecture_behind_it():
    declared = backbones.get("vit")
    with pytest.raises(ValueError, match=r"vit: input_shape must .* at least 32 and 3 channels"):
        keras_style.backbone_input(declared, None, (16, 16, 3), None)
    with pytest.raises(ValueError, match=r"vit: input_shape must be .* and 1 or 3 channels"):
        applications.build_model("vit", input_shape=(16, 16, 2))
    assert tuple(keras_style.backbone_input(declared, None, None, None).shape) == (None, 32, 32, 3)


def test_one_weights_check_for_the_model_and_the_architecture_behind_it(tmp_path):
    declared = backbones.get("vit")
    for check in (
        lambda weights: keras_style.backbone_input(declared, None, None, weights),
        lambda weights: applications.build_model("vit", weights=weights),
    ):
        with pytest.raises(ValueError, match="no ImageNet weights for ViT"):
            check("imagenet")
        with pytest.raises(FileNotFoundError, match=r"missing\.h5"):
            check(os.fspath(tmp_path / "missing.h5"))
        with pytest.raises(TypeError, match="weights must be None, 'imagenet' or a file path"):
            check(3)


def test_the_archsim_zoo_lists_the_backbones_in_the_declared_order():
    from neurn_keras.archsim.model_zoo import project_models

    names = list(project_models())
    assert names == [f"nk.{n}{s}" for n in EXPECTED_ORDER for s in ("", "+NeuRN")]
