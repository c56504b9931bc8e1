"""ShuffleNet V2 1.0×: the size of the reference model and its two custom layers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from neurn_keras.applications import ChannelShuffle, ChannelSplit
from neurn_keras.applications.shufflenet_v2 import shufflenet_v2_backbone

# torchvision.models.shufflenet_v2_x1_0: "num_params": 2278604 (its trainable parameters;
# BatchNorm running statistics are buffers there, non-trainable weights here).
TORCHVISION_PARAMETERS = 2_278_604


def test_imagenet_sized_model_has_the_reference_parameter_count():
    model = shufflenet_v2_backbone(input_shape=(224, 224, 3), classes=1000)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == TORCHVISION_PARAMETERS
    assert tuple(model.get_layer("conv5_relu").output.shape) == (None, 7, 7, 1024)
    units = [layer.name for layer in model.layers if layer.name.endswith("_shuffle")]
    assert len(units) == 4 + 8 + 4


def test_stage_outputs_halve_the_resolution_at_32():
    model = shufflenet_v2_backbone(input_shape=(32, 32, 3), include_top=False)
    sizes = {
        name: tuple(model.get_layer(name).output.shape[1:])
        for name in ("pool1_pool", "stage2_unit4_shuffle", "stage3_unit8_shuffle")
    }
    assert sizes == {
        "pool1_pool": (8, 8, 24),
        "stage2_unit4_shuffle": (4, 4, 116),
        "stage3_unit8_shuffle": (2, 2, 232),
    }
    assert tuple(model.output.shape[1:]) == (1, 1, 1024)


def test_channel_shuffle_interleaves_the_groups():
    x = np.arange(6, dtype=np.float32).reshape(1, 1, 1, 6)
    out = keras.ops.convert_to_numpy(ChannelShuffle(groups=2)(x))
    np.testing.assert_array_equal(out.ravel(), [0, 3, 1, 4, 2, 5])
    out3 = keras.ops.convert_to_numpy(ChannelShuffle(groups=3)(x))
    np.testing.assert_array_equal(out3.ravel(), [0, 2, 4, 1, 3, 5])
    assert ChannelShuffle.from_config(ChannelShuffle(groups=3).get_config()).groups == 3


def test_channel_shuffle_and_split_reject_odd_channel_counts():
    with pytest.raises(ValueError, match="must divide the channel count"):
        ChannelShuffle(groups=2)(np.zeros((1, 2, 2, 3), np.float32))
    with pytest.raises(ValueError, match="groups must be an int"):
        ChannelShuffle(groups=0)
    with pytest.raises(ValueError, match="even, known channel count"):
        ChannelSplit()(np.zeros((1, 2, 2, 5), np.float32))


def test_channel_split_returns_the_two_halves():
    x = np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4)
    first, second = ChannelSplit()(x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(first), x[..., :2])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(second), x[..., 2:])
