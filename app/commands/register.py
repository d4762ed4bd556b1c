"""``spineplan register MOVING FIXED --out REG.dcm``: rigid MR -> CT registration as a DICOM REG.

MOVING (the diagnostic MR) and FIXED (the planning CT) are each a series folder, one file of the
series, or a folder holding several series (then ``--moving-series N`` / ``--fixed-series N``
pick one by series number; without it the error lists them). The registration is rigid, by
Mattes mutual information (`imaging.registration.register_rigid`):

* ``--init-points MX,MY,MZ:FX,FY,FZ`` (repeatable): the same point clicked on the MR and on the
  CT, each in its own LPS mm -- one pair sets the start's translation, three or more its
  rotation too. Write ``--init-points=-12,30,-400:...`` when the first number is negative.
* without them the level is searched automatically; when alignments about a vertebra apart
  score close, the result is *ambiguous*: the REG of the best one is still written, the exit
  status is 1 and the alternatives are listed -- confirm the level with ``--init-points``.
* ``--region-mm X0,Y0,Z0:X1,Y1,Z1``: the box of the MR (its LPS mm) that drives the fit, e.g.
  the lesion's levels +/- 2 vertebrae from the front of the bodies to the laminae; ``inf`` and
  ``-inf`` leave a side open. Default: the whole MR.

The REG file (Spatial Registration, in the CT's study and frame of reference) appears only when
complete. ``--json`` prints the result: ``matrix_moving_to_fixed`` (4x4, row-major, MR LPS mm ->
CT LPS mm), the two frames of reference, ``metric``, ``quality``, ``ambiguous``,
``alternatives``, ``warnings``, ``initialisation``, ``reg_file``. Exit status 0 registered,
1 registered but ambiguous, 2 bad input (one line on stderr, nothing written).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from imaging.discovery import SeriesInfo, discover
from imaging.errors import NoDicomError, RegistrationError, SeriesError
from imaging.loading import load_series
from imaging.registration import PointPair, RegionBox, RegistrationResult, register_rigid
from imaging.spatial_registration import registered_series, write_spatial_registration

EXIT_REGISTERED = 0
EXIT_AMBIGUOUS = 1

POINTS_FORMAT = "MX,MY,MZ:FX,FY,FZ"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("moving", metavar="MOVING", help="the MR: series folder, file or study")
    parser.add_argument("fixed", metavar="FIXED", help="the planning CT: series folder or file")
    parser.add_argument("--out", metavar="REG.dcm", required=True, help="the REG file to write")
    parser.add_argument(
        "--init-points",
        metavar=POINTS_FORMAT,
        action="append",
        default=[],
        help=(
            "a point on the MR and the same point on the CT, LPS mm (repeatable; write "
            "--init-points=... when it starts with a minus sign)"
        ),
    )
    parser.add_argument(
        "--region-mm",
        metavar="X0,Y0,Z0:X1,Y1,Z1",
        help="box of the MR (LPS mm) used for the fit; inf/-inf leave a side open",
    )
    parser.add_argument("--moving-series", metavar="N", help="series number of the MR")
    parser.add_argument("--fixed-series", metavar="N", help="series number of the CT")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.epilog = "exit status: 0 registered, 1 registered but ambiguous, 2 bad input"


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if not out.parent.is_dir():
        raise RegistrationError(f"--out: the folder {out.parent} does not exist")
    pairs = [parse_point_pair(text) for text in args.init_points]
    region = parse_region(args.region_mm) if args.region_mm is not None else None
    moving_info = choose_series(args.moving, args.moving_series, "--moving-series")
    fixed_info = choose_series(args.fixed, args.fixed_series, "--fixed-series")
    if moving_info.frame_of_reference_uid == fixed_info.frame_of_reference_uid:
        raise RegistrationError(
            f"the MR {moving_info.label} and the CT {fixed_info.label} share the frame of "
            f"reference {fixed_info.frame_of_reference_uid}: the scanner already relates them"
        )
    warnings = []
    moving_patient = moving_info.metadata.patient_id
    fixed_patient = fixed_info.metadata.patient_id
    if moving_patient != fixed_patient:
        warnings.append(
            f"the MR and the CT have different PatientID ({moving_patient or '(none)'} and "
            f"{fixed_patient or '(none)'}): check that they are the same patient"
        )
    moving = load_series(moving_info)
    fixed = load_series(fixed_info)
    result = register_rigid(moving, fixed, region=region, point_pairs=pairs)
    warnings.extend(result.warnings)
    write_spatial_registration(
        out,
        result.matrix_moving_to_fixed,
        fixed=registered_series(fixed_info),
        moving=registered_series(moving_info),
        comment=("AMBIGUOUS level: " if result.ambiguous else "") + "rigid MR to CT, Mattes MI",
    )
    for warning in warnings:
        print(f"spineplan: warning: {warning}", file=sys.stderr)
    document = result_document(result, warnings, out, moving_info, fixed_info)
    if args.json:
        print(json.dumps(document, indent=2), file=sys.stdout)
    else:
        print(result_text(result, out), file=sys.stdout)
    return EXIT_AMBIGUOUS if result.ambiguous else EXIT_REGISTERED


def parse_point_pair(text: str) -> PointPair:
    """``MX,MY,MZ:FX,FY,FZ`` -> a `PointPair`, or a one-line RegistrationError."""
    parts = text.split(":")
    if len(parts) != 2:
        raise RegistrationError(f"--init-points {text!r}: expected {POINTS_FORMAT} (MR : CT, mm)")
    moving, fixed = (_triple(part, text, "--init-points") for part in parts)
    return PointPair(moving, fixed)


def parse_region(text: str) -> RegionBox:
    """``X0,Y0,Z0:X1,Y1,Z1`` -> a `RegionBox` (``inf``/``-inf`` allowed)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise RegistrationError(f"--region-mm {text!r}: expected X0,Y0,Z0:X1,Y1,Z1 (mm)")
    low, high = (_triple(part, text, "--region-mm", allow_infinite=True) for part in parts)
    lower = tuple(min(a, b) for a, b in zip(low, high, strict=True))
    upper = tuple(max(a, b) for a, b in zip(low, high, strict=True))
    return RegionBox(lower, upper)  # type: ignore[arg-type]


