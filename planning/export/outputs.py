"""The planner's files for one plan, written together: what ``spineplan plan --out DIR`` and the
GUI's File > Export plan... write.

``field.json``, ``field.csv``, ``report.pdf``, ``rtplan.dcm``, ``rtdose.dcm`` and
``rtstruct.dcm`` are written whole into a private staging folder beside the target
(:func:`imaging.atomic_write.staged_folder`) and only then renamed into place,
so an error or a cancel part-way leaves the target folder as it was: never a new field.json
beside an old report. Nothing here needs Qt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from imaging.atomic_write import staged_folder
from planning.errors import PlanningError
from planning.export.field_limits import write_field_csv, write_field_json
from planning.export.plan_dicom import write_plan_dicom
from planning.plan import PlanResult

OUTPUT_FILES = (
    "field.json",
    "field.csv",
    "report.pdf",
    "rtplan.dcm",
    "rtdose.dcm",
    "rtstruct.dcm",
)

#: ``progress(done, total, text)``: called before each step; what it raises aborts the writing.
Progress = Callable[[int, int, str], None]

#: One step of a multi-file write: its description and what writes its files into a folder.
WriteStep = tuple[str, Callable[[Path], object]]


def check_output_folder(out: Path) -> None:
    """Refuse an output folder the plan could not be written into, before planning.

    Raises
    ------
    PlanningError
        ``out`` is a file, its parent does not exist or cannot be written, or an output name
        in it is taken by a folder.
    """
    if out.exists() and not out.is_dir():
        raise PlanningError(f"--out: {out} exists and is not a folder")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise PlanningError(f"--out: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise PlanningError(f"--out: cannot write in {parent}")
    _check_targets(out, OUTPUT_FILES)


def _check_targets(out: Path, names: Sequence[str]) -> None:
    """In an existing folder each output replaces a file of its name: refuse what would stop
    that half-way (a folder of that name, a folder we cannot write), before anything moves."""
    if not out.is_dir():
        return
    if not os.access(out, os.W_OK):
        raise PlanningError(f"{out}: cannot write in this folder")
    for name in names:
        if (out / name).is_dir():
            raise PlanningError(f"{out / name}: is a folder; the plan writes a file of that name")


def check_not_in_study(result: PlanResult, out: Path) -> None:
    """The RT Plan, Dose and Structure Set must not join the study they were planned on: the
    next load would find them among its series."""
    study = result.case.study_path()
    if study.is_file():
        study = study.parent
    if out.resolve().is_relative_to(study.resolve()):
        raise PlanningError(f"{out}: the plan outputs must not go inside the study folder {study}")


def write_files_together(
    out: Path,
    names: Sequence[str],
    steps: Sequence[WriteStep],
    progress: Progress | None = None,
) -> list[Path]:
    """Run ``steps`` into a staging folder, then move the files ``names`` into ``out``.

    Parameters
    ----------
    out : Path
        The target folder; made when missing (its parent must exist).
    names : sequence of str
        The files the steps write, each replacing a file of its name in ``out``.
    steps : sequence of (description, write)
        ``write(folder)`` writes some of ``names`` into ``folder``.
    progress : callable, optional
        ``progress(done, total, text)`` before each step and before the move (``total`` is
        ``len(steps) + 1``); an exception it raises (the user cancelled) aborts the writing.

    Returns
    -------
    list of Path
        ``out / name`` for each of ``names``.

    Raises
    ------
    PlanningError
        An output name in ``out`` is a folder, ``out`` cannot be written, or a step did not
        write a file it should have.
    """
    _check_targets(out, names)
    total = len(steps) + 1
    # Staged beside ``out`` on its file system; merged file by file into an existing folder,
    # whose other files stay, or renamed whole into place when ``out`` is new.
    with staged_folder(out, merge=True) as staging:
        for done, (text, write) in enumerate(steps):
            if progress is not None:
                progress(done, total, text)
            write(staging)
        missing = [name for name in names if not (staging / name).is_file()]
        if missing:
            raise PlanningError(f"{out}: {', '.join(missing)} not written")
        if progress is not None:
            progress(len(steps), total, f"moving the files into {out}")
    return [out / name for name in names]


def write_outputs(result: PlanResult, out: Path, progress: Progress | None = None) -> list[Path]:
    """Write every output of ``result`` into ``out`` together (see the module docstring).

    ``progress(done, total, text)``, when given, is called before each of the four steps (the
    GUI shows it); an exception it raises (e.g. the user cancelled) aborts the export and nothing
    is written into ``out``.
    """
    # matplotlib only when a report is written: the GUI starts without it
    from planning.export.report import write_report_pdf

    check_not_in_study(result, out)
    steps: list[WriteStep] = [
        (
            "field.json and field.csv",
            lambda folder: (
                write_field_json(folder / "field.json", result),
                write_field_csv(folder / "field.csv", result),
            ),
        ),
        (
            "DICOM RT Plan, RT Dose and RT Structure Set",
            lambda folder: write_plan_dicom(result, folder),
        ),
        ("PDF report", lambda folder: write_report_pdf(folder / "report.pdf", result)),
    ]
    return write_files_together(out, OUTPUT_FILES, steps, progress)
