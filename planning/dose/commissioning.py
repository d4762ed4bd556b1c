"""A unit's own measured beam data: read from the CSV templates or PTW mcc files, and checked.

The CSV templates are in ``resources/beam_data/templates/`` and described in
``docs/commissioning.md``. A file's kind is read from its header row (never guessed from the
values):

* ``depth_cm,pdd_sq_<side>,...``: central-axis PDD in %, 100 at d_max, at the reference SSD;
* ``depth_cm,tpr_sq_<side>,...``: TPR, 1.000 at the reference depth, sides at the depth;
* ``side_cm,sc,sp`` or ``side_cm,scp``: scatter factors, 1.000 for 10 x 10 cm;
* ``field_cm,depth_cm,off_axis_cm,dose_percent``: half-profiles, 100 % on the axis, 0.1 cm steps.

An ``.mcc`` file (:mod:`planning.dose.mcc_reader`) gives PDD scans and profiles; their readings
are relative, so each PDD is normalised to 100 at its maximum and each profile to 100 on its
axis (the two halves averaged).

Every check says the file and the line: depths and field sizes covered, a plausible d_max for the
energy, a monotonic fall-off past d_max, the normalisation, no gaps, no missing value, no values
that look like cGy or readings where % is expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planning.case.settings import parse_energy
from planning.dose.beam_data import BeamDataError
from planning.dose.mcc_reader import MccScan, read_mcc

#: Plausible depth of maximum dose on the axis, cm, per energy (Khan, 4th ed., table 9.1 region:
#: Co-60 0.5 cm, 6 MV 1.5 cm; the window allows field-size and machine differences).
DMAX_RANGE_CM = {"Co60": (0.3, 0.8), "6MV": (1.0, 2.0)}
#: Depths and field sides a table must cover for spinal fields (depths to 20 cm: midplane of an
#: opposed pair and a PA to the anterior body; sides 5-20 cm: every spinal field's equivalent
#: square), and the reference field it must hold.
REQUIRED_DEPTH_CM = 20.0
REQUIRED_SIDES_CM = (5.0, 20.0)
REFERENCE_SIDE_CM = 10.0
#: Largest depth step without a gap, cm (up to :data:`REQUIRED_DEPTH_CM`).
MAX_DEPTH_STEP_CM = 2.0
#: A value above this where % (100 at d_max) is expected is a dose or a reading, not a %.
PERCENT_CEILING = 150.0
#: Rise allowed past d_max (measurement noise), in % of the maximum.
FALL_OFF_TOLERANCE_PERCENT = 0.5
#: Off-axis grid of a stored profile, cm.
PROFILE_STEP_CM = 0.1


@dataclass(frozen=True)
class DepthTable:
    """PDD (%) or TPR on a (depth, side) grid, with the file line of every row."""

    quantity: str  # "pdd" or "tpr"
    depths_cm: np.ndarray
    sides_cm: np.ndarray
    values: np.ndarray
    lines: tuple[int, ...]
    source: str


@dataclass(frozen=True)
class ScatterFactors:
    """Scatter factors against the equivalent-square side (``sc``/``sp`` or ``scp``)."""

    sides_cm: np.ndarray
    sc: np.ndarray | None
    sp: np.ndarray | None
    scp: np.ndarray | None
    source: str


@dataclass(frozen=True)
class ProfileSet:
    """Half-profiles in the long format of ``resources/beam_data/6mv_profiles_truebeam_gbd.csv``."""

    field_cm: np.ndarray
    depth_cm: np.ndarray
    off_axis_cm: np.ndarray
    dose_percent: np.ndarray
    source: str


@dataclass(frozen=True)
class MeasuredData:
    """Everything read from a physicist's files, each part checked."""

    pdd: DepthTable | None
    tpr: DepthTable | None
    scatter: ScatterFactors | None
    profiles: ProfileSet | None
    reference_ssd_cm: float | None  # from the mcc header, when it says


# -- reading -------------------------------------------------------------------------------


