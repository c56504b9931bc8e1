"""The architecture similarity index, for one pair and for a set of architectures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np
import pandas as pd

from neurn_keras._progress import tqdm
from neurn_keras.archsim.needleman_wunsch import needleman_wunsch
from neurn_keras.archsim.sequence import layer_sequence
from neurn_keras.errors import InvalidTypeError


def as_sequence(item: keras.layers.Layer | Sequence[str]) -> tuple[str, ...]:
    """Token sequence of a model (via ``layer_sequence``), or a token sequence as a tuple."""
    if isinstance(item, keras.layers.Layer):
        return layer_sequence(item)
    if isinstance(item, str):
        raise InvalidTypeError(
            f"archsim: expected a keras model or a sequence of tokens, got the string "
            f"{item[:40]!r} (pass a list of tokens)"
        )
    return tuple(item)


def similarity(
    model_a: keras.layers.Layer | Sequence[str],
    model_b: keras.layers.Layer | Sequence[str],
    match: int = 1,
    mismatch: int = -1,
    gap: int = -1,
) -> float:
    """Architecture similarity index in [0, 1]: matched positions over alignment length.

    The two layer sequences are aligned globally (``needleman_wunsch``); a position is
    matched when both sides hold the same token; mismatched pairs and gaps count in the
    length only. Identical architectures give 1.0, the index is symmetric, and ties
    between optimal alignments are broken so that it does not depend on the order of
    the arguments (see ``neurn_keras.archsim.needleman_wunsch``).

    Args:
        model_a, model_b: Keras models, or token sequences (lists of layer-type names).
        match, mismatch, gap: integer Needleman–Wunsch scores.
    """
    return needleman_wunsch(
        as_sequence(model_a), as_sequence(model_b), match, mismatch, gap
    ).similarity


def similarity_matrix(
    sequences: Mapping[str, Sequence[str]],
    match: int = 1,
    mismatch: int = -1,
    gap: int = -1,
    progress: bool = True,
) -> pd.DataFrame:
    """Pairwise similarity indices of named token sequences, as a symmetric DataFrame.

    Args:
        sequences: name -> token sequence (e.g. the output of ``zoo()``).
        match, mismatch, gap: integer Needleman–Wunsch scores.
        progress: show a tqdm bar over the pairs.

    Returns:
        A DataFrame indexed and labelled by the names, ones on the diagonal.
    """
    names = list(sequences)
    seqs = [as_sequence(sequences[n]) for n in names]
    n = len(names)
    values = np.eye(n)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    for i, j in tqdm(pairs, desc="aligning", unit="pair", disable=not progress):
        values[i, j] = values[j, i] = needleman_wunsch(
            seqs[i], seqs[j], match, mismatch, gap
        ).similarity
    return pd.DataFrame(values, index=pd.Index(names, name="model"), columns=names)
