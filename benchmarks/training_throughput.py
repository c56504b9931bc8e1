"""Training throughput per Keras backend, floor and fit -> docs/results/training_throughput.md

Each backend runs in its own process (a Keras backend is fixed when Keras is imported).
For DigitNet and MobileNetV2 (``weights=None``) at 32x32x3 and batch 256 it times, in
the same process and alternating round by round (``benchmarks/_throughput.py``):

1. the floor: Keras's own train step, compiled as ``Model.fit`` compiles it, on one batch
   already on the device: no input pipeline, no callbacks, no NeuRN;
2. the same with NeuRN in front;
3. ``Model.fit`` with NeuRN on Keras's own array feed (in-memory float32 arrays);
4. ``Model.fit`` with NeuRN as ``python -m neurn_keras.train`` calls it: on
   ``training_batches`` (``tf.data`` on TensorFlow, the ``TrainingStream`` ``PyDataset``
   elsewhere) with the recipe's callbacks; on TensorFlow also on the ``TrainingStream``.

Images per second are the median over rounds of ``STEPS`` steps after a warm-up; the
ratios are against the floor of the same backend (where the time goes) and the floors
against TensorFlow's (the backends themselves), all from the same script run. Step 4
runs epochs of ``STEPS`` and ``LONG_EPOCH * STEPS`` steps, which separates its time per
step from the epoch's fixed work (Precise BN, the backup, ``fit``'s set-up); its time
per image over the floor's is stated at the epoch lengths of ``EPOCHS``. The target:
at most 1.25x.

    python -m benchmarks.training_throughput                  # the page, this machine
    python -m benchmarks.training_throughput                # measure, then the page
    python -m benchmarks.training_throughput --backends jax torch --page /tmp/cpu.md \\
        --results /tmp/cpu.json
    python -m benchmarks.training_throughput --report-only  # the page from the json

The page's GPU section comes from ``docs/results/gpu_run.json`` (``benchmarks.gpu_run``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys

from benchmarks._throughput import (
    LONG_EPOCH,
    MODELS,
    TARGET,
    gpu_section,
    rate_cell,
    target_verdict,
)
from benchmarks.results import (
    README,
    RESULTS,
    ROOT,
    markdown_table,
    write_page,
    write_section,
)

PAGE = RESULTS / "training_throughput.md"
MEASURED = RESULTS / "training_throughput.json"
TRAINING_DOC = ROOT / "docs" / "training.md"

BACKENDS = ("tensorflow", "jax", "torch")
BATCH = 256
STEPS = 8
ROUNDS = 5
EPOCHS = {
    "Table 1's snapshot (36 steps an epoch)": 36,  # 9,000 training images
    "MNIST (211 steps an epoch)": 211,  # 54,000 training images, the default run
}
"""Epoch lengths at which the page states ``train``'s time per image over the floor's."""
MARK = "RESULT "


def backend_cases(model: str, backend: str) -> list:
    from benchmarks._throughput import Case

    cases = [Case(model, False, "step"), Case(model, True, "step")]
    cases += [Case(model, True, "arrays"), Case(model, True, "pipeline")]
    if backend == "tensorflow":
        cases.append(Case(model, True, "stream"))
    return cases


def worker(rounds: int, steps: int, batch: int, models: list[str]) -> dict:
    """In one backend's process: images/s of every case of every model."""
    import platform

    import keras

    from benchmarks._throughput import measure

    out = {}
    for model in models:
        cases = backend_cases(model, keras.backend.backend())
        out.update(measure(cases, batch, steps, rounds, split_epoch=True))
        print(f"measured {model}", file=sys.stderr, flush=True)
    from neurn_keras.environment import versions

    out["versions"] = {**versions(), "backend": keras.backend.backend()}
    out["platform"] = f"{platform.platform()}; {platform.processor() or platform.machine()}"
    return out


