#!/usr/bin/env bash
# Every check CI runs, in order (README's test command; run it from the repository root
# with the virtual environment active and NEURN_DATA_DIR set):
#   1. the tests and the notebooks on TensorFlow (Keras's default backend);
#   2. the layer tests and the short training runs (marker every_backend) again on JAX;
#   3. the documentation site, built with warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pytest
KERAS_BACKEND=jax python -m pytest tests/layers
KERAS_BACKEND=jax python -m pytest tests/training/test_train.py -m "every_backend and not slow"
NO_MKDOCS_2_WARNING=1 python -m mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
