"""Reading Allen Brain Observatory ophys NWB 1.x files (HDF5) into the compact format.

Only ``h5py`` is needed. The datasets read (NWB 1.x layout of the Brain Observatory,
the same paths the Allen SDK's ``BrainObservatoryNwbDataSet`` reads):

- ``processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data`` (cells, frames)
  and its ``timestamps`` (frames,): the dF/F traces;
- ``processing/brain_observatory_pipeline/ImageSegmentation/cell_specimen_ids`` (cells,);
- ``stimulus/presentation/natural_scenes_stimulus/data`` (presentations,): the scene index
  of each presentation, ``-1`` for the blank (gray) screen, and its ``frame_duration``
  (presentations, 2): first and last acquisition frame of the presentation;
- ``stimulus/templates/natural_scenes_image_stack/data`` (118, 918, 1174): the scenes;
- ``general/subject/genotype`` (Cre line = first ``;`` field, as the SDK reads it),
  ``general/optophysiology/imaging_plane_1/location`` (area, e.g. ``VISp``),
  ``general/optophysiology/imaging_plane_1/imaging depth`` (``"175 microns"``),
  ``general/session_id`` and ``general/experiment_container_id``.

Trial windows follow the SDK's ``StimulusAnalysis.get_sweep_response`` for natural scenes:
a presentation lasts ``sweep`` frames (``end - start`` of the second presentation, 7 frames
= 0.25 s at 30 Hz); the baseline is the ``4 × sweep`` frames before onset (about 1 s), and
the response window the ``2 × sweep`` frames from onset (the sweep plus as many frames
after it, about 0.5 s). The trial response is the mean dF/F in the response window minus
the mean dF/F in the baseline (``baseline="subtract"``, the default) or the raw mean
(``baseline="none"``). The SDK instead computes ``100 × (F / F0 − 1)`` from the
neuropil-corrected fluorescence with F0 the baseline mean: the same windows, a different
normalization, so our values are a fraction of the pipeline's dF/F, not percent.

Time-resolved output keeps each trial's frames from ``−4 × sweep`` to ``+5 × sweep``
(the SDK's sweep-response trace), baseline-subtracted the same way.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from neurn_keras.errors import InvalidValueError, MissingFileError, NWBFormatError
from neurn_keras.neuro.compact import NeuralData, cells_table, concat_neural
from neurn_keras.neuro.cre_lines import cre_line_from_genotype
from neurn_keras.neuro.resize import resize_maps

PIPELINE = "processing/brain_observatory_pipeline"
DFF_DATA = f"{PIPELINE}/DfOverF/imaging_plane_1/data"
DFF_TIMESTAMPS = f"{PIPELINE}/DfOverF/imaging_plane_1/timestamps"
CELL_IDS = f"{PIPELINE}/ImageSegmentation/cell_specimen_ids"
PRESENTATION = "stimulus/presentation/natural_scenes_stimulus"
SCENE_INDEX = f"{PRESENTATION}/data"
FRAME_DURATION = f"{PRESENTATION}/frame_duration"
TEMPLATES = "stimulus/templates/natural_scenes_image_stack/data"
GENOTYPE = "general/subject/genotype"
AREA = "general/optophysiology/imaging_plane_1/location"
DEPTH = "general/optophysiology/imaging_plane_1/imaging depth"
EXPERIMENT_ID = "general/session_id"
CONTAINER_ID = "general/experiment_container_id"
BLANK = -1
BASELINES = ("subtract", "none")


@dataclass(frozen=True)
class TrialWindows:
    """Frame counts of the Allen SDK's natural-scenes trial windows.

    Attributes:
        sweep: frames a scene is on screen.
        baseline: frames before onset averaged as the baseline (``4 × sweep``).
        response: frames from onset averaged as the response (``2 × sweep``).
    """

    sweep: int

    @property
    def baseline(self) -> int:
        return 4 * self.sweep

    @property
    def response(self) -> int:
        return 2 * self.sweep

    @property
    def trace(self) -> tuple[int, int]:
        """First and one-past-last frame of a time-resolved trial, relative to onset."""
        return -self.baseline, self.sweep + self.baseline

    @classmethod
    def from_frames(cls, frame_duration: np.ndarray) -> TrialWindows:
        """The SDK's rule: ``end - start`` of the second presentation (the first if alone)."""
        row = frame_duration[1 if len(frame_duration) > 1 else 0]
        sweep = int(row[1]) - int(row[0])
        if sweep < 1:
            raise NWBFormatError(
                f"natural_scenes frame_duration gives a presentation of {sweep} frames "
                f"(start {int(row[0])}, end {int(row[1])}); expected end > start"
            )
        return cls(sweep)


def _dataset(f: h5py.File, key: str, path) -> np.ndarray:
    if key not in f:
        raise NWBFormatError(
            f"{path}: no dataset {key}; not a Brain Observatory ophys NWB 1.x file with the "
            "natural_scenes stimulus (only three_session_B experiments have it)"
        )
    return f[key][()]


