"""Groups of cells and NeuRN / plain pairs."""

import numpy as np
import pytest
from cortex_fixtures import neural_data, small_model

from neurn_keras.cortex import architecture_signature, check_pairs, group_cells, pair_models
from neurn_keras.model_parts import has_neurn


def test_group_cells():
    cells = neural_data().cells
    assert list(group_cells(cells, "all")) == ["all"]
    by_class = group_cells(cells, "cell_class")
    np.testing.assert_array_equal(by_class["excitatory"], np.arange(12))
    np.testing.assert_array_equal(by_class["inhibitory"], np.arange(12, 24))
    assert list(group_cells(cells, "area_cre_line")) == ["VISl/Sst-IRES-Cre", "VISp/Cux2-CreERT2"]
    with pytest.raises(ValueError, match="by must be one of"):
        group_cells(cells, "layer")


def test_pairs_by_architecture():
    models = {
        "a_neurn": small_model(True, seed=1),
        "b_plain": small_model(False, seed=2),
        "nested_neurn": small_model(True, nested=True),
    }
    assert has_neurn(models["a_neurn"]) and has_neurn(models["nested_neurn"])
    assert not has_neurn(models["b_plain"])
    assert architecture_signature(models["a_neurn"]) == ((5, 5, 3, 8), (3, 3, 8, 6))
    assert pair_models(models) == [("a_neurn", "b_plain")]
    check_pairs([("a_neurn", "b_plain")], models)
    with pytest.raises(ValueError, match="first model must have a NeuRN layer"):
        check_pairs([("b_plain", "a_neurn")], models)
    with pytest.raises(ValueError, match="no model labelled 'x'"):
        check_pairs([("x", "b_plain")], models)
