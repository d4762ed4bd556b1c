"""Where File > Save case as proposes to save: the cases folder, and a name not yet taken.

The cases folder is a user setting (``cases/folder`` in the window's QSettings, changed with
File > Cases folder…). Its default is ``spineplan cases`` in the user's Documents folder, or
``<data dir>/cases`` when ``SPINEPLAN_DATA_DIR`` is set (tests, portable installs). A case is
never proposed inside the DICOM study, and never under a name that already exists.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from planning.case import CASE_FILE_SUFFIX
from planning.practice.history import DATA_DIR_ENV, user_data_dir

SETTINGS_KEY = "cases/folder"
DEFAULT_FOLDER_NAME = "spineplan cases"


def default_cases_folder() -> Path:
    """The cases folder before the user chose one (see the module docstring)."""
    if os.environ.get(DATA_DIR_ENV):
        return user_data_dir() / "cases"
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / DEFAULT_FOLDER_NAME


def cases_folder(settings: QSettings | None) -> Path:
    """The cases folder the user set, else the default."""
    value = settings.value(SETTINGS_KEY, "") if settings is not None else ""
    return Path(str(value)) if value else default_cases_folder()


def set_cases_folder(settings: QSettings | None, folder: str | Path) -> None:
    """Remember ``folder`` as the cases folder."""
    if settings is not None:
        settings.setValue(SETTINGS_KEY, str(folder))


def unique_case_path(folder: Path, stem: str) -> Path:
    """``<folder>/<stem>.spineplan.json``, or ``<stem>-2``, ``-3`` ... when that exists."""
    stem = stem.strip() or "case"
    candidate, n = folder / f"{stem}{CASE_FILE_SUFFIX}", 2
    while candidate.exists():
        candidate, n = folder / f"{stem}-{n}{CASE_FILE_SUFFIX}", n + 1
    return candidate
