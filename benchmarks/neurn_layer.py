"""NeuRN speed on every way a user calls it, each against an elementwise pass called alike.

For every calling path (the layer called directly, in a ``tf.function``, in a ``tf.data``
map, under ``jax.jit``, in a Keras model's ``predict`` and training step) the layer and
an elementwise pass over the same float32 tensor (``x * 1.5``, or ``Rescaling(1.5)`` in
a model) are built and called the same way and timed in the same process, alternating
round by round, so that a shared machine's drifts hit both alike; the table gives the
ratio of the best rounds. Each backend runs in its own process (Keras fixes the backend at
import).

The page also says which batch path (``NeuRN(blocking=...)``: cache-sized blocks of
images, or the whole batch at once) each backend takes on each kind of device, from the
rule in ``neurn_keras.layers.placement``, and measures on this machine both paths under
the compiled column and where NeuRN's time goes (JAX, k=5): the block loop alone, and one
block of images in the cache against an elementwise pass on the same block.

    python -m benchmarks.neurn_layer                  # docs/results/neurn_layer.md
    python -m benchmarks.neurn_layer --quick          # one size, k=5: a smoke check
    python -m benchmarks.neurn_layer --report-only  # the page from the json
    python -m benchmarks.neurn_layer --gpu            # JAX and PyTorch on an accelerator

``--gpu`` measures NeuRN at 256×224×224×3 under JAX and PyTorch (no TensorFlow needed) as
bytes moved per second (one read of the images, one write of the output) beside the
bandwidth of a copy-like elementwise pass in the same run, and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.results import README, RESULTS, ROOT, markdown_table, write_page, write_section

PAGE = RESULTS / "neurn_layer.md"
MEASURED = RESULTS / "neurn_layer.json"

CONFIGS = [(32, 224), (1024, 32)]  # (batch, side), 3 channels
KERNEL_SIZES = [3, 5, 9]
GPU_CONFIG = (256, 224)
TARGET_RATIO = 4.0  # the target: at most 4× an elementwise pass
TARGET_KERNELS = (3, 5)  # ... for these window sizes (k=9 is measured, not targeted)
TARGET_SPEEDUP = 20.0  # and at least 20× faster than patches at 224×224, k=5
DEVICE_KINDS = {"cpu": "CPU", "gpu": "GPU", "tpu": "TPU"}  # platform: column title
BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
REFERENCE_IMAGES = 4  # the float64 reference is computed on the first few images
MARK = "RESULT "
PATHS = {
    "tensorflow": ["call", "tf.function", "tf.function XLA", "tf.data map", "predict", "train"],
    "jax": ["call", "jax.jit", "predict", "train"],
}
PATH_NOTES = {
    "call": "the layer called on a tensor (eager)",
    "tf.function": "inside a plain `tf.function` (graph, no XLA around it)",
    "tf.function XLA": "inside `tf.function(jit_compile=True)`",
    "tf.data map": "`tf.data.Dataset.map(layer)`, time per batch",
    "jax.jit": "inside `jax.jit`",
    "predict": "`Model.predict` of Input → layer (against Input → `Rescaling(1.5)`)",
    "train": "`Model.train_on_batch` of Input → layer → GlobalAveragePooling2D → Dense(10)",
}


# --- measured in a worker process (one Keras backend) ------------------------------------


def reference(x, kernel_size: int):
    """NeuRN in float64 NumPy (reflect padding), from the definition."""
    import numpy as np

    pad = kernel_size // 2
    padded = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)), "reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel_size,) * 2, (1, 2))
    sigma = windows.std(axis=(-2, -1))
    peak = sigma.max(axis=(1, 2, 3), keepdims=True)
    return np.where(peak > 0, sigma / np.where(peak > 0, peak, 1), 0)


def test_images(batch: int, side: int, seed: int = 0):
    """Raw 0..255 pixels: noise with flat regions, as float32."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (batch, side, side, 3)).astype(np.float32)
    x[:, : side // 3, : side // 3] = 0
    x[:, side // 2 :, side // 2 :] = 255
    return x


def best_seconds(functions: dict, rounds: int, repeats: int) -> dict[str, float]:
    """Time per call of each function (which must block): the best of alternating rounds.

    The best round, not the median: on a shared machine other processes only ever add
    time, and they add it to whichever function happens to be running.
    """
    for fn in functions.values():  # compile and warm up
        fn()
        fn()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            start = time.perf_counter()
            for _ in range(repeats):
                fn()
            samples[name].append((time.perf_counter() - start) / repeats)
    return {name: min(values) for name, values in samples.items()}


def _models(layer, shape):
    """(predict model, training model) with ``layer`` in front, compiled as users do."""
    import keras

    inputs = keras.Input(shape)
    plain = keras.Model(inputs, layer(inputs))
    inputs = keras.Input(shape)
    x = keras.layers.GlobalAveragePooling2D()(layer(inputs))
    trained = keras.Model(inputs, keras.layers.Dense(10)(x))
    trained.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(True))
    return plain, trained


def _keras_paths(make_layer, x, labels) -> dict:
    """``predict`` and ``train`` calls for a layer factory (NeuRN or Rescaling)."""
    plain, trained = _models(make_layer(), x.shape[1:])
    batch = x.shape[0]
    return {
        "predict": lambda: plain.predict(x, batch_size=batch, verbose=0),
        "train": lambda: trained.train_on_batch(x, labels),
    }


def tensorflow_paths(layer, elementwise, x, labels) -> dict:
    """{path: callable} for the TensorFlow backend; each blocks until its result exists."""
    import keras
    import tensorflow as tf

    from neurn_keras.layers import NeuRN

    tensor = tf.constant(x)
    neurn = {"call": lambda: layer(tensor).numpy()}
    plain = {"call": lambda: elementwise(tensor).numpy()}
    for name, jit in (("tf.function", False), ("tf.function XLA", True)):
        neurn_fn = tf.function(layer, jit_compile=jit)
        plain_fn = tf.function(elementwise, jit_compile=jit)
        neurn[name] = lambda f=neurn_fn: f(tensor).numpy()
        plain[name] = lambda f=plain_fn: f(tensor).numpy()
    for target, fn in ((neurn, layer), (plain, elementwise)):
        dataset = tf.data.Dataset.from_tensors(tensor).repeat(4).map(fn)
        target["tf.data map"] = lambda d=dataset: [None for _ in d]
    neurn.update(_keras_paths(lambda: layer, x, labels))
    plain.update(_keras_paths(lambda: keras.layers.Rescaling(1.5), x, labels))
    floor = tf.function(
        lambda t: t / (1.0 + tf.reduce_max(t, axis=(1, 2, 3), keepdims=True)), jit_compile=True
    )
    patches = tf.function(NeuRN(layer.kernel_size, method="patches"))
    whole = tf.function(NeuRN(layer.kernel_size, blocking="whole"), jit_compile=True)
    extra = {
        "floor": lambda: floor(tensor).numpy(),
        "patches": lambda: patches(tensor).numpy(),
        "whole": lambda: whole(tensor).numpy(),
    }
    return neurn, plain, extra


def jax_paths(layer, elementwise, x, labels) -> dict:
    """{path: callable} for the JAX backend; each blocks until its result exists."""
    import jax
    import keras

    from neurn_keras.layers import NeuRN

    array = jax.numpy.asarray(x)
    neurn = {"call": lambda: layer(array).block_until_ready()}
    plain = {"call": lambda: elementwise(array).block_until_ready()}
    neurn_jit, plain_jit = jax.jit(layer), jax.jit(elementwise)
    neurn["jax.jit"] = lambda: neurn_jit(array).block_until_ready()
    plain["jax.jit"] = lambda: plain_jit(array).block_until_ready()
    neurn.update(_keras_paths(lambda: layer, x, labels))
    plain.update(_keras_paths(lambda: keras.layers.Rescaling(1.5), x, labels))
    floor = jax.jit(lambda t: t / (1.0 + t.max(axis=(1, 2, 3), keepdims=True)))
    whole = jax.jit(NeuRN(layer.kernel_size, blocking="whole"))
    extra = {
        "floor": lambda: floor(array).block_until_ready(),
        "whole": lambda: whole(array).block_until_ready(),
    }
    return neurn, plain, extra


def measure_backend(backend: str, configs, kernel_sizes, rounds: int, repeats: int):
    """Yields one result dict per (config, k, path)."""
    import keras
    import numpy as np

    from neurn_keras.layers import NeuRN

    def elementwise(t):
        return t * 1.5

    for batch, side in configs:
        x = test_images(batch, side)
        labels = np.random.default_rng(1).integers(0, 10, batch)
        compiled = "tf.function XLA" if backend == "tensorflow" else "jax.jit"
        for k in kernel_sizes:
            layer = NeuRN(k)
            paths = tensorflow_paths if backend == "tensorflow" else jax_paths
            neurn, plain, extra = paths(layer, elementwise, x, labels)
            out = keras.ops.convert_to_numpy(layer(x[:REFERENCE_IMAGES]))
            error = float(np.abs(out - reference(x[:REFERENCE_IMAGES], k)).max())
            for path in PATHS[backend]:
                timed = {"neurn": neurn[path], "elementwise": plain[path]}
                if path == compiled:
                    timed["floor"] = extra["floor"]
                    timed["whole"] = extra["whole"]
                if path == "tf.function":
                    timed["patches"] = extra["patches"]
                seconds = best_seconds(timed, rounds, repeats)
                yield {
                    "backend": backend,
                    "batch": batch,
                    "side": side,
                    "k": k,
                    "path": path,
                    "error": error,
                    **{f"{name}_s": value for name, value in seconds.items()},
                }


def retracing_check() -> dict:
    """Traces of the layer's XLA function over 3 batch sizes × 2 image sizes, and warnings."""
    import logging

    import numpy as np

    from neurn_keras.layers import NeuRN
    from neurn_keras.layers.local_std_tf import neurn_function

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        layer = NeuRN(7)
        calls = 0
        for side in (20, 24):
            for batch in (1, 2, 5):
                layer(np.zeros((batch, side, side, 3), np.float32))
                calls += 1
    finally:
        logger.removeHandler(handler)
    traces = neurn_function(7, "reflect", "float32", "float32").experimental_get_tracing_count()
    warned = any("retracing" in record.getMessage() for record in records)
    return {"calls": calls, "image_sizes": 2, "traces": traces, "warned": warned}


def mobilenet_overhead(rounds: int, steps: int, batch: int = 256) -> dict:
    """Training-step time of MobileNetV2 at 32×32×3 without and with NeuRN (k=5), best round."""
    import keras
    import numpy as np

    from neurn_keras.layers import NeuRN

    keras.utils.set_random_seed(0)
    x = test_images(batch, 32, seed=1)
    y = np.random.default_rng(2).integers(0, 10, batch)

    def model(neurn: bool) -> keras.Model:
        inputs = keras.Input((32, 32, 3))
        h = NeuRN(5)(inputs) if neurn else inputs
        net = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10)
        built = keras.Model(inputs, net(h))
        built.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        return built

    models = {"without": model(False), "with": model(True)}
    calls = {
        name: (lambda m=m: [m.train_on_batch(x, y) for _ in range(steps)])
        for name, m in models.items()
    }
    seconds = best_seconds(calls, rounds, 1)
    return {
        "batch": batch,
        "without_s": seconds["without"] / steps,
        "with_s": seconds["with"] / steps,
    }


