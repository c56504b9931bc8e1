"""One run, end to end: inputs checked, data, model, the paper's recipe, evaluation, record.

The recipe (Qazi et al. 2025; other optimizers and a cosine schedule through
``RunConfig``): Adam(lr), batches of 256, ``EarlyStopping(monitor=
"val_accuracy", patience=5, restore_best_weights=True)`` on a stratified validation
split of the source's training images; BatchNormalization statistics recalibrated
before every validation (Precise BN); plus a checkpoint of the best model, the history
and Keras's ``BackupAndRestore``, so that a killed run started again with the same
output directory resumes from its last finished epoch and ends with the same numbers.
It runs on every Keras backend.

:func:`train_and_evaluate` is a short composition of named steps over one
:class:`RunContext`; each step can be called (and tested) on its own.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

from neurn_keras import datasets, model_parts
from neurn_keras.environment import data_dir_setting, seed_everything, versions
from neurn_keras.errors import ArgumentError, InvalidValueError
from neurn_keras.files import atomic_save_model
from neurn_keras.training import faults, tables
from neurn_keras.training.backup import EpochBackup, read_backup, restore
from neurn_keras.training.batches import (
    ArrayBatches,
    batches_per_pass,
    evaluation_padding,
    images_per_pass,
    training_batches,
)
from neurn_keras.training.callbacks import (
    AtomicModelCheckpoint,
    EpochRecorder,
    HistoryLogger,
    ResumableEarlyStopping,
    clean_history,
    on_terminal,
)
from neurn_keras.training.config import RunConfig
from neurn_keras.training.data import RunData, check_data_present, load_run_data
from neurn_keras.training.distribute import (
    check_batch_size,
    data_parallel_devices,
    distribution,
    normalization_batch_size,
    outside_distribution,
    replica_count,
)
from neurn_keras.training.model import (
    build_run_model,
    check_start_model,
    inner_model,
    read_start_model,
    trainer_for,
)
from neurn_keras.training.precise_bn import PreciseBN, batchnorm_layers, calibration_batch_count
from neurn_keras.training.processes import Processes, join
from neurn_keras.training.record import RunRecord, load_record, round_accuracy
from neurn_keras.training.rundir import RunDirectory
from neurn_keras.training.state import TrainingState

MONITOR = "val_accuracy"
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
    def of(cls, config: RunConfig, train_images: int, replicas: int = 1) -> Schedule:
        if config.steps is not None:
            return cls(config.eval_every, config.steps // config.eval_every)
        return cls(batches_per_pass(train_images, config.batch_size, replicas), config.epochs)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.max_epochs


@dataclass
class RunContext:
    """What every step of one run works with, once its inputs are checked and loaded.

    ``state`` is the run's resume state, replaced by each step that trains;
    ``wall_before`` the seconds earlier attempts of the run took, ``started`` the
    ``time.perf_counter()`` when this attempt began; ``devices`` those data parallelism
    splits every batch over (empty: one device, no distribution), those of every process
    of a run over several (``processes``: only process 0 writes into ``run``).
    """

    config: RunConfig
    run: RunDirectory
    data: RunData
    split: Split
    schedule: Schedule
    state: TrainingState
    data_dir: str | os.PathLike | None = None  # as given; None: $NEURN_DATA_DIR or default
    progress_bar: bool = False
    log: Log = print
    started: float = field(default_factory=time.perf_counter)
    wall_before: float = 0.0
    devices: list[str] = field(default_factory=list)
    processes: Processes = field(default_factory=Processes)

    @property
    def replicas(self) -> int:
        return replica_count(self.devices)

    @property
    def writes(self) -> bool:
        """Whether this process writes into the run directory (process 0 of a run)."""
        return self.processes.owner

    @property
    def share(self) -> Callable[[int], slice] | None:
        """This process's share of every batch (None: the whole batch, one process)."""
        return self.processes.share if self.processes.several else None

    def describe(self) -> str:
        config = self.config
        return (
            f"{config.backbone} {config.method().label()}, source {config.source}, "
            f"seed {config.seed}"
        )

    def wall_seconds(self) -> float:
        return self.wall_before + time.perf_counter() - self.started


@dataclass(frozen=True)
class Evaluation:
    """Test accuracy (a fraction) and test images per domain, the source first."""

    accuracy: dict[str, float]
    images: dict[str, int]


