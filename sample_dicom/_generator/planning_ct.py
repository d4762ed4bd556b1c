"""A planning CT in another study and frame of reference, with a known rigid transform.

The diagnostic MR and the planning CT of a real patient are separate studies: days apart, on
another scanner, in the immobilisation set-up. Here the CT frame is the phantom's (the MR's)
frame rotated by a few degrees and moved by a table offset: ``matrix_mr_to_ct`` maps MR LPS mm
to CT LPS mm (it is the case file's ``planning_ct.registration.matrix_mm``). The CT's field of
view covers the lesion's region (the lesion levels +/- 2 vertebrae), with a couch under the
patient. The anatomy is rendered on an axis-aligned grid of the phantom's frame and sampled at
each CT voxel centre mapped back (trilinear, numpy only).
"""

from __future__ import annotations

import numpy as np

from .cases import CaseModel
from .series import SeriesPlan

#: The CT's pixel and slice size (mm) and matrix.
CT_PIXEL_MM = 1.8
CT_SLICE_MM = 3.0
CT_MATRIX = 256


def rotation_matrix(angles_deg: tuple[float, float, float]) -> np.ndarray:
    """R = Rz @ Ry @ Rx for rotations about the LPS x, y, z axes (degrees)."""
    ax, ay, az = np.radians(angles_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _anatomy_centre(case: CaseModel) -> np.ndarray:
    phantom = case.phantom
    z = float(phantom.pathology.lesion.center_mm[2])
    front, back = phantom._habitus(np.array([z]))[:2]
    axis_y = float(phantom.spine.axis_y(z))
    return np.array([phantom.spine.x_mid_mm, axis_y + 0.5 * (back[0] - front[0]), z])


def matrix_mr_to_ct(case: CaseModel) -> np.ndarray:
    """The known rigid transform, MR (phantom) LPS mm -> CT LPS mm, 4x4, rounded to 1e-6."""
    spec = case.spec.planning_ct
    assert spec is not None
    rotation = rotation_matrix(spec.rotation_deg)
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = np.asarray(spec.fov_centre_ct_mm) - rotation @ _anatomy_centre(case)
    # Rounded so that the case file's numbers are this exact transform (and still rigid to
    # far better than spineplan's tolerance).
    return np.round(matrix, 6)


def planning_ct_plan(case: CaseModel) -> SeriesPlan:
    """The CT's axial slices: the lesion levels +/- ``levels_around`` vertebrae in z."""
    spec = case.spec.planning_ct
    assert spec is not None
    names = [name for name, _, _ in case.levels]
    first = names.index(case.spec.lesion_levels[0])
    last = names.index(case.spec.lesion_levels[-1])
    top_mr = case.levels[max(first - spec.levels_around, 0)][1] + 10.0
    bottom_mr = case.levels[min(last + spec.levels_around, len(names) - 1)][2] - 10.0
    matrix = matrix_mr_to_ct(case)
    centre = np.asarray(spec.fov_centre_ct_mm)
    # the z span of the region in the CT frame (the rotation tilts it a little)
    lesion_z_ct = float((matrix @ np.append(_anatomy_centre(case), 1.0))[2])
    top = lesion_z_ct + (top_mr - float(case.phantom.pathology.lesion.center_mm[2]))
    bottom = lesion_z_ct - (float(case.phantom.pathology.lesion.center_mm[2]) - bottom_mr)
    count = int(np.ceil((top - bottom) / CT_SLICE_MM)) + 1
    first_z = round(bottom, 1)
    zs = [round(first_z + CT_SLICE_MM * k, 1) for k in range(count)]
    half = 0.5 * (CT_MATRIX - 1) * CT_PIXEL_MM
    x0, y0 = round(float(centre[0]) - half, 1), round(float(centre[1]) - half, 1)
    return SeriesPlan(
        "PLANNING_CT",
        "PLANNING_CT",
        "CT",
        2,
        "RT PLANNING CT THORAX",
        rows=CT_MATRIX,
        columns=CT_MATRIX,
        pixel_spacing_mm=(CT_PIXEL_MM, CT_PIXEL_MM),
        slice_thickness_mm=CT_SLICE_MM,
        positions=tuple((x0, y0, z) for z in zs),
        orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
        instance_numbers=tuple(range(count, 0, -1)),  # numbered from the top down
        subsamples=1,
        seed=1000 * case.spec.number + 201,
        extra={"other_study": True},
    )


def _trilinear(
    volume: np.ndarray, origin: np.ndarray, step: np.ndarray, points: np.ndarray
) -> np.ndarray:
    """``volume`` (z, y, x axes ascending from ``origin`` by ``step``, x y z mm) at ``points``
    (n, 3; x y z mm); -1000 (air) outside."""
    f = (points - origin) / step
    shape = np.array(volume.shape[::-1])  # x, y, z sizes
    low = np.floor(f).astype(np.intp)
    inside = np.all((low >= 0) & (low + 1 < shape), axis=1)
    low = np.clip(low, 0, shape - 2)
    w = np.clip(f - low, 0.0, 1.0)
    out = np.zeros(len(points))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                weight = (
                    (w[:, 0] if dx else 1 - w[:, 0])
                    * (w[:, 1] if dy else 1 - w[:, 1])
                    * (w[:, 2] if dz else 1 - w[:, 2])
                )
                out += weight * volume[low[:, 2] + dz, low[:, 1] + dy, low[:, 0] + dx]
    return np.where(inside, out, -1000.0)


def render_planning_ct(case: CaseModel, plan: SeriesPlan) -> np.ndarray:
    """HU of the CT's slices (slices, rows, columns): the anatomy through the transform, and
    a couch (carbon shell, foam core) flat in the CT frame just behind the patient's back."""
    matrix = matrix_mr_to_ct(case)
    inverse = np.linalg.inv(matrix)
    p = CT_PIXEL_MM
    first = np.asarray(plan.positions[0], float)
    zs_ct = np.array([pos[2] for pos in plan.positions])
    xs_ct = first[0] + p * np.arange(plan.columns)
    ys_ct = first[1] + p * np.arange(plan.rows)
    corners = np.array(
        [[x, y, z] for x in xs_ct[[0, -1]] for y in ys_ct[[0, -1]] for z in zs_ct[[0, -1]]]
    )
    anatomy = corners @ inverse[:3, :3].T + inverse[:3, 3]
    low, high = anatomy.min(axis=0) - 2 * p, anatomy.max(axis=0) + 2 * p
    step = np.array([p, p, 1.5])
    xs = np.arange(low[0], high[0], step[0])
    ys = np.arange(low[1], high[1], step[1])
    zs = np.arange(low[2], high[2], step[2])
    rendered = case.phantom.render(xs, ys, zs, ("CT",), 0.9 * p)["CT"]
    origin = np.array([xs[0], ys[0], zs[0]])
    hu = np.empty((len(zs_ct), plan.rows, plan.columns))
    gx, gy = np.meshgrid(xs_ct, ys_ct)
    for k, z in enumerate(zs_ct):
        points = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)])
        on_mr = points @ inverse[:3, :3].T + inverse[:3, 3]
        hu[k] = _trilinear(rendered, origin, step, on_mr).reshape(gx.shape)
    back = np.array([case.spine.x_mid_mm, case.phantom.table_y_mm + 1.0, float(np.mean(zs))])
    couch_top = float((matrix @ np.append(back, 1.0))[1]) + 2.0
    centre_x = float(np.mean(xs_ct))
    across = np.abs(xs_ct - centre_x) < 0.45 * plan.columns * p
    shell = ((ys_ct >= couch_top) & (ys_ct < couch_top + 4.0)) | (
        (ys_ct >= couch_top + 40.0) & (ys_ct < couch_top + 44.0)
    )
    core = (ys_ct >= couch_top + 4.0) & (ys_ct < couch_top + 40.0)
    hu[:, core[:, None] & across[None, :]] = -880.0
    hu[:, shell[:, None] & across[None, :]] = 250.0
    return hu
