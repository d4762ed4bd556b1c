"""Percentage depth dose derived from measured TPR and total scatter factors (Khan's relation).

A machine measured as tissue-phantom ratios (the Co-60 reference set, or a clinic's
commissioning data) gets its central-axis PDD at a fixed SSD from (Khan, *The Physics of
Radiation Therapy*, 4th ed., section 10.2, eq. 10.8, solved for the PDD)::

    PDD(d, r, f) = 100 * TMR(d, r_d) * Sp(r_d) / Sp(r_dm) * ((f + d_m) / (f + d))^2

with ``r`` the field side at the surface, ``r_d = r (f + d) / f`` and ``r_dm = r (f + d_m) / f``
the sides at the depth and at ``d_m``, and ``TMR(d, r_d) = TPR(d, r_d) / TPR(d_m, r_d)`` (the TPR
renormalised at d_max, whatever depth it was measured relative to).

The phantom-scatter ratio needs ``Sp``, which the Co-60 reference set does not separate from
the collimator scatter: it gives the total scatter factor ``Scp = Sc Sp`` only. The ratio is
then taken from ``Scp`` (:data:`SP_RATIO_FROM_SCP`): ``Sc`` grows with the field too, so this
overstates the ratio a little. The ratio spans only ``r_dm`` to ``r_d`` (a 12 % larger side at
10 cm depth, SSD 80 cm): for 10 x 10 cm at 10 cm depth it is 1.012, so the PDD lies within 1.2 %
of the other bound (the ratio set to 1), as ``tests/planning/test_beam_model_co60.py`` checks.

The result is a :class:`~planning.dose.beam_data.Table2D` on the TPR table's depths and a grid of
surface sides, so the engine and the hand calculation read it exactly as they read a measured
PDD table.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from planning.dose.beam_data import (
    BeamDataError,
    Table2D,
    interpolate_log_depth,
    load_columns,
    load_table_2d,
)

#: Surface field sides (cm) of the derived table; the largest keeps ``r_d`` inside the measured
#: sides (35 cm) down to 30 cm depth at SSD 80 cm (25 x 110 / 80 = 34.4 cm).
DERIVED_SIDES_CM = (4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0)

#: How the phantom-scatter ratio is obtained when only total scatter factors are measured.
SP_RATIO_FROM_SCP = (
    "phantom-scatter ratio Sp(r_d)/Sp(r_dm) taken from the measured total scatter factor Scp "
    "(no separate Sc and Sp in the data; overstates the ratio slightly, as Sc also grows with "
    "the field)"
)


def total_scatter_factor(table_name: str, side_cm: ArrayLike) -> np.ndarray:
    """Total scatter factor ``Scp`` from a two-column table, renormalised to 1 at 10 cm.

    Linear in the equivalent-square side, clamped at the measured range.
    """
    _, columns = load_columns(table_name)
    names = list(columns)
    if len(names) != 2:
        raise BeamDataError(f"scatter-factor table {table_name}: expected two columns, {names}")
    sides, values = columns[names[0]], columns[names[1]]
    if np.any(np.diff(sides) <= 0) or np.any(values <= 0):
        raise BeamDataError(
            f"scatter-factor table {table_name}: sides must increase and factors be positive"
        )
    at_10 = float(np.interp(10.0, sides, values))
    return np.interp(np.asarray(side_cm, dtype=float), sides, values) / at_10


def tmr_from_tpr(tpr: Table2D, depth_cm: np.ndarray, side_cm: np.ndarray) -> np.ndarray:
    """``TPR(d, r) / TPR(d_max, r)``: the TPR renormalised at its first row (d_max)."""
    depth, side = np.broadcast_arrays(np.asarray(depth_cm, float), np.asarray(side_cm, float))
    at_dmax = interpolate_log_depth(tpr, np.full_like(depth, tpr.rows[0]), side)
    return interpolate_log_depth(tpr, depth, side) / at_dmax


@functools.cache
def pdd_table_from_tpr(tpr_table: str, scatter_table: str, ssd_cm: float) -> Table2D:
    """The PDD table at ``ssd_cm`` derived from a TPR table and a total-scatter table.

    Parameters
    ----------
    tpr_table : str
        CSV name of TPR(d, r) (any normalisation depth); its first row is taken as d_max.
    scatter_table : str
        CSV name of the total scatter factor against the equivalent-square side.
    ssd_cm : float
        Source-surface distance of the derived table, cm.

    Returns
    -------
    Table2D
        PDD in % (100 at d_max) on the TPR depths and :data:`DERIVED_SIDES_CM` (surface sides).
    """
    tpr = load_table_2d(tpr_table)
    dmax_cm = float(tpr.rows[0])
    depth = tpr.rows[:, None]
    side = np.asarray(DERIVED_SIDES_CM)[None, :]
    side_at_depth = side * (ssd_cm + depth) / ssd_cm
    side_at_dmax = side * (ssd_cm + dmax_cm) / ssd_cm
    tmr = tmr_from_tpr(tpr, depth, side_at_depth)
    sp_ratio = total_scatter_factor(scatter_table, side_at_depth) / total_scatter_factor(
        scatter_table, side_at_dmax
    )
    inverse_square = ((ssd_cm + dmax_cm) / (ssd_cm + depth)) ** 2
    pdd = 100.0 * tmr * sp_ratio * inverse_square
    source = (
        f"PDD at SSD {ssd_cm:g} cm DERIVED from TPR and Scp (Khan 4th ed. eq. 10.8; "
        f"{SP_RATIO_FROM_SCP}). TPR:\n{tpr.source}"
    )
    return Table2D(
        rows=tpr.rows.copy(),
        columns=np.asarray(DERIVED_SIDES_CM, dtype=float),
        values=pdd,
        source=source,
        path=tpr.path,
    )