# ------------------------------------------------------------------------------ the steps


def check_inputs(
    config: RunConfig, run: RunDirectory, data_dir, replicas: int = 1
) -> keras.Model | None:
    """Everything that can fail fast, before any data is loaded or anything is written.

    Returns the ``init_from`` model (or None) so it is read only once.
    """
    config.validate()
    check_batch_size(config.batch_size, replicas)
    run.check(config)
    start = None
    if config.init_from is not None:
        start = read_start_model(config.init_from)
        check_start_model(start, config)
    check_data_present(config, data_dir)
    return start


def split_source(config: RunConfig, data: RunData) -> Split:
    """The stratified validation split, both parts adapted to ``config.input_shape``."""
    (x_train, y_train), (x_val, y_val) = datasets.train_val_split(
        data.x_train, data.y_train, config.val_split, seed=config.seed
    )
    shape = config.input_shape
    return Split(datasets.prepare(x_train, shape), y_train, datasets.prepare(x_val, shape), y_val)


def make_optimizer(config: RunConfig, total_steps: int | None = None):
    """The run's optimizer: Adam or SGD (with ``momentum``), at a constant ``lr`` or on a
    cosine from ``lr`` to 0 over ``total_steps`` (``lr_schedule="cosine"`` needs them)."""
    learning_rate = config.lr
    if config.lr_schedule == "cosine":
        if total_steps is None:
            raise InvalidValueError("a cosine learning-rate schedule needs the run's total_steps")
        learning_rate = keras.optimizers.schedules.CosineDecay(config.lr, total_steps)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=config.momentum)
    return keras.optimizers.Adam(learning_rate)


def classification_loss() -> keras.losses.Loss:
    """Sparse categorical cross-entropy, each batch's mean over its images of nonzero weight.

    Without sample weights it is Keras's default mean; with the weight-0 padding of
    data-parallel evaluation batches (``ArrayBatches``) the padding does not lower it
    (Keras 3.7 and later; before, the padding counts as loss 0).
    """
    try:
        return keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight")
    except ValueError:  # Keras < 3.7
        return keras.losses.SparseCategoricalCrossentropy()


def compile_for_training(trainer, config: RunConfig, total_steps: int | None = None) -> None:
    """Compiles with the run's optimizer (see ``make_optimizer``), the loss and accuracy.

    ``total_steps`` (steps per epoch × epochs) sets the length of a cosine schedule; the
    schedule reads the optimizer's step count, which a resumed run restores with it.
    """
    trainer.compile(
        optimizer=make_optimizer(config, total_steps),
        loss=classification_loss(),
        weighted_metrics=["accuracy"],  # padded evaluation batches weigh their padding 0
    )


def prepare_model(context: RunContext, start: keras.Model | None):
    """The model to continue with, and what is left to do: ``"evaluate"`` or ``"train"``.

    A model saved in the run directory is only evaluated; a run whose training had
    finished continues from its best checkpoint; anything else is built afresh (or
    from ``start``) and trained, resuming from Keras's backup where there is one. Called
    inside the run's distribution: a ``start`` read before it (to check it) is read again
    there, so that its variables are laid out over the run's devices.
    """
    run = context.run
    if start is not None and context.devices:
        start = read_start_model(context.config.init_from)
    if run.model.exists():
        context.log(f"{context.describe()}: trained model found in {run.model}; evaluating")
        return keras.models.load_model(run.model, compile=False), "evaluate"
    if context.state.finished(context.schedule.max_epochs):
        context.log(f"{context.describe()}: training had finished; evaluating the best checkpoint")
        return inner_model(keras.models.load_model(run.best_model, compile=False)), "evaluate"
    return build_run_model(context.config, start), "train"