def time_breakdown(rounds: int, repeats: int, kernel_size: int = 5) -> list[dict]:
    """Where NeuRN's time goes under ``jax.jit`` on this machine, per input size (JAX).

    For each of ``CONFIGS``: the layer (its ``"auto"`` path), the block loop alone (cast,
    centre and write every block back, no NeuRN work) and the layer on one block of
    images against an elementwise pass on that block, each beside an elementwise pass
    over the whole batch.
    """
    return [_breakdown(batch, side, kernel_size, rounds, repeats) for batch, side in CONFIGS]


def _breakdown(batch: int, side: int, kernel_size: int, rounds: int, repeats: int) -> dict:
    import jax
    from keras import ops

    from neurn_keras.layers import NeuRN, local_std

    array = jax.numpy.asarray(test_images(batch, side))
    block = local_std.block_size(side, side, 3)
    one_block = array[:block]

    def write_back(images, rows):
        return [(0, ops.reshape(ops.cast(images, "float32"), (-1, side, side * 3)) - rows)]

    def loop_alone(t):
        centre = local_std._centre_rows(t, "float32")
        flat = local_std._map_blocks(write_back, t, centre, block, "float32")
        return ops.reshape(flat, (-1, side, side, 3))

    layer = jax.jit(NeuRN(kernel_size))
    elementwise = jax.jit(lambda t: t * 1.5)
    loop = jax.jit(loop_alone)
    timed = {
        "neurn": lambda: layer(array).block_until_ready(),
        "elementwise": lambda: elementwise(array).block_until_ready(),
        "loop": lambda: loop(array).block_until_ready(),
        "block_neurn": lambda: layer(one_block).block_until_ready(),
        "block_elementwise": lambda: elementwise(one_block).block_until_ready(),
    }
    seconds = best_seconds(timed, rounds, repeats)
    return {
        "batch": batch,
        "side": side,
        "k": kernel_size,
        "block": block,
        **{f"{name}_s": value for name, value in seconds.items()},
    }


