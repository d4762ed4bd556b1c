"""The per-user folders spineplan keeps data in (Qt-free, so the library and the CLI share them).

``user_data_dir()`` is the platform's data folder (``%APPDATA%\\spineplan`` on Windows,
``~/Library/Application Support/spineplan`` on macOS, ``$XDG_DATA_HOME/spineplan`` or
``~/.local/share/spineplan`` elsewhere), or ``$SPINEPLAN_DATA_DIR`` when set (tests, portable
installs). Commissioned machines live in its ``machines`` sub-folder, or in
``$SPINEPLAN_MACHINES_DIR`` when set (a department's shared, read-mostly folder of machines).
Nothing here creates a folder: the writer does, when it writes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_ENV = "SPINEPLAN_DATA_DIR"
MACHINES_DIR_ENV = "SPINEPLAN_MACHINES_DIR"
MACHINES_FOLDER = "machines"


def user_data_dir() -> Path:
    """The folder spineplan keeps per-user data in (not created here)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA")
        return (Path(base) if base else home / "AppData" / "Roaming") / "spineplan"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "spineplan"
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base and Path(base).is_absolute() else home / ".local" / "share") / (
        "spineplan"
    )


def machines_dir() -> Path:
    """The folder of commissioned machines, one sub-folder per machine (not created here)."""
    override = os.environ.get(MACHINES_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return user_data_dir() / MACHINES_FOLDER
