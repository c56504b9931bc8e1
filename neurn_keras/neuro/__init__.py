"""Allen Brain Observatory natural-scenes data: our compact format, NWB reading, Cre lines.

::

    from neurn_keras import neuro

    data = neuro.read_nwb("ophys_experiment_501498760.nwb")    # or neuro.load_neural(...)
    neuro.save_neural("visp_cux2.npz", data)                    # .npz + .csv
    rsms = neuro.load_scene_rsms()                              # real RSMs, 21 groups

Command line: ``python -m neurn_keras.neuro --help``.
"""

from neurn_keras.neuro.allen_files import (
    UNVERIFIED_NOTE,
    SceneRSMs,
    load_scene_rsms,
    load_unverified_responses,
    split_group,
)
from neurn_keras.neuro.compact import (
    CELL_COLUMNS,
    FORMAT,
    NeuralData,
    NeuralFormatError,
    cells_table,
    concat_neural,
    load_neural,
    save_neural,
)
from neurn_keras.neuro.cre_lines import (
    CRE_GENE_CLASSES,
    UnknownCreLineError,
    cell_class,
    cre_gene,
    cre_line_from_genotype,
)
from neurn_keras.neuro.nwb import NWBFormatError, TrialWindows, read_nwb, read_nwb_files
from neurn_keras.neuro.resize import resize_maps

__all__ = [
    "CELL_COLUMNS",
    "CRE_GENE_CLASSES",
    "FORMAT",
    "UNVERIFIED_NOTE",
    "NWBFormatError",
    "NeuralData",
    "NeuralFormatError",
    "SceneRSMs",
    "TrialWindows",
    "UnknownCreLineError",
    "cell_class",
    "cells_table",
    "concat_neural",
    "cre_gene",
    "cre_line_from_genotype",
    "load_neural",
    "load_scene_rsms",
    "load_unverified_responses",
    "read_nwb",
    "read_nwb_files",
    "resize_maps",
    "save_neural",
    "split_group",
]
