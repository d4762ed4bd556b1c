"""Published beam-data tables shipped in ``resources/beam_data/`` and their interpolation.

Every table is a CSV file whose leading ``#`` lines name the publication it was copied from.
Tables are read once and cached. Interpolation rules (chosen here, tested in
``tests/planning/test_beam_model.py``):

* **depth**: linear in depth of ``ln(value)``. Beyond the build-up region a photon depth dose
  falls off nearly exponentially, so log-linear interpolation is exact for a pure exponential and
  errs by far less than linear interpolation between 0.5-1 cm spaced rows (the error of linear
  interpolation of ``exp(-mu d)`` over a 1 cm step at mu = 0.05 /cm is ~0.03 %; log-linear: 0).
* **field size**: linear in the side of the equivalent square, which is how depth-dose tables are
  read by hand (BJR Supplement 25 section 2 recommends interpolation in the equivalent square).

Values outside the tabulated range are not extrapolated: depths clamp to the last row (with the
caller told by :attr:`DepthDoseTable.max_depth_cm`) and field sizes clamp to the table's range.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from planning.errors import PlanningError

#: Folder holding the CSV tables (a package-data folder of ``resources``).
BEAM_DATA_DIR = Path(str(resources.files("resources"))) / "beam_data"


class BeamDataError(PlanningError):
    """A beam-data table that is missing or malformed."""


@dataclass(frozen=True)
class Table2D:
    """A table of values on a (depth, field side) grid.

    Attributes
    ----------
    rows : numpy.ndarray
        Row coordinates (depth in cm), strictly increasing.
    columns : numpy.ndarray
        Column coordinates (equivalent-square side in cm), strictly increasing.
    values : numpy.ndarray
        ``values[i, j]`` at ``rows[i]``, ``columns[j]``.
    source : str
        The ``#`` header of the CSV file: publication, table, caveats.
    path : pathlib.Path
        The file the table was read from.
    """

    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    source: str
    path: Path


def _read_csv(path: Path) -> tuple[str, list[str], np.ndarray]:
    if not path.is_file():
        raise BeamDataError(f"beam-data table {path} is missing")
    comments: list[str] = []
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comments.append(line[1:].strip())
        elif line.strip():
            lines.append(line)
    if len(lines) < 2:
        raise BeamDataError(f"beam-data table {path} has no data rows")
    header = [cell.strip() for cell in lines[0].split(",")]
    try:
        data = np.array([[float(c) for c in line.split(",")] for line in lines[1:]], dtype=float)
    except ValueError as error:
        raise BeamDataError(f"beam-data table {path}: a value is not a number ({error})") from None
    if data.ndim != 2 or data.shape[1] != len(header):
        raise BeamDataError(f"beam-data table {path}: rows do not all have {len(header)} columns")
    return "\n".join(comments), header, data


def resolve_table_name(name: str) -> str:
    """The file name to read for a configured table name such as ``co60_pdd_ssd80.csv``.

    The configured name itself when that file exists; otherwise the single file named
    ``<stem>_<source>.csv`` (e.g. ``co60_pdd_ssd80_bjr25.csv``), so a table can carry its source
    in its file name; otherwise ``name`` unchanged (the loader then reports it missing).

    Raises
    ------
    BeamDataError
        When several ``<stem>_*.csv`` files match: which one to use would be a guess.
    """
    if (BEAM_DATA_DIR / name).is_file():
        return name
    path = Path(name)
    candidates = sorted(BEAM_DATA_DIR.glob(f"{path.stem}_*{path.suffix}"))
    if len(candidates) > 1:
        listed = ", ".join(c.name for c in candidates)
        raise BeamDataError(
            f"beam-data folder {BEAM_DATA_DIR} holds several tables for {name} ({listed}); "
            "keep exactly one"
        )
    return candidates[0].name if candidates else name


@functools.cache
def load_table_2d(name: str) -> Table2D:
    """Read a depth x field-size table such as ``6mv_pdd_ssd100_tg71.csv``.

    The header row is ``depth_cm,sq_<side>,sq_<side>,...`` (``fs<side>`` is read the same way:
    the spelling of the measured Co-60 set, whose ``fs0`` column is the zero-area field).
    """
    path = BEAM_DATA_DIR / name
    source, header, data = _read_csv(path)
    columns = np.array([_column_side_cm(h) for h in header[1:]])
    if header[0] != "depth_cm" or np.any(np.isnan(columns)):
        raise BeamDataError(
            f"beam-data table {path}: header must be depth_cm,sq_<side>,... (or fs<side>)"
        )
    rows = data[:, 0]
    if np.any(np.diff(rows) <= 0) or np.any(np.diff(columns) <= 0):
        raise BeamDataError(f"beam-data table {path}: depths and sides must increase")
    values = data[:, 1:]
    if np.any(values <= 0):
        raise BeamDataError(f"beam-data table {path}: values must be positive")
    return Table2D(rows=rows, columns=columns, values=values, source=source, path=path)


def _column_side_cm(header: str) -> float:
    """Field side in cm named by a column header ``sq_10`` or ``fs10``; NaN for anything else."""
    for prefix in ("sq_", "fs"):
        if header.startswith(prefix):
            try:
                return float(header[len(prefix) :])
            except ValueError:
                return math.nan
    return math.nan


@functools.cache
def load_columns(name: str) -> tuple[str, dict[str, np.ndarray]]:
    """Read a plain column table (e.g. scatter factors): ``(source, {column: values})``."""
    path = BEAM_DATA_DIR / name
    source, header, data = _read_csv(path)
    return source, {h: data[:, i].copy() for i, h in enumerate(header)}


def interpolate_log_depth(table: Table2D, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
    """Interpolate ``table`` at arrays of depth and equivalent-square side (broadcast together).

    Linear in side, then linear in depth of ``ln(value)``; both clamp at the table edges.
    Vectorised: no Python loop over points.
    """
    depth = np.clip(np.asarray(depth_cm, dtype=float), table.rows[0], table.rows[-1])
    side = np.clip(np.asarray(side_cm, dtype=float), table.columns[0], table.columns[-1])
    depth, side = np.broadcast_arrays(depth, side)
    values = table.values
    i = np.clip(np.searchsorted(table.rows, depth, side="right") - 1, 0, len(table.rows) - 2)
    j = np.clip(np.searchsorted(table.columns, side, side="right") - 1, 0, len(table.columns) - 2)
    t = (depth - table.rows[i]) / (table.rows[i + 1] - table.rows[i])
    u = (side - table.columns[j]) / (table.columns[j + 1] - table.columns[j])
    upper_row = values[i, j] * (1 - u) + values[i, j + 1] * u
    lower_row = values[i + 1, j] * (1 - u) + values[i + 1, j + 1] * u
    return np.exp(np.log(upper_row) * (1 - t) + np.log(lower_row) * t)


def equivalent_square_cm(width_cm: float | np.ndarray, length_cm: float | np.ndarray) -> np.ndarray:
    """Side of the square field equivalent to a ``width x length`` rectangle (Sterling, 4A/P).

    ``4 A / P = 4 w l / (2 (w + l)) = 2 w l / (w + l)``; Sterling T. D. et al., "Derivation of
    a mathematical expression for the percent depth dose surface of cobalt 60 beams and
    visualization of multiple field dose distributions", Br. J. Radiol. 37, 544-550 (1964);
    the area-to-perimeter rule tabulated in BJR Supplement 25 (1996), section 2.
    """
    w = np.asarray(width_cm, dtype=float)
    length = np.asarray(length_cm, dtype=float)
    if np.any(w <= 0) or np.any(length <= 0):
        raise PlanningError(f"field sides must be positive; got {width_cm} x {length_cm} cm")
    return 2.0 * w * length / (w + length)
