"""One run, end to end: data, model, the paper's recipe, evaluation, the run directory.

The recipe (Qazi et al. 2025): Adam(lr), batches of 256, ``EarlyStopping(monitor=
"val_accuracy", patience=5, restore_best_weights=True)`` on a stratified validation
split of the source's training images; plus ``ModelCheckpoint`` of the best model,
``CSVLogger`` and ``BackupAndRestore``, so that a killed run started again with the same
output directory resumes from its last finished epoch and ends with the same numbers.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from neurn_keras.cli import UsageError
from neurn_keras.training.config import RunConfig
from neurn_keras.training.data import RunData, load_run_data
from neurn_keras.training.results import SCHEMA_VERSION
from neurn_keras.training.rundir import RunDirectory

MONITOR = "val_accuracy"


def versions() -> dict[str, str]:
    import keras
    import numpy
    import tensorflow

    import neurn_keras

    return {
        "python": platform.python_version(),
        "neurn_keras": neurn_keras.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "tensorflow": tensorflow.__version__,
        "numpy": numpy.__version__,
    }


def describe(config: RunConfig) -> str:
    neurn = (
        f"+NeuRN(k={config.kernel_size}, {config.padding})" if config.neurn else " without NeuRN"
    )
    return f"{config.backbone}{neurn}, source {config.source}, seed {config.seed}"


def _compile(model, config: RunConfig) -> None:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def _fit(model, config, run: RunDirectory, split, state, progress_bar, clock):
    """Trains with the recipe's callbacks, resuming from ``state``; returns the updated state."""
    import keras

    from neurn_keras import datasets
    from neurn_keras.training.callbacks import (
        AtomicModelCheckpoint,
        ResumableEarlyStopping,
        TrainingState,
        backup_epoch,
        clean_history,
    )
    from neurn_keras.training.pipeline_tf import training_batches

    (x_train, y_train), (x_val, y_val) = split
    start_epoch = backup_epoch(run.backup) or 0  # where Keras's BackupAndRestore resumes
    if start_epoch == 0:  # killed before the first backup: start afresh
        state = {key: state[key] for key in ("wall_seconds",) if key in state}
    clean_history(run.history, before_epoch=start_epoch)
    train, steps = training_batches(x_train, y_train, config.batch_size, config.seed, start_epoch)
    val = datasets.as_tf_dataset(x_val, y_val, config.batch_size, shuffle=False, seed=None)
    resume = state if start_epoch else None
    checkpoint = AtomicModelCheckpoint(
        run.best_model,
        monitor=MONITOR,
        mode="max",
        save_best_only=True,
        initial_value_threshold=state.get("best") if resume else None,
    )
    stopper = ResumableEarlyStopping(
        resume=resume,
        best_model_path=run.best_model,
        monitor=MONITOR,
        mode="max",
        patience=config.patience,
        restore_best_weights=True,
    )
    recorder = TrainingState(
        run.state, state, stopper, config.epochs, print_lines=not progress_bar, clock=clock
    )
    callbacks = [
        checkpoint,
        stopper,
        keras.callbacks.CSVLogger(str(run.history), append=True),
        recorder,
        keras.callbacks.BackupAndRestore(
            str(run.backup), double_checkpoint=True, delete_checkpoint=False
        ),
    ]
    model.fit(
        train,
        steps_per_epoch=steps,
        epochs=config.epochs,
        validation_data=val,
        shuffle=False,  # the stream is shuffled per epoch already
        callbacks=callbacks,
        verbose=1 if progress_bar else 0,
    )
    clean_history(run.history)
    return recorder.state


def without_optimizer(model):
    """The same layers in an uncompiled model: ``model.keras`` without the optimizer state.

    (``clone_model`` and ``from_config`` would compile the copy again.)
    """
    import keras

    return keras.Model(model.inputs, model.outputs, name=model.name)


def _training_finished(state: dict, config: RunConfig) -> bool:
    return bool(state.get("stop_requested")) or state.get("epochs_done", 0) >= config.epochs


def _evaluate(model, config: RunConfig, data: RunData, log) -> tuple[dict, dict]:
    from neurn_keras import datasets

    accuracy, sizes = {}, {}
    for name, (x, y) in data.tests.items():
        prepared = datasets.prepare(x, config.input_shape)
        test = datasets.as_tf_dataset(prepared, y, config.batch_size, shuffle=False, seed=None)
        accuracy[name] = float(model.evaluate(test, verbose=0, return_dict=True)["accuracy"])
        sizes[name] = len(y)
        role = "source" if name == config.source else "target"
        log(f"  {role} {name:10s} test accuracy {accuracy[name]:.4f}  ({len(y)} images)")
    return accuracy, sizes


