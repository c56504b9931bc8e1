"""The compact neural-data format everything downstream reads: one ``.npz`` plus one ``.csv``.

``NAME.npz`` (``np.savez_compressed``, loads with ``allow_pickle=False``):

=============  ==========================================  =====================================
key            shape, dtype                                meaning
=============  ==========================================  =====================================
``format``     () str                                      ``"neurn_keras.neural/1"``
``responses``  (cells, scenes, trials[, time]) float32     response of each cell to each trial
                                                           of each scene; NaN where a scene had
                                                           fewer trials than the most-shown one
``scenes``     (scenes, H, W) uint8 or float32             the images, row i = scene i
``scene_ids``  (scenes,) int64                             the Allen template index of each row
``time``       (time,) float64, or (0,)                    seconds from stimulus onset of each
                                                           time point (time-resolved data only)
``note``       () str                                      provenance; a note that starts with
                                                           ``UNVERIFIED`` marks doubtful data
=============  ==========================================  =====================================

``NAME.csv``: one row per cell, in the order of ``responses``, with at least the columns
``cell_specimen_id`` (int), ``cre_line`` (str), ``area`` (str, e.g. ``VISp``), ``depth`` (int,
µm below the pia) and ``cell_class`` (``excitatory``, ``inhibitory``, or ``unknown`` for a
Cre line that was reported unknown when the file was made). More columns are kept.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from neurn_keras.errors import InvalidValueError, MissingFileError, NeuralFormatError
from neurn_keras.files import atomic_write
from neurn_keras.neuro.cre_lines import CELL_CLASSES, UNKNOWN, UnknownCreLineError, cell_class

FORMAT = "neurn_keras.neural/1"
CELL_COLUMNS = ("cell_specimen_id", "cre_line", "area", "depth", "cell_class")
UNVERIFIED_PREFIX = "UNVERIFIED"


@dataclass(frozen=True, eq=False)
class NeuralData:
    """Responses of cells to natural scenes, the scenes, and a table of the cells.

    Attributes:
        responses: (cells, scenes, trials) or (cells, scenes, trials, time) float32; NaN
            pads scenes shown fewer times than the most-shown one.
        scenes: (scenes, H, W) images; row i is the scene of ``responses[:, i]``.
        cells: one row per cell with the columns of :data:`CELL_COLUMNS`.
        scene_ids: (scenes,) Allen template index of each row (default 0..scenes-1).
        time: (time,) seconds from onset for time-resolved responses, else ``None``.
        note: provenance; a note starting with ``UNVERIFIED`` marks doubtful data.

    Construction validates the shapes and the cell table, so a ``NeuralData`` is always
    consistent: equal scene counts, one table row per cell, known cell classes.
    """

    responses: np.ndarray
    scenes: np.ndarray
    cells: pd.DataFrame
    scene_ids: np.ndarray | None = None
    time: np.ndarray | None = None
    note: str = ""

    def __post_init__(self):
        responses = np.asarray(self.responses, dtype=np.float32)
        scenes = np.asarray(self.scenes)
        if scenes.dtype != np.uint8:
            scenes = scenes.astype(np.float32)
        if responses.ndim not in (3, 4):
            raise NeuralFormatError(
                "NeuralData: responses must be (cells, scenes, trials) or "
                f"(cells, scenes, trials, time), got shape {responses.shape}; "
                "add a trials axis of length 1 for trial-averaged data (responses[:, :, None])"
            )
        if scenes.ndim != 3:
            raise NeuralFormatError(
                f"NeuralData: scenes must be (scenes, H, W) grayscale, got shape {scenes.shape}"
            )
        if responses.shape[1] != scenes.shape[0]:
            raise NeuralFormatError(
                f"NeuralData: responses cover {responses.shape[1]} scenes but there are "
                f"{scenes.shape[0]} scene images; they must match one to one "
                "(drop the extra scenes or the extra response columns)"
            )
        scene_ids = (
            np.arange(scenes.shape[0], dtype=np.int64)
            if self.scene_ids is None
            else np.asarray(self.scene_ids, dtype=np.int64)
        )
        if scene_ids.shape != (scenes.shape[0],):
            raise NeuralFormatError(
                f"NeuralData: scene_ids has shape {scene_ids.shape}, expected ({scenes.shape[0]},)"
            )
        time = None
        if responses.ndim == 4:
            if self.time is None or np.asarray(self.time).shape != (responses.shape[3],):
                got = None if self.time is None else np.asarray(self.time).shape
                raise NeuralFormatError(
                    f"NeuralData: time-resolved responses {responses.shape} need time of shape "
                    f"({responses.shape[3]},), got {got}"
                )
            time = np.asarray(self.time, dtype=np.float64)
        elif self.time is not None and np.asarray(self.time).size:
            raise NeuralFormatError(
                "NeuralData: time was given but responses are not time-resolved "
                f"(shape {responses.shape})"
            )
        cells = _checked_cells(self.cells, responses.shape[0])
        object.__setattr__(self, "responses", responses)
        object.__setattr__(self, "scenes", scenes)
        object.__setattr__(self, "scene_ids", scene_ids)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "note", str(self.note))

    @property
    def n_cells(self) -> int:
        return self.responses.shape[0]

    @property
    def n_scenes(self) -> int:
        return self.responses.shape[1]

    @property
    def time_resolved(self) -> bool:
        return self.responses.ndim == 4

    @property
    def unverified(self) -> bool:
        """True when the data's note marks it as doubtful (demonstrations only)."""
        return self.note.startswith(UNVERIFIED_PREFIX)

    def mean_responses(self) -> np.ndarray:
        """Trial-averaged responses, (cells, scenes) or (cells, scenes, time), ignoring NaN pads."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices stay NaN
            return np.nanmean(self.responses, axis=2)

    def time_window(self, start: float, stop: float) -> NeuralData:
        """Time-resolved data averaged over the time points in [start, stop) seconds.

        For example ``data.time_window(0.0, 0.5)`` is the Allen SDK's response window.
        """
        if not self.time_resolved:
            raise InvalidValueError("NeuralData.time_window: the responses are not time-resolved")
        inside = (self.time >= start) & (self.time < stop)
        if not inside.any():
            raise InvalidValueError(
                f"NeuralData.time_window: no time point in [{start}, {stop}) s; "
                f"the data covers {self.time[0]:.3f} to {self.time[-1]:.3f} s"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            responses = np.nanmean(self.responses[..., inside], axis=3)
        return replace(self, responses=responses, time=None)

    def select(self, mask) -> NeuralData:
        """The cells where ``mask`` (boolean array or Series, or integer indices) is set."""
        index = np.asarray(mask)
        if index.dtype == bool:
            if index.shape != (self.n_cells,):
                raise InvalidValueError(
                    f"NeuralData.select: boolean mask has shape {index.shape}, "
                    f"expected ({self.n_cells},)"
                )
            index = np.flatnonzero(index)
        return replace(
            self,
            responses=self.responses[index],
            cells=self.cells.iloc[index].reset_index(drop=True),
        )


def _checked_cells(cells, n_cells: int) -> pd.DataFrame:
    if not isinstance(cells, pd.DataFrame):
        cells = pd.DataFrame(cells)
    missing = [c for c in CELL_COLUMNS if c not in cells.columns]
    if missing:
        raise NeuralFormatError(
            f"NeuralData: the cell table lacks the columns {missing}; it needs {list(CELL_COLUMNS)}"
        )
    if len(cells) != n_cells:
        raise NeuralFormatError(
            f"NeuralData: the cell table has {len(cells)} rows for {n_cells} cells in responses"
        )
    cells = cells.reset_index(drop=True).copy()
    cells["cell_specimen_id"] = cells["cell_specimen_id"].astype(np.int64)
    cells["depth"] = cells["depth"].astype(np.int64)
    for column in ("cre_line", "area", "cell_class"):
        cells[column] = cells[column].astype(str)
    bad = sorted(set(cells["cell_class"]) - {*CELL_CLASSES, UNKNOWN})
    if bad:
        raise NeuralFormatError(
            f"NeuralData: cell_class values {bad} are not one of {[*CELL_CLASSES, UNKNOWN]}"
        )
    for line, given in cells[["cre_line", "cell_class"]].drop_duplicates().itertuples(index=False):
        if given == UNKNOWN:
            continue
        try:
            expected = cell_class(line)
        except UnknownCreLineError as error:
            raise UnknownCreLineError(
                f"NeuralData: {error}; or set cell_class='unknown' for its cells"
            ) from None
        if expected != given:
            raise NeuralFormatError(
                f"NeuralData: Cre line {line!r} labels {expected} cells, but the cell table "
                f"says {given!r}; fix the cell_class column"
            )
    return cells


def csv_path(path: str | os.PathLike) -> Path:
    """The cell-table path that goes with a ``.npz`` path (same name, ``.csv``)."""
    return Path(path).with_suffix(".csv")


def save_neural(path: str | os.PathLike, data: NeuralData) -> Path:
    """Write ``data`` as ``path`` (``.npz``) and its cell table beside it (``.csv``).

    Both files are written to temporary names first and then renamed, so an interrupted
    write leaves no half file. Returns the ``.npz`` path.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise InvalidValueError(f"save_neural: the path must end in .npz, got {str(path)!r}")

    def write_npz(tmp):
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                format=np.array(FORMAT),
                responses=data.responses,
                scenes=data.scenes,
                scene_ids=data.scene_ids,
                time=np.zeros(0) if data.time is None else data.time,
                note=np.array(data.note),
            )

    atomic_write(csv_path(path), lambda tmp: data.cells.to_csv(tmp, index=False))
    atomic_write(path, write_npz)
    return path


