"""benchmarks.ci_times: the README's CI sentence from the times file."""

from __future__ import annotations

from benchmarks.ci_times import summary

TIMES = {
    "date": "2026-12-05",
    "commit": "abc1234",
    "cores": 2,
    "load_average": 1.0,
    "setup_and_main_job_seconds": 198,
    "tests_seconds": 1122,
    "total_seconds": 1320,
}


def test_the_main_job_is_named_only_when_its_record_was_found():
    known = summary(TIMES, main_job=72.0)
    assert (
        "set-up and main job 3.3 min (of which the main job 1.2 min by its `results.json`, "
        "most of the rest `pip install`), the tests 18.7 min, 22.0 min in all." in known
    )
    assert "(mostly `pip install`), the tests 18.7 min" in summary(TIMES, main_job=None)
    assert "other work shared the cores" in summary({**TIMES, "load_average": 4.5}, None)
