"""Where a beam's central axis enters the patient: skin entry, source, SSD, isocentre depth.

The skin is where the central axis, followed from upstream, first meets tissue
(:data:`planning.dose.radiological_depth.TISSUE_THRESHOLD`) in the density images. Where the axis
enters the images already in tissue the skin is not imaged: a user-entered separation then places
it (isocentre at mid-separation), else depth is counted from the image edge and the result says
so. Purely geometric (no depth-dose data): the dose engine and the field set-up both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imaging.units import cm_to_mm, mm_to_cm
from imaging.volume import Volume
from planning.dose.beam_model import MACHINES
from planning.dose.radiological_depth import TISSUE_THRESHOLD, density_at
from planning.errors import PlanningError
from planning.field.beam import Beam, beam_axes


@dataclass(frozen=True)
class CentralAxis:
    """Where a beam's central axis meets the patient, and the set-up this gives (no dose).

    Purely geometric: needs the density (for the skin) but no depth-dose table, so it also
    serves machines without beam data (the field set-up of a Co-60 unit).

    Attributes
    ----------
    source_lps_mm, skin_entry_lps_mm : tuple of 3 float
        Source position and where the central axis enters the patient (imaged or assumed).
    ssd_cm : float
        Source-skin distance on the central axis.
    isocentre_depth_cm : float
        Geometric depth of the beam's isocentre below the skin entry, cm.
    skin_outside_images : bool
        The central axis enters the images already in tissue: the skin is not imaged there.
    first_imaged_mm : float
        Signed distance (mm) from the isocentre along the beam direction at which the central
        axis enters the images.
    depth_from_image_edge : bool
        The skin is not imaged and no separation was entered: depth is counted from the image
        edge (too shallow).
    assumptions : tuple of str
        What had to be assumed about the skin, in words.
    """

    source_lps_mm: tuple[float, float, float]
    skin_entry_lps_mm: tuple[float, float, float]
    ssd_cm: float
    isocentre_depth_cm: float
    skin_outside_images: bool
    first_imaged_mm: float
    depth_from_image_edge: bool
    assumptions: tuple[str, ...] = ()


def central_axis(beam: Beam, density: Volume, separation_cm: float | None = None) -> CentralAxis:
    """Skin entry, source position, SSD and isocentre depth of ``beam`` on ``density``.

    Parameters
    ----------
    beam : Beam
    density : Volume
        Relative electron density (the skin is where the central axis first meets tissue).
    separation_cm : float, optional
        User-entered patient separation along the beam's axis, used only where the skin is
        outside every image (see :func:`planning.dose.engine.compute_beam_dose`).

    Raises
    ------
    PlanningError
        A separation outside 1-80 cm, or an SAD set-up putting the skin closer than 20 cm to the
        source.
    """
    machine = MACHINES[beam.energy]
    if separation_cm is not None and not 1.0 <= separation_cm <= 80.0:
        raise PlanningError(f"separation {separation_cm} cm is out of range (1-80 cm)")
    assumptions: list[str] = []
    label = beam.label
    direction = -beam_axes(beam.gantry_angle_deg)[2]
    iso = np.asarray(beam.isocentre_lps_mm, dtype=float)
    sad_mm = cm_to_mm(beam.sad_cm)

    t_skin, entered_in_tissue, t_first = _central_axis_skin(density, iso, direction, 0.5)
    depth_from_image_edge = entered_in_tissue and separation_cm is None
    if entered_in_tissue:
        if separation_cm is not None:
            t_skin = -cm_to_mm(separation_cm) / 2.0
            assumptions.append(
                f"{label}: the skin is outside the images on the central axis; the patient is "
                f"assumed to be {separation_cm:g} cm thick along the beam (user-entered "
                f"separation) with the isocentre at mid-separation, i.e. skin "
                f"{separation_cm / 2:g} cm upstream of the isocentre, water where not imaged"
            )
        else:
            t_skin = t_first
            assumptions.append(
                f"{label}: the skin is outside the images on the central axis and no "
                "separation was entered; depth is counted from the edge of the images, which "
                "UNDERESTIMATES depth and overestimates dose -- enter the patient separation"
            )
    elif t_skin is None:
        t_skin = 0.0
        assumptions.append(
            f"{label}: the central axis meets no tissue; the skin is placed at the isocentre"
        )
    skin = iso + t_skin * direction
    if beam.setup == "SSD":
        ssd_mm = cm_to_mm(beam.ssd_cm if beam.ssd_cm is not None else machine.default_ssd_cm)
        source = skin - ssd_mm * direction
    else:
        source = iso - sad_mm * direction
        ssd_mm = sad_mm + t_skin
        if ssd_mm < 200.0:
            raise PlanningError(f"{label}: the skin is {mm_to_cm(ssd_mm):.1f} cm from the source")
    z_iso = float((iso - source) @ direction)
    return CentralAxis(
        source_lps_mm=tuple(float(v) for v in source),  # type: ignore[arg-type]
        skin_entry_lps_mm=tuple(float(v) for v in skin),  # type: ignore[arg-type]
        ssd_cm=mm_to_cm(ssd_mm),
        isocentre_depth_cm=mm_to_cm(z_iso - ssd_mm),
        skin_outside_images=entered_in_tissue,
        first_imaged_mm=t_first,
        depth_from_image_edge=depth_from_image_edge,
        assumptions=tuple(assumptions),
    )


def _central_axis_skin(
    density: Volume, iso: np.ndarray, direction: np.ndarray, step_mm: float
) -> tuple[float | None, bool, float]:
    """Skin along the central axis: ``(t_skin, entered_in_tissue, t_first_imaged)``.

    ``t`` is the signed distance (mm) from the isocentre along the beam direction. ``t_skin`` is
    None when the axis meets no tissue upstream of and at the isocentre's far side.
    """
    proj = (density.geometry.box_corners_mm() - iso) @ direction
    t = np.arange(proj.min() - step_mm, proj.max() + step_mm, step_mm)
    points = iso[None, :] + t[:, None] * direction[None, :]
    ijk = density.patient_to_index(points)
    values = density_at(density, ijk)
    inside = density.contains_index(ijk)
    if not inside.any():
        return None, False, 0.0
    first = int(np.argmax(inside))
    tissue = values >= TISSUE_THRESHOLD
    entered = bool(tissue[first] or (first + 1 < len(t) and tissue[first + 1]))
    if not tissue.any():
        return None, False, float(t[first])
    hit = int(np.argmax(tissue))
    if hit > 0 and not entered:  # sub-step skin position by linear interpolation
        v0, v1 = values[hit - 1], values[hit]
        frac = (TISSUE_THRESHOLD - v0) / max(v1 - v0, 1e-6)
        t_skin = float(t[hit - 1] + frac * step_mm)
    else:
        t_skin = float(t[hit])
    return t_skin, entered, float(t[first])
