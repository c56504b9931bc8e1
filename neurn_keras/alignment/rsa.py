"""Population representational similarity analysis (RSA) against the cortex RDMs.

A model layer's RDM is 1 − Pearson correlation between its activation patterns to each
pair of scenes; a cortex group's RDM is 1 − its similarity matrix. The two are compared by
the Spearman correlation of their upper triangles. Error bars come from a bootstrap over
scenes: each resample draws 118 scenes with replacement, keeps the pairs of two distinct
scenes (a pair drawn k times counts k times), and recomputes every correlation on the
same resample, so differences between models (NeuRN minus plain) are paired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from neurn_keras.neuro.allen_files import split_group


def rdm(activations) -> np.ndarray:
    """(N, N) dissimilarity 1 − Pearson r between the flattened activations of N stimuli.

    A stimulus whose activations are constant (for example all zero after a ReLU) has no
    defined correlation; it gets r = 0 (dissimilarity 1) with every other stimulus.
    """
    x = np.asarray(activations, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] < 3:
        raise ValueError(f"rdm: activations must be (N >= 3 stimuli, ...), got shape {x.shape}")
    x = x.reshape(x.shape[0], -1)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    scale = np.where(norm > 0, norm, 1.0)
    r = (x / scale[:, None]) @ (x / scale[:, None]).T
    r = np.clip(r, -1.0, 1.0)
    np.fill_diagonal(r, 1.0)
    return 1.0 - r


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """The entries above the diagonal of a square matrix, row by row."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"upper_triangle: expected a square matrix, got shape {matrix.shape}")
    return matrix[np.triu_indices(matrix.shape[0], k=1)]


class _WeightedRanks:
    """Average ranks of each row of ``vectors`` (V, P) in a weighted sample of its entries.

    A bootstrap sample of scene pairs repeats some pairs; the rank of an entry in the
    expanded sample is (total weight of smaller values) + (weight of its tie group + 1) / 2.
    Dense tie groups are found once, so each resample costs two ``bincount``s instead of
    a sort per row.
    """

    def __init__(self, vectors: np.ndarray):
        n_rows, n_items = vectors.shape
        order = np.argsort(vectors, axis=1, kind="stable")
        ordered = np.take_along_axis(vectors, order, axis=1)
        starts = np.ones(ordered.shape, dtype=bool)
        starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        dense = np.empty(ordered.shape, dtype=np.int64)
        np.put_along_axis(dense, order, np.cumsum(starts, axis=1) - 1, axis=1)
        self.shape = (n_rows, n_items)
        self.groups = int(dense.max()) + 1
        self.index = (np.arange(n_rows)[:, None] * self.groups + dense).ravel()

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        n_rows, n_items = self.shape
        per_group = np.bincount(
            self.index,
            weights=np.broadcast_to(weights, self.shape).ravel(),
            minlength=n_rows * self.groups,
        ).reshape(n_rows, self.groups)
        rank = np.cumsum(per_group, axis=1) - per_group + (per_group + 1) / 2
        return rank.ravel()[self.index].reshape(n_rows, n_items)


