"""RunConfig: validation messages, the identity hash, and the command line round trip."""

from __future__ import annotations

import dataclasses

import pytest

from neurn_keras.cli.train import build_parser, config_from_args
from neurn_keras.errors import ArgumentError
from neurn_keras.layers import NeuRN
from neurn_keras.training import PROTOCOLS, RunConfig


def test_cell_hash_is_stable_and_ignores_unused_neurn_settings():
    plain = RunConfig(input_norm="none")
    same = RunConfig(input_norm="none", kernel_size=7, padding="zeros")
    assert plain.cell_hash() == same.cell_hash()
    assert RunConfig().cell_hash() != RunConfig(kernel_size=7).cell_hash()
    assert RunConfig().cell_hash() != RunConfig(seed=1).cell_hash()
    assert RunConfig(seed=3).cell_name().startswith("digitnet-neurn-k3-reflect-mnist-seed3-")
    assert plain.cell_name().startswith("digitnet-plain-mnist-seed0-")
    before = RunConfig(augment="randconv", kernel_size=3)
    assert before.method().tag() == "randconv+neurn-k3-reflect"
    after = dataclasses.replace(before, augment_after_norm=True)
    assert after.method().tag() == "neurn-k3-reflect+randconv"


def test_fields_added_later_keep_the_hashes_of_earlier_runs():
    """Hashes computed before ``optimizer``, ``momentum``, ``lr_schedule`` and NeuRN's
    variants existed (k=5 was the default then)."""
    assert RunConfig(kernel_size=5).cell_hash() == "d9f7b92ea7"
    earlier = RunConfig.for_protocol("digits10k", input_norm="none", augment="prorandconv", seed=1)
    assert earlier.cell_hash() == "bdb9171c87"
    neurn = dataclasses.replace(earlier, input_norm="neurn")
    assert dataclasses.replace(neurn, augment_after_norm=True).cell_hash() != neurn.cell_hash()
    for change in ({"optimizer": "sgd"}, {"lr_schedule": "cosine"}):
        assert dataclasses.replace(earlier, **change).cell_hash() != earlier.cell_hash()
    sgd = dataclasses.replace(earlier, optimizer="sgd")
    assert dataclasses.replace(sgd, momentum=0.9).cell_hash() != sgd.cell_hash()


def test_neurn_variants_name_and_identify_their_cells():
    """The ablations' variants: in the cell name and hash where set, nowhere at the paper's
    defaults (earlier cells keep their names) or without NeuRN."""
    base = RunConfig(kernel_size=3)
    assert RunConfig(kernel_size=3, normalize_over="image", color="rgb") == base
    variants = {
        "perchannel": {"normalize_over": "channel"},
        "luminance": {"color": "luminance"},
        "inner": {"inner_neurn": True},
    }
    hashes = {base.cell_hash()}
    for tag, change in variants.items():
        config = dataclasses.replace(base, **change)
        assert config.cell_name().startswith(f"digitnet-neurn-k3-reflect-{tag}-mnist-seed0-")
        hashes.add(config.cell_hash())
    assert len(hashes) == 4
    plain = RunConfig(input_norm="none")
    assert dataclasses.replace(plain, color="luminance").cell_hash() == plain.cell_hash()
    label = dataclasses.replace(base, **variants["perchannel"]).method().label()
    assert label == "NeuRN (k=3, reflect, max per channel)"


def test_init_from_is_identified_by_content(tmp_path):
    first, second = tmp_path / "a.keras", tmp_path / "b.keras"
    first.write_bytes(b"same")
    second.write_bytes(b"same")
    assert RunConfig(init_from=str(first)).identity()["init_from"].startswith("sha256:")
    assert (
        RunConfig(init_from=str(first)).cell_hash() == RunConfig(init_from=str(second)).cell_hash()
    )


@pytest.mark.parametrize(
    "config",
    [
        RunConfig(),
        RunConfig(backbone="mobilenetv2", input_norm="none", source="usps", seed=4, epochs=100),
        RunConfig(targets=("usps", "syn_render"), train_limit=None, test_limit=50, lr=3e-4),
        RunConfig(kernel_size=7, padding="zeros", input_shape=(28, 28, 1), val_split=0.2),
        RunConfig(source="cifar27", targets=()),
        RunConfig(input_norm="lcn", augment="randconv", consistency=10.0, precise_bn=0),
        RunConfig(augment="prorandconv", steps=300, eval_every=100, patience=None),
        RunConfig.for_protocol("digits10k", augment="randconv", seed=2),
        RunConfig.for_protocol("digits10k", steps=200, eval_every=100),
        RunConfig.for_protocol("prorandconv-digits", augment="prorandconv", epochs=2),
        RunConfig(optimizer="sgd", momentum=0.5, lr_schedule="cosine"),
        RunConfig(augment="randconv", augment_after_norm=True, kernel_size=3),
        RunConfig(kernel_size=3, normalize_over="channel", color="luminance", inner_neurn=True),
    ],
)
def test_command_line_round_trip(config):
    args = build_parser().parse_args(config.to_argv())
    assert config_from_args(args) == config


def test_defaults_are_the_documented_protocol():
    config = RunConfig()
    assert (config.backbone, config.neurn, config.source) == ("digitnet", True, "mnist")
    assert config.train_limit == 10000 and config.batch_size == 256 and config.lr == 0.001
    assert config.patience == 5 and config.val_split == 0.1 and config.precise_bn == 8192
    assert config.resolved_targets() == ("usps", "svhn", "mnist_m", "syn_render")
    assert config.kernel_size == NeuRN().kernel_size == 3  # the ablations' best (0.2.0)