def load_neural(path: str | os.PathLike, *, warn_unverified: bool = True) -> NeuralData:
    """Read a compact neural-data file (``.npz`` plus the ``.csv`` beside it).

    Raises:
        FileNotFoundError: either file is missing.
        NeuralFormatError: a key is missing, the format tag is wrong, or the arrays and the
            cell table do not agree (for example, mismatched scene counts).
    """
    path = Path(path)
    table = csv_path(path)
    for needed in (path, table):
        if not needed.is_file():
            raise MissingFileError(
                f"load_neural: no {needed} (a compact neural file is NAME.npz plus NAME.csv; "
                "write one with neurn_keras.neuro.save_neural or python -m neurn_keras.neuro)"
            )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as error:
        raise NeuralFormatError(
            f"load_neural: {path} is not a readable .npz file ({error})"
        ) from None
    missing = [k for k in ("format", "responses", "scenes") if k not in arrays]
    if missing:
        raise NeuralFormatError(
            f"load_neural: {path} lacks the keys {missing}; it is not a {FORMAT} file"
        )
    if str(arrays["format"]) != FORMAT:
        raise NeuralFormatError(
            f"load_neural: {path} has format {str(arrays['format'])!r}, expected {FORMAT!r}"
        )
    cells = pd.read_csv(table)
    time = arrays.get("time")
    try:
        data = NeuralData(
            responses=arrays["responses"],
            scenes=arrays["scenes"],
            cells=cells,
            scene_ids=arrays.get("scene_ids"),
            time=time if time is not None and time.size else None,
            note=str(arrays.get("note", "")),
        )
    except ValueError as error:
        raise type(error)(f"load_neural: {path}: {error}") from None
    if warn_unverified and data.unverified:
        warnings.warn(f"{path.name}: {data.note}", UserWarning, stacklevel=2)
    return data


