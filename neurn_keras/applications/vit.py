"""A Vision Transformer sized for small images, written in Keras.

ViT (Dosovitskiy et al. 2021) as ViT-Lite-7/4 (Hassani et al. 2021, "Escaping the Big
Data Paradigm with Compact Transformers"), the variant they train from scratch on
32×32 CIFAR: patch 4 (an 8×8 grid of 64 tokens at 32×32), 7 pre-norm encoder blocks,
embedding 256, 4 heads, MLP 512 with GELU, learned position embeddings. One change: the
classifier reads the global average of the tokens instead of a class token (Beyer, Zhai,
Kolesnikov 2022, "Better plain ViT baselines", find it as good); the tokens are laid
back on their grid, so ``include_top=False`` returns a (batch, 8, 8, 256) feature map
like the convolutional backbones, and ``pooling`` works the same way.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from neurn_keras import backbones
from neurn_keras.applications.keras_style import backbone_input, finish_model
from neurn_keras.applications.registry import register_family
from neurn_keras.errors import InvalidValueError

DECLARATION = backbones.get("vit")
MIN_SIZE = DECLARATION.min_size


@keras.saving.register_keras_serializable(package="neurn_keras")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding to every position of a (batch, tokens, dim) sequence.

    Args:
        stddev: standard deviation of the truncated-normal initialization.
    """

    def __init__(self, stddev: float = 0.02, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev

    def build(self, input_shape):
        if len(input_shape) != 3 or None in tuple(input_shape)[1:]:
            raise InvalidValueError(
                f"PositionEmbedding expects (batch, tokens, dim) with known sizes, "
                f"got {tuple(input_shape)}"
            )
        self.embedding = self.add_weight(
            shape=tuple(input_shape)[1:],
            initializer=keras.initializers.TruncatedNormal(stddev=self.stddev),
            name="embedding",
        )
        self.built = True

    def call(self, inputs):
        return inputs + ops.cast(self.embedding, inputs.dtype)[None]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["stddev"] = self.stddev
        return config


def _encoder_block(x, hidden_dim: int, num_heads: int, mlp_dim: int, dropout: float, name: str):
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(x)
    y = layers.MultiHeadAttention(
        num_heads, hidden_dim // num_heads, dropout=dropout, name=f"{name}_attention"
    )(y, y)
    y = layers.Dropout(dropout, name=f"{name}_dropout1")(y)
    x = layers.Add(name=f"{name}_add1")([x, y])
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(x)
    y = layers.Dense(mlp_dim, activation="gelu", name=f"{name}_mlp1")(y)
    y = layers.Dense(hidden_dim, name=f"{name}_mlp2")(y)
    y = layers.Dropout(dropout, name=f"{name}_dropout2")(y)
    return layers.Add(name=f"{name}_add2")([x, y])


def vit_backbone(
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 1000,
    classifier_activation="softmax",
    name: str = "vit",
    patch_size: int = 4,
    hidden_dim: int = 256,
    depth: int = 7,
    num_heads: int = 4,
    mlp_dim: int = 512,
    dropout_rate: float = 0.0,
) -> keras.Model:
    """ViT-Lite-7/4 in the ``keras.applications`` calling convention (inputs in [-1, 1])."""
    if not isinstance(patch_size, int) or not 1 <= patch_size <= MIN_SIZE:
        raise InvalidValueError(
            f"vit: patch_size must be an int in [1, {MIN_SIZE}], got {patch_size!r}"
        )
    if hidden_dim % num_heads:
        raise InvalidValueError(
            f"vit: hidden_dim={hidden_dim} must be divisible by num_heads={num_heads}"
        )
    inputs = backbone_input(DECLARATION, input_tensor, input_shape, weights)
    grid = (inputs.shape[1] // patch_size, inputs.shape[2] // patch_size)
    x = layers.Conv2D(hidden_dim, patch_size, strides=patch_size, name="patch_embedding")(inputs)
    x = layers.Reshape((grid[0] * grid[1], hidden_dim), name="tokens")(x)
    x = PositionEmbedding(name="position_embedding")(x)
    x = layers.Dropout(dropout_rate, name="embedding_dropout")(x)
    for block in range(1, depth + 1):
        x = _encoder_block(x, hidden_dim, num_heads, mlp_dim, dropout_rate, f"block{block}")
    x = layers.LayerNormalization(epsilon=1e-6, name="encoder_norm")(x)
    x = layers.Reshape((*grid, hidden_dim), name="token_grid")(x)
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


ViT = register_family(
    "vit",
    vit_backbone,
    options_doc=(
        "    patch_size: side of the square patches (4).\n"
        "    hidden_dim: token embedding size (256).\n"
        "    depth: number of encoder blocks (7).\n"
        "    num_heads: attention heads per block (4).\n"
        "    mlp_dim: hidden size of each block's MLP (512).\n"
        "    dropout_rate: dropout after embedding, attention and MLP (0.0).\n"
    ),
)