def read_measured_data(paths: list[Path], energy: str) -> MeasuredData:
    """Read and check every file; at most one of each kind.

    Raises
    ------
    BeamDataError
        The first problem found, naming the file and the line.
    """
    energy = parse_energy(energy)
    parts: dict[str, object] = {}
    ssd: float | None = None

    def keep(kind: str, value: object, path: Path) -> None:
        if kind in parts:
            raise BeamDataError(f"{path}: a second {kind} table (give one {kind} file)")
        parts[kind] = value

    for path in paths:
        if not path.is_file():
            raise BeamDataError(f"{path}: no such file")
        if path.suffix.lower() == ".mcc":
            pdd, profiles, mcc_ssd = _read_mcc_data(path, energy)
            if pdd is not None:
                keep("pdd", pdd, path)
            if profiles is not None:
                keep("profiles", profiles, path)
            ssd = mcc_ssd if mcc_ssd is not None else ssd
        else:
            kind, value = _read_template(path, energy)
            keep(kind, value, path)
    if "pdd" not in parts and "tpr" not in parts:
        raise BeamDataError("no depth dose: give a PDD or a TPR table (CSV template or mcc file)")
    if "scatter" not in parts:
        raise BeamDataError("no scatter factors: give a side_cm,sc,sp or side_cm,scp table")
    scatter = parts["scatter"]
    assert isinstance(scatter, ScatterFactors)
    if "tpr" in parts and "pdd" not in parts and scatter.scp is None and scatter.sp is None:
        raise BeamDataError("a TPR-only machine needs Sp or Scp to derive its PDD")
    return MeasuredData(
        pdd=parts.get("pdd"),  # type: ignore[arg-type]
        tpr=parts.get("tpr"),  # type: ignore[arg-type]
        scatter=scatter,
        profiles=parts.get("profiles"),  # type: ignore[arg-type]
        reference_ssd_cm=ssd,
    )


