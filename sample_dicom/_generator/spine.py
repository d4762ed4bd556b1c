"""Geometry of the synthetic spine: the curved body axis, the vertebral levels, their profiles.

All coordinates are DICOM patient LPS millimetres (x to the patient's left, y posterior,
z superior). The spine lies in the sagittal plane ``x = x_mid``. Its axis -- the line through the
centres of the vertebral bodies -- is the graph ``y = axis_y(z)``; ``s`` is the arc length along
it (growing upwards, like z) and ``u`` the signed distance from it in the sagittal plane
(positive = posterior). Everything belonging to the spine is described in these curved
coordinates ``(s, u, x)``, so bodies, endplates and spinous processes follow the lordosis and
kyphosis naturally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Sampling step of the tabulated axis (mm).
_TABLE_STEP_MM = 0.25

#: Per level, top to bottom. Columns: body height (mm), disc below (mm), body half width LR,
#: body half depth AP, canal half width, canal half depth, cord half width, cord half depth,
#: spinous process length, spinous angle below horizontal (deg), spinous half height,
#: transverse process length. C2's height excludes the dens (14 mm more, added separately).
LEVEL_TABLE: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("C2", (16.0, 4.5, 8.0, 8.0, 12.0, 8.0, 6.0, 4.2, 24.0, 20.0, 5.0, 10.0)),
    ("C3", (14.0, 5.0, 8.5, 8.0, 12.5, 7.5, 6.2, 4.0, 17.0, 20.0, 4.0, 11.0)),
    ("C4", (14.0, 5.0, 9.0, 8.0, 12.5, 7.5, 6.5, 4.0, 18.0, 20.0, 4.0, 12.0)),
    ("C5", (14.0, 5.0, 9.5, 8.0, 12.5, 7.5, 6.8, 4.0, 20.0, 22.0, 4.0, 12.0)),
    ("C6", (14.5, 5.0, 10.0, 8.5, 12.5, 7.5, 6.8, 4.0, 24.0, 25.0, 4.5, 13.0)),
    ("C7", (15.0, 5.0, 11.0, 8.5, 12.0, 7.5, 6.0, 3.8, 32.0, 30.0, 5.0, 16.0)),
    ("T1", (17.0, 4.0, 12.0, 10.0, 9.5, 7.0, 5.0, 3.6, 35.0, 40.0, 5.0, 20.0)),
    ("T2", (18.0, 4.0, 12.5, 10.5, 8.5, 6.8, 4.6, 3.5, 36.0, 50.0, 5.0, 20.0)),
    ("T3", (18.5, 4.5, 13.0, 11.0, 8.0, 6.5, 4.4, 3.4, 37.0, 55.0, 5.0, 20.0)),
    ("T4", (19.0, 4.5, 13.5, 11.5, 8.0, 6.5, 4.3, 3.4, 38.0, 60.0, 5.0, 20.0)),
    ("T5", (19.5, 4.5, 14.0, 12.0, 8.0, 6.5, 4.3, 3.4, 38.0, 60.0, 5.0, 20.0)),
    ("T6", (20.0, 5.0, 14.5, 12.5, 8.0, 6.5, 4.3, 3.4, 38.0, 60.0, 5.0, 20.0)),
    ("T7", (20.5, 5.0, 15.0, 13.0, 8.0, 6.5, 4.3, 3.4, 38.0, 60.0, 5.0, 20.0)),
    ("T8", (21.0, 5.0, 15.5, 13.5, 8.0, 6.5, 4.3, 3.4, 37.0, 58.0, 5.0, 20.0)),
    ("T9", (21.5, 5.5, 16.0, 14.0, 8.0, 6.5, 4.4, 3.5, 36.0, 55.0, 5.0, 20.0)),
    ("T10", (22.0, 6.0, 17.0, 14.5, 8.5, 6.8, 4.6, 3.6, 34.0, 45.0, 5.5, 20.0)),
    ("T11", (23.0, 6.5, 18.0, 15.0, 9.0, 7.0, 5.0, 3.8, 32.0, 35.0, 6.0, 18.0)),
    ("T12", (24.0, 8.0, 19.0, 16.0, 9.5, 7.5, 5.0, 3.8, 30.0, 20.0, 7.0, 18.0)),
    ("L1", (26.0, 9.0, 20.0, 17.0, 10.5, 8.0, 4.0, 3.2, 30.0, 10.0, 9.0, 25.0)),
    ("L2", (27.0, 10.0, 21.0, 17.5, 11.0, 8.5, 0.0, 0.0, 30.0, 8.0, 10.0, 28.0)),
    ("L3", (28.0, 10.5, 22.0, 18.0, 11.5, 9.0, 0.0, 0.0, 30.0, 5.0, 10.0, 32.0)),
    ("L4", (28.0, 11.0, 23.0, 18.0, 12.0, 9.0, 0.0, 0.0, 28.0, 5.0, 10.0, 28.0)),
    ("L5", (27.0, 10.0, 24.0, 18.0, 12.5, 9.0, 0.0, 0.0, 24.0, 5.0, 9.0, 26.0)),
    ("S1", (28.0, 2.0, 24.0, 15.0, 13.0, 7.0, 0.0, 0.0, 14.0, 10.0, 6.0, 30.0)),
)

LEVEL_NAMES: tuple[str, ...] = tuple(name for name, _ in LEVEL_TABLE)

#: Length of the dens above the C2 body (mm).
DENS_LENGTH_MM = 14.0
#: Foramen magnum (basion-opisthion line) above the dens tip, along the axis (mm).
FORAMEN_MAGNUM_ABOVE_DENS_MM = 6.0
#: Length of the fused sacrum below S1 (S2-S5, mm).
SACRUM_BELOW_S1_MM = 85.0

#: The thoracic kyphosis' apex (depth, offset); its depth varies per patient.
_KYPHOSIS_APEX = (265.0, 27.0)
#: Axis shape: (depth below the dens tip in mm, AP offset in mm, + posterior). Smoothed.
_AXIS_CONTROL = (
    (-220.0, -14.0),
    (-120.0, -9.0),
    (-40.0, -3.0),
    (0.0, 0.0),
    (55.0, -7.0),
    (125.0, 2.0),
    _KYPHOSIS_APEX,
    (420.0, 7.0),
    (525.0, -16.0),
    (605.0, -3.0),
    (700.0, 38.0),
    (900.0, 90.0),
)


def smooth_table(
    grid: np.ndarray, knots: tuple[tuple[float, float], ...], sigma_mm: float
) -> np.ndarray:
    """Piecewise-linear interpolation of ``knots`` on ``grid``, smoothed by a Gaussian.

    Parameters
    ----------
    grid : numpy.ndarray
        Ascending, evenly spaced sample positions (mm).
    knots : tuple of (position_mm, value)
        Control points (any order).
    sigma_mm : float
        Standard deviation of the smoothing kernel (mm).

    Returns
    -------
    numpy.ndarray
        Smoothed values on ``grid`` (edges padded with the end values).
    """
    pts = sorted(knots)
    values = np.interp(grid, [p for p, _ in pts], [v for _, v in pts])
    step = float(grid[1] - grid[0])
    half = int(np.ceil(4.0 * sigma_mm / step))
    k = np.arange(-half, half + 1, dtype=np.float64) * step
    kernel = np.exp(-0.5 * (k / sigma_mm) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.full(half, values[0]), values, np.full(half, values[-1])])
    return np.convolve(padded, kernel, mode="valid")


@dataclass(frozen=True)
class Level:
    """One vertebra in curved coordinates (arc length ``s`` in mm, growing upwards)."""

    name: str
    index: int
    #: Reference top: the superior endplate (for C2: the tip of the dens).
    top_s: float
    #: Top of the body proper (equals ``top_s`` except for C2).
    body_top_s: float
    bottom_s: float
    params: tuple[float, ...]

    @property
    def center_s(self) -> float:
        """Arc length of the middle of the body proper (mm)."""
        return 0.5 * (self.body_top_s + self.bottom_s)


class SpineModel:
    """The spine of one synthetic patient.

    Parameters
    ----------
    dens_tip_z_mm : float
        Patient z of the tip of the dens (mm).
    x_mid_mm : float
        Patient x of the mid-sagittal plane of the spine (mm).
    c2_y_mm : float
        Patient y of the body axis at the dens tip (mm).
    height_scale : float
        Factor applied to every body and disc height (patient size).
    kyphosis_apex_depth_mm : float
        Depth of the apex of the thoracic kyphosis below the dens tip (mm).
    """

    def __init__(
        self,
        dens_tip_z_mm: float,
        x_mid_mm: float,
        c2_y_mm: float,
        height_scale: float,
        kyphosis_apex_depth_mm: float = 265.0,
    ) -> None:
        self.dens_tip_z_mm = dens_tip_z_mm
        self.x_mid_mm = x_mid_mm
        self.height_scale = height_scale
        depth = np.arange(-400.0, 1100.0 + _TABLE_STEP_MM, _TABLE_STEP_MM)
        control = tuple(
            (kyphosis_apex_depth_mm, v) if d == _KYPHOSIS_APEX[0] else (d, v)
            for d, v in _AXIS_CONTROL
        )
        offset = smooth_table(depth, control, 28.0)
        # Table in ascending z.
        self.z_tab = (dens_tip_z_mm - depth)[::-1].copy()
        self.y_tab = (c2_y_mm + offset)[::-1].copy()
        self.dy_tab = np.gradient(self.y_tab, self.z_tab)
        self.d2y_tab = np.gradient(self.dy_tab, self.z_tab)
        seg = np.sqrt(np.diff(self.z_tab) ** 2 + np.diff(self.y_tab) ** 2)
        self.s_tab = np.concatenate([[0.0], np.cumsum(seg)])
        self.levels = self._build_levels()
        self.dens_tip_s = self.levels[0].top_s
        self.foramen_magnum_s = self.dens_tip_s + FORAMEN_MAGNUM_ABOVE_DENS_MM
        s1 = self.levels[-1]
        self.sacrum_top_s = s1.bottom_s - s1.params[1] * height_scale
        self.sacrum_bottom_s = self.sacrum_top_s - SACRUM_BELOW_S1_MM * height_scale
        cord_end = self.level("L1")
        self.conus_tip_s = cord_end.bottom_s - 0.5 * cord_end.params[1] * height_scale
        self.thecal_end_s = self.sacrum_top_s - 25.0
        self._build_profiles()

    # ------------------------------------------------------------------ levels
    def _build_levels(self) -> list[Level]:
        k = self.height_scale
        s = self.s_at_z(np.array([self.dens_tip_z_mm]))[0]
        levels = []
        for index, (name, params) in enumerate(LEVEL_TABLE):
            top = s
            body_top = s - (DENS_LENGTH_MM * k if name == "C2" else 0.0)
            bottom = body_top - params[0] * k
            levels.append(Level(name, index, top, body_top, bottom, params))
            s = bottom - params[1] * k
        return levels

    def level(self, name: str) -> Level:
        """The level called ``name`` (C2..S1)."""
        return self.levels[LEVEL_NAMES.index(name)]

    def _build_profiles(self) -> None:
        # Knots in ascending s for np.interp; profiles are piecewise linear between body centres.
        levels = self.levels[::-1]
        self.knot_s = np.array([lv.center_s for lv in levels])
        self.knot_params = np.array([lv.params for lv in levels])
        # Nearest-level lookup: boundaries halfway between neighbouring body centres.
        self.level_bounds_s = 0.5 * (self.knot_s[1:] + self.knot_s[:-1])

    def profile(self, column: int, s: np.ndarray) -> np.ndarray:
        """Level parameter ``column`` of LEVEL_TABLE interpolated along ``s`` (mm)."""
        return np.interp(s, self.knot_s, self.knot_params[:, column])

    def nearest_level(self, s: np.ndarray) -> np.ndarray:
        """Index into ``levels`` (top to bottom) of the body whose centre is nearest ``s``."""
        ascending = np.searchsorted(self.level_bounds_s, s)
        return len(self.levels) - 1 - ascending

    # ------------------------------------------------------------------ axis
    def s_at_z(self, z: np.ndarray) -> np.ndarray:
        """Arc length of the axis point at height ``z`` (mm)."""
        return np.interp(z, self.z_tab, self.s_tab)

    def z_at_s(self, s: np.ndarray | float) -> np.ndarray:
        """Height z of the axis point at arc length ``s`` (mm)."""
        return np.interp(s, self.s_tab, self.z_tab)

    def axis_y(self, z: np.ndarray | float) -> np.ndarray:
        """AP position y of the axis at height ``z`` (mm)."""
        return np.interp(z, self.z_tab, self.y_tab)

    def point(self, s: float, u: float = 0.0) -> tuple[float, float]:
        """Patient (y, z) of the point at arc length ``s`` and offset ``u`` (mm)."""
        z = float(self.z_at_s(s))
        y = float(np.interp(z, self.z_tab, self.y_tab))
        dy = float(np.interp(z, self.z_tab, self.dy_tab))
        norm = np.sqrt(1.0 + dy * dy)
        return y + u / norm, z - u * dy / norm

    def to_curved(self, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map patient (y, z) to curved (s, u) by projecting onto the axis (Newton's method).

        Valid within the radius of curvature of the axis (> 150 mm); further away ``u`` stays
        large, which is all the spine structures need to know.
        """
        zp = np.array(z, dtype=np.float64, copy=True)
        for _ in range(6):
            yc = np.interp(zp, self.z_tab, self.y_tab)
            d1 = np.interp(zp, self.z_tab, self.dy_tab)
            d2 = np.interp(zp, self.z_tab, self.d2y_tab)
            grad = -(y - yc) * d1 - (z - zp)
            hess = np.maximum(d1 * d1 - (y - yc) * d2 + 1.0, 0.3)
            zp = zp - np.clip(grad / hess, -40.0, 40.0)
        yc = np.interp(zp, self.z_tab, self.y_tab)
        d1 = np.interp(zp, self.z_tab, self.dy_tab)
        norm = np.sqrt(1.0 + d1 * d1)
        u = ((y - yc) - (z - zp) * d1) / norm
        return self.s_at_z(zp), u

    # ------------------------------------------------------------------ reference
    def endplates_z(self) -> list[tuple[str, float, float]]:
        """(name, superior z, inferior z) of every level at the body's AP middle (mm)."""
        return [
            (lv.name, float(self.z_at_s(lv.top_s)), float(self.z_at_s(lv.bottom_s)))
            for lv in self.levels
        ]

    def cord_center(self, z: float) -> tuple[float, float]:
        """Patient (x, y) of the cord's centre line at height ``z`` (mm)."""
        s_grid = np.arange(
            self.s_at_z(np.array([z]))[0] - 30.0, self.s_at_z(np.array([z]))[0] + 30.0, 0.05
        )
        ys = np.empty_like(s_grid)
        zs = np.empty_like(s_grid)
        for i, s in enumerate(s_grid):
            ys[i], zs[i] = self.point(float(s), float(cord_center_u(self, np.array([s]))[0]))
        return self.x_mid_mm, float(np.interp(z, zs, ys))


def canal_center_u(spine: SpineModel, s: np.ndarray) -> np.ndarray:
    """Offset u of the spinal canal's centre from the body axis (mm)."""
    return spine.profile(3, s) + 1.5 + spine.profile(5, s)


def cord_center_u(spine: SpineModel, s: np.ndarray) -> np.ndarray:
    """Offset u of the cord's centre: slightly anterior in the canal (mm)."""
    return canal_center_u(spine, s) - 0.8
