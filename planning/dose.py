"""3D photon dose engine: one or more beams on a :class:`imaging.Volume` grid.

Conventions
-----------
* Patient coordinates are DICOM LPS millimetres; the patient is head-first supine (HFS).
* Gantry angle (IEC 61217, HFS): at 0 deg the source is above the patient (anterior) and the
  beam travels posterior (an AP field); 90 deg: the source is at the patient's LEFT and the beam
  travels to the patient's right; 180 deg: source posterior, beam travels anterior (a PA field);
  270 deg: source at the patient's right. In LPS the source direction is
  ``(sin g, -cos g, 0)``.
* Collimator at 0 deg. Beam X axis (jaws X1, X2) = ``(cos g, sin g, 0)``: patient left-right for
  AP/PA fields, anterior-posterior for lateral fields (at 90 deg +X points posterior). Beam Y axis
  (jaws Y1 inferior, Y2 superior) = patient +z (superior). Jaw positions are signed distances
  (X1, Y1 negative for a field centred on the axis) in cm in the plane at the machine's SAD from
  the source -- for an SSD set-up at SSD = SAD, that is the field at the skin.
* SSD set-up: the source sits ``ssd_cm`` upstream of where the central axis meets the skin.
  SAD set-up: the source sits SAD upstream of the isocentre.

Method (per beam, vectorised; no Python loop over voxels)
--------------------------------------------------------
1. Density (relative electron density, see :mod:`planning.radiological_depth`) is sampled
   (trilinear) on a divergent fan grid around the beam and integrated along each ray:
   radiological depth from the skin (the first tissue the ray meets).
2. At every voxel of the output grid (chunks of slices, numpy arrays throughout):
   ``dose = w * A(d_rad, s) * ((SSD + d_max) / z)^2 * P_x * P_y`` where ``d_rad`` is the depth
   of the voxel on its ray (nearest ray, linear along it), ``A`` is the published PDD with its
   inverse-square factor removed (:meth:`BeamModel.attenuation`, a 1D lookup) at the equivalent
   square ``s`` of the field at the skin, ``z`` is the distance from the source along the
   central-axis direction (in-air fluence flat on planes normal to the axis, as a flattened linac
   beam is specified) and ``P`` are error-function field edges (2D lookups) whose width is the
   machine's penumbra at the geometric depth below the skin plane. Looking ``A`` up at the
   radiological depth is the effective-path-length heterogeneity correction.
3. Voxels whose own density is below :data:`AIR_DENSITY` get no dose.

Dose is relative: 1.0 = the maximum dose on the central axis of a beam of weight 1 in water at
that beam's SSD. Prescription and monitor units scale it later (issue 6 item 3).

Limitations (stated in every result's ``assumptions``): full-scatter phantom conditions (no
missing-tissue correction near the exit or beyond the edges of the patient), no scatter dose
outside the field edges beyond the penumbra model, no in-field off-axis horns, no wedges/blocks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage, special

from imaging.volume import SeriesMetadata, Volume
from planning.beam_data import equivalent_square_cm
from planning.beam_model import MACHINES, BeamModel, parse_energy
from planning.errors import PlanningError
from planning.radiological_depth import TISSUE_THRESHOLD, fan_depth, regular_axis

#: Limits of the fan grid (keep the per-beam cost bounded on large fields).
MAX_LATERAL_SAMPLES = 320
MAX_DEPTH_SAMPLES = 640
MAX_RAYS = 10_000
MAX_FAN_POINTS = 2_000_000
#: Voxels per interpolation chunk (bounds memory: ~40 bytes per voxel while a chunk is live).
CHUNK_VOXELS = 2_000_000
#: Below this density a voxel is air: no dose is reported there.
AIR_DENSITY = 0.05

MODEL_LIMITATIONS = (
    "dose model: published central-axis depth dose at the radiological depth along each ray "
    "(effective path length), inverse square, error-function penumbra; full-scatter conditions "
    "assumed (no correction for missing tissue near the exit surface or the patient's edges); no "
    "scatter outside the penumbra; no off-axis horns; open fields only",
)


@dataclass(frozen=True)
class Beam:
    """One treatment beam.

    Parameters
    ----------
    energy : str
        ``"Co60"`` or ``"6MV"`` (any spelling :func:`planning.beam_model.parse_energy` accepts).
    gantry_angle_deg : float
        IEC 61217 gantry angle, degrees (module docstring).
    isocentre_lps_mm : tuple of float
        A point on the central axis, LPS mm (the isocentre of an SAD set-up).
    jaw_x_cm, jaw_y_cm : tuple of float
        ``(X1, X2)`` and ``(Y1, Y2)`` jaw positions in cm at the SAD plane (X1 < X2, Y1 < Y2).
    setup : str
        ``"SSD"`` or ``"SAD"``.
    ssd_cm : float, optional
        Source-skin distance of an SSD set-up, cm; default: the machine's (Co-60 80, 6 MV 100).
    weight : float
        Relative weight (multiplies this beam's relative dose).
    name : str
        Label for reports.
    """

    energy: str
    gantry_angle_deg: float
    isocentre_lps_mm: tuple[float, float, float]
    jaw_x_cm: tuple[float, float] = (-5.0, 5.0)
    jaw_y_cm: tuple[float, float] = (-5.0, 5.0)
    setup: str = "SSD"
    ssd_cm: float | None = None
    weight: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "energy", parse_energy(self.energy))
        if self.setup not in ("SSD", "SAD"):
            raise PlanningError(f"beam {self.name!r}: setup must be SSD or SAD, not {self.setup!r}")
        for label, (a, b) in (("X", self.jaw_x_cm), ("Y", self.jaw_y_cm)):
            if not (math.isfinite(a) and math.isfinite(b)) or b - a < 0.1:
                raise PlanningError(
                    f"beam {self.name!r}: jaws {label}1={a:.2f} cm, {label}2={b:.2f} cm "
                    "give no field"
                )
        if self.ssd_cm is not None and not 20.0 <= self.ssd_cm <= 200.0:
            raise PlanningError(f"beam {self.name!r}: SSD {self.ssd_cm:g} cm is outside 20-200 cm")
        if not math.isfinite(self.weight) or self.weight < 0:
            raise PlanningError(f"beam {self.name!r}: weight must be >= 0, got {self.weight}")

    @classmethod
    def symmetric(
        cls,
        energy: str,
        gantry_angle_deg: float,
        isocentre_lps_mm: Sequence[float],
        field_x_cm: float,
        field_y_cm: float,
        **kwargs: object,
    ) -> Beam:
        """A beam with symmetric jaws: ``field_x_cm`` x ``field_y_cm`` at the SAD plane."""
        iso = tuple(float(v) for v in isocentre_lps_mm)
        return cls(
            energy=energy,
            gantry_angle_deg=gantry_angle_deg,
            isocentre_lps_mm=(iso[0], iso[1], iso[2]),
            jaw_x_cm=(-field_x_cm / 2.0, field_x_cm / 2.0),
            jaw_y_cm=(-field_y_cm / 2.0, field_y_cm / 2.0),
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def field_x_cm(self) -> float:
        """Field width along beam X at the SAD plane, cm."""
        return self.jaw_x_cm[1] - self.jaw_x_cm[0]

    @property
    def field_y_cm(self) -> float:
        """Field length along beam Y (patient S-I) at the SAD plane, cm."""
        return self.jaw_y_cm[1] - self.jaw_y_cm[0]


def beam_axes(gantry_angle_deg: float) -> np.ndarray:
    """Rows: beam X, beam Y and beam Z (towards the source) as LPS unit vectors (HFS)."""
    g = math.radians(gantry_angle_deg)
    c, s = math.cos(g), math.sin(g)
    return np.array([[c, s, 0.0], [0.0, 0.0, 1.0], [s, -c, 0.0]])


@dataclass(frozen=True)
class BeamDose:
    """The dose of one beam and the geometry the engine derived for it.

    Attributes
    ----------
    beam : Beam
    dose : Volume
        float32 relative dose on the output grid, weight included.
    depth_cm : Volume
        float32 water-equivalent depth (cm) along the ray used at each voxel (0 outside the
        beam's fan grid).
    source_lps_mm, skin_entry_lps_mm : tuple of float
        Source position and where the central axis enters the patient (imaged or assumed).
    ssd_cm : float
        Source-skin distance on the central axis.
    isocentre_depth_cm, isocentre_radiological_depth_cm : float
        Geometric and water-equivalent depth of the isocentre below the skin on the axis.
    equivalent_square_at_skin_cm : float
        Equivalent square (4A/P) of the field projected to the skin.
    assumptions : tuple of str
        What the engine had to assume for this beam, in words a physicist can check.
    """

    beam: Beam
    dose: Volume
    depth_cm: Volume
    source_lps_mm: tuple[float, float, float]
    skin_entry_lps_mm: tuple[float, float, float]
    ssd_cm: float
    isocentre_depth_cm: float
    isocentre_radiological_depth_cm: float
    equivalent_square_at_skin_cm: float
    #: ``((SSD_ref + d_max) / (SSD + d_max))^2``: the inverse-square change of the d_max dose
    #: per unit output from the machine's reference SSD to this beam's SSD (for MU/time).
    output_distance_factor: float = 1.0
    assumptions: tuple[str, ...] = field(default=())
    #: True when the skin on the central axis lies outside the images and no separation was
    #: entered: depth is then counted from the image edge (too shallow), so the dose at depth is
    #: overestimated -- callers must warn, not only list it among the assumptions.
    depth_from_image_edge: bool = False


@dataclass(frozen=True)
class DoseResult:
    """The summed dose of all beams and the per-beam details.

    Attributes
    ----------
    dose : Volume
        float32 relative dose (sum of the weighted beams) on the requested grid, study frame.
    beams : tuple of BeamDose
    assumptions : tuple of str
        Every assumption made, without repeats (model limitations, separation, missing skin...).
    """

    dose: Volume
    beams: tuple[BeamDose, ...]
    assumptions: tuple[str, ...]


def _volume_corners(volume: Volume) -> np.ndarray:
    size = np.asarray(volume.size_ijk, dtype=float) - 1.0
    corners = np.array(
        [
            [a, b, c]
            for a in (-0.5, size[0] + 0.5)
            for b in (-0.5, size[1] + 0.5)
            for c in (-0.5, size[2] + 0.5)
        ]
    )
    return volume.index_to_patient(corners)


def _central_axis_skin(
    density: Volume, iso: np.ndarray, direction: np.ndarray, step_mm: float
) -> tuple[float | None, bool, float]:
    """Skin along the central axis: ``(t_skin, entered_in_tissue, t_first_imaged)``.

    ``t`` is the signed distance (mm) from the isocentre along the beam direction. ``t_skin`` is
    None when the axis meets no tissue upstream of and at the isocentre's far side.
    """
    proj = (_volume_corners(density) - iso) @ direction
    t = np.arange(proj.min() - step_mm, proj.max() + step_mm, step_mm)
    points = iso[None, :] + t[:, None] * direction[None, :]
    ijk = density.patient_to_index(points)
    values = _density_at(density, ijk)
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


def _density_at(density: Volume, ijk: np.ndarray) -> np.ndarray:
    """Density at continuous voxel indices ``(n, 3)`` (i, j, k), trilinear; 0 outside."""
    return ndimage.map_coordinates(
        density.array.astype(np.float32, copy=False),
        [ijk[:, 2], ijk[:, 1], ijk[:, 0]],
        order=1,
        mode="grid-constant",
        cval=0.0,
    )


def _radiological_length(
    density: Volume, start: np.ndarray, end: np.ndarray, step_mm: float
) -> float:
    """Water-equivalent length (mm) of the straight segment ``start`` -> ``end`` in the images."""
    length = float(np.linalg.norm(end - start))
    if length < 1e-6:
        return 0.0
    n = max(math.ceil(length / step_mm), 1)
    s = np.linspace(0.0, 1.0, n + 1)
    points = start[None, :] + s[:, None] * (end - start)[None, :]
    values = _density_at(density, density.patient_to_index(points))
    return float(np.trapezoid(values, dx=length / n))


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
        outside every image (see :func:`compute_beam_dose`).

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
    label = beam.name or f"{beam.energy} gantry {beam.gantry_angle_deg:g} deg"
    direction = -beam_axes(beam.gantry_angle_deg)[2]
    iso = np.asarray(beam.isocentre_lps_mm, dtype=float)
    sad_mm = machine.sad_cm * 10.0

    t_skin, entered_in_tissue, t_first = _central_axis_skin(density, iso, direction, 0.5)
    depth_from_image_edge = entered_in_tissue and separation_cm is None
    if entered_in_tissue:
        if separation_cm is not None:
            t_skin = -separation_cm * 10.0 / 2.0
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
        ssd_mm = (beam.ssd_cm if beam.ssd_cm is not None else machine.default_ssd_cm) * 10.0
        source = skin - ssd_mm * direction
    else:
        source = iso - sad_mm * direction
        ssd_mm = sad_mm + t_skin
        if ssd_mm < 200.0:
            raise PlanningError(f"{label}: the skin is {ssd_mm / 10:.1f} cm from the source")
    z_iso = float((iso - source) @ direction)
    return CentralAxis(
        source_lps_mm=tuple(float(v) for v in source),  # type: ignore[arg-type]
        skin_entry_lps_mm=tuple(float(v) for v in skin),  # type: ignore[arg-type]
        ssd_cm=ssd_mm / 10.0,
        isocentre_depth_cm=(z_iso - ssd_mm) / 10.0,
        skin_outside_images=entered_in_tissue,
        first_imaged_mm=t_first,
        depth_from_image_edge=depth_from_image_edge,
        assumptions=tuple(assumptions),
    )


def compute_beam_dose(
    beam: Beam,
    grid: Volume,
    density: Volume,
    separation_cm: float | None = None,
    model: BeamModel | None = None,
    with_depth: bool = True,
) -> BeamDose:
    """Dose of one beam on ``grid`` (see the module docstring for conventions and method).

    Parameters
    ----------
    beam : Beam
    grid : Volume
        Output grid (only its geometry is used).
    density : Volume
        Relative electron density; may be on another grid of the same frame of reference.
    separation_cm : float, optional
        User-entered patient separation along this beam's axis (e.g. lateral separation), used
        only where the skin is outside every image: the patient is then assumed to extend
        ``separation_cm / 2`` upstream and downstream of the isocentre (isocentre at midplane).
    model : BeamModel, optional
        Override of the machine's beam model.
    with_depth : bool
        Also interpolate the radiological depth at every voxel (costs one more interpolation).
    """
    machine = MACHINES[beam.energy]
    model = model or BeamModel(machine)
    _ = model.pdd_table  # raises the explanatory BeamDataError when no table is shipped
    axis = central_axis(beam, density, separation_cm)
    assumptions = list(axis.assumptions)
    label = beam.name or f"{beam.energy} gantry {beam.gantry_angle_deg:g} deg"
    axes = beam_axes(beam.gantry_angle_deg)
    direction = -axes[2]
    iso = np.asarray(beam.isocentre_lps_mm, dtype=float)
    sad_mm = machine.sad_cm * 10.0
    spacing = min(min(grid.spacing_mm), min(density.spacing_mm))
    step = float(np.clip(spacing, 0.5, 2.5))
    entered_in_tissue, t_first = axis.skin_outside_images, axis.first_imaged_mm
    skin = np.asarray(axis.skin_entry_lps_mm, dtype=float)
    source = np.asarray(axis.source_lps_mm, dtype=float)
    ssd_cm = axis.ssd_cm
    ssd_mm = ssd_cm * 10.0
    z_iso = float((iso - source) @ direction)
    iso_depth_cm = axis.isocentre_depth_cm
    side_at_skin = float(equivalent_square_cm(beam.field_x_cm, beam.field_y_cm) * ssd_mm / sad_mm)

    # Fan grid extents.
    sigma_deep_cm = float(model.penumbra_sigma_cm(np.array(30.0), ssd_cm))
    margin = 4.0 * sigma_deep_cm * 10.0 + 5.0
    x1, x2 = (v * 10.0 for v in beam.jaw_x_cm)
    y1, y2 = (v * 10.0 for v in beam.jaw_y_cm)
    lateral_step = max(
        step,
        (x2 - x1 + 2 * margin) / MAX_LATERAL_SAMPLES,
        (y2 - y1 + 2 * margin) / MAX_LATERAL_SAMPLES,
    )
    # Only the part of the fan that the output grid sees is needed.
    rel = _volume_corners(grid) - source
    corner_z = np.maximum(rel @ direction, 1.0)
    corner_u = rel @ axes[0] * sad_mm / corner_z
    corner_w = rel @ axes[1] * sad_mm / corner_z
    u_lo = max(x1 - margin, float(corner_u.min()) - 2 * lateral_step)
    u_hi = min(x2 + margin, float(corner_u.max()) + 2 * lateral_step)
    w_lo = max(y1 - margin, float(corner_w.min()) - 2 * lateral_step)
    w_hi = min(y2 + margin, float(corner_w.max()) + 2 * lateral_step)
    if u_hi <= u_lo or w_hi <= w_lo:  # the grid is outside the beam: no dose
        u_lo, u_hi, w_lo, w_hi = x1 - margin, x2 + margin, y1 - margin, y2 + margin
    # Bound the fan size: coarsen the rays first (up to 2.5 mm; depth along a ray varies slowly
    # across rays), then the steps along the rays.
    area_mm2 = (u_hi - u_lo) * (w_hi - w_lo)
    lateral_step = max(lateral_step, min(2.5, math.sqrt(area_mm2 / MAX_RAYS)))
    u = regular_axis(u_lo, u_hi, lateral_step)
    w = regular_axis(w_lo, w_hi, lateral_step)
    z_all = np.concatenate([(_volume_corners(v) - source) @ direction for v in (grid, density)])
    z_lo = max(float(z_all.min()), 10.0)
    z_hi = float(z_all.max())
    slab = None
    if separation_cm is not None:
        slab = (z_iso - separation_cm * 5.0, z_iso + separation_cm * 5.0)
        z_lo = max(min(z_lo, slab[0]), 10.0)
    if z_hi <= z_lo:
        raise PlanningError(f"{label}: the dose grid lies behind the source")
    depth_step = max(
        step, (z_hi - z_lo) / MAX_DEPTH_SAMPLES, (z_hi - z_lo) * len(u) * len(w) / MAX_FAN_POINTS
    )
    z = regular_axis(z_lo - depth_step, z_hi + depth_step, depth_step)
    fan = fan_depth(density, source, axes, sad_mm, u, w, z, slab)
    if fan.slab_fill_used and not entered_in_tissue:
        assumptions.append(
            f"{label}: some rays enter the patient outside the images; water assumed there up "
            f"to the user-entered separation of {separation_cm:g} cm"
        )
    elif fan.rays_entering_in_tissue > 0.02 and separation_cm is None and not entered_in_tissue:
        assumptions.append(
            f"{label}: {100 * fan.rays_entering_in_tissue:.0f} % of the rays enter the patient "
            "outside the images; their depth is counted from the edge of the images"
        )

    # Lookup tables: attenuation by radiological depth (1D) and the two field-edge profiles by
    # distance from the source (2D, fine lateral sampling). The penumbra width is taken at the
    # geometric depth below the skin plane, so the profiles separate into X and Y tables.
    depth_cm_fan = fan.depth_mm / 10.0
    lut_depth = np.arange(0.0, float(depth_cm_fan.max()) + 0.1, 0.025)
    lut_attenuation = model.attenuation(lut_depth, side_at_skin).astype(np.float32)
    tables = _EdgeTables.build(model, ssd_mm, sad_mm, z, (x1, x2), (y1, y2), (u, w))
    dmax_mm = model.dmax_cm * 10.0
    lookup = _Lookup(
        fan_depth_cm=depth_cm_fan,
        u=u,
        w=w,
        z=z,
        lut_depth_cm=lut_depth,
        lut_attenuation=lut_attenuation,
        edges=tables,
        isf_numerator_mm=ssd_mm + dmax_mm,
        weight=float(beam.weight),
    )
    dose, depth = _evaluate_on_grid(grid, lookup, source, axes, sad_mm, with_depth)
    air = _density_on_grid(density, grid) < AIR_DENSITY
    dose[air] = 0.0
    if depth is not None:
        depth[air] = 0.0

    iso_rad_mm = _radiological_length(density, skin, iso, 0.5) if iso_depth_cm > 0 else 0.0
    if entered_in_tissue and separation_cm is not None and iso_depth_cm > 0:
        # Upstream of the images the assumed slab is water: add its geometric length.
        entry = iso + t_first * direction
        iso_rad_mm = float(np.linalg.norm(entry - skin)) + _radiological_length(
            density, entry, iso, 0.5
        )
    return BeamDose(
        beam=beam,
        dose=_result_volume(grid, dose, f"dose (relative) {label}", "relative"),
        depth_cm=_result_volume(
            grid,
            depth if depth is not None else np.zeros_like(dose),
            f"water-equivalent depth {label}",
            "cm",
        ),
        source_lps_mm=tuple(float(v) for v in source),  # type: ignore[arg-type]
        skin_entry_lps_mm=tuple(float(v) for v in skin),  # type: ignore[arg-type]
        ssd_cm=ssd_cm,
        isocentre_depth_cm=iso_depth_cm,
        isocentre_radiological_depth_cm=iso_rad_mm / 10.0,
        equivalent_square_at_skin_cm=side_at_skin,
        output_distance_factor=float(
            ((machine.reference_ssd_cm + model.dmax_cm) / (ssd_cm + model.dmax_cm)) ** 2
        ),
        assumptions=tuple(assumptions),
        depth_from_image_edge=axis.depth_from_image_edge,
    )


def _result_volume(grid: Volume, array: np.ndarray, description: str, units: str) -> Volume:
    """A computed map on ``grid``: same frame of reference and patient, its own description."""
    source = grid.metadata
    metadata = SeriesMetadata(
        study_instance_uid=source.study_instance_uid,
        frame_of_reference_uid=source.frame_of_reference_uid,
        modality="RTDOSE" if units == "relative" else "",
        series_description=description,
        patient_name=source.patient_name,
        patient_id=source.patient_id,
        patient_birth_date=source.patient_birth_date,
        patient_sex=source.patient_sex,
        study_date=source.study_date,
        study_description=source.study_description,
        patient_position=source.patient_position,
        units=units,
    )
    return Volume(array=array, affine=grid.affine, metadata=metadata)


def _density_on_grid(density: Volume, grid: Volume) -> np.ndarray:
    """Density resampled (trilinear) at the voxel centres of ``grid``, chunked by slices."""
    if density.same_grid(grid):
        return np.asarray(density.array, dtype=np.float32)
    # grid index -> density index is one affine map: (kji order) rows of M act on (i, j, k, 1).
    m = np.linalg.inv(density.affine) @ grid.affine
    nk, nj, ni = grid.shape
    source = density.array.astype(np.float32, copy=False)
    out = np.empty((nk, nj, ni), dtype=np.float32)
    ii = np.arange(ni, dtype=np.float32)[None, None, :]
    jj = np.arange(nj, dtype=np.float32)[None, :, None]
    step = max(1, CHUNK_VOXELS // max(nj * ni, 1))
    for k0 in range(0, nk, step):
        kk = np.arange(k0, min(nk, k0 + step), dtype=np.float32)[:, None, None]
        coords = [
            np.float32(m[c, 3])
            + np.float32(m[c, 0]) * ii
            + np.float32(m[c, 1]) * jj
            + np.float32(m[c, 2]) * kk
            for c in (2, 1, 0)
        ]
        coords = [np.broadcast_to(c, (len(kk), nj, ni)) for c in coords]
        out[k0 : k0 + len(kk)] = ndimage.map_coordinates(
            source, coords, order=1, mode="grid-constant", cval=0.0
        )
    return out


@dataclass(frozen=True)
class _EdgeTables:
    """Field-edge factors ``P_x(z, u)`` and ``P_y(z, w)`` on a fine lateral grid."""

    px: np.ndarray  # (len(z), len(fine_u))
    py: np.ndarray
    fine_u0: float
    fine_w0: float
    fine_step: float

    @classmethod
    def build(
        cls,
        model: BeamModel,
        ssd_mm: float,
        sad_mm: float,
        z: np.ndarray,
        jaws_x_mm: tuple[float, float],
        jaws_y_mm: tuple[float, float],
        uw: tuple[np.ndarray, np.ndarray],
    ) -> _EdgeTables:
        step = FINE_LATERAL_STEP_MM
        geometric_depth_cm = np.maximum(z - ssd_mm, 0.0) / 10.0
        sigma_mm = model.penumbra_sigma_cm(geometric_depth_cm, ssd_mm / 10.0) * 10.0
        # Edge coordinate in the plane at distance z: (lateral at SAD) * z / SAD.
        scale = (z / sad_mm / (math.sqrt(2.0) * sigma_mm))[:, None]
        tables = []
        for axis, (lo, hi) in zip(uw, (jaws_x_mm, jaws_y_mm), strict=True):
            fine = np.arange(axis[0] - step, axis[-1] + 2 * step, step)
            edge = 0.5 * (
                special.erf((fine[None] - lo) * scale) - special.erf((fine[None] - hi) * scale)
            )
            tables.append((edge.astype(np.float32), float(fine[0])))
        return cls(
            px=tables[0][0],
            py=tables[1][0],
            fine_u0=tables[0][1],
            fine_w0=tables[1][1],
            fine_step=step,
        )


@dataclass(frozen=True)
class _Lookup:
    fan_depth_cm: np.ndarray
    u: np.ndarray
    w: np.ndarray
    z: np.ndarray
    lut_depth_cm: np.ndarray
    lut_attenuation: np.ndarray
    edges: _EdgeTables
    isf_numerator_mm: float
    weight: float


#: Lateral sampling of the field-edge tables, mm (fine enough for a 1 mm penumbra sigma).
FINE_LATERAL_STEP_MM = 0.25


def _evaluate_on_grid(
    grid: Volume,
    lookup: _Lookup,
    source: np.ndarray,
    axes: np.ndarray,
    sad_mm: float,
    with_depth: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Dose (and depth) at every voxel of ``grid``, chunked by slices, vectorised in a chunk.

    Radiological depth: nearest fan ray (lateral), linear along the ray. Attenuation: 1D table
    in depth. Field edges: nearest entry of the fine 2D edge tables.
    """
    nk, nj, ni = grid.shape
    affine = grid.affine
    direction = -axes[2]
    base = affine[:3, 3] - source
    proj = np.stack([axes[0], axes[1], direction])  # beam x, y and distance along the axis
    c0 = proj @ base
    ci, cj, ck = proj @ affine[:3, 0], proj @ affine[:3, 1], proj @ affine[:3, 2]
    ii = np.arange(ni, dtype=np.float32)
    jj = np.arange(nj, dtype=np.float32)
    u, w, z = lookup.u, lookup.w, lookup.z
    du, dw, dz = float(u[1] - u[0]), float(w[1] - w[0]), float(z[1] - z[0])
    nu, nw, nz = len(u), len(w), len(z)
    fan_flat = lookup.fan_depth_cm.ravel()
    edges = lookup.edges
    px_flat, py_flat = edges.px.ravel(), edges.py.ravel()
    n_fine_u, n_fine_w = edges.px.shape[1], edges.py.shape[1]
    dose = np.zeros((nk, nj, ni), dtype=np.float32)
    depth = np.zeros((nk, nj, ni), dtype=np.float32) if with_depth else None
    slices_per_chunk = max(1, CHUNK_VOXELS // max(nj * ni, 1))
    f32 = np.float32
    for k0 in range(0, nk, slices_per_chunk):
        kk = np.arange(k0, min(nk, k0 + slices_per_chunk), dtype=np.float32)
        bx, by, bz = (
            f32(c0[c])
            + f32(ck[c]) * kk[:, None, None]
            + f32(cj[c]) * jj[None, :, None]
            + f32(ci[c]) * ii[None, None, :]
            for c in range(3)
        )
        bz = np.maximum(bz, f32(1.0))
        ratio = f32(sad_mm) / bz
        fu = (bx * ratio - f32(u[0])) * f32(1.0 / du)
        fw = (by * ratio - f32(w[0])) * f32(1.0 / dw)
        fz = (bz - f32(z[0])) * f32(1.0 / dz)
        inside = (fu > -0.5) & (fu < nu - 0.5) & (fw > -0.5) & (fw < nw - 0.5)
        inside &= (fz >= 0) & (fz < nz - 1)
        if not inside.any():
            continue
        fu, fw, fz, bz = fu[inside], fw[inside], fz[inside], bz[inside]
        iz = fz.astype(np.int32)
        tz = fz - iz
        iu = np.rint(fu).astype(np.int32)
        iw = np.rint(fw).astype(np.int32)
        flat = (iz * nw + iw) * nu + iu
        d0 = fan_flat[flat]
        d = d0 + tz * (fan_flat[flat + nw * nu] - d0)
        value = np.interp(d, lookup.lut_depth_cm, lookup.lut_attenuation).astype(np.float32)
        value *= (f32(lookup.isf_numerator_mm) / bz) ** 2
        izr = np.rint(fz).astype(np.int32)
        fine_u = np.rint(
            (fu * f32(du) + f32(u[0] - edges.fine_u0)) * f32(1.0 / edges.fine_step)
        ).astype(np.int32)
        fine_w = np.rint(
            (fw * f32(dw) + f32(w[0] - edges.fine_w0)) * f32(1.0 / edges.fine_step)
        ).astype(np.int32)
        np.clip(fine_u, 0, n_fine_u - 1, out=fine_u)
        np.clip(fine_w, 0, n_fine_w - 1, out=fine_w)
        value *= px_flat[izr * n_fine_u + fine_u]
        value *= py_flat[izr * n_fine_w + fine_w]
        if lookup.weight != 1.0:
            value *= f32(lookup.weight)
        dose[k0 : k0 + len(kk)][inside] = value
        if depth is not None:
            depth[k0 : k0 + len(kk)][inside] = d
    return dose, depth


def compute_dose(
    beams: Sequence[Beam],
    grid: Volume,
    density: Volume,
    separation_cm: float | None = None,
    models: dict[str, BeamModel] | None = None,
    with_depth: bool = True,
) -> DoseResult:
    """Dose of several beams on ``grid``: the sum of :func:`compute_beam_dose` over beams.

    ``models`` maps an energy key (``"Co60"``, ``"6MV"``) to a beam-model override.
    """
    if not beams:
        raise PlanningError("no beams to compute")
    if (
        density.frame_of_reference_uid
        and grid.frame_of_reference_uid
        and (density.frame_of_reference_uid != grid.frame_of_reference_uid)
    ):
        raise PlanningError(
            "the density images and the dose grid are in different frames of reference "
            f"({density.frame_of_reference_uid} vs {grid.frame_of_reference_uid})"
        )
    results = []
    total = np.zeros(grid.shape, dtype=np.float32)
    assumptions: list[str] = list(MODEL_LIMITATIONS)
    for beam in beams:
        model = (models or {}).get(beam.energy)
        result = compute_beam_dose(beam, grid, density, separation_cm, model, with_depth)
        total += result.dose.array
        results.append(result)
        assumptions.extend(a for a in result.assumptions if a not in assumptions)
    return DoseResult(
        dose=_result_volume(grid, total, "dose (relative), all beams", "relative"),
        beams=tuple(results),
        assumptions=tuple(assumptions),
    )
