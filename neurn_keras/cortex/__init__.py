"""Networks compared with mouse visual cortex (the second half of Mice to Machines).

- Representations: :func:`neural_representations` (a cell's responses weighting the
  scenes), :func:`feature_representations` (conv kernels as 2-D maps),
  :func:`layer_activations` (for RSA).
- Sampling: :func:`sample_representatives` (UMAP + KMeans, the paper's 10 × 50).
- Single cells: :func:`rmse`, :func:`layer_rmse`, :func:`kde_iou`, and the whole
  analysis :func:`rmse_analysis`.
- Population RSA on ``rsatoolbox.rdm.RDMs``: :func:`rdm`, :func:`model_rdms`,
  :func:`cortex_rdms`, :func:`rsa_scores` / :func:`rsa_analysis`, whose
  :class:`RSAResult` has ``best_layer()``, ``ci()``, ``compare()`` and ``to_frame()``.
- Grouping: :func:`group_cells`; models: :func:`load_models`, :func:`pair_models`,
  :func:`pair_differences` (what else differs within a NeuRN/plain pair).
  Figures in :mod:`neurn_keras.cortex.figures`; command line ``python -m neurn_keras.cortex``.

The names are imported from their modules on first use, so ``import neurn_keras.cortex``
(as the command line does before parsing its arguments) imports neither Keras nor
rsatoolbox.

>>> import numpy as np
>>> from neurn_keras import cortex
>>> rng = np.random.default_rng(0)
>>> scenes = rng.normal(size=(10, 16))
>>> result = cortex.rsa_scores(
...     {"net": {"conv1": cortex.rdm(scenes), "conv2": cortex.rdm(scenes**3)}},
...     {"VISp_layer4": cortex.rdm(scenes + rng.normal(size=scenes.shape))},
...     n_boot=20,
... )
>>> result.best_layer("net", "VISp_layer4")
'conv1'
>>> result.to_frame().shape
(2, 12)
"""

from __future__ import annotations

from neurn_keras._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "activations": ("activation_layers", "layer_activations", "prepare_scenes"),
        "cells": ("RMSEAnalysis", "neural_maps", "rmse_analysis", "sample_cells"),
        "grouping": ("GROUPINGS", "group_cells"),
        "metrics": (
            "LayerRMSE",
            "kde_iou",
            "layer_rmse",
            "match_to_kernels",
            "normalize_maps",
            "pairwise_rmse",
            "rmse",
        ),
        "models": (
            "architecture_signature",
            "check_pairs",
            "labelled_paths",
            "load_models",
            "model_label",
            "pair_differences",
            "pair_models",
            "weighted_layers",
        ),
        "rdms": (
            "PIXELS",
            "compare_rdms",
            "cortex_rdms",
            "layer_rdms",
            "model_rdms",
            "rdm",
            "upper_triangle",
        ),
        "representations": (
            "conv_layers",
            "feature_representations",
            "kernel_maps",
            "neural_representations",
        ),
        "rsa": ("RSAResult", "rsa_analysis", "rsa_scores"),
        "sampling": ("Representatives", "sample_representatives"),
    },
)
