"""``spineplan pdd``: the central-axis percentage depth dose computed by the 3D dose engine.

The engine is run in a virtual water phantom (:func:`planning.dose.phantom.engine_depth_dose`) --
the numbers are what the planning dose calculation itself produces, not a read-back of the
table -- so a physicist can compare them with their own beam data.
"""

from __future__ import annotations

import argparse
import json

from app.commands.options import add_machine_argument, machine_option, number
from planning.dose.beam_model import MACHINES, BeamModel, parse_energy
from planning.dose.machine_store import beam_model_for
from planning.dose.phantom import engine_depth_dose
from planning.errors import PlanningError

DEFAULT_DEPTHS_CM = "0,0.5,1,1.5,2,3,4,5,7.5,10,15,20,25"


def parse_energy_option(text: str) -> str:
    """The machine key of ``--energy``, or a one-line PlanningError naming the option."""
    try:
        return parse_energy(text)
    except PlanningError as error:
        raise PlanningError(f"--energy: {error}") from None


def parse_beam(args: argparse.Namespace) -> tuple[str, float, float, BeamModel]:
    """Energy, square field side (cm), SSD (cm, the machine's default when not given) and the
    beam model (``--machine``'s, else the reference beam of ``--energy``)."""
    machine, machine_energy = machine_option(args)
    if args.energy is None and machine_energy is None:
        raise PlanningError("give --energy (Co60 or 6MV) or --machine NAME")
    energy = parse_energy_option(args.energy) if args.energy is not None else machine_energy
    assert energy is not None
    model = beam_model_for(energy, machine)
    field_cm = number(args.field_cm, "--field-cm")
    if args.ssd_cm is None:
        return energy, field_cm, MACHINES[energy].default_ssd_cm, model
    return energy, field_cm, number(args.ssd_cm, "--ssd-cm"), model


def machine_prefix(model: BeamModel) -> str:
    """``"machine NAME  "`` for a commissioned machine, ``""`` for a reference beam."""
    name = model.machine.machine_name
    return "" if name is None else f"machine {name}  "


def add_beam_arguments(parser: argparse.ArgumentParser) -> None:
    """``--energy`` and ``--machine`` (one of them), ``--field-cm`` and ``--ssd-cm``."""
    parser.add_argument(
        "--energy", help="Co60 (also Co-60, 1.25MV) or 6MV (or give --machine instead)"
    )
    add_machine_argument(parser, "the reference beam of --energy")
    parser.add_argument(
        "--field-cm", required=True, metavar="F", help="square field side at the surface, cm"
    )
    parser.add_argument(
        "--ssd-cm", metavar="S", help="source-surface distance, cm (default: Co60 80, 6MV 100)"
    )


def parse_depths(text: str) -> list[float]:
    """Comma-separated depths in cm, e.g. ``0,1.5,5,10``."""
    parts = [p.strip() for p in str(text).split(",")]
    if not any(parts):
        raise PlanningError("--depth-cm: give at least one depth, e.g. 0,1.5,5,10")
    if "" in parts:
        raise PlanningError(
            f"--depth-cm: {text!r} has an empty entry (entry {parts.index('') + 1}); "
            "give depths separated by single commas, e.g. 0,1.5,5,10"
        )
    return [number(p, "--depth-cm") for p in parts]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_beam_arguments(parser)
    parser.add_argument(
        "--depth-cm",
        default=DEFAULT_DEPTHS_CM,
        metavar="D1,D2,...",
        help=f"comma-separated depths in cm (default {DEFAULT_DEPTHS_CM})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    energy, field_cm, ssd_cm, model = parse_beam(args)
    curve = engine_depth_dose(energy, field_cm, ssd_cm, parse_depths(args.depth_cm), model=model)
    points = [
        {"depth_cm": round(float(d), 4), "pdd_percent": round(float(p), 2)}
        for d, p in zip(curve.depths_cm, curve.pdd_percent, strict=True)
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "energy": curve.energy,
                    "machine": model.machine.machine_name,
                    "field_cm": field_cm,
                    "ssd_cm": ssd_cm,
                    "dmax_cm": curve.dmax_cm,
                    "points": points,
                    "assumptions": list(curve.assumptions),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"{machine_prefix(model)}{curve.energy}  "
        f"{field_cm:g} x {field_cm:g} cm at the surface  SSD {ssd_cm:g} cm  "
        f"(3D engine in water; % of the axis maximum at {curve.dmax_cm:.2f} cm)"
    )
    print(f"{'depth_cm':>9}  {'pdd_percent':>11}")
    for point in points:
        print(f"{point['depth_cm']:>9.2f}  {point['pdd_percent']:>11.1f}")
    for note in curve.assumptions:
        print(f"note: {note}")
    return 0