def _text(f: h5py.File, key: str, path) -> str:
    value = _dataset(f, key, path)
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size else b""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _depth(text: str, path) -> int:
    try:
        return int(float(text.split()[0]))
    except (ValueError, IndexError):
        raise NWBFormatError(
            f"{path}: {DEPTH} is {text!r}; expected a depth such as '175 microns'"
        ) from None


def _optional_int(f: h5py.File, key: str) -> int:
    if key not in f:
        return -1
    value = f[key][()]
    value = value.decode() if isinstance(value, bytes) else value
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _scene_images(templates: np.ndarray, scene_size) -> np.ndarray:
    images = np.asarray(templates)
    if scene_size is not None:
        images = resize_maps(images, scene_size)
    rounded = np.rint(images)
    if np.all((rounded >= 0) & (rounded <= 255)) and np.allclose(images, rounded, atol=1e-3):
        return rounded.astype(np.uint8)
    return images.astype(np.float32)


def _check(condition: bool, path, message: str) -> None:
    if not condition:
        raise NWBFormatError(f"{path}: {message}")


@dataclass(frozen=True)
class _Session:
    """The raw arrays and metadata of one NWB file, as read."""

    dff: np.ndarray  # (cells, frames)
    timestamps: np.ndarray  # (frames,)
    cell_ids: np.ndarray  # (cells,)
    scene_index: np.ndarray  # (presentations,), BLANK for the blank screen
    frames: np.ndarray  # (presentations, 2): start and end frame
    templates: np.ndarray  # (scenes, H, W)
    cre_line: str
    area: str
    depth: int
    experiment_id: int
    container_id: int


def _read_session(path: Path) -> _Session:
    """Every array and field ``read_nwb`` needs, read from the HDF5 file."""
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise NWBFormatError(f"{path}: not an HDF5 (NWB 1.x) file ({error})") from None
    with handle as f:
        return _Session(
            dff=np.asarray(_dataset(f, DFF_DATA, path), dtype=np.float32),
            timestamps=np.asarray(_dataset(f, DFF_TIMESTAMPS, path), dtype=np.float64),
            cell_ids=np.asarray(_dataset(f, CELL_IDS, path)).reshape(-1),
            scene_index=np.asarray(_dataset(f, SCENE_INDEX, path)).reshape(-1),
            frames=np.asarray(_dataset(f, FRAME_DURATION, path)),
            templates=_dataset(f, TEMPLATES, path),
            cre_line=cre_line_from_genotype(_text(f, GENOTYPE, path)),
            area=_text(f, AREA, path).strip(),
            depth=_depth(_text(f, DEPTH, path), path),
            experiment_id=_optional_int(f, EXPERIMENT_ID),
            container_id=_optional_int(f, CONTAINER_ID),
        )


def _checked_scene_index(session: _Session, path: Path) -> np.ndarray:
    """Checks that the arrays agree with each other; returns the scene indices as ints."""
    dff, scene_index, frames, templates = (
        session.dff,
        session.scene_index,
        session.frames,
        session.templates,
    )
    _check(dff.ndim == 2, path, f"{DFF_DATA} has shape {dff.shape}, expected (cells, frames)")
    _check(
        session.timestamps.shape == (dff.shape[1],),
        path,
        f"{DFF_TIMESTAMPS} has {session.timestamps.size} entries for {dff.shape[1]} frames of dF/F",
    )
    _check(
        session.cell_ids.size == dff.shape[0],
        path,
        f"{CELL_IDS} lists {session.cell_ids.size} cells but {DFF_DATA} has {dff.shape[0]} rows",
    )
    _check(
        frames.shape == (scene_index.size, 2),
        path,
        f"{FRAME_DURATION} has shape {frames.shape}, expected ({scene_index.size}, 2)",
    )
    _check(np.ndim(templates) == 3, path, f"{TEMPLATES} must be (scenes, H, W)")
    _check(
        bool(np.all(scene_index == np.rint(scene_index))),
        path,
        f"{SCENE_INDEX} holds non-integer scene indices",
    )
    scene_index = np.rint(scene_index).astype(np.int64)
    n_scenes = templates.shape[0]
    bad = scene_index[(scene_index != BLANK) & ((scene_index < 0) | (scene_index >= n_scenes))]
    _check(
        bad.size == 0,
        path,
        f"scene indices {sorted(set(bad.tolist()))[:5]} are outside -1..{n_scenes - 1} "
        f"({n_scenes} images in {TEMPLATES})",
    )
    _check(session.area != "", path, f"{AREA} is empty; the area (e.g. VISp) is needed")
    return scene_index


