"""The beams of a plan set up on the patient: jaws, SSD, skin entry and isocentre depth.

:func:`plan_beams` sets each beam of a field up for an SSD treatment (a copy of the field's
:class:`planning.field.beam.Beam` made by :meth:`~planning.field.beam.Beam.with_setup`): the skin
entry on the central axis comes from the density (:func:`planning.dose.central_axis.central_axis`,
geometric only, so a machine without a depth-dose table gets its set-up too) and the jaws at the
SAD plane are set so that the field has the derived width and borders in the plane through the
isocentre. :func:`normalisation_point` places 100 %; :func:`inside_field` tests points against
the beams' divergent edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from imaging.units import cm_to_mm, mm_to_cm
from imaging.volume import Volume
from planning.case.settings import PlanSettings
from planning.dose.central_axis import central_axis
from planning.field.beam import Beam, beam_axes
from planning.field.derivation import Field


def inside_field(beams: Sequence[Beam], points_mm: np.ndarray) -> np.ndarray:
    """Whether each point (LPS mm, any shape ``(..., 3)``) lies within a beam's geometric edges.

    A point is inside a beam when its projection along the divergent ray onto the SAD plane
    falls between the jaws; the result is the union over ``beams``.
    """
    points = np.asarray(points_mm, dtype=np.float32)
    inside = np.zeros(points.shape[:-1], dtype=bool)
    for beam in beams:
        sad_mm = cm_to_mm(beam.sad_cm)
        (jaw_x1, jaw_x2), (jaw_y1, jaw_y2) = beam.jaws_sad_cm
        axes = beam_axes(beam.gantry_angle_deg).astype(np.float32)
        relative = points - np.asarray(beam.source_lps_mm, dtype=np.float32)
        distance = np.maximum(relative @ -axes[2], np.float32(1.0))
        factor = np.float32(mm_to_cm(sad_mm)) / distance  # cm at the SAD plane per mm
        u = (relative @ axes[0]) * factor
        w = (relative @ axes[1]) * factor
        inside |= (u >= jaw_x1) & (u <= jaw_x2) & (w >= jaw_y1) & (w <= jaw_y2)
    return inside


def plan_beams(
    plan_field: Field, density: Volume, separation_cm: float | None, sad_cm: float | None = None
) -> tuple[Beam, ...]:
    """The field's beams set up: jaws giving the field's width and borders in the isocentre
    plane, SSD, isocentre depth, skin entry, source and machine isocentre.

    Parameters
    ----------
    plan_field : Field
        A field with an isocentre.
    density : Volume
        Relative electron density (the skin is where each central axis meets tissue).
    separation_cm : float, optional
        Patient separation along the beams where the skin is not imaged, cm.
    sad_cm : float, optional
        The commissioned machine's source-axis distance, cm; None: the energy's reference.
    """
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    beams = []
    for field_beam in plan_field.beams:
        provisional = replace(
            field_beam,
            jaw_x_sad_cm=(
                -mm_to_cm(plan_field.width_mm) / 2.0,
                mm_to_cm(plan_field.width_mm) / 2.0,
            ),
            jaw_y_sad_cm=(
                -mm_to_cm(plan_field.length_mm) / 2.0,
                mm_to_cm(plan_field.length_mm) / 2.0,
            ),
            setup="SSD",
            machine_sad_cm=sad_cm,
        )
        axis = central_axis(provisional, density, separation_cm)
        distance_cm = axis.ssd_cm + max(axis.isocentre_depth_cm, 0.0)
        scale = provisional.sad_cm / distance_cm  # isocentre plane -> SAD plane
        half_width_cm = mm_to_cm(plan_field.width_mm / 2.0) * scale
        jaw_x = (-half_width_cm, half_width_cm)
        jaw_y = (
            mm_to_cm(plan_field.inferior_border_z_mm - iso[2]) * scale,
            mm_to_cm(plan_field.superior_border_z_mm - iso[2]) * scale,
        )
        source = np.asarray(axis.source_lps_mm)
        direction = iso - source
        direction /= np.linalg.norm(direction)
        machine_iso = source + cm_to_mm(provisional.sad_cm) * direction
        beams.append(
            provisional.with_setup(
                jaw_x_sad_cm=jaw_x,
                jaw_y_sad_cm=jaw_y,
                ssd_cm=axis.ssd_cm,
                isocentre_depth_cm=axis.isocentre_depth_cm,
                skin_entry_lps_mm=axis.skin_entry_lps_mm,
                source_lps_mm=axis.source_lps_mm,
                machine_isocentre_lps_mm=machine_iso,
                depth_from_image_edge=axis.depth_from_image_edge,
                assumptions=axis.assumptions,
            )
        )
    return tuple(beams)


def normalisation_point(
    plan_field: Field, settings: PlanSettings, beams: Sequence[Beam]
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
        skin = np.asarray(first.skin_entry_lps_mm)
        direction = iso - np.asarray(first.source_lps_mm)
        direction /= np.linalg.norm(direction)
        return (
            skin + depth_mm * direction,
            f"user depth {mm_to_cm(depth_mm):.1f} cm on the central axis of the {first.name} beam",
        )
    if len(beams) >= 2:
        entries = np.asarray([b.skin_entry_lps_mm for b in beams[:2]])
        point = entries.mean(axis=0)
        separation = mm_to_cm(float(np.linalg.norm(entries[0] - entries[1])))
        return point, f"midplane of the opposed pair (separation {separation:.1f} cm)"
    return iso, (
        f"lesion centroid depth on the central axis ({first.isocentre_depth_cm:.1f} cm below "
        f"the {first.name} skin entry)"
    )
