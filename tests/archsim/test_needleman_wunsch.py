"""Needleman–Wunsch alignment: Biopython's score, the tie-breaking rule, the index."""

from __future__ import annotations

import itertools
import random

import pytest
from Bio.Align import PairwiseAligner
from hypothesis import given, settings
from hypothesis import strategies as st

from neurn_keras.archsim import GAP, needleman_wunsch, similarity

SCORES = [(1, -1, -1), (2, -1, -2), (1, 0, -1), (3, -2, -1), (1, -2, -1)]
TOKENS = ["Conv2D", "ReLU", "BatchNormalization", "Add", "MaxPooling2D", "Dense"]
# A small alphabet makes ties between alignments common.
short_seqs = st.lists(st.sampled_from(["A", "B", "C"]), max_size=14)


def reference_best(a, b, match, mismatch, gap):
    """(score, matched, -length) of the lexicographically best alignment, plain DP on tuples."""
    rows = [[(0, 0, 0)] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            options = []
            if i and j:
                s, m, n = rows[i - 1][j - 1]
                same = a[i - 1] == b[j - 1]
                options.append((s + (match if same else mismatch), m + same, n - 1))
            if i:
                s, m, n = rows[i - 1][j]
                options.append((s + gap, m, n - 1))
            if j:
                s, m, n = rows[i][j - 1]
                options.append((s + gap, m, n - 1))
            if options:
                rows[i][j] = max(options)
    return rows[len(a)][len(b)]


def check_consistent(result, a, b, match, mismatch, gap):
    """The aligned pair spells a and b, the path walks it, the score adds up."""
    assert [t for t in result.aligned_a if t is not GAP] == list(a)
    assert [t for t in result.aligned_b if t is not GAP] == list(b)
    assert result.path[0] == (0, 0) and result.path[-1] == (len(a), len(b))
    steps = {(i2 - i1, j2 - j1) for (i1, j1), (i2, j2) in itertools.pairwise(result.path)}
    assert steps <= {(1, 1), (1, 0), (0, 1)}
    assert len(result.path) == result.length + 1
    columns = zip(result.aligned_a, result.aligned_b, strict=True)
    assert all(not (x is GAP and y is GAP) for x, y in columns)
    expected = result.matches * match + result.mismatches * mismatch + result.gaps * gap
    assert result.score == expected


@pytest.mark.parametrize(("match", "mismatch", "gap"), SCORES)
def test_score_equals_biopython_on_random_token_sequences(match, mismatch, gap):
    rng = random.Random(7)
    bio = PairwiseAligner(mode="global", match_score=match, mismatch_score=mismatch, gap_score=gap)
    for _ in range(25):
        a = rng.choices(TOKENS, k=rng.randint(1, 120))
        b = rng.choices(TOKENS[: rng.randint(2, 6)], k=rng.randint(1, 120))
        result = needleman_wunsch(a, b, match, mismatch, gap)
        assert result.score == bio.score(a, b)
        check_consistent(result, a, b, match, mismatch, gap)


@settings(max_examples=300, deadline=None)
@given(a=short_seqs, b=short_seqs, scores=st.sampled_from(SCORES))
def test_tie_breaking_picks_most_matches_then_shortest(a, b, scores):
    result = needleman_wunsch(a, b, *scores)
    assert (result.score, result.matches, -result.length) == reference_best(a, b, *scores)
    check_consistent(result, a, b, *scores)


@settings(max_examples=300, deadline=None)
@given(a=short_seqs, b=short_seqs, scores=st.sampled_from(SCORES))
def test_symmetric_even_with_ties(a, b, scores):
    forward, backward = needleman_wunsch(a, b, *scores), needleman_wunsch(b, a, *scores)
    assert backward == forward.swapped()
    assert similarity(a, b, *scores) == similarity(b, a, *scores)
    assert 0.0 <= forward.similarity <= 1.0


@given(a=short_seqs)
def test_identical_sequences_align_without_gaps(a):
    result = needleman_wunsch(a, list(a))
    assert result.similarity == 1.0
    assert result.score == len(a)
    assert result.aligned_a == result.aligned_b == tuple(a)


def test_index_is_matched_columns_over_alignment_length():
    # VGG-like: b has one more Conv2D/ReLU pair inside the block.
    a = ["Conv2D", "ReLU", "Conv2D", "ReLU", "MaxPooling2D"]
    b = ["Conv2D", "ReLU", "Conv2D", "ReLU", "Conv2D", "ReLU", "MaxPooling2D"]
    result = needleman_wunsch(a, b)
    assert (result.matches, result.mismatches, result.gaps, result.length) == (5, 0, 2, 7)
    assert result.similarity == pytest.approx(5 / 7)
    assert result.score == 3


def test_mismatches_count_in_the_length_not_the_matches():
    result = needleman_wunsch(["Conv2D", "ReLU", "Dense"], ["Conv2D", "SiLU", "Dense"])
    assert (result.matches, result.mismatches, result.gaps) == (2, 1, 0)
    assert result.similarity == pytest.approx(2 / 3)


def test_disjoint_sequences_have_index_zero():
    assert similarity(["A", "B"], ["C", "D", "E"]) == 0.0


def test_empty_sequences():
    assert needleman_wunsch([], []).similarity == 1.0
    result = needleman_wunsch([], ["A", "B"])
    assert (result.score, result.similarity, result.aligned_a) == (-2, 0.0, (GAP, GAP))
    assert result.path == ((0, 0), (0, 1), (0, 2))
    assert needleman_wunsch(["A"], []).path == ((0, 0), (1, 0))


def test_format_shows_one_column_per_line():
    text = needleman_wunsch(["Conv2D", "ReLU", "Dense"], ["Conv2D", "Dense", "Softmax"]).format()
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["Conv2D", "=", "Conv2D"]
    assert sum(line.split()[0] == "-" or line.split()[-1] == "-" for line in lines) == 2


@pytest.mark.parametrize("bad", [{"match": 0.5}, {"gap": "x"}, {"mismatch": True}])
def test_non_integer_scores_are_refused(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=f"{name} must be an integer"):
        needleman_wunsch(["A"], ["B"], **bad)


def test_integral_floats_are_accepted():
    assert needleman_wunsch(["A", "B"], ["A"], match=2.0, mismatch=-1.0, gap=-1.0).score == 1


def test_strings_are_refused_as_token_sequences():
    with pytest.raises(TypeError, match="list"):
        needleman_wunsch("Conv2D", ["Conv2D"])
    with pytest.raises(TypeError, match="strings"):
        needleman_wunsch([1, 2], ["A"])
