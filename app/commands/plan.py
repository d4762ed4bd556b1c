"""``spineplan plan CASE.spineplan.json --out DIR``: plan a case and write the planner's files.

Writes ``field.json``, ``field.csv``, ``report.pdf``, ``rtplan.dcm``, ``rtdose.dcm`` and
``rtstruct.dcm`` into DIR. Exit status 0 when the lesion's coverage passes (V95 >= 99 %), 1 when
it fails (the files are still written, the report says why and what would fix it), 2 for bad
input -- then nothing is written: the files are made in a staging folder and moved into DIR only
once all of them exist (:mod:`planning.export.outputs`). Planning never starts Qt.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from pathlib import Path

from app.commands.options import (
    add_field_arguments,
    add_separation_argument,
    number,
    plan_settings,
    separation_cm,
)
from planning.case import load_case
from planning.dose.grid import DEFAULT_GRID_SPACING_MM
from planning.errors import PlanningError
from planning.evaluation.monitor_units import Calibration
from planning.export.field_limits import registration_entry
from planning.export.outputs import OUTPUT_FILES, check_output_folder, write_outputs
from planning.plan import PlanResult, plan_case


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", metavar="CASE.spineplan.json", help="the case file to plan")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the outputs")
    add_field_arguments(parser)
    parser.add_argument("--dose-gy", metavar="D", help="total prescribed dose, Gy")
    parser.add_argument("--fractions", metavar="N", help="number of fractions")
    add_separation_argument(parser)
    parser.add_argument(
        "--alpha-beta-gy", metavar="AB", default="2", help="alpha/beta for BED and EQD2, Gy"
    )
    parser.add_argument(
        "--output-cgy-per-mu",
        metavar="K",
        help="6 MV output at d_max, 10 x 10 cm, SSD 100 cm (default 1.000 cGy/MU, stated)",
    )
    parser.add_argument(
        "--dose-rate-cgy-per-min",
        metavar="R",
        help="Co-60 dose rate at d_max, 10 x 10 cm, SSD 80 cm on the calibration date",
    )
    parser.add_argument(
        "--calibration-date",
        metavar="YYYY-MM-DD",
        help="date of the Co-60 dose rate (decay-corrected to today)",
    )
    parser.add_argument(
        "--shutter-error-min",
        metavar="T",
        help="Co-60 timer (shutter) error, minutes added to every beam-on time (default 0)",
    )
    parser.add_argument(
        "--grid-mm",
        metavar="G",
        default=str(DEFAULT_GRID_SPACING_MM),
        help=f"dose grid spacing, mm (default {DEFAULT_GRID_SPACING_MM:g})",
    )


def _summary(result: PlanResult, out: Path) -> str:
    plan_field = result.field
    stats = result.lesion_stats
    meters = ", ".join(
        f"{calc.beam_name} {calc.meterset:.{1 if calc.unit == 'MU' else 2}f} {calc.unit}"
        for calc in result.monitor_units
    )
    prefix = result.case.thoracic_prefix
    lines = [
        f"lesion {result.lesion_levels.words}; field {plan_field.levels_words(prefix)} "
        f"{plan_field.arrangement} {plan_field.energy}"
        f"{'' if result.settings.machine is None else f' on machine {result.settings.machine}'}, "
        f"borders z {plan_field.superior_border_z_mm:.1f} / "
        f"{plan_field.inferior_border_z_mm:.1f} mm, length x width "
        f"{plan_field.length_mm / 10:.1f} x {plan_field.width_mm / 10:.1f} cm at the isocentre "
        "plane",
        f"{result.prescription.dose_gy:g} Gy in {result.prescription.fractions} "
        f"fraction{'s' if result.prescription.fractions != 1 else ''}; per fraction: "
        f"{meters}",
        f"lesion V95 {stats.v95_percent:.1f} %, D95 {stats.d95_percent:.1f} %, "
        f"Dmin {stats.dmin_percent:.1f} %, Dmax {stats.dmax_percent:.1f} %",
        result.verdict.headline,
    ]
    if result.images.on_registered_ct:
        registration = registration_entry(result.images, result.field)["registration"]
        lines.insert(
            1,
            "planned on the planning CT "
            f"'{result.images.export_series.description}': z in CT coordinates; on the MR the "
            f"borders are z {registration['mr_superior_border_z_mm']:.1f} / "
            f"{registration['mr_inferior_border_z_mm']:.1f} mm",
        )
    cord, eqd2 = result.cord, result.cord_dmax_eqd2_gy()
    if cord is not None and cord.stats is not None and eqd2 is not None:
        lines.insert(
            3,
            f"{cord.name} Dmax {cord.stats.dmax_gy:.2f} Gy ({cord.stats.dmax_percent:.1f} %), "
            f"EQD2 {eqd2:.1f} Gy (alpha/beta 2 Gy)",
        )
    lines += [f"  {region.description}" for region in result.verdict.cold_regions]
    lines += [f"  fix: {fix}" for fix in result.verdict.fixes]
    lines += [f"warning: {warning}" for warning in result.warnings]
    # The numbers above rest on these (default width, assumed machine output...): show them.
    lines += [f"assumption: {assumption}" for assumption in result.assumptions]
    lines.append(f"wrote {', '.join(OUTPUT_FILES)} in {out}")
    return "\n".join(lines)


def _calibration(args: argparse.Namespace) -> Calibration:
    date = None
    if args.calibration_date is not None:
        try:
            date = _dt.date.fromisoformat(args.calibration_date)
        except ValueError:
            raise PlanningError(
                f"--calibration-date: {args.calibration_date!r} is not a date YYYY-MM-DD"
            ) from None
    return Calibration(
        output_cgy_per_mu=None
        if args.output_cgy_per_mu is None
        else number(args.output_cgy_per_mu, "--output-cgy-per-mu", positive=True),
        dose_rate_cgy_per_min=None
        if args.dose_rate_cgy_per_min is None
        else number(args.dose_rate_cgy_per_min, "--dose-rate-cgy-per-min", positive=True),
        calibration_date=date,
        shutter_error_min=0.0
        if args.shutter_error_min is None
        else number(args.shutter_error_min, "--shutter-error-min"),
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_output_folder(out)
    grid_mm = number(args.grid_mm, "--grid-mm", positive=True)
    separation = separation_cm(args)
    alpha_beta = number(args.alpha_beta_gy, "--alpha-beta-gy", positive=True)
    calibration = _calibration(args)
    case = load_case(args.case)
    settings = plan_settings(args, case.plan)
    result = plan_case(
        case,
        settings,
        grid_spacing_mm=grid_mm,
        separation_cm=separation,
        calibration=calibration,
        alpha_beta_gy=alpha_beta,
    )
    write_outputs(result, out)
    print(_summary(result, out), file=sys.stdout)
    return result.exit_status
