"""python -m neurn_keras.neuro and the standalone Allen SDK download script."""

import csv
import re

import numpy as np
import pytest

from neurn_keras.cli.neuro import main
from neurn_keras.neuro import allensdk_download, load_neural


def test_from_nwb_writes_a_compact_file(make_nwb, tmp_path, capsys):
    a, _ = make_nwb("a.nwb")
    b, truth = make_nwb("b.nwb", seed=0)
    out = tmp_path / "out" / "ns.npz"
    assert main(["from-nwb", str(a), str(b), "--output", str(out), "--scene-size", "3x4"]) == 0
    data = load_neural(out)
    assert data.responses.shape == (6, 4, 3) and data.scenes.shape == (4, 3, 4)
    assert "6 cells x 4 scenes x 3 trials" in capsys.readouterr().out
    listing = tmp_path / "list.csv"
    listing.write_text(f"nwb_file\n{a}\n")
    assert main(["from-nwb", "--list", str(listing), "--output", str(out)]) == 0
    assert load_neural(out).n_cells == 3
    np.testing.assert_allclose(
        np.nanmax(load_neural(out).responses), truth["amplitude"].max(), rtol=1e-5
    )


def test_info_lists_groups(make_nwb, tmp_path, capsys):
    path, _ = make_nwb()
    out = tmp_path / "x.npz"
    main(["from-nwb", str(path), "--output", str(out)])
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert "VISp   Cux2-CreERT2           excitatory       3 cells" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda p, t: ["from-nwb", str(p), "--output", str(t / "x.h5")], "must end in .npz"),
        (lambda p, t: ["from-nwb", "--output", str(t / "x.npz")], "give NWB files or --list"),
        (lambda p, t: ["from-nwb", str(t / "no.nwb"), "--output", str(t / "x.npz")], "no file"),
        (lambda p, t: ["info", str(t / "none.npz")], "no .*none.npz"),
    ],
)
def test_bad_input_exits_2_with_one_line(make_nwb, tmp_path, capsys, make_args, message):
    path, _ = make_nwb()
    assert main(make_args(path, tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("python -m neurn_keras.neuro: ")
    assert re.search(message, err)


def test_unknown_cre_line_stops_the_conversion(make_nwb, tmp_path, capsys):
    path, _ = make_nwb(genotype="Gad2-IRES-Cre/wt;Ai93/wt")
    assert main(["from-nwb", str(path), "--output", str(tmp_path / "x.npz")]) == 2
    assert "unknown Cre line 'Gad2-IRES-Cre'" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()
    with pytest.warns(UserWarning, match="unknown Cre line"):
        code = main(
            ["from-nwb", str(path), "--output", str(tmp_path / "x.npz"), "--unknown-cre", "mark"]
        )
    assert code == 0 and set(load_neural(tmp_path / "x.npz").cells["cell_class"]) == {"unknown"}


def test_from_unverified(real_data_dir, tmp_path):
    out = tmp_path / "demo.npz"
    assert main(["from-unverified", "--output", str(out), "--data-dir", str(real_data_dir)]) == 0
    with pytest.warns(UserWarning, match="UNVERIFIED"):
        data = load_neural(out)
    assert data.responses.shape == (212, 118, 1)


class FakeCache:
    """Stands in for BrainObservatoryCache: the three fields the script reads."""

    def __init__(self, experiments):
        self.experiments = experiments
        self.asked = None

    def get_ophys_experiments(self, **kwargs):
        self.asked = kwargs
        return self.experiments


def test_select_experiments_caps_each_group():
    rows = [
        {
            "id": i,
            "targeted_structure": area,
            "cre_line": cre,
            "experiment_container_id": 1,
            "imaging_depth": 175,
        }
        for i, (area, cre) in enumerate(
            [("VISp", "Cux2-CreERT2")] * 3
            + [("VISl", "Cux2-CreERT2")]
            + [("VISp", "Sst-IRES-Cre")] * 2
        )
    ]
    cache = FakeCache(rows[::-1])
    chosen = allensdk_download.select_experiments(cache, ["VISp", "VISl"], ["Cux2-CreERT2"], 2)
    assert cache.asked["stimuli"] == ["natural_scenes"]
    assert cache.asked["targeted_structures"] == ["VISp", "VISl"]
    assert [e["id"] for e in chosen] == [3, 0, 1, 4, 5]


def test_download_script_without_allensdk_exits_2(tmp_path, capsys):
    try:  # allensdk is deliberately not in the project environment
        import allensdk  # noqa: F401
    except ImportError:
        code = allensdk_download.main(
            ["--cache", str(tmp_path), "--output", str(tmp_path / "e.csv")]
        )
        assert code == 2
        assert "separate environment" in capsys.readouterr().err
    else:
        pytest.skip("allensdk is installed here")


def test_download_rows_are_written_atomically(tmp_path):
    rows = [{f: i for f in allensdk_download.FIELDS} for i in range(2)]
    allensdk_download.write_rows(tmp_path / "e.csv", rows)
    with open(tmp_path / "e.csv") as handle:
        assert list(csv.DictReader(handle))[1]["nwb_file"] == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["e.csv"]


def test_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["from-nwb", "--output", "x.npz", "--scene-size", "3by4"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scene-size: expected HxW such as" in err
    assert "got '3by4'" in err
