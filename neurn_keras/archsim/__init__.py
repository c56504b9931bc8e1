"""Architecture similarity: layer sequences aligned with Needleman–Wunsch.

::

    from neurn_keras import archsim

    seq = archsim.layer_sequence(model)             # ("Conv2D", "ReLU", "MaxPooling2D", ...)
    result = archsim.needleman_wunsch(seq, other)   # score, aligned pair with gaps, traceback
    archsim.similarity(model, other_model)          # matched positions / alignment length
    sequences = archsim.zoo(["VGG16", "VGG19"])     # weights=None, cached in $NEURN_CACHE_DIR
    matrix = archsim.similarity_matrix(sequences)   # pandas DataFrame

>>> from neurn_keras import archsim
>>> archsim.similarity(["Conv2D", "ReLU", "Dense"], ["Conv2D", "Dense"])
0.6666666666666666

Command line: ``python -m neurn_keras.archsim --output DIR`` (``--help``).
"""

from neurn_keras._lazy import lazy_exports
from neurn_keras.archsim.needleman_wunsch import GAP, Alignment, needleman_wunsch  # noqa: F401

# needleman_wunsch is imported above: the name is also its module's (Biopython only, light)
__getattr__, __dir__, _lazy_names = lazy_exports(
    __name__,
    {
        "compare": ("similarity", "similarity_matrix"),
        "model_zoo": (
            "ZooModel",
            "build_sequence",
            "default_cache_dir",
            "keras_application_models",
            "project_models",
            "zoo",
            "zoo_models",
        ),
        "sequence": ("DROPPED", "TOKENS_VERSION", "activation_token", "layer_sequence"),
    },
)
__all__ = sorted(["GAP", "Alignment", "needleman_wunsch", *_lazy_names])
