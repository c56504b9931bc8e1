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

from neurn_keras.training.config import RunConfig
from neurn_keras.training.rundir import RunDirectory

NEURN_MODES = ("on", "off", "both")


def expand_grid(
    base: RunConfig,
    backbones: Sequence[str],
    sources: Sequence[str],
    seeds: Sequence[int],
    neurn: str = "both",
    kernel_sizes: Sequence[int] = (5,),
    paddings: Sequence[str] = ("reflect",),
) -> list[RunConfig]:
    """Every cell of the grid, baseline before NeuRN, in a stable order.

    ``neurn`` is ``"on"``, ``"off"`` or ``"both"``; without NeuRN the kernel sizes and
    paddings do not multiply the cells. Other settings come from ``base``.
    """
    if neurn not in NEURN_MODES:
        raise ValueError(f"neurn={neurn!r} is not one of {NEURN_MODES}")
    variants = []
    if neurn in ("off", "both"):
        variants.append({"neurn": False})
    if neurn in ("on", "both"):
        for kernel_size, padding in itertools.product(kernel_sizes, paddings):
            variants.append({"neurn": True, "kernel_size": kernel_size, "padding": padding})
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
    """``"done"``, ``"started"`` (interrupted or running) or ``"new"``."""
    run = RunDirectory(path)
    if run.is_done():
        return "done"
    return "started" if run.path.exists() else "new"
