"""``spineplan field CASE.spineplan.json``: the field limits and beam set-up, without dose.

For planners on a machine whose depth-dose table is not shipped (Co-60 in this release, see
``resources/beam_data/README.md``), and for a quick look before ``spineplan plan``: the lesion
and field levels, the borders in patient z, the size at the isocentre, the arrangement, and per
beam the gantry angle, the jaws at the SAD plane, the field at the skin and the isocentre depth
(SSD set-up). No dose is computed, so the lesion's coverage is NOT checked. ``--json`` prints
the same as a ``spineplan-field-limits`` document (keys and rounding of ``field.json``).
Exit status 0; 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys

from app.commands.options import (
    add_field_arguments,
    add_separation_argument,
    plan_settings,
    separation_cm,
)
from planning.case import load_case
from planning.export.field_limits import field_limits_document, field_limits_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE.spineplan.json", help="the case file")
    add_field_arguments(parser)
    add_separation_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="print a spineplan-field-limits JSON document"
    )


def run(args: argparse.Namespace) -> int:
    # Import the planning pipeline only when the command runs (the CLI stays quick to start).
    from planning.dose.plan_geometry import plan_geometry

    separation = separation_cm(args)
    case = load_case(args.case)
    settings = plan_settings(args, case.plan)
    document = field_limits_document(plan_geometry(case, settings, separation_cm=separation))
    if args.json:
        print(json.dumps(document, indent=2), file=sys.stdout)
    else:
        print(field_limits_text(document), file=sys.stdout)
    return 0
