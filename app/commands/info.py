"""``spineplan info PATH [--json] [--list-skipped]``: the studies and series under a path.

The table gives, per study, the patient and study, then per series its number, description,
modality, acquisition plane, shape (slices x rows x columns), voxel spacing (column, row, slice
in mm), number of images and any geometry warnings; last, how many files were skipped.
``--list-skipped`` adds each skipped file with the reason. ``--json`` prints the same as data
(see `imaging.Discovery.to_json`), including each series' ``affine`` mapping (column i, row j,
slice k, 1) to patient LPS mm.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from imaging import Discovery, Grid, SeriesInfo, StudyInfo, discover
from imaging.plurals import plural


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="+", help="DICOM folder (searched recursively), DICOMDIR or files"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--list-skipped", action="store_true", help="also list each skipped file and why"
    )


def run(args: argparse.Namespace) -> int:
    paths = args.path[0] if len(args.path) == 1 else args.path
    found = discover(paths)
    if args.json:
        data = found.to_json()
        if args.list_skipped:
            data["skipped"] = [{"path": str(s.path), "reason": s.reason} for s in found.skipped]
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_table(found, sys.stdout)
        if args.list_skipped:
            for skipped in found.skipped:
                sys.stdout.write(f"  skipped {skipped.path}: {skipped.reason}\n")
    return 0


def write_table(found: Discovery, out: TextIO) -> None:
    """Write ``found`` as a readable table to ``out``."""
    for study in found.studies:
        out.write(_study_line(study) + "\n")
        rows = [_series_row(series) for series in study.series]
        header = (
            "#",
            "Description",
            "Mod",
            "Plane",
            "Shape (k×j×i)",
            "Spacing mm (i, j, k)",
            "Images",
        )
        widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(header)]
        out.write(
            "  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
        )
        out.write("\n")
        for series, row in zip(study.series, rows, strict=True):
            out.write(
                "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
            out.write("\n")
            for warning in series.warnings:
                out.write(f"      ! {warning}\n")
            if series.error:
                out.write(f"      ! cannot form a volume: {series.error}\n")
        out.write("\n")
    skipped = len(found.skipped)
    cases = f", {plural(len(found.case_files), 'case file')}" if found.case_files else ""
    out.write(
        f"{plural(len(found.studies), 'study', 'studies')}, "
        f"{plural(len(found.series), 'series')}{cases}, {plural(skipped, 'file')} skipped"
        + (" (not DICOM images or unreadable)" if skipped else "")
        + "\n"
    )


def _study_line(study: StudyInfo) -> str:
    date = study.study_date
    if len(date) == 8 and date.isdigit():
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    patient = study.patient_name or "(no name)"
    if study.patient_id:
        patient += f" [{study.patient_id}]"
    description = study.study_description or "(no description)"
    study_text = f"{date or '(no date)'} {description}"
    return f"Patient {patient}  Study {study_text}  ({study.study_instance_uid})"


def _spacing_text(grid: Grid) -> str:
    """Pixel spacing and the distance between slice planes (not the sheared step of a tilt)."""
    column_mm, row_mm, _ = grid.spacing_mm
    return f"{column_mm:.2f} {row_mm:.2f} {grid.slice_spacing_mm:.2f}"


def _series_row(series: SeriesInfo) -> tuple[str, ...]:
    number = "" if series.series_number is None else str(series.series_number)
    shape = "×".join(str(n) for n in series.shape)
    grid = series.geometry
    spacing = "-" if series.error or grid is None else _spacing_text(grid)
    return (
        number,
        series.description or "(none)",
        series.modality,
        series.orientation,
        shape,
        spacing,
        str(series.number_of_images),
    )
