"""DigitNet: the small ConvNet of the single-source digit domain-generalization literature.

conv 5×5 64 → ReLU → max-pool 2 → conv 5×5 128 → ReLU → max-pool 2 → dense 1024 → ReLU
→ dense 1024 → ReLU → dense ``classes``.

Choices, following the code of Volpi et al. 2018 ("Generalizing to Unseen Domains via
Adversarial Data Augmentation", NeurIPS; github.com/ricvolpi/generalize-unseen-domains),
whose network Qiao et al. 2020 (M-ADA, CVPR) and the later digit benchmarks reuse:

* ``"valid"`` convolutions (their ``slim.conv2d(..., padding="VALID")``): at 32×32 the
  maps are 28 → 14 → 10 → 5, so the first dense layer reads 5·5·128 = 3200 features.
* ReLU after both convolutions and both hidden dense layers; the last dense layer gives
  logits, here followed by ``classifier_activation``. No dropout, no batch norm.
* 32×32×3 inputs in [0, 1]: MNIST is resized to 32×32 and its gray channel repeated
  three times. That is why the minimum input size is 32 (smaller digits, e.g. USPS at
  16×16, are resized up inside the model) and the preprocessing is "unit".
"""

from __future__ import annotations

import keras
from keras import layers

from neurn_keras import backbones
from neurn_keras.applications.family import Family
from neurn_keras.applications.keras_style import backbone_input, finish_model
from neurn_keras.applications.registry import register_family

DECLARATION = backbones.get("digitnet")
MIN_SIZE = DECLARATION.min_size


def _dense_head(x):
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(1024, activation="relu", name="fc1")(x)
    return layers.Dense(1024, activation="relu", name="fc2")(x)


def digitnet_backbone(
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = 10,
    classifier_activation="softmax",
    name: str = "digitnet",
) -> keras.Model:
    """DigitNet in the ``keras.applications`` calling convention (inputs in [0, 1]).

    ``include_top=False`` returns the (batch, 5, 5, 128) map after the second pooling
    (at 32×32), like VGG's convolutional base.
    """
    inputs = backbone_input(DECLARATION, input_tensor, input_shape, weights)
    x = layers.Conv2D(64, 5, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(128, 5, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    return finish_model(
        name,
        inputs,
        x,
        include_top=include_top,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        weights=weights,
        head=_dense_head,
    )


DigitNet = register_family(Family.declared("digitnet", digitnet_backbone))
