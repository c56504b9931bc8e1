"""NeuRN speed on every way a user calls it, each against an elementwise pass called alike.

For every calling path (the layer called directly, in a ``tf.function``, in a ``tf.data``
map, under ``jax.jit``, in a Keras model's ``predict`` and training step) the layer and
an elementwise pass over the same float32 tensor (``x * 1.5``, or ``Rescaling(1.5)`` in
a model) are built and called the same way and timed in the same process, alternating
round by round, so that a shared machine's drifts hit both alike; the table gives the
ratio of the best rounds. Each backend runs in its own process (Keras fixes the backend at
import).

    python -m benchmarks.neurn_layer                  # docs/results/neurn_layer.md
    python -m benchmarks.neurn_layer --quick          # one size, k=5: a smoke check
    python -m benchmarks.neurn_layer --update-readme  # also the README's copy
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

from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)

CONFIGS = [(32, 224), (1024, 32)]  # (batch, side), 3 channels
KERNEL_SIZES = [3, 5, 9]
GPU_CONFIG = (256, 224)
TARGET_RATIO = 4.0  # the target: at most 4× an elementwise pass
TARGET_SPEEDUP = 20.0  # and at least 20× faster than patches at 224×224, k=5
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
    extra = {
        "floor": lambda: floor(tensor).numpy(),
        "patches": lambda: patches(tensor).numpy(),
    }
    return neurn, plain, extra


def jax_paths(layer, elementwise, x, labels) -> dict:
    """{path: callable} for the JAX backend; each blocks until its result exists."""
    import jax
    import keras

    array = jax.numpy.asarray(x)
    neurn = {"call": lambda: layer(array).block_until_ready()}
    plain = {"call": lambda: elementwise(array).block_until_ready()}
    neurn_jit, plain_jit = jax.jit(layer), jax.jit(elementwise)
    neurn["jax.jit"] = lambda: neurn_jit(array).block_until_ready()
    plain["jax.jit"] = lambda: plain_jit(array).block_until_ready()
    neurn.update(_keras_paths(lambda: layer, x, labels))
    plain.update(_keras_paths(lambda: keras.layers.Rescaling(1.5), x, labels))
    floor = jax.jit(lambda t: t / (1.0 + t.max(axis=(1, 2, 3), keepdims=True)))
    return neurn, plain, {"floor": lambda: floor(array).block_until_ready()}


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
    from neurn_keras.layers.local_std_tf import _neurn_function

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
    traces = _neurn_function(7, "reflect", "float32", "float32").experimental_get_tracing_count()
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
    header = ["input", "k", *paths, "floor (compiled)"]
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
                if r["backend"] == backend and r["path"] == path
            ]
            if not values:
                continue
            worst, where = max(values, key=lambda v: v[0])
            best = min(v[0] for v in values)
            lines.append(
                f"- {backend}, {path}: at most {TARGET_RATIO:g}× the elementwise pass: "
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


EXPLANATION = """\
How to read it. Every cell is the layer's time over the time of `x * 1.5` on the same
float32 tensor, both called the way the column says. An elementwise pass reads the images
once and writes them once. NeuRN cannot do less, and it needs each image's largest σ
before it can write anything, so with σ computed once and kept its floor is about 2×:
the "floor (compiled)" column measures the simplest program with that shape, each image
over its own maximum (a reduction, then a read and a write), compiled like the layer.
The Keras columns add the same fixed costs to both sides (the data adapter, the
`train_on_batch` bookkeeping, the Dense head and its gradients), which pulls their ratios
towards 1; `tf.data` runs the map in its own thread pool. The compiled columns
(`tf.function XLA`, `jax.jit`) are the bare cost.

Where the time goes (`neurn_keras/layers/local_std.py`). The batch is cut into blocks of
about {block} of input, looped over inside the compiled program, so that a block's
intermediate arrays stay in the CPU's cache and only the input read and the output write
reach main memory (one pass over the whole batch per step was what made the time grow
faster than the batch: the intermediates did not fit in the cache, and buffers above
glibc's 32 MiB mmap threshold are page-faulted in anew on every call). The loop's output
buffer has to be filled before the loop (XLA has no uninitialised buffers): about half an
elementwise pass. Each block then takes five passes over cache-resident data: centre and
pad the rows (a gather), the vertical sums of the centred values and of their squares,
the horizontal sums with σ, the maximum, and the division written into the output. XLA's
CPU code for the k-term sums reads k shifted slices per value, so the time grows with k;
at 32×32 the rows are only 32·3 values long, so every loop's fixed cost and the
separately summed edge columns weigh
more. Tried and dropped, measured in /tmp scripts on this machine: integral images
(float32 cumulative sums of squares over a row lose the 2e-3 accuracy), one k×k pooling
or depthwise convolution, concatenations along the last axis (XLA emits branchy loops for
them), per-channel broadcasts in the NHWC layout (3 values per innermost loop), the whole
image as one flat axis (XLA inserted layout copies), two blocks per loop iteration, and
`optimization_barrier` (no effect on XLA's CPU fusion here; a division by a run-time
array of ones marks the arrays that must be computed once instead).
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
        "--output",
        type=Path,
        default=ROOT / "docs" / "results" / "neurn_layer.md",
        help="results page to write (default: docs/results/neurn_layer.md)",
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="also put the tables in README.md"
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
    if args.update_readme:
        check_readme_section("results-neurn")
    results = []
    for backend in PATHS:
        results += run_worker(backend, args.quick)
    from neurn_keras.layers.local_std import BLOCK_BYTES

    rows = [r for r in results if "path" in r]
    extras = {key: r[key] for r in results for key in r if key in ("retracing", "mobilenet")}
    notes = "\n".join(f"- `{path}`: {note}" for path, note in PATH_NOTES.items())
    body = (
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
        + EXPLANATION.format(block=f"{BLOCK_BYTES / 2**20:g} MiB")
    )
    write_page(args.output, "NeuRN layer: speed and accuracy", body)
    print(f"wrote {args.output}")
    if args.update_readme:
        replace_readme_section(
            "results-neurn",
            "## Results: the NeuRN layer\n\n"
            f"From [{args.output.relative_to(ROOT)}]({args.output.relative_to(ROOT)}), made by "
            "`python -m benchmarks.neurn_layer --update-readme`.\n\n" + body,
        )
        print("updated README.md")


if __name__ == "__main__":
    main()
