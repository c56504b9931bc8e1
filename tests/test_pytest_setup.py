"""How pytest runs here: skip reasons shown (``-rs``), notebooks collected, and nbmake's
"Learn more" line printed, only when the run asks for notebooks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNER = "Learn more about nbmake"
NOTEBOOKS = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))


def pytest(*args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=os.environ.copy(),
    )
    assert result.returncode in (0, 5), result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def collected_notebooks(output: str) -> list[str]:
    return sorted(
        Path(line.split("::")[0]).name for line in output.splitlines() if ".ipynb" in line
    )


def test_tests_alone_run_no_notebook_and_print_no_banner():
    output = pytest("--collect-only", "-q", "tests/test_structure.py")
    assert collected_notebooks(output) == []
    assert BANNER not in output


def test_the_notebooks_folder_runs_them_and_prints_the_banner_once():
    output = pytest("--collect-only", "-q", "tests/test_structure.py", "notebooks")
    assert collected_notebooks(output) == NOTEBOOKS
    assert output.count(BANNER) == 1


def test_one_notebook_from_another_folder():
    output = pytest("--collect-only", "-q", f"../notebooks/{NOTEBOOKS[-1]}", cwd=ROOT / "tests")
    assert collected_notebooks(output) == [NOTEBOOKS[-1]]


def test_skip_reasons_are_shown(tmp_path):
    test = tmp_path / "test_skipping.py"
    test.write_text(
        textwrap.dedent(
            """
            import pytest

            def test_skipped():
                pytest.skip("the reason a reader needs")
            """
        )
    )
    output = pytest("-c", str(ROOT / "setup.cfg"), "--rootdir", str(tmp_path), str(test))
    assert "SKIPPED [1]" in output and "the reason a reader needs" in output
