"""The synthetic patient as signed-distance shapes, painted into MR and CT images.

Every structure is a signed distance function ``d`` (mm, negative inside) evaluated on an
axis-aligned grid; its occupancy ``clip(0.5 - d / edge, 0, 1)`` gives smooth, partial-volume
edges. Structures are painted back to front (later ones replace earlier ones by occupancy), once
per contrast: T1 post-contrast ("T1C"), T2 ("T2") and CT in Hounsfield units ("CT").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .spine import SpineModel, canal_center_u, cord_center_u, smooth_table

#: Tissue -> signal per contrast. MR values are arbitrary 12-bit units, CT values are HU.
TISSUES: dict[str, dict[str, float]] = {
    "air": {"T1C": 0.0, "T2": 0.0, "CT": -1000.0},
    "fat": {"T1C": 1350.0, "T2": 1050.0, "CT": -100.0},
    "muscle": {"T1C": 430.0, "T2": 300.0, "CT": 50.0},
    "viscera": {"T1C": 520.0, "T2": 560.0, "CT": 45.0},
    "mediastinal_fat": {"T1C": 1150.0, "T2": 900.0, "CT": -90.0},
    "heart": {"T1C": 260.0, "T2": 180.0, "CT": 40.0},
    "vessel": {"T1C": 90.0, "T2": 70.0, "CT": 45.0},
    "lung": {"T1C": 35.0, "T2": 45.0, "CT": -840.0},
    "brain": {"T1C": 620.0, "T2": 760.0, "CT": 35.0},
    "cortical_bone": {"T1C": 110.0, "T2": 90.0, "CT": 1100.0},
    "marrow": {"T1C": 930.0, "T2": 620.0, "CT": 230.0},
    "disc": {"T1C": 470.0, "T2": 330.0, "CT": 85.0},
    "nucleus": {"T1C": 520.0, "T2": 1350.0, "CT": 85.0},
    "csf": {"T1C": 210.0, "T2": 1900.0, "CT": 10.0},
    "cord": {"T1C": 650.0, "T2": 640.0, "CT": 35.0},
    "edema": {"T1C": 540.0, "T2": 1380.0, "CT": 30.0},
    "lesion": {"T1C": 2050.0, "T2": 1020.0, "CT": 40.0},
    "bone_met": {"T1C": 700.0, "T2": 1150.0, "CT": 60.0},
    "bone_met_rim": {"T1C": 1250.0, "T2": 900.0, "CT": 120.0},
}


@dataclass(frozen=True)
class Ellipsoid:
    """Axis-aligned ellipsoid in patient LPS (mm)."""

    center_mm: tuple[float, float, float]
    radii_mm: tuple[float, float, float]


@dataclass(frozen=True)
class Pathology:
    """What is wrong with one synthetic patient."""

    lesion: Ellipsoid
    edema_superior_z_mm: float
    edema_inferior_z_mm: float
    bone_metastasis: Ellipsoid | None = None


def _union(ds: list[np.ndarray]) -> np.ndarray:
    return functools.reduce(np.minimum, ds)


def _intersect(ds: list[np.ndarray]) -> np.ndarray:
    return functools.reduce(np.maximum, ds)


def occupancy(d: np.ndarray, edge_mm: float) -> np.ndarray:
    """Fraction of a voxel inside the shape whose signed distance is ``d`` (mm)."""
    return np.clip(0.5 - d / edge_mm, 0.0, 1.0)


def ellipse_sdf(components: tuple[np.ndarray, ...], radii: tuple) -> np.ndarray:
    """Approximate signed distance (mm) to an ellipse / ellipsoid with the given semi-axes.

    ``components`` are the coordinates relative to the centre; ``radii`` may be arrays.
    First-order distance ``(q - 1) / |grad q|``, exact on the boundary, which is all the edge
    smoothing needs (deep inside it stays well below zero, also at the centre).
    """
    q2 = sum((c / r) ** 2 for c, r in zip(components, radii, strict=True))
    g2 = sum((c / (r * r)) ** 2 for c, r in zip(components, radii, strict=True))
    q = np.sqrt(q2)
    return (q - 1.0) * (q + 1e-6) / (np.sqrt(g2) + 1e-6 / radii[0])


def superellipse_sdf(dx: np.ndarray, dy: np.ndarray, a, b, p: float) -> np.ndarray:
    """Approximate signed distance (mm) to ``|dx/a|^p + |dy/b|^p = 1``."""
    ax = np.abs(dx) / a + 1e-12
    ay = np.abs(dy) / b + 1e-12
    q = (ax**p + ay**p) ** (1.0 / p)
    gx = q ** (1.0 - p) * ax ** (p - 1.0) / a
    gy = q ** (1.0 - p) * ay ** (p - 1.0) / b
    g = np.sqrt(gx * gx + gy * gy)
    return np.where(q < 0.5, (q - 1.0) * np.minimum(a, b), (q - 1.0) / g)


def capsule_sdf(
    p1: tuple[np.ndarray, ...], a: tuple[float, ...], b: tuple[float, ...], radius: float
) -> np.ndarray:
    """Signed distance (mm) to the capsule of ``radius`` around the segment a-b."""
    ab = [bi - ai for ai, bi in zip(a, b, strict=True)]
    ab2 = sum(c * c for c in ab)
    t = sum((pi - ai) * c for pi, ai, c in zip(p1, a, ab, strict=True)) / ab2
    t = np.clip(t, 0.0, 1.0)
    d2 = sum((pi - ai - t * c) ** 2 for pi, ai, c in zip(p1, a, ab, strict=True))
    return np.sqrt(d2) - radius


def rounded_intersection(d1: np.ndarray, d2: np.ndarray, radius_mm: float) -> np.ndarray:
    """Signed distance of the intersection of two shapes with its edges rounded (mm)."""
    a = d1 + radius_mm
    b = d2 + radius_mm
    outside = np.sqrt(np.maximum(a, 0.0) ** 2 + np.maximum(b, 0.0) ** 2)
    return outside + np.minimum(np.maximum(a, b), 0.0) - radius_mm


def smooth_step(x: np.ndarray, x0: float, x1: float) -> np.ndarray:
    """0 below ``x0``, 1 above ``x1``, cubic in between."""
    t = np.clip((x - x0) / (x1 - x0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class Painter:
    """Back-to-front compositing of tissues into one image per contrast."""

    def __init__(self, shape: tuple[int, ...], contrasts: tuple[str, ...], edge_mm: float):
        self.edge_mm = edge_mm
        self.images = {c: np.full(shape, TISSUES["air"][c]) for c in contrasts}

    def window(self, rows: slice, cols: slice) -> Painter:
        """A painter on the sub-window ``[:, rows, cols]`` sharing this one's images."""
        sub = Painter.__new__(Painter)
        sub.edge_mm = self.edge_mm
        sub.images = {c: image[:, rows, cols] for c, image in self.images.items()}
        return sub

    def paint(self, d: np.ndarray, tissue: str, weight: np.ndarray | float = 1.0) -> np.ndarray:
        """Paint ``tissue`` where the signed distance ``d`` is negative; return the occupancy."""
        occ = occupancy(d, self.edge_mm) * weight
        self.paint_occupancy(occ, tissue)
        return occ

    def paint_occupancy(self, occ: np.ndarray, tissue: str) -> None:
        """Blend ``tissue`` in with the given occupancy (0..1)."""
        for contrast, image in self.images.items():
            image += occ * (TISSUES[tissue][contrast] - image)


