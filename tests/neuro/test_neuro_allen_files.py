"""The shared real Allen Brain Observatory files (skipped without NEURN_DATA_DIR, failed in CI)."""

import numpy as np
import pytest

from neurn_keras.neuro import load_scene_rsms, load_unverified_responses, split_group


def test_scene_rsms(real_data_file):
    real_data_file("abo_natural_scenes.npz")
    rsms = load_scene_rsms()
    assert rsms.scenes.shape == (118, 31, 31) and rsms.scenes.dtype == np.uint8
    assert len(rsms.rsms) == 21 and len(rsms.groups) == 21
    assert set(rsms.groups["area"]) == {"VISal", "VISam", "VISl", "VISp", "VISpm", "VISrl"}
    for group, matrix in rsms.rsms.items():
        assert matrix.shape == (118, 118), group  # the 119th (blank) stimulus is dropped
        np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)
        np.testing.assert_allclose(np.diag(rsms.rdm(group)), 0, atol=1e-6)
    ceilings = rsms.groups.set_index("group")["noise_ceiling"]
    assert ceilings["VISp_layer23"] == pytest.approx(0.9215, abs=1e-3)
    assert ceilings["VISrl_layer5"] == pytest.approx(0.127, abs=1e-3)


def test_the_scenes_line_up_with_the_rsms(real_data_file):
    """The manifest's check: pixel RSM vs neural RSMs is positive on average at the
    stored alignment and near zero when shifted by one scene."""
    real_data_file("abo_natural_scenes.npz")
    rsms = load_scene_rsms()
    pixels = np.corrcoef(rsms.scenes.reshape(118, -1).astype(float))
    iu = np.triu_indices(117, k=1)
    aligned, shifted = [], []
    for matrix in rsms.rsms.values():
        aligned.append(np.corrcoef(pixels[:117, :117][iu], matrix[:117, :117][iu])[0, 1])
        shifted.append(np.corrcoef(pixels[:117, :117][iu], matrix[1:, 1:][iu])[0, 1])
    assert np.mean(aligned) > 0.05 > abs(np.mean(shifted))


def test_unverified_responses_are_labelled(real_data_file):
    real_data_file("abo_psailamul_responses_UNVERIFIED.npz")
    with pytest.warns(UserWarning, match="UNVERIFIED"):
        data = load_unverified_responses()
    assert data.unverified and data.note.startswith("UNVERIFIED")
    assert data.responses.shape == (212, 118, 1)
    assert set(data.cells["cre_line"]) == {"Cux2-CreERT2"}
    assert set(data.cells["cell_class"]) == {"excitatory"}
    assert set(data.cells["area"]) == {"VISp"}


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="set NEURN_DATA_DIR or pass data_dir="):
        load_scene_rsms(tmp_path)


def test_split_group():
    assert split_group("VISpm_layer23") == ("VISpm", "layer23")
    assert split_group("rsm_VISp_layer6") == ("VISp", "layer6")
    with pytest.raises(ValueError, match="AREA_layerN"):
        split_group("V1")
