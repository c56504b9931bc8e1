"""The NWB 1.x reader, on small files in the Brain Observatory layout written by the tests."""

import h5py
import numpy as np
import pytest
from nwb_fixtures import RATE, SWEEP

from neurn_keras.neuro import (
    NWBFormatError,
    TrialWindows,
    UnknownCreLineError,
    read_nwb,
    read_nwb_files,
)


def expected_responses(truth, baseline=True):
    """Independent construction: trial k of scene s is the k-th presentation of s."""
    amplitude, offset, scene_of = truth["amplitude"], truth["offset"], truth["scene_of"]
    n_cells, n_scenes = amplitude.shape
    trials = max(np.sum(scene_of == s) for s in range(n_scenes))
    out = np.full((n_cells, n_scenes, trials), np.nan)
    for s in range(n_scenes):
        for k, p in enumerate(np.flatnonzero(scene_of == s)):
            out[:, s, k] = amplitude[:, s] + (0.0 if baseline else offset[:, p])
    return out


def test_trial_windows_follow_the_sdk():
    windows = TrialWindows.from_frames(np.array([[100, 108], [200, 207], [300, 307]]))
    assert windows.sweep == 7  # end - start of the SECOND presentation
    assert (windows.baseline, windows.response, windows.trace) == (28, 14, (-28, 35))


def test_responses_are_window_means_minus_baseline(make_nwb):
    path, truth = make_nwb()
    data = read_nwb(path)
    assert data.responses.shape == (3, 4, 3)
    np.testing.assert_allclose(data.responses, expected_responses(truth), atol=1e-5)
    assert np.isnan(data.responses[:, 3, 2]).all()  # scene 3 was shown twice only


def test_baseline_none_keeps_the_offset(make_nwb):
    path, truth = make_nwb()
    data = read_nwb(path, baseline="none")
    np.testing.assert_allclose(data.responses, expected_responses(truth, False), atol=1e-5)


def test_against_a_direct_loop_on_noise(make_nwb, tmp_path):
    """On a random trace, compare with a plain per-presentation loop over the frames."""
    path, truth = make_nwb()
    rng = np.random.default_rng(5)
    noise = rng.normal(size=truth["dff"].shape).astype(np.float32)
    with h5py.File(path, "r+") as f:
        f["processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data"][...] = noise
    data = read_nwb(path)
    seen = {}
    for p, (s, start) in enumerate(zip(truth["scene_of"], truth["starts"], strict=True)):
        del p
        if s < 0:
            continue
        k = seen.get(s, 0)
        seen[s] = k + 1
        response = noise[:, start : start + 2 * SWEEP].mean(axis=1)
        base = noise[:, start - 4 * SWEEP : start].mean(axis=1)
        np.testing.assert_allclose(data.responses[:, s, k], response - base, atol=1e-5)


def test_metadata_scenes_and_ids(make_nwb):
    path, truth = make_nwb(cell_ids=[7, 8, 9])
    data = read_nwb(path)
    cells = data.cells
    assert cells["cell_specimen_id"].tolist() == [7, 8, 9]
    assert set(cells["cre_line"]) == {"Cux2-CreERT2"}
    assert set(cells["area"]) == {"VISp"} and set(cells["depth"]) == {175}
    assert set(cells["cell_class"]) == {"excitatory"}
    assert set(cells["ophys_experiment_id"]) == {501498760}
    assert set(cells["experiment_container_id"]) == {511510667}
    assert data.scenes.dtype == np.uint8
    np.testing.assert_array_equal(data.scenes, truth["templates"].astype(np.uint8))
    np.testing.assert_array_equal(data.scene_ids, np.arange(4))


def test_inhibitory_line(make_nwb):
    path, _ = make_nwb(genotype="Sst-IRES-Cre/wt;Ai148(TIT2L-GC6f-ICL-tTA2)/wt")
    cells = read_nwb(path).cells
    assert set(cells["cre_line"]) == {"Sst-IRES-Cre"}
    assert set(cells["cell_class"]) == {"inhibitory"}