def _weighted_correlation(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson r between rows of a (A, P) and of b (B, P), entries weighted: (A, B)."""
    total = weights.sum()
    a = a - (a @ weights / total)[:, None]
    b = b - (b @ weights / total)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((a * weights) @ b.T) / np.sqrt(np.outer(a**2 @ weights, b**2 @ weights))


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman r between every row of a (A, P) and every row of b (B, P): (A, B)."""
    weights = np.ones(a.shape[1])
    return _weighted_correlation(_WeightedRanks(a)(weights), _WeightedRanks(b)(weights), weights)


def compare_rdms(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of the upper triangles of two RDMs of the same stimuli."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"compare_rdms: RDM shapes differ, {a.shape} and {b.shape}")
    return float(_spearman_rows(upper_triangle(a)[None], upper_triangle(b)[None])[0, 0])


@dataclass(frozen=True, eq=False)
class RSAResult:
    """Scores of model layers against cortex groups, with bootstrap samples.

    Attributes:
        layers: one row per (model, layer, group): ``spearman`` (all scenes),
            ``ci_low``/``ci_high`` (bootstrap percentile interval), ``noise_ceiling``,
            ``noise_ceiling_sem`` and ``fraction_of_ceiling`` (spearman / ceiling).
        best: one row per (model, group): the best layer by ``spearman`` and its score;
            the interval is of the bootstrap's best-layer score, so it includes the
            selection of the layer.
        samples: (entries, groups, n_boot) bootstrap scores, entries in ``keys`` order.
        keys: the (model, layer) of each entry.
        groups: the group names, in ``samples`` order.
        ci: the interval's coverage, e.g. 0.95.
    """

    layers: pd.DataFrame
    best: pd.DataFrame
    samples: np.ndarray
    keys: list[tuple[str, str]]
    groups: list[str]
    ci: float

    def best_samples(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        """The model's best-layer score per group (``groups`` order) on all scenes, and the
        (groups, n_boot) bootstrap scores of its best layer in each resample."""
        rows = [i for i, (m, _) in enumerate(self.keys) if m == model]
        if not rows:
            models = sorted({m for m, _ in self.keys})
            raise KeyError(f"RSAResult: no model {model!r}; models: {models}")
        point = self.layers[self.layers["model"] == model].pivot(
            index="layer", columns="group", values="spearman"
        )
        return point[self.groups].max(axis=0).to_numpy(), np.nanmax(self.samples[rows], axis=0)

    def compare(self, with_model: str, without_model: str) -> pd.DataFrame:
        """Best-layer score of ``with_model`` minus that of ``without_model``, per group.

        Columns: ``group``, ``with``, ``without``, ``difference``, ``ci_low``, ``ci_high``
        (paired bootstrap) and ``p_two_sided`` (twice the smaller bootstrap tail around
        0). A last row ``group="mean"`` averages over the groups.
        """
        with_point, with_boot = self.best_samples(with_model)
        without_point, without_boot = self.best_samples(without_model)
        rows = []
        diff_boot = with_boot - without_boot  # (groups, n_boot)
        entries = list(zip(self.groups, with_point, without_point, diff_boot, strict=True))
        entries.append(("mean", with_point.mean(), without_point.mean(), diff_boot.mean(axis=0)))
        alpha = (1 - self.ci) / 2
        for group, w, wo, boot in entries:
            low = high = tail = np.nan  # without resamples (n_boot=0) there is no interval
            if boot.size:
                low, high = np.nanquantile(boot, [alpha, 1 - alpha])
                tail = min(np.mean(boot <= 0), np.mean(boot >= 0))
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


def rsa_scores(
    model_rdms: Mapping[str, Mapping[str, np.ndarray]],
    neural_rdms: Mapping[str, np.ndarray],
    *,
    groups: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
) -> RSAResult:
    """Spearman RSA of every model layer against every cortex group, with a bootstrap.

    Args:
        model_rdms: model → layer → (S, S) RDM (from :func:`rdm`), all on the same S scenes.
        neural_rdms: group → (S, S) RDM (``SceneRSMs.rdm(group)``).
        groups: optional table with ``group``, ``noise_ceiling`` and ``noise_ceiling_sem``
            columns (``SceneRSMs.groups``) to report beside the scores.
        n_boot: bootstrap resamples of the scenes (0 for none).
        seed: seed of the resampling.
        ci: coverage of the percentile intervals.
    """
    keys = [(m, layer) for m, layers in model_rdms.items() for layer in layers]
    if not keys:
        raise ValueError("rsa_scores: no model RDMs")
    names = list(neural_rdms)
    if not names:
        raise ValueError("rsa_scores: no neural RDMs")
    model_stack = np.stack([np.asarray(model_rdms[m][layer], np.float64) for m, layer in keys])
    neural_stack = np.stack([np.asarray(neural_rdms[g], np.float64) for g in names])
    n = neural_stack.shape[1]
    if model_stack.shape[1:] != (n, n) or neural_stack.shape[1:] != (n, n):
        raise ValueError(
            f"rsa_scores: model RDMs are {model_stack.shape[1:]} and neural RDMs "
            f"{neural_stack.shape[1:]}; all must be square over the same scenes"
        )
    for name, stack in (("model", model_stack), ("neural", neural_stack)):
        if not np.allclose(stack, stack.transpose(0, 2, 1), atol=1e-6, equal_nan=True):
            raise ValueError(f"rsa_scores: the {name} RDMs must be symmetric")
    iu, ju = np.triu_indices(n, k=1)
    model_ranks = _WeightedRanks(model_stack[:, iu, ju])
    neural_ranks = _WeightedRanks(neural_stack[:, iu, ju])
    ones = np.ones(iu.size)
    point = _weighted_correlation(model_ranks(ones), neural_ranks(ones), ones)
    # pair_index[a, b]: position of the scene pair {a, b} in the upper triangle
    pair_index = np.full((n, n), -1, dtype=np.int64)
    pair_index[iu, ju] = np.arange(iu.size)
    pair_index[ju, iu] = np.arange(iu.size)
    rng = np.random.default_rng(seed)
    samples = np.full((len(keys), len(names), n_boot), np.nan)
    for b in range(n_boot):
        pick = rng.integers(0, n, size=n)
        i, j = pick[iu], pick[ju]
        keep = i != j  # a scene drawn twice is not a pair
        weights = np.bincount(pair_index[i[keep], j[keep]], minlength=iu.size).astype(np.float64)
        samples[:, :, b] = _weighted_correlation(
            model_ranks(weights), neural_ranks(weights), weights
        )

    alpha = (1 - ci) / 2
    low, high = (
        np.nanquantile(samples, q, axis=2) if n_boot else np.full(point.shape, np.nan)
        for q in (alpha, 1 - alpha)
    )
    ceilings = {}
    if groups is not None:
        ceilings = groups.set_index("group")[["noise_ceiling", "noise_ceiling_sem"]].to_dict(
            "index"
        )
    rows = []
    for e, (model, layer) in enumerate(keys):
        for g, group in enumerate(names):
            ceiling = ceilings.get(group, {})
            nc = ceiling.get("noise_ceiling", np.nan)
            rows.append(
                {
                    "model": model,
                    "layer": layer,
                    "layer_index": list(model_rdms[model]).index(layer),
                    "group": group,
                    **_area_layer(group),
                    "spearman": point[e, g],
                    "ci_low": low[e, g],
                    "ci_high": high[e, g],
                    "noise_ceiling": nc,
                    "noise_ceiling_sem": ceiling.get("noise_ceiling_sem", np.nan),
                    "fraction_of_ceiling": point[e, g] / nc if nc else np.nan,
                }
            )
    layers = pd.DataFrame(rows)
    best_rows = []
    for model in model_rdms:
        entries = [e for e, (m, _) in enumerate(keys) if m == model]
        for g, group in enumerate(names):
            scores = point[entries, g]
            top = entries[int(np.nanargmax(scores))]
            boot = np.nanmax(samples[entries, g], axis=0) if n_boot else np.array([np.nan])
            b_low, b_high = np.nanquantile(boot, [alpha, 1 - alpha]) if n_boot else (np.nan,) * 2
            ceiling = ceilings.get(group, {})
            nc = ceiling.get("noise_ceiling", np.nan)
            best_rows.append(
                {
                    "model": model,
                    "group": group,
                    **_area_layer(group),
                    "best_layer": keys[top][1],
                    "spearman": point[top, g],
                    "ci_low": b_low,
                    "ci_high": b_high,
                    "noise_ceiling": nc,
                    "noise_ceiling_sem": ceiling.get("noise_ceiling_sem", np.nan),
                    "fraction_of_ceiling": point[top, g] / nc if nc else np.nan,
                }
            )
    return RSAResult(layers, pd.DataFrame(best_rows), samples, keys, names, ci)


def _area_layer(group: str) -> dict[str, str]:
    try:
        area, layer = split_group(group)
    except ValueError:
        return {"area": group, "cortical_layer": ""}
    return {"area": area, "cortical_layer": layer}
