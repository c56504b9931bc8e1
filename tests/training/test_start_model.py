"""``init_from``: a file that is not a ``.keras`` archive is refused at once, in one short line."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import keras
import pytest

from neurn_keras.errors import ModelFileError
from neurn_keras.files import is_keras_archive
from neurn_keras.training import RunConfig
from neurn_keras.training.model import read_start_model

SHORT = 200
PASSWD = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def zip_without_config(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.weights.h5", b"\x89HDF\r\n")


@pytest.fixture(params=["passwd", "truncated_zip", "zip_without_config"])
def not_a_model(request, tmp_path):
    path = tmp_path / "passwd"
    if request.param == "passwd":
        path.write_bytes(PASSWD)
    elif request.param == "truncated_zip":
        path.write_bytes(b"PK\x03\x04 truncated zip")
    else:
        zip_without_config(path)
    return path


@pytest.fixture
def no_keras_loading(monkeypatch):
    """Makes any attempt to load a model with Keras fail the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("Keras was asked to load the file")

    monkeypatch.setattr(keras.models, "load_model", refuse)
    monkeypatch.setattr(keras.saving, "load_model", refuse)


@pytest.mark.usefixtures("no_keras_loading")
def test_read_start_model_refuses_without_asking_keras(not_a_model):
    assert not is_keras_archive(not_a_model)
    with pytest.raises(ModelFileError) as error:
        read_start_model(str(not_a_model))
    message = str(error.value).replace(str(not_a_model), "/etc/passwd")
    assert message == (
        "init_from /etc/passwd is not a Keras model file (a .keras zip written by "
        "model.save() or python -m neurn_keras.train)"
    )
    assert len(message) < SHORT


@pytest.mark.usefixtures("no_keras_loading")
def test_the_run_settings_refuse_it_before_any_model_is_read(not_a_model):
    with pytest.raises(ModelFileError, match="is not a Keras model file"):
        RunConfig(init_from=str(not_a_model)).validate()


def test_a_saved_model_passes_the_check(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save(tmp_path / "small.keras")
    assert is_keras_archive(tmp_path / "small.keras")
    assert read_start_model(str(tmp_path / "small.keras")).count_params() == model.count_params()


def test_the_command_line_answers_in_one_short_line_without_keras(tmp_path):
    path = tmp_path / "passwd"
    path.write_bytes(PASSWD)
    argv = ["-m", "neurn_keras.train", "--init-from", str(path), "--output", str(tmp_path / "o")]
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    lines = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert result.returncode == 2
    assert len(lines) == 1 and "is not a Keras model file" in lines[0]
    assert len(lines[0].replace(str(path), "/etc/passwd")) < SHORT
    assert not imported & {"keras", "tensorflow"}  # refused before Keras was imported
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "saved,run,named",
    [
        ({"color": "luminance"}, {}, "color=luminance"),
        ({"normalize_over": "channel"}, {}, "normalize_over=channel"),
        ({"kernel_size": 5, "padding": "zeros"}, {}, "kernel_size=5, padding=zeros"),
        ({}, {"color": "luminance"}, "color=rgb"),
    ],
)
def test_init_from_refuses_a_model_whose_neurn_differs_in_any_option(tmp_path, saved, run, named):
    """Every option of ``NeuRNOptions`` is checked (a luminance model continued under an
    RGB run used to pass with exit 0): one line naming what the model has and the fix."""
    from neurn_keras import applications
    from neurn_keras.errors import ArgumentError
    from neurn_keras.training.model import check_start_model

    model = applications.build_model("digitnet", neurn=saved or True, input_shape=(32, 32, 3))
    with pytest.raises(ArgumentError) as error:
        check_start_model(model, RunConfig(**run))
    message = str(error.value)
    assert f"the init_from model's NeuRN has {named}; pass " in message
    assert "\n" not in message
    check_start_model(model, RunConfig(**saved))  # the same options pass


def test_every_neurn_option_is_a_run_field_a_layer_argument_and_recorded():
    """``NeuRNOptions`` is the one declaration: RunConfig has each option as a field with
    its default and choices, the layer takes and reports each, the record keeps each."""
    import dataclasses

    from neurn_keras.layer_options import NeuRNOptions
    from neurn_keras.layers import NeuRN
    from neurn_keras.model_parts import NEURN_SETTINGS

    fields = {f.name: f for f in dataclasses.fields(RunConfig)}
    for option in NeuRNOptions.fields():
        assert fields[option.name].default == option.default
        assert fields[option.name].metadata.get("choices") == option.metadata.get("choices")
        assert option.name in NEURN_SETTINGS
        assert NeuRN().get_config()[option.name] == option.default
    changed = NeuRNOptions(kernel_size=5, padding="zeros", normalize_over="channel")
    assert NeuRN(**changed.as_dict()).options == changed
