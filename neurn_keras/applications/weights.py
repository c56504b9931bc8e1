"""The ``weights`` argument: its one check, Keras's ImageNet download, and weight transfer.

``check_weights`` is the only check of ``weights``: the constructors call it before they
build anything, and our own architectures (``keras_style.backbone_input``) call it too.
"""

from __future__ import annotations

import os
import re
import urllib.error
from collections.abc import Callable

import keras

from neurn_keras.backbones import Backbone
from neurn_keras.environment import offline_guarded
from neurn_keras.errors import (
    InvalidTypeError,
    InvalidValueError,
    MissingFileError,
    WeightsDownloadError,
)

NO_TOP_FILE = "a weights file for the backbone without its top"


def check_weights(backbone: Backbone, weights) -> str | None:
    """``None``, ``"imagenet"`` (where the backbone has such weights) or an existing file's
    path, as a string; otherwise an error that names the backbone and the choices."""
    if weights is None:
        return None
    if weights == "imagenet":
        if not backbone.imagenet_weights:
            raise InvalidValueError(
                f"{backbone.name}: there are no ImageNet weights for {backbone.label} "
                f"in neurn_keras; pass weights=None, or the path to {NO_TOP_FILE}"
            )
        return weights
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise MissingFileError(
                f"{backbone.name}: weights file {path!r} does not exist; pass None, "
                f"'imagenet' or the path to {NO_TOP_FILE}"
            )
        return path
    raise InvalidTypeError(
        f"{backbone.name}: weights must be None, 'imagenet' or a file path, got {weights!r}"
    )


def _is_download_failure(error: BaseException) -> bool:
    # keras.utils.get_file turns urllib errors into Exception("URL fetch failure on ...").
    if isinstance(error, (urllib.error.URLError, ConnectionError, TimeoutError)):
        return True
    return str(error).startswith("URL fetch failure")


def download_error(backbone: Backbone, error: BaseException) -> WeightsDownloadError:
    """The error to raise when Keras failed to download ``backbone``'s ImageNet weights:
    it names the URL from Keras's message, the file to fetch and where to put it."""
    match = re.search(r"https?://\S+?(?=:?\s|$)", str(error))
    url = match.group(0) if match else None
    file_name = url.rsplit("/", 1)[-1] if url else "its *_notop.h5 file"
    cache = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "models")
    return WeightsDownloadError(
        f"{backbone.name}: {backbone.code} could not download "
        f"its ImageNet weights{f' from {url}' if url else ''} (no network access?). "
        f"Fetch {file_name} on a machine that has access, then pass "
        f"weights='/path/to/{file_name}' ({NO_TOP_FILE}, such as Keras's *_notop.h5), "
        f"or copy it to {cache}, where Keras looks before downloading."
    )


def call_backbone(
    backbone: Backbone, function: Callable[..., keras.Model], weights, **kwargs
) -> keras.Model:
    """``function(weights=weights, **kwargs)`` with downloads refused when offline, and a
    failed ImageNet download raised as ``WeightsDownloadError``."""
    try:
        return offline_guarded(function)(weights=weights, **kwargs)
    except Exception as error:
        if weights == "imagenet" and _is_download_failure(error):
            raise download_error(backbone, error) from error
        raise


def transfer_weights(source: keras.Model, target: keras.Model, skip_layers=()) -> int:
    """Copies the weights of ``source``'s layers into ``target``'s, in topological order.

    Only layers that own weights take part, paired in order, as Keras does when it loads
    an ``.h5`` file by topology; ``target`` may have more of them (a classifier head
    that keeps its fresh initialization). Layers of ``target`` in ``skip_layers`` (e.g.
    a user's own layers in front of the backbone) are left out. Returns the number of
    layers copied.
    """
    skipped = {id(layer) for layer in skip_layers}
    sources = [layer for layer in source.layers if layer.weights]
    targets = [layer for layer in target.layers if layer.weights and id(layer) not in skipped]
    if len(sources) > len(targets):
        raise InvalidValueError(
            f"transfer_weights: {source.name} has {len(sources)} layers with weights, "
            f"more than the {len(targets)} of {target.name}"
        )
    for src, dst in zip(sources, targets[: len(sources)], strict=True):
        src_shapes = [tuple(w.shape) for w in src.weights]
        dst_shapes = [tuple(w.shape) for w in dst.weights]
        if src_shapes != dst_shapes:
            raise InvalidValueError(
                f"transfer_weights: layer {src.name} of {source.name} has weights of shapes "
                f"{src_shapes}, but the matching layer {dst.name} of {target.name} has "
                f"{dst_shapes}; the weights belong to another architecture"
            )
        dst.set_weights(src.get_weights())
    return len(sources)
