"""Training throughput per Keras backend -> docs/results/training_throughput.md

Each backend runs in its own process (a Keras backend is fixed when Keras is imported):
DigitNet and MobileNetV2 (``weights=None``), with NeuRN, at 32x32x3 and batch 256, are
trained with ``Model.fit`` on the package's backend-neutral ``TrainingStream`` (a Keras
``PyDataset``). On TensorFlow the same model is also fed the same batches by the
``tf.data`` pipeline of ``training/batches_tf.py``, which ``python -m neurn_keras.train``
uses there because it is faster; elsewhere it uses the ``TrainingStream``. Images per
second are the median over rounds of ``STEPS`` steps after a warm-up epoch; ratios are
against TensorFlow with the ``TrainingStream``, measured by the same script run.

    python -m benchmarks.training_throughput                  # table on this machine
    python -m benchmarks.training_throughput --update-readme
    python -m benchmarks.training_throughput --backends jax torch --page /tmp/gpu.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._report import ROOT, check_readme_section, markdown_table, replace_readme_section

MODELS = ("digitnet", "mobilenetv2")
BACKENDS = ("tensorflow", "jax", "torch")
BATCH = 256
STEPS = 8
ROUNDS = 5
IMAGES = BATCH * STEPS


def _fit_seconds(model, data, steps: int) -> float:
    started = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - started


def worker(rounds: int) -> dict:
    """In one backend's process: images/s per model (and pipeline, on TensorFlow)."""
    import keras
    import numpy as np

    from neurn_keras import applications
    from neurn_keras.training.batches import TrainingStream

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (IMAGES, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, IMAGES).astype(np.int64)
    pipelines = {"TrainingStream": lambda: TrainingStream(x, y, BATCH, seed=0)}
    if keras.backend.backend() == "tensorflow":
        from neurn_keras.training.batches_tf import tf_training_stream

        pipelines["tf.data"] = lambda: tf_training_stream(TrainingStream(x, y, BATCH, seed=0))
    out = {}
    for name in MODELS:
        keras.utils.set_random_seed(0)
        model = applications.build_model(name, neurn=True, input_shape=(32, 32, 3))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        streams = {pipeline: make() for pipeline, make in pipelines.items()}
        for stream in streams.values():
            _fit_seconds(model, stream, STEPS)  # compile and warm up
        samples = {pipeline: [] for pipeline in streams}
        for _ in range(rounds):  # alternate, so that drifts of a shared machine hit all alike
            for pipeline, stream in streams.items():
                samples[pipeline].append(_fit_seconds(model, stream, STEPS))
        for pipeline, seconds in samples.items():
            out[f"{name}/{pipeline}"] = IMAGES / statistics.median(seconds)
    import platform

    out["versions"] = {
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "python": platform.python_version(),
    }
    return out


def run_backend(backend: str, rounds: int) -> dict | None:
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "benchmarks.training_throughput", "--worker",
               "--rounds", str(rounds)]  # fmt: skip
    print(f"{backend}: measuring", flush=True)
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT)
    if result.returncode != 0:
        print(f"{backend}: failed\n{result.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def available(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def table(results: dict[str, dict]) -> str:
    baseline = results.get("tensorflow", {})
    rows = []
    for backend, measured in results.items():
        for key, value in measured.items():
            if key == "versions":
                continue
            model, pipeline = key.split("/")
            base = baseline.get(f"{model}/TrainingStream")
            ratio = f"{value / base:.2f}×" if base else "–"
            rows.append([model, backend, pipeline, f"{value:,.0f}", ratio])
    rows.sort(key=lambda row: (MODELS.index(row[0]), row[1] != "tensorflow", row[1], row[2]))
    header = ["model (+NeuRN)", "backend", "input pipeline", "images/s", "vs TensorFlow"]
    return markdown_table(header, rows)


def page(
    results: dict[str, dict], skipped: list[str], load: tuple[float, float], rounds: int
) -> str:
    import platform

    cores = len(os.sched_getaffinity(0))
    note = (
        f"Training throughput of `Model.fit` at 32×32×3, batch {BATCH}, Adam, NeuRN in front "
        f"(median of {rounds} rounds of {STEPS} steps after a warm-up), on "
        f"{platform.machine()} with {cores} CPU cores. `TrainingStream` is the package's "
        "backend-neutral input pipeline (a Keras `PyDataset`), which `python -m "
        "neurn_keras.train` uses on JAX and PyTorch; on TensorFlow it feeds the same batches "
        "through `tf.data` instead (compare the two rows of TensorFlow below). "
        "Ratios: images/s against TensorFlow with `TrainingStream`, measured in the same "
        "script run."
    )
    note += (
        f" The machine's load average was {load[0]:.1f} when the script started and "
        f"{load[1]:.1f} when it ended (above {cores}: other work shared the cores, and the "
        "absolute numbers are low by about that factor; the ratios less so)."
    )
    if skipped:
        note += f" Not measured (not installed): {', '.join(skipped)}."
    return note + "\n\n" + table(results) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--page", type=Path, default=ROOT / "docs/results/training_throughput.md")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.rounds)))
        return 0
    if args.update_readme:
        check_readme_section("training-throughput")
    results, skipped = {}, []
    load_before = os.getloadavg()[0]
    for backend in args.backends:
        if not available(backend):
            skipped.append(backend)
            continue
        measured = run_backend(backend, args.rounds)
        if measured is not None:
            results[backend] = measured
    body = page(results, skipped, (load_before, os.getloadavg()[0]), args.rounds)
    from benchmarks._report import write_page

    write_page(args.page, "Training throughput per Keras backend", body)
    print(body)
    if args.update_readme:
        replace_readme_section("training-throughput", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
