"""The ``results.json`` record of a run: what it must hold, and reading many of them."""

from __future__ import annotations

import json
import os
from pathlib import Path

SCHEMA_VERSION = 1

REQUIRED = {
    "backbone": str,
    "neurn": bool,
    "neurn_config": (dict, type(None)),
    "source": str,
    "targets": list,
    "input_shape": list,
    "seed": int,
    "accuracy": dict,
    "epochs_run": int,
    "train_images_per_second": (float, int, type(None)),
    "wall_seconds": (float, int),
    "versions": dict,
    "data_files": dict,
    "config": dict,
}
"""Keys every record has, with their types (more keys may be present)."""


class ResultsError(ValueError):
    """A ``results.json`` that is not a valid run record."""


def check_results(record: object, where: str = "results") -> dict:
    """``record`` if it is a valid run record; else ``ResultsError`` naming the problem."""
    if not isinstance(record, dict):
        raise ResultsError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for key, kind in REQUIRED.items():
        if key not in record:
            raise ResultsError(f"{where}: missing key {key!r}")
        if not isinstance(record[key], kind) or (kind is int and isinstance(record[key], bool)):
            raise ResultsError(f"{where}: {key!r} has the wrong type ({record[key]!r})")
    for domain, value in record["accuracy"].items():
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ResultsError(f"{where}: accuracy[{domain!r}]={value!r} is not in [0, 1]")
    if record["source"] not in record["accuracy"]:
        raise ResultsError(f"{where}: no accuracy for the source {record['source']!r}")
    return record


def load_results(path: str | os.PathLike) -> dict:
    """Reads and checks one ``results.json``."""
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path}: {error}") from error
    return check_results(record, str(path))


def collect_results(runs_dir: str | os.PathLike) -> tuple[list[dict], list[str]]:
    """Every valid ``results.json`` under ``runs_dir`` (recursively), and one line per invalid one.

    Each record gets ``"path"``: its run directory. Records are sorted by path.
    """
    records, problems = [], []
    for path in sorted(Path(runs_dir).rglob("results.json")):
        try:
            record = load_results(path)
        except ResultsError as error:
            problems.append(str(error))
            continue
        record["path"] = str(path.parent)
        records.append(record)
    return records, problems
