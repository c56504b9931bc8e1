"""Small datasets written in the formats users download (a helper for the dataset tests)."""

from __future__ import annotations

import bz2
import gzip
import struct
from pathlib import Path

import numpy as np

from neurn_keras.datasets import usps_download

REAL_DOWNLOAD_USPS = usps_download.download_usps
"""The real USPS download function, kept before the fixtures replace it."""


class NetworkReached(AssertionError):
    """Raised if a test reaches the online fallback without asking for it."""


def digit_images(n: int, shape: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random uint8 images and labels 0..9 (cycling), reproducible."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), np.arange(n, dtype=np.int64) % 10


class Writer:
    """Writes small datasets into ``root`` in the formats users download."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def npz(self, name: str, **arrays) -> Path:
        path = self.root / f"{name}.npz"
        np.savez_compressed(path, **arrays)
        return path

    def idx(self, prefix: str, x: np.ndarray, y: np.ndarray, compress: bool = True) -> list[Path]:
        suffix = ".gz" if compress else ""
        opener = gzip.open if compress else open
        images = self.root / f"{prefix}-images-idx3-ubyte{suffix}"
        labels = self.root / f"{prefix}-labels-idx1-ubyte{suffix}"
        with opener(images, "wb") as handle:
            handle.write(struct.pack(">IIII", 2051, *x.shape) + x.astype(np.uint8).tobytes())
        with opener(labels, "wb") as handle:
            handle.write(struct.pack(">II", 2049, len(y)) + y.astype(np.uint8).tobytes())
        return [images, labels]

    def usps_h5(self, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
        import h5py

        path = self.root / "usps.h5"
        with h5py.File(path, "w") as handle:
            for split, (x, y) in splits.items():
                group = handle.create_group(split)
                group["data"] = (x.reshape(len(x), -1) / 255.0).astype(np.float32)
                group["target"] = y.astype(np.int32)
        return path

    def usps_esl(self, split: str, x: np.ndarray, y: np.ndarray) -> Path:
        path = self.root / f"zip.{split}.gz"
        values = x.reshape(len(x), -1) / 127.5 - 1
        lines = [
            f"{label:.4f} " + " ".join(f"{v:.4f}" for v in row) + " "
            for label, row in zip(y, values, strict=True)
        ]
        with gzip.open(path, "wt") as handle:
            handle.write("\n".join(lines) + "\n")
        return path

    def usps_libsvm(self, name: str, x: np.ndarray, y: np.ndarray, folder: Path | None = None):
        path = (folder or self.root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        values = x.reshape(len(x), -1) / 127.5 - 1
        lines = []
        for label, row in zip(y, values, strict=True):  # sparse: zeros may be left out
            pairs = " ".join(f"{k + 1}:{v:.6f}" for k, v in enumerate(row) if v != 0)
            lines.append(f"{label + 1} {pairs}")
        path.write_bytes(bz2.compress(("\n".join(lines) + "\n").encode()))
        return path

    def svhn_mat(self, split: str, x: np.ndarray, y: np.ndarray) -> Path:
        from scipy.io import savemat

        path = self.root / f"{split}_32x32.mat"
        labels = np.where(y == 0, 10, y).reshape(-1, 1).astype(np.uint8)
        savemat(path, {"X": np.transpose(x, (1, 2, 3, 0)), "y": labels})
        return path

    def mnist_m(self, split: str, x: np.ndarray, y: np.ndarray, folder: Path | None = None):
        from PIL import Image

        base = folder or self.root
        images = base / f"mnist_m_{split}"
        images.mkdir(parents=True, exist_ok=True)
        lines = []
        for i, (image, label) in enumerate(zip(x, y, strict=True)):
            Image.fromarray(image).save(images / f"{i:08d}.png")
            lines.append(f"{i:08d}.png {label}")
        labels = base / f"mnist_m_{split}_labels.txt"
        labels.write_text("\n".join(lines) + "\n")
        return labels, images

    def cifar100_bin(self, split: str, x: np.ndarray, fine: np.ndarray, names=None) -> Path:
        folder = self.root / "cifar-100-binary"
        folder.mkdir(exist_ok=True)
        records = np.concatenate(
            [
                (fine // 5).astype(np.uint8)[:, None],
                fine.astype(np.uint8)[:, None],
                x.transpose(0, 3, 1, 2).reshape(len(x), -1),
            ],
            axis=1,
        )
        path = folder / f"{split}.bin"
        path.write_bytes(records.tobytes())
        if names is not None:
            (folder / "fine_label_names.txt").write_text("\n".join(names) + "\n")
        return path