def gpu_measure(backend: str, rounds: int, repeats: int) -> dict:
    """NeuRN (k=5) and a copy-like pass at 256×224×224×3 on the default accelerator."""
    import keras
    import numpy as np

    from neurn_keras.layers import NeuRN

    batch, side = GPU_CONFIG
    x = test_images(batch, side)
    layer = NeuRN(5)
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        array = jax.device_put(x, device)
        run = jax.jit(layer)
        copy = jax.jit(lambda t: t * 1.5)
        timed = {
            "neurn": lambda: run(array).block_until_ready(),
            "copy": lambda: copy(array).block_until_ready(),
        }
        name = f"{device.platform}: {device.device_kind}"
    else:
        import torch

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        tensor = torch.from_numpy(x).to(device)
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

        def timed_call(fn):
            def call():
                fn()
                sync()

            return call

        timed = {
            "neurn": timed_call(lambda: layer(tensor)),
            "copy": timed_call(lambda: tensor.clone()),
        }
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    seconds = best_seconds(timed, rounds, repeats)
    moved = 2 * x.nbytes  # one read of the images, one write of the output
    out = keras.ops.convert_to_numpy(layer(x[:REFERENCE_IMAGES]))
    error = float(np.abs(out - reference(x[:REFERENCE_IMAGES], 5)).max())
    return {
        "backend": backend,
        "device": name,
        "bytes": moved,
        "neurn_s": seconds["neurn"],
        "copy_s": seconds["copy"],
        "error": error,
    }


