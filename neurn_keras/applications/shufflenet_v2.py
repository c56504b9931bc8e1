"""ShuffleNet V2 1.0× (Ma, Zhang, Zheng, Sun 2018, "ShuffleNet V2: Practical Guidelines
for Efficient CNN Architecture Design"), written in Keras; ``keras.applications`` has none.

Table 5 of the paper, 1.0×: conv1 3×3/2 24 → max-pool 3×3/2 → stages of 4, 8 and 4
units with 116, 232 and 464 channels (the first unit of each stage downsamples) →
conv5 1×1 1024 → global average pooling → FC. Units follow Fig. 3 (c) and (d):

* basic unit: split the channels in half; one half passes unchanged, the other goes
  1×1 conv-BN-ReLU → 3×3 depthwise conv-BN → 1×1 conv-BN-ReLU; concatenate; shuffle.
* downsampling unit: no split; branch 1 is 3×3 depthwise conv/2-BN → 1×1 conv-BN-ReLU,
  branch 2 is 1×1 conv-BN-ReLU → 3×3 depthwise conv/2-BN → 1×1 conv-BN-ReLU; each
  branch gives half the output channels; concatenate; shuffle.

Convolutions have no bias (BatchNorm follows). Stride-2 layers pad one pixel on every
side, as the reference PyTorch code (and torchvision's ``shufflenet_v2_x1_0``) does, so
its trainable parameters number exactly the same: 2,278,604 at 1000 classes.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from neurn_keras import backbones
from neurn_keras.applications.keras_style import backbone_input, finish_model
from neurn_keras.applications.registry import register_family
from neurn_keras.errors import InvalidValueError

STAGES = ((116, 4), (232, 8), (464, 4))
STEM_FILTERS = 24
LAST_FILTERS = 1024
DECLARATION = backbones.get("shufflenetv2")
MIN_SIZE = DECLARATION.min_size


@keras.saving.register_keras_serializable(package="neurn_keras")
class ChannelSplit(keras.layers.Layer):
    """Splits the channels of a tensor into two equal halves, returned as a list."""

    def build(self, input_shape):
        if input_shape[-1] is None or input_shape[-1] % 2:
            raise InvalidValueError(
                f"ChannelSplit needs an even, known channel count, got shape {input_shape}"
            )
        self.built = True

    def call(self, inputs):
        return ops.split(inputs, 2, axis=-1)

    def compute_output_shape(self, input_shape):
        half = (*tuple(input_shape)[:-1], input_shape[-1] // 2)
        return [half, half]


@keras.saving.register_keras_serializable(package="neurn_keras")
class ChannelShuffle(keras.layers.Layer):
    """Interleaves the channels of ``groups`` groups (Zhang et al. 2018, ShuffleNet).

    Channel ``g * (C / groups) + i`` moves to position ``i * groups + g``.

    Args:
        groups: number of groups; must divide the channel count.
    """

    def __init__(self, groups: int = 2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(groups, int) or groups < 1:
            raise InvalidValueError(f"ChannelShuffle: groups must be an int >= 1, got {groups!r}")
        self.groups = groups

    def build(self, input_shape):
        if input_shape[-1] is None or input_shape[-1] % self.groups:
            raise InvalidValueError(
                f"ChannelShuffle: groups={self.groups} must divide the channel count, "
                f"got shape {input_shape}"
            )
        self.built = True

    def call(self, inputs):
        shape = ops.shape(inputs)
        channels = inputs.shape[-1]
        grouped = ops.reshape(
            inputs, (-1, shape[1], shape[2], self.groups, channels // self.groups)
        )
        grouped = ops.transpose(grouped, (0, 1, 2, 4, 3))
        return ops.reshape(grouped, (-1, shape[1], shape[2], channels))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["groups"] = self.groups
        return config


def _conv_bn(x, filters: int, name: str, relu: bool = True):
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _depthwise_bn(x, strides: int, name: str):
    if strides == 2:
        x = layers.ZeroPadding2D(1, name=f"{name}_pad")(x)
    padding = "valid" if strides == 2 else "same"
    x = layers.DepthwiseConv2D(
        3, strides=strides, padding=padding, use_bias=False, name=f"{name}_dwconv"
    )(x)
    return layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=f"{name}_dwbn")(x)


def _unit(x, filters: int, downsample: bool, name: str):
    branch = filters // 2
    if downsample:
        left = _depthwise_bn(x, 2, f"{name}_branch1_1")
        left = _conv_bn(left, branch, f"{name}_branch1_2")
        right = x
    else:
        left, right = ChannelSplit(name=f"{name}_split")(x)
    right = _conv_bn(right, branch, f"{name}_branch2_1")
    right = _depthwise_bn(right, 2 if downsample else 1, f"{name}_branch2_2")
    right = _conv_bn(right, branch, f"{name}_branch2_3")
    x = layers.Concatenate(name=f"{name}_concat")([left, right])
    return ChannelShuffle(2, name=f"{name}_shuffle")(x)


def shufflenet_v2_backbone(
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "shufflenet_v2",
) -> keras.Model:
    """ShuffleNet V2 1.0× in the ``keras.applications`` calling convention.

    Expects inputs scaled like torchvision's ("torch" mode: [0, 1], ImageNet mean/std).
    """
    inputs = backbone_input(DECLARATION, input_tensor, input_shape, weights)
    x = layers.ZeroPadding2D(1, name="conv1_pad")(inputs)
    x = layers.Conv2D(STEM_FILTERS, 3, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name="conv1_bn")(x)
    x = layers.ReLU(name="conv1_relu")(x)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)  # zeros after ReLU pad like -inf
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, repeats) in enumerate(STAGES, start=2):
        for unit in range(1, repeats + 1):
            x = _unit(x, filters, downsample=unit == 1, name=f"stage{stage}_unit{unit}")
    x = _conv_bn(x, LAST_FILTERS, "conv5")
    return finish_model(
        name,
        inputs,
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
    )


ShuffleNetV2 = register_family("shufflenetv2", shufflenet_v2_backbone)