def _data_lines(path: Path) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """Header line number, header cells, and (line number, cells) of every data row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BeamDataError(f"{path}: cannot be read ({error})") from None
    header_line = 0
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if not header:
            header_line, header = number, [c.lower() for c in cells]
        else:
            rows.append((number, cells))
    if not header:
        raise BeamDataError(f"{path}: empty (see resources/beam_data/templates/)")
    if not rows:
        raise BeamDataError(f"{path}, line {header_line}: a header but no data rows")
    return header_line, header, rows


def _numbers(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> np.ndarray:
    data = np.empty((len(rows), len(header)))
    for i, (number, cells) in enumerate(rows):
        if len(cells) > len(header):
            raise BeamDataError(
                f"{path}, line {number}: {len(cells)} values for {len(header)} columns"
            )
        cells = cells + [""] * (len(header) - len(cells))
        for j, cell in enumerate(cells):
            if cell == "":
                raise BeamDataError(
                    f"{path}, line {number}: no value for {header[j]} (a missing field size or "
                    "depth: measure it or remove the column)"
                )
            try:
                value = float(cell)
            except ValueError:
                raise BeamDataError(
                    f"{path}, line {number}: {header[j]} = {cell!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise BeamDataError(f"{path}, line {number}: {header[j]} is not finite")
            data[i, j] = value
    return data


def _read_template(path: Path, energy: str) -> tuple[str, object]:
    header_line, header, rows = _data_lines(path)
    data = _numbers(path, header, rows)
    lines = tuple(number for number, _ in rows)
    where = f"{path}, line {header_line}"
    if header[0] == "depth_cm" and len(header) > 1:
        kinds = {h.split("_sq_")[0] for h in header[1:]}
        if len(kinds) != 1 or not kinds <= {"pdd", "tpr"}:
            raise BeamDataError(
                f"{where}: columns must all be pdd_sq_<side> or all tpr_sq_<side>, got "
                f"{','.join(header[1:])}"
            )
        quantity = kinds.pop()
        sides = []
        for h in header[1:]:
            try:
                sides.append(float(h.split("_sq_")[1]))
            except (IndexError, ValueError):
                raise BeamDataError(f"{where}: column {h!r} does not name a side in cm") from None
        table = DepthTable(
            quantity=quantity,
            depths_cm=data[:, 0],
            sides_cm=np.asarray(sides),
            values=data[:, 1:],
            lines=lines,
            source=str(path),
        )
        check_depth_table(table, energy, header_line)
        return quantity, table
    if header[0] == "side_cm" and header[1:] in (["sc", "sp"], ["scp"]):
        scatter = ScatterFactors(
            sides_cm=data[:, 0],
            sc=data[:, 1] if header[1] == "sc" else None,
            sp=data[:, 2] if header[1] == "sc" else None,
            scp=data[:, 1] if header[1] == "scp" else None,
            source=str(path),
        )
        _check_scatter(scatter, path, lines, header_line)
        return "scatter", scatter
    if header == ["field_cm", "depth_cm", "off_axis_cm", "dose_percent"]:
        profiles = ProfileSet(data[:, 0], data[:, 1], data[:, 2], data[:, 3], str(path))
        check_profiles(profiles, path, lines)
        return "profiles", profiles
    raise BeamDataError(
        f"{where}: unknown table header {','.join(header)} (expected depth_cm,pdd_sq_<side>,... "
        "or depth_cm,tpr_sq_<side>,... or side_cm,sc,sp or side_cm,scp or "
        "field_cm,depth_cm,off_axis_cm,dose_percent; see resources/beam_data/templates/)"
    )


# -- checks --------------------------------------------------------------------------------


def check_depth_table(table: DepthTable, energy: str, header_line: int) -> None:
    """Check a PDD or TPR table (module docstring); the message names the file and line."""
    src, depth, sides, values, lines = (
        table.source,
        table.depths_cm,
        table.sides_cm,
        table.values,
        table.lines,
    )
    name = table.quantity.upper()
    for i in range(1, len(depth)):
        if depth[i] <= depth[i - 1]:
            raise BeamDataError(
                f"{src}, line {lines[i]}: depth {depth[i]:g} cm does not increase "
                f"(previous {depth[i - 1]:g} cm)"
            )
        if depth[i - 1] < REQUIRED_DEPTH_CM and depth[i] - depth[i - 1] > MAX_DEPTH_STEP_CM:
            raise BeamDataError(
                f"{src}, line {lines[i]}: a gap from {depth[i - 1]:g} to {depth[i]:g} cm "
                f"(steps of at most {MAX_DEPTH_STEP_CM:g} cm down to {REQUIRED_DEPTH_CM:g} cm)"
            )
    if np.any(np.diff(sides) <= 0):
        raise BeamDataError(f"{src}, line {header_line}: field sides must increase left to right")
    if depth[-1] < REQUIRED_DEPTH_CM:
        raise BeamDataError(
            f"{src}, line {lines[-1]}: the deepest depth is {depth[-1]:g} cm; measure to at least "
            f"{REQUIRED_DEPTH_CM:g} cm"
        )
    if not np.any(np.isclose(sides, REFERENCE_SIDE_CM)):
        raise BeamDataError(
            f"{src}, line {header_line}: no {REFERENCE_SIDE_CM:g} x {REFERENCE_SIDE_CM:g} cm "
            "column (the reference field is required)"
        )
    if sides[0] > REQUIRED_SIDES_CM[0] or sides[-1] < REQUIRED_SIDES_CM[1]:
        raise BeamDataError(
            f"{src}, line {header_line}: field sides {sides[0]:g}-{sides[-1]:g} cm do not cover "
            f"{REQUIRED_SIDES_CM[0]:g}-{REQUIRED_SIDES_CM[1]:g} cm (a missing field size)"
        )
    if np.any(values <= 0):
        i, j = np.argwhere(values <= 0)[0]
        raise BeamDataError(f"{src}, line {lines[i]}: {name} of the {sides[j]:g} cm field <= 0")
    big = values > (PERCENT_CEILING if table.quantity == "pdd" else 3.0)
    if np.any(big):
        i, j = np.argwhere(big)[0]
        expected = "% (100 at d_max)" if table.quantity == "pdd" else "a ratio (1 at the reference)"
        raise BeamDataError(
            f"{src}, line {lines[i]}: {name} {values[i, j]:g} for the {sides[j]:g} cm field looks "
            f"like cGy or a chamber reading; {expected} is expected"
        )
    low, high = DMAX_RANGE_CM[energy]
    for j, side in enumerate(sides):
        if side <= 0:
            continue  # a zero-area TPR column has no build-up maximum of its own
        k = int(np.argmax(values[:, j]))
        if not low <= depth[k] <= high:
            raise BeamDataError(
                f"{src}, line {lines[k]}: the {side:g} cm field peaks at {depth[k]:g} cm; d_max "
                f"of a {energy} beam lies at {low:g}-{high:g} cm (wrong energy or shifted depths?)"
            )
        peak = values[k, j]
        for i in range(k + 1, len(depth)):
            if values[i, j] - values[i - 1, j] > FALL_OFF_TOLERANCE_PERCENT / 100.0 * peak:
                raise BeamDataError(
                    f"{src}, line {lines[i]}: the {side:g} cm field rises from "
                    f"{values[i - 1, j]:g} to {values[i, j]:g} past d_max (the fall-off must be "
                    "monotonic)"
                )
    if table.quantity == "pdd":
        peaks = values.max(axis=0)
        off = np.flatnonzero(np.abs(peaks - 100.0) > 0.5)
        if off.size:
            j = int(off[0])
            i = int(np.argmax(values[:, j]))
            raise BeamDataError(
                f"{src}, line {lines[i]}: the maximum of the {sides[j]:g} cm field is "
                f"{peaks[j]:g}; a PDD is normalised to 100 at d_max"
            )
    else:
        unity = np.flatnonzero(np.all(np.abs(values - 1.0) <= 0.005, axis=1))
        if unity.size == 0:
            raise BeamDataError(
                f"{src}, line {header_line}: no depth where every field's TPR is 1.000; normalise "
                "the TPR to 1 at the reference depth"
            )


def _check_scatter(s: ScatterFactors, path: Path, lines: tuple[int, ...], header_line: int) -> None:
    sides = s.sides_cm
    for i in range(1, len(sides)):
        if sides[i] <= sides[i - 1]:
            raise BeamDataError(f"{path}, line {lines[i]}: side {sides[i]:g} cm does not increase")
    if sides[0] > REQUIRED_SIDES_CM[0] or sides[-1] < REQUIRED_SIDES_CM[1]:
        raise BeamDataError(
            f"{path}, line {header_line}: sides {sides[0]:g}-{sides[-1]:g} cm do not cover "
            f"{REQUIRED_SIDES_CM[0]:g}-{REQUIRED_SIDES_CM[1]:g} cm (a missing field size)"
        )
    for name, column in (("sc", s.sc), ("sp", s.sp), ("scp", s.scp)):
        if column is None:
            continue
        bad = np.flatnonzero((column <= 0) | (column > 3.0))
        if bad.size:
            i = int(bad[0])
            raise BeamDataError(
                f"{path}, line {lines[i]}: {name} = {column[i]:g} is not a scatter factor (a "
                "ratio near 1; cGy or a reading?)"
            )
        near_reference = np.abs(sides - REFERENCE_SIDE_CM) <= 1.0
        if not np.any(near_reference & (np.abs(column - 1.0) <= 0.005)):
            raise BeamDataError(
                f"{path}, line {header_line}: {name} is not normalised to 1.000 at the "
                f"{REFERENCE_SIDE_CM:g} x {REFERENCE_SIDE_CM:g} cm reference field"
            )


def check_profiles(p: ProfileSet, path: Path, lines: tuple[int, ...] | None = None) -> None:
    """Profiles: on the 0.1 cm grid, 100 % on the axis, every field at every depth."""

    def where(i: int) -> str:
        return f"{path}, line {lines[i]}" if lines else f"{path}"

    steps = p.off_axis_cm / PROFILE_STEP_CM
    off_grid = np.flatnonzero((np.abs(steps - np.rint(steps)) > 1e-6) | (p.off_axis_cm < 0))
    if off_grid.size:
        raise BeamDataError(f"{where(int(off_grid[0]))}: off-axis positions must be 0, 0.1, ... cm")
    big = np.flatnonzero(p.dose_percent > PERCENT_CEILING)
    if big.size:
        i = int(big[0])
        raise BeamDataError(
            f"{where(i)}: {p.dose_percent[i]:g} looks like cGy or a reading; % (100 on the axis) "
            "is expected"
        )
    depths, fields = np.unique(p.depth_cm), np.unique(p.field_cm)
    if len(depths) < 2 or len(fields) < 2:
        raise BeamDataError(f"{path}: profiles need at least two depths and two field sizes")
    for depth in depths:
        for side in fields:
            here = np.flatnonzero((p.depth_cm == depth) & (p.field_cm == side))
            if here.size == 0:
                raise BeamDataError(
                    f"{path}: no profile of the {side:g} cm field at {depth:g} cm (every field is "
                    "needed at every depth: a missing field size)"
                )
            axis = here[np.abs(p.off_axis_cm[here]) < 1e-6]
            if axis.size == 0 or abs(p.dose_percent[axis[0]] - 100.0) > 1.0:
                i = int(axis[0]) if axis.size else int(here[0])
                raise BeamDataError(
                    f"{where(i)}: the {side:g} cm profile at {depth:g} cm must be 100 % at 0 cm"
                )
            if p.dose_percent[here].min() > 20.0:
                raise BeamDataError(
                    f"{where(int(here[-1]))}: the {side:g} cm profile at {depth:g} cm does not "
                    "fall below 20 % (scan further out)"
                )


# -- mcc -----------------------------------------------------------------------------------


def _field_side_cm(scan: MccScan, path: Path) -> float:
    inplane = scan.number_of("FIELD_INPLANE", path) / 10.0
    crossplane = scan.number_of("FIELD_CROSSPLANE", path) / 10.0
    if abs(inplane - crossplane) > 0.05:
        raise BeamDataError(
            f"{path}, scan {scan.number} (line {scan.first_line}): field {inplane:g} x "
            f"{crossplane:g} cm is not square; export square fields"
        )
    return inplane


def _read_mcc_data(
    path: Path, energy: str
) -> tuple[DepthTable | None, ProfileSet | None, float | None]:
    scans = read_mcc(path)
    pdd_scans = [s for s in scans if s.curve_type == "PDD"]
    profile_scans = [s for s in scans if s.curve_type.endswith("PROFILE")]
    ssds = {round(s.number_of("SSD", path) / 10.0, 2) for s in scans if "SSD" in s.header}
    if len(ssds) > 1:
        raise BeamDataError(f"{path}: scans at several SSDs ({sorted(ssds)} cm); export one SSD")
    ssd = ssds.pop() if ssds else None
    return (
        _mcc_pdd(path, pdd_scans, energy) if pdd_scans else None,
        _mcc_profiles(path, profile_scans) if profile_scans else None,
        ssd,
    )


def _mcc_pdd(path: Path, scans: list[MccScan], energy: str) -> DepthTable:
    """PDD scans (one per square field) on a common 0.25 cm depth grid, 100 at each maximum."""
    curves: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    low, high = DMAX_RANGE_CM[energy]
    for scan in scans:
        side = _field_side_cm(scan, path)
        if side in curves:
            raise BeamDataError(
                f"{path}, scan {scan.number} (line {scan.first_line}): a second PDD of the "
                f"{side:g} cm field"
            )
        order = np.argsort(scan.positions_mm)
        depth = np.asarray(scan.positions_mm)[order] / 10.0
        reading = np.asarray(scan.readings)[order]
        lines = np.asarray(scan.lines)[order]
        if np.any(np.diff(depth) <= 0):
            raise BeamDataError(f"{path}, scan {scan.number}: a depth is measured twice")
        if np.any(reading <= 0):
            i = int(np.flatnonzero(reading <= 0)[0])
            raise BeamDataError(f"{path}, line {lines[i]}: reading <= 0")
        k = int(np.argmax(reading))
        if not low <= depth[k] <= high:
            raise BeamDataError(
                f"{path}, line {lines[k]}: the {side:g} cm PDD peaks at {depth[k]:g} cm; d_max "
                f"of a {energy} beam lies at {low:g}-{high:g} cm"
            )
        peak = reading[k]
        for i in range(k + 1, len(depth)):
            if reading[i] - reading[i - 1] > FALL_OFF_TOLERANCE_PERCENT / 100.0 * peak:
                raise BeamDataError(
                    f"{path}, line {lines[i]}: the {side:g} cm PDD rises past d_max "
                    f"({reading[i - 1]:g} to {reading[i]:g}; the fall-off must be monotonic)"
                )
            if depth[i - 1] < REQUIRED_DEPTH_CM and depth[i] - depth[i - 1] > MAX_DEPTH_STEP_CM:
                raise BeamDataError(
                    f"{path}, line {lines[i]}: a gap from {depth[i - 1]:g} to {depth[i]:g} cm"
                )
        curves[side] = (depth, 100.0 * reading / peak)
    sides = np.array(sorted(curves))
    start = max(curves[s][0][0] for s in sides)
    stop = min(curves[s][0][-1] for s in sides)
    grid = np.round(np.arange(math.ceil(start * 4) / 4, stop + 1e-9, 0.25), 4)
    values = np.column_stack([np.interp(grid, *curves[s]) for s in sides])
    table = DepthTable(
        quantity="pdd",
        depths_cm=grid,
        sides_cm=sides,
        values=values,
        lines=tuple(scans[0].first_line for _ in grid),
        source=f"{path} (PDD scans, normalised to 100 at each maximum, resampled every 0.25 cm)",
    )
    # Coverage, reference field and the normalisation of the resampled table (the per-scan
    # checks above already named the lines).
    if len(sides) < 2:
        raise BeamDataError(f"{path}: PDD scans of one field size only; measure 5-20 cm")
    try:
        check_depth_table(table, energy, scans[0].first_line)
    except BeamDataError as error:
        raise BeamDataError(f"{error} (mcc PDD scans)") from None
    return table


def _mcc_profiles(path: Path, scans: list[MccScan]) -> ProfileSet:
    """Profiles as half-profiles: both halves averaged, 100 % on the axis, every 0.1 cm."""
    chosen: dict[tuple[float, float], MccScan] = {}
    for scan in scans:
        key = (_field_side_cm(scan, path), round(scan.number_of("SCAN_DEPTH", path) / 10.0, 3))
        # Crossplane is preferred when both directions were scanned (one axis stands for both).
        if key not in chosen or scan.curve_type == "CROSSPLANE_PROFILE":
            chosen[key] = scan
    rows: list[tuple[float, float, float, float]] = []
    for (side, depth), scan in sorted(chosen.items()):
        x = np.asarray(scan.positions_mm) / 10.0
        order = np.argsort(x)
        x, reading = x[order], np.asarray(scan.readings)[order]
        if x[0] > -0.05 or x[-1] < 0.05:
            raise BeamDataError(
                f"{path}, scan {scan.number} (line {scan.first_line}): the profile must cross "
                "the central axis (scan both sides)"
            )
        reach = min(-x[0], x[-1])
        half = np.arange(0.0, reach + 1e-9, PROFILE_STEP_CM)
        values = 0.5 * (np.interp(half, x, reading) + np.interp(-half, x, reading))
        values = 100.0 * values / values[0]
        rows += [
            (side, depth, round(float(h), 4), float(v)) for h, v in zip(half, values, strict=True)
        ]
    data = np.asarray(rows)
    profiles = ProfileSet(data[:, 0], data[:, 1], data[:, 2], data[:, 3], f"{path} (profile scans)")
    check_profiles(profiles, path)
    return profiles