def worker(backend: str, quick: bool, gpu: bool) -> None:
    """Runs in a subprocess whose KERAS_BACKEND is ``backend``; prints result lines."""
    rounds, repeats = (3, 2) if quick else (9, 3)
    if gpu:
        print(MARK + json.dumps(gpu_measure(backend, rounds, repeats)), flush=True)
        return
    configs = CONFIGS[:1] if quick else CONFIGS
    kernels = [5] if quick else KERNEL_SIZES
    for result in measure_backend(backend, configs, kernels, rounds, repeats):
        print(MARK + json.dumps(result), flush=True)
    if backend == "jax":
        breakdown = time_breakdown(rounds, repeats)
        print(MARK + json.dumps({"breakdown": breakdown}), flush=True)
    if backend == "tensorflow":
        print(MARK + json.dumps({"retracing": retracing_check()}), flush=True)
        overhead = mobilenet_overhead(rounds=3 if quick else 7, steps=2 if quick else 5)
        print(MARK + json.dumps({"mobilenet": overhead}), flush=True)


def run_worker(backend: str, quick: bool, gpu: bool = False) -> list[dict]:
    """Runs :func:`worker` in a fresh process with that Keras backend; its result dicts."""
    command = [sys.executable, "-m", "benchmarks.neurn_layer", "--worker", backend]
    command += ["--quick"] * quick + ["--gpu"] * gpu
    env = dict(os.environ, KERAS_BACKEND=backend)
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if process.returncode != 0:
        raise SystemExit(f"the {backend} worker failed:\n{process.stderr[-3000:]}")
    results = []
    for line in process.stdout.splitlines():
        if line.startswith(MARK):
            results.append(json.loads(line[len(MARK) :]))
            print(f"  {backend}: {line[len(MARK) :][:160]}", flush=True)
    return results


# --- the page ------------------------------------------------------------------------------


def ratio(value: float) -> str:
    return f"{value:.1f}×"


