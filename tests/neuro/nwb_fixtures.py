"""Small Brain Observatory NWB 1.x (HDF5) files in the real layout, with known responses."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

GENOTYPE = "Cux2-CreERT2/wt;Camk2a-tTA/wt;Ai93(TITL-GCaMP6f)/Ai93(TITL-GCaMP6f)"
SWEEP = 7  # frames per presentation, as in the real files (0.25 s at 30 Hz)
SPACING = 50  # frames between onsets: the 28-frame baseline and 14-frame window never overlap
RATE = 30.0


def schedule(n_scenes: int, repeats: int, short_scene: int | None, seed: int) -> np.ndarray:
    """Scene index of each presentation: every scene ``repeats`` times (``short_scene`` one
    time fewer), shuffled, with blanks (-1) mixed in."""
    order = [s for s in range(n_scenes) for _ in range(repeats)]
    if short_scene is not None:
        order.remove(short_scene)
    order += [-1] * 3
    return np.random.default_rng(seed).permutation(np.array(order))


def write_nwb(
    path: Path,
    *,
    n_cells: int = 3,
    n_scenes: int = 4,
    repeats: int = 3,
    short_scene: int | None = 3,
    genotype: str = GENOTYPE,
    area: str = "VISp",
    depth: str = "175 microns",
    cell_ids=None,
    seed: int = 0,
    tail_frames: int = 60,
    drop: tuple[str, ...] = (),
    overrides: dict | None = None,
) -> dict:
    """Write the file and return the truth: ``amplitude[c, s]``, ``offset[c, p]`` (each
    presentation's baseline level), ``scene_of`` (per presentation), ``starts``, templates.

    dF/F of cell c is ``offset[c, p]`` in the 28 baseline frames before presentation p and
    ``offset[c, p] + amplitude[c, scene]`` in the 14 frames from its onset, 0 elsewhere.
    """
    rng = np.random.default_rng(seed)
    scene_of = schedule(n_scenes, repeats, short_scene, seed)
    starts = 40 + SPACING * np.arange(scene_of.size)
    n_frames = int(starts[-1] + tail_frames)
    amplitude = rng.uniform(0.1, 2.0, size=(n_cells, n_scenes))
    offset = rng.uniform(-0.5, 0.5, size=(n_cells, scene_of.size))
    dff = np.zeros((n_cells, n_frames), dtype=np.float32)
    for p, (s, start) in enumerate(zip(scene_of, starts, strict=True)):
        dff[:, start - 4 * SWEEP : start] = offset[:, p, None]
        dff[:, start : start + 2 * SWEEP] = offset[:, p, None] + (
            amplitude[:, s, None] if s >= 0 else 0.0
        )
    templates = rng.integers(0, 256, size=(n_scenes, 6, 8)).astype(np.float32)
    frame_duration = np.stack([starts, starts + SWEEP], axis=1).astype(np.float64)
    cell_ids = np.arange(1000, 1000 + n_cells) if cell_ids is None else np.asarray(cell_ids)
    pipeline = "processing/brain_observatory_pipeline"
    datasets = {
        f"{pipeline}/DfOverF/imaging_plane_1/data": dff,
        f"{pipeline}/DfOverF/imaging_plane_1/timestamps": np.arange(n_frames) / RATE + 8.5,
        f"{pipeline}/ImageSegmentation/cell_specimen_ids": cell_ids,
        "stimulus/presentation/natural_scenes_stimulus/data": scene_of.astype(np.float64),
        "stimulus/presentation/natural_scenes_stimulus/frame_duration": frame_duration,
        "stimulus/templates/natural_scenes_image_stack/data": templates,
        "general/subject/genotype": np.bytes_(genotype.encode()),
        "general/optophysiology/imaging_plane_1/location": area,  # variable-length str
        "general/optophysiology/imaging_plane_1/imaging depth": np.bytes_(depth.encode()),
        "general/session_id": np.bytes_(b"501498760"),
        "general/experiment_container_id": np.int64(511510667),
    }
    datasets.update(overrides or {})
    with h5py.File(path, "w") as f:
        for key, value in datasets.items():
            if not any(key.endswith(d) for d in drop):
                f.create_dataset(key, data=value)
    return {
        "amplitude": amplitude,
        "offset": offset,
        "scene_of": scene_of,
        "starts": starts,
        "templates": templates,
        "dff": dff,
        "cell_ids": cell_ids,
    }
