"""NeuRN speed and accuracy: moments vs patches vs an elementwise pass, and training overhead.

Everything is measured in one process on the same tensors, compiled the way Keras runs
a model by default on TensorFlow (``tf.function(jit_compile=True)``, XLA). Timings are
medians over rounds that alternate between the methods, so slow drifts of a shared
machine hit all of them alike.

    python -m benchmarks.neurn_layer              # full table, writes docs/results/neurn_layer.md
    python -m benchmarks.neurn_layer --quick      # smaller, for a smoke check
    python -m benchmarks.neurn_layer --update-readme
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from benchmarks._report import (
    ROOT,
    check_readme_section,
    markdown_table,
    replace_readme_section,
    write_page,
)
from neurn_keras.layers import NeuRN

CONFIGS = [(32, 224), (1024, 32)]  # (batch, side), 3 channels
KERNEL_SIZES = [3, 5, 9]
REFERENCE_IMAGES = 4  # the float64 reference is computed on the first few images


def reference(x: np.ndarray, kernel_size: int) -> np.ndarray:
    """NeuRN in float64 NumPy (reflect padding), from the definition."""
    pad = kernel_size // 2
    padded = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)), "reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel_size,) * 2, (1, 2))
    sigma = windows.std(axis=(-2, -1))
    peak = sigma.max(axis=(1, 2, 3), keepdims=True)
    return np.where(peak > 0, sigma / np.where(peak > 0, peak, 1), 0)


def test_images(batch: int, side: int, seed: int = 0) -> np.ndarray:
    """Raw 0..255 pixels: noise with flat regions, as float32."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (batch, side, side, 3)).astype(np.float32)
    x[:, : side // 3, : side // 3] = 0
    x[:, side // 2 :, side // 2 :] = 255
    return x


def median_seconds(functions: dict, x, rounds: int, repeats: int) -> dict[str, float]:
    """Median time per call of each function, alternating between them every round."""
    for fn in functions.values():  # compile and warm up
        fn(x).numpy()
        fn(x).numpy()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            start = time.perf_counter()
            for _ in range(repeats):
                out = fn(x)
            out.numpy()
            samples[name].append((time.perf_counter() - start) / repeats)
    return {name: statistics.median(values) for name, values in samples.items()}


def layer_table(rounds: int, repeats: int, configs, kernel_sizes) -> tuple[str, dict]:
    """The table, and ``{(batch, side, k): (patches / moments, moments / elementwise)}``."""
    rows, ratios = [], {}
    for batch, side in configs:
        x_np = test_images(batch, side)
        x = tf.constant(x_np)
        for k in kernel_sizes:
            functions = {
                "elementwise": tf.function(lambda t: t * 1.5, jit_compile=True),
                "moments": tf.function(NeuRN(k, method="moments"), jit_compile=True),
                "patches": tf.function(NeuRN(k, method="patches"), jit_compile=True),
            }
            seconds = median_seconds(functions, x, rounds, repeats)
            expected = reference(x_np[:REFERENCE_IMAGES], k)
            head = x[:REFERENCE_IMAGES]
            errors = {
                name: float(np.abs(functions[name](head).numpy() - expected).max())
                for name in ("moments", "patches")
            }
            rate = {name: batch / s for name, s in seconds.items()}
            ratios[(batch, side, k)] = (
                seconds["patches"] / seconds["moments"],
                seconds["moments"] / seconds["elementwise"],
            )
            rows.append(
                [
                    f"{batch}×{side}×{side}×3",
                    k,
                    f"{rate['elementwise']:,.0f}",
                    f"{rate['moments']:,.0f}",
                    f"{rate['patches']:,.0f}",
                    f"{seconds['patches'] / seconds['moments']:.1f}×",
                    f"{seconds['moments'] / seconds['elementwise']:.1f}×",
                    f"{errors['moments']:.1e}",
                    f"{errors['patches']:.1e}",
                ]
            )
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    header = [
        "input",
        "k",
        "elementwise img/s",
        "moments img/s",
        "patches img/s",
        "moments speed-up over patches",
        "moments time / elementwise time",
        "moments max error",
        "patches max error",
    ]
    return markdown_table(header, rows), ratios


def targets_text(ratios: dict, overhead: float) -> str:
    """The issue's three targets, each with what was measured and whether it is met."""

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = ["Targets on this 2-core CPU:", ""]
    at_224 = [value for (batch, side, k), value in ratios.items() if side == 224 and k == 5]
    if at_224:
        speedup = at_224[0][0]
        lines.append(
            f"- moments at least 20× faster than patches at 224×224, k=5: {speedup:.1f}×, "
            f"{verdict(speedup >= 20)}"
        )
    relative = [value[1] for value in ratios.values()]
    lines.append(
        f"- moments at most 6× the elementwise pass: {min(relative):.1f}× to "
        f"{max(relative):.1f}×, {verdict(max(relative) <= 6)}"
    )
    lines.append(
        f"- training-step overhead at most 3%: {(overhead - 1) * 100:+.1f}%, "
        f"{verdict(overhead <= 1.03)}"
    )
    return "\n".join(lines)


def mobilenet(neurn: bool) -> keras.Model:
    inputs = keras.Input((32, 32, 3))
    x = NeuRN(5, name="neurn")(inputs) if neurn else inputs
    backbone = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10)
    model = keras.Model(inputs, backbone(x))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def training_overhead(rounds: int, steps: int, batch: int = 256) -> tuple[str, float]:
    """Median training-step time of MobileNetV2 at 32×32×3 with NeuRN over without."""
    keras.utils.set_random_seed(0)
    x = test_images(batch, 32, seed=1)
    y = np.random.default_rng(2).integers(0, 10, batch)
    models = {"without": mobilenet(False), "with": mobilenet(True)}
    for model in models.values():
        for _ in range(3):
            model.train_on_batch(x, y)
    samples: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(steps):
                model.train_on_batch(x, y)
            samples[name].append((time.perf_counter() - start) / steps)
    without = statistics.median(samples["without"])
    with_neurn = statistics.median(samples["with"])
    ratio = with_neurn / without
    text = (
        f"Training step of `keras.applications.MobileNetV2(weights=None)` at 32×32×3, "
        f"batch {batch}, Adam (median of {rounds} alternating rounds of {steps} steps): "
        f"{without * 1e3:.1f} ms without NeuRN, {with_neurn * 1e3:.1f} ms with NeuRN "
        f"(k=5): ratio **{ratio:.3f}** ({(ratio - 1) * 100:+.1f}%)."
    )
    print(text, flush=True)
    return text, ratio


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and configurations")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "docs" / "results" / "neurn_layer.md",
        help="results page to write (default: docs/results/neurn_layer.md)",
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="also put the tables in README.md"
    )
    args = parser.parse_args(argv)
    if args.update_readme:
        check_readme_section("results-neurn")
    rounds, repeats = (3, 3) if args.quick else (7, 5)
    configs = CONFIGS[1:] if args.quick else CONFIGS
    kernels = [5] if args.quick else KERNEL_SIZES
    table, ratios = layer_table(rounds, repeats, configs, kernels)
    overhead, ratio = training_overhead(rounds=3 if args.quick else 7, steps=3 if args.quick else 5)
    body = (
        'Images per second of the NeuRN layer with `method="moments"` and '
        '`method="patches"`, beside an elementwise pass (`x * 1.5`) over the same float32 '
        "tensor of raw 0..255 pixels (noise with flat regions), all XLA-compiled. Errors "
        "are the largest absolute difference from a float64 NumPy reference on the first "
        f"{REFERENCE_IMAGES} images (outputs are in [0, 1]).\n\n"
        f"{table}\n\n{overhead}\n\n{targets_text(ratios, ratio)}\n"
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
