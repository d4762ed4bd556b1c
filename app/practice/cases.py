"""The cases a trainee can practise on: case files marked ``"reference": true``.

The bundled sample studies each keep one as ``sample_dicom/caseN/reference.spineplan.json``;
any other reference case file can be chosen from disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import app
from planning.case import Case, load_case
from planning.errors import CaseFileError

#: Where the bundled sample studies lie.
SAMPLE_ROOT = Path(app.__file__).resolve().parent.parent / "sample_dicom"
#: The name the sample studies keep their reference case under.
REFERENCE_NAME = "reference.spineplan.json"


@dataclass(frozen=True)
class PracticeCase:
    """A reference case to practise on.

    Attributes
    ----------
    path : the reference case file.
    label : how the case is named to the trainee (never its answer: no level, no lesion).
    case : the loaded reference case.
    """

    path: Path
    label: str
    case: Case


def load_reference_case(path: str | Path, label: str = "") -> PracticeCase:
    """Load a case file that can be practised on.

    Raises
    ------
    CaseFileError
        The file cannot be read, is not marked ``"reference": true``, or lacks the levels, the
        lesion or the edema a score needs.
    """
    path = Path(path)
    case = load_case(path)
    if not case.reference:
        raise CaseFileError(
            f'{path}: reference: the case is not marked "reference": true, so it cannot be '
            "practised on"
        )
    missing = [part for part in ("levels", "lesion", "edema") if not getattr(case, part)]
    if missing:
        raise CaseFileError(
            f"{path}: {missing[0]}: a reference case needs levels, a lesion and the edema "
            f"({', '.join(missing)} missing)"
        )
    if not label:
        folder = path.resolve().parent
        if path.name == REFERENCE_NAME and folder.parent == SAMPLE_ROOT:
            label = f"Sample {folder.name}"
        else:
            label = case.description or f"{folder.name}/{path.name}"
    return PracticeCase(path, label, case)


def sample_practice_cases(root: Path = SAMPLE_ROOT) -> list[PracticeCase]:
    """The bundled sample cases with a usable reference, in folder order (none when absent)."""
    found = []
    for candidate in sorted(root.glob(f"*/{REFERENCE_NAME}")):
        try:
            found.append(load_reference_case(candidate, f"Sample {candidate.parent.name}"))
        except CaseFileError:
            continue
    return found
