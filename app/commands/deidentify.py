"""``spineplan deidentify IN OUT [--seed TEXT] [--accept-burned-in]``: the teaching export
from the command line.

``IN`` is a study (folder, DICOMDIR or DICOM file) or a case file (``*.spineplan.json``).
A study is de-identified into the new folder ``OUT`` (see ``imaging.deidentify`` and
``imaging.confidentiality``). A case file is exported with its study: ``OUT`` receives
the de-identified study and the case file rewritten to match it (see
``planning.practice.teaching``).
What was removed or replaced is printed. Exit status 0, or 2 for unusable input, including an
image that may show burned-in text without ``--accept-burned-in`` (nothing is written then).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imaging.deidentify import deidentify_study
from planning.case import CASE_FILE_SUFFIX
from planning.practice.teaching import export_case_for_teaching


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="a study folder or file, or a case file")
    parser.add_argument("output", metavar="OUT", help="the new folder to write (must be empty)")
    parser.add_argument(
        "--seed", help="make the replacement names, IDs, UIDs and date shift reproducible"
    )
    parser.add_argument(
        "--accept-burned-in",
        action="store_true",
        help="de-identify images that may show text in their pixels (Burned In Annotation YES, "
        "or a secondary capture not marked NO) instead of refusing them; the pixels are not "
        "cleaned and every file's De-identification Method says so",
    )
    parser.description = PROFILE_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


PROFILE_HELP = """\
De-identify a study, or a case file with its study, into the new folder OUT.

Applied: the DICOM PS3.15 Basic Application Level Confidentiality Profile (Table E.1-1's
actions at every depth of nested sequences) with two options:
  Retain Longitudinal Temporal Information with Modified Dates: every date and time is
    shifted back by one offset (62 days to 2 years, whole hours); the birth date is emptied;
  Clean Descriptors, for Series Description only: only technical words (sequence, plane,
    contrast, region, spine levels) are kept, else modality and plane; every other
    descriptor (Study Description, Image Comments, Protocol Name...) is removed.
Names, IDs and UIDs are replaced consistently across the study (dicognito); every private tag
is removed (no safe-private list). Images that may show burned-in text are refused unless
--accept-burned-in. Each file records Patient Identity Removed YES and its De-identification
Method (text and CID 7050 codes 113100, 113105, 113107). A case file loses its description and
free-text findings and is rewritten to the new UIDs."""


def _is_case_file(path: Path) -> bool:
    return path.name.endswith(CASE_FILE_SUFFIX) or (path.is_file() and path.suffix == ".json")


def run(args: argparse.Namespace) -> int:
    source = Path(args.input)
    if _is_case_file(source):
        lines = export_case_for_teaching(
            source, args.output, seed=args.seed, accept_burned_in=args.accept_burned_in
        ).summary_lines()
    else:
        report = deidentify_study(
            source, args.output, seed=args.seed, accept_burned_in=args.accept_burned_in
        )
        lines = [f"De-identified study written to {args.output}", *report.summary_lines()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
