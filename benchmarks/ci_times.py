"""The README's times, from what ``.ci/run`` measured -> README section ``ci-times``.

``.ci/run`` writes ``runs/ci-times.json`` (set up + main job, tests, total); the main job
(``python -m neurn_keras.train`` with no arguments) records its own wall time in its
``results.json``. ``--record`` keeps both in ``docs/results/ci_times.json`` (committed);
the README's section is made from that file, so no time there is typed by hand::

    bash .ci/run                                              # in a fresh clone
    python -m benchmarks.ci_times --record ../clone/runs      # that clone's runs/ folder
    python -m benchmarks.ci_times --report-only               # the section from the file
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.results import README, RESULTS, write_section
from neurn_keras.files import atomic_write_text

MEASURED = RESULTS / "ci_times.json"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def main_job_seconds(runs: Path) -> float | None:
    """The wall time the default ``python -m neurn_keras.train`` run recorded, if found."""
    from neurn_keras.training import RunConfig, load_record

    results = runs / RunConfig().cell_name() / "results.json"
    return load_record(results).wall_seconds if results.is_file() else None


def summary(times: dict, main_job: float | None) -> str:
    load = (
        f" (the 15-minute load average at the end was {times['load_average']:.1f}: above "
        f"{times['cores']}, other work shared the cores)"
        if times.get("load_average", 0) > times["cores"]
        else ""
    )
    job = (
        f"of which the main job {minutes(main_job)} by its `results.json`, most of the rest"
        if main_job
        else "mostly"
    )
    return (
        f"Measured by `bash .ci/run` in a fresh clone on {times['date']} (commit "
        f"{times['commit']}, {times['cores']} CPU cores): set-up and main job "
        f"{minutes(times['setup_and_main_job_seconds'])} ({job} `pip install`), the tests "
        f"{minutes(times['tests_seconds'])}, "
        f"{minutes(times['total_seconds'])} in all{load}. Written by `python -m "
        "benchmarks.ci_times` from `docs/results/ci_times.json`."
    )


def record(runs: Path) -> None:
    """Keeps ``runs/ci-times.json`` and the main job's time in ``MEASURED``."""
    times = json.loads((runs / "ci-times.json").read_text(encoding="utf-8"))
    data = {**times, "main_job_seconds": main_job_seconds(runs)}
    atomic_write_text(MEASURED, json.dumps(data, indent=1, sort_keys=True) + "\n")


def report() -> None:
    if not MEASURED.is_file():
        text = "Not measured in this checkout: `bash .ci/run` in a fresh clone measures it."
    else:
        times = json.loads(MEASURED.read_text(encoding="utf-8"))
        text = summary(times, times.get("main_job_seconds"))
    write_section(README, "ci-times", text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--record",
        type=Path,
        metavar="RUNS",
        help="a clone's runs/ folder after `bash .ci/run`: keep its times first",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="only write the section, from the file"
    )
    args = parser.parse_args(argv)
    if args.record is not None and not args.report_only:
        if not (args.record / "ci-times.json").is_file():
            raise SystemExit(f"{args.record}: no ci-times.json; run `bash .ci/run` first")
        record(args.record)
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
