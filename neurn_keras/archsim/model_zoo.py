"""The model zoo: every ``keras.applications`` constructor and the project's backbones.

``zoo()`` builds each model with ``weights=None``, takes its layer sequence and drops it
before building the next, so at most one model is in memory. Models are built inside a
``keras.StatelessScope``, where Keras defers creating weights, so even the largest
(ConvNeXtXLarge, 350 M parameters) costs only its graph. Sequences are cached on disk.

Input sizes: ``keras.applications`` models are built at 32×32 (75×75 for InceptionV3 and
InceptionResNetV2, 71×71 for Xception: their minimum), with their classifier top
(``include_top=True``, 1000 classes). The input size changes the shapes, not the layers:
for all 40 constructors of keras 3.15 the sequence at the small size equals the one at
the default size (``python -m benchmarks.archsim_zoo --verify-input-size`` checks it).
A constructor that refuses the small size is built at its default size. The project's
backbones are built by ``neurn_keras.applications.build_model(name, neurn=...,
input_shape=(32, 32, 3), classes=10, weights=None)`` and named ``nk.<name>`` and
``nk.<name>+NeuRN``.

Cache: one JSON file per model in ``cache_dir`` (default ``$NEURN_CACHE_DIR/archsim``, which
is ``~/.neurn_keras/cache/archsim`` when ``NEURN_CACHE_DIR`` is unset),
holding the tokens and a fingerprint: the token rules' version (``TOKENS_VERSION``), the
keras version, and for the project's backbones a hash of the source files of
``neurn_keras.applications`` and ``neurn_keras.layers`` and of their declaration
(``neurn_keras/backbones.py``). A file whose fingerprint
differs from the current one is rebuilt and overwritten; delete the folder to start over.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import keras

from neurn_keras._progress import tqdm
from neurn_keras.archsim.sequence import TOKENS_VERSION, layer_sequence
from neurn_keras.environment import cache_dir as environment_cache_dir
from neurn_keras.errors import InvalidValueError
from neurn_keras.files import atomic_write_text

CACHE_SUBDIR = "archsim"
SMALL_INPUT_SIZE = 32
MIN_INPUT_SIZES = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71}
PROJECT_PREFIX = "nk."
PROJECT_INPUT_SHAPE = (32, 32, 3)


@dataclass(frozen=True)
class ZooModel:
    """One architecture of the zoo: its name, a builder and what its cache depends on."""

    name: str
    build: Callable[[], keras.Model]
    fingerprint: dict


def _source_hash(*packages: str, modules: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256()
    paths = []
    for package in packages:
        folder = Path(inspect.getfile(importlib.import_module(package))).parent
        paths += sorted(folder.glob("*.py"))
    paths += [Path(inspect.getfile(importlib.import_module(module))) for module in modules]
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _keras_builder(constructor: Callable, size: int) -> Callable[[], keras.Model]:
    def build() -> keras.Model:
        try:
            return constructor(weights=None, input_shape=(size, size, 3))
        except ValueError:  # an input size below this constructor's minimum
            return constructor(weights=None)

    return build


def keras_application_models() -> dict[str, ZooModel]:
    """Every model constructor in ``keras.applications``, by its name (``"VGG16"``...)."""
    fingerprint = {"tokens_version": TOKENS_VERSION, "keras": keras.__version__}
    models = {}
    for name, constructor in sorted(vars(keras.applications).items()):
        if name[:1].isupper() and inspect.isfunction(constructor):
            size = MIN_INPUT_SIZES.get(name, SMALL_INPUT_SIZE)
            models[name] = ZooModel(name, _keras_builder(constructor, size), fingerprint)
    return models


def project_models() -> dict[str, ZooModel]:
    """The project's backbones without and with NeuRN (``nk.vgg19``, ``nk.vgg19+NeuRN``),
    in the declared order (``neurn_keras.backbones``).

    Empty when ``neurn_keras.applications`` cannot be imported.
    """
    try:
        from neurn_keras import applications, backbones
    except ImportError:
        return {}
    fingerprint = {
        "tokens_version": TOKENS_VERSION,
        "keras": keras.__version__,
        "source": _source_hash(
            "neurn_keras.applications", "neurn_keras.layers", modules=("neurn_keras.backbones",)
        ),
    }
    models = {}
    for backbone in backbones.NAMES:
        for neurn in (False, True):
            name = f"{PROJECT_PREFIX}{backbone}{'+NeuRN' if neurn else ''}"

            def build(backbone=backbone, neurn=neurn) -> keras.Model:
                return applications.build_model(
                    backbone,
                    neurn=neurn,
                    input_shape=PROJECT_INPUT_SHAPE,
                    classes=10,
                    weights=None,
                )

            models[name] = ZooModel(name, build, fingerprint)
    return models


def zoo_models() -> dict[str, ZooModel]:
    """All zoo architectures by name: ``keras.applications`` first, then the project's."""
    return {**keras_application_models(), **project_models()}


def default_cache_dir() -> Path:
    """``$NEURN_CACHE_DIR/archsim``, else ``~/.neurn_keras/cache/archsim``."""
    return environment_cache_dir(CACHE_SUBDIR)


def _cache_path(cache_dir: Path, name: str) -> Path:
    return cache_dir / (re.sub(r"[^A-Za-z0-9_.+-]", "_", name) + ".json")


def _read_cache(path: Path, fingerprint: dict) -> tuple[str, ...] | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # absent or unreadable (e.g. truncated): rebuild
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return None
    tokens = record.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        return None
    return tuple(tokens)


def _write_cache(path: Path, name: str, fingerprint: dict, tokens: tuple[str, ...]) -> None:
    record = {"name": name, "fingerprint": fingerprint, "tokens": list(tokens)}
    atomic_write_text(path, json.dumps(record))


def build_sequence(model: ZooModel) -> tuple[str, ...]:
    """Builds one zoo model without allocating its weights, returns its layer sequence."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. MobileNet's "input shape is not 224"
        try:
            with keras.StatelessScope():
                built = model.build()
        except Exception:  # a layer that needs concrete weights to build: build normally
            keras.backend.clear_session()
            built = model.build()
    try:
        return layer_sequence(built)
    finally:
        del built
        keras.backend.clear_session()  # also runs the garbage collector


def zoo(
    names: Iterable[str] | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> dict[str, tuple[str, ...]]:
    """Layer sequences of the zoo's architectures, built one at a time, cached on disk.

    Building calls ``keras.backend.clear_session()`` after each model: names of layers
    created afterwards restart from scratch, models built before stay usable.

    Args:
        names: which architectures (keys of ``zoo_models()``), in this order; default all.
        cache_dir: where sequences are cached (default ``$NEURN_CACHE_DIR/archsim``, else
            ``~/.neurn_keras/cache/archsim``).
        use_cache: read and write the cache; False builds everything afresh.
        progress: show a tqdm bar.

    Returns:
        name -> tuple of layer-type tokens.
    """
    available = zoo_models()
    names = list(available) if names is None else list(names)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise InvalidValueError(
            f"archsim.zoo: unknown model {unknown[0]!r}; choose from {', '.join(available)}"
        )
    cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    sequences = {}
    bar = tqdm(names, desc="zoo", unit="model", disable=not progress)
    for name in bar:
        bar.set_postfix_str(name)
        model = available[name]
        path = _cache_path(cache_dir, name)
        tokens = _read_cache(path, model.fingerprint) if use_cache else None
        if tokens is None:
            tokens = build_sequence(model)
            if use_cache:
                _write_cache(path, name, model.fingerprint, tokens)
        sequences[name] = tokens
    return sequences
