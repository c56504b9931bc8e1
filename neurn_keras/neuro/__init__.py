"""Allen Brain Observatory natural-scenes data: our compact format, NWB reading, Cre lines.

::

    from neurn_keras import neuro

    data = neuro.read_nwb("ophys_experiment_501498760.nwb")    # or neuro.load_neural(...)
    neuro.save_neural("visp_cux2.npz", data)                    # .npz + .csv
    rsms = neuro.load_scene_rsms()                              # real RSMs, 21 groups

Command line: ``python -m neurn_keras.neuro --help``.
"""

from neurn_keras._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "allen_files": (
            "UNVERIFIED_NOTE",
            "SceneRSMs",
            "load_scene_rsms",
            "load_unverified_responses",
            "split_group",
        ),
        "compact": (
            "CELL_COLUMNS",
            "FORMAT",
            "NeuralData",
            "NeuralFormatError",
            "cells_table",
            "concat_neural",
            "load_neural",
            "save_neural",
        ),
        "cre_lines": (
            "CRE_GENE_CLASSES",
            "UnknownCreLineError",
            "cell_class",
            "cre_gene",
            "cre_line_from_genotype",
        ),
        "nwb": ("NWBFormatError", "TrialWindows", "read_nwb", "read_nwb_files"),
        "resize": ("resize_maps",),
    },
)
