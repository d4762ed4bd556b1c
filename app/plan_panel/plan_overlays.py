"""What a plan draws on the views: field outline, borders and isodose lines.

* **Borders**: the superior and inferior field borders as height lines across every sagittal
  and coronal view, labelled with where they are ("middle of the T7-8 disc").
* **Landmarks**: where an end of the field is set from a landmark instead of a vertebra (a
  lesion reaching C1: the top of the C1 ring, towards the foramen magnum; a lesion reaching the
  lowest labelled sacral body: its inferior endplate), a solid line labelled with it.
* **Beam's-eye outline**: the field rectangle (length x width at the isocentre plane) on the
  views facing the beam: coronal for PA and AP/PA, sagittal for a lateral pair.
* **Beam path**: once a plan (or, without depth-dose data, its beam set-up) is computed, each
  beam's divergent edges from just outside its skin entry to the far side of the dose grid, on
  the views containing the beam axis and the cord (sagittal for PA, coronal for a lateral pair)
  and across on axial views within the field.
* **Isodoses**: the 107 %, 95 % and 50 % lines of the plan dose (percent of the prescription)
  on every view, one Layers entry each.

All positions are LPS mm; every item is tied to the study's frame of reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from app.viewer.colours import qcolor
from app.viewer.overlays import (
    ContourLevel,
    ContourOverlay,
    HeightLineOverlay,
    OverlayItem,
    PolylineOverlay,
)
from imaging.volume import Volume
from planning.display import palette
from planning.dose.grid import dose_grid
from planning.dose.plan_geometry import PlanGeometry
from planning.field.beam import Beam
from planning.field.derivation import Field
from planning.field.wording import border_label_forms
from planning.plan import PlanResult

FIELD_COLOR = qcolor(palette.FIELD_BORDER)
#: (percent of prescription, colour, legend), drawn in this order.
ISODOSE_LEVELS: tuple[tuple[float, str, str], ...] = tuple(
    (percent, role.hex, f"{percent:g} %") for percent, role in palette.ISODOSES
)
#: Drawing order: above images and annotation masks.
FIELD_Z = 20.0
ISODOSE_Z = 15.0
#: The beam path starts this far outside the skin entry, mm.
PATH_BEFORE_SKIN_MM = 15.0

_UP = np.array([0.0, 0.0, 1.0])


# Own kinds, so that code counting the annotation's items by kind does not count the plan's.
@dataclass(eq=False)
class FieldBorderOverlay(HeightLineOverlay):
    """A field border (superior or inferior) across sagittal and coronal views."""

    kind: ClassVar[str] = "field border"


@dataclass(eq=False)
class LandmarkOverlay(HeightLineOverlay):
    """The landmark an end of the field is set from (top of the C1 ring, bottom of S1)."""

    kind: ClassVar[str] = "field landmark"


@dataclass(eq=False)
class FieldOutlineOverlay(PolylineOverlay):
    """A field outline or beam path."""

    kind: ClassVar[str] = "field outline"


@dataclass(eq=False)
class IsodoseOverlay(ContourOverlay):
    """One isodose line of the plan."""

    kind: ClassVar[str] = "isodose"


def _beam_direction(source_direction_lps: Sequence[float]) -> np.ndarray:
    """Unit vector along which the beam travels (from the source towards the patient)."""
    direction = -np.asarray(source_direction_lps, dtype=float)
    return direction / np.linalg.norm(direction)


def _across(direction: np.ndarray) -> np.ndarray:
    """Unit vector across the beam and perpendicular to the cord (the field's width axis)."""
    across = np.cross(_UP, direction)
    return across / np.linalg.norm(across)


def _facing_plane(direction: np.ndarray) -> str:
    """The view plane perpendicular to a horizontal beam: coronal for AP/PA, sagittal else."""
    return "coronal" if abs(direction[1]) >= abs(direction[0]) else "sagittal"


def field_overlays(plan_field: Field, frame_uid: str = "") -> list[OverlayItem]:
    """Borders and the beam's-eye outline of a field (no dose needed: drawn live)."""
    items: list[OverlayItem] = []
    common: dict[str, Any] = dict(color=FIELD_COLOR, z=FIELD_Z, frame_of_reference_uid=frame_uid)
    for side, z_mm, where in (
        ("Superior", plan_field.superior_border_z_mm, plan_field.superior_border_description),
        ("Inferior", plan_field.inferior_border_z_mm, plan_field.inferior_border_description),
    ):
        # the vertebra the border really reaches (not the rule's when a margin pulls it in)
        level = plan_field.reach_levels[0 if side == "Superior" else 1]
        forms = border_label_forms("superior" if side == "Superior" else "inferior", where, level)
        items.append(
            FieldBorderOverlay(
                name=f"{side} field border (z {z_mm:.1f} mm)",
                z_mm=z_mm,
                label=forms[0],
                short_labels=forms[1:],
                dashed=True,
                width_px=1.5,
                role=palette.FIELD_BORDER,
                **common,
            )
        )
    for side, words in (
        ("superior", plan_field.superior_landmark),
        ("inferior", plan_field.inferior_landmark),
    ):
        landmark_z = plan_field.landmark_z_mm.get(side)
        if not words or landmark_z is None:
            continue
        items.append(
            LandmarkOverlay(
                name=f"Field landmark, {words} (z {landmark_z:.1f} mm)",
                z_mm=landmark_z,
                label=words,
                short_labels=(words.split(":")[0],),
                width_px=1.0,
                role=palette.LANDMARK,
                **common,
            )
        )
    if plan_field.isocentre_mm is None or not plan_field.beams:
        return items
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    seen: set[str] = set()
    for beam in plan_field.beams:
        direction = _beam_direction(beam.source_direction_lps)
        plane = _facing_plane(direction)
        if plane in seen:  # opposed beams share one outline
            continue
        seen.add(plane)
        centre = iso.copy()
        centre[2] = 0.5 * (plan_field.superior_border_z_mm + plan_field.inferior_border_z_mm)
        items.append(
            FieldOutlineOverlay.rectangle(
                tuple(centre),
                tuple(_across(direction)),
                tuple(_UP),
                plan_field.width_mm / 2.0,
                plan_field.length_mm / 2.0,
                name=(
                    f"Field outline {plan_field.arrangement} "
                    f"({plan_field.length_mm / 10:.1f} x {plan_field.width_mm / 10:.1f} cm, "
                    "length x width at the isocentre plane)"
                ),
                planes=frozenset({plane}),  # type: ignore[arg-type]
                width_px=2.0,
                role=palette.FIELD_EDGE,
                **common,
            )
        )
    return items


def _path_polygon(
    source: np.ndarray, iso: np.ndarray, edge_offsets: Sequence[np.ndarray], near: float, far: float
) -> np.ndarray:
    """Quadrilateral of the rays through ``iso + offset`` between axial distances near..far."""
    axis = iso - source
    distance = float(np.linalg.norm(axis))
    first, second = (iso + offset - source for offset in edge_offsets)
    return np.array(
        [
            source + first * (near / distance),
            source + first * (far / distance),
            source + second * (far / distance),
            source + second * (near / distance),
        ]
    )


def _grid_far_distance(grid: Volume, source: np.ndarray, direction: np.ndarray) -> float:
    """The distance along ``direction`` from ``source`` to the dose grid's far side, mm."""
    shape = np.asarray(grid.size_ijk, dtype=float) - 1.0
    corners = np.array(
        [[i, j, k] for i in (0.0, shape[0]) for j in (0.0, shape[1]) for k in (0.0, shape[2])]
    )
    points = grid.index_to_patient(corners)
    return float(((points - source) @ direction).max())


def beam_path_overlays(
    plan_field: Field, beams: Sequence[Beam], grid: Volume, frame_uid: str = ""
) -> list[OverlayItem]:
    """Each beam's divergent edges through the patient (needs the planned beam geometry)."""
    if plan_field.isocentre_mm is None:
        return []
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    half_length_up = plan_field.superior_border_z_mm - iso[2]
    half_length_down = plan_field.inferior_border_z_mm - iso[2]
    items: list[OverlayItem] = []
    for geometry in beams:
        source = np.asarray(geometry.source_lps_mm, dtype=float)
        direction = iso - source
        direction /= np.linalg.norm(direction)
        across = _across(direction)
        skin = np.asarray(geometry.skin_entry_lps_mm, dtype=float)
        near = max(float((skin - source) @ direction) - PATH_BEFORE_SKIN_MM, 1.0)
        far = max(_grid_far_distance(grid, source, direction), near + 1.0)
        along_plane = "sagittal" if _facing_plane(direction) == "coronal" else "coronal"
        common: dict[str, Any] = dict(
            color=FIELD_COLOR, z=FIELD_Z, frame_of_reference_uid=frame_uid
        )
        items.append(
            FieldOutlineOverlay(
                name=f"Beam path {geometry.name} (gantry {geometry.gantry_angle_deg:g} deg)",
                points_mm=_path_polygon(
                    source, iso, (_UP * half_length_up, _UP * half_length_down), near, far
                ),
                closed=True,
                planes=frozenset({along_plane}),  # type: ignore[arg-type]
                max_distance_mm=plan_field.width_mm / 2.0,
                width_px=1.5,
                role=palette.BEAM_EDGE,
                **common,
            )
        )
        half_width = plan_field.width_mm / 2.0
        items.append(
            FieldOutlineOverlay(
                name=f"Beam path {geometry.name}, axial",
                points_mm=_path_polygon(
                    source, iso, (across * half_width, -across * half_width), near, far
                ),
                closed=True,
                planes=frozenset({"axial"}),
                max_distance_mm=max(half_length_up, -half_length_down),
                width_px=1.5,
                role=palette.BEAM_EDGE,
                **common,
            )
        )
    return items


def dose_percent(result: PlanResult) -> Volume:
    """The plan dose as a percentage of the prescription, on the dose grid."""
    array = np.asarray(result.dose_gy.array, dtype=np.float32)
    return result.dose_gy.with_array(array * np.float32(100.0 / result.prescription.dose_gy))


def isodose_overlays(result: PlanResult, frame_uid: str = "") -> list[OverlayItem]:
    """The 107 %, 95 % and 50 % isodose lines of a plan, one overlay item each."""
    volume = dose_percent(result)
    return [
        IsodoseOverlay(
            name=f"Isodose {percent:g} %",
            volume=volume,
            levels=[ContourLevel(percent, qcolor(role), f"{percent:g} %", role)],
            color=qcolor(role),
            role=role,
            z=ISODOSE_Z + index * 0.1,
            frame_of_reference_uid=frame_uid,
        )
        for index, (percent, role) in enumerate(palette.ISODOSES)
    ]


def plan_overlays(result: PlanResult, frame_uid: str = "") -> list[OverlayItem]:
    """Everything a computed plan draws: field items, beam paths and isodoses."""
    return [
        *field_overlays(result.field, frame_uid),
        *beam_path_overlays(result.field, result.beams, result.dose_gy, frame_uid),
        *isodose_overlays(result, frame_uid),
    ]


def geometry_overlays(geometry: PlanGeometry, frame_uid: str = "") -> list[OverlayItem]:
    """What a plan without dose draws (no depth-dose table): field items and beam paths.

    The beam paths end at the far side of the dose grid the plan would have (bounded along the
    beams by the body outline in the density), as those of a computed plan do.
    """
    grid = dose_grid(
        geometry.field,
        geometry.density.volume,
        geometry.grid_spacing_mm,
        geometry.separation_cm,
        frame_uid,
    )
    return [
        *field_overlays(geometry.field, frame_uid),
        *beam_path_overlays(geometry.field, geometry.beams, grid, frame_uid),
    ]
