"""A NeuRN model outside Keras: SavedModel, float TFLite and int8 TFLite agree with Keras.

The model is DigitNet with NeuRN, logits out, trained for a few seconds to tell in which
quadrant of a synthetic image a bright disc lies (no data files needed): an untrained
model gives almost every image the same class, which would make the int8 check of the
predicted class empty.

Tolerances, and why:
- SavedModel: 1e-5; the same TensorFlow kernels run the same graph.
- float TFLite: 1e-4 of the logits' spread; TFLite's kernels (XNNPACK) sum in another
  order, and ``to_tflite`` traces NeuRN by pooling instead of the compiled moments
  (1e-6 measured).
- int8 TFLite: every quantized layer rounds its activations to 256 levels, so the logits
  move by a fraction of a percent of their spread (0.3 % measured); we allow 5 %, and
  require Keras's class for at least 95 % of the images (100 % measured).
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from neurn_keras import applications

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="SavedModel and TFLite export need the TensorFlow backend, not "
    + keras.backend.backend(),
)

SHAPE = (32, 32, 3)
INTERPRETER_DEPRECATION = r"\s*Warning: tf\.lite\.Interpreter is deprecated"


def disc_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw 0..255 pixels, a bright disc on a darker, noisy background, and its quadrant."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    images, quadrants = [], []
    for _ in range(count):
        row, col, radius = rng.uniform(6, 26), rng.uniform(6, 26), rng.uniform(4, 9)
        disc = (rows - row) ** 2 + (cols - col) ** 2 < radius**2
        gray = np.where(disc, rng.uniform(150, 255), rng.uniform(0, 100))
        colour = gray[..., None] * rng.uniform(0.5, 1.0, 3) + rng.normal(0, 20, SHAPE)
        images.append(np.clip(colour, 0, 255))
        quadrants.append(2 * (row > SHAPE[0] / 2) + (col > SHAPE[1] / 2))
    return np.asarray(images, dtype="float32"), np.asarray(quadrants)


@pytest.fixture(scope="module")
def model() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = applications.build_model(  # k=5: the window docs/deploying.md's figures are for
        "digitnet",
        neurn={"kernel_size": 5},
        input_shape=SHAPE,
        classes=4,
        classifier_activation=None,
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(*disc_images(400, seed=0), epochs=3, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return disc_images(100, seed=1)[0]


@pytest.fixture(scope="module")
def logits(model, images) -> np.ndarray:
    return model.predict(images, verbose=0)


def run_tflite(content: bytes, images: np.ndarray) -> np.ndarray:
    """The TFLite model's output for each image, one at a time."""
    import tensorflow as tf

    with warnings.catch_warnings():  # LiteRT's ai_edge_litert replaces it; not installed
        warnings.filterwarnings("ignore", INTERPRETER_DEPRECATION, UserWarning)
        interpreter = tf.lite.Interpreter(model_content=content)
    interpreter.allocate_tensors()
    (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()
    outputs = []
    for image in images:
        interpreter.set_tensor(source["index"], image[None])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(target["index"])[0])
    return np.asarray(outputs)


def tensor_types(content: bytes) -> dict[str, np.dtype]:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", INTERPRETER_DEPRECATION, UserWarning)
        interpreter = tf.lite.Interpreter(model_content=content)
    return {tensor["name"]: tensor["dtype"] for tensor in interpreter.get_tensor_details()}


def test_saved_model_serves_what_keras_predicts(model, images, logits, tmp_path):
    import tensorflow as tf

    model.export(tmp_path / "saved_model", verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "saved_model"))  # keep it: it owns the weights
    served = reloaded.serve(images).numpy()
    np.testing.assert_allclose(served, logits, atol=1e-5)


def test_keras_litert_export_gives_a_float_tflite_model(model, images, logits, tmp_path):
    path = tmp_path / "digitnet_neurn.tflite"
    model.export(str(path), format="litert", verbose=False)
    spread = np.ptp(logits)
    np.testing.assert_allclose(run_tflite(path.read_bytes(), images), logits, atol=1e-4 * spread)


def test_to_tflite_float(model, images, logits):
    from neurn_keras.deploy import to_tflite

    spread = np.ptp(logits)
    np.testing.assert_allclose(run_tflite(to_tflite(model), images), logits, atol=1e-4 * spread)


def test_to_tflite_int8_quantizes_all_but_neurn(model, images, logits):
    from neurn_keras.deploy import neurn_tensors, to_tflite

    content = to_tflite(model, representative_images=disc_images(100, seed=2)[0])
    types = tensor_types(content)
    neurn = neurn_tensors(list(types), model)
    assert neurn and not any(types[name] in (np.int8, np.uint8) for name in neurn)
    assert any(types[name] == np.float32 for name in neurn if name.endswith("Sqrt"))
    assert any(types[name] == np.int8 for name in types if "conv1" in name)  # the weights
    quantized = run_tflite(content, images)
    assert len(set(logits.argmax(axis=1))) == 4  # the model tells the quadrants apart
    assert np.abs(quantized - logits).max() < 0.05 * np.ptp(logits)
    assert np.mean(quantized.argmax(axis=1) == logits.argmax(axis=1)) >= 0.95


def test_convertible_shares_the_layers_and_gives_the_same_output(model, images, logits):
    from neurn_keras.deploy import convertible

    plain = convertible(model)
    assert plain.get_layer("conv1") is model.get_layer("conv1")
    assert type(plain.get_layer("neurn")) is not type(model.get_layer("neurn"))
    assert plain.get_layer("neurn").get_config() == model.get_layer("neurn").get_config()
    np.testing.assert_allclose(plain.predict(images, verbose=0), logits, atol=1e-4)


def test_neurn_tensors_are_found_by_the_layer_scope(model):
    from neurn_keras.deploy import neurn_tensors

    names = ["m_1/neurn_1/Sqrt", "m_1/neurn/Max", "m_1/conv1_1/Relu", "m_1/neurnish/Add", "x"]
    assert neurn_tensors(names, model) == ["m_1/neurn_1/Sqrt", "m_1/neurn/Max"]
    plain = applications.build_model("digitnet", neurn=False, input_shape=SHAPE)
    assert neurn_tensors(names, plain) == []


@pytest.mark.parametrize(
    "variant", [{"normalize_over": "channel"}, {"color": "luminance"}, {"padding": "zeros"}]
)
def test_convertible_keeps_the_neurn_variants(variant):
    """The plain-ops NeuRN computes what the layer does, for every variant."""
    from neurn_keras.deploy import convertible
    from neurn_keras.layers import NeuRN

    inputs = keras.Input((20, 20, 3))
    model = keras.Model(inputs, NeuRN(kernel_size=3, **variant, name="neurn")(inputs))
    x = np.random.default_rng(0).uniform(0, 255, (4, 20, 20, 3)).astype("float32")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(convertible(model).predict(x, verbose=0), expected, atol=2e-3)
