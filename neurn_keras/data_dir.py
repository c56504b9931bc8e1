"""Where neurn_keras looks for data files."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "NEURN_DATA_DIR"
DEFAULT = Path("~/.neurn_keras/data")


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data directory: ``data_dir``, else ``$NEURN_DATA_DIR``, else ``~/.neurn_keras/data``.

    The path is returned expanded; it need not exist.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    from_env = os.environ.get(ENV_VAR)
    return Path(from_env).expanduser() if from_env else DEFAULT.expanduser()
