"""``spineplan profile``: an off-axis dose profile computed by the 3D dose engine in water.

The profile runs across the beam's X direction in the plane at the requested depth and is
normalised to the central-axis dose there; the 80 %-20 % penumbra is the mean of both edges.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from app.commands.options import number
from app.commands.pdd import add_beam_arguments, machine_prefix, parse_beam
from planning.dose.phantom import engine_profile
from planning.errors import PlanningError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_beam_arguments(parser)
    parser.add_argument("--depth-cm", required=True, metavar="D", help="depth of the profile, cm")
    parser.add_argument(
        "--step-cm", default="0.2", metavar="STEP", help="spacing of the printed points, cm"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    energy, field_cm, ssd_cm, model = parse_beam(args)
    depth_cm = number(args.depth_cm, "--depth-cm")
    step_cm = number(args.step_cm, "--step-cm")
    if not 0.05 <= step_cm <= 5.0:
        raise PlanningError(f"--step-cm: {step_cm:g} cm is outside 0.05-5 cm")
    profile = engine_profile(energy, field_cm, ssd_cm, depth_cm, model=model)
    count = int(np.floor(profile.off_axis_cm.max() / step_cm + 1e-9))
    positions = np.arange(-count, count + 1) * step_cm  # multiples of the step, 0 included
    values = np.interp(positions, profile.off_axis_cm, profile.dose_percent)
    points = [
        {"off_axis_cm": round(float(x), 4), "dose_percent": round(float(v), 2)}
        for x, v in zip(positions, values, strict=True)
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "energy": profile.energy,
                    "machine": model.machine.machine_name,
                    "data_source": model.machine.data_statement or None,
                    "field_cm": field_cm,
                    "ssd_cm": ssd_cm,
                    "depth_cm": depth_cm,
                    "points": points,
                    "penumbra_80_20_cm": round(profile.penumbra_80_20_cm, 3),
                    "penumbra_80_20_left_cm": round(profile.penumbra_left_cm, 3),
                    "penumbra_80_20_right_cm": round(profile.penumbra_right_cm, 3),
                    "field_width_50_cm": round(profile.field_width_50_cm, 3),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"{machine_prefix(model)}{profile.energy}  "
        f"{field_cm:g} x {field_cm:g} cm at the surface  SSD {ssd_cm:g} cm  "
        f"depth {depth_cm:g} cm  (3D engine in water; % of the central-axis dose)"
    )
    print(
        f"penumbra 80-20 %: {profile.penumbra_80_20_cm:.2f} cm "
        f"(left {profile.penumbra_left_cm:.2f} cm, right {profile.penumbra_right_cm:.2f} cm); "
        f"50 % width {profile.field_width_50_cm:.2f} cm"
    )
    print(f"{'off_axis_cm':>11}  {'dose_percent':>12}")
    for point in points:
        print(f"{point['off_axis_cm']:>11.2f}  {point['dose_percent']:>12.1f}")
    if model.machine.data_statement:
        print(f"note: {model.machine.data_statement}")
    return 0
