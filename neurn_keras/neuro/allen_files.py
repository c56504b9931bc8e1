"""The real Allen Brain Observatory files of the shared data directory.

- ``abo_natural_scenes.npz``: the 118 natural scenes at 31×31 and the representational
  similarity matrices (RSMs, 119×119, Pearson correlations of population responses) of 21
  area × layer groups, with their split-half noise ceilings (Conwell et al. 2021). Row and
  column 118 is an extra stimulus (almost certainly the blank screen); only ``[:118, :118]``
  aligns with the scenes, and that is what :func:`load_scene_rsms` returns.
- ``abo_psailamul_responses_UNVERIFIED.npz``: trial-mean responses of 212 VISp Cux2 cells
  of one experiment. Its alignment with the scenes failed every check in the data
  manifest: use it for demonstrations only. :func:`load_unverified_responses` labels it.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from neurn_keras.environment import resolve_data_dir
from neurn_keras.errors import InvalidValueError, MissingFileError, UnknownNameError
from neurn_keras.neuro.compact import UNVERIFIED_PREFIX, NeuralData, cells_table

SCENES_FILE = "abo_natural_scenes.npz"
UNVERIFIED_FILE = "abo_psailamul_responses_UNVERIFIED.npz"
N_SCENES = 118
UNVERIFIED_NOTE = (
    f"{UNVERIFIED_PREFIX}: {UNVERIFIED_FILE} (212 VISp Cux2-CreERT2 cells, experiment "
    "container 511510667) failed the data manifest's consistency checks: its RSM does not "
    "correlate with the scenes' pixel RSM nor with the VISp layer 2/3 RSM. Demonstration only."
)
_GROUP = re.compile(r"^(?:rsm_)?(VIS[a-z]+)_(layer\d+)$")
LAYER_LABELS = {"layer23": "L2/3", "layer4": "L4", "layer5": "L5", "layer6": "L6"}


def _find(name: str, data_dir) -> Path:
    directory = resolve_data_dir(data_dir)
    path = directory / name
    if not path.is_file():
        raise MissingFileError(
            f"{name}: not in {directory} (set NEURN_DATA_DIR or pass data_dir= to the "
            "directory with the shared Allen Brain Observatory files)"
        )
    return path


def split_group(group: str) -> tuple[str, str]:
    """``"VISp_layer23"`` → ``("VISp", "layer23")``."""
    match = _GROUP.match(group)
    if not match:
        raise InvalidValueError(f"split_group: {group!r} is not an AREA_layerN group name")
    return match.group(1), match.group(2)


@dataclass(frozen=True, eq=False)
class SceneRSMs:
    """The 118 scenes and the neural similarity matrices of the area × layer groups.

    Attributes:
        scenes: (118, 31, 31) uint8.
        rsms: group name (``"VISp_layer23"``) → (118, 118) float64 similarity matrix.
        groups: one row per group: ``group``, ``area``, ``layer``, ``layer_label``,
            ``noise_ceiling`` and ``noise_ceiling_sem``.
    """

    scenes: np.ndarray
    rsms: dict[str, np.ndarray]
    groups: pd.DataFrame

    def rdm(self, group: str) -> np.ndarray:
        """The group's dissimilarity matrix, ``1 − RSM``."""
        if group not in self.rsms:
            raise UnknownNameError(
                f"SceneRSMs.rdm: no group {group!r}; groups: {sorted(self.rsms)}"
            )
        return 1.0 - self.rsms[group]


def load_scene_rsms(data_dir: str | os.PathLike | None = None) -> SceneRSMs:
    """Read ``abo_natural_scenes.npz`` from the data directory (see module docstring)."""
    path = _find(SCENES_FILE, data_dir)
    with np.load(path, allow_pickle=False) as npz:
        scenes = npz["scenes_31x31"]
        keys = [str(k) for k in npz["rsm_keys"]]
        rsms = {}
        for key in keys:
            matrix = npz[key].astype(np.float64)
            if matrix.shape[0] < N_SCENES:
                raise InvalidValueError(
                    f"{path}: {key} has shape {matrix.shape}, fewer than 118 scenes"
                )
            rsms[key.removeprefix("rsm_")] = matrix[:N_SCENES, :N_SCENES]
        names = [str(k) for k in npz["noise_ceiling_keys"]]
        ceiling = dict(zip(names, npz["noise_ceiling_mean"], strict=True))
        ceiling_sem = dict(zip(names, npz["noise_ceiling_sem"], strict=True))
    if scenes.shape[0] != N_SCENES:
        raise InvalidValueError(f"{path}: {scenes.shape[0]} scenes, expected {N_SCENES}")
    rows = []
    for key in keys:
        group = key.removeprefix("rsm_")
        area, layer = split_group(group)
        rows.append(
            {
                "group": group,
                "area": area,
                "layer": layer,
                "layer_label": LAYER_LABELS.get(layer, layer),
                "noise_ceiling": float(ceiling.get(key, np.nan)),
                "noise_ceiling_sem": float(ceiling_sem.get(key, np.nan)),
            }
        )
    return SceneRSMs(scenes=scenes, rsms=rsms, groups=pd.DataFrame(rows))


def load_unverified_responses(
    data_dir: str | os.PathLike | None = None, *, warn: bool = True
) -> NeuralData:
    """The UNVERIFIED single-experiment responses, as :class:`NeuralData` (demonstration only).

    ``responses`` is (212, 118, 1): the source's trial means (50 repeats) as one trial;
    ``cell_specimen_id`` is the column index in the source (real ids are not in the file).
    The note, and a warning unless ``warn=False``, say that the data failed its checks.
    """
    path = _find(UNVERIFIED_FILE, data_dir)
    scenes = load_scene_rsms(data_dir).scenes
    with np.load(path, allow_pickle=False) as npz:
        mean_response = npz["mean_response"]  # (118 scenes, 212 cells)
    if mean_response.shape[0] != scenes.shape[0]:
        raise InvalidValueError(
            f"{path}: mean_response covers {mean_response.shape[0]} scenes, the scenes file "
            f"{scenes.shape[0]}"
        )
    n_cells = mean_response.shape[1]
    cells = cells_table(
        n_cells,
        cre_line="Cux2-CreERT2",
        area="VISp",
        depth=275,
        experiment_container_id=511510667,
        ophys_experiment_id=501498760,
    )
    if warn:
        warnings.warn(UNVERIFIED_NOTE, UserWarning, stacklevel=2)
    return NeuralData(
        responses=mean_response.T[:, :, None],
        scenes=scenes,
        cells=cells,
        note=UNVERIFIED_NOTE,
    )
