"""``spineplan score REFERENCE ATTEMPT [--json] [--record] [--no-dose]``: the practice score sheet.

Prints the practice score sheet of a trainee's case file against a reference case file (see
``planning.practice.scoring``): lesion level, lesion contour (Dice, HD95, volume), edema limits,
field borders and arrangement, the V95 of the reference lesion under the trainee's planned dose (the
attempt planned as ``spineplan plan`` would; ``--no-dose`` skips it, and a note says when it
cannot be computed), an overall verdict and feedback sentences. ``--json`` prints it as data
with at least ``lesion_level_match``, ``lesion_level_offset``, ``dice``, ``hd95_mm``,
``field_superior_border_diff_mm``, ``field_inferior_border_diff_mm``,
``edema_superior_diff_mm`` and ``edema_inferior_diff_mm`` at the top level (differences are
attempt minus reference, positive towards the head). ``--record`` adds the attempt to the
practice history in the user's data folder.

Exit status 0 whatever the verdict (the sheet is the result); 2 for unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys

from planning.case import load_case
from planning.practice.history import attempt_from_sheet, case_identity, record_attempt
from planning.practice.scoring import planned_coverage_percent, score_cases


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reference", help="the reference case file (*.spineplan.json)")
    parser.add_argument("attempt", help="the trainee's case file on the same study")
    parser.add_argument("--json", action="store_true", help="print the score sheet as JSON")
    parser.add_argument(
        "--no-dose",
        action="store_true",
        help="skip the dose calculation (V95 of your field on the reference lesion)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="add the attempt to the practice history in the user's data folder",
    )


def run(args: argparse.Namespace) -> int:
    reference = load_case(args.reference)
    attempt = load_case(args.attempt)
    coverage = None if args.no_dose else planned_coverage_percent
    sheet = score_cases(reference, attempt, coverage=coverage)
    recorded = None
    if args.record:
        case_id, label = case_identity(reference)
        recorded = record_attempt(attempt_from_sheet(sheet, case_id, label))
    if args.json:
        json.dump(sheet.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(sheet.summary_lines()) + "\n")
        if recorded is not None:
            sys.stdout.write(f"Attempt recorded in {recorded}\n")
    return 0
