"""Session-wide settings for tests and notebooks (nbmake runs notebooks from ``notebooks/``).

A relative ``NEURN_DATA_DIR`` (CI sets ``../shared/data``) is made absolute against the
directory pytest was started from, so the notebook kernels, whose working directory is
``notebooks/``, read the same data as the tests.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("NEURN_OFFLINE", "1")  # tests never download (TFDS, keras.utils.get_file)

_data_dir = os.environ.get("NEURN_DATA_DIR")
if _data_dir:
    os.environ["NEURN_DATA_DIR"] = str(Path(_data_dir).expanduser().resolve())
