"""python -m neurn_keras.cortex end to end on small inputs, and its answers to bad input."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
from cortex_fixtures import neural_data, small_model, write_run

from neurn_keras.cli.cortex import main, pair_summary
from neurn_keras.cortex import (
    compare_rdms,
    feature_representations,
    layer_rmse,
    neural_maps,
    rdm,
    rmse_analysis,
)
from neurn_keras.cortex.models import labelled_paths, pair_differences
from neurn_keras.neuro import load_scene_rsms, save_neural

SMALL_GROUPINGS = ["all", "cell_class", "area", "cre_line", "area_cre_line"]  # the default
SMALL = [
    "--clusters",
    "2",
    "--per-cluster",
    "4",
    "--umap-epochs",
    "20",
    "--max-points",
    "200",
    "--quiet",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("cortex")
    small_model(True, seed=0).save(root / "small_neurn.keras")
    small_model(False, seed=1).save(root / "small.keras")
    save_neural(root / "cells.npz", neural_data())
    return root


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_end_to_end_with_rsa(inputs, real_data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys,
        "--model",
        inputs / "small_neurn.keras",
        "--model",
        inputs / "small.keras",
        "--neural",
        inputs / "cells.npz",
        "--data-dir",
        real_data_dir,
        "--output",
        out,
        "--n-boot",
        "20",
        *SMALL,
    )
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert names == {
        "settings.json",
        "rmse_layers.csv",
        "rmse_models.csv",
        "fig2a_rmse_neurn_vs_plain.png",
        "fig2b_rmse_area_genotype.png",
        "fig3_kde.png",
        "rsa_layers.csv",
        "rsa_best.csv",
        "rsa_pairs.csv",
        "rsa_by_area.png",
        "rsa_by_layer.png",
        "rsa_pairs.png",
    }
    assert len(stdout.splitlines()) == len(names)
    settings = json.loads((out / "settings.json").read_text())
    assert settings["pairs"] == [["small_neurn", "small"]]
    assert settings["unverified_neural_data"] is False
    assert settings["figure_labels"] == {  # legends show these, not the file names
        "small_neurn": "small + NeuRN (k=3, reflect)",
        "small": "small",
    }

    layers = pd.read_csv(out / "rmse_layers.csv")
    assert set(layers["model"]) == {"small_neurn", "small"}
    assert set(layers["layer"]) == {"conv1", "conv2"}
    assert (layers["n_maps_kept"] <= 8).all()  # 2 clusters x 4 maps per layer
    assert set(layers[layers["grouping"] == "cell_class"]["n_cells"]) == {8}  # 2 x 4 per class
    assert layers["rmse_best"].between(0, 1).all() and layers["kde_iou"].between(0, 1).all()

    rsa = pd.read_csv(out / "rsa_layers.csv")
    assert set(rsa["model"]) == {"pixels", "small_neurn", "small"}
    assert set(rsa[rsa["model"] == "small_neurn"]["layer"]) == {"neurn", "conv1", "conv2"}
    rsms = load_scene_rsms(real_data_dir)
    pixels = rsa[(rsa["model"] == "pixels") & (rsa["group"] == "VISp_layer23")]["spearman"].item()
    assert pixels == pytest.approx(
        compare_rdms(rdm(rsms.scenes.astype(float)), rsms.rdm("VISp_layer23"))
    )
    pairs = pd.read_csv(out / "rsa_pairs.csv")
    assert len(pairs) == 22 and pairs["group"].iloc[-1] == "mean"
    summaries = [line for line in err.splitlines() if line.startswith("pair ")]
    mean = pairs.iloc[-1]
    assert summaries == [
        pair_summary(
            ("small_neurn", "small"),
            SMALL_GROUPINGS,
            pd.read_csv(out / "rmse_models.csv"),
            pairs,
        )
    ]
    assert f"RSA {mean['with']:.3f} vs {mean['without']:.3f}" in summaries[0]
    assert f"difference {mean['difference']:+.3f}" in summaries[0]
    assert "warning: pair" not in err  # same architecture: nothing but NeuRN differs


def test_cells_only_and_the_unverified_label(inputs, tmp_path, capsys):
    data = neural_data()
    from neurn_keras.neuro import NeuralData

    flagged = NeuralData(data.responses, data.scenes, data.cells, note="UNVERIFIED: test rows")
    save_neural(tmp_path / "u.npz", flagged)
    code, _, err = run(
        capsys,
        "--model",
        inputs / "small_neurn.keras",
        "--model",
        inputs / "small.keras",
        "--neural",
        tmp_path / "u.npz",
        "--no-rsa",
        "--output",
        tmp_path / "o",
        *SMALL,
    )
    assert code == 0 and "UNVERIFIED: test rows" in err
    assert not (tmp_path / "o" / "rsa_layers.csv").exists()
    assert pd.read_csv(tmp_path / "o" / "rmse_models.csv")["unverified_neural_data"].all()
    assert json.loads((tmp_path / "o" / "settings.json").read_text())["unverified_neural_data"]


def test_rmse_analysis_without_sampling_matches_direct_computation(models):
    data = neural_data()
    result = rmse_analysis(models, data, sample=False, groupings=("cell_class",), progress=False)
    maps = neural_maps(data)
    kernels = feature_representations(models["small"])["conv2"]
    direct = layer_rmse(maps[12:], kernels)  # the inhibitory cells are rows 12..23
    row = result.layers.query("model == 'small' and layer == 'conv2' and group == 'inhibitory'")
    assert row["rmse_best"].item() == pytest.approx(direct.best)
    assert row["rmse_mean_pairs"].item() == pytest.approx(direct.mean_pairs)
    per_model = result.models.query("model == 'small' and group == 'inhibitory'")
    mean = result.layers.query("model == 'small' and group == 'inhibitory'")["rmse_best"].mean()
    assert per_model["rmse_best"].item() == pytest.approx(mean)


def write_bad_scene_file(path):
    data = neural_data()
    np.savez_compressed(
        path,
        format=np.array("neurn_keras.neural/1"),
        responses=data.responses,
        scenes=data.scenes[:7],
    )
    data.cells.to_csv(path.with_suffix(".csv"), index=False)


def no_conv_model(path):
    inputs = keras.Input((32, 32, 3))
    keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)), name="mlp").save(
        path
    )


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_conv", "has no Conv2D layer"),
        ("scene_mismatch", "20 scenes but there are 7 scene images"),
        ("unknown_cre", "unknown Cre line 'Gad2-IRES-Cre'"),
        ("nothing", "nothing to do"),
        ("missing_model", "no file or directory"),
        ("not_a_model", "cannot load a Keras model"),
        ("bad_pair", "no model labelled 'zzz'"),
    ],
)
def test_bad_input_exits_2_with_one_line(inputs, tmp_path, capsys, case, message):
    model, neural = inputs / "small.keras", inputs / "cells.npz"
    extra = ["--no-rsa"]
    if case == "no_conv":
        model = tmp_path / "mlp.keras"
        no_conv_model(model)
    elif case == "scene_mismatch":
        neural = tmp_path / "bad.npz"
        write_bad_scene_file(neural)
    elif case == "unknown_cre":
        neural = tmp_path / "cre.npz"
        save_neural(neural, neural_data())
        table = pd.read_csv(tmp_path / "cre.csv")
        table.loc[0, "cre_line"] = "Gad2-IRES-Cre"
        table.to_csv(tmp_path / "cre.csv", index=False)
    elif case == "missing_model":
        model = tmp_path / "absent.keras"
    elif case == "not_a_model":
        model = tmp_path / "text.keras"
        model.write_text("not a model")
    elif case == "bad_pair":
        extra += ["--pair", "zzz", "small"]
    args = ["--model", model, "--output", tmp_path / "o", *extra]
    if case != "nothing":
        args += ["--neural", neural]
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert message in err
    assert not (tmp_path / "o").exists()  # nothing written before the inputs are checked


def test_help_reads_like_a_man_page(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for word in ("--model", "--neural", "--n-boot", "outputs in --output DIR", "exit status"):
        assert word in text


def test_rsa_needs_a_layer_to_compare(real_data_dir, tmp_path, capsys):
    no_conv_model(tmp_path / "mlp.keras")
    args = [
        "--model",
        tmp_path / "mlp.keras",
        "--data-dir",
        real_data_dir,
        "--output",
        tmp_path / "o",
    ]
    code, _, err = run(capsys, *args)
    assert code == 2 and "--model mlp: no NeuRN or convolution layer" in err


def test_run_directories_and_duplicate_labels(inputs, tmp_path):
    from neurn_keras.cortex import load_models

    run_dir = tmp_path / "small"
    run_dir.mkdir()
    (run_dir / "model.keras").write_bytes((inputs / "small.keras").read_bytes())
    models = load_models([run_dir, inputs / "small.keras"])
    assert list(models) == ["small", "small-2"]
    np.testing.assert_array_equal(
        models["small"].get_layer("conv1").kernel.numpy(),
        models["small-2"].get_layer("conv1").kernel.numpy(),
    )
    with pytest.raises(FileNotFoundError, match=r"model\.keras"):
        load_models([tmp_path])


def test_argument_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "m.keras", "--output", "o", "--map-size", "big"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--map-size: expected HxW such as 31x31, got 'big'" in err


def test_summary_line_gives_each_models_scores_from_the_table():
    rmse_models = pd.DataFrame(
        {
            "model": ["a", "a", "b", "b"],
            "grouping": ["all", "area", "all", "area"],
            "group": ["all", "VISp", "all", "VISp"],
            "rmse_best": [0.20, 0.90, 0.25, 0.90],
            "kde_iou": [0.70, 0.10, 0.60, 0.10],
        }
    )
    line = pair_summary(("a", "b"), ["all", "area"], rmse_models)
    assert line == (
        "pair a vs b (NeuRN vs plain): RMSE 0.200 vs 0.250 (all cells; difference -0.050); "
        "KDE-IoU 0.700 vs 0.600 (all cells; difference +0.100)"
    )
    assert "mean over area groups" in pair_summary(("a", "b"), ["area"], rmse_models)


def test_model_files_differing_in_architecture_are_named(tmp_path):
    models = {
        "with": small_model(True, widths=(8, 6)),
        "same": small_model(False, seed=1, widths=(8, 6)),
        "wider": small_model(False, widths=(8, 12)),
    }
    paths = {label: tmp_path / f"{label}.keras" for label in models}
    assert pair_differences(("with", "same"), models, paths) == []
    differences = pair_differences(("with", "wider"), models, paths)
    assert differences[0] == (
        "layers with weights 3 vs 3, the first that differs (#2): "
        "Conv2D 3x3x8x6, 6 vs Conv2D 3x3x8x12, 12"
    )
    wider = models["wider"].count_params()
    assert differences[1] == f"parameters {models['with'].count_params():,} vs {wider:,}"
    assert len(differences) == 2


def test_run_directories_are_compared_by_their_records(tmp_path):
    plain = dict(seed=1, epochs_run=5, padding="zeros")
    runs = [
        write_run(tmp_path / "neurn", small_model(True), True, seed=0, epochs_run=3),
        write_run(tmp_path / "plain", small_model(False), False, **plain),
    ]
    paths = labelled_paths(runs)
    models = dict.fromkeys(paths)  # records suffice: the models are not read
    assert pair_differences(("neurn", "plain"), models, paths) == [
        "seed 0 vs 1",
        "epochs_run 3 vs 5",
        "steps_run 30 vs 50",
    ]  # input_norm and padding are NeuRN's own settings: not reported


def test_the_command_line_warns_and_shows_no_bars_off_a_terminal(inputs, tmp_path, capsys):
    small_model(False, widths=(8, 12)).save(tmp_path / "wider.keras")
    args = ["--model", inputs / "small_neurn.keras", "--model", tmp_path / "wider.keras"]
    args += ["--pair", "small_neurn", "wider", "--neural", inputs / "cells.npz", "--no-rsa"]
    quiet_flag = SMALL.index("--quiet")
    code, _, err = run(capsys, *args, "--output", tmp_path / "o", *SMALL[:quiet_flag])
    assert code == 0, err
    lines = err.splitlines()
    warnings = [line for line in lines if line.startswith("warning: pair small_neurn vs wider")]
    assert len(warnings) == 2 and "differs beyond NeuRN: parameters" in warnings[1]
    assert lines.index(warnings[-1]) < lines.index(next(x for x in lines if x.startswith("pair ")))
    assert "RMSE/KDE-IoU" not in err  # no progress bar: stderr is not a terminal here
