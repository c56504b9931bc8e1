"""The README's times, from what ``.ci/run`` measured -> README section ``ci-times``.

``.ci/run`` writes ``runs/ci-times.json`` (set up + main job, tests, total); the main job
(``python -m neurn_keras.train`` with no arguments) records its own wall time in its
``results.json``. This script puts both in the README, so no time there is typed by hand::

    bash .ci/run                                   # in a fresh clone
    python -m benchmarks.ci_times --update-readme  # in that clone, or with --times FILE
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks._report import ROOT, check_readme_section, replace_readme_section


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
        "benchmarks.ci_times --update-readme` from `runs/ci-times.json`."
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--times", type=Path, default=ROOT / "runs" / "ci-times.json")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="the main job's runs")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)
    if not args.times.is_file():
        raise SystemExit(f"{args.times}: no such file; run `bash .ci/run` first")
    text = summary(json.loads(args.times.read_text()), main_job_seconds(args.runs))
    print(text)
    if args.update_readme:
        check_readme_section("ci-times")
        replace_readme_section("ci-times", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
