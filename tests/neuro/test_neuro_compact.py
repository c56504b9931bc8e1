"""The compact format: NAME.npz + NAME.csv, validated on construction and on load."""

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from neurn_keras.neuro import (
    NeuralData,
    NeuralFormatError,
    UnknownCreLineError,
    cells_table,
    concat_neural,
    load_neural,
    save_neural,
)


def make_data(n_cells=4, n_scenes=5, trials=3, time=None, note="test data", cre="Sst-IRES-Cre"):
    rng = np.random.default_rng(0)
    shape = (n_cells, n_scenes, trials) + (() if time is None else (len(time),))
    responses = rng.normal(size=shape).astype(np.float32)
    responses[0, 1, -1] = np.nan  # scene 1 shown one time fewer to cell 0's experiment
    scenes = np.random.default_rng(1).integers(0, 256, size=(n_scenes, 6, 7), dtype=np.uint8)
    cells = cells_table(
        n_cells, cre_line=cre, area="VISl", depth=275, cell_specimen_ids=range(10, 10 + n_cells)
    )
    return NeuralData(responses, scenes, cells, time=time, note=note)


def test_round_trip(tmp_path):
    data = make_data()
    path = save_neural(tmp_path / "d.npz", data)
    assert path.is_file() and (tmp_path / "d.csv").is_file()
    back = load_neural(path)
    np.testing.assert_array_equal(back.responses, data.responses)  # NaN pads survive
    np.testing.assert_array_equal(back.scenes, data.scenes)
    assert back.scenes.dtype == np.uint8
    np.testing.assert_array_equal(back.scene_ids, np.arange(5))
    pd.testing.assert_frame_equal(back.cells, data.cells)
    assert back.cells["cell_class"].tolist() == ["inhibitory"] * 4
    assert back.note == "test data" and back.time is None


def test_round_trip_time_resolved(tmp_path):
    data = make_data(time=np.array([-0.1, 0.0, 0.1, 0.2]))
    back = load_neural(save_neural(tmp_path / "t.npz", data))
    assert back.time_resolved and back.responses.shape == (4, 5, 3, 4)
    np.testing.assert_allclose(back.time, [-0.1, 0.0, 0.1, 0.2])
    window = back.time_window(0.0, 0.15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-NaN pad stays NaN
        expected = np.nanmean(data.responses[..., 1:3], axis=3)
    np.testing.assert_allclose(window.responses, expected, rtol=1e-6)
    assert not window.time_resolved


def test_mean_responses_ignore_nan_pads():
    data = make_data()
    mean = data.mean_responses()
    assert mean.shape == (4, 5)
    np.testing.assert_allclose(mean[0, 1], data.responses[0, 1, :2].mean(), rtol=1e-6)


def test_mismatched_scene_counts_are_refused():
    data = make_data()
    with pytest.raises(NeuralFormatError, match="5 scenes but there are 4 scene images"):
        NeuralData(data.responses, data.scenes[:4], data.cells)


def test_mismatched_scene_counts_in_a_file(tmp_path):
    data = make_data()
    np.savez_compressed(
        tmp_path / "bad.npz",
        format=np.array("neurn_keras.neural/1"),
        responses=data.responses,
        scenes=data.scenes[:3],
    )
    data.cells.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(NeuralFormatError, match=r"bad.npz: .*5 scenes but there are 3"):
        load_neural(tmp_path / "bad.npz")


def test_cell_table_rows_must_match(tmp_path):
    data = make_data()
    with pytest.raises(NeuralFormatError, match="3 rows for 4 cells"):
        NeuralData(data.responses, data.scenes, data.cells.iloc[:3])
    with pytest.raises(NeuralFormatError, match=r"lacks the columns \['depth'\]"):
        NeuralData(data.responses, data.scenes, data.cells.drop(columns="depth"))


def test_unknown_cre_line_in_a_file_is_reported(tmp_path):
    data = make_data()
    path = save_neural(tmp_path / "d.npz", data)
    table = data.cells.assign(cre_line="Gad2-IRES-Cre")
    table.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(UnknownCreLineError, match="Gad2-IRES-Cre"):
        load_neural(path)
    table.assign(cell_class="unknown").to_csv(tmp_path / "d.csv", index=False)
    assert set(load_neural(path).cells["cell_class"]) == {"unknown"}


def test_class_contradicting_the_line_is_refused(tmp_path):
    data = make_data()
    cells = data.cells.assign(cell_class="excitatory")  # Sst cells are inhibitory
    with pytest.raises(NeuralFormatError, match="labels inhibitory cells"):
        NeuralData(data.responses, data.scenes, cells)


def test_cells_table_unknown_line_error_or_mark():
    with pytest.raises(UnknownCreLineError, match="Foo-Cre"):
        cells_table(2, cre_line="Foo-Cre", area="VISp", depth=175)
    with pytest.warns(UserWarning, match="unknown Cre line 'Foo-Cre'"):
        table = cells_table(2, cre_line="Foo-Cre", area="VISp", depth=175, unknown_cre="mark")
    assert table["cell_class"].tolist() == ["unknown", "unknown"]


def test_missing_csv_and_wrong_format(tmp_path):
    data = make_data()
    path = save_neural(tmp_path / "d.npz", data)
    (tmp_path / "d.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"d.csv"):
        load_neural(path)
    np.savez_compressed(
        tmp_path / "e.npz", format=np.array("other/9"), responses=data.responses, scenes=data.scenes
    )
    data.cells.to_csv(tmp_path / "e.csv", index=False)
    with pytest.raises(NeuralFormatError, match="format 'other/9'"):
        load_neural(tmp_path / "e.npz")
    (tmp_path / "f.npz").write_bytes(b"not a zip")
    data.cells.to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(NeuralFormatError, match=r"not a readable \.npz"):
        load_neural(tmp_path / "f.npz")


def test_unverified_note_warns_on_load(tmp_path):
    data = make_data(note="UNVERIFIED: rows may not match the scenes")
    assert data.unverified
    path = save_neural(tmp_path / "u.npz", data)
    with pytest.warns(UserWarning, match="UNVERIFIED: rows may not match"):
        load_neural(path)


def test_concat_pads_trials_and_checks_scenes():
    a = make_data(trials=3)
    b = make_data(trials=5, note="UNVERIFIED: b")
    both = concat_neural([a, b])
    assert both.responses.shape == (8, 5, 5)
    assert np.isnan(both.responses[:4, :, 3:]).all()
    np.testing.assert_array_equal(both.responses[4:], b.responses)
    assert both.note.startswith("UNVERIFIED: b")
    other = NeuralData(b.responses, b.scenes[::-1], b.cells)
    with pytest.raises(NeuralFormatError, match="different scenes"):
        concat_neural([a, other])


def test_select_keeps_rows_and_table():
    data = make_data()
    part = data.select(np.array([False, True, False, True]))
    np.testing.assert_array_equal(part.responses, data.responses[[1, 3]])
    assert part.cells["cell_specimen_id"].tolist() == [11, 13]


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    save_neural(tmp_path / "d.npz", make_data())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "d.npz"]
    umask = os.umask(0)
    os.umask(umask)
    for path in tmp_path.iterdir():  # the usual permissions, not mkstemp's 0600
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(ValueError, match=r"must end in \.npz"):
        save_neural(tmp_path / "d.h5", make_data())
