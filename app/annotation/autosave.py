"""Crash recovery: the annotation is written to a recovery file after every change.

The recovery file is an ordinary case file (``<data dir>/recovery/<key>.spineplan.json``, the
study path made absolute, a painted lesion and painted structures beside it as NRRD) with an
``x_recovery`` field (ignored by the case reader) saying what it recovers and when. The key
is the case file the user opened, or the study folder when no case file was opened; opening
the same one again finds the recovery file and offers it back. Saving the case, or
discarding, deletes it.

The folder is `planning.practice.history.user_data_dir()` (``SPINEPLAN_DATA_DIR`` overrides).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from app.annotation.document import AnnotationDocument, structure_file_names, write_mask
from imaging.atomic_write import write_atomic
from imaging.errors import SpineplanError
from planning.case import Case, StudyReference, case_to_dict, load_case
from planning.errors import CaseFileError
from planning.practice.history import user_data_dir

RECOVERY_FOLDER = "recovery"


@dataclass(frozen=True)
class Recovery:
    """A recovery file found for what is being opened.

    Attributes
    ----------
    case : the recovered case (lesion as an absolute mask path or a specification).
    saved_at : when it was written (local time, ISO text).
    last_edit : the last edit it includes, in words ("Paint lesion").
    source : the case file or study it recovers.
    path : the recovery file itself.
    """

    case: Case
    saved_at: str
    last_edit: str
    source: str
    path: Path


def recovery_key(source: str | Path) -> str:
    """A stable file-name key for a case file or study path."""
    text = str(Path(source).expanduser().resolve())
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class RecoveryStore:
    """Reads and writes recovery files in one folder (default: the user data folder)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self._folder = Path(folder) if folder is not None else None

    @property
    def folder(self) -> Path:
        # looked up on use so that SPINEPLAN_DATA_DIR set after start-up still applies
        return self._folder if self._folder is not None else user_data_dir() / RECOVERY_FOLDER

    def path_for(self, source: str | Path) -> Path:
        return self.folder / f"{recovery_key(source)}.spineplan.json"

    def _mask_path(self, source: str | Path) -> Path:
        return self.folder / f"{recovery_key(source)}.lesion.nrrd"

    def _structure_paths(self, source: str | Path) -> list[Path]:
        return sorted(self.folder.glob(f"{recovery_key(source)}.structure-*.nrrd"))

    def write(self, source: str | Path, document: AnnotationDocument) -> Path:
        """Write the document's annotation as the recovery of ``source``; returns the file."""
        if document.case is None:
            raise SpineplanError("nothing to recover: no case is open")
        target = self.path_for(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        mask_path = None
        state = document.current
        if state.lesion_mask is not None and state.lesion is None:
            mask_path = write_mask(state.lesion_mask, self._mask_path(source))
        # painted structures not saved yet: <key>.structure-<name>.nrrd
        names = {
            name: path
            for name, path in structure_file_names(
                state, recovery_key(source), "structure-"
            ).items()
            if state.structure(name) is not None and state.structure(name).shape is None
        }
        written = set()
        for structure in state.structures:
            if structure.name in names:
                written.add(write_mask(structure.mask, self.folder / names[structure.name]))
        for stale in self._structure_paths(source):
            if stale not in written:
                stale.unlink(missing_ok=True)
        case = document.with_mask_files(
            None if mask_path is None else str(mask_path),
            {name: str(self.folder / path) for name, path in names.items()},
        )
        if case.lesion is not None and hasattr(case.lesion, "path"):
            case = replace(
                case, lesion=replace(case.lesion, path=str(document.case.resolve(case.lesion.path)))
            )  # type: ignore[union-attr, arg-type]
        case = replace(
            case,
            structures=tuple(
                replace(
                    item,
                    shape=replace(item.shape, path=str(document.case.resolve(item.shape.path))),
                )
                if hasattr(item.shape, "path")
                else item
                for item in case.structures
            ),
        )
        if case.planning_ct is not None:  # the recovery lives elsewhere: absolute paths
            reg_path = case.planning_ct.registration_path
            case = replace(
                case,
                planning_ct=replace(
                    case.planning_ct,
                    path=str(document.case.resolve(case.planning_ct.path).resolve()),
                    registration_path=(
                        str(document.case.resolve(reg_path).resolve()) if reg_path else ""
                    ),
                ),
            )
        study = StudyReference(
            str(document.case.study_path().resolve()),
            case.study.study_instance_uid,
            case.study.frame_of_reference_uid,
        )
        data = case_to_dict(replace(case, study=study))
        data["x_recovery"] = {
            "source": str(Path(source).expanduser().resolve()),
            "saved_at": _dt.datetime.now().isoformat(timespec="seconds"),
            "last_edit": document.last_edit,
        }
        write_atomic(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        if mask_path is None:
            self._mask_path(source).unlink(missing_ok=True)
        return target

    def find(self, source: str | Path) -> Recovery | None:
        """The recovery of ``source``, or None (also None for an unreadable recovery file)."""
        path = self.path_for(source)
        if not path.is_file():
            return None
        try:
            case = load_case(path)
            extra = json.loads(path.read_text(encoding="utf-8")).get("x_recovery", {})
        except (CaseFileError, OSError, ValueError):
            return None
        return Recovery(
            case=case,
            saved_at=str(extra.get("saved_at", "")),
            last_edit=str(extra.get("last_edit", "")),
            source=str(extra.get("source", source)),
            path=path,
        )

    def discard(self, source: str | Path) -> None:
        """Delete the recovery of ``source`` (after a save, or when the user declines it)."""
        self.path_for(source).unlink(missing_ok=True)
        self._mask_path(source).unlink(missing_ok=True)
        for path in self._structure_paths(source):
            path.unlink(missing_ok=True)
