"""Every kill point resumes to the same result -> docs/results/faults.md

A run of ``python -m neurn_keras.train`` is killed with SIGKILL (as the out-of-memory
killer or a lost node would) at each kill point of ``neurn_keras.training.faults``: after a
training step in mid-epoch, between the backup's weights file and its commit, during
Precise BN, between the source's and the targets' evaluation, and between
``results.json`` and the ``done`` marker. The same command is then run again, and its
record is compared with the record of the same run never killed: accuracies, best epoch
and validation accuracy, epochs and steps, Precise BN, and every row of ``history.csv``,
all bit for bit. The model is small and has BatchNormalization (so that Precise BN runs):
raw pixels, a strided convolution, BatchNormalization, ReLU, global pooling, a
classifier (``--init-from``); 297 MNIST training images in batches of 64, Adam at lr 0.01,
3 epochs.

    python -m benchmarks.faults                 # kill, resume and compare; then the page
    python -m benchmarks.faults --report-only   # the page from docs/results/faults/
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.results import (
    README,
    RESULTS,
    markdown_table,
    write_page,
    write_section,
)
from neurn_keras.files import atomic_write_text

RECORDS = RESULTS / "faults"
PAGE = RESULTS / "faults.md"
ARGV = ("--input-norm", "none", "--lr", "0.01", "--train-limit", "330", "--test-limit", "63",
        "--batch-size", "64", "--epochs", "3", "--patience", "none", "--precise-bn", "128",
        "--targets", "usps", "--progress", "lines")  # fmt: skip
KILL_AT = {
    "train_batch": "train_batch@8",  # epoch 2 of 5 steps each, after its 3rd step
    "backup_write": "backup_write@2",  # epoch 2's backup
    "precise_bn": "precise_bn@3",  # epoch 2's recalibration (2 batches each), first batch
    "evaluation": "evaluation@1",  # after the source's test set
    "record_write": "record_write@1",
}
"""Where each point is armed (``NEURN_KILL_AT``): in the second epoch, after a backup."""
COMPARED = ("accuracy", "best_epoch", "best_val_accuracy", "epochs_run", "steps_run",
            "stopped_early", "precise_bn", "train_images", "val_images")  # fmt: skip
"""The record's fields that a resumed run must reproduce (not its times)."""


def small_batchnorm_model(path: Path) -> Path:
    """The run's start model (seeded, so every build has the same weights)."""
    import keras

    keras.utils.set_random_seed(0)
    pixels = keras.Input((32, 32, 3), name="pixels")
    x = keras.layers.Rescaling(2 / 255, -1.0, name="preprocess")(pixels)
    x = keras.layers.Conv2D(8, 3, strides=2, name="conv")(x)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    keras.Model(pixels, outputs, name="small_batchnorm").save(path)
    return path


def train(output: Path, start: Path, data_dir: Path, kill_at: str | None = None) -> int:
    """One attempt of the run in ``output``; its exit status (−9: killed by SIGKILL)."""
    environment = {key: value for key, value in os.environ.items() if key != "NEURN_KILL_AT"}
    if kill_at:
        environment["NEURN_KILL_AT"] = kill_at
    argv = [sys.executable, "-m", "neurn_keras.train", *ARGV, "--init-from", str(start),
            "--data-dir", str(data_dir), "--output", str(output)]  # fmt: skip
    with open(output.parent / f"{output.name}.log", "a", encoding="utf-8") as log:
        return subprocess.run(argv, env=environment, stdout=log, stderr=log, timeout=900).returncode


def outcome(run_dir: Path) -> dict:
    """A finished run's record and history, as the page keeps them."""
    record = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    with open(run_dir / "history.csv", encoding="utf-8") as handle:
        history = list(csv.DictReader(handle))
    return {"record": record, "history": history}


def differences(resumed: dict, reference: dict) -> list[str]:
    """What the resumed run got otherwise than the run never killed (empty: the same)."""
    out = [
        f"{key}: {resumed['record'].get(key)!r} != {reference['record'].get(key)!r}"
        for key in COMPARED
        if resumed["record"].get(key) != reference["record"].get(key)
    ]
    if resumed["history"] != reference["history"]:
        out.append("history.csv differs")
    return out


def measure_point(point: str, work: Path, start: Path, data_dir: Path, reference: dict) -> dict:
    """Kills the run at ``point``, runs it again, and compares it with ``reference``."""
    output = work / point
    killed = train(output, start, data_dir, KILL_AT[point])
    left = sorted(p.name for p in output.iterdir()) if output.is_dir() else []
    resumed_exit = train(output, start, data_dir)
    resumed = outcome(output) if resumed_exit == 0 else {"record": {}, "history": []}
    return {
        "point": point,
        "kill_at": KILL_AT[point],
        "killed_exit": killed,
        "left_after_kill": left,
        "resumed_exit": resumed_exit,
        "differences": differences(resumed, reference) if resumed_exit == 0 else ["no record"],
        "resumed": resumed,
    }