def train_and_evaluate(
    config: RunConfig,
    output: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    distribute: bool = False,
    progress_bar: bool | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Trains ``config`` into the run directory ``output`` and returns its results record.

    A finished run is not redone (its record is returned); an interrupted one resumes
    from its last finished epoch. Raises ``UsageError`` for bad input (names, missing
    data, an unreadable ``--init-from``, an ``output`` holding another run).

    Args:
        config: the run's settings.
        output: the run directory (created if needed).
        data_dir: where the data files are (default ``$NEURN_DATA_DIR``, then
            ``~/.neurn_keras/data``).
        distribute: train with ``tf.distribute.MirroredStrategy`` (all local GPUs).
        progress_bar: Keras's progress bar (True) or one line per epoch (False);
            default: the progress bar when standard output is a terminal.
        log: receives the run's one-line messages.
    """
    started = time.perf_counter()
    config.validate()
    run = RunDirectory(output)
    run.claim(config)
    if run.is_done():
        from neurn_keras.training.results import load_results

        log(f"{run.path} is already complete; results in {run.results}")
        return load_results(run.results)
    if progress_bar is None:
        from neurn_keras.training.callbacks import on_terminal

        progress_bar = on_terminal()

    data = load_run_data(config, data_dir, log)

    import keras
    import tensorflow as tf

    from neurn_keras import datasets
    from neurn_keras.files import atomic_save_model
    from neurn_keras.training.model import build_run_model, neurn_layer_config

    keras.utils.set_random_seed(config.seed)
    (x_train, y_train), (x_val, y_val) = datasets.train_val_split(
        data.x_train, data.y_train, config.val_split, seed=config.seed
    )
    x_train = datasets.prepare(x_train, config.input_shape)
    x_val = datasets.prepare(x_val, config.input_shape)
    strategy = tf.distribute.MirroredStrategy() if distribute else tf.distribute.get_strategy()
    state = run.read_state()
    wall_before = state.get("wall_seconds", 0.0)

    with strategy.scope():
        if run.model.exists():  # trained before the process stopped; only evaluation is left
            model = keras.models.load_model(run.model, compile=False)
            _compile(model, config)
            log(f"{describe(config)}: trained model found in {run.model}; evaluating")
        elif state and _training_finished(state, config):
            model = keras.models.load_model(run.best_model)  # what restore_best_weights gives
            log(f"{describe(config)}: training had finished; evaluating the best checkpoint")
        else:
            model = build_run_model(config)
            _compile(model, config)
            where = f"resuming after epoch {state['epochs_done']}" if state else "starting"
            log(
                f"{describe(config)}: {len(x_train)} training and {len(x_val)} validation "
                f"images at {'x'.join(map(str, config.input_shape))}, at most {config.epochs} "
                f"epochs; {where}; output {run.path}"
            )
            clock = (wall_before, started)
            split = ((x_train, y_train), (x_val, y_val))
            state = _fit(model, config, run, split, state, progress_bar, clock)
        if not run.model.exists():
            atomic_save_model(without_optimizer(model), run.model)

    accuracy, sizes = _evaluate(model, config, data, log)
    train_seconds = state.get("train_seconds", [])
    results = {
        "schema_version": SCHEMA_VERSION,
        "backbone": config.backbone,
        "neurn": config.neurn,
        "neurn_config": neurn_layer_config(model),
        "source": config.source,
        "targets": [name for name in data.tests if name != config.source],
        "skipped": data.skipped,
        "input_shape": list(config.input_shape),
        "seed": config.seed,
        "accuracy": accuracy,
        "test_images": sizes,
        "train_images": len(x_train),
        "val_images": len(x_val),
        "epochs_run": state.get("epochs_done"),
        "max_epochs": config.epochs,
        "best_epoch": state.get("best_epoch", 0) + 1 if state else None,
        "best_val_accuracy": state.get("best"),
        "stopped_early": bool(state.get("stop_requested")),
        "train_images_per_second": (
            round(len(x_train) / statistics.median(train_seconds), 1) if train_seconds else None
        ),
        "wall_seconds": round(wall_before + time.perf_counter() - started, 1),
        "distributed_replicas": int(strategy.num_replicas_in_sync),
        "config": config.identity(),
        "train_argv": config.to_argv(),
        "versions": versions(),
        "platform": f"{platform.platform()}; {platform.processor() or platform.machine()}",
        "data_files": data.files,
        "data_dir": str(Path(data_dir).expanduser()) if data_dir else None,
    }
    run.finish(results)
    return results


__all__ = ["UsageError", "train_and_evaluate"]