class Phantom:
    """One synthetic patient: spine model, body habitus and pathology.

    Parameters
    ----------
    spine : SpineModel
        Vertebral geometry.
    pathology : Pathology
        Lesion, edema and optional bone metastasis.
    """

    def __init__(self, spine: SpineModel, pathology: Pathology) -> None:
        self.spine = spine
        self.pathology = pathology
        depth = np.arange(-300.0, 1000.0, 0.5)
        self._depth = depth
        # Body habitus along the depth below the dens tip (mm): front / back distance from the
        # spine axis, half width, subcutaneous fat thickness, superellipse exponent.
        self._front = smooth_table(
            depth,
            (
                (-200, 110),
                (-60, 100),
                (-15, 75),
                (30, 48),
                (95, 52),
                (150, 115),
                (260, 148),
                (400, 140),
                (560, 130),
                (700, 125),
            ),
            18.0,
        )
        self._back = smooth_table(
            depth,
            (
                (-200, 100),
                (-60, 98),
                (-30, 82),
                (30, 72),
                (95, 84),
                (150, 92),
                (300, 92),
                (430, 95),
                (560, 98),
                (700, 80),
            ),
            18.0,
        )
        self._half_width = smooth_table(
            depth,
            (
                (-200, 72),
                (-40, 72),
                (0, 66),
                (40, 63),
                (95, 70),
                (140, 140),
                (250, 150),
                (420, 140),
                (560, 165),
                (700, 175),
            ),
            15.0,
        )
        self._fat = smooth_table(
            depth, ((-200, 5), (40, 6), (120, 10), (250, 14), (450, 22), (700, 24)), 20.0
        )
        self._exponent = smooth_table(depth, ((-200, 2.0), (90, 2.0), (170, 2.6), (700, 2.6)), 20.0)
        sp = spine
        self.dens_tip_z = sp.dens_tip_z_mm
        self.z_fm = float(sp.z_at_s(sp.foramen_magnum_s))
        self.y_fm = float(sp.axis_y(self.z_fm))
        self.z_level = {lv.name: float(sp.z_at_s(lv.center_s)) for lv in sp.levels}
        self.z_top = {lv.name: float(sp.z_at_s(lv.top_s)) for lv in sp.levels}
        # The table top: the most posterior skin point along the spine (mm).
        t = np.arange(0.0, 700.0, 1.0)
        back_y = sp.axis_y(self.dens_tip_z - t) + np.interp(t, depth, self._back)
        self.table_y_mm = float(np.max(back_y))

    def _habitus(self, z: np.ndarray) -> tuple[np.ndarray, ...]:
        t = self.dens_tip_z - z
        return tuple(
            np.interp(t, self._depth, table)
            for table in (self._front, self._back, self._half_width, self._fat, self._exponent)
        )

    # ------------------------------------------------------------------ render
    def render(
        self,
        xs: np.ndarray,
        ys: np.ndarray,
        zs: np.ndarray,
        contrasts: tuple[str, ...],
        edge_mm: float,
    ) -> dict[str, np.ndarray]:
        """Images of the phantom sampled at the grid ``zs x ys x xs`` (mm).

        Returns
        -------
        dict
            contrast -> float64 array shaped ``(len(zs), len(ys), len(xs))``.
        """
        shape = (len(zs), len(ys), len(xs))
        painter = Painter(shape, contrasts, edge_mm)
        sp = self.spine
        # Outside the skin there is only air: paint the body within its AP extent only.
        front, back = self._habitus(zs)[:2]
        axis = sp.axis_y(zs)
        rows = _index_window(
            ys, float(np.min(axis - front)) - 5.0, float(np.max(axis + back)) + 5.0
        )
        if rows.stop > rows.start:
            body = painter.window(rows, slice(0, len(xs)))
            full = _Geometry.make(sp, xs, ys[rows], zs, curved=False)
            self._paint_body(body, full)
            self._paint_head(body, full)
            self._paint_chest(body, full)
            self._paint_girdle(body, full)
            self._paint_ribs(body, full)
        # The spine occupies a small box: compute the curved coordinates only there.
        cols = _index_window(xs, sp.x_mid_mm - 80.0, sp.x_mid_mm + 80.0)
        rows = _index_window(ys, float(axis.min()) - 45.0, float(axis.max()) + 105.0)
        if cols.stop > cols.start and rows.stop > rows.start:
            geo = _Geometry.make(sp, xs[cols], ys[rows], zs, curved=True)
            sub = painter.window(rows, cols)
            self._paint_column(sub, geo)
            self._paint_posterior_elements(sub, geo)
            self._paint_canal(sub, geo)
            self._paint_pathology(sub, geo)
        return painter.images

    # ------------------------------------------------------------------ soft tissues
    def _torso_sdf(self, g: _Geometry) -> tuple[np.ndarray, np.ndarray]:
        front, back, half_width, fat, p = self._habitus(g.Z)
        axis = self.spine.axis_y(g.Z)
        yc = axis + 0.5 * (back - front)
        half_ap = 0.5 * (back + front)
        # The exponent varies along z: round neck, flatter torso.
        d = superellipse_sdf(g.dx, g.Y - yc, half_width, half_ap, p)
        return d, fat

    def _paint_body(self, painter: Painter, g: _Geometry) -> None:
        d_torso, fat = self._torso_sdf(g)
        d_limbs = self._limbs_sdf(g)
        d_body = np.minimum(d_torso, d_limbs)
        painter.paint(d_body, "fat")
        painter.paint(np.minimum(d_torso + fat, d_limbs + 8.0), "muscle")

    def _limbs_sdf(self, g: _Geometry) -> np.ndarray:
        sp = self.spine
        z_sh = self.z_top["T1"] + 8.0
        y_sh = float(sp.axis_y(z_sh))
        result = np.full(np.broadcast_shapes(g.dx.shape, g.Y.shape, g.Z.shape), 1e3)
        if float(g.Z.min()) > z_sh + 80.0:
            return result
        for side in (-1.0, 1.0):
            shoulder = ellipse_sdf(
                (g.dx - side * 100.0, g.Y - (y_sh + 5.0), g.Z - (z_sh - 5.0)), (100.0, 58.0, 42.0)
            )
            arm = ellipse_sdf((g.dx - side * 178.0, g.Y - (y_sh - 5.0)), (40.0, 46.0))
            arm = np.maximum(arm, g.Z - (z_sh - 5.0))
            result = np.minimum(result, np.minimum(shoulder, arm))
        return result

    def _paint_head(self, painter: Painter, g: _Geometry) -> None:
        if float(g.Z.max()) < self.z_fm - 30.0:
            return
        sp = self.spine
        s_fm = sp.foramen_magnum_s
        y_ba, z_ba = sp.point(s_fm + 2.0, -11.0)  # basion, where the clivus starts
        y1, z1 = sp.point(s_fm + 40.0, -30.0)
        # Skull base: steep along the clivus in front of the foramen magnum, flat behind it.
        floor = self.z_fm + 1.4 * np.maximum(y_ba - g.Y, 0.0) - 0.1 * np.maximum(g.Y - y_ba, 0.0)
        z_c = self.z_fm + 46.0
        y_c = self.y_fm + 12.0
        outer = ellipse_sdf((g.dx, g.Y - y_c, g.Z - z_c), (70.0, 84.0, 64.0))
        skull = np.maximum(outer, floor - 9.0 - g.Z)
        inner = np.maximum(
            ellipse_sdf((g.dx, g.Y - y_c, g.Z - z_c), (63.0, 77.0, 57.0)), floor - g.Z
        )
        painter.paint(skull, "cortical_bone")
        painter.paint(skull + 2.5, "marrow")
        painter.paint(inner, "brain")
        clivus = capsule_sdf((g.Y, g.Z), (y_ba, z_ba), (y1, z1), 6.0)
        clivus = np.maximum(clivus, np.abs(g.dx) - 14.0)
        painter.paint(clivus, "cortical_bone")
        painter.paint(clivus + 1.5, "marrow")
        y0, z0 = y_ba, z_ba
        # Naso- and oropharynx: air anterior to the clivus and upper cervical spine.
        naso = ellipse_sdf((g.dx, g.Y - (y0 - 22.0), g.Z - (z0 + 8.0)), (14.0, 10.0, 18.0))
        painter.paint(naso, "air")

    def _paint_chest(self, painter: Painter, g: _Geometry) -> None:
        sp = self.spine
        lo = float(sp.z_at_s(sp.sacrum_bottom_s)) - 20.0
        hi = self.z_top["C2"] + 20.0
        if float(g.Z.max()) < lo or float(g.Z.min()) > hi:
            return
        front, back, half_width, fat, _ = self._habitus(g.Z)
        axis = sp.axis_y(g.Z)
        body_hd = sp.profile(3, sp.s_at_z(g.Z))
        # Airway: pharynx then trachea, anterior to the prevertebral soft tissue.
        t = self.dens_tip_z - g.Z
        airway_gap = np.interp(t, (-20.0, 30.0, 90.0, 150.0, 220.0), (6.0, 6.0, 14.0, 26.0, 34.0))
        airway_y = axis - body_hd - airway_gap - 8.0
        airway = ellipse_sdf((g.dx, g.Y - airway_y), (11.0, 8.0))
        z_carina = self.z_level["T5"]
        airway = np.maximum(airway, np.maximum(g.Z - (self.z_fm + 10.0), z_carina - g.Z))
        # Thoracic cavity: inside the chest wall, beside the spine and its muscles.
        yc = axis + 0.5 * (back - front)
        cavity = superellipse_sdf(
            g.dx, g.Y - yc, half_width - fat - 14.0, 0.5 * (back + front) - fat - 14.0, 2.4
        )
        body_hw = sp.profile(2, sp.s_at_z(g.Z))
        spine_block = np.minimum(
            ellipse_sdf((g.dx, g.Y - (axis + 24.0)), (52.0, 60.0)),
            ellipse_sdf((g.dx, g.Y - axis), (body_hw + 9.0, body_hd + 7.0)),
        )
        z_apex = self.z_top["T1"] + 18.0 - 0.004 * (np.abs(g.dx) - 55.0) ** 2
        z_diaph = self.z_level["T11"] + 0.32 * (axis - g.Y) + 0.0015 * g.dx**2
        z_pelvis = float(sp.z_at_s(sp.sacrum_bottom_s))
        lung = _intersect([cavity, -spine_block, g.Z - z_apex, z_diaph - g.Z])
        viscera = _intersect([cavity + 4.0, -spine_block, g.Z - z_diaph, z_pelvis - g.Z])
        painter.paint(viscera, "viscera")
        painter.paint(lung, "lung")
        # Mediastinum between the spine and the sternum, heart, great vessels, sternum.
        front_y = axis - front + fat + 12.0
        spine_front = axis - body_hd - 1.0
        medi = _intersect(
            [
                ellipse_sdf(
                    (g.dx - 4.0, g.Y - 0.5 * (front_y + spine_front)),
                    (30.0, 0.5 * (spine_front - front_y)),
                ),
                g.Z - (self.z_top["T1"] + 8.0),
                z_diaph - g.Z,
            ]
        )
        painter.paint(medi, "mediastinal_fat")
        t8 = sp.level("T8")
        y_heart = float(sp.axis_y(self.z_level["T8"])) - t8.params[3] - 66.0
        z_heart = 0.5 * (self.z_level["T8"] + self.z_level["T9"])
        heart = ellipse_sdf((g.dx - 22.0, g.Y - y_heart, g.Z - z_heart), (60.0, 50.0, 62.0))
        painter.paint(heart, "heart")
        z_vessels = 0.5 * (self.z_level["T3"] + self.z_level["T4"])
        vessels = ellipse_sdf(
            (g.dx - 6.0, g.Y - (y_heart + 12.0), g.Z - z_vessels), (24.0, 22.0, 36.0)
        )
        painter.paint(vessels, "vessel")
        sternum_y = axis - front + fat + 6.0
        sternum = np.maximum(
            ellipse_sdf((g.dx, g.Y - sternum_y), (16.0, 6.0)),
            np.maximum(g.Z - (self.z_top["T2"] - 10.0), self.z_level["T9"] - g.Z),
        )
        painter.paint(sternum, "cortical_bone")
        painter.paint(sternum + 1.5, "marrow")
        aorta_y = axis - body_hd - 13.0
        aorta = ellipse_sdf((g.dx - 20.0, g.Y - aorta_y), (11.0, 11.0))
        aorta = np.maximum(aorta, np.maximum(g.Z - self.z_level["T4"], self.z_level["L4"] - g.Z))
        painter.paint(aorta, "vessel")
        painter.paint(airway, "air")

    # ------------------------------------------------------------------ skeleton
    def _paint_column(self, painter: Painter, g: _Geometry) -> None:
        sp = self.spine
        s, u, dx = g.s, g.u, g.dx
        hw = sp.profile(2, s)
        hd = sp.profile(3, s)
        top = sp.levels[0].body_top_s
        xs_body = ellipse_sdf((dx, u), (hw + 0.8, hd + 0.8))
        column = np.maximum(xs_body, np.maximum(s - top, sp.levels[-1].bottom_s - s))
        painter.paint(column, "disc")
        nucleus = np.maximum(
            ellipse_sdf((dx, u), (0.55 * hw, 0.5 * hd)), np.maximum(s - top, sp.sacrum_top_s - s)
        )
        painter.paint(nucleus, "nucleus")
        # Vertebral bodies: nearest body per voxel, rounded box between its endplates.
        idx = sp.nearest_level(g.s2)
        body_top = np.array([lv.body_top_s for lv in sp.levels])[idx][:, :, None]
        body_bot = np.array([lv.bottom_s for lv in sp.levels])[idx][:, :, None]
        mid = 0.5 * (body_top + body_bot)
        half = 0.5 * (body_top - body_bot)
        xs_bone = ellipse_sdf((dx, u), (hw, hd))
        d_body = rounded_intersection(xs_bone, np.abs(s - mid) - half, 2.5)
        # Dens and the fused sacrum.
        c2 = sp.levels[0]
        dens = np.maximum(
            ellipse_sdf((dx, u - 1.0), (5.0, 5.5)),
            np.maximum(s - (c2.top_s - 5.0), c2.body_top_s - 2.0 - s),
        )
        dens = np.minimum(dens, ellipse_sdf((dx, u - 1.0, s - (c2.top_s - 5.0)), (5.0, 5.5, 5.0)))
        frac = np.clip((sp.sacrum_top_s - s) / (sp.sacrum_top_s - sp.sacrum_bottom_s), 0.0, 1.0)
        sacrum = np.maximum(
            ellipse_sdf((dx, u - 6.0 * frac), (24.0 - 16.0 * frac, 15.0 - 9.0 * frac)),
            np.maximum(s - sp.sacrum_top_s, sp.sacrum_bottom_s - s),
        )
        d_bone = _union([d_body, dens, sacrum, self._atlas_sdf(g)])
        painter.paint(d_bone, "cortical_bone")
        painter.paint(d_bone + 1.3, "marrow")

    def _atlas_sdf(self, g: _Geometry) -> np.ndarray:
        sp = self.spine
        s_c1 = sp.dens_tip_s - 9.0
        anterior = ellipse_sdf((g.dx, g.u + 9.5, g.s - s_c1), (11.0, 3.5, 5.5))
        posterior_u = float(canal_center_u(sp, np.array([s_c1]))[0]) + 8.0 + 4.0
        posterior = ellipse_sdf((g.dx, g.u - posterior_u, g.s - s_c1 + 2.0), (17.0, 4.0, 4.5))
        lateral = ellipse_sdf((np.abs(g.dx) - 18.0, g.u - 1.0, g.s - s_c1 + 1.0), (6.5, 9.0, 8.0))
        return _union([anterior, posterior, lateral])

    def _paint_posterior_elements(self, painter: Painter, g: _Geometry) -> None:
        sp = self.spine
        s, u, dx = g.s, g.u, g.dx
        adx = np.abs(dx)
        chw = sp.profile(4, s)
        chd = sp.profile(5, s)
        ucc = canal_center_u(sp, s)
        body_hd = sp.profile(3, s)
        # Shear so that the downward-slanting spinous processes line up with their own level.
        u_sp0 = ucc + chd + 2.0
        angle = np.deg2rad(sp.profile(9, s))
        s_shear = s + np.maximum(u - u_sp0, 0.0) * np.tan(angle)
        idx = sp.nearest_level(s_shear[:, :, 0])[:, :, None]
        params = np.array([lv.params for lv in sp.levels])
        heights = params[:, 0] * sp.height_scale
        discs = params[:, 1] * sp.height_scale
        center = np.array([lv.center_s for lv in sp.levels]) + 0.1 * heights
        ds = s_shear - center[idx]
        h = heights[idx]
        pitch = heights[idx] + discs[idx]
        pedicle = ellipse_sdf(
            (adx - (chw + 3.0), u - 0.5 * (body_hd + ucc), ds),
            (3.2, 0.5 * (ucc - body_hd) + 2.5, 0.28 * h),
        )
        arch = _intersect(
            [
                ellipse_sdf((dx, u - ucc), (chw + 6.5, chd + 4.5)),
                ucc - 1.0 - u,
                np.abs(ds) - 0.36 * pitch,
            ]
        )
        sp_len = params[:, 8][idx]
        sp_half = params[:, 10][idx]
        spinous = np.maximum(
            np.sqrt(np.maximum(np.abs(u - u_sp0 - 0.5 * sp_len) - 0.5 * sp_len, 0.0) ** 2 + ds**2)
            - sp_half,
            adx - 3.0,
        )
        tp_len = params[:, 11][idx]
        transverse = np.maximum(
            np.sqrt(
                np.maximum(np.abs(adx - chw - 3.0 - 0.5 * tp_len) - 0.5 * tp_len, 0.0) ** 2
                + ds**2
                + (u - ucc + 1.0) ** 2
            )
            - 4.5,
            -1.0,
        )
        d_pe = _union([pedicle, arch, spinous, transverse])
        d_pe = np.maximum(d_pe, sp.sacrum_bottom_s - s)
        painter.paint(d_pe, "cortical_bone")
        painter.paint(d_pe + 1.2, "marrow")

    def _paint_girdle(self, painter: Painter, g: _Geometry) -> None:
        """Clavicles and humeral heads (seen on the planning CT)."""
        sp = self.spine
        z_sh = self.z_top["T1"] + 8.0
        if float(g.Z.min()) > z_sh + 60.0 or float(g.Z.max()) < z_sh - 120.0:
            return
        y_sh = float(sp.axis_y(z_sh))
        front = float(self._habitus(np.array([z_sh]))[0][0])
        bone = np.full(np.broadcast_shapes(g.dx.shape, g.Y.shape, g.Z.shape), 1e3)
        for side in (-1.0, 1.0):
            clavicle = capsule_sdf(
                (g.dx, g.Y, g.Z),
                (side * 22.0, y_sh - front + 22.0, z_sh - 12.0),
                (side * 140.0, y_sh - 10.0, z_sh + 4.0),
                6.5,
            )
            head = ellipse_sdf(
                (g.dx - side * 172.0, g.Y - (y_sh - 2.0), g.Z - (z_sh - 14.0)), (23.0, 23.0, 25.0)
            )
            shaft = np.maximum(
                ellipse_sdf((g.dx - side * 180.0, g.Y - (y_sh - 4.0)), (11.0, 11.0)),
                g.Z - (z_sh - 14.0),
            )
            bone = _union([bone, clavicle, head, shaft])
        painter.paint(bone, "cortical_bone")
        painter.paint(bone + 2.0, "marrow")

    def _paint_ribs(self, painter: Painter, g: _Geometry) -> None:
        sp = self.spine
        zmin, zmax = float(g.Z.min()), float(g.Z.max())
        for k in range(1, 13):
            name = f"T{k}"
            lv = sp.level(name)
            z0 = float(sp.z_at_s(lv.center_s + 0.2 * lv.params[0]))
            drop = 30.0 + 3.0 * k
            if zmax < z0 - drop - 20.0 or zmin > z0 + 20.0:
                continue
            front, back, half_width, fat, _ = self._habitus(g.Z)
            axis = sp.axis_y(g.Z)
            yc = axis + 0.5 * (back - front)
            ax = half_width - fat - 12.0
            ay = 0.5 * (back + front) - fat - 12.0
            if k <= 2:
                ax = ax * (0.55 + 0.15 * k)
                ay = ay * (0.7 + 0.1 * k)
            ex = g.dx / ax
            ey = (g.Y - yc) / ay
            rho = np.sqrt(ex * ex + ey * ey) + 1e-12
            # Angle from the back (0) round to the front (pi).
            theta = np.arccos(np.clip(ey / rho, -1.0, 1.0))
            radial = (rho - 1.0) * 0.5 * (ax + ay)
            z_rib = z0 - drop * (1.0 - np.cos(theta)) * 0.5
            tube = np.sqrt(radial**2 + ((g.Z - z_rib) * 0.8) ** 2) - 4.5
            tube = np.maximum(tube, np.maximum(0.2 * np.pi - theta, theta - 0.82 * np.pi) * 60.0)
            painter.paint(tube, "cortical_bone")
            painter.paint(tube + 1.2, "marrow")

    # ------------------------------------------------------------------ neural axis
    def _paint_canal(self, painter: Painter, g: _Geometry) -> None:
        sp = self.spine
        s, u, dx = g.s, g.u, g.dx
        chw = sp.profile(4, s)
        chd = sp.profile(5, s)
        ucc = canal_center_u(sp, s)
        # Above the foramen magnum the "canal" is the CSF cistern round the brainstem.
        grow = smooth_step(s, sp.foramen_magnum_s, sp.foramen_magnum_s + 25.0)
        chw = chw + 5.0 * grow
        chd = chd + 6.0 * grow
        sac_frac = np.clip((sp.sacrum_top_s - s) / (sp.sacrum_top_s - sp.sacrum_bottom_s), 0.0, 1.0)
        chw = chw * (1.0 - 0.55 * sac_frac)
        chd = chd * (1.0 - 0.5 * sac_frac)
        bony = np.maximum(ellipse_sdf((dx, u - ucc), (chw, chd)), sp.sacrum_bottom_s + 10.0 - s)
        painter.paint(bony, "fat")
        factor = np.interp(
            s,
            sp.knot_s,
            np.where(
                sp.knot_params[:, 6] > 5.5, 0.95, np.where(sp.knot_params[:, 6] > 0.0, 0.86, 0.78)
            ),
        )
        factor = np.maximum(factor, grow)
        thecal = ellipse_sdf(
            (dx, u - ucc + (1.0 - factor) * chd * 0.8), (chw * factor, chd * factor)
        )
        thecal = np.maximum(thecal, sp.thecal_end_s - s)
        painter.paint(thecal, "csf")
        # Cord: from the brainstem down to the conus medullaris.
        ucord = cord_center_u(sp, s)
        rw = sp.profile(6, s)
        rd = sp.profile(7, s)
        l1 = sp.level("L1")
        rw = np.where(s < l1.center_s, 4.0, rw)
        rd = np.where(s < l1.center_s, 3.2, rd)
        taper = np.sqrt(np.clip((s - sp.conus_tip_s) / 22.0, 0.0, 1.0))
        bs = smooth_step(s, sp.foramen_magnum_s - 2.0, sp.foramen_magnum_s + 35.0)
        rw = rw * taper * (1.0 + 1.1 * bs) + 1e-3
        rd = rd * taper * (1.0 + 1.6 * bs) + 1e-3
        cord = ellipse_sdf((dx, u - ucord + 2.0 * bs), (rw, rd))
        cord = np.maximum(cord, sp.conus_tip_s - s)
        # Cauda equina: a few roots hanging from the conus down the thecal sac.
        roots = np.full(cord.shape, 1e3)
        for k, (ox, ou) in enumerate(
            ((-2.5, 1.5), (2.5, 1.5), (-4.0, 3.5), (4.0, 3.5), (0.0, 4.5))
        ):
            root = np.sqrt((dx - ox) ** 2 + (u - ucord - ou) ** 2) - 0.7
            root = np.maximum(
                root, np.maximum(s - sp.conus_tip_s - 5.0, sp.thecal_end_s + 8.0 + 6.0 * k - s)
            )
            roots = np.minimum(roots, root)
        painter.paint(roots, "cord", 0.6)
        self._cord_sdf = cord
        self._canal_ucc = ucc

    def _paint_pathology(self, painter: Painter, g: _Geometry) -> None:
        pat = self.pathology
        cx, cy, cz = pat.lesion.center_mm
        lesion = ellipse_sdf(
            (g.dx + self.spine.x_mid_mm - cx, g.Y - cy, g.Z - cz), pat.lesion.radii_mm
        )
        cord = np.minimum(self._cord_sdf, lesion - 1.3)
        cord_occ = painter.paint(cord, "cord")
        weight = smooth_step(g.Z, pat.edema_inferior_z_mm - 1.5, pat.edema_inferior_z_mm + 1.5) * (
            1.0 - smooth_step(g.Z, pat.edema_superior_z_mm - 1.5, pat.edema_superior_z_mm + 1.5)
        )
        painter.paint_occupancy(cord_occ * weight, "edema")
        painter.paint(lesion, "lesion")
        met = pat.bone_metastasis
        if met is not None:
            mx, my, mz = met.center_mm
            d_met = ellipse_sdf((g.dx + self.spine.x_mid_mm - mx, g.Y - my, g.Z - mz), met.radii_mm)
            painter.paint(d_met, "bone_met_rim")
            painter.paint(d_met + 1.8, "bone_met")


