"""Global alignment (Needleman–Wunsch) of token sequences and the similarity index.

The dynamic program is Biopython's ``Bio.Align.PairwiseAligner`` (global mode, linear
gap penalty: every gap position costs ``gap``, at the ends too), run on the token
sequences directly.

Several alignments can share the best score, and they can differ in how many positions
match, so the index would depend on how the traceback breaks ties. It does not: the
alignment we keep maximizes, in this order, (1) the Needleman–Wunsch score, (2) the
number of matched positions, (3) minus the alignment length (fewer gaps). We get that
from one run of the aligner by folding the three criteria into one integer score per
column, ``score * K² + matched * K - 1`` with ``K = len(a) + len(b) + 1``, which is
why the scores must be integers. The index is a function of (matched, length), and the
criteria do not depend on the order of the two sequences, so
``similarity(a, b) == similarity(b, a)`` exactly, with or without ties. Among
alignments equal on all three, we keep the first Biopython's traceback yields for the
pair in canonical order (the smaller tuple first) and swap it back, so
``needleman_wunsch(b, a)`` is the mirror image of ``needleman_wunsch(a, b)``.

>>> result = needleman_wunsch(["Conv2D", "ReLU", "Dense"], ["Conv2D", "Dense"])
>>> result.aligned_b
('Conv2D', None, 'Dense')
>>> result.matches, result.length, round(result.similarity, 3)
(2, 3, 0.667)
>>> print(result.format())
Conv2D  =  Conv2D
ReLU       -
Dense   =  Dense
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from Bio.Align import PairwiseAligner

from neurn_keras.errors import InvalidTypeError, InvalidValueError

GAP = None
"""What stands in an aligned sequence where the other one has a token and this one not."""

_MAX_EXACT = 2**53  # Biopython scores in float64: integers up to this are exact


@dataclass(frozen=True)
class Alignment:
    """One optimal global alignment of two token sequences.

    Attributes:
        score: the Needleman–Wunsch score (match, mismatch and gap scores summed).
        aligned_a, aligned_b: the two sequences with gaps (``None``), of equal length.
        path: the traceback, the cells of the dynamic-programming matrix the alignment
            walks through, from ``(0, 0)`` to ``(len(a), len(b))``. Each step is
            ``(+1, +1)`` (a pair of tokens), ``(+1, 0)`` (a token of a against a gap)
            or ``(0, +1)`` (a gap against a token of b).
    """

    score: int
    aligned_a: tuple[str | None, ...]
    aligned_b: tuple[str | None, ...]
    path: tuple[tuple[int, int], ...]

    @property
    def length(self) -> int:
        """Alignment columns: pairs plus gaps."""
        return len(self.aligned_a)

    @property
    def matches(self) -> int:
        """Columns where both sequences have a token and the tokens are equal."""
        pairs = zip(self.aligned_a, self.aligned_b, strict=True)
        return sum(x is not GAP and x == y for x, y in pairs)

    @property
    def mismatches(self) -> int:
        """Columns where both sequences have a token and the tokens differ."""
        return sum(
            x is not GAP and y is not GAP and x != y
            for x, y in zip(self.aligned_a, self.aligned_b, strict=True)
        )

    @property
    def gaps(self) -> int:
        """Columns with a gap on one side."""
        return self.length - self.matches - self.mismatches

    @property
    def similarity(self) -> float:
        """Matched columns over all columns, in [0, 1]; 1.0 for two empty sequences."""
        return self.matches / self.length if self.length else 1.0

    def swapped(self) -> Alignment:
        """The same alignment with the two sequences exchanged."""
        return Alignment(
            self.score, self.aligned_b, self.aligned_a, tuple((j, i) for i, j in self.path)
        )

    def format(self, gap: str = "-", width: int | None = None) -> str:
        """The alignment as text: one column per line, ``=`` matched, ``x`` mismatched.

        Args:
            gap: what to print for a gap.
            width: the width of the first column (default: the longest token).
        """
        tokens = [t for t in self.aligned_a if t is not GAP] or [""]
        width = width or max(max(len(t) for t in tokens), len(gap))
        lines = []
        for x, y in zip(self.aligned_a, self.aligned_b, strict=True):
            mark = " " if x is GAP or y is GAP else ("=" if x == y else "x")
            left = gap if x is GAP else x
            right = gap if y is GAP else y
            lines.append(f"{left:<{width}}  {mark}  {right}")
        return "\n".join(lines)


def _check_integer(name: str, value) -> int:
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
    ):
        raise InvalidValueError(
            f"needleman_wunsch: {name} must be an integer, got {value!r} (scale all three "
            "scores to integers, e.g. 0.5 -> 1 with the others doubled)"
        )
    return int(value)


def _check_tokens(name: str, seq) -> tuple[str, ...]:
    if isinstance(seq, str):
        raise InvalidTypeError(
            f"needleman_wunsch: {name} must be a sequence of tokens, got the string {seq[:40]!r} "
            "(pass list(string) to align characters)"
        )
    seq = tuple(seq)
    bad = [t for t in seq if not isinstance(t, str)]
    if bad:
        raise InvalidTypeError(f"needleman_wunsch: {name} must hold strings, found {bad[0]!r}")
    return seq


def _align_ordered(
    a: tuple[str, ...], b: tuple[str, ...], match: int, mismatch: int, gap: int
) -> Alignment:
    k = len(a) + len(b) + 1
    bound = max(abs(match), abs(mismatch), abs(gap), 1) * (k * k + k) * k
    if bound >= _MAX_EXACT:
        raise InvalidValueError(
            f"needleman_wunsch: sequences of {len(a)} and {len(b)} tokens with scores up to "
            f"{max(abs(match), abs(mismatch), abs(gap))} are too long for exact scoring "
            "(use smaller scores or shorter sequences)"
        )
    aligner = PairwiseAligner(
        mode="global",
        match_score=match * k * k + k - 1,
        mismatch_score=mismatch * k * k - 1,
        gap_score=gap * k * k - 1,
    )
    if not a or not b:  # Biopython refuses empty sequences
        aligned_a = a + (GAP,) * len(b)
        aligned_b = (GAP,) * len(a) + b
        path = tuple((i, 0) for i in range(len(a) + 1)) + tuple(
            (len(a), j) for j in range(1, len(b) + 1)
        )
        return Alignment(gap * (len(a) + len(b)), aligned_a, aligned_b, path)
    best = next(iter(aligner.align(list(a), list(b))))
    aligned_a: list[str | None] = []
    aligned_b: list[str | None] = []
    path = [(0, 0)]
    i = j = 0
    (starts_a, starts_b) = best.coordinates
    for end_a, end_b in zip(starts_a[1:], starts_b[1:], strict=True):
        step_a, step_b = int(end_a) - i, int(end_b) - j
        for _ in range(max(step_a, step_b)):
            aligned_a.append(a[i] if step_a else GAP)
            aligned_b.append(b[j] if step_b else GAP)
            i += bool(step_a)
            j += bool(step_b)
            path.append((i, j))
    score = sum(
        gap if x is GAP or y is GAP else (match if x == y else mismatch)
        for x, y in zip(aligned_a, aligned_b, strict=True)
    )
    return Alignment(score, tuple(aligned_a), tuple(aligned_b), tuple(path))


def needleman_wunsch(
    seq_a: Sequence[str], seq_b: Sequence[str], match: int = 1, mismatch: int = -1, gap: int = -1
) -> Alignment:
    """Globally align two token sequences (Needleman–Wunsch, linear gap penalty).

    Ties between alignments of equal score are broken by the most matched positions,
    then by the shortest alignment (see the module docstring); ``needleman_wunsch(b, a)``
    is the mirror image of ``needleman_wunsch(a, b)``.

    Args:
        seq_a, seq_b: sequences of string tokens (e.g. from ``layer_sequence``).
        match: score of a column with two equal tokens (integer).
        mismatch: score of a column with two different tokens (integer).
        gap: score of each column with a gap (integer; at the ends too).

    Returns:
        An ``Alignment``: ``score``, ``aligned_a``/``aligned_b`` with ``None`` for gaps,
        ``path`` (the traceback), and ``matches``, ``length``, ``similarity``.
    """
    a, b = _check_tokens("seq_a", seq_a), _check_tokens("seq_b", seq_b)
    scores = [_check_integer(n, v) for n, v in (("match", match), ("mismatch", mismatch))]
    scores.append(_check_integer("gap", gap))
    if b < a:
        return _align_ordered(b, a, *scores).swapped()
    return _align_ordered(a, b, *scores)
