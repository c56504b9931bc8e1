"""A sweep's grid: cells (run configurations), their directories and their status.

A cell's directory is named from its configuration (``RunConfig.cell_name``: readable
fields and a hash of every setting), as in DomainBed's sweeps: running a sweep again
finds each cell's directory, skips the complete ones (``done`` marker) and resumes the
others.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from pathlib import Path

from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE
from neurn_keras.training.config import RunConfig
from neurn_keras.training.rundir import RunDirectory


def expand_grid(
    base: RunConfig,
    backbones: Sequence[str],
    sources: Sequence[str],
    seeds: Sequence[int],
    input_norms: Sequence[str] = ("none", "neurn"),
    kernel_sizes: Sequence[int] = (DEFAULT_KERNEL_SIZE,),
    paddings: Sequence[str] = ("reflect",),
    augments: Sequence[str] = ("none",),
) -> list[RunConfig]:
    """Every cell of the grid in a stable order: per backbone, source and seed, each
    augmentation with each input normalization (NeuRN once per kernel size and padding).

    ``base.consistency`` applies to the augmented cells only. Other settings come from
    ``base``.
    """
    variants = []
    for augment in augments:
        method = {"augment": augment, "consistency": base.consistency if augment != "none" else 0.0}
        for norm in input_norms:
            if norm != "neurn":
                variants.append({**method, "input_norm": norm})
                continue
            for kernel_size, padding in itertools.product(kernel_sizes, paddings):
                variants.append(
                    {**method, "input_norm": norm, "kernel_size": kernel_size, "padding": padding}
                )
    cells, seen = [], set()
    for backbone, source, seed, variant in itertools.product(backbones, sources, seeds, variants):
        cell = dataclasses.replace(base, backbone=backbone, source=source, seed=seed, **variant)
        if cell.cell_name() not in seen:
            seen.add(cell.cell_name())
            cells.append(cell)
    return cells


def cell_dir(runs_dir: str | Path, cell: RunConfig) -> Path:
    return Path(runs_dir) / cell.cell_name()


def cell_status(path: str | Path) -> str:
    """``"done"``, ``"running"`` (a live process holds it), ``"started"`` (interrupted) or
    ``"new"``."""
    run = RunDirectory(path)
    if run.is_done():
        return "done"
    if run.holder() is not None:
        return "running"
    return "started" if run.path.exists() else "new"
