"""What ``python -m neurn_keras.archsim`` writes: matrix CSV, sequences, heatmap, alignment."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from neurn_keras.archsim.needleman_wunsch import Alignment
from neurn_keras.files import atomic_write_text

MATRIX_FILE = "similarity.csv"
SEQUENCES_FILE = "sequences.json"
FIGURE_FILE = "similarity_clustermap.png"


def alignment_file_name(name_a: str, name_b: str) -> str:
    """``alignment_<a>_<b>.txt``."""
    return f"alignment_{name_a}_{name_b}.txt"


def alignment_text(
    alignment: Alignment, name_a: str, name_b: str, match: int, mismatch: int, gap: int
) -> str:
    """A pairwise alignment as text: a header with its counts, then one column per line."""
    n_a = sum(t is not None for t in alignment.aligned_a)
    n_b = sum(t is not None for t in alignment.aligned_b)
    header = [
        f"# {name_a} ({n_a} layers) vs {name_b} ({n_b} layers)",
        f"# Needleman-Wunsch, match {match}, mismatch {mismatch}, gap {gap}: "
        f"score {alignment.score}",
        f"# {alignment.matches} matched, {alignment.mismatches} mismatched, "
        f"{alignment.gaps} gaps in {alignment.length} columns: "
        f"similarity index {alignment.similarity:.4f}",
        f"# left: {name_a}, right: {name_b}; '=' matched, 'x' mismatched, '-' gap",
    ]
    return "\n".join(header) + "\n" + alignment.format() + "\n"


def read_matrix(path: str | os.PathLike) -> pd.DataFrame:
    """Reads a similarity matrix written by ``write_matrix``."""
    return pd.read_csv(path, index_col=0)


def write_matrix(path: str | os.PathLike, matrix: pd.DataFrame) -> Path:
    """The similarity matrix as CSV (6 decimals), models as row and column labels."""
    return atomic_write_text(path, matrix.to_csv(float_format="%.6f"))


def write_sequences(path: str | os.PathLike, sequences: Mapping[str, Sequence[str]]) -> Path:
    """The layer sequences as JSON, name -> list of tokens."""
    return atomic_write_text(path, json.dumps({k: list(v) for k, v in sequences.items()}, indent=1))
