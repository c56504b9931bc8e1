"""RunConfig: validation messages, the identity hash, and the command line round trip."""

from __future__ import annotations

import dataclasses

import pytest

from neurn_keras.train import build_parser, config_from_args
from neurn_keras.training import RunConfig, UsageError


def test_cell_hash_is_stable_and_ignores_unused_neurn_settings():
    plain = RunConfig(neurn=False)
    assert plain.cell_hash() == RunConfig(neurn=False, kernel_size=7, padding="zeros").cell_hash()
    assert RunConfig().cell_hash() != RunConfig(kernel_size=7).cell_hash()
    assert RunConfig().cell_hash() != RunConfig(seed=1).cell_hash()
    assert RunConfig(seed=3).cell_name().startswith("digitnet-neurn-k5-reflect-mnist-seed3-")
    assert plain.cell_name().startswith("digitnet-plain-mnist-seed0-")


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
        RunConfig(backbone="mobilenetv2", neurn=False, source="usps", seed=4, epochs=100),
        RunConfig(targets=("usps", "syn_render"), train_limit=None, test_limit=50, lr=3e-4),
        RunConfig(kernel_size=7, padding="zeros", input_shape=(28, 28, 1), val_split=0.2),
        RunConfig(source="cifar27", targets=()),
    ],
)
def test_command_line_round_trip(config):
    args = build_parser().parse_args(config.to_argv())
    assert config_from_args(args) == config


def test_defaults_are_the_documented_protocol():
    config = RunConfig()
    assert (config.backbone, config.neurn, config.source) == ("digitnet", True, "mnist")
    assert config.train_limit == 10000 and config.batch_size == 256 and config.lr == 0.001
    assert config.patience == 5 and config.val_split == 0.1
    assert config.resolved_targets() == ("usps", "svhn", "mnist_m", "syn_render")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backbone": "resnet9000"}, "unknown backbone 'resnet9000'"),
        ({"source": "kmnist"}, "unknown source domain 'kmnist'"),
        ({"targets": ("usps", "fashion")}, "unknown target domain 'fashion'"),
        ({"targets": ("usps", "mnist")}, "also listed in --targets"),
        ({"targets": ("usps", "usps")}, "lists a domain twice"),
        ({"source": "cifar27", "targets": ("usps",)}, "--init-from the cifar27 model"),
        ({"kernel_size": 4}, "--kernel-size 4 must be an odd integer"),
        ({"padding": "wrap"}, "--padding 'wrap'"),
        ({"input_shape": (32, 32, 2)}, "expected HEIGHT WIDTH 1|3"),
        ({"epochs": 0}, "--epochs must be >= 1"),
        ({"val_split": 1.0}, "--val-split 1.0 must be in (0, 1)"),
        ({"weights": "/no/such/file.h5"}, "neither 'none', 'imagenet' nor an existing file"),
        ({"init_from": "/no/such/model.keras"}, "--init-from '/no/such/model.keras': no such"),
    ],
)
def test_validate_names_the_problem(changes, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        dataclasses.replace(RunConfig(), **changes).validate()
