"""Parsers for the file formats the digit and CIFAR data come in.

Every parser takes paths, returns ``(x, y)`` with ``x`` uint8 (N, H, W, C) and ``y``
int64, and raises :class:`DatasetFormatError` naming the file when the file is
truncated, malformed or inconsistent. Nothing is returned half-loaded: arrays are
built in full and checked before they leave a parser. Nothing is ever unpickled.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

import numpy as np

from neurn_keras._progress import tqdm
from neurn_keras.errors import DatasetFormatError

Arrays = tuple[np.ndarray, np.ndarray]

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned byte, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned byte, 1 dimension
CIFAR_RECORD_BYTES = 2 + 32 * 32 * 3  # coarse label, fine label, 3 channel planes
GZIP_MAGIC = b"\x1f\x8b"


def _fail(path: os.PathLike | str, problem: str, fix: str = "") -> DatasetFormatError:
    hint = f" ({fix})" if fix else " (re-download or re-extract the file)"
    return DatasetFormatError(f"{path}: {problem}{hint}")


def check_arrays(
    x: np.ndarray,
    y: np.ndarray,
    source: os.PathLike | str,
    image_shape: tuple[int, int, int] | None = None,
    num_classes: int = 10,
) -> Arrays:
    """Validate and normalise a decoded pair: uint8 (N, H, W, C) images, int64 labels.

    Gray images stored as (N, H, W) gain a channel axis (a view, no copy).
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.dtype != np.uint8:
        raise _fail(source, f"images have dtype {x.dtype}, expected uint8 in 0..255")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise _fail(source, f"images have shape {x.shape}, expected (N, H, W) or (N, H, W, 1|3)")
    if image_shape is not None and x.shape[1:] != tuple(image_shape):
        raise _fail(source, f"images are {x.shape[1:]}, expected {tuple(image_shape)}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise _fail(source, f"labels have shape {y.shape} and dtype {y.dtype}, expected (N,) ints")
    if len(x) != len(y):
        raise _fail(source, f"{len(x)} images but {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise _fail(source, f"labels span {y.min()}..{y.max()}, expected 0..{num_classes - 1}")
    return x, y.astype(np.int64, copy=False)


# --- NumPy .npz (the shared-data convention and our own caches) -----------------------


def read_npz(path: Path, split: str, image_shape=None, num_classes: int = 10) -> Arrays:
    """``x_<split>`` and ``y_<split>`` from an ``.npz`` file, without unpickling."""
    keys = (f"x_{split}", f"y_{split}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise _fail(
                    path,
                    f"no array {missing[0]!r} (has {sorted(archive.files)})",
                    "save it with x_train, y_train, x_test, y_test",
                )
            x, y = archive[keys[0]], archive[keys[1]]
    except DatasetFormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise _fail(path, f"cannot read as .npz: {exc}") from exc
    return check_arrays(x, y, path, image_shape, num_classes)


# --- MNIST IDX --------------------------------------------------------------------------


def _read_maybe_gzip(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            head = handle.read(2)
        opener = gzip.open if head == GZIP_MAGIC else open
        with opener(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise _fail(path, f"cannot decompress: {exc}") from exc


def _read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    data = _read_maybe_gzip(path)
    header = 4 + 4 * ndim
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise _fail(path, f"IDX magic number {found}, expected {magic}")
    if len(data) < header:
        raise _fail(path, f"{len(data)} bytes, shorter than the IDX header")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise _fail(path, f"{len(data) - header} data bytes, header {dims} needs {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(images: Path, labels: Path) -> Arrays:
    """MNIST's IDX pair (``*-images-idx3-ubyte[.gz]``, ``*-labels-idx1-ubyte[.gz]``)."""
    x = _read_idx(images, IDX_IMAGES_MAGIC, 3)
    y = _read_idx(labels, IDX_LABELS_MAGIC, 1)
    if len(x) != len(y):
        raise _fail(labels, f"{len(y)} labels for {len(x)} images in {images.name}")
    return check_arrays(x, y, labels, (28, 28, 1))


# --- USPS ---------------------------------------------------------------------------------


def _unit_to_uint8(values: np.ndarray, low: float, path: Path) -> np.ndarray:
    """Map values in [low, 1] linearly onto 0..255 (rounded), checking the range."""
    if not np.all(np.isfinite(values)) or values.min() < low - 1e-6 or values.max() > 1 + 1e-6:
        raise _fail(path, f"pixel values outside [{low:g}, 1]")
    return np.rint((values - low) * (255.0 / (1.0 - low))).astype(np.uint8)


def _integral_labels(values: np.ndarray, path: Path) -> np.ndarray:
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise _fail(path, "labels are not whole numbers")
    return values.astype(np.int64)


def read_usps_h5(path: Path, split: str) -> Arrays:
    """``usps.h5`` (groups train/test with ``data`` (N, 256) in [0, 1] and ``target``)."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            if split not in handle:
                raise _fail(path, f"no group {split!r} (has {sorted(handle)})")
            group = handle[split]
            for key in ("data", "target"):
                if key not in group:
                    raise _fail(path, f"group {split!r} has no dataset {key!r}")
            values = np.asarray(group["data"][...], dtype=np.float64)
            target = np.asarray(group["target"][...])
    except DatasetFormatError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise _fail(path, f"cannot read as HDF5: {exc}") from exc
    if values.ndim != 2 or values.shape[1] != 256:
        raise _fail(path, f"{split}/data has shape {values.shape}, expected (N, 256)")
    x = _unit_to_uint8(values, 0.0, path).reshape(-1, 16, 16)
    return check_arrays(
        x, _integral_labels(np.asarray(target, np.float64), path), path, (16, 16, 1)
    )


def read_usps_esl(path: Path) -> Arrays:
    """ESL ``zip.train.gz``/``zip.test.gz``: per line a digit then 256 values in [-1, 1]."""
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, dtype=np.float64, ndmin=2)
    except (OSError, EOFError, ValueError) as exc:
        raise _fail(path, f"cannot read as gzipped ESL text: {exc}") from exc
    if table.shape[1] != 257:
        raise _fail(path, f"{table.shape[1]} columns, expected 257 (digit, then 16x16 pixels)")
    x = _unit_to_uint8(table[:, 1:], -1.0, path).reshape(-1, 16, 16)
    return check_arrays(x, _integral_labels(table[:, 0], path), path, (16, 16, 1))


def read_usps_libsvm(path: Path) -> Arrays:
    """LIBSVM ``usps.bz2``/``usps.t.bz2``: labels 1..10 (digit + 1), 256 values in [-1, 1]."""
    from sklearn.datasets import load_svmlight_file

    try:
        features, labels = load_svmlight_file(str(path), n_features=256, zero_based=False)
    except (OSError, EOFError, ValueError) as exc:
        raise _fail(path, f"cannot read as LIBSVM text: {exc}") from exc
    x = _unit_to_uint8(features.toarray(), -1.0, path).reshape(-1, 16, 16)
    y = _integral_labels(labels, path) - 1
    return check_arrays(x, y, path, (16, 16, 1))


# --- SVHN (cropped digits, MATLAB v5) ------------------------------------------------------


def read_svhn_mat(path: Path) -> Arrays:
    """``train_32x32.mat``/``test_32x32.mat``: X (32, 32, 3, N) uint8, y (N, 1) with 10 for 0."""
    from scipy.io import loadmat

    try:
        contents = loadmat(path, variable_names=["X", "y"])
    except NotImplementedError as exc:  # MATLAB v7.3 files are HDF5
        raise _fail(path, f"not a MATLAB v5 file: {exc}", "use the official SVHN .mat") from exc
    except Exception as exc:  # scipy raises many types (ValueError, TypeError, MatReadError)
        raise _fail(path, f"cannot read as MATLAB v5: {exc}") from exc
    for key in ("X", "y"):
        if key not in contents:
            raise _fail(path, f"no variable {key!r}")
    images, labels = contents["X"], np.asarray(contents["y"]).reshape(-1)
    if images.ndim != 4 or images.shape[:3] != (32, 32, 3):
        raise _fail(path, f"X has shape {images.shape}, expected (32, 32, 3, N)")
    labels = _integral_labels(labels.astype(np.float64), path)
    if len(labels) and (labels.min() < 1 or labels.max() > 10):
        raise _fail(path, f"labels span {labels.min()}..{labels.max()}, expected 1..10")
    x = np.ascontiguousarray(np.transpose(images, (3, 0, 1, 2)))
    return check_arrays(x, np.where(labels == 10, 0, labels), path, (32, 32, 3))


# --- MNIST-M (PNG folder + labels text) -------------------------------------------------


def read_labels_txt(path: Path) -> tuple[list[str], np.ndarray]:
    """``mnist_m_<split>_labels.txt``: lines ``00000000.png 5``."""
    names, labels = [], []
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].isdigit():
            raise _fail(path, f"line {number} is {line!r}, expected '<file>.png <digit>'")
        names.append(fields[0])
        labels.append(int(fields[1]))
    return names, np.asarray(labels, dtype=np.int64)


def read_png_folder(labels_file: Path, folder: Path, image_shape=(32, 32, 3)) -> Arrays:
    """A folder of RGB PNGs listed, in order, by a labels text file (MNIST-M's layout)."""
    from PIL import Image, UnidentifiedImageError

    names, y = read_labels_txt(labels_file)
    on_disk = {entry.name for entry in os.scandir(folder) if entry.name.endswith(".png")}
    missing = [name for name in names if name not in on_disk]
    if missing:
        raise _fail(labels_file, f"lists {len(missing)} PNGs not in {folder}, e.g. {missing[0]}")
    if len(on_disk) != len(names):
        raise _fail(folder, f"{len(on_disk)} PNGs but {labels_file.name} labels {len(names)}")
    x = np.empty((len(names), *image_shape), dtype=np.uint8)
    mode = "RGB" if image_shape[-1] == 3 else "L"
    progress = tqdm(names, desc=f"decoding {folder.name}", disable=len(names) < 2000)
    for i, name in enumerate(progress):
        path = folder / name
        try:
            with Image.open(path) as image:
                image.load()
                if image.mode != mode or image.size != image_shape[1::-1]:
                    raise _fail(path, f"{image.mode} {image.size}, expected {mode} {image_shape}")
                x[i] = np.asarray(image).reshape(image_shape)
        except (OSError, UnidentifiedImageError) as exc:
            raise _fail(path, f"cannot decode PNG: {exc}") from exc
    return check_arrays(x, y, labels_file, image_shape)


# --- CIFAR-100 binary version -----------------------------------------------------------


def read_cifar100_bin(path: Path) -> Arrays:
    """``cifar-100-binary/{train,test}.bin``: records of coarse byte, fine byte, 3x32x32."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc}") from exc
    if not data or len(data) % CIFAR_RECORD_BYTES:
        raise _fail(
            path, f"{len(data)} bytes, not a whole number of {CIFAR_RECORD_BYTES}-byte records"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, CIFAR_RECORD_BYTES)
    coarse, fine = records[:, 0], records[:, 1]
    if coarse.max() >= 20:
        raise _fail(path, f"coarse label {coarse.max()} out of 0..19")
    x = np.ascontiguousarray(records[:, 2:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return check_arrays(x, fine, path, (32, 32, 3), num_classes=100)


def read_label_names(path: Path) -> list[str]:
    """A label-names text file: one name a line, blank lines ignored."""
    try:
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read: {exc}") from exc