def _trial_values(
    session: _Session, onset: np.ndarray, windows: TrialWindows, time_resolved: bool, baseline: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Each kept presentation's response (cells, trials[, time]) and the time axis (s)."""
    dff = session.dff
    base_idx = onset[:, None] + np.arange(-windows.baseline, 0)[None, :]
    base = dff[:, base_idx].mean(axis=2) if baseline == "subtract" else 0.0
    if not time_resolved:
        resp_idx = onset[:, None] + np.arange(windows.response)[None, :]
        return dff[:, resp_idx].mean(axis=2) - base, None
    lo, hi = windows.trace
    offsets = np.arange(lo, hi)
    values = dff[:, onset[:, None] + offsets[None, :]]  # (cells, trials, time)
    if baseline == "subtract":
        values = values - base[:, :, None]
    rate = 1.0 / float(np.median(np.diff(session.timestamps)))
    return values, offsets / rate


def _by_scene(values: np.ndarray, scene_of: np.ndarray, n_scenes: int) -> np.ndarray:
    """(cells, presentations[, time]) -> (cells, scenes, trials[, time]), NaN-padded, each
    scene's presentations in order."""
    counts = np.bincount(scene_of, minlength=n_scenes)
    shape = (values.shape[0], n_scenes, int(counts.max()), *values.shape[2:])
    responses = np.full(shape, np.nan, dtype=np.float32)
    trial_of = np.zeros(scene_of.size, dtype=np.int64)
    seen = np.zeros(n_scenes, dtype=np.int64)
    for i, s in enumerate(scene_of):  # presentation order within each scene
        trial_of[i] = seen[s]
        seen[s] += 1
    responses[:, scene_of, trial_of] = values
    return responses


def read_nwb(
    path: str | os.PathLike,
    *,
    time_resolved: bool = False,
    baseline: str = "subtract",
    scene_size=None,
    unknown_cre: str = "error",
) -> NeuralData:
    """Natural-scenes responses of every cell in one Brain Observatory ophys NWB 1.x file.

    Args:
        path: an ``ophys_experiment_<id>.nwb`` file of a ``three_session_B`` experiment.
        time_resolved: keep each trial's frames (``responses`` gets a time axis) instead
            of one number per trial.
        baseline: ``"subtract"`` (response minus the pre-stimulus baseline) or ``"none"``.
        scene_size: ``(height, width)`` to shrink the 918×1174 scenes to, or ``None``.
        unknown_cre: ``"error"`` (default) or ``"mark"`` (class ``"unknown"``, with a warning).

    Returns:
        :class:`NeuralData` with responses (cells, 118, trials[, time]); trials are the
        presentations of each scene in order, NaN-padded; blank-screen presentations and
        presentations whose window leaves the recording are dropped (the latter with a
        warning).

    Raises:
        FileNotFoundError, NWBFormatError, UnknownCreLineError.
    """
    path = Path(path)
    if baseline not in BASELINES:
        raise InvalidValueError(
            f"read_nwb: baseline must be one of {list(BASELINES)}, got {baseline!r}"
        )
    if not path.is_file():
        raise MissingFileError(f"read_nwb: no file {path}")
    session = _read_session(path)
    scene_index = _checked_scene_index(session, path)
    n_scenes = session.templates.shape[0]

    windows = TrialWindows.from_frames(session.frames)
    starts = session.frames[:, 0].astype(np.int64)
    lo, hi = windows.trace if time_resolved else (-windows.baseline, windows.response)
    inside = (starts + lo >= 0) & (starts + hi <= session.dff.shape[1])
    shown = scene_index != BLANK
    dropped = int(np.sum(shown & ~inside))
    if dropped:
        warnings.warn(
            f"{path.name}: {dropped} scene presentations have a trial window outside the "
            "recording and were dropped",
            UserWarning,
            stacklevel=2,
        )
    keep = shown & inside
    _check(bool(keep.any()), path, "no natural-scene presentation lies inside the recording")
    values, time = _trial_values(session, starts[keep], windows, time_resolved, baseline)
    cells = cells_table(
        session.dff.shape[0],
        cre_line=session.cre_line,
        area=session.area,
        depth=session.depth,
        cell_specimen_ids=session.cell_ids,
        unknown_cre=unknown_cre,
        ophys_experiment_id=session.experiment_id,
        experiment_container_id=session.container_id,
    )
    return NeuralData(
        responses=_by_scene(values, scene_index[keep], n_scenes),
        scenes=_scene_images(session.templates, scene_size),
        cells=cells,
        scene_ids=np.arange(n_scenes),
        time=time,
        note=f"Allen Brain Observatory natural scenes, NWB {path.name}, baseline={baseline}",
    )


def read_nwb_files(paths: Iterable[str | os.PathLike], **kwargs) -> NeuralData:
    """:func:`read_nwb` on each file, cells stacked (the files must share the scenes)."""
    paths = list(paths)
    if not paths:
        raise InvalidValueError("read_nwb_files: no NWB files given")
    data = concat_neural([read_nwb(p, **kwargs) for p in paths])
    names = ", ".join(Path(p).name for p in paths)
    return NeuralData(
        responses=data.responses,
        scenes=data.scenes,
        cells=data.cells,
        scene_ids=data.scene_ids,
        time=data.time,
        note=f"Allen Brain Observatory natural scenes, NWB {names}, "
        f"baseline={kwargs.get('baseline', 'subtract')}",
    )
