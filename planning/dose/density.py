"""The relative electron density a plan's dose is computed on, and where it came from.

:func:`density_for_plan`: a planning CT in the frame of reference gives radiological depth
from HU (the patient only: what air separates from it in a slice, such as the couch, is
removed so that it is not taken for the skin); without one the MR outline is water. A
sagittal MR only spans a few cm across the midline, so for posterior and anterior beams its
outline is extended sideways (each sagittal slab repeated outwards: the back is assumed to be
the same across the field width); for a lateral pair the axial MR through the lesion gives the
outline, extended along z. Every such choice is stated in :attr:`Density.assumptions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from imaging.sampling import sample_at_ijk
from imaging.volume import Volume
from planning.dose.images import PlanImages
from planning.dose.radiological_depth import (
    BODY_THRESHOLD_HU,
    body_mask_from_ct,
    body_mask_from_mr,
    density_from_ct,
)
from planning.field.derivation import Field


def sample_volume(volume: Volume, points_mm: np.ndarray, order: Literal[0, 1] = 1) -> np.ndarray:
    """Values of ``volume`` at ``points_mm`` (LPS mm, shape (n, 3)); 0 outside the volume.

    ``order`` 1 is trilinear interpolation, 0 nearest voxel.
    """
    ijk = volume.patient_to_index(np.atleast_2d(points_mm))
    return sample_at_ijk(np.asarray(volume.array, dtype=np.float32), ijk, order=order)


def _extend_slices(volume: Volume, points_mm: np.ndarray) -> tuple[Volume, bool]:
    """Repeat the first and last slice outwards until ``points_mm`` lie within the slices."""
    k = volume.patient_to_index(points_mm)[:, 2]
    before = max(0, math.ceil(-0.5 - float(k.min())))
    after = max(0, math.ceil(float(k.max()) - (volume.shape[0] - 0.5)))
    if before == 0 and after == 0:
        return volume, False
    array = np.pad(volume.array, ((before, after), (0, 0), (0, 0)), mode="edge")
    affine = volume.affine.copy()
    affine[:3, 3] = affine[:3, 3] - before * affine[:3, 2]
    return Volume(array=array, affine=affine, metadata=volume.metadata), True


def _crop(volume: Volume, points_mm: np.ndarray) -> Volume:
    """The part of ``volume`` holding ``points_mm`` (plus a voxel), for faster dose."""
    ijk = volume.patient_to_index(points_mm)
    size = np.asarray(volume.size_ijk)
    low = np.clip(np.floor(ijk.min(axis=0)).astype(int) - 1, 0, size - 1)
    high = np.clip(np.ceil(ijk.max(axis=0)).astype(int) + 2, low + 1, size)
    array = volume.array[low[2] : high[2], low[1] : high[1], low[0] : high[0]]
    affine = volume.affine.copy()
    affine[:3, 3] = volume.index_to_patient(low.astype(float))
    return Volume(array=array, affine=affine, metadata=volume.metadata)


def _corners(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.array(
        [
            [x, y, z]
            for x in (lower[0], upper[0])
            for y in (lower[1], upper[1])
            for z in (lower[2], upper[2])
        ],
        dtype=float,
    )


@dataclass(frozen=True, eq=False)
class Density:
    """Relative electron density used for the dose, with where it came from."""

    volume: Volume
    source: str
    assumptions: tuple[str, ...] = ()


def density_for_plan(
    images: PlanImages, plan_field: Field, lower_mm: np.ndarray, upper_mm: np.ndarray
) -> Density:
    """The density for the dose: CT when it covers the field, else the MR outline as water.

    ``lower_mm``/``upper_mm`` bound the region the dose grid will cover across the beams.
    """
    corners = _corners(lower_mm, upper_mm)
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    if images.ct is not None and bool(images.ct.contains_index(images.ct.patient_to_index(iso))):
        description = images.ct.metadata.series_description or "CT"
        cropped = _crop(images.ct, corners)
        density = density_from_ct(cropped)
        # Only the patient: the couch under the back would otherwise be a PA beam's "skin".
        body = body_mask_from_ct(cropped, iso)
        density = density.with_array(np.where(body, density.array, np.float32(0.0)))
        return Density(
            density,
            f"planning CT '{description}' (radiological depth from HU)",
            (
                "density from the planning CT: HU to relative electron density through a "
                "bilinear curve (air -1000 HU = 0, water 0 HU = 1, cortical bone 1500 HU = 1.78, "
                "ASSUMED; replace with the scanner's calibration)",
                f"CT outside the patient outline (above {BODY_THRESHOLD_HU:g} HU, in each slice "
                "the part around the isocentre) is air: the couch and devices separated from the "
                "patient by air are left out, so their attenuation is not in the dose (apply "
                "the couch factor); a couch in contact with the skin is not removed",
            ),
        )
    lateral = plan_field.arrangement == "lateral_pair"
    if lateral and images.axial_mr is not None:
        axial = images.axial_mr
        if bool(axial.contains_index(axial.patient_to_index(iso))):
            water = axial.with_array(body_mask_from_mr(axial).astype(np.float32))
            extended, padded = _extend_slices(water, corners)
            notes = [
                "no planning CT: the patient is water inside the outline of the axial MR "
                f"'{axial.metadata.series_description}' (no heterogeneity correction)"
            ]
            if padded:
                notes.append(
                    "the axial MR does not span the whole field length: its first and last "
                    "slices' outline is assumed to continue up and down"
                )
            return Density(extended, "MR outline (axial), water", tuple(notes))
    sagittal = images.sagittal if images.sagittal is not None else images.lesion_volume
    water = sagittal.with_array(body_mask_from_mr(sagittal).astype(np.float32))
    notes = [
        "no planning CT: the patient is water inside the outline of the MR "
        f"'{sagittal.metadata.series_description}' (no heterogeneity correction)"
    ]
    if lateral:
        notes.append(
            "lateral beams on a sagittal MR without an axial series or CT: the lateral skin is "
            "not imaged, so the depth rests on the patient separation entered by the user"
        )
        return Density(water, "MR outline (sagittal), water", tuple(notes))
    extended, padded = _extend_slices(water, corners)
    if padded:
        notes.append(
            "the sagittal MR covers only the midline: its outline is assumed to be the same "
            "across the field width (each outer sagittal slab repeated sideways)"
        )
    return Density(extended, "MR outline (sagittal), water", tuple(notes))
