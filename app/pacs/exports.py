"""The exports File > Send to PACS offers: what this session wrote, and the case's registration.

`ExportLog` is told of each export as it is written: the plan's files (the Plan panel's
``export_finished``: RT Plan, RT Dose, RT Structure Set beside field.json and report.pdf), the
annotation's RT Structure Set and SEG (the window's ``file_exported``), the teaching export's
folder (its exporter's ``exported``). `ExportLog.items` lists those still on disk, newest first,
each DICOM file named by its own Modality, plus the DICOM Spatial Registration the open case
refers to. Files that are not DICOM (the report, field.json) are not offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError
from PySide6.QtCore import QObject

#: what each DICOM Modality is called in the list
KIND_BY_MODALITY = {
    "RTPLAN": "RT Plan",
    "RTDOSE": "RT Dose",
    "RTSTRUCT": "RT Structure Set",
    "SEG": "Segmentation (SEG)",
    "REG": "Spatial registration (REG)",
}


@dataclass(frozen=True)
class ExportItem:
    """One thing to offer: what it is, where, and a note (when written, whether stale)."""

    kind: str
    path: Path
    note: str


def dicom_kind(path: Path) -> str:
    """What a DICOM file holds, in words ("" when it is not a DICOM file)."""
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"])
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError):
        return ""
    modality = str(header.get("Modality", "") or "")
    return KIND_BY_MODALITY.get(modality, f"DICOM {modality}".strip())


@dataclass(frozen=True)
class _Written:
    source: str  # "plan", "annotation" or "teaching"
    paths: tuple[Path, ...]
    when: datetime


class ExportLog(QObject):
    """The exports written in this session (see the module docstring).

    Parameters
    ----------
    plan_stale : whether the plan has changed since its last export.
    registration_file : the DICOM REG file the open case refers to, or None.
    """

    def __init__(
        self,
        plan_stale: Callable[[], bool],
        registration_file: Callable[[], Path | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.plan_stale, self.registration_file = plan_stale, registration_file
        self._written: list[_Written] = []

    def plan_exported(self, written: Iterable[Path]) -> None:
        """The Plan panel exported ``written`` (a newer plan export replaces the older)."""
        self._written = [w for w in self._written if w.source != "plan"]
        self._record("plan", written)

    def file_exported(self, path: Path) -> None:
        """An RT Structure Set or SEG of the annotation was written to ``path``."""
        self._record("annotation", [Path(path)])

    def teaching_exported(self, folder: Path) -> None:
        """A teaching export (de-identified study and case) was written into ``folder``."""
        self._record("teaching", [Path(folder)])

    def _record(self, source: str, paths: Iterable[Path]) -> None:
        self._written.append(_Written(source, tuple(Path(p) for p in paths), datetime.now()))

    def items(self) -> list[ExportItem]:
        """What can be sent now, newest export first."""
        found: list[ExportItem] = []
        seen: set[Path] = set()
        for written in reversed(self._written):
            when = written.when.strftime("%H:%M")
            for path in written.paths:
                if path in seen or not path.exists():
                    continue
                seen.add(path)
                if written.source == "teaching":
                    found.append(
                        ExportItem("Teaching export (folder)", path, f"exported at {when}")
                    )
                    continue
                kind = dicom_kind(path) if path.is_file() else ""
                if not kind:
                    continue
                note = f"{written.source} export at {when}"
                if written.source == "plan" and self.plan_stale():
                    note += " — the plan has changed since"
                found.append(ExportItem(kind, path, note))
        registration = self.registration_file()
        if registration is not None and registration.is_file() and registration not in seen:
            kind = dicom_kind(registration) or "Spatial registration (REG)"
            found.append(ExportItem(kind, registration, "the case's planning CT registration"))
        return found
