"""``spineplan deidentify IN OUT [--seed TEXT]``: the teaching export from the command line.

``IN`` is a study (folder, DICOMDIR or DICOM file) or a case file (``*.spineplan.json``).
A study is de-identified into the new folder ``OUT`` (DICOM Basic Application Confidentiality
Profile, see ``imaging.deidentify``). A case file is exported with its study: ``OUT`` receives
the de-identified study and the case file rewritten to match it (see
``planning.practice.teaching``).
What was removed or replaced is printed. Exit status 0, or 2 for unusable input (nothing is
written then).
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


def _is_case_file(path: Path) -> bool:
    return path.name.endswith(CASE_FILE_SUFFIX) or (path.is_file() and path.suffix == ".json")


def run(args: argparse.Namespace) -> int:
    source = Path(args.input)
    if _is_case_file(source):
        lines = export_case_for_teaching(source, args.output, seed=args.seed).summary_lines()
    else:
        report = deidentify_study(source, args.output, seed=args.seed)
        lines = [f"De-identified study written to {args.output}", *report.summary_lines()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
