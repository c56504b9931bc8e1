"""Alignment of networks with mouse visual cortex (the second half of Mice to Machines).

- Representations: :func:`neural_representations` (a cell's responses weighting the
  scenes), :func:`feature_representations` (conv kernels as 2-D maps),
  :func:`layer_activations` (for RSA).
- Sampling: :func:`sample_representatives` (UMAP + KMeans, the paper's 10 × 50).
- Metrics: :func:`rmse`, :func:`layer_rmse`, :func:`kde_iou`; population RSA with
  :func:`rdm`, :func:`rsa_scores` (bootstrap over scenes, noise ceilings).
- Grouping: :func:`group_cells`, :func:`pair_models`.
- The whole analysis: :func:`rmse_analysis`, :func:`rsa_analysis`; figures in
  :mod:`neurn_keras.alignment.figures`; command line ``python -m neurn_keras.align``.
"""

from neurn_keras.alignment.activations import activation_layers, layer_activations, prepare_scenes
from neurn_keras.alignment.grouping import (
    GROUPINGS,
    architecture_signature,
    group_cells,
    has_neurn,
    pair_models,
)
from neurn_keras.alignment.metrics import (
    LayerRMSE,
    kde_iou,
    layer_rmse,
    match_to_kernels,
    normalize_maps,
    pairwise_rmse,
    rmse,
)
from neurn_keras.alignment.pipeline import (
    RMSEAnalysis,
    load_models,
    model_rdms,
    neural_maps,
    rmse_analysis,
    rsa_analysis,
    sample_cells,
)
from neurn_keras.alignment.representations import (
    conv_layers,
    feature_representations,
    kernel_maps,
    neural_representations,
    walk_layers,
)
from neurn_keras.alignment.rsa import RSAResult, compare_rdms, rdm, rsa_scores, upper_triangle
from neurn_keras.alignment.sampling import Representatives, sample_representatives

__all__ = [
    "GROUPINGS",
    "LayerRMSE",
    "RMSEAnalysis",
    "RSAResult",
    "Representatives",
    "activation_layers",
    "architecture_signature",
    "compare_rdms",
    "conv_layers",
    "feature_representations",
    "group_cells",
    "has_neurn",
    "kde_iou",
    "kernel_maps",
    "layer_activations",
    "layer_rmse",
    "load_models",
    "match_to_kernels",
    "model_rdms",
    "neural_maps",
    "neural_representations",
    "normalize_maps",
    "pair_models",
    "pairwise_rmse",
    "prepare_scenes",
    "rdm",
    "rmse",
    "rmse_analysis",
    "rsa_analysis",
    "rsa_scores",
    "sample_cells",
    "sample_representatives",
    "upper_triangle",
    "walk_layers",
]