def recipe_callbacks(context: RunContext, model, resume: TrainingState | None) -> list:
    """Precise BN, the best-model checkpoint, resumable early stopping, the history, the
    epoch record and the backup, in the order they must run."""
    config, run, schedule, state = context.config, context.run, context.schedule, context.state
    stopper = ResumableEarlyStopping(
        resume=resume,
        best_model_path=run.best_model,
        monitor=MONITOR,
        mode="max",
        patience=config.patience or schedule.max_epochs + 1,
        restore_best_weights=True,
    )
    writers = context.writes  # the other processes of a run write nothing
    callbacks = [
        # The classifier's statistics, also when a consistency wrapper trains it.
        PreciseBN(
            context.split.x_train,
            config.precise_bn,
            normalization_batch_size(config.batch_size, context.replicas),
            config.seed,
            target=model,
        ),
        writers
        and AtomicModelCheckpoint(
            run.best_model,
            monitor=MONITOR,
            mode="max",
            save_best_only=True,
            initial_value_threshold=state.best if resume else None,
        ),
        stopper,
        writers and HistoryLogger(str(run.history), append=True),
        EpochRecorder(
            state,
            stopper,
            schedule.max_epochs,
            not context.progress_bar and writers,
            clock=(context.wall_before, context.started),
        ),
        writers and EpochBackup(run.backup, state),
        faults.armed("train_batch") and faults.KillAtBatch(),
    ]
    return [callback for callback in callbacks if callback]


def fit(context: RunContext, model) -> None:
    """Trains with the recipe's callbacks, resuming from the run's backup where there is
    one; ``context.state`` is the run's state afterwards."""
    config, run, schedule, split = context.config, context.run, context.schedule, context.split
    trainer = trainer_for(model, config)
    compile_for_training(trainer, config, schedule.total_steps)
    backup = read_backup(run.backup)
    if backup is None:  # nothing committed: start afresh, whatever a kill left behind
        if context.writes:
            shutil.rmtree(run.backup, ignore_errors=True)
        context.state, start_epoch = context.state.restart(), 0
    else:
        restore(trainer, backup)
        context.state, start_epoch = backup.state, backup.epoch
    if context.writes:
        clean_history(run.history, after_epoch=start_epoch)
    share = context.share
    stream = training_batches(
        split.x_train,
        split.y_train,
        config.batch_size,
        config.seed,
        start_batch=start_epoch * schedule.steps_per_epoch,
        replicas=context.replicas,
        share=share,
    )
    validation = ArrayBatches(split.x_val, split.y_val, config.batch_size, context.replicas, share)
    trainer.fit(
        stream,
        steps_per_epoch=schedule.steps_per_epoch,
        epochs=schedule.max_epochs,
        initial_epoch=start_epoch,
        validation_data=validation,
        shuffle=False,
        callbacks=recipe_callbacks(context, model, context.state if start_epoch else None),
        verbose=1 if context.progress_bar else 0,
    )
    if context.writes:
        clean_history(run.history)


def train(context: RunContext, model) -> None:
    """Claims the run directory and fits; a run that fails before its first epoch ends
    leaves nothing behind."""
    run, split, config = context.run, context.split, context.config
    claimed_here = context.writes and not run.config.exists()
    if context.writes:
        run.claim(config)
    state = context.state
    where = f"resuming after epoch {state.epochs_done}" if state.started else "starting"
    context.log(
        f"{context.describe()}: {len(split.x_train)} training and {len(split.x_val)} "
        f"validation images at {'x'.join(map(str, config.input_shape))}; {where}; "
        f"output {run.path}"
    )
    if context.processes.several:
        context.log(
            f"  process {context.processes.index} of {context.processes.count}"
            + (" (owns the run directory)" if context.writes else " (writes nothing there)")
        )
    if context.replicas > 1:
        context.log(
            f"  data parallel over {', '.join(context.devices)}: "
            f"{config.batch_size // context.replicas} images per device per step; "
            f"{train_images_dropped(context)} training image(s) left out per pass"
        )
    try:
        fit(context, model)
    except BaseException:
        if claimed_here and not run.read_state().started:
            run.abandon()
        raise


def evaluate(context: RunContext, model) -> Evaluation:
    """Test accuracy on the source and on every target, one line each."""
    config = context.config
    model.compile(loss=classification_loss(), weighted_metrics=["accuracy"])
    accuracy, images = {}, {}
    for name, (x, y) in context.data.tests.items():
        started = time.perf_counter()
        test = ArrayBatches(
            datasets.prepare(x, config.input_shape),
            y,
            config.batch_size,
            context.replicas,
            context.share,
        )
        measured = model.evaluate(test, verbose=0, return_dict=True)["accuracy"]
        accuracy[name] = round_accuracy(measured, len(y))
        images[name] = len(y)
        role = "source" if name == config.source else "target"
        context.log(
            f"  {role} {name:10s} test accuracy {accuracy[name]:.4f}  "
            f"({len(y)} images, {time.perf_counter() - started:.1f} s)"
        )
        faults.kill_point("evaluation")
    return Evaluation(accuracy, images)