def test_digits10k_protocol_is_the_literatures_schedule():
    config = RunConfig.for_protocol("digits10k")
    assert (config.backbone, config.source, config.train_limit) == ("digitnet", "mnist", 10000)
    assert (config.batch_size, config.lr, config.steps, config.patience) == (32, 1e-4, 10000, None)
    assert config.protocol == "digits10k" and config.protocol_deviations() == {}
    short = RunConfig.for_protocol("digits10k", steps=300, eval_every=100)
    assert short.protocol_deviations() == {"steps": [10000, 300], "eval_every": [250, 100]}
    assert set(PROTOCOLS) == {"digits10k", "prorandconv-digits"}


def test_prorandconv_protocol_is_its_reported_schedule_on_the_same_data():
    config = RunConfig.for_protocol("prorandconv-digits")
    assert (config.optimizer, config.momentum, config.lr, config.lr_schedule) == (
        "sgd", 0.9, 0.01, "cosine"
    )  # fmt: skip
    assert (config.batch_size, config.epochs, config.steps, config.patience) == (
        64,
        500,
        None,
        None,
    )
    digits10k = RunConfig.for_protocol("digits10k")
    for name in ("backbone", "source", "input_shape", "train_limit", "val_split"):
        assert getattr(config, name) == getattr(digits10k, name)
    assert config.protocol_deviations() == {}


def test_protocol_flags_fill_only_what_was_not_given():
    args = build_parser().parse_args(["--protocol", "digits10k", "--lr", "0.001"])
    config = config_from_args(args)
    assert config.lr == 0.001 and config.batch_size == 32 and config.steps == 10000
    assert config.protocol_deviations() == {"lr": [1e-4, 0.001]}


def test_neurn_flag_is_shorthand_for_input_norm():
    parse = build_parser().parse_args
    assert config_from_args(parse(["--no-neurn"])).input_norm == "none"
    assert config_from_args(parse(["--input-norm", "lcn"])).input_norm == "lcn"
    with pytest.raises(SystemExit):
        parse(["--neurn", "--input-norm", "lcn"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backbone": "resnet9000"}, "backbone='resnet9000': unknown backbone"),
        ({"source": "kmnist"}, "source='kmnist': unknown source domain"),
        ({"targets": ("usps", "fashion")}, "targets='fashion': unknown target domain"),
        ({"targets": ("usps", "mnist")}, "is also listed in targets"),
        ({"targets": ("usps", "usps")}, "lists a domain twice"),
        ({"source": "cifar27", "targets": ("usps",)}, "with init_from the cifar27 model"),
        ({"kernel_size": 4}, "kernel_size=4: must be an odd integer"),
        ({"padding": "wrap"}, "padding='wrap': must be one of reflect, zeros"),
        ({"input_norm": "bn"}, "input_norm='bn': must be one of none, neurn, lcn, standardize"),
        ({"augment": "mixup"}, "augment='mixup': must be one of none, randconv, prorandconv"),
        ({"consistency": 10.0}, "consistency=10.0: the consistency loss compares augmented"),
        ({"optimizer": "rmsprop"}, "optimizer='rmsprop': must be one of adam, sgd"),
        ({"lr_schedule": "step"}, "lr_schedule='step': must be one of constant, cosine"),
        ({"optimizer": "sgd", "momentum": 1.0}, "momentum=1.0: must be in "),
        ({"momentum": 0.9}, "momentum=0.9: applies to optimizer sgd"),
        ({"augment_after_norm": True}, "augment_after_norm=True: puts the augmentation after"),
        ({"normalize_over": "pixel"}, "normalize_over='pixel': must be one of image, channel"),
        ({"color": "hsv"}, "color='hsv': must be one of rgb, luminance"),
        ({"inner_neurn": True, "backbone": "vgg19"}, "inner_neurn=True: repeats NeuRN inside"),
        ({"inner_neurn": True, "input_norm": "none"}, "set input_norm neurn and backbone"),
        (
            {"augment_after_norm": True, "augment": "randconv", "input_norm": "lcn"},
            "set augment and input_norm neurn",
        ),
        ({"input_shape": (32, 32, 2)}, "expected HEIGHT WIDTH 1|3"),
        ({"epochs": 0}, "epochs=0: must be >= 1"),
        ({"steps": 300}, "steps and eval_every go together"),
        ({"steps": 300, "eval_every": 200}, "eval_every=200: must divide steps (300)"),
        ({"precise_bn": -1}, "precise_bn=-1: must be >= 0"),
        ({"val_split": 1.0}, "val_split=1.0: must be in (0, 1)"),
        ({"weights": "/no/such/file.h5"}, "neither none, imagenet nor an existing file"),
        ({"init_from": "/no/such/model.keras"}, "init_from='/no/such/model.keras': no such"),
    ],
)
def test_validate_names_the_argument(changes, message):
    with pytest.raises(ArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dataclasses.replace(RunConfig(), **changes).validate()


def test_the_command_line_shows_the_same_error_with_flags():
    error = ArgumentError("kernel_size", 4, "must be odd; or pass `input_norm` none")
    assert str(error) == "kernel_size=4: must be odd; or pass input_norm none"
    from neurn_keras.cli import flag

    assert error.render(flag) == "--kernel-size 4: must be odd; or pass --input-norm none"
