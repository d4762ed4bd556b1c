"""``spineplan machine``: commission a treatment unit from its measured data, list and check them.

* ``spineplan machine import FILE... --name NAME --energy Co60|6MV [...]``: read the CSV
  templates (``resources/beam_data/templates/``) and/or PTW ``.mcc`` exports, check them (a
  problem is one line naming the file and the line; nothing is stored then) and store the
  machine in the user's data folder (``docs/commissioning.md``).
* ``spineplan machine list``: the stored machines and where their data came from.
* ``spineplan machine check NAME [--out DIR]``: the checks again and the comparison with the
  reference beam (text table and PNG plots) for the physicist's sign-off.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.options import number
from imaging.user_folders import machines_dir
from planning.dose.machine_check import check_machine, check_text, write_check_report
from planning.dose.machine_store import (
    MachineSetup,
    import_machine,
    load_machine,
    machine_names,
)
from planning.errors import PlanningError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imports = actions.add_parser(
        "import", help="check and store a machine's measured data (CSV templates, PTW mcc)"
    )
    imports.add_argument("files", nargs="+", metavar="FILE", help="CSV templates and .mcc files")
    imports.add_argument("--name", required=True, help="the machine's name, e.g. 'Theratron A'")
    imports.add_argument("--energy", required=True, help="Co60 or 6MV")
    imports.add_argument("--setup", default="SSD", help="the usual set-up: SSD (default) or SAD")
    imports.add_argument(
        "--reference-ssd-cm",
        metavar="S",
        help="SSD of the PDD and of the output calibration, cm (default: the mcc file's, else "
        "80 for Co60, 100 for 6MV)",
    )
    imports.add_argument(
        "--output-cgy-per-mu", metavar="K", help="6 MV: cGy/MU at d_max, 10 x 10 cm, ref. SSD"
    )
    imports.add_argument(
        "--dose-rate-cgy-per-min",
        metavar="R",
        help="Co-60: cGy/min at d_max, 10 x 10 cm, reference SSD, on the calibration date",
    )
    imports.add_argument("--calibration-date", metavar="YYYY-MM-DD", help="Co-60 dose-rate date")
    imports.add_argument("--source-diameter-cm", metavar="S", help="Co-60 source diameter, cm")
    imports.add_argument(
        "--source-to-diaphragm-cm", metavar="D", help="Co-60 source to penumbra trimmer, cm"
    )
    imports.add_argument(
        "--sad-cm", metavar="SAD", help="source-axis distance, cm (default: Co-60 80, 6 MV 100)"
    )
    imports.add_argument("--physicist", default="", help="who commissions (default: login name)")
    imports.add_argument("--replace", action="store_true", help="replace a machine of that name")
    actions.add_parser("list", help="the stored machines")
    check = actions.add_parser("check", help="re-check a machine and compare it with the reference")
    check.add_argument("name", help="the machine's name")
    check.add_argument(
        "--out", metavar="DIR", help="folder for check.txt and the plots (default: the machine's)"
    )


def _optional(text: str | None, option: str) -> float | None:
    return None if text is None else number(text, option, positive=True)


def _import(args: argparse.Namespace) -> int:
    setup = MachineSetup(
        name=args.name,
        energy=args.energy,
        setup=args.setup,
        reference_ssd_cm=_optional(args.reference_ssd_cm, "--reference-ssd-cm"),
        output_cgy_per_mu=_optional(args.output_cgy_per_mu, "--output-cgy-per-mu"),
        dose_rate_cgy_per_min=_optional(args.dose_rate_cgy_per_min, "--dose-rate-cgy-per-min"),
        calibration_date=args.calibration_date,
        source_diameter_cm=_optional(args.source_diameter_cm, "--source-diameter-cm"),
        source_to_diaphragm_cm=_optional(args.source_to_diaphragm_cm, "--source-to-diaphragm-cm"),
        physicist=args.physicist,
        sad_cm=_optional(args.sad_cm, "--sad-cm"),
    )
    stored = import_machine(args.files, setup, replace_existing=args.replace)
    print(f"imported machine {stored.setup.name} ({stored.setup.energy}) into {stored.folder}")
    print(f"tables: {', '.join(sorted(stored.tables.values()))}")
    print(f"data: {stored.machine.data_statement}")
    print(f"next: spineplan machine check {stored.setup.name!r} (comparison for sign-off)")
    return 0


def _list() -> int:
    names = machine_names()
    if not names:
        print(f"no commissioned machines in {machines_dir()} (spineplan machine import)")
        return 0
    print(f"commissioned machines in {machines_dir()}:")
    for name in names:
        try:
            stored = load_machine(name)
        except PlanningError as error:
            print(f"  {name}: UNREADABLE: {error}")
            continue
        setup = stored.setup
        files = ", ".join(Path(s["file"]).name for s in stored.sources)
        print(
            f"  {setup.name}: {setup.energy}, {setup.setup} set-up, SAD "
            f"{stored.machine.sad_cm:g} cm, reference SSD "
            f"{setup.reference_ssd_cm:g} cm; imported {stored.imported_at} by {setup.physicist} "
            f"from {files}"
        )
    return 0


def _check(args: argparse.Namespace) -> int:
    stored = load_machine(args.name)
    result = check_machine(stored)
    out = Path(args.out) if args.out else stored.folder / "check"
    written = write_check_report(result, stored, out)
    print(check_text(result), end="")
    print(f"wrote {', '.join(p.name for p in written)} in {out}")
    return 0 if result.passed else 1


def run(args: argparse.Namespace) -> int:
    if args.action == "import":
        return _import(args)
    if args.action == "list":
        return _list()
    return _check(args)
