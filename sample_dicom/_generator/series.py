"""Acquisition geometry of each series and its pixel data (MR noise, coil shading, CT noise)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cases import CaseModel, r1

#: Voxels per render chunk (bounds memory to a few hundred MB).
_CHUNK_VOXELS = 250_000


@dataclass(frozen=True)
class SeriesPlan:
    """Where one series samples the patient and how its files are named and numbered."""

    folder: str
    kind: str  # "T1C_SAG", "T2_SAG", "T1C_AX" or "CT"
    contrast: str  # "T1C", "T2" or "CT"
    series_number: int
    description: str
    rows: int
    columns: int
    pixel_spacing_mm: tuple[float, float]  # (between rows, between columns)
    slice_thickness_mm: float
    #: Patient position of the first pixel of each slice, in spatial order along +axis.
    positions: tuple[tuple[float, float, float], ...]
    orientation: tuple[float, float, float, float, float, float]
    #: InstanceNumber of each slice (same order as ``positions``).
    instance_numbers: tuple[int, ...]
    #: Sub-samples across the slice thickness (through-plane partial volume).
    subsamples: int
    seed: int
    extra: dict = field(default_factory=dict)

    @property
    def spacing_between_slices_mm(self) -> float:
        """Distance between neighbouring slice centres (mm)."""
        a, b = np.array(self.positions[0]), np.array(self.positions[1])
        return float(np.linalg.norm(b - a))


def plan_series(case: CaseModel) -> list[SeriesPlan]:
    """The series acquired for ``case``: sagittal T2, sagittal T1+C, axial T1+C (and CT)."""
    spec = case.spec
    spine = case.spine
    n = spec.number
    z_top = float(round(spec.dens_tip_z_mm + 95.0))
    y_first = float(round(spec.c2_y_mm - 175.0))
    sag_x = [r1(spine.x_mid_mm + 4.0 * (k - 5)) for k in range(11)]
    sag_common = dict(
        rows=480,
        columns=176,
        pixel_spacing_mm=(1.7, 1.7),
        slice_thickness_mm=3.5,
        positions=tuple((x, y_first, z_top) for x in sag_x),
        orientation=(0.0, 1.0, 0.0, 0.0, 0.0, -1.0),
        subsamples=2,
    )
    plans = [
        SeriesPlan(
            "T2_SAG",
            "T2_SAG",
            "T2",
            2,
            "T2 TSE SAG",
            # Numbered left to right: the reverse of the right-to-left order of the T1.
            instance_numbers=tuple(range(11, 0, -1)),
            seed=1000 * n + 2,
            **sag_common,
        ),
        SeriesPlan(
            "T1C_SAG",
            "T1C_SAG",
            "T1C",
            5,
            "T1 SE SAG +C",
            instance_numbers=tuple(range(1, 12)),
            seed=1000 * n + 5,
            **sag_common,
        ),
    ]
    lesion = case.phantom.pathology.lesion
    cz = lesion.center_mm[2]
    count = 20
    spacing = 4.4
    cy = float(round(lesion.center_mm[1] - 8.0))
    cx = float(round(spine.x_mid_mm))
    rng = np.random.default_rng(7000 + n)
    order = rng.permutation(count) + 1
    plans.append(
        SeriesPlan(
            "T1C_AX",
            "T1C_AX",
            "T1C",
            6,
            "T1 SE AX +C",
            rows=192,
            columns=192,
            pixel_spacing_mm=(1.0, 1.0),
            slice_thickness_mm=4.0,
            positions=tuple(
                (cx - 95.5, cy - 95.5, r1(cz + spacing * (k - 0.5 * (count - 1))))
                for k in range(count)
            ),
            orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
            # Shuffled: readers that sort by InstanceNumber get the anatomy scrambled.
            instance_numbers=tuple(int(v) for v in order),
            subsamples=2,
            seed=1000 * n + 6,
        )
    )
    if spec.has_ct:
        top = float(round(spec.dens_tip_z_mm + 30.0))
        bottom = case.levels[[name for name, _, _ in case.levels].index("T4")][2] - 15.0
        count_ct = int(np.ceil((top - bottom) / 3.0)) + 1
        zs = [r1(top - 3.0 * k) for k in range(count_ct)][::-1]
        plans.append(
            SeriesPlan(
                "CT",
                "CT",
                "CT",
                101,
                "PLANNING CT C-T SPINE",
                rows=256,
                columns=256,
                pixel_spacing_mm=(1.8, 1.8),
                slice_thickness_mm=3.0,
                positions=tuple((-229.5, -229.5 + 20.0, z) for z in zs),
                orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0),
                instance_numbers=tuple(range(len(zs), 0, -1)),
                subsamples=1,
                seed=1000 * n + 101,
            )
        )
    return plans


def render_series(
    case: CaseModel, plan: SeriesPlan, contrasts: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Noise-free images of ``plan``'s slices for each contrast, shaped (slices, rows, cols).

    Each slice is the mean of ``plan.subsamples`` planes spread across its thickness, which
    gives through-plane partial volume.
    """
    dr, dc = plan.pixel_spacing_mm
    first = np.array(plan.positions[0])
    phantom = case.phantom
    edge = 0.9 * min(dr, dc)
    m = plan.subsamples
    offsets = plan.slice_thickness_mm * ((np.arange(m) + 0.5) / m - 0.5)
    out = {c: np.empty((len(plan.positions), plan.rows, plan.columns)) for c in contrasts}
    if plan.kind.endswith("SAG"):
        # Rows run along -z, columns along +y; slices differ in x.
        zs = first[2] - dr * np.arange(plan.rows)
        ys = first[1] + dc * np.arange(plan.columns)
        xs = (np.array([p[0] for p in plan.positions])[:, None] + offsets[None, :]).ravel()
        step = min(60, max(1, _CHUNK_VOXELS // (len(ys) * len(xs))))
        for r0 in range(0, plan.rows, step):
            imgs = phantom.render(xs, ys, zs[r0 : r0 + step], contrasts, edge)
            for c in contrasts:
                block = imgs[c].reshape(imgs[c].shape[0], len(ys), -1, m).mean(axis=3)
                out[c][:, r0 : r0 + step, :] = np.moveaxis(block, 2, 0)
        return out
    assert plan.orientation == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    xs = first[0] + dc * np.arange(plan.columns)
    ys = first[1] + dr * np.arange(plan.rows)
    zs = np.array([p[2] for p in plan.positions])
    step = max(1, _CHUNK_VOXELS // (len(ys) * len(xs) * m))
    for k0 in range(0, len(zs), step):
        zsub = (zs[k0 : k0 + step, None] + offsets[None, :]).ravel()
        imgs = phantom.render(xs, ys, zsub, contrasts, edge)
        for c in contrasts:
            out[c][k0 : k0 + step] = imgs[c].reshape(-1, m, len(ys), len(xs)).mean(axis=1)
    return out


def mr_pixels(image: np.ndarray, plan: SeriesPlan, back_y_mm: float) -> np.ndarray:
    """Stored MR pixels: receive-coil shading, Rician noise, 12-bit unsigned."""
    rng = np.random.default_rng(plan.seed)
    dr, dc = plan.pixel_spacing_mm
    first = np.array(plan.positions[0])
    if plan.kind.endswith("SAG"):
        ys = first[1] + dc * np.arange(plan.columns)
        y = ys[None, None, :]
    else:
        ys = first[1] + dr * np.arange(plan.rows)
        y = ys[None, :, None]
    # Posterior spine array coil: signal falls off towards the front of the body.
    shading = 0.55 + 0.5 * np.exp(-np.maximum(back_y_mm - y, 0.0) / 120.0)
    sigma = 16.0 if plan.contrast == "T1C" else 20.0
    signal = image * shading
    real = signal + rng.normal(0.0, sigma, size=image.shape)
    imag = rng.normal(0.0, sigma, size=image.shape)
    magnitude = np.sqrt(real * real + imag * imag)
    return np.clip(np.rint(magnitude), 0, 4095).astype(np.uint16)


def ct_pixels(image: np.ndarray, plan: SeriesPlan) -> np.ndarray:
    """Stored CT pixels (HU + 1024), mild noise inside the patient, 12-bit unsigned."""
    rng = np.random.default_rng(plan.seed)
    noise = rng.normal(0.0, 6.0, size=image.shape) * (image > -950.0)
    return np.clip(np.rint(image + noise + 1024.0), 0, 4095).astype(np.uint16)