def backend_table(rows: list[dict], backend: str) -> str:
    """One row per (input, k): NeuRN / elementwise for every path, floor, patches, error."""
    paths = PATHS[backend]
    header = ["input", "k", *paths, "floor (compiled)", "whole batch (compiled)"]
    if backend == "tensorflow":
        header.append("speed-up over patches (tf.function)")
    header.append("max error")
    table = []
    keys = sorted({(r["batch"], r["side"], r["k"]) for r in rows}, key=lambda t: (-t[1], t[2]))
    for batch, side, k in keys:
        cells = {r["path"]: r for r in rows if (r["batch"], r["side"], r["k"]) == (batch, side, k)}
        line = [f"{batch}×{side}×{side}×3", k]
        line += [ratio(cells[p]["neurn_s"] / cells[p]["elementwise_s"]) for p in paths]
        compiled = cells["tf.function XLA" if backend == "tensorflow" else "jax.jit"]
        line.append(ratio(compiled["floor_s"] / compiled["elementwise_s"]))
        line.append(ratio(compiled["whole_s"] / compiled["elementwise_s"]))
        if backend == "tensorflow":
            plain = cells["tf.function"]
            line.append(ratio(plain["patches_s"] / plain["neurn_s"]))
        line.append(f"{compiled['error']:.1e}")
        table.append(line)
    return markdown_table(header, table)


def targets_text(rows: list[dict], extras: dict) -> str:
    """The issue's targets, each with what was measured and whether it is met."""

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = ["Targets on this machine:", ""]
    for backend in PATHS:
        for path in PATHS[backend]:
            values = [
                (r["neurn_s"] / r["elementwise_s"], r)
                for r in rows
                if r["backend"] == backend and r["path"] == path and r["k"] in TARGET_KERNELS
            ]
            if not values:
                continue
            worst, where = max(values, key=lambda v: v[0])
            best = min(v[0] for v in values)
            kernels = " and ".join(str(k) for k in TARGET_KERNELS)
            lines.append(
                f"- {backend}, {path}: at most {TARGET_RATIO:g}× the elementwise pass for "
                f"k = {kernels}: "
                f"{best:.1f}× to {worst:.1f}× (worst at {where['side']}×{where['side']}, "
                f"k={where['k']}), {verdict(worst <= TARGET_RATIO)}"
            )
    patches = [r["patches_s"] / r["neurn_s"] for r in rows if "patches_s" in r and r["side"] == 224]
    at_k5 = [
        r["patches_s"] / r["neurn_s"]
        for r in rows
        if "patches_s" in r and r["side"] == 224 and r["k"] == 5
    ]
    if at_k5:
        lines.append(
            f"- at least {TARGET_SPEEDUP:g}× faster than patches at 224×224, k=5 (both in a "
            f"`tf.function`): {at_k5[0]:.1f}× ({min(patches):.1f}× to {max(patches):.1f}× "
            f"over k at 224×224), {verdict(at_k5[0] >= TARGET_SPEEDUP)}"
        )
    check = extras.get("retracing")
    if check:
        lines.append(
            f"- no retracing beyond one per image size: {check['calls']} eager calls over "
            f"{check['image_sizes']} image sizes and 3 batch sizes traced the layer's XLA "
            f"function {check['traces']} times, "
            f"{'with' if check['warned'] else 'without'} a retracing warning, "
            f"{verdict(check['traces'] <= check['image_sizes'] and not check['warned'])}"
        )
    return "\n".join(lines)


def mobilenet_text(result: dict) -> str:
    ratio_ = result["with_s"] / result["without_s"]
    return (
        "Training step of `keras.applications.MobileNetV2(weights=None)` at 32×32×3, batch "
        f"{result['batch']}, Adam, TensorFlow: {result['without_s'] * 1e3:.1f} ms without "
        f"NeuRN, {result['with_s'] * 1e3:.1f} ms with NeuRN (k=5): ratio **{ratio_:.3f}** "
        f"({(ratio_ - 1) * 100:+.1f}%)."
    )


def span(values) -> str:
    """``"a×"`` or ``"a× to b×"`` for a few ratios."""
    low, high = min(values), max(values)
    return ratio(low) if f"{low:.1f}" == f"{high:.1f}" else f"{ratio(low)} to {ratio(high)}"


