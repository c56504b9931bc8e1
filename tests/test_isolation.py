"""Where things are written, and what is downloaded.

Every cache follows ``NEURN_CACHE_DIR``, every download obeys ``NEURN_OFFLINE=1`` (at
once, without opening a connection), the test session keeps caches and Keras's folder out
of the home directory, and the documented commands write into folders git ignores.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from neurn_keras import environment

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_network(monkeypatch):
    """Any DNS lookup or connection fails the test (downloads must stop before one)."""

    def tried(*args, **kwargs):
        pytest.fail(f"the network was tried: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", tried)
    monkeypatch.setattr(socket, "create_connection", tried)
    monkeypatch.setattr(socket.socket, "connect", tried)


@pytest.fixture
def fake_home(tmp_path, monkeypatch) -> Path:
    """HOME moved into the test's folder, ``NEURN_CACHE_DIR`` set to ``tmp_path/cache``."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv(environment.CACHE_ENV_VAR, str(tmp_path / "cache"))
    return home


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


# ------------------------------------------------------------------ the test session


def test_the_session_keeps_caches_and_keras_out_of_home():
    from keras.src.backend import config

    home = Path.home().resolve()
    cache = Path(os.environ[environment.CACHE_ENV_VAR]).resolve()
    keras_home = Path(config.keras_home()).resolve()
    assert not cache.is_relative_to(home)
    assert not keras_home.is_relative_to(home)
    assert keras_home == Path(os.environ["KERAS_HOME"]).resolve()
    assert environment.offline()


# ------------------------------------------------------------------ caches


def test_every_cache_follows_NEURN_CACHE_DIR(fake_home, tmp_path):
    from neurn_keras import archsim
    from neurn_keras.datasets import cache, sources

    assert environment.cache_dir() == tmp_path / "cache"
    assert cache.cache_root() == tmp_path / "cache"
    assert sources.download_dir() == tmp_path / "cache" / "downloads"
    assert archsim.default_cache_dir() == tmp_path / "cache" / "archsim"


def test_without_NEURN_CACHE_DIR_caches_go_to_the_home_folder(fake_home, monkeypatch):
    from neurn_keras import archsim

    monkeypatch.delenv(environment.CACHE_ENV_VAR)
    assert environment.cache_dir() == fake_home / ".neurn_keras" / "cache"
    assert archsim.default_cache_dir() == fake_home / ".neurn_keras" / "cache" / "archsim"


def test_archsim_zoo_caches_under_NEURN_CACHE_DIR_and_not_home(fake_home, tmp_path, monkeypatch):
    from neurn_keras.archsim import model_zoo

    monkeypatch.setattr(model_zoo, "build_sequence", lambda model: ("Conv2D", "ReLU"))
    assert model_zoo.zoo(["VGG16"], progress=False) == {"VGG16": ("Conv2D", "ReLU")}
    assert [p.name for p in files_under(tmp_path / "cache")] == ["VGG16.json"]
    assert (tmp_path / "cache" / "archsim" / "VGG16.json").is_file()
    assert files_under(fake_home) == []


# ------------------------------------------------------------------ downloads


def test_offline_get_file_refuses_a_missing_file_and_returns_a_cached_one(tmp_path, no_network):
    import keras

    with environment.offline_guard(), pytest.raises(environment.OfflineError, match=r"x\.bin"):
        keras.utils.get_file("x.bin", origin="https://example.invalid/x.bin", cache_dir=tmp_path)
    (tmp_path / "datasets").mkdir(exist_ok=True)
    (tmp_path / "datasets" / "y.bin").write_bytes(b"cached")
    with environment.offline_guard():
        path = keras.utils.get_file(
            "y.bin", origin="https://example.invalid/y.bin", cache_dir=tmp_path
        )
    assert Path(path).read_bytes() == b"cached"


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined or non-square")
def test_offline_imagenet_weights_fail_at_once(tmp_path, monkeypatch, no_network):
    from keras.src.backend import config

    from neurn_keras import applications

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))  # no weights cached
    with pytest.raises(applications.WeightsDownloadError) as caught:
        applications.build_model("mobilenetv2", weights="imagenet")
    assert isinstance(caught.value.__cause__, environment.OfflineError)
    assert "NEURN_OFFLINE=1" in str(caught.value.__cause__)


def test_offline_usps_download_is_refused(fake_home, no_network):
    from neurn_keras.datasets import usps_download

    with pytest.raises(environment.OfflineError, match=r"usps\.t\.bz2"):
        usps_download.download_usps("test")


def test_offline_tfds_is_refused_before_tfds_starts(monkeypatch, no_network):
    from neurn_keras.datasets import tfds_source

    monkeypatch.setattr(tfds_source, "prepared_files", lambda source, split: [])
    with pytest.raises(environment.OfflineError, match="TFDS mnist"):
        tfds_source.load_tfds("mnist", "test")


def test_online_the_guard_changes_nothing(monkeypatch):
    import urllib.request

    monkeypatch.delenv(environment.OFFLINE_ENV_VAR)
    before = urllib.request.urlopen
    with environment.offline_guard():
        assert urllib.request.urlopen is before


# ------------------------------------------------------------------ documented outputs


def documented_outputs() -> list[tuple[str, str]]:
    """(command line, --output value) of every command in the README and the CLI epilogs."""
    from neurn_keras.cli import archsim, cortex

    texts = [(ROOT / "README.md").read_text(), cortex.EPILOG, archsim.EPILOG]
    found = []
    for text in texts:
        for line in text.replace("\\\n", " ").splitlines():
            if "python -m neurn_keras." in line:
                found += [(line.strip(), m) for m in re.findall(r"--output\s+(\S+)", line)]
    return found


def test_documented_commands_write_into_ignored_folders():
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a checkout")
    outputs = documented_outputs()
    assert any("archsim" in line for line, _ in outputs)
    assert any("neurn_keras.cortex" in line for line, _ in outputs)
    for line, output in outputs:
        # a folder is checked through a file in it (git matches "runs/" to folders only)
        written = output if Path(output).suffix else f"{output}/similarity.csv"
        ignored = subprocess.run(
            [git, "check-ignore", "-q", "--no-index", written], cwd=ROOT, check=False
        )
        assert ignored.returncode == 0, f"{output!r} is not git-ignored: {line}"
