"""Where each dataset's files may be, in which layouts, and how each layout is read.

A *source* is a dataset as stored (``mnist``, ``usps``, ``svhn``, ``mnist_m``,
``cifar100``); a *layout* is one way its files can sit in a data directory. Layouts are
tried in order (the compact ``.npz`` first) in the data directory itself and in its
sub-folders named for the dataset. The first layout whose files all exist for the split
is the one read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from neurn_keras.datasets import cache, formats
from neurn_keras.datasets.formats import Arrays
from neurn_keras.errors import InvalidValueError

SPLITS = ("train", "test")

Reader = Callable[[tuple[Path, ...], str], Arrays]


@dataclass(frozen=True)
class Layout:
    """One arrangement of a dataset's files.

    Attributes:
        name: short description used in messages (``"IDX"``, ``"PNG folder"``).
        files: per split, the names (relative to a search folder) that must all exist;
            the first is the one named in messages.
        read: ``read(paths, split) -> (x, y)``.
        disk_cache: decode once and keep a ``.npz`` copy (slow formats).
        expand: the files actually read, when ``files`` names a folder.
    """

    name: str
    files: dict[str, tuple[str, ...]]
    read: Reader
    disk_cache: bool = False
    expand: Callable[[tuple[Path, ...]], list[Path]] | None = None


@dataclass(frozen=True)
class Source:
    """A dataset as stored: its layouts, native image shape and where to get it."""

    name: str
    image_shape: tuple[int, int, int]
    canonical_sizes: dict[str, int]
    layouts: tuple[Layout, ...]
    how_to_get: str
    num_classes: int = 10
    subdirs: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Located:
    """The layout found for a split, with the absolute paths of its files."""

    source: Source
    layout: Layout
    paths: tuple[Path, ...]
    data_dir: Path

    def files(self) -> list[Path]:
        """Every file this location reads (folders expanded to their files)."""
        if self.layout.expand is not None:
            return self.layout.expand(self.paths)
        return list(self.paths)


def download_dir() -> Path:
    """Where downloads are kept: ``<$NEURN_CACHE_DIR or ~/.neurn_keras/cache>/downloads``."""
    return cache.cache_root() / "downloads"


# --- layouts ----------------------------------------------------------------------------


def _npz_layout(source: str, shape, num_classes: int = 10) -> Layout:
    file = f"{source}.npz"
    return Layout(
        name=".npz",
        files={split: (file,) for split in SPLITS},
        read=lambda paths, split: formats.read_npz(paths[0], split, shape, num_classes),
    )


def _png_files(paths: tuple[Path, ...]) -> list[Path]:
    labels_file, folder = paths
    names, _ = formats.read_labels_txt(labels_file)
    return [labels_file, *(folder / name for name in names)]


def _idx_files(suffix: str) -> dict[str, tuple[str, ...]]:
    return {
        split: (f"{prefix}-images-idx3-ubyte{suffix}", f"{prefix}-labels-idx1-ubyte{suffix}")
        for split, prefix in (("train", "train"), ("test", "t10k"))
    }


MNIST = Source(
    name="mnist",
    image_shape=(28, 28, 1),
    canonical_sizes={"train": 60000, "test": 10000},
    layouts=(
        _npz_layout("mnist", (28, 28, 1)),
        Layout("IDX (gzip)", _idx_files(".gz"), lambda p, s: formats.read_idx(*p)),
        Layout("IDX", _idx_files(""), lambda p, s: formats.read_idx(*p)),
    ),
    subdirs=("mnist", "MNIST/raw"),
    how_to_get="the four IDX files from https://yann.lecun.com/exdb/mnist/ (or any mirror), "
    "or keras's mnist.npz",
)

USPS = Source(
    name="usps",
    image_shape=(16, 16, 1),
    canonical_sizes={"train": 7291, "test": 2007},
    layouts=(
        _npz_layout("usps", (16, 16, 1)),
        Layout(
            "HDF5", {s: ("usps.h5",) for s in SPLITS}, lambda p, s: formats.read_usps_h5(p[0], s)
        ),
        Layout(
            "ESL text",
            {"train": ("zip.train.gz",), "test": ("zip.test.gz",)},
            lambda p, s: formats.read_usps_esl(p[0]),
        ),
        Layout(
            "LIBSVM",
            {"train": ("usps.bz2",), "test": ("usps.t.bz2",)},
            lambda p, s: formats.read_usps_libsvm(p[0]),
        ),
    ),
    subdirs=("usps",),
    how_to_get="zip.train.gz and zip.test.gz from "
    "https://hastie.su.domains/ElemStatLearn/data.html, or usps.h5 (Kaggle "
    "bistaumanga/usps-dataset)",
)

SVHN = Source(
    name="svhn",
    image_shape=(32, 32, 3),
    canonical_sizes={"train": 73257, "test": 26032},
    layouts=(
        _npz_layout("svhn", (32, 32, 3)),
        Layout(
            "MATLAB",
            {"train": ("train_32x32.mat",), "test": ("test_32x32.mat",)},
            lambda p, s: formats.read_svhn_mat(p[0]),
            disk_cache=True,
        ),
    ),
    subdirs=("svhn",),
    how_to_get="train_32x32.mat and test_32x32.mat (format 2, cropped digits) from "
    "http://ufldl.stanford.edu/housenumbers/",
)

MNIST_M = Source(
    name="mnist_m",
    image_shape=(32, 32, 3),
    canonical_sizes={"train": 59001, "test": 9001},
    layouts=(
        _npz_layout("mnist_m", (32, 32, 3)),
        Layout(
            "PNG folder",
            {s: (f"mnist_m_{s}_labels.txt", f"mnist_m_{s}") for s in SPLITS},
            lambda p, s: formats.read_png_folder(p[0], p[1]),
            disk_cache=True,
            expand=_png_files,
        ),
    ),
    subdirs=("mnist_m",),
    how_to_get="MNIST-M has no stable public download: get the original mnist_m.tar.gz "
    "linked from the DANN project (Ganin & Lempitsky 2015; github.com/fungtion/DANN) and "
    "unpack it so that mnist_m_train/, mnist_m_test/ and mnist_m_{train,test}_labels.txt "
    "sit in the data directory or its mnist_m/ folder",
)

CIFAR100 = Source(
    name="cifar100",
    image_shape=(32, 32, 3),
    canonical_sizes={"train": 50000, "test": 10000},
    num_classes=100,
    layouts=(
        _npz_layout("cifar100", (32, 32, 3), num_classes=100),
        Layout(
            "binary",
            {"train": ("train.bin",), "test": ("test.bin",)},
            lambda p, s: formats.read_cifar100_bin(p[0]),
        ),
    ),
    subdirs=("cifar-100-binary", "cifar100"),
    how_to_get="the binary version cifar-100-binary.tar.gz from "
    "https://www.cs.toronto.edu/~kriz/cifar.html, unpacked (cifar-100-binary/train.bin, "
    "test.bin)",
)

SOURCES: dict[str, Source] = {s.name: s for s in (MNIST, USPS, SVHN, MNIST_M, CIFAR100)}


# --- finding files ----------------------------------------------------------------------


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise InvalidValueError(f"split={split!r} is not one of {SPLITS}")


def search_folders(source: Source, data_dir: Path, with_downloads: bool) -> list[Path]:
    """The folders searched for ``source``: the data directory, then its sub-folders."""
    folders = [data_dir, *(data_dir / sub for sub in source.subdirs)]
    if with_downloads:
        folders.append(download_dir())
    return folders


def locate(
    source: Source, split: str, data_dir: Path, with_downloads: bool = False
) -> tuple[Located | None, list[Path]]:
    """The first complete layout for ``split``, and every first file tried (for messages)."""
    check_split(split)
    tried = []
    for layout in source.layouts:
        for folder in search_folders(source, data_dir, with_downloads):
            paths = tuple(folder / name for name in layout.files[split])
            if all(path.exists() for path in paths):
                return Located(source, layout, paths, data_dir), tried
            tried.append(paths[0])
    return None, tried


def not_found_message(
    source: Source, split: str, data_dir: Path, tried: list[Path], with_downloads: bool = False
) -> str:
    """``FileNotFoundError`` text: the dataset, the folders and file names tried, the fix."""
    folders = ", ".join(str(f) for f in search_folders(source, data_dir, with_downloads))
    names = ", ".join(dict.fromkeys(path.name for path in tried))
    return (
        f"{source.name}: no {split} data found; looked in {folders} for {names}. "
        f"Get {source.how_to_get}; set NEURN_DATA_DIR or pass `data_dir` to point at the folder."
    )
