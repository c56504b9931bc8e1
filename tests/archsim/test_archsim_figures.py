"""The clustered heatmap says what it shows: a title, a labelled colour bar, the models."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from neurn_keras.archsim.figures import clustermap

NAMES = ["VGG16", "VGG19", "MobileNetV2"]


@pytest.fixture
def matrix():
    values = [[1.0, 0.9, 0.2], [0.9, 1.0, 0.25], [0.2, 0.25, 1.0]]
    return pd.DataFrame(values, index=NAMES, columns=NAMES)


def test_clustermap_has_a_title_and_a_labelled_colour_bar(matrix):
    grid = clustermap(matrix)
    title = grid.figure._suptitle.get_text()
    assert "Needleman–Wunsch" in title and "1 = identical" in title
    assert "average linkage" in title
    assert grid.ax_cbar.get_ylabel() == "similarity index"
    labels = {t.get_text() for t in grid.ax_heatmap.get_yticklabels()}
    assert labels == set(NAMES)
    plt.close(grid.figure)


def test_clustermap_title_can_be_given(matrix):
    grid = clustermap(matrix, method="complete", title="mine")
    assert grid.figure._suptitle.get_text() == "mine"
    plt.close(grid.figure)
    grid = clustermap(matrix, method="complete")
    assert "complete linkage" in grid.figure._suptitle.get_text()
    plt.close(grid.figure)
