"""The eight backbones that ``keras.applications`` provides, wrapped (not rewritten).

Minimum sizes are those ``keras.applications`` enforces; preprocessing modes are those
of each family's ``keras.applications.<module>.preprocess_input``.
"""

from __future__ import annotations

import keras

from neurn_keras.applications.family import Family, register_family

_apps = keras.applications


def _keras_family(
    name: str,
    backbone,
    reference: str,
    min_size: int,
    default_size: int,
    preprocessing: str,
    options_doc: str = "",
) -> Family:
    return Family(
        name=name,
        constructor_name=backbone.__name__,
        backbone=backbone,
        source=f"keras.applications.{backbone.__name__}",
        reference=reference,
        min_size=min_size,
        default_size=default_size,
        preprocessing=preprocessing,
        imagenet_weights=True,
        options_doc=options_doc,
    )


VGG19 = register_family(
    _keras_family("vgg19", _apps.VGG19, "Simonyan & Zisserman 2015", 32, 224, "caffe")
)
EfficientNetB0 = register_family(
    _keras_family("efficientnetb0", _apps.EfficientNetB0, "Tan & Le 2019", 32, 224, "pixels")
)
DenseNet121 = register_family(
    _keras_family("densenet121", _apps.DenseNet121, "Huang et al. 2017", 32, 224, "torch")
)
Xception = register_family(_keras_family("xception", _apps.Xception, "Chollet 2017", 71, 299, "tf"))
NASNetMobile = register_family(
    _keras_family("nasnetmobile", _apps.NASNetMobile, "Zoph et al. 2018", 32, 224, "tf")
)
ResNet50V2 = register_family(
    _keras_family("resnet50v2", _apps.ResNet50V2, "He et al. 2016", 32, 224, "tf")
)
InceptionV3 = register_family(
    _keras_family("inceptionv3", _apps.InceptionV3, "Szegedy et al. 2016", 75, 299, "tf")
)
MobileNetV2 = register_family(
    _keras_family(
        "mobilenetv2",
        _apps.MobileNetV2,
        "Sandler et al. 2018",
        32,
        224,
        "tf",
        options_doc="    alpha: width multiplier, passed to keras.applications.MobileNetV2.\n",
    )
)