def run_backend(backend: str, args) -> dict | None:
    environment = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, "-m", "benchmarks.training_throughput", "--worker",
               "--rounds", str(args.rounds), "--steps", str(args.steps),
               "--batch", str(args.batch), "--models", *args.models]  # fmt: skip
    print(f"{backend}: measuring", flush=True)
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT)
    if result.returncode != 0:
        print(f"{backend}: failed\n{result.stderr[-2000:]}", file=sys.stderr)
        return None
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARK)]
    return json.loads(lines[-1][len(MARK) :])


def available(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def in_order(results: dict[str, dict]) -> list[tuple[str, dict]]:
    """The measured backends in ``BACKENDS``'s order (a results file keeps them sorted)."""
    return [(name, results[name]) for name in BACKENDS if name in results]


def epoch_ratio(measured: dict, model: str, steps: int, batch: int) -> float | None:
    """``neurn_keras.train``'s time per image over the floor's in an epoch of ``steps``
    steps: its time per step, plus the epoch's fixed work spread over the steps."""
    floor, train = measured.get(f"{model}/step/plain"), measured.get(f"{model}/pipeline/neurn")
    if not (floor and train):
        return None
    epoch_s = measured.get(f"{model}/pipeline/neurn/epoch_s", 0.0)
    return (steps * batch / train + epoch_s) / (steps * batch / floor)


def table(results: dict[str, dict], models=MODELS, batch: int = BATCH) -> str:
    """One row per model and backend: the floor, then each step towards ``train``."""
    rows = []
    for model in models:
        tf_floor = results.get("tensorflow", {}).get(f"{model}/step/plain")
        for backend, measured in in_order(results):
            floor = measured.get(f"{model}/step/plain")
            if floor is None:
                continue
            epoch_s = measured.get(f"{model}/pipeline/neurn/epoch_s")
            rows.append([
                model, backend, f"{floor:,.0f}",
                f"{floor / tf_floor:.2f}×" if tf_floor else "–",
                rate_cell(measured.get(f"{model}/step/neurn"), floor),
                rate_cell(measured.get(f"{model}/arrays/neurn"), floor),
                rate_cell(measured.get(f"{model}/pipeline/neurn"), floor),
                "–" if epoch_s is None else f"{epoch_s:.2f}",
                *(target_verdict(epoch_ratio(measured, model, n, batch)) for n in EPOCHS.values()),
            ])  # fmt: skip
    header = [
        "model", "backend", "floor: train step, batch on the device (images/s)",
        "floor vs TensorFlow's", "+ NeuRN (vs floor)", "fit, Keras's array feed, + NeuRN",
        "fit, `train`'s pipeline and callbacks, + NeuRN, per step",
        "`train`'s fixed work per epoch (s)",
        *(f"time per image ÷ floor's, {name}" for name in EPOCHS),
    ]  # fmt: skip
    return markdown_table(header, rows)


def stream_note(results: dict[str, dict], models=MODELS) -> str:
    measured = results.get("tensorflow", {})
    parts = []
    for model in models:
        stream, data = (
            measured.get(f"{model}/stream/neurn"),
            measured.get(f"{model}/pipeline/neurn"),
        )
        if stream and data:
            parts.append(f"{model} {stream:,.0f} images/s ({stream / data:.2f}× its `tf.data`)")
    if not parts:
        return ""
    return (
        " On TensorFlow, `train` feeds `tf.data`; the `TrainingStream` `PyDataset` the other "
        f"backends use gives {', '.join(parts)}."
    )


def time_shares(measured: dict, model: str, steps: int, batch: int) -> dict[str, float] | None:
    """Where ``train``'s time per image goes beyond the floor's, as fractions of the floor's:
    NeuRN, the feed and callbacks per step, and the epoch's fixed work spread over
    ``steps`` steps. ``1 + sum`` is ``epoch_ratio``."""
    floor, neurn, train = (
        measured.get(f"{model}/{case}") for case in ("step/plain", "step/neurn", "pipeline/neurn")
    )
    if not (floor and neurn and train):
        return None
    epoch_s = measured.get(f"{model}/pipeline/neurn/epoch_s", 0.0)
    per_image = 1 / floor
    return {
        "NeuRN": (1 / neurn - 1 / floor) / per_image,
        "the feed and callbacks per step": (1 / train - 1 / neurn) / per_image,
        "the epoch's fixed work": epoch_s / (steps * batch) / per_image,
    }


def where_the_time_goes(results: dict[str, dict], models=MODELS, batch: int = BATCH) -> str:
    """One line per backend and model that misses the target at some epoch length."""
    lines = []
    for model in models:
        for backend, measured in in_order(results):
            for name, steps in EPOCHS.items():
                ratio = epoch_ratio(measured, model, steps, batch)
                shares = time_shares(measured, model, steps, batch)
                if ratio is None or ratio <= TARGET or shares is None:
                    continue
                parts = ", ".join(f"{part} {100 * share:+.0f}%" for part, share in shares.items())
                lines.append(f"- {model} on {backend}, {name}: {ratio:.2f}× = 1 + {parts}.")
    if not lines:
        return ""
    return (
        "Where the target is missed, the time per image beyond the floor's, in parts of "
        "the floor's (the epoch's fixed work is Precise BN's pass over its images on a model "
        "with BatchNormalization, the backup of the weights and optimizer state, and "
        "`fit`'s set-up; it shrinks as the epoch grows):\n\n" + "\n".join(lines) + "\n"
    )


def backend_gaps(results: dict[str, dict], models=MODELS) -> str:
    """A sentence on backends whose floor itself is below TensorFlow's: there the gap is
    the backend's, before any part of the package runs."""
    parts = []
    for backend, measured in in_order(results):
        ratios = []
        for model in models:
            floor = measured.get(f"{model}/step/plain")
            tf_floor = results.get("tensorflow", {}).get(f"{model}/step/plain")
            if backend != "tensorflow" and floor and tf_floor and floor < tf_floor / TARGET:
                ratios.append(f"{floor / tf_floor:.2f}× ({model})")
        if ratios:
            parts.append(f"{backend}'s floor is {' and '.join(ratios)} TensorFlow's")
    if not parts:
        return ""
    return (
        f"Where a backend trains slower than TensorFlow, the gap is already in its floor, "
        f"Keras's own compiled train step with no part of this package in it: "
        f"{'; '.join(parts)}. That is the backend's code for this CPU (for JAX, what XLA "
        "compiles), which `neurn_keras.train` cannot close; its own parts add the "
        "fractions in the last columns.\n"
    )


def page(results: dict[str, dict], skipped: list[str], load: tuple[float, float], args) -> str:
    import platform

    cores = len(os.sched_getaffinity(0))
    note = (
        f"Training throughput at 32×32×3, batch {args.batch}, Adam (median of {args.rounds} "
        f"rounds after a warm-up), on {platform.machine()} with {cores} CPU cores, every "
        "backend in its own process, all from one script run. The floor is Keras's own "
        "train step, compiled as `Model.fit` compiles it, on one batch already on the device "
        "(no input pipeline, no callbacks, no NeuRN); each column to its right adds one "
        "part, and its ratio is images/s against that backend's floor (rounds of "
        f"{args.steps} steps). `train`'s column is `Model.fit` as `python -m "
        "neurn_keras.train` calls it: its batches and the recipe's callbacks, no progress "
        f"bar, per step; each round runs an epoch of {args.steps} and one of "
        f"{LONG_EPOCH * args.steps} steps, and their difference separates the time per step "
        "from the epoch's fixed work (next column). The last columns are `train`'s time per "
        "image over the floor's at two epoch lengths (target: at most "
        f"{TARGET}×). `floor vs TensorFlow's` compares the backends themselves."
    )
    note += stream_note(results, args.models)
    note += (
        f" The machine's load average was {load[0]:.1f} when the script started and "
        f"{load[1]:.1f} when it ended"
    )
    if load[1] > cores:
        note += (
            f" (above {cores}: other work shared the cores, and the absolute numbers are "
            "low by about that factor; the ratios less so)."
        )
    else:
        note += f" (one-minute averages; by the end at most {cores}: the script's own work)."
    if skipped:
        note += f" Not measured (not installed): {', '.join(skipped)}."
    body = note + "\n\n" + table(results, args.models, args.batch) + "\n"
    for extra in (
        backend_gaps(results, args.models),
        where_the_time_goes(results, args.models, args.batch),
    ):
        body += "\n" + extra if extra else ""
    return body


def readme_summary(results: dict[str, dict], models=MODELS, batch: int = BATCH) -> str:
    """A few lines for the README: ``neurn_keras.train``'s time per image over its
    backend's floor, and each floor against TensorFlow's."""
    name, steps = list(EPOCHS.items())[-1]
    lines = []
    for model in models:
        tf_floor = results.get("tensorflow", {}).get(f"{model}/step/plain")
        parts = []
        for backend, measured in in_order(results):
            ratio, floor = (
                epoch_ratio(measured, model, steps, batch),
                measured.get(f"{model}/step/plain"),
            )
            if ratio is not None:
                versus = f" (floor {floor / tf_floor:.2f}× TensorFlow's)" if tf_floor else ""
                parts.append(f"{backend} {ratio:.2f}×{versus}")
        if parts:
            lines.append(f"- {model}: {'; '.join(parts)}.")
    return (
        "**Training throughput** per backend: `python -m neurn_keras.train`'s time per image "
        f"over the backend's floor (its bare compiled train step; target ≤ {TARGET}×), "
        f"{name}, one run on 2 CPU cores:\n\n" + "\n".join(lines) + "\n\n"
        "The table, where the time goes and the GPU section: "
        "[docs/results/training_throughput.md](docs/results/training_throughput.md) "
        "(`python -m benchmarks.training_throughput`).\n"
    )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--steps", type=int, default=STEPS, help="steps per round")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only write the page and its sections, from docs/results/training_throughput.json",
    )
    return parser.parse_args(argv)