def _triple(
    part: str, text: str, option: str, *, allow_infinite: bool = False
) -> tuple[float, float, float]:
    values = part.split(",")
    try:
        numbers = tuple(float(v) for v in values)
    except ValueError:
        numbers = ()
    if len(numbers) != 3 or any(math.isnan(v) for v in numbers):
        raise RegistrationError(f"{option} {text!r}: {part!r} is not three numbers x,y,z in mm")
    if not allow_infinite and not all(math.isfinite(v) for v in numbers):
        raise RegistrationError(f"{option} {text!r}: coordinates must be finite")
    return (numbers[0], numbers[1], numbers[2])


def choose_series(path_text: str, number_text: str | None, option: str) -> SeriesInfo:
    """The series ``path_text`` names: its only series, the one holding the file, or number N."""
    path = Path(path_text)
    if not path.exists():
        raise NoDicomError(f"{path}: no such file or folder")
    found = discover(path.parent if path.is_file() else path)
    series = found.series
    listing = "; ".join(f"#{s.series_number} '{s.description}' {s.modality}" for s in series)
    if number_text is not None:
        try:
            number = int(number_text)
        except ValueError:
            raise SeriesError(f"{option}: {number_text!r} is not a series number") from None
        matches = [s for s in series if s.series_number == number]
        if not matches:
            raise SeriesError(f"{path}: no series number {number}; found {listing}")
        return max(matches, key=lambda s: s.number_of_images)
    if path.is_file():
        resolved = path.resolve()
        holding = [s for s in series if any(f.resolve() == resolved for f in s.files)]
        if holding:
            return holding[0]
        raise SeriesError(f"{path}: not an image of any series found beside it")
    if len(series) == 1:
        return series[0]
    raise SeriesError(f"{path} holds {len(series)} series, choose one with {option} N: {listing}")


def result_document(
    result: RegistrationResult,
    warnings: list[str],
    out: Path,
    moving: SeriesInfo,
    fixed: SeriesInfo,
) -> dict[str, Any]:
    """The ``--json`` document."""
    document = result.to_json()
    document["warnings"] = list(warnings)
    document["reg_file"] = str(out)
    document["moving_series"] = moving.label
    document["fixed_series"] = fixed.label
    return document


def result_text(result: RegistrationResult, out: Path) -> str:
    """The human-readable summary."""
    rows = "\n".join(
        "  " + "  ".join(f"{v:12.6f}" for v in row) for row in result.matrix_moving_to_fixed
    )
    lines = [
        "matrix (MR LPS mm -> CT LPS mm):",
        rows,
        f"initialisation: {result.initialisation}",
        f"quality: {result.quality_text}",
    ]
    for alternative in result.alternatives:
        lines.append(
            f"alternative: {alternative.offset_mm:+.1f} mm cranio-caudal, "
            f"Mattes MI {alternative.metric:.4f}"
        )
    lines.append(f"wrote {out}" + (" (AMBIGUOUS: confirm the level)" if result.ambiguous else ""))
    return "\n".join(lines)