def concat_neural(parts: list[NeuralData] | tuple[NeuralData, ...]) -> NeuralData:
    """Stack the cells of several experiments that showed the same scenes.

    Trials are NaN-padded to the largest count. Raises if the scenes, their ids or the
    time axes differ.
    """
    if not parts:
        raise InvalidValueError("concat_neural: no data to concatenate")
    first = parts[0]
    for other in parts[1:]:
        same = (
            other.scenes.shape == first.scenes.shape
            and np.array_equal(other.scenes, first.scenes)
            and np.array_equal(other.scene_ids, first.scene_ids)
        )
        if not same:
            raise NeuralFormatError(
                "concat_neural: the experiments showed different scenes (images or ids differ); "
                "only experiments with the same scene set can be combined"
            )
        if (first.time is None) != (other.time is None) or (
            first.time is not None and not np.allclose(first.time, other.time)
        ):
            raise NeuralFormatError("concat_neural: the experiments have different time axes")
    trials = max(p.responses.shape[2] for p in parts)
    padded = []
    for p in parts:
        pad = [(0, 0)] * p.responses.ndim
        pad[2] = (0, trials - p.responses.shape[2])
        padded.append(np.pad(p.responses, pad, constant_values=np.nan))
    notes = [p.note for p in parts if p.note]
    unverified = [n for n in notes if n.startswith(UNVERIFIED_PREFIX)]
    note = "; ".join(dict.fromkeys(unverified + [n for n in notes if n not in unverified]))
    return NeuralData(
        responses=np.concatenate(padded, axis=0),
        scenes=first.scenes,
        cells=pd.concat([p.cells for p in parts], ignore_index=True),
        scene_ids=first.scene_ids,
        time=first.time,
        note=note,
    )


def cells_table(
    n_cells: int,
    *,
    cre_line: str,
    area: str,
    depth: int,
    cell_specimen_ids=None,
    unknown_cre: str = "error",
    **columns,
) -> pd.DataFrame:
    """A cell table for ``n_cells`` cells of one experiment (one Cre line, area and depth).

    Args:
        unknown_cre: ``"error"`` raises :class:`UnknownCreLineError` for a line
            :func:`cell_class` does not know; ``"mark"`` sets its cells' class to
            ``"unknown"`` and warns (the line is still reported, never guessed).
        **columns: more columns (scalars or sequences of length ``n_cells``).
    """
    if unknown_cre not in ("error", "mark"):
        raise InvalidValueError(
            f"cells_table: unknown_cre must be 'error' or 'mark', got {unknown_cre!r}"
        )
    try:
        klass = cell_class(cre_line)
    except UnknownCreLineError:
        if unknown_cre == "error":
            raise
        warnings.warn(
            f"unknown Cre line {cre_line!r}: its {n_cells} cells get cell_class='unknown'",
            UserWarning,
            stacklevel=2,
        )
        klass = UNKNOWN
    ids = np.arange(n_cells) if cell_specimen_ids is None else np.asarray(cell_specimen_ids)
    return pd.DataFrame(
        {
            "cell_specimen_id": ids.astype(np.int64),
            "cre_line": cre_line,
            "area": area,
            "depth": int(depth),
            "cell_class": klass,
            **columns,
        }
    )
