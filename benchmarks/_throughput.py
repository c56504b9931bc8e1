"""Training throughput, from the bare train step up to ``neurn_keras.train``'s loop.

Shared by ``benchmarks.training_throughput`` (every backend, this machine) and
``benchmarks.gpu_run`` (JAX on a GPU machine). A *case* is a model (± NeuRN) and a feed:

- ``step`` — the floor: Keras's own ``train_step``, compiled the way ``Model.fit``
  compiles it (``jax.jit`` with the state donated on JAX, ``tf.function`` on TensorFlow,
  eager on PyTorch), called in a plain loop on one batch already on the device: no input
  pipeline, no callbacks, no ``fit`` loop.
- ``arrays`` — ``Model.fit`` on in-memory float32 arrays (Keras's own array feed).
- ``pipeline`` — ``Model.fit`` as ``python -m neurn_keras.train`` calls it: on
  ``training_batches`` (a ``tf.data`` pipeline on TensorFlow, the ``TrainingStream``
  ``PyDataset`` elsewhere), with the recipe's callbacks (``run.recipe_callbacks``: Precise
  BN, checkpoint, early stopping, history, epoch record, backup; without validation data
  they do their per-batch and epoch-end work only), ``verbose=0`` as off a terminal.
- ``stream`` — ``Model.fit`` on the ``TrainingStream`` (on TensorFlow, to compare with
  its ``tf.data`` pipeline).

Every model is compiled as ``neurn_keras.train`` compiles it (Adam, the loss, accuracy).
Cases of one model are timed in the same process, alternating round by round, so that a
shared machine's drifts hit all alike; images/s are the median over rounds.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import itertools
import json
import shutil
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.results import markdown_table

GPU_RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results" / "gpu_run.json"
"""What ``benchmarks.gpu_run`` measured on a GPU (the throughput page's GPU section)."""
FEEDS = ("step", "arrays", "pipeline", "stream")
MODELS = ("digitnet", "mobilenetv2")
"""The models both throughput scripts measure."""
TARGET = 1.25
"""``neurn_keras.train``'s time per image at most this times its backend's floor's."""
WARM_UP_STEPS = 2
LONG_EPOCH = 3
"""With ``measure(split_epoch=True)``, the long epoch is this many times the short one."""


@dataclass(frozen=True)
class Case:
    model: str
    neurn: bool
    feed: str

    @property
    def key(self) -> str:
        return f"{self.model}/{self.feed}/{'neurn' if self.neurn else 'plain'}"


def rate_cell(value: float | None, base: float | None) -> str:
    """Images/s for a table, with its ratio to ``base`` (the floor) where there is one."""
    if value is None:
        return "–"
    return f"{value:,.0f} ({value / base:.2f}×)" if base else f"{value:,.0f}"


def target_verdict(ratio: float | None) -> str:
    """A time-per-image ratio to the floor, marked against ``TARGET``."""
    return "–" if ratio is None else f"{ratio:.2f}× {'✓' if ratio <= TARGET else '✗'}"


def synthetic_data(images: int, shape: tuple[int, int, int], seed: int = 0):
    """``images`` random uint8 images of ``shape`` and int64 labels 0..9."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (images, *shape), dtype=np.uint8)
    return x, rng.integers(0, 10, images).astype(np.int64)


def build(case: Case, shape: tuple[int, int, int]):
    """The case's model, seeded, compiled as ``neurn_keras.train`` compiles it."""
    import keras

    from neurn_keras import applications
    from neurn_keras.training import RunConfig
    from neurn_keras.training.run import compile_for_training

    keras.utils.set_random_seed(0)
    model = applications.build_model(case.model, neurn=case.neurn, input_shape=shape)
    compile_for_training(model, RunConfig())
    return model


def wait_for(value) -> None:
    """Returns once the device has computed ``value`` (a tensor of any backend)."""
    import keras

    keras.ops.convert_to_numpy(value)


def step_runner(model, x, y) -> Callable[[int], None]:
    """``run(steps)``: the floor, ``steps`` compiled train steps on one batch on the device."""
    import keras

    model.train_on_batch(x, y)  # builds the optimizer and metric variables
    backend = keras.backend.backend()
    if backend == "jax":  # the very function fit calls (jitted, state donated)
        import jax

        data = itertools.repeat((jax.device_put(x), jax.device_put(y), None))
        parts = (model.trainable_variables, model.non_trainable_variables)
        parts += (model.optimizer.variables, model.metrics_variables)
        held = [tuple([v.value for v in variables] for variables in parts)]

        def run(steps: int) -> None:
            state = held[0]
            for _ in range(steps):
                _, state = model.train_function(state, data)
            jax.block_until_ready(state)
            held[0] = state

        return run
    if backend == "tensorflow":
        import tensorflow as tf

        step = tf.function(model.train_step, jit_compile=model.jit_compile, reduce_retracing=True)
        data = (tf.constant(x), tf.constant(y))
    else:
        step = model.train_step
        data = (keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y))

    def run(steps: int) -> None:
        for _ in range(steps):
            logs = step(data)
        wait_for(logs["loss"])

    return run