def device_paths_text(rows: list[dict]) -> str:
    """Which batch path each backend takes on each kind of device, and why (the rule from
    ``placement.path_for``; the CPU numbers from ``rows``)."""
    from neurn_keras.layers.local_std import BLOCK_BYTES, block_size
    from neurn_keras.layers.placement import path_for

    block = f"{BLOCK_BYTES / 2**20:g} MiB"
    labels = {"cache": f"blocks of about {block}", "whole": "the whole batch"}
    table = []
    for backend, title in BACKEND_TITLES.items():
        cells = [labels[path_for(backend, kind)] for kind in DEVICE_KINDS]
        if backend == "torch":
            cells = [f"{cell} (average pooling)" for cell in cells]
        table.append([title, *cells])
    measured = []
    for backend, path in (("tensorflow", "tf.function XLA"), ("jax", "jax.jit")):
        compiled = [r for r in rows if r["backend"] == backend and r["path"] == path]
        if compiled:
            blocked = span([r["neurn_s"] / r["elementwise_s"] for r in compiled])
            whole = span([r["whole_s"] / r["elementwise_s"] for r in compiled])
            measured.append(
                f"{BACKEND_TITLES[backend]} ({path}): {blocked} with blocks, {whole} as one block"
            )
    batch, side = GPU_CONFIG
    per_block = block_size(side, side, 3)
    steps = -(-batch // per_block)
    return (
        f"{markdown_table(['backend', *DEVICE_KINDS.values()], table)}\n\n"
        "On a CPU the blocks keep each block's intermediates in the cache. On this machine "
        "the compiled layer costs, in elementwise passes (the compiled columns above), "
        f"{'; '.join(measured)}. "
        "On a GPU or TPU the block loop would run a batch of "
        f"{batch}×{side}×{side}×3 as {steps} sequential steps of {per_block} images, each "
        "too small to fill the device, so there the whole batch is one block. The "
        "accelerator path is not measured on this page, made on a machine without one; "
        "`python -m benchmarks.neurn_layer --gpu` measures it. PyTorch runs op by op, "
        "where a block costs a dozen separate library calls: it takes the whole batch, in "
        "a few average-pooling calls, on every device.\n\n"
        "The device is the one the layer runs on, read from the backend when it runs "
        "(`neurn_keras/layers/placement.py`), never the kind of machine: JAX: the device an "
        "input array is committed to, else JAX's default device (also for the tracers "
        "inside an outer `jax.jit`); TensorFlow: where its placer puts a probe op made "
        "beside the layer's (eagerly the device it ran on; in a graph its `tf.device` "
        "request, else TensorFlow's own choice, its first GPU if it sees one), and the host "
        "inside `tf.data`, whose functions always run there; PyTorch: the tensor's device. "
        '`NeuRN(blocking="cache")` or `"whole"` forces a path anywhere; the paths give the '
        "same output up to float rounding (tested on all three backends)."
    )


def breakdown_table(breakdown: list[dict]) -> str:
    """The measured pieces of NeuRN's time (JAX, ``jax.jit``) per input size."""
    table = []
    for r in breakdown:
        elementwise = r["elementwise_s"]
        table.append(
            [
                f"{r['batch']}×{r['side']}×{r['side']}×3",
                r["k"],
                r["block"],
                ratio(r["neurn_s"] / elementwise),
                ratio(r["loop_s"] / elementwise),
                ratio(r["block_neurn_s"] / r["block_elementwise_s"]),
                f"{r['elementwise_s'] / r['batch'] * 1e6:.1f} / "
                f"{r['block_elementwise_s'] / r['block'] * 1e6:.1f}",
                f"{r['neurn_s'] / r['batch'] * 1e6:.0f} / "
                f"{r['block_neurn_s'] / r['block'] * 1e6:.0f}",
            ]
        )
    header = [
        "input",
        "k",
        "images per block",
        "NeuRN (jax.jit)",
        "the block loop alone",
        "one block: NeuRN / elementwise on it",
        "elementwise µs per image: batch / one block",
        "NeuRN µs per image: batch / one block",
    ]
    return markdown_table(header, table)


HOW_TO_READ = """\
How to read it. Every cell is the layer's time over the time of `x * 1.5` on the same
float32 tensor, both called the way the column says. An elementwise pass reads the images
once and writes them once. NeuRN cannot do less, and it needs each image's largest σ
before it can write anything, so with σ computed once and kept its floor is about 2×:
the "floor (compiled)" column measures the simplest program with that shape, each image
over its own maximum (a reduction, then a read and a write), compiled like the layer.
The Keras columns add the same fixed costs to both sides (the data adapter, the
`train_on_batch` bookkeeping, the Dense head and its gradients), which pulls their ratios
towards 1; `tf.data` runs the map in its own thread pool. The compiled columns
(`tf.function XLA`, `jax.jit`) are the bare cost; "whole batch (compiled)" is the same
compiled call with `NeuRN(blocking="whole")`, the path for accelerators, on this CPU.
"""


def time_text(breakdown: list[dict]) -> str:
    """Where the time goes, with the measured breakdown, and what was tried."""
    from neurn_keras.layers.local_std import BLOCK_BYTES

    loop = [r["loop_s"] / r["elementwise_s"] for r in breakdown]
    in_cache = [r["block_neurn_s"] / r["block_elementwise_s"] for r in breakdown]
    return f"""\
Measured under `jax.jit` in the same way, each against an elementwise pass over the same
tensor: the layer; the block loop alone (cast, centre and write every block back, with no
NeuRN work); and the layer on one block of images, all of it in the cache, against an
elementwise pass over that block:

{breakdown_table(breakdown)}

The batch is cut into blocks of about {BLOCK_BYTES / 2**20:g} MiB of input, looped over
inside the compiled program, so that a block's intermediate arrays stay in the CPU's cache
and only the input read and the output write reach main memory (one pass over the whole
batch per step was what made the time grow faster than the batch: the intermediates did
not fit in the cache, and buffers above glibc's 32 MiB mmap threshold are page-faulted in
anew on every call; the "whole batch (compiled)" column shows what that costs). The loop
alone, whose output buffer XLA must fill before the loop, costs {span(loop)} an
elementwise pass. What stands between NeuRN and the {TARGET_RATIO:g}× target is the work
per value, not memory traffic: one block in the cache costs {span(in_cache)} an
elementwise pass over the same block. XLA's CPU code makes five passes over each block,
which read or write about a dozen block-sized arrays in all, where an elementwise pass
reads one and writes one: centre and pad the rows (a gather: read the images, write the
padded block); the vertical sums of the centred values and of their squares (read it,
write two arrays); the horizontal sums with σ, the interior and the k//2 edge columns at
either side apart (read two, write one); the maximum (read one); and the division (read
one, write into the loop's output, which was filled once before). Its code for the k-term
sums reads k shifted slices per value, so the time grows with k; at 32×32 the rows are
only 32·3 values long, so every loop's fixed cost and the separately summed edge columns
weigh more.

Tried and dropped, measured in /tmp scripts on this machine: integral images (float32
cumulative sums of squares over a row lose the 2e-3 accuracy), one k×k pooling or
depthwise convolution, concatenations along the last axis (XLA emits branchy loops for
them), per-channel broadcasts in the NHWC layout (3 values per innermost loop), the whole
image as one flat axis (XLA inserted layout copies), two blocks per loop iteration, and
`optimization_barrier` (no effect on XLA's CPU fusion here; a division by a run-time
array of ones marks the arrays that must be computed once instead). Then, for the
{TARGET_RATIO:g}× target: vertical sums read straight from the unpadded block with the
edge rows summed apart, joined by a concatenation along the rows or written into a padded
buffer, or kept as separate row parts (2 to 4 times slower: XLA fused the centring and the
slicing of the input into every shifted read); the rows and the columns padded by one
gather, so that no edge columns are summed apart (1.3 to 1.5 times slower);
`lax.reduce_window` for the sums (1.2 to 1.6 times slower); gathers of identity indices
instead of the division by ones to store arrays once (2 to 3 times slower); a
multiplication by 1/c instead of the division (no change beyond the noise); and blocks of
256 KiB to 8 MiB (none better than 2 MiB beyond the noise). The ratios on this shared
2-core machine move from run to run with its load, the elementwise pass (bound by memory
bandwidth) more than NeuRN; the µs columns above give both.
"""


def gpu_table(results: list[dict]) -> str:
    rows = []
    for r in results:
        rate = r["bytes"] / r["neurn_s"] / 1e9
        copy_rate = r["bytes"] / r["copy_s"] / 1e9
        rows.append(
            [
                r["backend"],
                r["device"],
                f"{rate:,.0f}",
                f"{copy_rate:,.0f}",
                f"{rate / copy_rate:.0%}",
                f"{r['error']:.1e}",
            ]
        )
    header = [
        "backend",
        "device",
        "NeuRN GB/s",
        "copy GB/s",
        "NeuRN / copy",
        "max error",
    ]
    batch, side = GPU_CONFIG
    return (
        f"NeuRN (k=5) on {batch}×{side}×{side}×3 float32, bytes moved per second (one read, "
        "one write), beside an elementwise pass (`x * 1.5`, PyTorch: `clone()`) in the same "
        "run:\n\n" + markdown_table(header, rows)
    )


def parse_args(argv=None) -> argparse.Namespace:
    # Plain argparse: importing neurn_keras would import Keras, and with it TensorFlow
    # (its default backend), before --gpu has chosen a backend for its workers.
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.neurn_layer", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="one size and k=5 (a smoke check)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only write the page and its README section, from docs/results/neurn_layer.json",
    )
    parser.add_argument(
        "--gpu",
        action="store_true",
        help="JAX and PyTorch on the default accelerator at 256×224×224×3; prints the table",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args.worker, args.quick, args.gpu)
        return
    if args.gpu:
        results = []
        for backend in ("jax", "torch"):
            results += run_worker(backend, args.quick, gpu=True)
        print(gpu_table(results))
        return
    if not args.report_only:
        import platform

        from neurn_keras.environment import versions

        results = [{"environment": {"versions": versions(), "platform": platform.machine()}}]
        for backend in PATHS:
            results += run_worker(backend, args.quick)
        MEASURED.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    report()


