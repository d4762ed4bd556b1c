"""The beams of a plan set up on the patient: jaws, SSD, skin entry and isocentre depth.

:func:`plan_beams` sets each beam of a field up for an SSD treatment: the skin entry on the
central axis comes from the density (:func:`planning.dose.central_axis.central_axis`, geometric
only, so a machine without a depth-dose table gets its set-up too) and the jaws at the SAD plane
are set so that the field has the derived width and borders in the plane through the isocentre.
:func:`normalisation_point` places 100 %; :func:`inside_field` tests points against the beams'
divergent edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from imaging.units import cm_to_mm, mm_to_cm
from imaging.volume import Volume
from planning.case.settings import PlanSettings
from planning.dose.beam_geometry import Beam as DoseBeam
from planning.dose.beam_geometry import beam_axes
from planning.dose.beam_model import MACHINES
from planning.dose.central_axis import central_axis
from planning.field.derivation import Field


@dataclass(frozen=True)
class PlanBeamGeometry:
    """One beam as planned: engine beam (jaws at the SAD plane) and its set-up numbers.

    Attributes
    ----------
    beam : planning.dose.beam_geometry.Beam
    jaw_x_cm, jaw_y_cm : (float, float)
        Jaw positions at the machine's SAD plane (IEC X1, X2 and Y1 inferior, Y2 superior).
    ssd_cm : float
    isocentre_depth_cm : float
        Geometric depth of the field's isocentre below this beam's skin entry.
    machine_isocentre_mm : tuple of 3 float
        The point at SAD from the source on the central axis (what the RT Plan calls the
        isocentre of an SSD set-up), LPS mm.
    skin_entry_mm, source_mm : tuple of 3 float
    depth_from_image_edge : bool
        The skin is not imaged on the central axis and no separation was entered: the depth
        and the set-up are counted from the edge of the images (too shallow).
    assumptions : tuple of str
        What was assumed about this beam's skin entry.
    """

    beam: DoseBeam
    jaw_x_cm: tuple[float, float]
    jaw_y_cm: tuple[float, float]
    ssd_cm: float
    isocentre_depth_cm: float
    machine_isocentre_mm: tuple[float, float, float]
    skin_entry_mm: tuple[float, float, float]
    source_mm: tuple[float, float, float]
    depth_from_image_edge: bool = False
    assumptions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.beam.name

    @property
    def gantry_angle_deg(self) -> float:
        return self.beam.gantry_angle_deg

    @property
    def field_at_skin_cm(self) -> tuple[float, float]:
        """Field size (X, Y) on the skin, cm: the jaw opening scaled from the SAD to the SSD."""
        scale = self.ssd_cm / MACHINES[self.beam.energy].sad_cm
        return (
            (self.jaw_x_cm[1] - self.jaw_x_cm[0]) * scale,
            (self.jaw_y_cm[1] - self.jaw_y_cm[0]) * scale,
        )


def inside_field(
    beams: Sequence[PlanBeamGeometry], energy: str, points_mm: np.ndarray
) -> np.ndarray:
    """Whether each point (LPS mm, any shape ``(..., 3)``) lies within a beam's geometric edges.

    A point is inside a beam when its projection along the divergent ray onto the SAD plane
    falls between the jaws; the result is the union over ``beams``.
    """
    points = np.asarray(points_mm, dtype=np.float32)
    sad_mm = cm_to_mm(MACHINES[energy].sad_cm)
    inside = np.zeros(points.shape[:-1], dtype=bool)
    for geometry in beams:
        axes = beam_axes(geometry.gantry_angle_deg).astype(np.float32)
        relative = points - np.asarray(geometry.source_mm, dtype=np.float32)
        distance = np.maximum(relative @ -axes[2], np.float32(1.0))
        factor = np.float32(mm_to_cm(sad_mm)) / distance  # cm at the SAD plane per mm
        u = (relative @ axes[0]) * factor
        w = (relative @ axes[1]) * factor
        inside |= (
            (u >= geometry.jaw_x_cm[0])
            & (u <= geometry.jaw_x_cm[1])
            & (w >= geometry.jaw_y_cm[0])
            & (w <= geometry.jaw_y_cm[1])
        )
    return inside


def plan_beams(
    plan_field: Field, density: Volume, separation_cm: float | None
) -> tuple[PlanBeamGeometry, ...]:
    """Beams with jaws giving the field's width and borders in the isocentre plane.

    Parameters
    ----------
    plan_field : Field
        A field with an isocentre.
    density : Volume
        Relative electron density (the skin is where each central axis meets tissue).
    separation_cm : float, optional
        Patient separation along the beams where the skin is not imaged, cm.
    """
    machine = MACHINES[plan_field.energy]
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    beams = []
    for field_beam in plan_field.beams:
        provisional = DoseBeam.symmetric(
            plan_field.energy,
            field_beam.gantry_angle_deg,
            plan_field.isocentre_mm,  # type: ignore[arg-type]
            mm_to_cm(plan_field.width_mm),
            mm_to_cm(plan_field.length_mm),
            setup="SSD",
            ssd_cm=plan_field.ssd_cm,
            name=field_beam.name,
        )
        axis = central_axis(provisional, density, separation_cm)
        distance_cm = axis.ssd_cm + max(axis.isocentre_depth_cm, 0.0)
        scale = machine.sad_cm / distance_cm  # isocentre plane -> SAD plane
        half_width_cm = mm_to_cm(plan_field.width_mm / 2.0) * scale
        jaw_x = (-half_width_cm, half_width_cm)
        jaw_y = (
            mm_to_cm(plan_field.inferior_border_z_mm - iso[2]) * scale,
            mm_to_cm(plan_field.superior_border_z_mm - iso[2]) * scale,
        )
        beam = replace(provisional, jaw_x_cm=jaw_x, jaw_y_cm=jaw_y)
        source = np.asarray(axis.source_lps_mm)
        direction = iso - source
        direction /= np.linalg.norm(direction)
        machine_iso = source + cm_to_mm(machine.sad_cm) * direction
        beams.append(
            PlanBeamGeometry(
                beam=beam,
                jaw_x_cm=jaw_x,
                jaw_y_cm=jaw_y,
                ssd_cm=axis.ssd_cm,
                isocentre_depth_cm=axis.isocentre_depth_cm,
                machine_isocentre_mm=tuple(float(v) for v in machine_iso),  # type: ignore[arg-type]
                skin_entry_mm=axis.skin_entry_lps_mm,
                source_mm=axis.source_lps_mm,
                depth_from_image_edge=axis.depth_from_image_edge,
                assumptions=axis.assumptions,
            )
        )
    return tuple(beams)


def normalisation_point(
    plan_field: Field, settings: PlanSettings, beams: Sequence[PlanBeamGeometry]
) -> tuple[np.ndarray, str]:
    """The point (LPS mm) that receives the prescription, and how it was chosen, in words.

    The lesion centroid depth on the central axis (the isocentre) for a single field, a user
    depth on the first beam's axis (``settings.normalisation == "depth"``), or midplane for an
    opposed pair (halfway between the two skin entry points).
    """
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    first = beams[0]
    if settings.normalisation == "depth":
        depth_mm = float(settings.normalisation_depth_mm or 0.0)
        skin = np.asarray(first.skin_entry_mm)
        direction = iso - np.asarray(first.source_mm)
        direction /= np.linalg.norm(direction)
        return (
            skin + depth_mm * direction,
            f"user depth {mm_to_cm(depth_mm):.1f} cm on the central axis of the {first.name} beam",
        )
    if len(beams) >= 2:
        entries = np.asarray([b.skin_entry_mm for b in beams[:2]])
        point = entries.mean(axis=0)
        separation = mm_to_cm(float(np.linalg.norm(entries[0] - entries[1])))
        return point, f"midplane of the opposed pair (separation {separation:.1f} cm)"
    return iso, (
        f"lesion centroid depth on the central axis ({first.isocentre_depth_cm:.1f} cm below "
        f"the {first.name} skin entry)"
    )