def test_time_resolved_traces(make_nwb):
    path, truth = make_nwb()
    data = read_nwb(path, time_resolved=True)
    assert data.responses.shape == (3, 4, 3, 9 * SWEEP)
    np.testing.assert_allclose(data.time[:2], [-28 / RATE, -27 / RATE])
    assert np.isclose(data.time[28], 0.0)
    window = data.time_window(0.0, 2 * SWEEP / RATE - 1e-9)
    np.testing.assert_allclose(window.responses, expected_responses(truth), atol=1e-5)


def test_scene_size_shrinks_the_images(make_nwb):
    path, _ = make_nwb()
    assert read_nwb(path, scene_size=(3, 4)).scenes.shape == (4, 3, 4)


def test_presentation_outside_the_recording_is_dropped_with_a_warning(make_nwb):
    path, truth = make_nwb(tail_frames=10)  # the last presentation's window is cut off
    last = truth["scene_of"][-1]
    with pytest.warns(UserWarning, match="1 scene presentations have a trial window outside"):
        data = read_nwb(path)
    if last >= 0:
        shown = np.sum(truth["scene_of"] == last)
        assert np.isnan(data.responses[0, last, shown - 1])


def test_unknown_cre_line_is_an_error_or_marked(make_nwb):
    path, _ = make_nwb(genotype="Gad2-IRES-Cre/wt;Ai93(TITL-GCaMP6f)/wt")
    with pytest.raises(UnknownCreLineError, match="'Gad2-IRES-Cre'"):
        read_nwb(path)
    with pytest.warns(UserWarning, match="unknown Cre line"):
        data = read_nwb(path, unknown_cre="mark")
    assert set(data.cells["cell_class"]) == {"unknown"}


def test_a_line_added_to_the_table_is_accepted(make_nwb, monkeypatch):
    from neurn_keras.neuro import CRE_GENE_CLASSES

    monkeypatch.setitem(CRE_GENE_CLASSES, "Gad2", "inhibitory")
    path, _ = make_nwb(genotype="Gad2-IRES-Cre/wt;Ai93(TITL-GCaMP6f)/wt")
    data = read_nwb(path)
    assert set(data.cells["cell_class"]) == {"inhibitory"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop": ("DfOverF/imaging_plane_1/data",)}, "no dataset processing/.*DfOverF"),
        ({"drop": ("natural_scenes_stimulus/data",)}, "only three_session_B"),
        ({"cell_ids": [1, 2]}, "lists 2 cells but .* has 3 rows"),
        (
            {
                "overrides": {
                    "stimulus/templates/natural_scenes_image_stack/data": np.zeros((2, 6, 8))
                }
            },
            r"scene indices \[2, 3\] are outside -1..1",
        ),
        ({"depth": "deep"}, "imaging depth is 'deep'"),
        ({"area": ""}, "the area .* is needed"),
    ],
)
def test_corrupt_files_give_clear_errors(make_nwb, kwargs, message):
    path, _ = make_nwb(**kwargs)
    with pytest.raises(NWBFormatError, match=message):
        read_nwb(path)


def test_not_hdf5_and_missing(tmp_path):
    bad = tmp_path / "bad.nwb"
    bad.write_bytes(b"plain text, not HDF5")
    with pytest.raises(NWBFormatError, match="not an HDF5"):
        read_nwb(bad)
    with pytest.raises(FileNotFoundError, match="no file"):
        read_nwb(tmp_path / "absent.nwb")


def test_several_files_stack_their_cells(make_nwb):
    a, truth_a = make_nwb("a.nwb", seed=0)
    b, truth_b = make_nwb(
        "b.nwb",
        seed=1,
        n_cells=2,
        repeats=4,
        short_scene=None,
        genotype="Vip-IRES-Cre/wt;Ai148/wt",
        area="VISl",
    )
    # the same templates are needed: copy a's into b
    with h5py.File(b, "r+") as f:
        f["stimulus/templates/natural_scenes_image_stack/data"][...] = truth_a["templates"]
    data = read_nwb_files([a, b])
    assert data.responses.shape == (5, 4, 4)
    assert data.cells["cell_class"].tolist() == ["excitatory"] * 3 + ["inhibitory"] * 2
    assert data.cells["area"].tolist() == ["VISp"] * 3 + ["VISl"] * 2
    np.testing.assert_allclose(data.responses[3:], expected_responses(truth_b), atol=1e-5)
    assert np.isnan(data.responses[:3, :, 3]).all()
