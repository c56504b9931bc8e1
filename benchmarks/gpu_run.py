"""One GPU run under JAX: NeuRN against a device copy, the train-step floor and Model.fit.

Measures, on the default JAX device, in one process:

1. NeuRN (k=5) under ``jax.jit`` against an elementwise pass over the same float32 images
   (``x * 1.5``: one read, one write, as a device copy), as bytes moved per second, at the
   training shape 256×32×32×3 and at 64×224×224×3;
2. for DigitNet and MobileNetV2 at 32×32×3, each without and with NeuRN: the train-step
   floor (Keras's compiled train step on one batch already on the device) and
   ``Model.fit`` as ``python -m neurn_keras.train`` calls it (its ``training_batches`` and
   the recipe's callbacks), as images/s, alternating round by round, each round 211 steps
   (one epoch of MNIST at batch 256; ``benchmarks/_throughput.py``).

It writes the results file after every part (a run cut short keeps what it measured)
and stops starting rounds after ``--budget`` seconds. ``--report-only`` turns a results
file into the GPU section of ``docs/results/training_throughput.md`` (which
``benchmarks.training_throughput`` also keeps when it rewrites the page).

The GPU machine has Python 3.12 with JAX and PyTorch but no TensorFlow and no internet.
Pack the keras wheels into ``.device`` here, from the repository root (with the
smallest data file only: this script reads no data, and everything carried must stay
within 64 MiB)::

    ../shared/tools/device-pack usps.npz

then make one call of the device tool (``.device`` is ignored by git, so it must be
carried; the script needs about 5 minutes, and its budget keeps it under 9)::

    run(command="source .device/setup.sh && "
                "python -m benchmarks.gpu_run --output $OUT/gpu_run.json",
        carry=[".device"], timeout_s=570)

and back here, with the file it brought back (under the reply's ``files_at``)::

    cp <files_at>/gpu_run.json docs/results/gpu_run.json
    python -m benchmarks.gpu_run --report-only

On a CPU, ``KERAS_BACKEND=jax python -m benchmarks.gpu_run --small --output /tmp/g.json``
runs every part at a tiny size (a smoke test; ``tests/benchmarks/test_gpu_run.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from benchmarks._throughput import GPU_RESULTS as RESULTS
from benchmarks._throughput import MODELS, gpu_section

# a round: 211 steps of 256, one epoch of MNIST's 54,000 training images, as train's epochs
FULL = {"batch": 256, "steps": 211, "rounds": 5, "shapes": [(256, 32, 32, 3), (64, 224, 224, 3)]}
SMALL = {"batch": 8, "steps": 2, "rounds": 1, "shapes": [(8, 32, 32, 3), (2, 64, 64, 3)]}


def neurn_bandwidth(shape: tuple[int, ...], rounds: int, repeats: int = 10) -> dict:
    """Bytes moved per second by NeuRN (k=5) and by ``x * 1.5`` on the same images."""
    import jax
    import numpy as np

    from neurn_keras.layers import NeuRN

    images = np.random.default_rng(0).integers(0, 256, shape).astype(np.float32)
    x = jax.device_put(images)
    calls = {"neurn": jax.jit(NeuRN(5)), "copy": jax.jit(lambda t: t * 1.5)}
    best = {}
    for name, call in calls.items():
        call(x).block_until_ready()  # compile
        best[name] = float("inf")
    for _ in range(max(rounds, 3)):
        for name, call in calls.items():
            started = time.perf_counter()
            for _ in range(repeats):
                out = call(x)
            out.block_until_ready()
            best[name] = min(best[name], (time.perf_counter() - started) / repeats)
    moved = 2 * images.nbytes  # one read of the images, one write of the output
    return {
        "shape": list(shape),
        "bytes": moved,
        "neurn_bytes_per_s": moved / best["neurn"],
        "copy_bytes_per_s": moved / best["copy"],
    }


def training(model: str, settings: dict, deadline: float) -> dict:
    """Images/s of the floor and of ``fit`` on ``train``'s pipeline, without and with NeuRN."""
    from benchmarks._throughput import Case, measure

    cases = [Case(model, neurn, feed) for feed in ("step", "pipeline") for neurn in (False, True)]
    return measure(cases, settings["batch"], settings["steps"], settings["rounds"], (32, 32, 3),
                   deadline=deadline)  # fmt: skip


def device_name() -> str:
    import jax

    device = jax.devices()[0]
    return f"{device.platform}: {device.device_kind}"


def measure_all(settings: dict, output: Path, budget: float, models=MODELS) -> dict:
    """Every part, the results file rewritten after each; parts past the budget are skipped."""
    import keras

    from neurn_keras.environment import versions

    if keras.backend.backend() != "jax":
        raise SystemExit("benchmarks.gpu_run measures JAX: set KERAS_BACKEND=jax")
    deadline = time.monotonic() + budget
    results = {
        "device": device_name(),
        "settings": {key: value for key, value in settings.items() if key != "shapes"},
        "versions": versions(),
        "platform": platform.platform(),
        "neurn": [],
        "training": {},
        "skipped": [],
        "seconds": 0.0,
    }
    started = time.monotonic()
    parts = [("neurn", shape) for shape in settings["shapes"]] + [("training", m) for m in models]
    for kind, what in parts:
        left = deadline - time.monotonic()
        if left < 0 or (kind == "training" and left < budget / 3):  # compiling takes a while
            results["skipped"].append(f"{kind} {what}")
            continue
        print(f"gpu_run: {kind} {what}", flush=True)
        if kind == "neurn":
            results["neurn"].append(neurn_bandwidth(what, settings["rounds"]))
        else:
            results["training"].update(training(what, settings, deadline))
        results["seconds"] = round(time.monotonic() - started, 1)
        write_results(results, output)
    return results


def write_results(results: dict, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(json.dumps(results, indent=1) + "\n")
    os.replace(partial, output)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=RESULTS, help="the results file")
    parser.add_argument("--small", action="store_true", help="tiny sizes: a CPU smoke test")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds; no round after")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="print the GPU section from --output (the page: python -m "
        "benchmarks.training_throughput --report-only)",
    )
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report_only:
        print(gpu_section(args.output))
        return 0
    os.environ.setdefault("KERAS_BACKEND", "jax")
    results = measure_all(SMALL if args.small else FULL, args.output, args.budget, args.models)
    print(json.dumps(results, indent=1))
    print(gpu_section(args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