def precise_bn_summary(context: RunContext, model) -> dict | None:
    """What Precise BN did over the whole run (one recalibration before every validation
    of a model with BatchNormalization), for the record; None without BatchNormalization."""
    config, state = context.config, context.state
    layers = len(batchnorm_layers(model))
    if not layers:
        return None
    batch_size = normalization_batch_size(config.batch_size, context.replicas)
    batches = calibration_batch_count(config.precise_bn, batch_size, len(context.split.x_train))
    return {
        "images": config.precise_bn,
        "batchnorm_layers": layers,
        "batches": batches,
        "recalibrations": state.epochs_done if batches else 0,
    }


def train_images_dropped(context: RunContext) -> int:
    """Training images each pass leaves out: its last batch cut to whole devices."""
    count = len(context.split.x_train)
    return count - images_per_pass(count, context.config.batch_size, context.replicas)


def data_parallel_summary(context: RunContext, evaluation: Evaluation) -> dict:
    """How the batches were split over the devices, for the record (``distribute``)."""
    replicas = context.replicas
    counts = {"validation": len(context.split.x_val), **evaluation.images}
    return {
        "data_parallel_devices": list(context.devices),
        "per_device_batch_size": context.config.batch_size // replicas,
        "train_images_dropped_per_pass": train_images_dropped(context),
        "eval_images_padded": {
            name: evaluation_padding(count, replicas) for name, count in counts.items()
        }
        if replicas > 1
        else {},
    }


def make_record(context: RunContext, model, evaluation: Evaluation, replicas: int) -> RunRecord:
    """The run's ``results.json`` record."""
    config, state, schedule, split = context.config, context.state, context.schedule, context.split
    seconds = state.train_seconds
    images_per_second = (
        round(schedule.steps_per_epoch * config.batch_size / statistics.median(seconds), 1)
        if seconds
        else None
    )
    return RunRecord(
        backbone=config.backbone,
        input_norm=config.input_norm,
        neurn=config.neurn,
        neurn_config=model_parts.neurn_settings(model),
        backbone_input=model_parts.backbone_input(model),
        augment=config.augment,
        augment_after_norm=config.augment_after_norm,
        consistency=config.consistency,
        source=config.source,
        targets=[name for name in context.data.tests if name != config.source],
        skipped=context.data.skipped,
        input_shape=list(config.input_shape),
        seed=config.seed,
        protocol=config.protocol,
        protocol_deviations=config.protocol_deviations(),
        accuracy=evaluation.accuracy,
        test_images=evaluation.images,
        train_images=len(split.x_train),
        val_images=len(split.x_val),
        epochs_run=state.epochs_done,
        steps_run=state.epochs_done * schedule.steps_per_epoch,
        max_epochs=schedule.max_epochs,
        best_epoch=state.best_epoch + 1 if state.started else None,
        best_val_accuracy=(
            None if state.best is None else round_accuracy(state.best, len(split.x_val))
        ),
        stopped_early=state.stop_requested,
        precise_bn=precise_bn_summary(context, model),
        train_images_per_second=images_per_second,
        wall_seconds=round(context.wall_seconds(), 1),
        distributed_replicas=replicas,
        distributed_processes=context.processes.count,
        **data_parallel_summary(context, evaluation),
        config=config.identity(),
        train_argv=config.to_argv(),
        versions=versions(),
        platform=f"{platform.platform()}; {platform.processor() or platform.machine()}",
        data_files=context.data.files,
        data_dir=data_dir_setting(context.data_dir),
        parts=[part.summary() for part in context.run.parts()],
    )


def compare_with_neighbours(record: RunRecord, run: RunDirectory, log: Log) -> None:
    """Logs the per-target difference to a finished run beside this one that differs only
    in having (or not having) NeuRN."""
    neighbours = [
        sibling / "results.json"
        for sibling in sorted(run.path.parent.iterdir())
        if sibling != run.path and (sibling / "results.json").is_file()
    ]
    line = tables.neurn_difference_line(record, neighbours)
    if line:
        log(line)