def measure(work: Path, data_dir: Path, points=tuple(KILL_AT)) -> tuple[dict, list[dict]]:
    """The run never killed, and each point's kill-and-resume, in ``work``."""
    start = small_batchnorm_model(work / "start.keras")
    if train(work / "reference", start, data_dir) != 0:
        raise RuntimeError(f"the reference run failed: see {work / 'reference.log'}")
    reference = outcome(work / "reference")
    return reference, [measure_point(p, work, start, data_dir, reference) for p in points]


def save(reference: dict, measured: list[dict], work: Path) -> None:
    """Keeps the records in ``docs/results/faults/``, the temporary folder they ran in
    written ``$WORK`` (no path of this machine in a committed record)."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    for item in [{"point": "reference", **reference}, *measured]:
        text = json.dumps(item, indent=1, sort_keys=True).replace(str(work), "$WORK") + "\n"
        atomic_write_text(RECORDS / f"{item['point']}.json", text)


def load() -> tuple[dict | None, list[dict]]:
    items = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in RECORDS.glob("*.json")}
    reference = items.pop("reference", None)
    return reference, [items[point] for point in KILL_AT if point in items]


def verdict(measured: list[dict]) -> tuple[int, int]:
    """How many kill points resumed to the same result, of how many measured."""
    same = sum(m["killed_exit"] == -signal.SIGKILL and not m["differences"] for m in measured)
    return same, len(measured)


def body(reference: dict, measured: list[dict]) -> str:
    from neurn_keras.training.faults import POINTS

    same, total = verdict(measured)
    rows = [
        [f"`{m['point']}`", POINTS[m["point"]], f"`{m['kill_at']}`",
         "SIGKILL" if m["killed_exit"] == -signal.SIGKILL else f"exit {m['killed_exit']}",
         ", ".join(f"`{name}`" for name in m["left_after_kill"]) or "nothing",
         "yes" if not m["differences"] else "no: " + "; ".join(m["differences"])]
        for m in measured
    ]  # fmt: skip
    accuracy = ", ".join(f"{k} {v:.4f}" for k, v in reference["record"]["accuracy"].items())
    return "\n\n".join(
        [
            f"**{same} of {total} kill points resume to the same result**, bit for bit.",
            (__doc__ or "").split("\n\n")[1].replace("\n", " "),
            "The run never killed: " + accuracy + f"; best epoch "
            f"{reference['record']['best_epoch']} of {reference['record']['epochs_run']}.",
            markdown_table(
                [
                    "point",
                    "where",
                    "`NEURN_KILL_AT`",
                    "killed by",
                    "left in the run directory",
                    "resumed run = never killed",
                ],
                rows,
            ),
            "Why bit for bit: every epoch's backup holds the weights, the optimizer state, "
            "the early-stopping state and the position in the seeded batch stream, written "
            "and then committed atomically; what a kill leaves half done (an epoch, a "
            "recalibration, an evaluation, a record without its `done` marker) is done "
            "again from the last commit, and on TensorFlow on a CPU the same operations in "
            "the same order give the same numbers. Not measured here: JAX, PyTorch and "
            "GPUs, where some kernels are not deterministic, so a resumed run may differ from "
            "an uninterrupted one in the last digits there. Test: "
            "`tests/benchmarks/test_faults.py` (every point, each run of the test suite).",
        ]
    )


def report() -> None:
    reference, measured = load()
    if reference is None:
        text = "No measurement yet: run `python -m benchmarks.faults`."
        write_page(PAGE, "Faults: a run killed anywhere resumes to the same result", text, [])
        write_section(README, "faults", "")
        return
    environments = [(m["resumed"]["record"].get("versions", {}),
                     m["resumed"]["record"].get("platform", "")) for m in measured]  # fmt: skip
    write_page(PAGE, "Faults: a run killed anywhere resumes to the same result",
               body(reference, measured), environments)  # fmt: skip
    same, total = verdict(measured)
    write_section(
        README,
        "faults",
        f"**Faults:** a run killed with SIGKILL at any of its {total} kill points (mid-epoch, "
        f"backup, Precise BN, evaluation, record) and started again ends with the numbers "
        f"of a run never killed: {same} of {total}, bit for bit "
        "([docs/results/faults.md](docs/results/faults.md)).",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report-only", action="store_true", help="only write the page")
    parser.add_argument("--data-dir", type=Path, default=None, help="default $NEURN_DATA_DIR")
    args = parser.parse_args(argv)
    if not args.report_only:
        from neurn_keras.environment import resolve_data_dir

        with tempfile.TemporaryDirectory(prefix="neurn-faults-") as work:
            save(*measure(Path(work), resolve_data_dir(args.data_dir)), Path(work))
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