def train_callbacks(model, x, y, batch: int, run_dir: str) -> list:
    """The callbacks ``neurn_keras.train`` gives ``fit`` (``run.recipe_callbacks``), for a
    run in ``run_dir`` on ``x``, ``y`` (no validation images)."""
    from neurn_keras.training import RunConfig
    from neurn_keras.training.run import RunContext, Schedule, Split, recipe_callbacks
    from neurn_keras.training.rundir import RunDirectory
    from neurn_keras.training.state import TrainingState

    context = RunContext(
        config=RunConfig(batch_size=batch),
        run=RunDirectory(run_dir),
        data=None,
        split=Split(x, y, x[:0], y[:0]),
        schedule=Schedule(steps_per_epoch=len(x) // batch, max_epochs=1 << 20),
        state=TrainingState(),
    )
    return recipe_callbacks(context, model, None)


def fit_runner(model, case: Case, x, y, batch: int) -> Callable[[int], None]:
    """``run(steps)``: one ``Model.fit`` epoch of ``steps`` steps on the case's feed."""
    import numpy as np

    from neurn_keras.training.batches import TrainingStream, training_batches

    fit = {"verbose": 0, "shuffle": False, "epochs": 1}
    if case.feed == "pipeline":
        run_dir = tempfile.mkdtemp(prefix="throughput-")  # the backups' folder
        atexit.register(shutil.rmtree, run_dir, True)
        fit["callbacks"] = train_callbacks(model, x, y, batch, run_dir)
    if case.feed == "arrays":
        floats = x.astype(np.float32)

        def run(steps: int) -> None:
            images = steps * batch
            model.fit(floats[:images], y[:images], batch_size=batch, **fit)
            wait_for(model.trainable_variables[-1].value)

        return run
    if case.feed == "pipeline":
        feed = training_batches(x, y, batch, seed=0)
    else:
        feed = TrainingStream(x, y, batch, seed=0)

    def run(steps: int) -> None:
        # the callbacks' epoch lines and their warnings about the missing val_accuracy
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(feed, steps_per_epoch=steps, **fit)
        wait_for(model.trainable_variables[-1].value)

    return run


def measure(
    cases: list[Case],
    batch: int,
    steps: int,
    rounds: int,
    shape: tuple[int, int, int] = (32, 32, 3),
    deadline: float | None = None,
    split_epoch: bool = False,
) -> dict[str, float]:
    """Images/s of every case (all of one model, say), alternating round by round.

    ``steps`` steps of ``batch`` images per round after a warm-up of ``WARM_UP_STEPS``
    (compilation); past ``deadline`` (``time.monotonic()``) no further case is built
    and no further round starts, but at least one case and one round are timed.

    With ``split_epoch``, each ``pipeline`` round is two epochs, of ``steps`` and of
    ``LONG_EPOCH * steps`` steps: their difference gives the time per step without the
    epoch's fixed work (the callbacks' epoch-end work, ``fit``'s set-up), which is
    returned under ``<key>/epoch_s``, and images/s are per step (where noise makes the
    long epoch no slower, its time is all counted per step and the fixed work is 0).
    Without it, a round is one epoch of ``steps`` steps, its fixed work included.
    """
    x, y = synthetic_data(batch * steps * (LONG_EPOCH if split_epoch else 1), shape)
    runners = {}
    for case in cases:
        if runners and deadline is not None and time.monotonic() > deadline:
            break
        model = build(case, shape)
        if case.feed == "step":
            runner = step_runner(model, x[:batch].astype("float32"), y[:batch])
        else:
            runner = fit_runner(model, case, x, y, batch)
        runner(WARM_UP_STEPS)
        runners[case.key] = runner
    lengths = {
        case.key: (steps, LONG_EPOCH * steps)
        if split_epoch and case.feed == "pipeline"
        else (steps,)
        for case in cases
        if case.key in runners
    }
    seconds = {(key, n): [] for key in runners for n in lengths[key]}
    for _ in range(rounds):
        for key, runner in runners.items():
            for n in lengths[key]:
                started = time.perf_counter()
                runner(n)
                seconds[(key, n)].append(time.perf_counter() - started)
        if deadline is not None and time.monotonic() > deadline:
            break
    median = {part: statistics.median(values) for part, values in seconds.items()}
    out = {}
    for key, (short, *long) in lengths.items():
        if not long:
            out[key] = batch * short / median[(key, short)]
            continue
        per_step = (median[(key, long[0])] - median[(key, short)]) / (long[0] - short)
        if per_step <= 0:  # noise larger than the extra steps: all of it counted per step
            per_step = median[(key, long[0])] / long[0]
        out[key] = batch / per_step
        out[f"{key}/epoch_s"] = max(median[(key, short)] - short * per_step, 0.0)
    return out


# --- the GPU section of the throughput page (from gpu_run.json) ---------------------------


def _gbps(value: float) -> str:
    return f"{value / 1e9:,.1f} GB/s"


def neurn_table(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        neurn, copy = row["neurn_bytes_per_s"], row["copy_bytes_per_s"]
        shape = "×".join(map(str, row["shape"]))
        lines.append([shape, _gbps(neurn), _gbps(copy), f"{copy / neurn:.1f}×"])
    header = ["images", "NeuRN (k=5)", "`x * 1.5` (a copy)", "NeuRN's time ÷ copy's"]
    return markdown_table(header, lines)


def training_table(measured: dict) -> str:
    rows = []
    for model in MODELS:
        floor = measured.get(f"{model}/step/plain")
        if floor is None:
            continue
        with_neurn = measured.get(f"{model}/step/neurn")
        fits = [measured.get(f"{model}/pipeline/{kind}") for kind in ("plain", "neurn")]
        ratio = target_verdict(floor / fits[1] if fits[1] else None)
        rows.append(
            [model, f"{floor:,.0f}", *(rate_cell(v, floor) for v in (with_neurn, *fits)), ratio]
        )
    header = ["model", "floor (images/s)", "floor + NeuRN", "fit, `train`'s pipeline",
              "fit, `train`'s pipeline, + NeuRN", "time per image ÷ floor's"]  # fmt: skip
    return markdown_table(header, rows)


def gpu_section(path: Path = GPU_RESULTS) -> str:
    """The throughput page's GPU section, from ``benchmarks.gpu_run``'s results file if
    there is one."""
    if path.is_file():
        results = json.loads(path.read_text())
        settings, found = results["settings"], results["versions"]
        text = (
            f"## On a GPU (JAX)\n\nFrom [{path.name}]({path.name}), measured by `python -m "
            f"benchmarks.gpu_run` on {results['device']} (JAX {found.get('jax', '?')}, keras "
            f"{found.get('keras', '?')}, Python {found.get('python', '?')}) in "
            f"{results['seconds']:.0f} s. NeuRN under `jax.jit` against an elementwise pass "
            "over the same images, bytes moved per second (best of rounds):\n\n"
            f"{neurn_table(results['neurn'])}\n\nTraining at 32×32×3, batch {settings['batch']}, "
            f"median of {settings['rounds']} rounds of {settings['steps']} steps; ratios against "
            "the floor (Keras's compiled train step on a batch already on the device):\n\n"
            f"{training_table(results['training'])}\n"
        )
        if results["skipped"]:
            text += f"\nNot measured (past the time budget): {', '.join(results['skipped'])}.\n"
    else:
        text = (
            "## On a GPU (JAX)\n\nNot measured yet: no `docs/results/gpu_run.json` (see "
            "`benchmarks/gpu_run.py` for the one call that makes it).\n"
        )
    return "\n" + text
