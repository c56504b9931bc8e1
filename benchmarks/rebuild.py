"""Every generated page, figure and README or docs section, rebuilt from committed records.

Runs the ``report()`` of every producer that ``benchmarks.results.REGISTRY`` names, in
its order. Needs no data directory and no training, on any Keras backend, and gives the
same bytes (a test rebuilds a copy of the repository and compares)::

    python -m benchmarks.rebuild                 # every producer
    python -m benchmarks.rebuild table1 faults   # some of them
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from benchmarks.results import REGISTRY


def producers() -> list[str]:
    """The producers of ``REGISTRY``, each once, in its order."""
    return list(dict.fromkeys(entry.producer for entry in REGISTRY))


def rebuild(names: list[str] | None = None, log=print) -> None:
    for name in names or producers():
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").report()
        log(f"{name}: {time.perf_counter() - started:.1f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="PRODUCER",
                        help="only these (default: all): " + ", ".join(producers()))  # fmt: skip
    names = parser.parse_args(argv).names
    unknown = sorted(set(names) - set(producers()))
    if unknown:
        parser.error(f"unknown producers {unknown}; choose from {', '.join(producers())}")
    rebuild(names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
