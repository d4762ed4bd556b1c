"""A reader of PTW MEPHYSTO ``.mcc`` water-tank exports (depth doses and profiles).

Why not a library: the maintained Python readers located (``pymedphys``'s Mephysto reader) sit in
private/experimental modules (no public, versioned API to depend on), and ``pymcc`` is not on
PyPI; the format is a small line-based text, so spineplan reads it here, refusing whatever it
does not understand instead of guessing.

The format (as written by PTW MEPHYSTO mc2 / BEAMSCAN)::

    BEGIN_SCAN_DATA
        FORMAT=MEPHYSTO mc2
        BEGIN_SCAN  1
            SSD=1000.00                  (mm)
            FIELD_INPLANE=100.00         (mm, at the isocentre)
            FIELD_CROSSPLANE=100.00
            SCAN_CURVETYPE=PDD           (or CROSSPLANE_PROFILE, INPLANE_PROFILE, ...)
            SCAN_DEPTH=100.00            (mm, profiles)
            BEGIN_DATA
                0.00    1.0570E+00   [reference reading]
                ...                      (position mm, reading; any normalisation)
            END_DATA
        END_SCAN  1
    END_SCAN_DATA

Every value is read with the line it came from, so a validation message can name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from planning.dose.beam_data import BeamDataError


@dataclass(frozen=True)
class MccScan:
    """One scan of an mcc file.

    Attributes
    ----------
    number : int
        The scan's number (``BEGIN_SCAN n``).
    curve_type : str
        ``PDD``, ``CROSSPLANE_PROFILE``, ``INPLANE_PROFILE``...
    header : dict
        Every ``KEY=value`` line of the scan (values as text).
    positions_mm, readings : tuple of float
        The data lines: depth (PDD) or off-axis position (profiles), mm, and the reading.
    lines : tuple of int
        The file line of each data point (1-based).
    first_line : int
        The line of ``BEGIN_SCAN``.
    """

    number: int
    curve_type: str
    header: dict[str, str]
    positions_mm: tuple[float, ...]
    readings: tuple[float, ...]
    lines: tuple[int, ...]
    first_line: int

    def number_of(self, key: str, path: Path) -> float:
        """Header value ``key`` as a number, or an error naming the scan and the key."""
        text = self.header.get(key)
        if text is None:
            raise BeamDataError(f"{path}, scan {self.number} (line {self.first_line}): no {key}")
        try:
            return float(text)
        except ValueError:
            raise BeamDataError(
                f"{path}, scan {self.number} (line {self.first_line}): {key}={text!r} is not a "
                "number"
            ) from None


@dataclass
class _Builder:
    number: int
    first_line: int
    header: dict[str, str] = field(default_factory=dict)
    positions: list[float] = field(default_factory=list)
    readings: list[float] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    in_data: bool = False
    data_seen: bool = False


def read_mcc(path: str | Path) -> list[MccScan]:
    """The scans of an mcc file, in file order.

    Raises
    ------
    BeamDataError
        Not an mcc file, a scan opened and not closed, a data line that is not numbers, a scan
        without data; the message names the file and the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="latin-1")
    except OSError as error:
        raise BeamDataError(f"{path}: cannot be read ({error.strerror})") from None
    scans: list[MccScan] = []
    current: _Builder | None = None
    started = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line == "BEGIN_SCAN_DATA":
            started = True
            continue
        if not started:
            raise BeamDataError(
                f"{path}, line {number}: not a PTW mcc file (expected BEGIN_SCAN_DATA first)"
            )
        if line.startswith("BEGIN_SCAN") and not line.startswith("BEGIN_SCAN_DATA"):
            if current is not None:
                raise BeamDataError(f"{path}, line {number}: scan {current.number} is not closed")
            current = _Builder(_scan_number(line, path, number), number)
        elif line.startswith("END_SCAN_DATA"):
            if current is not None:
                raise BeamDataError(f"{path}, line {number}: scan {current.number} is not closed")
            break
        elif line.startswith("END_SCAN"):
            if current is None:
                raise BeamDataError(f"{path}, line {number}: END_SCAN without BEGIN_SCAN")
            if not current.positions:
                raise BeamDataError(
                    f"{path}, line {current.first_line}: scan {current.number} has no data"
                )
            scans.append(
                MccScan(
                    number=current.number,
                    curve_type=current.header.get("SCAN_CURVETYPE", ""),
                    header=dict(current.header),
                    positions_mm=tuple(current.positions),
                    readings=tuple(current.readings),
                    lines=tuple(current.lines),
                    first_line=current.first_line,
                )
            )
            current = None
        elif current is None:
            continue  # file-level KEY=value lines (FORMAT, FILE_CREATION_DATE...)
        elif line == "BEGIN_DATA":
            current.in_data = True
        elif line == "END_DATA":
            current.in_data = False
        elif current.in_data:
            cells = line.split()
            try:
                position, reading = float(cells[0]), float(cells[1])
            except (IndexError, ValueError):
                raise BeamDataError(
                    f"{path}, line {number}: expected a position (mm) and a reading, got {line!r}"
                ) from None
            current.positions.append(position)
            current.readings.append(reading)
            current.lines.append(number)
        elif "=" in line:
            key, _, value = line.partition("=")
            current.header[key.strip()] = value.strip()
    if current is not None:
        raise BeamDataError(f"{path}: scan {current.number} is not closed (file truncated?)")
    if not started:
        raise BeamDataError(f"{path}: not a PTW mcc file (no BEGIN_SCAN_DATA)")
    if not scans:
        raise BeamDataError(f"{path}: no scans")
    return scans


def _scan_number(line: str, path: Path, number: int) -> int:
    try:
        return int(line.split()[1])
    except (IndexError, ValueError):
        raise BeamDataError(f"{path}, line {number}: expected BEGIN_SCAN <number>") from None
