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
from typing import Any

from app.commands.options import (
    add_field_arguments,
    add_separation_argument,
    plan_settings,
    separation_cm,
)
from planning.case import load_case
from planning.field_export import field_limits_document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE.spineplan.json", help="the case file")
    add_field_arguments(parser)
    add_separation_argument(parser)
    parser.add_argument(
        "--json", action="store_true", help="print a spineplan-field-limits JSON document"
    )


def _cm(value: Any) -> str:
    return "?" if value is None else f"{value:.2f}"


def field_limits_text(document: dict[str, Any]) -> str:
    """The field limits of :func:`planning.field_export.field_limits_document` for a person."""
    field = document["field"]
    iso = field["isocentre_mm"] or [None, None, None]
    lines = [
        f"lesion levels: {document['lesion_levels_words']}",
        f"field levels: {field['levels_words']} "
        f"({field['superior_level']} to {field['inferior_level']})",
        f"superior border: z {field['superior_border_z_mm']:.1f} mm "
        f"({field['superior_border_description']})",
        f"inferior border: z {field['inferior_border_z_mm']:.1f} mm "
        f"({field['inferior_border_description']})",
        f"field at the isocentre: {field['width_mm']:.1f} mm wide x {field['length_mm']:.1f} mm "
        "long",
        f"arrangement: {document['arrangement']}",
        f"energy: {document['energy']}, SSD {field['ssd_cm']:g} cm",
    ]
    for beam in document["beams"]:
        lines.append(
            f"beam {beam['name']}: gantry {beam['gantry_angle_deg']:g} deg; jaws at SAD "
            f"{beam['source_axis_distance_cm']:g} cm: X1 {_cm(beam['jaw_x1_cm'])}, "
            f"X2 {_cm(beam['jaw_x2_cm'])}, Y1 {_cm(beam['jaw_y1_cm'])}, "
            f"Y2 {_cm(beam['jaw_y2_cm'])} cm; field at the skin "
            f"{_cm(beam['field_at_skin_x_cm'])} x {_cm(beam['field_at_skin_y_cm'])} cm; "
            f"isocentre depth {_cm(beam['isocentre_depth_cm'])} cm (SSD {_cm(beam['ssd_cm'])} cm)"
        )
    lines.append("isocentre (LPS mm): " + ", ".join("?" if v is None else f"{v:.1f}" for v in iso))
    lines += [f"assumption: {assumption}" for assumption in document["assumptions"]]
    lines += [f"warning: {warning}" for warning in document["warnings"]]
    lines.append(
        "no dose was computed: the lesion's coverage by the 95 % isodose is NOT checked "
        "(spineplan plan computes it where depth-dose data exist)"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    # Import the planning pipeline only when the command runs (the CLI stays quick to start).
    from planning.plan_geometry import plan_geometry

    separation = separation_cm(args)
    case = load_case(args.case)
    settings = plan_settings(args, case.plan)
    document = field_limits_document(plan_geometry(case, settings, separation_cm=separation))
    if args.json:
        print(json.dumps(document, indent=2), file=sys.stdout)
    else:
        print(field_limits_text(document), file=sys.stdout)
    return 0
