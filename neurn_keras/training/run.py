"""One run, end to end: inputs checked, data, model, the paper's recipe, evaluation, record.

The recipe (Qazi et al. 2025; other optimizers and a cosine schedule through
``RunConfig``): Adam(lr), batches of 256, ``EarlyStopping(monitor=
"val_accuracy", patience=5, restore_best_weights=True)`` on a stratified validation
split of the source's training images; BatchNormalization statistics recalibrated
before every validation (Precise BN); plus a checkpoint of the best model, the history
and Keras's ``BackupAndRestore``, so that a killed run started again with the same
output directory resumes from its last finished epoch and ends with the same numbers.
It runs on every Keras backend.

:func:`train_and_evaluate` is a short composition of the steps below, each of which
can be called (and tested) on its own.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from neurn_keras.errors import InvalidValueError
from neurn_keras.training.config import RunConfig
from neurn_keras.training.data import RunData, check_data_present, load_run_data
from neurn_keras.training.record import ResultsError, RunRecord, load_record
from neurn_keras.training.rundir import RunDirectory
from neurn_keras.training.state import TrainingState

MONITOR = "val_accuracy"
NEURN_FIELDS = ("input_norm", "kernel_size", "padding")
Log = Callable[[str], None]


@dataclass
class Split:
    """The source's training images, split for early stopping and adapted to the input."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


@dataclass(frozen=True)
class Schedule:
    """How many steps make an epoch, and how many epochs at most."""

    steps_per_epoch: int
    max_epochs: int

    @classmethod
    def of(cls, config: RunConfig, train_images: int) -> Schedule:
        if config.steps is not None:
            return cls(config.eval_every, config.steps // config.eval_every)
        return cls(math.ceil(train_images / config.batch_size), config.epochs)


# ------------------------------------------------------------------------------ the steps


def describe(config: RunConfig) -> str:
    from neurn_keras.training.record import method_label

    method = method_label(
        config.input_norm,
        config.neurn_config(),
        config.augment,
        config.consistency,
        config.augment_after_norm,
    )
    return f"{config.backbone} {method}, source {config.source}, seed {config.seed}"


def versions() -> dict[str, str]:
    """The versions of what decides the numbers: Python, Keras, its backend, NumPy."""
    import keras

    import neurn_keras

    found = {
        "python": platform.python_version(),
        "neurn_keras": neurn_keras.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
    }
    backend_package = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
    package = backend_package.get(keras.backend.backend())
    if package:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found


def seed_everything(seed: int) -> None:
    """``keras.utils.set_random_seed``, without importing TensorFlow on other backends.

    Keras seeds TensorFlow whenever it is installed, which imports it (seconds, and its
    start-up lines) in a JAX or PyTorch process that never uses it.
    """
    import sys

    import keras

    hide = keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules
    if hide:
        sys.modules["tensorflow"] = None  # makes Keras's lazy import see no TensorFlow
    try:
        keras.utils.set_random_seed(seed)
    finally:
        if hide:
            del sys.modules["tensorflow"]


def check_inputs(config: RunConfig, run: RunDirectory, data_dir):
    """Everything that can fail fast, before any data is loaded or anything is written.

    Returns the ``init_from`` model (or None) so it is read only once.
    """
    from neurn_keras.training.model import check_start_model, read_start_model

    config.validate()
    run.check(config)
    start = None
    if config.init_from is not None:
        start = read_start_model(config.init_from)
        check_start_model(start, config)
    check_data_present(config, data_dir)
    return start


def split_source(config: RunConfig, data: RunData) -> Split:
    """The stratified validation split, both parts adapted to ``config.input_shape``."""
    from neurn_keras import datasets

    (x_train, y_train), (x_val, y_val) = datasets.train_val_split(
        data.x_train, data.y_train, config.val_split, seed=config.seed
    )
    shape = config.input_shape
    return Split(datasets.prepare(x_train, shape), y_train, datasets.prepare(x_val, shape), y_val)


def make_optimizer(config: RunConfig, total_steps: int | None = None):
    """The run's optimizer: Adam or SGD (with ``momentum``), at a constant ``lr`` or on a
    cosine from ``lr`` to 0 over ``total_steps`` (``lr_schedule="cosine"`` needs them)."""
    import keras

    learning_rate = config.lr
    if config.lr_schedule == "cosine":
        if total_steps is None:
            raise InvalidValueError("a cosine learning-rate schedule needs the run's total_steps")
        learning_rate = keras.optimizers.schedules.CosineDecay(config.lr, total_steps)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=config.momentum)
    return keras.optimizers.Adam(learning_rate)