def measure_all(args) -> dict:
    """Every installed backend in its own process; what the page is made from."""
    results, skipped = {}, []
    load_before = os.getloadavg()[0]
    for backend in args.backends:
        if not available(backend):
            skipped.append(backend)
            continue
        measured = run_backend(backend, args)
        if measured is not None:
            results[backend] = measured
    return {
        "results": results,
        "skipped": skipped,
        "load": [load_before, os.getloadavg()[0]],
        "settings": {"rounds": args.rounds, "steps": args.steps, "batch": args.batch,
                     "models": args.models},
    }  # fmt: skip


def report() -> None:
    """The page (with the GPU section from ``gpu_run.json``) and the README's and
    docs/training.md's sections, from the committed measurements."""
    saved = json.loads(MEASURED.read_text(encoding="utf-8"))
    settings = argparse.Namespace(**saved["settings"])
    body = page(saved["results"], saved["skipped"], tuple(saved["load"]), settings)
    environments = [(r["versions"], r.get("platform", "")) for r in saved["results"].values()]
    write_page(PAGE, "Training throughput per Keras backend", body + gpu_section(), environments)
    summary = readme_summary(saved["results"], settings.models, settings.batch)
    write_section(README, "training-throughput", summary)
    write_section(TRAINING_DOC, "training-throughput", summary)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(MARK + json.dumps(worker(args.rounds, args.steps, args.batch, args.models)))
        return 0
    if not args.report_only:
        saved = measure_all(args)
        MEASURED.write_text(json.dumps(saved, indent=1, sort_keys=True) + "\n")
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
