"""Architecture similarity: layer sequences aligned with Needleman–Wunsch.

::

    from neurn_keras import archsim

    seq = archsim.layer_sequence(model)            # ("Conv2D", "ReLU", "MaxPooling2D", ...)
    result = archsim.align(seq, other_seq)         # score, aligned pair with gaps, traceback
    archsim.similarity(model, other_model)         # matched positions / alignment length
    sequences = archsim.zoo(["VGG16", "VGG19"])    # weights=None, cached in $NEURN_CACHE_DIR
    matrix = archsim.similarity_matrix(sequences)  # pandas DataFrame

Command line: ``python -m neurn_keras.archsim --output DIR`` (``--help``).
"""

from neurn_keras.archsim.alignment import GAP, Alignment, align
from neurn_keras.archsim.compare import similarity, similarity_matrix
from neurn_keras.archsim.model_zoo import (
    ZooModel,
    build_sequence,
    default_cache_dir,
    keras_application_models,
    project_models,
    zoo,
    zoo_models,
)
from neurn_keras.archsim.sequence import DROPPED, TOKENS_VERSION, activation_token, layer_sequence

__all__ = [
    "DROPPED",
    "GAP",
    "TOKENS_VERSION",
    "Alignment",
    "ZooModel",
    "activation_token",
    "align",
    "build_sequence",
    "default_cache_dir",
    "keras_application_models",
    "layer_sequence",
    "project_models",
    "similarity",
    "similarity_matrix",
    "zoo",
    "zoo_models",
]
