"""``resolve_data_dir``: a relative ``NEURN_DATA_DIR`` is made absolute once, and errors show it."""

from __future__ import annotations

import os

import pytest

from neurn_keras import datasets, environment, neuro
from neurn_keras.environment import DATA_ENV_VAR, resolve_data_dir
from neurn_keras.errors import DataNotFoundError, MissingFileError


def test_a_relative_variable_is_resolved_once_against_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "start").mkdir()
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "start")
    monkeypatch.setenv(DATA_ENV_VAR, "../shared/data")
    expected = tmp_path / "shared" / "data"
    assert resolve_data_dir() == expected
    assert os.environ[DATA_ENV_VAR] == str(expected)  # child processes see it too
    monkeypatch.chdir(tmp_path)  # a notebook kernel or a tool that changes directory
    assert resolve_data_dir() == expected


def test_relative_to_is_tried_when_the_current_folder_has_no_such_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATA_ENV_VAR, "../shared/data")
    repository = tmp_path / "checkouts" / "neurn_keras"
    (tmp_path / "checkouts" / "shared" / "data").mkdir(parents=True)
    assert resolve_data_dir(relative_to=repository) == tmp_path / "checkouts" / "shared" / "data"


def test_then_the_repository_root(tmp_path, monkeypatch):
    """From ``notebooks/`` (where Jupyter runs a notebook) a path the README's commands
    count from the repository root still finds the data."""
    monkeypatch.setattr(environment, "REPOSITORY", tmp_path / "repo")
    (tmp_path / "repo" / "notebooks").mkdir(parents=True)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo" / "notebooks")
    monkeypatch.setenv(DATA_ENV_VAR, "../shared/data")
    assert resolve_data_dir() == tmp_path / "shared" / "data"


def test_the_current_folder_comes_first(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "REPOSITORY", tmp_path / "repo")
    for folder in ("repo/notebooks/data", "repo/data"):
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo" / "notebooks")
    monkeypatch.setenv(DATA_ENV_VAR, "data")
    assert resolve_data_dir() == tmp_path / "repo" / "notebooks" / "data"


def test_a_relative_variable_that_names_no_folder_names_both_places(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "REPOSITORY", tmp_path / "repo")
    (tmp_path / "repo" / "notebooks").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo" / "notebooks")
    monkeypatch.setenv(DATA_ENV_VAR, "../../nowhere")
    with pytest.raises(DataNotFoundError) as error:
        resolve_data_dir()
    message = str(error.value)
    assert f"{tmp_path / 'nowhere'} (from the current folder)" in message
    assert f"{tmp_path.parent / 'nowhere'} (from the repository root)" in message


def test_an_absolute_variable_and_the_default_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    assert resolve_data_dir(relative_to="/elsewhere") == tmp_path
    monkeypatch.delenv(DATA_ENV_VAR)
    assert resolve_data_dir() == (resolve_data_dir("~/.neurn_keras/data"))
    assert resolve_data_dir().is_absolute()


def test_a_relative_argument_counts_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_dir("data/../digits") == tmp_path / "digits"


def test_errors_show_the_absolute_path(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATA_ENV_VAR, "empty")
    absolute = tmp_path / "empty"
    with pytest.raises(MissingFileError) as error:
        datasets.load_domain("usps", "test")
    assert f"looked in {absolute}," in str(error.value)
    with pytest.raises(MissingFileError) as error:
        neuro.load_scene_rsms()
    assert f"not in {absolute} " in str(error.value)
