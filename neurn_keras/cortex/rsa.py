"""Population representational similarity analysis (RSA) of model layers against cortex.

The RDMs are ``rsatoolbox.rdm.RDMs`` (:mod:`neurn_keras.cortex.rdms`), compared with
``rsatoolbox.rdm.compare`` (Spearman r of the upper triangles). What rsatoolbox does not
offer is here: the paired bootstrap over scenes (:mod:`neurn_keras.cortex.bootstrap`) and
the choice of each model's best layer per cortex group, whose interval includes that
choice.

>>> import numpy as np
>>> from neurn_keras.cortex import rdm, rsa_scores
>>> rng = np.random.default_rng(0)
>>> scenes = rng.normal(size=(12, 20))
>>> cortex = {"VISp_layer23": rdm(scenes + rng.normal(size=scenes.shape))}
>>> layers = {"conv1": rdm(scenes), "conv2": rdm(rng.normal(size=scenes.shape))}
>>> result = rsa_scores({"net": layers}, cortex, n_boot=50, seed=0)
>>> result.best_layer("net", "VISp_layer23")
'conv1'
>>> low, high = result.ci("net", "VISp_layer23")
>>> bool(low < result.score("net", "VISp_layer23") < high)
True
>>> result.to_frame(best=True)[["model", "group", "best_layer"]]
  model         group best_layer
0   net  VISp_layer23      conv1
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neurn_keras.cortex.bootstrap import scene_bootstrap
from neurn_keras.cortex.rdms import COMPARISON, cortex_rdms, layer_rdms, model_rdms
from neurn_keras.errors import InvalidValueError, UnknownNameError

if TYPE_CHECKING:
    from rsatoolbox.rdm import RDMs

    from neurn_keras.neuro.allen_files import SceneRSMs


def _interval(boot: np.ndarray, coverage: float) -> tuple[float, float]:
    """The percentile interval of bootstrap values; NaNs without resamples."""
    if not boot.size:
        return np.nan, np.nan
    alpha = (1 - coverage) / 2
    low, high = np.nanquantile(boot, [alpha, 1 - alpha])
    return float(low), float(high)


@dataclass(frozen=True, eq=False)
class RSAResult:
    """Spearman r of every model layer with every cortex group, and bootstrap resamples.

    Attributes:
        model_rdms: the layers' RDMs (descriptors model, layer, layer_index).
        cortex_rdms: the groups' RDMs (descriptors group, area, cortical_layer,
            noise_ceiling, noise_ceiling_sem).
        scores: (layers, groups) Spearman r on all scenes, ``rsatoolbox.rdm.compare``.
        samples: (layers, groups, n_boot) the same on each resample of the scenes.
        coverage: the intervals' coverage, e.g. 0.95.
    """

    model_rdms: RDMs
    cortex_rdms: RDMs
    scores: np.ndarray
    samples: np.ndarray
    coverage: float = 0.95

    @cached_property
    def keys(self) -> list[tuple[str, str]]:
        """The (model, layer) of each row of ``scores``."""
        descriptors = self.model_rdms.rdm_descriptors
        return list(zip(descriptors["model"], descriptors["layer"], strict=True))

    @cached_property
    def groups(self) -> list[str]:
        """The cortex groups, in the order of ``scores``' columns."""
        return list(self.cortex_rdms.rdm_descriptors["group"])

    @cached_property
    def models(self) -> list[str]:
        """The models, in order."""
        return list(dict.fromkeys(m for m, _ in self.keys))

    @cached_property
    def layers(self) -> pd.DataFrame:
        """``to_frame()``: one row per (model, layer, group)."""
        return self.to_frame()

    @cached_property
    def best(self) -> pd.DataFrame:
        """``to_frame(best=True)``: one row per (model, group)."""
        return self.to_frame(best=True)

    def _rows(self, model: str) -> list[int]:
        rows = [i for i, (m, _) in enumerate(self.keys) if m == model]
        if not rows:
            raise UnknownNameError(f"RSAResult: no model {model!r}; models: {self.models}")
        return rows

    def _row(self, model: str, layer: str) -> int:
        try:
            return self.keys.index((model, layer))
        except ValueError:
            layers = [self.keys[i][1] for i in self._rows(model)]
            raise UnknownNameError(
                f"RSAResult: model {model!r} has no layer {layer!r}; {layers}"
            ) from None

    def _column(self, group: str) -> int:
        if group not in self.groups:
            raise UnknownNameError(f"RSAResult: no group {group!r}; groups: {self.groups}")
        return self.groups.index(group)

    def best_layer(self, model: str, group: str) -> str:
        """The model's layer with the highest Spearman r with the group, on all scenes."""
        rows = self._rows(model)
        return self.keys[rows[int(np.nanargmax(self.scores[rows, self._column(group)]))]][1]

    def score(self, model: str, group: str, layer: str | None = None) -> float:
        """Spearman r of the layer (default: the best one) with the group, on all scenes."""
        layer = self.best_layer(model, group) if layer is None else layer
        return float(self.scores[self._row(model, layer), self._column(group)])

    def best_samples(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        """The model's best-layer score per group (``groups`` order) on all scenes, and the
        (groups, n_boot) bootstrap scores of its best layer in each resample."""
        rows = self._rows(model)
        boot = self.samples[rows]
        best = np.nanmax(boot, axis=0) if boot.shape[-1] else boot[0]
        return np.nanmax(self.scores[rows], axis=0), best

    def ci(self, model: str, group: str, layer: str | None = None) -> tuple[float, float]:
        """The bootstrap interval (``coverage``) of a layer's score with a group.

        Without ``layer``, the interval of the best-layer score: the best layer is chosen
        again in each resample, so the interval includes that choice.
        """
        if layer is None:
            boot = self.best_samples(model)[1][self._column(group)]
        else:
            boot = self.samples[self._row(model, layer), self._column(group)]
        return _interval(boot, self.coverage)

    def compare(self, with_model: str, without_model: str) -> pd.DataFrame:
        """Best-layer score of ``with_model`` minus that of ``without_model``, per group.

        Columns: ``group``, ``with``, ``without``, ``difference``, ``ci_low``, ``ci_high``
        (paired bootstrap) and ``p_two_sided`` (twice the smaller bootstrap tail around
        0). A last row ``group="mean"`` averages over the groups.
        """
        with_point, with_boot = self.best_samples(with_model)
        without_point, without_boot = self.best_samples(without_model)
        diff_boot = with_boot - without_boot  # (groups, n_boot)
        entries = list(zip(self.groups, with_point, without_point, diff_boot, strict=True))
        entries.append(("mean", with_point.mean(), without_point.mean(), diff_boot.mean(axis=0)))
        rows = []
        for group, w, wo, boot in entries:
            low, high = _interval(boot, self.coverage)
            tail = min(np.mean(boot <= 0), np.mean(boot >= 0)) if boot.size else np.nan
            rows.append(
                {
                    "with_model": with_model,
                    "without_model": without_model,
                    "group": group,
                    "with": w,
                    "without": wo,
                    "difference": w - wo,
                    "ci_low": low,
                    "ci_high": high,
                    "p_two_sided": float(np.minimum(1.0, 2 * tail)),
                }
            )
        return pd.DataFrame(rows)

    def to_frame(self, best: bool = False) -> pd.DataFrame:
        """The scores as a table, with intervals and the groups' noise ceilings.

        One row per (model, layer, group); with ``best=True`` one per (model, group), with
        its ``best_layer``, that layer's score and the interval of the best-layer score.
        Besides: ``area``, ``cortical_layer``, ``spearman``, ``ci_low``, ``ci_high``,
        ``noise_ceiling``, ``noise_ceiling_sem`` and ``fraction_of_ceiling``.
        """
        return pd.DataFrame(list(self._best_rows() if best else self._layer_rows()))

    def _cortex(self, g: int) -> dict:
        descriptors = self.cortex_rdms.rdm_descriptors
        return {name: descriptors[name][g] for name in ("area", "cortical_layer")}

    def _stats(self, g: int, score: float, interval: tuple[float, float]) -> dict:
        descriptors = self.cortex_rdms.rdm_descriptors
        ceiling = descriptors["noise_ceiling"][g]
        return {
            "spearman": score,
            "ci_low": interval[0],
            "ci_high": interval[1],
            "noise_ceiling": ceiling,
            "noise_ceiling_sem": descriptors["noise_ceiling_sem"][g],
            "fraction_of_ceiling": score / ceiling if ceiling else np.nan,
        }

    def _layer_rows(self) -> Iterator[dict]:
        index = self.model_rdms.rdm_descriptors["layer_index"]
        alpha = (1 - self.coverage) / 2
        low, high = (
            np.nanquantile(self.samples, q, axis=2)
            if self.samples.shape[-1]
            else np.full(self.scores.shape, np.nan)
            for q in (alpha, 1 - alpha)
        )
        for e, (model, layer) in enumerate(self.keys):
            for g, group in enumerate(self.groups):
                yield {
                    "model": model,
                    "layer": layer,
                    "layer_index": index[e],
                    "group": group,
                    **self._cortex(g),
                    **self._stats(g, self.scores[e, g], (low[e, g], high[e, g])),
                }

    def _best_rows(self) -> Iterator[dict]:
        for model in self.models:
            for g, group in enumerate(self.groups):
                layer = self.best_layer(model, group)
                yield {
                    "model": model,
                    "group": group,
                    **self._cortex(g),
                    "best_layer": layer,
                    **self._stats(g, self.score(model, group, layer), self.ci(model, group)),
                }


def rsa_scores(
    model_rdms: Mapping[str, Mapping[str, np.ndarray]] | RDMs,
    neural_rdms: Mapping[str, np.ndarray] | RDMs,
    *,
    groups: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
) -> RSAResult:
    """Spearman RSA of every model layer against every cortex group, with a bootstrap.

    Args:
        model_rdms: model → layer → (S, S) RDM (from :func:`rdm`), or their ``RDMs``
            (:func:`layer_rdms`, :func:`model_rdms`), all on the same S scenes.
        neural_rdms: group → (S, S) RDM (``SceneRSMs.rdm(group)``), or their ``RDMs``
            (:func:`cortex_rdms`).
        groups: for mappings, a table with ``group``, ``noise_ceiling`` and
            ``noise_ceiling_sem`` columns (``SceneRSMs.groups``) to report beside the scores.
        n_boot: bootstrap resamples of the scenes (0 for none).
        seed: seed of the resampling.
        ci: coverage of the percentile intervals.
    """
    from rsatoolbox.rdm import RDMs, compare

    if not isinstance(model_rdms, RDMs):
        model_rdms = layer_rdms(model_rdms)
    if not isinstance(neural_rdms, RDMs):
        neural_rdms = cortex_rdms(neural_rdms, groups)
    if model_rdms.n_cond != neural_rdms.n_cond:
        raise InvalidValueError(
            f"rsa_scores: model RDMs are over {model_rdms.n_cond} scenes and neural RDMs "
            f"over {neural_rdms.n_cond}; all must be square over the same scenes"
        )
    scores = compare(model_rdms, neural_rdms, method=COMPARISON)
    samples = scene_bootstrap(model_rdms, neural_rdms, n_boot, seed)
    return RSAResult(model_rdms, neural_rdms, scores, samples, ci)


def rsa_analysis(
    models: Mapping,
    rsms: SceneRSMs,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    depthwise: bool = False,
    include_pixels: bool = True,
    progress: bool = True,
) -> RSAResult:
    """:func:`rsa_scores` of every model's NeuRN and convolution layers against the 21
    cortex groups of ``rsms``, with the pixel baseline and the groups' noise ceilings."""
    rdms = model_rdms(
        models, rsms.scenes, depthwise=depthwise, include_pixels=include_pixels, progress=progress
    )
    return rsa_scores(rdms, cortex_rdms(rsms), n_boot=n_boot, seed=seed, ci=ci)