# ------------------------------------------------------------------------------ the whole run


def train_and_evaluate(
    config: RunConfig,
    output: str | os.PathLike,
    data_dir: str | os.PathLike | None = None,
    distribute: bool = False,
    progress_bar: bool | None = None,
    log: Log = print,
    extend: bool = False,
    processes: Processes | None = None,
) -> RunRecord:
    """Trains ``config`` into the run directory ``output`` and returns its record.

    A finished run is not redone (its record is returned); an interrupted one resumes
    from its last finished epoch. Every input is checked before the data is loaded,
    and the directory is claimed only when training starts: a run that fails before
    its first epoch leaves nothing behind. One process at a time works on ``output``;
    another is refused at once. Bad input raises a ``neurn_keras.errors`` error naming
    the argument.

    Args:
        config: the run's settings.
        output: the run directory (created if needed).
        data_dir: where the data files are (default ``$NEURN_DATA_DIR``, then
            ``~/.neurn_keras/data``).
        distribute: data-parallel training on every local GPU, else every CPU device
            (TensorFlow and JAX; ``ArgumentError`` on PyTorch; see
            ``training.distribute``).
        progress_bar: Keras's progress bar (True) or one line per epoch (False);
            default: the progress bar when standard output is a terminal.
        log: receives the run's one-line messages.
        extend: continue the finished run in ``output`` up to ``config.epochs`` (more than
            it ran for; nothing else may change), as if it had been asked for that many
            epochs from the start; its record lists the earlier part in ``parts``.
        processes: the processes that train this run together and which one this is
            (``training.processes``; JAX): data parallel over all their devices, process
            0 writing ``output``. Default: this process alone.
    """
    started = time.perf_counter()
    processes = (processes or Processes()).check()
    if processes.several and extend:
        raise ArgumentError("extend", True, "extend a run on one process")
    join(processes)  # before the backend computes anything
    run = RunDirectory(output)
    devices = data_parallel_devices(distribute or processes.several)
    replicas = replica_count(devices)
    if extend:
        run.check_extension(config.validate())  # before anything is written
    else:
        start = check_inputs(config, run, data_dir, replicas=replicas)
        if run.is_done():
            log(f"{run.path} is already complete; results in {run.results}")
            return load_record(run.results)
    with run.locked() if processes.owner else contextlib.nullcontext():
        if extend:
            run.reopen(config, run.check_extension(config))
            log(f"{run.path}: extending to {config.epochs} epochs")
            start = check_inputs(config, run, data_dir, replicas=replicas)
        elif run.is_done():  # another process finished it while this one started
            return load_record(run.results)
        data = load_run_data(config, data_dir, log)
        split = split_source(config, data)
        state = run.read_state()
        context = RunContext(
            config=config,
            run=run,
            data=data,
            split=split,
            schedule=Schedule.of(config, len(split.x_train), replicas),
            state=state,
            data_dir=data_dir,
            progress_bar=on_terminal() if progress_bar is None else progress_bar,
            log=log,
            started=started,
            wall_before=state.wall_seconds,
            devices=devices,
            processes=processes,
        )
        record = run_steps(context, start)
    if processes.owner:
        compare_with_neighbours(record, run, log)
    return record


def run_steps(context: RunContext, start: keras.Model | None) -> RunRecord:
    """Seeds, builds (or reloads) the model, trains what is left, saves, evaluates and
    writes the record: the run itself, once its directory is held (data parallel over
    ``context.devices`` when there are any)."""
    run = context.run
    seed_everything(context.config.seed)
    with distribution(bool(context.devices), context.devices, context.processes.count) as replicas:
        model, todo = prepare_model(context, start)
        if todo == "train":
            train(context, model)
        if context.writes and not run.model.exists():
            with outside_distribution():  # process 0 alone saves
                atomic_save_model(without_optimizer(model), run.model)
        context.log("evaluating on the test sets")
        evaluation = evaluate(context, model)
    record = make_record(context, model, evaluation, replicas)
    if context.writes:
        run.finish(record)
    return record


def without_optimizer(model):
    """The same layers in an uncompiled model: ``model.keras`` without the optimizer state.

    (``clone_model`` and ``from_config`` would compile the copy again.)
    """
    return keras.Model(model.input, model.output, name=model.name)
