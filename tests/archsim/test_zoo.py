"""The zoo: known neighbours, the similarity matrix, the on-disk cache, the project's backbones."""

from __future__ import annotations

import importlib.util
import json

import keras
import numpy as np
import pytest

from neurn_keras.archsim import (
    layer_sequence,
    needleman_wunsch,
    similarity,
    similarity_matrix,
    zoo,
    zoo_models,
)
from neurn_keras.archsim import model_zoo as zoo_module
from neurn_keras.archsim.model_zoo import keras_application_models, project_models

HAS_APPLICATIONS = importlib.util.find_spec("neurn_keras.applications") is not None
needs_applications = pytest.mark.skipif(
    not HAS_APPLICATIONS, reason="neurn_keras.applications is not there yet"
)


def test_vgg16_is_closer_to_vgg19_than_to_mobilenetv2(small_zoo):
    vgg19 = similarity(small_zoo["VGG16"], small_zoo["VGG19"])
    mobilenet = similarity(small_zoo["VGG16"], small_zoo["MobileNetV2"])
    assert vgg19 > 0.8 > 0.2 > mobilenet


def test_resnet50_is_closer_to_resnet101_than_to_densenet121(small_zoo):
    resnet101 = similarity(small_zoo["ResNet50"], small_zoo["ResNet101"])
    densenet = similarity(small_zoo["ResNet50"], small_zoo["DenseNet121"])
    assert resnet101 > densenet
    # ResNet50 is ResNet101 with fewer blocks: all its layers match, and the index is
    # capped by the depth ratio.
    result = needleman_wunsch(small_zoo["ResNet50"], small_zoo["ResNet101"])
    assert result.matches == len(small_zoo["ResNet50"])
    assert resnet101 == pytest.approx(len(small_zoo["ResNet50"]) / len(small_zoo["ResNet101"]))


def test_similarity_matrix_is_symmetric_with_unit_diagonal(small_zoo):
    matrix = similarity_matrix(small_zoo, progress=False)
    values = matrix.to_numpy()
    assert list(matrix.index) == list(matrix.columns) == list(small_zoo)
    np.testing.assert_array_equal(values, values.T)
    np.testing.assert_array_equal(np.diag(values), 1.0)
    assert ((values >= 0) & (values <= 1)).all()
    assert values[0, 2] == similarity(small_zoo["VGG16"], small_zoo["MobileNetV2"])
    assert (values[~np.eye(len(values), dtype=bool)] < 1).all()  # all six differ


def test_registry_holds_every_keras_applications_family():
    names = set(keras_application_models())
    for name in [
        "VGG16",
        "VGG19",
        "ResNet50",
        "ResNet152",
        "ResNet50V2",
        "InceptionV3",
        "InceptionResNetV2",
        "Xception",
        "MobileNet",
        "MobileNetV2",
        "MobileNetV3Small",
        "MobileNetV3Large",
        "DenseNet121",
        "NASNetMobile",
        "NASNetLarge",
        "EfficientNetB7",
        "EfficientNetV2L",
        "ConvNeXtXLarge",
    ]:
        assert name in names
    assert len(names) >= 40


def test_zoo_build_equals_an_ordinary_build():
    """Building under StatelessScope (no weights) gives the sequence of a normal build."""
    normal = layer_sequence(keras.applications.MobileNetV3Small(weights=None))
    keras.backend.clear_session()
    assert zoo(["MobileNetV3Small"], use_cache=False, progress=False)["MobileNetV3Small"] == normal
    assert "HardSiLU" in normal and "ReLU6" in normal  # hard_swish, and hard_sigmoid's ReLU6


def test_second_call_reads_the_cache_without_building(small_zoo, zoo_cache, monkeypatch):
    def refuse(model):
        raise AssertionError(f"{model.name} was built although it is cached")

    monkeypatch.setattr(zoo_module, "build_sequence", refuse)
    assert zoo(list(small_zoo), cache_dir=zoo_cache, progress=False) == small_zoo


def test_stale_or_corrupt_cache_files_are_rebuilt(tmp_path, monkeypatch):
    built = []

    def fake_build(model):
        built.append(model.name)
        return ("Conv2D", model.name)

    monkeypatch.setattr(zoo_module, "build_sequence", fake_build)
    names = ["VGG16", "VGG19", "ResNet50"]
    first = zoo(names, cache_dir=tmp_path, progress=False)
    assert built == names and first["VGG19"] == ("Conv2D", "VGG19")

    stale = tmp_path / "VGG16.json"
    record = json.loads(stale.read_text())
    record["fingerprint"]["keras"] = "0.0.1"
    stale.write_text(json.dumps(record))
    (tmp_path / "VGG19.json").write_text('{"name": "VGG19", "fingerp')  # cut short
    built.clear()
    again = zoo(names, cache_dir=tmp_path, progress=False)
    assert built == ["VGG16", "VGG19"]
    assert again == first
    assert json.loads(stale.read_text())["fingerprint"]["keras"] == keras.__version__
    assert not list(tmp_path.glob("*.tmp"))


def test_use_cache_false_neither_reads_nor_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(zoo_module, "build_sequence", lambda model: ("Dense",))
    zoo(["VGG16"], cache_dir=tmp_path, use_cache=False, progress=False)
    assert not list(tmp_path.iterdir())


def test_unknown_names_are_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown model 'VGG17'.*VGG16"):
        zoo(["VGG16", "VGG17"], progress=False)


@needs_applications
def test_project_backbones_come_with_and_without_neurn():
    from neurn_keras.applications import BACKBONES

    names = set(project_models())
    assert names == {f"nk.{b}" for b in BACKBONES} | {f"nk.{b}+NeuRN" for b in BACKBONES}
    assert names <= set(zoo_models())


@needs_applications
@pytest.mark.parametrize("backbone", ["digitnet", "mobilenetv2"])
def test_neurn_adds_exactly_one_token_in_front(backbone, tmp_path):
    names = [f"nk.{backbone}", f"nk.{backbone}+NeuRN"]
    plain, with_neurn = zoo(names, cache_dir=tmp_path, progress=False).values()
    assert "NeuRN" not in plain
    assert with_neurn.count("NeuRN") == 1
    assert tuple(t for t in with_neurn if t != "NeuRN") == plain
    assert similarity(plain, with_neurn) == pytest.approx(len(plain) / len(with_neurn))