def compile_for_training(trainer, config: RunConfig, total_steps: int | None = None) -> None:
    """Compiles with the run's optimizer (see ``make_optimizer``), the loss and accuracy.

    ``total_steps`` (steps per epoch × epochs) sets the length of a cosine schedule; the
    schedule reads the optimizer's step count, which a resumed run restores with it.
    """
    trainer.compile(
        optimizer=make_optimizer(config, total_steps),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def prepare_model(
    config: RunConfig, run: RunDirectory, state: TrainingState, schedule: Schedule, start, log: Log
):
    """The model to continue with, and what is left to do: ``"evaluate"`` or ``"train"``.

    A model saved in the run directory is only evaluated; a run whose training had
    finished continues from its best checkpoint; anything else is built afresh (or
    from ``start``) and trained, resuming from Keras's backup where there is one.
    """
    import keras

    from neurn_keras.training.model import build_run_model, inner_model

    if run.model.exists():
        log(f"{describe(config)}: trained model found in {run.model}; evaluating")
        return keras.models.load_model(run.model, compile=False), "evaluate"
    if state.finished(schedule.max_epochs):
        log(f"{describe(config)}: training had finished; evaluating the best checkpoint")
        return inner_model(keras.models.load_model(run.best_model, compile=False)), "evaluate"
    return build_run_model(config, start), "train"


def fit(model, config: RunConfig, run: RunDirectory, split: Split, state, progress_bar, clock):
    """Trains with the recipe's callbacks, resuming from ``state``.

    Returns the new state.
    """

    from neurn_keras.training.backup import EpochBackup, read_backup, restore
    from neurn_keras.training.batches import ArrayBatches, training_batches
    from neurn_keras.training.callbacks import (
        AtomicModelCheckpoint,
        EpochRecorder,
        HistoryLogger,
        ResumableEarlyStopping,
        clean_history,
    )
    from neurn_keras.training.model import trainer_for
    from neurn_keras.training.precise_bn import PreciseBN

    schedule = Schedule.of(config, len(split.x_train))
    trainer = trainer_for(model, config)
    compile_for_training(trainer, config, schedule.steps_per_epoch * schedule.max_epochs)
    backup = read_backup(run.backup)
    if backup is None:  # nothing committed: start afresh, whatever a kill left behind
        shutil.rmtree(run.backup, ignore_errors=True)
        state, start_epoch = state.restart(), 0
    else:
        restore(trainer, backup)
        state, start_epoch = backup.state, backup.epoch
    clean_history(run.history, after_epoch=start_epoch)
    stream = training_batches(
        split.x_train,
        split.y_train,
        config.batch_size,
        config.seed,
        start_batch=start_epoch * schedule.steps_per_epoch,
    )
    resume = state if start_epoch else None
    stopper = ResumableEarlyStopping(
        resume=resume,
        best_model_path=run.best_model,
        monitor=MONITOR,
        mode="max",
        patience=config.patience or schedule.max_epochs + 1,
        restore_best_weights=True,
    )
    # The classifier's statistics, also when a consistency wrapper trains it.
    precise_bn = PreciseBN(
        split.x_train, config.precise_bn, config.batch_size, config.seed, target=model
    )
    callbacks = [
        precise_bn,
        AtomicModelCheckpoint(
            run.best_model,
            monitor=MONITOR,
            mode="max",
            save_best_only=True,
            initial_value_threshold=state.best if resume else None,
        ),
        stopper,
        HistoryLogger(str(run.history), append=True),
        EpochRecorder(state, stopper, schedule.max_epochs, not progress_bar, clock=clock),
        EpochBackup(run.backup, state),
    ]
    trainer.fit(
        stream,
        steps_per_epoch=schedule.steps_per_epoch,
        epochs=schedule.max_epochs,
        initial_epoch=start_epoch,
        validation_data=ArrayBatches(split.x_val, split.y_val, config.batch_size),
        shuffle=False,
        callbacks=callbacks,
        verbose=1 if progress_bar else 0,
    )
    clean_history(run.history)
    return state


def train(model, config, run: RunDirectory, split: Split, state, progress_bar, clock, log: Log):
    """Claims the run directory and fits; a run that fails before its first epoch ends
    leaves nothing behind. Returns the new state."""
    claimed_here = not run.config.exists()
    run.claim(config)
    where = f"resuming after epoch {state.epochs_done}" if state.started else "starting"
    log(
        f"{describe(config)}: {len(split.x_train)} training and {len(split.x_val)} validation "
        f"images at {'x'.join(map(str, config.input_shape))}; {where}; output {run.path}"
    )
    try:
        return fit(model, config, run, split, state, progress_bar, clock)
    except BaseException:
        if claimed_here and not run.read_state().started:
            run.abandon()
        raise


def precise_bn_summary(config: RunConfig, model, state: TrainingState, train_images: int):
    """What Precise BN did over the whole run (one recalibration before every validation
    of a model with BatchNormalization), for the record."""
    from neurn_keras.training.precise_bn import batchnorm_layers, calibration_batch_count

    layers = len(batchnorm_layers(model))
    batches = calibration_batch_count(config.precise_bn, config.batch_size, train_images)
    return {
        "images": config.precise_bn,
        "batchnorm_layers": layers,
        "batches": batches if layers else 0,
        "recalibrations": state.epochs_done if layers and batches else 0,
    }


def evaluate(model, config: RunConfig, data: RunData, log: Log) -> tuple[dict, dict]:
    """Test accuracy on the source and on every target, one line each."""
    from neurn_keras import datasets
    from neurn_keras.training.batches import ArrayBatches

    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    accuracy, sizes = {}, {}
    for name, (x, y) in data.tests.items():
        started = time.perf_counter()
        test = ArrayBatches(datasets.prepare(x, config.input_shape), y, config.batch_size)
        accuracy[name] = float(model.evaluate(test, verbose=0, return_dict=True)["accuracy"])
        sizes[name] = len(y)
        role = "source" if name == config.source else "target"
        log(
            f"  {role} {name:10s} test accuracy {accuracy[name]:.4f}  "
            f"({len(y)} images, {time.perf_counter() - started:.1f} s)"
        )
    return accuracy, sizes


def make_record(config, model, data, split, state, accuracy, sizes, extras) -> RunRecord:
    """The run's ``results.json`` record."""
    from neurn_keras import model_parts

    schedule = extras["schedule"]
    seconds = state.train_seconds
    return RunRecord(
        backbone=config.backbone,
        input_norm=config.input_norm,
        neurn=config.neurn,
        neurn_config=model_parts.neurn_settings(model),
        augment=config.augment,
        augment_after_norm=config.augment_after_norm,
        consistency=config.consistency,
        source=config.source,
        targets=[name for name in data.tests if name != config.source],
        skipped=data.skipped,
        input_shape=list(config.input_shape),
        seed=config.seed,
        protocol=config.protocol,
        protocol_deviations=config.protocol_deviations(),
        accuracy=accuracy,
        test_images=sizes,
        train_images=len(split.x_train),
        val_images=len(split.x_val),
        epochs_run=state.epochs_done,
        steps_run=state.epochs_done * schedule.steps_per_epoch,
        max_epochs=schedule.max_epochs,
        best_epoch=state.best_epoch + 1 if state.started else None,
        best_val_accuracy=state.best,
        stopped_early=state.stop_requested,
        precise_bn=extras["precise_bn"],
        train_images_per_second=(
            round(schedule.steps_per_epoch * config.batch_size / statistics.median(seconds), 1)
            if seconds
            else None
        ),
        wall_seconds=round(extras["wall_seconds"], 1),
        distributed_replicas=extras["replicas"],
        config=config.identity(),
        train_argv=config.to_argv(),
        versions=versions(),
        platform=f"{platform.platform()}; {platform.processor() or platform.machine()}",
        data_files=data.files,
        data_dir=str(Path(extras["data_dir"]).expanduser()) if extras["data_dir"] else None,
    )


def compare_with_neighbours(record: RunRecord, run: RunDirectory, log: Log) -> None:
    """Logs the per-target difference to a finished run beside this one that differs only
    in having (or not having) NeuRN."""

    def settings(config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in NEURN_FIELDS}

    for sibling in sorted(run.path.parent.iterdir()):
        if sibling == run.path or not (sibling / "results.json").is_file():
            continue
        try:
            other = load_record(sibling / "results.json")
        except ResultsError:
            continue
        if other.neurn == record.neurn:
            continue
        if settings(other.config) != settings(record.config):
            continue
        with_neurn, without = (record, other) if record.neurn else (other, record)
        differences = ", ".join(
            f"{name} {100 * (with_neurn.accuracy[name] - without.accuracy[name]):+.1f} pp"
            for name in record.accuracy
            if name in other.accuracy
        )
        log(f"NeuRN minus no NeuRN (beside {Path(other.path).name}): {differences}")
        return


# ------------------------------------------------------------------------------ the whole run


def train_and_evaluate(
    config: RunConfig,
    output: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    distribute: bool = False,
    progress_bar: bool | None = None,
    log: Log = print,
) -> RunRecord:
    """Trains ``config`` into the run directory ``output`` and returns its record.

    A finished run is not redone (its record is returned); an interrupted one resumes
    from its last finished epoch. Every input is checked before the data is loaded,
    and the directory is claimed only when training starts: a run that fails before
    its first epoch leaves nothing behind. Bad input raises a ``neurn_keras.errors``
    error naming the argument.

    Args:
        config: the run's settings.
        output: the run directory (created if needed).
        data_dir: where the data files are (default ``$NEURN_DATA_DIR``, then
            ``~/.neurn_keras/data``).
        distribute: train on every local accelerator (see ``training.distribute``).
        progress_bar: Keras's progress bar (True) or one line per epoch (False);
            default: the progress bar when standard output is a terminal.
        log: receives the run's one-line messages.
    """
    started = time.perf_counter()
    run = RunDirectory(output)
    start = check_inputs(config, run, data_dir)
    if run.is_done():
        log(f"{run.path} is already complete; results in {run.results}")
        return load_record(run.results)
    if progress_bar is None:
        from neurn_keras.training.callbacks import on_terminal

        progress_bar = on_terminal()
    data = load_run_data(config, data_dir, log)
    split = split_source(config, data)
    schedule = Schedule.of(config, len(split.x_train))

    from neurn_keras.files import atomic_save_model
    from neurn_keras.training.distribute import distribution

    seed_everything(config.seed)
    state = run.read_state()
    wall_before = state.wall_seconds
    with distribution(distribute) as replicas:
        model, todo = prepare_model(config, run, state, schedule, start, log)
        if todo == "train":
            clock = (wall_before, started)
            state = train(model, config, run, split, state, progress_bar, clock, log)
        if not run.model.exists():
            atomic_save_model(without_optimizer(model), run.model)
        log("evaluating on the test sets")
        accuracy, sizes = evaluate(model, config, data, log)
    extras = {
        "precise_bn": precise_bn_summary(config, model, state, len(split.x_train)),
        "wall_seconds": wall_before + time.perf_counter() - started,
        "replicas": replicas,
        "data_dir": data_dir,
        "schedule": schedule,
    }
    record = make_record(config, model, data, split, state, accuracy, sizes, extras)
    run.finish(record)
    compare_with_neighbours(record, run, log)
    return record


def without_optimizer(model):
    """The same layers in an uncompiled model: ``model.keras`` without the optimizer state.

    (``clone_model`` and ``from_config`` would compile the copy again.)
    """
    import keras

    return keras.Model(model.inputs, model.outputs, name=model.name)
