"""What to call a folder of the PACS cache when a name is proposed to the user.

The cache's folders are named after UIDs (``studies/<study UID>/study``), which tell a user
nothing: Save case as proposed ``study.spineplan.json``, Export plan ``study-plan`` and Open
recent listed ``study`` for every patient. `study_folder_name` names such a folder after the
patient ID and study date of its images instead. No network code here: the GUI's naming
imports it without pynetdicom.
"""

from __future__ import annotations

import re
from pathlib import Path

import pydicom
import pydicom.errors

#: the cache's folders (`imaging.pacs.cache.PacsCache`): the one copy of each image, and the
#: folders of hard links the viewer opens
INSTANCES_FOLDER = "instances"
STUDIES_FOLDER = "studies"
#: how many files are tried for a readable header before giving up
_HEADERS_TRIED = 3
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def in_pacs_cache(folder: Path) -> bool:
    """Whether ``folder`` is a study or series folder of a PACS cache
    (``<cache>/studies/<study UID>/<study or series UID>``)."""
    cache = folder.parent.parent
    return cache.name == STUDIES_FOLDER and (cache.parent / INSTANCES_FOLDER).is_dir()


def study_folder_name(folder: str | Path) -> str:
    """The name to propose for a study ``folder``: its own name, or for a folder of the PACS
    cache ``<Patient ID>_<Study Date>`` from its images (``SPL-0003_20240522``; characters a
    file name should not hold become ``_``), or its own name when they have neither."""
    folder = Path(folder)
    if not in_pacs_cache(folder):
        return folder.name
    try:
        files = sorted(path for path in folder.iterdir() if path.is_file())[:_HEADERS_TRIED]
    except OSError:
        return folder.name
    for path in files:
        try:
            header = pydicom.dcmread(
                path, stop_before_pixels=True, specific_tags=["PatientID", "StudyDate"]
            )
        except (OSError, pydicom.errors.InvalidDicomError):
            continue
        parts = (str(header.get("PatientID", "") or ""), str(header.get("StudyDate", "") or ""))
        name = "_".join(safe for safe in (_UNSAFE.sub("_", p).strip("._") for p in parts) if safe)
        return name or folder.name
    return folder.name
