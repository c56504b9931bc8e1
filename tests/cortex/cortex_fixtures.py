"""Small Keras models and neural data for the cortex tests."""

from __future__ import annotations

import keras
import numpy as np

from neurn_keras import NeuRN
from neurn_keras.neuro import NeuralData, cells_table, concat_neural


def small_model(
    neurn: bool, seed: int = 0, nested: bool = False, name: str | None = None, widths=(8, 6)
):
    """32×32×3 raw pixels → [NeuRN] → Conv2D 5×5×8 → pool → Conv2D 3×3×6 → Dense 10.

    ``nested=True`` puts the two convolutions inside a nested Functional "backbone";
    ``widths`` are the two convolutions' filter counts.
    """
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3))
    x = (
        NeuRN(name="neurn")(inputs)
        if neurn
        else keras.layers.Rescaling(1 / 255, name="scale")(inputs)
    )
    convs = [
        keras.layers.Conv2D(widths[0], 5, activation="relu", name="conv1"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Conv2D(widths[1], 3, activation="relu", name="conv2"),
    ]
    if nested:
        inner_in = keras.Input((32, 32, 3))
        y = inner_in
        for layer in convs:
            y = layer(y)
        x = keras.Model(inner_in, y, name="backbone")(x)
    else:
        for layer in convs:
            x = layer(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, name="head")(x)
    return keras.Model(inputs, outputs, name=name or ("small_neurn" if neurn else "small"))


def neural_data(n_scenes: int = 20, size: int = 12, seed: int = 0) -> NeuralData:
    """Two experiments (VISp Cux2 excitatory, VISl Sst inhibitory), 12 cells each."""
    rng = np.random.default_rng(seed)
    scenes = rng.integers(0, 256, size=(n_scenes, size, size), dtype=np.uint8)
    parts = []
    for cre, area in (("Cux2-CreERT2", "VISp"), ("Sst-IRES-Cre", "VISl")):
        responses = rng.gamma(1.0, 1.0, size=(12, n_scenes, 2)).astype(np.float32)
        cells = cells_table(
            12, cre_line=cre, area=area, depth=175, cell_specimen_ids=rng.integers(1, 10**6, 12)
        )
        parts.append(NeuralData(responses, scenes, cells, note="synthetic test cells"))
    return concat_neural(parts)


def write_run(folder, model, neurn: bool, seed: int = 0, epochs_run: int = 3, **config):
    """A run directory as python -m neurn_keras.train leaves it: model.keras, results.json."""
    import json

    folder.mkdir(parents=True)
    model.save(folder / "model.keras")
    settings = {"backbone": "small", "input_norm": "neurn" if neurn else "none",
                "kernel_size": 5, "padding": "reflect", "source": "mnist", "seed": seed,
                "epochs": 5, **config}  # fmt: skip
    record = {
        "schema_version": 2, "backbone": "small", "input_norm": settings["input_norm"],
        "neurn": neurn, "neurn_config": {"kernel_size": 5, "padding": "reflect"} if neurn else None,
        "augment": "none", "consistency": 0.0, "source": "mnist", "targets": ["usps"],
        "input_shape": [32, 32, 3], "seed": seed, "accuracy": {"mnist": 0.9, "usps": 0.5},
        "test_images": {}, "train_images": 100, "val_images": 10, "epochs_run": epochs_run,
        "steps_run": 10 * epochs_run, "max_epochs": 5, "best_epoch": epochs_run,
        "best_val_accuracy": 0.9, "stopped_early": False, "precise_bn": {},
        "train_images_per_second": 100.0, "wall_seconds": 1.0, "distributed_replicas": 1,
        "config": settings, "train_argv": [], "versions": {"keras": "3"}, "platform": "x",
        "data_files": {},
    }  # fmt: skip
    (folder / "results.json").write_text(json.dumps(record))
    return folder