def report() -> None:
    """The page and the README's summary, from ``docs/results/neurn_layer.json``."""
    results = json.loads(MEASURED.read_text(encoding="utf-8"))
    rows = [r for r in results if "path" in r]
    keys = ("retracing", "mobilenet", "breakdown", "environment")
    extras = {key: r[key] for r in results for key in r if key in keys}
    environment = extras.get("environment", {})
    write_page(PAGE, "NeuRN layer: speed and accuracy", page_body(rows, extras),
               [(environment.get("versions", {}), environment.get("platform", ""))])  # fmt: skip
    write_section(README, "results-neurn", readme_summary(rows, extras, PAGE))


def page_body(rows: list[dict], extras: dict) -> str:
    notes = "\n".join(f"- `{path}`: {note}" for path, note in PATH_NOTES.items())
    return (
        'NeuRN\'s time (`method="moments"`, reflect padding) over the time of an '
        "elementwise pass (`x * 1.5`) on the same float32 tensor of raw 0..255 pixels "
        "(noise with flat regions), both called the same way, measured in the same "
        "process (best of alternating rounds). Paths:\n\n"
        f"{notes}\n\n"
        "### TensorFlow\n\n"
        f"{backend_table([r for r in rows if r['backend'] == 'tensorflow'], 'tensorflow')}\n\n"
        "### JAX\n\n"
        f"{backend_table([r for r in rows if r['backend'] == 'jax'], 'jax')}\n\n"
        f"Max error: largest absolute difference from a float64 NumPy reference on the first "
        f"{REFERENCE_IMAGES} images (outputs are in [0, 1]).\n\n"
        f"{targets_text(rows, extras)}\n\n"
        + (f"{mobilenet_text(extras['mobilenet'])}\n\n" if "mobilenet" in extras else "")
        + f"{HOW_TO_READ}\n"
        + "### Which batch path each device takes\n\n"
        + f"{device_paths_text(rows)}\n\n"
        + "### Where the time goes\n\n"
        + time_text(extras["breakdown"])
    )


def readme_summary(rows: list[dict], extras: dict, page: Path) -> str:
    """A few lines for the README: the compiled paths' ratios, the target, the training cost."""
    link = page.relative_to(ROOT).as_posix()
    parts = []
    for backend, path in (("jax", "jax.jit"), ("tensorflow", "tf.function")):
        values = [
            r["neurn_s"] / r["elementwise_s"]
            for r in rows
            if r["backend"] == backend and r["path"] == path and r["k"] in TARGET_KERNELS
        ]
        if values:
            parts.append(f"under `{path}` {span(values)}")
    text = (
        f"**The NeuRN layer** ([{link}]({link}), `python -m benchmarks.neurn_layer`): on this "
        f"2-core CPU it costs {' and '.join(parts)} an elementwise pass over the same "
        f"tensor (k = {' and '.join(map(str, TARGET_KERNELS))}; the target, "
        f"{TARGET_RATIO:g}×, is not met everywhere: the page says where the time goes)"
    )
    if "mobilenet" in extras:
        result = extras["mobilenet"]
        change = (result["with_s"] / result["without_s"] - 1) * 100
        text += f"; in a MobileNetV2 training step it adds {change:+.1f}%"
    return text + "."


if __name__ == "__main__":
    main()