def _index_window(values: np.ndarray, lo: float, hi: float) -> slice:
    """Slice of the (monotonic) ``values`` lying within [lo, hi]."""
    inside = np.nonzero((values >= lo) & (values <= hi))[0]
    if inside.size == 0:
        return slice(0, 0)
    return slice(int(inside[0]), int(inside[-1]) + 1)


@dataclass
class _Geometry:
    """Broadcastable coordinates of one render chunk (mm)."""

    dx: np.ndarray
    Y: np.ndarray
    Z: np.ndarray
    s: np.ndarray | None
    u: np.ndarray | None
    s2: np.ndarray | None

    @staticmethod
    def make(
        sp: SpineModel, xs: np.ndarray, ys: np.ndarray, zs: np.ndarray, curved: bool
    ) -> _Geometry:
        """Coordinates of the grid ``zs x ys x xs``; curved (s, u) only when asked."""
        dx = (xs - sp.x_mid_mm)[None, None, :]
        Y = ys[None, :, None]
        Z = zs[:, None, None]
        if not curved:
            return _Geometry(dx, Y, Z, None, None, None)
        shape = (len(zs), len(ys))
        s2, u2 = sp.to_curved(
            np.broadcast_to(ys[None, :], shape), np.broadcast_to(zs[:, None], shape)
        )
        return _Geometry(dx, Y, Z, s2[:, :, None], u2[:, :, None], s2)
