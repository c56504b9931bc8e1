"""The eight backbones that ``keras.applications`` provides, wrapped (not rewritten).

Their declarations (``neurn_keras.backbones``) name the ``keras.applications``
constructor, Keras's minimum input size and the mode of the family's
``keras.applications.<module>.preprocess_input``; here each is joined to that constructor.
"""

from __future__ import annotations

import keras

from neurn_keras import backbones
from neurn_keras.applications.registry import register_family
from neurn_keras.errors import InvalidValueError


def _wrap(name: str, options_doc: str = ""):
    declaration = backbones.get(name)
    if not declaration.from_keras:
        raise InvalidValueError(
            f"{name}: {declaration.code} is not a keras.applications constructor"
        )
    function = getattr(keras.applications, declaration.code.removeprefix("keras.applications."))
    return register_family(name, function, options_doc)


VGG19 = _wrap("vgg19")
EfficientNetB0 = _wrap("efficientnetb0")
DenseNet121 = _wrap("densenet121")
Xception = _wrap("xception")
NASNetMobile = _wrap("nasnetmobile")
ResNet50V2 = _wrap("resnet50v2")
InceptionV3 = _wrap("inceptionv3")
MobileNetV2 = _wrap(
    "mobilenetv2",
    options_doc="    alpha: width multiplier, passed to keras.applications.MobileNetV2.\n",
)
