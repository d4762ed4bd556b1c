"""Command-line options shared by the commands (numbers; the plan and field settings).

The field options (``--energy``, ``--border``, ``--arrangement``, ``--margin-mm``,
``--width-mm``) and ``--separation-cm`` are declared once here, and their values checked and
turned into :class:`planning.case.settings.PlanSettings` overrides; a bad value raises a
:class:`planning.errors.PlanningError` naming the option (one line, exit status 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from planning.case.settings import (
    PlanSettings,
    parse_arrangement,
    parse_border_convention,
    parse_energy,
)
from planning.errors import PlanningError


def number(text: str, option: str, *, positive: bool = False) -> float:
    """``text`` as a finite float, or a PlanningError naming ``option``."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise PlanningError(f"{option}: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise PlanningError(f"{option}: {text!r} is not a finite number")
    if positive and value <= 0:
        raise PlanningError(f"{option}: must be greater than 0, got {text}")
    return value


def option_value(parse: Callable[[str], Any], text: str, option: str) -> Any:
    """``parse(text)``, its error message prefixed with the option it came from."""
    try:
        return parse(text)
    except PlanningError as error:
        raise type(error)(f"{option}: {error}") from None


def add_field_arguments(parser: argparse.ArgumentParser) -> None:
    """``--energy``, ``--border``, ``--arrangement``, ``--margin-mm``, ``--width-mm`` and the
    two end margins (``--skull-base-margin-mm``, ``--sacral-margin-mm``)."""
    parser.add_argument("--energy", help="Co60 or 6MV (default: the case file's plan setting)")
    add_machine_argument(parser, "the case file's plan setting, else the reference beam")
    parser.add_argument("--border", help="border convention: disc (default) or endplate")
    parser.add_argument("--arrangement", help="auto (default), PA, lateral_pair or AP_PA")
    parser.add_argument(
        "--margin-mm", metavar="M", help="extra margin beyond each border, mm (may be negative)"
    )
    parser.add_argument("--width-mm", metavar="W", help="field width at the isocentre, mm")
    parser.add_argument(
        "--skull-base-margin-mm",
        metavar="M",
        help="lesion reaching C1: superior border this far above the top of the C1 ring, mm "
        "(default 10)",
    )
    parser.add_argument(
        "--sacral-margin-mm",
        metavar="M",
        help="lesion reaching the lowest labelled sacral body: inferior border this far below "
        "it, mm (default 20)",
    )


#: ``--machine reference``: the reference beam of the energy, whatever the case file says.
REFERENCE_MACHINE = "reference"


def add_machine_argument(parser: argparse.ArgumentParser, default: str) -> None:
    """``--machine NAME``: a commissioned machine (``spineplan machine list``)."""
    parser.add_argument(
        "--machine",
        metavar="NAME",
        help=f"a commissioned machine (spineplan machine list), or '{REFERENCE_MACHINE}' for "
        f"the reference beam of the energy (default: {default})",
    )


def machine_option(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """``(machine name or None, its energy or None)`` of ``--machine``; checked it exists."""
    name = getattr(args, "machine", None)
    if name is None or name == REFERENCE_MACHINE:
        return None, None
    from planning.dose.machine_store import load_machine

    try:
        return name, load_machine(name).setup.energy
    except PlanningError as error:
        raise PlanningError(f"--machine: {error}") from None


def add_separation_argument(parser: argparse.ArgumentParser) -> None:
    """``--separation-cm``: the patient separation where the skin is not imaged."""
    parser.add_argument(
        "--separation-cm",
        metavar="S",
        help="patient separation along the beams where the skin is not imaged, cm",
    )


def separation_cm(args: argparse.Namespace) -> float | None:
    """The ``--separation-cm`` value, cm, or None when not given."""
    if args.separation_cm is None:
        return None
    return number(args.separation_cm, "--separation-cm")


def plan_settings(args: argparse.Namespace, base: PlanSettings) -> PlanSettings:
    """``base`` with the options given on the command line applied.

    Reads the field options and, when the command has them, ``--dose-gy`` and ``--fractions``.
    """
    changes: dict[str, object] = {}
    if args.energy is not None:
        changes["energy"] = option_value(parse_energy, args.energy, "--energy")
    if getattr(args, "machine", None) is not None:
        machine, machine_energy = machine_option(args)
        changes["machine"] = machine
        if machine_energy is not None:
            if "energy" in changes and changes["energy"] != machine_energy:
                raise PlanningError(
                    f"--machine {machine} is a {machine_energy} unit but --energy is "
                    f"{changes['energy']}"
                )
            changes["energy"] = machine_energy
    if args.border is not None:
        changes["border_convention"] = option_value(
            parse_border_convention, args.border, "--border"
        )
    if args.arrangement is not None:
        changes["arrangement"] = option_value(parse_arrangement, args.arrangement, "--arrangement")
    if args.margin_mm is not None:
        changes["margin_mm"] = number(args.margin_mm, "--margin-mm")
    if args.width_mm is not None:
        changes["field_width_mm"] = number(args.width_mm, "--width-mm", positive=True)
    for option in ("skull_base_margin_mm", "sacral_margin_mm"):
        if getattr(args, option, None) is not None:
            flag = "--" + option.replace("_", "-")
            changes[option] = number(getattr(args, option), flag)
    if getattr(args, "dose_gy", None) is not None:
        changes["dose_gy"] = number(args.dose_gy, "--dose-gy", positive=True)
    if getattr(args, "fractions", None) is not None:
        fractions = number(args.fractions, "--fractions", positive=True)
        if not fractions.is_integer():
            raise PlanningError(f"--fractions: expected a whole number, got {args.fractions}")
        changes["fractions"] = int(fractions)
    try:
        return replace(base, **changes)
    except PlanningError as error:
        raise PlanningError(f"plan settings: {error}") from None
