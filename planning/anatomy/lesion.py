"""The lesion: one 3D boolean mask on a study grid, its measurements, and its levels in words.

A lesion mask is a :class:`imaging.Volume` of ``bool`` sharing the reference series' grid
(``reference.with_array(mask)``). It is built from

* an ellipsoid (:func:`ellipsoid_mask`): centre and semi-axes in LPS mm, axes along L, P, S;
* a seed point (:func:`grow_from_seed`): SimpleITK region growing on the post-contrast series;
* a mask file (:func:`mask_from_file`): any image SimpleITK reads (NRRD, NIfTI, MHA...),
  resampled onto the reference grid by nearest neighbour. DICOM RTSTRUCT and SEG inputs are
  not read here yet (the structure-set reader of the annotation issue will add them).

The lesion levels are the labelled levels whose segment (disc middle to disc middle, see
:mod:`planning.anatomy.levels`) overlaps the lesion's superior-inferior range.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pydicom
import SimpleITK as sitk

from imaging.errors import ImagingError
from imaging.rtstruct import contours_to_mask, read_rtstruct
from imaging.seg import read_seg
from imaging.volume import Volume
from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    display_name,
    level_at,
    level_index,
    level_range_short,
    level_range_words,
    region_of,
    require_consistent,
    segments,
)
from planning.errors import CaseFileError, FieldError, PlanningError

#: Default tolerance of the seed growing: the accepted intensity band is the seed
#: neighbourhood's mean intensity times (1 - tolerance) .. (1 + tolerance).
DEFAULT_GROW_TOLERANCE = 0.3
#: Growth is confined to a ball of this radius around the seed, mm, so that a leak along
#: enhancing structures cannot flood the study.
DEFAULT_GROW_MAX_RADIUS_MM = 30.0


# -- building masks -------------------------------------------------------------------------
def _voxel_centres_mm(reference: Volume) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LPS x, y, z of every voxel centre, each shaped like ``reference.array``."""
    k, j, i = np.indices(reference.shape, dtype=float, sparse=True)
    a = reference.affine
    return tuple(  # type: ignore[return-value]
        a[r, 0] * i + a[r, 1] * j + a[r, 2] * k + a[r, 3] for r in range(3)
    )


def ellipsoid_mask(
    reference: Volume,
    center_mm: Sequence[float],
    radii_mm: Sequence[float],
) -> Volume:
    """A boolean mask of the voxels whose centre lies inside an axis-aligned ellipsoid.

    Parameters
    ----------
    reference : Volume
        The grid of the mask (normally the post-contrast series).
    center_mm : 3 floats
        Centre in patient LPS mm.
    radii_mm : 3 floats
        Semi-axes along L (x), P (y), S (z), mm; each > 0.

    Returns
    -------
    Volume
        ``reference.with_array(mask)`` with a ``bool`` array.
    """
    center = np.asarray(center_mm, dtype=float)
    radii = np.asarray(radii_mm, dtype=float)
    if center.shape != (3,) or radii.shape != (3,) or not np.all(np.isfinite(center)):
        raise PlanningError("an ellipsoid needs a centre and three radii in mm")
    if not np.all(radii > 0):
        raise PlanningError(f"ellipsoid radii must be greater than 0 mm, got {radii.tolist()}")
    x, y, z = _voxel_centres_mm(reference)
    inside = (
        ((x - center[0]) / radii[0]) ** 2
        + ((y - center[1]) / radii[1]) ** 2
        + ((z - center[2]) / radii[2]) ** 2
    ) <= 1.0
    return reference.with_array(np.broadcast_to(inside, reference.shape).copy())


def ellipsoid_z_range_mm(
    center_mm: Sequence[float], radii_mm: Sequence[float]
) -> tuple[float, float]:
    """``(superior_z_mm, inferior_z_mm)`` of an axis-aligned ellipsoid, without a grid."""
    return float(center_mm[2]) + float(radii_mm[2]), float(center_mm[2]) - float(radii_mm[2])


GrowMethod = Literal["threshold", "confidence"]


#: The seed's neighbourhood for the reference intensity, mm: a physical radius, so that thick
#: axial slices (4-5 mm) do not mix the slices above and below (partial volume) into it.
SEED_NEIGHBOURHOOD_MM = 2.5

#: A grown region this small (voxels) is reported: the seed is off the lesion or the band too
#: narrow.
TINY_REGION_VOXELS = 8


def seed_reference_intensity(post_contrast: Volume, index: Sequence[int]) -> float:
    """The median intensity of the voxels within :data:`SEED_NEIGHBOURHOOD_MM` of the seed
    voxel ``index`` (i, j, k): robust to a seed clicked at the lesion's edge."""
    i, j, k = (int(v) for v in index)
    spacing = np.asarray(post_contrast.spacing_mm, dtype=float)
    reach = np.maximum(np.floor(SEED_NEIGHBOURHOOD_MM / spacing), 0).astype(int)
    size = np.asarray(post_contrast.size_ijk)
    lo = np.maximum(np.array([i, j, k]) - reach, 0)
    hi = np.minimum(np.array([i, j, k]) + reach + 1, size)
    patch = post_contrast.array[lo[2] : hi[2], lo[1] : hi[1], lo[0] : hi[0]].astype(float)
    di, dj, dk = np.meshgrid(
        (np.arange(lo[0], hi[0]) - i) * spacing[0],
        (np.arange(lo[1], hi[1]) - j) * spacing[1],
        (np.arange(lo[2], hi[2]) - k) * spacing[2],
        indexing="ij",
    )
    near = (di**2 + dj**2 + dk**2 <= SEED_NEIGHBOURHOOD_MM**2).transpose(2, 1, 0)
    return float(np.median(patch[near]))


@dataclass(frozen=True)
class GrownRegion:
    """A region grown from a seed, with what the user must be told about it.

    ``reached_limit``: the region touches the growth limit around the seed (it has leaked
    out of the lesion, or the lesion is larger than the limit)."""

    mask: Volume
    voxel_count: int
    volume_cm3: float
    reached_limit: bool
    warnings: tuple[str, ...]


def grow_region(
    post_contrast: Volume,
    seed_mm: Sequence[float],
    tolerance: float = DEFAULT_GROW_TOLERANCE,
    method: GrowMethod = "threshold",
    max_radius_mm: float = DEFAULT_GROW_MAX_RADIUS_MM,
) -> GrownRegion:
    """:func:`grow_from_seed` with its size and warnings: a tiny region (fewer than
    :data:`TINY_REGION_VOXELS` voxels) or one that reaches the growth limit (a leak)."""
    mask = grow_from_seed(post_contrast, seed_mm, tolerance, method, max_radius_mm)
    count = int(np.count_nonzero(mask.array))
    volume_cm3 = count * post_contrast.voxel_volume_mm3 / 1000.0
    x, y, z = _voxel_centres_mm(post_contrast)
    seed = np.asarray(seed_mm, dtype=float)
    distance = np.sqrt((x - seed[0]) ** 2 + (y - seed[1]) ** 2 + (z - seed[2]) ** 2)
    # within one voxel diagonal of the limit counts as touching it
    edge = max_radius_mm - float(np.linalg.norm(post_contrast.spacing_mm))
    reached = bool(np.any(np.broadcast_to(distance, mask.array.shape)[mask.array] >= edge))
    shown = f"±{tolerance * 100:.0f} %" if method == "threshold" else f"{tolerance:g}"
    warnings: list[str] = []
    if count < TINY_REGION_VOXELS:
        warnings.append(
            f"the grown lesion is only {count} voxel{'s' if count != 1 else ''} "
            f"({volume_cm3:.3f} cm³) at tolerance {shown}: the seed may lie off the enhancing "
            "lesion, or the tolerance is too narrow; click inside the lesion or raise it"
        )
    if reached:
        warnings.append(
            f"the grown lesion ({volume_cm3:.1f} cm³, {count} voxels) reaches the "
            f"{max_radius_mm:g} mm growth limit around the seed at tolerance {shown}: it has "
            "probably leaked out of the lesion; lower the tolerance or paint the lesion"
        )
    return GrownRegion(mask, count, volume_cm3, reached, tuple(warnings))


def grow_from_seed(
    post_contrast: Volume,
    seed_mm: Sequence[float],
    tolerance: float = DEFAULT_GROW_TOLERANCE,
    method: GrowMethod = "threshold",
    max_radius_mm: float = DEFAULT_GROW_MAX_RADIUS_MM,
) -> Volume:
    """Grow the lesion from a seed point on the post-contrast series (SimpleITK).

    Parameters
    ----------
    post_contrast : Volume
        The post-contrast T1 series; the mask is on its grid.
    seed_mm : 3 floats
        Seed point in LPS mm, inside the enhancing lesion.
    tolerance : float
        The slider value. ``method="threshold"``: voxels connected to the seed whose intensity
        lies within ``ref * (1 - tolerance) .. ref * (1 + tolerance)``, ``ref`` being the median
        over the voxels within :data:`SEED_NEIGHBOURHOOD_MM` of the seed
        (:func:`seed_reference_intensity`; ``sitk.ConnectedThreshold``). The bands are nested,
        so a larger tolerance never gives a smaller region.
        ``method="confidence"``: the multiplier of the standard deviation in
        ``sitk.ConfidenceConnected`` (4 iterations, neighbourhood radius 1 voxel); there
        ``tolerance`` of about 2-3 is typical.
    method : {"threshold", "confidence"}
        The SimpleITK filter.
    max_radius_mm : float
        Growth stays within this distance of the seed.

    Returns
    -------
    Volume
        A ``bool`` mask on the post-contrast grid; it contains at least the seed voxel.
    """
    if not np.isfinite(tolerance) or tolerance <= 0:
        raise PlanningError(f"the growing tolerance must be greater than 0, got {tolerance}")
    seed = np.asarray(seed_mm, dtype=float)
    ijk = post_contrast.patient_to_index(seed)
    if not bool(post_contrast.contains_index(ijk)):
        raise PlanningError(
            f"the seed point {np.round(seed, 1).tolist()} mm lies outside the post-contrast series"
        )
    index = tuple(int(v) for v in np.clip(np.rint(ijk), 0, np.asarray(post_contrast.size_ijk) - 1))
    image = sitk.Cast(post_contrast.to_sitk(), sitk.sitkFloat32)
    if method == "threshold":
        reference = seed_reference_intensity(post_contrast, index)
        band = abs(reference) * tolerance
        grown = sitk.ConnectedThreshold(
            image,
            seedList=[index],
            lower=reference - band,
            upper=reference + band,
            replaceValue=1,
        )
    elif method == "confidence":
        grown = sitk.ConfidenceConnected(
            image,
            seedList=[index],
            numberOfIterations=4,
            multiplier=float(tolerance),
            initialNeighborhoodRadius=1,
            replaceValue=1,
        )
    else:
        raise PlanningError(f"unknown growing method {method!r}; use threshold or confidence")
    mask = sitk.GetArrayFromImage(grown).astype(bool)
    x, y, z = _voxel_centres_mm(post_contrast)
    near = (x - seed[0]) ** 2 + (y - seed[1]) ** 2 + (z - seed[2]) ** 2 <= max_radius_mm**2
    mask &= np.broadcast_to(near, mask.shape)
    mask[index[2], index[1], index[0]] = True
    # Keep only the part still connected to the seed after the radius cut.
    labels = sitk.GetArrayFromImage(
        sitk.ConnectedComponent(sitk.GetImageFromArray(mask.astype(np.uint8)), True)
    )
    mask = labels == labels[index[2], index[1], index[0]]
    return post_contrast.with_array(mask)


def _is_dicom_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            header = handle.read(132)
    except OSError:
        return False
    return len(header) == 132 and header[128:132] == b"DICM"


def mask_from_file(
    path: str | Path, reference: Volume, structure_name: str | None = None
) -> Volume:
    """Read a mask image and resample it onto ``reference`` by nearest neighbour.

    Parameters
    ----------
    path : str or Path
        Any 3D image SimpleITK reads (``.nrrd``, ``.nii.gz``, ``.mha``...; non-zero = lesion),
        or a DICOM RT Structure Set / Segmentation whose lesion is its only structure, the one
        named "Lesion", or its only GTV.
    reference : Volume
        The grid to resample onto.
    structure_name : str, optional
        Read another structure than the lesion: from a DICOM object the ROI (or segment) of
        this name, ignoring case; messages name it instead of "the lesion".

    Raises
    ------
    CaseFileError
        When the file is missing, unreadable, not 3D, a DICOM object whose lesion cannot be
        told apart, in another frame of reference, or sharing no voxel with the reference grid.
    """
    path = Path(path)
    what = "lesion" if structure_name is None else structure_name
    if path.is_dir():
        raise CaseFileError(f"{path}: is a folder, not a {what} mask file")
    if not path.is_file():
        raise CaseFileError(f"{path}: {what} mask file not found")
    if _is_dicom_file(path):
        mask = _mask_from_dicom(path, reference, structure_name)
        if not mask.any():
            raise CaseFileError(
                f"{path}: the {what} structure has no voxel inside the reference series' grid"
            )
        return reference.with_array(mask)
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise CaseFileError(
            f"{path}: cannot read the {what} mask ({_itk_reason(exc)}; expected a 3D image "
            "SimpleITK reads, e.g. NRRD, NIfTI, MHA, or a DICOM RT Structure Set or SEG)"
        ) from exc
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise CaseFileError(f"{path}: a {what} mask must be a 3D single-channel image")
    resampled = sitk.Resample(
        image,
        reference.to_sitk(),
        sitk.Transform(),
        sitk.sitkNearestNeighbor,
        0.0,
        image.GetPixelID(),
    )
    mask = sitk.GetArrayFromImage(resampled) != 0
    if not mask.any():
        raise CaseFileError(
            f"{path}: the {what} mask has no voxel inside the reference series' grid"
        )
    return reference.with_array(mask)


def _pick_named(path: Path, names: list[str], structure_name: str) -> int:
    """The structure of a DICOM file named ``structure_name`` (ignoring case)."""
    wanted = structure_name.strip().lower()
    found = [i for i, name in enumerate(names) if name.strip().lower() == wanted]
    if len(found) == 1:
        return found[0]
    listing = ", ".join(repr(n) for n in names) or "none"
    raise CaseFileError(
        f"{path}: {'no' if not found else 'more than one'} structure named {structure_name!r} "
        f"(structures: {listing})"
    )


def _pick_lesion(path: Path, names: list[str], tumour_flags: list[bool]) -> int:
    """Which structure of a DICOM file is the lesion: the only one, the one named "lesion",
    or the only GTV."""
    if len(names) == 1:
        return 0
    exact = [i for i, name in enumerate(names) if name.strip().lower() == "lesion"]
    if len(exact) == 1:
        return exact[0]
    named = [i for i, name in enumerate(names) if "lesion" in name.lower()]
    if len(named) == 1:
        return named[0]
    tumours = [i for i, flag in enumerate(tumour_flags) if flag]
    if len(tumours) == 1:
        return tumours[0]
    listing = ", ".join(repr(n) for n in names) or "none"
    raise CaseFileError(
        f"{path}: cannot tell which structure is the lesion (structures: {listing}); "
        "name one of them 'Lesion'"
    )


def _itk_reason(error: RuntimeError) -> str:
    """SimpleITK's own reason, without the C++ source location that leads its message."""
    for line in str(error).splitlines():
        line = line.strip()
        if line and "sitk" not in line and not line.startswith("Exception thrown"):
            return line.rstrip(".")
    return "not an image file SimpleITK recognises"


def _mask_from_dicom(
    path: Path, reference: Volume, structure_name: str | None = None
) -> np.ndarray:
    """The lesion (or ``structure_name``) of a DICOM RT Structure Set or Segmentation, on
    ``reference``'s grid."""
    try:
        modality = str(pydicom.dcmread(path, stop_before_pixels=True).get("Modality", ""))
    except Exception as exc:  # pydicom raises several types for a broken file
        what = "lesion" if structure_name is None else structure_name
        raise CaseFileError(f"{path}: cannot read the {what} mask ({exc})") from exc
    try:
        if modality == "RTSTRUCT":
            frame_uid, rois = read_rtstruct(path)
            _check_frame(path, frame_uid, reference)
            names = [r.name for r in rois]
            chosen = rois[
                _pick_named(path, names, structure_name)
                if structure_name is not None
                else _pick_lesion(path, names, [r.interpreted_type == "GTV" for r in rois])
            ]
            if not chosen.contours:
                raise CaseFileError(f"{path}: the structure {chosen.name!r} has no contour")
            return np.asarray(contours_to_mask(chosen.contours, reference).array, dtype=bool)
        if modality == "SEG":
            masks = read_seg(path, reference)
            labels = list(masks)
            label = labels[
                _pick_named(path, labels, structure_name)
                if structure_name is not None
                else _pick_lesion(path, labels, [False] * len(labels))
            ]
            return np.asarray(masks[label].array, dtype=bool)
    except ImagingError as exc:
        raise CaseFileError(f"{path}: {exc}") from exc
    raise CaseFileError(
        f"{path}: a DICOM lesion mask must be an RT Structure Set or a Segmentation, "
        f"not {modality or 'an object without Modality'}"
    )


def _check_frame(path: Path, frame_uid: str, reference: Volume) -> None:
    expected = reference.frame_of_reference_uid
    if frame_uid and expected and frame_uid != expected:
        raise CaseFileError(
            f"{path}: the structures are in frame of reference {frame_uid}, the images in "
            f"{expected}"
        )


# -- measurements --------------------------------------------------------------------------
#: the grids a lesion volume is counted on, as the numbers name them
MR_GRID = "on the MR grid"
PLANNING_CT_GRID = "on the planning CT grid"
ELLIPSOID_FORMULA = "from the ellipsoid's formula"


@dataclass(frozen=True)
class LesionMeasurements:
    """What the panel shows of a lesion mask.

    Attributes
    ----------
    volume_cc : float
        Voxel count times voxel volume, cm^3.
    superior_z_mm, inferior_z_mm : float
        z of the highest and lowest voxel boundary of the mask, LPS mm.
    si_extent_mm : float
        ``superior_z_mm - inferior_z_mm``.
    centroid_mm : tuple of 3 float
        Mean LPS position of the mask's voxel centres.
    voxel_count : int
    volume_basis : str
        What the volume was counted on, in words: "on the MR grid" (the post-contrast series'
        voxels, as the Lesion tab counts them), "on the planning CT grid" (the voxels the
        plan's RT Structure Set outlines on a CT), or "from the ellipsoid's formula" (an
        ellipsoid no voxel centre lies in).
    formula_volume_cc : float or None
        For an ellipsoid lesion, 4/3 pi abc, cm^3 (more than its voxels hold when the slices
        are far apart for its size); None for a lesion drawn on the images.
    """

    volume_cc: float
    superior_z_mm: float
    inferior_z_mm: float
    si_extent_mm: float
    centroid_mm: tuple[float, float, float]
    voxel_count: int
    volume_basis: str = MR_GRID
    formula_volume_cc: float | None = None

    @property
    def formula_volume_beside_cc(self) -> float | None:
        """The ellipsoid's formula volume when it is not already ``volume_cc`` (to show beside
        it), else None."""
        return None if self.volume_basis == ELLIPSOID_FORMULA else self.formula_volume_cc


def measure_lesion(mask: Volume, volume_basis: str = MR_GRID) -> LesionMeasurements:
    """Volume, superior-inferior extent and centroid of a boolean mask (on the grid
    ``volume_basis`` names).

    Raises
    ------
    PlanningError
        When the mask is empty.
    """
    k, j, i = np.nonzero(mask.array)
    if k.size == 0:
        raise PlanningError("the lesion mask is empty: mark the lesion first")
    centres = mask.index_to_patient(np.column_stack([i, j, k]).astype(float))
    # A voxel spans +-0.5 index along each axis; its z half-extent is half the sum of |dz/di|.
    half_z = 0.5 * float(np.abs(mask.affine[2, :3]).sum())
    voxel_cc = abs(float(np.linalg.det(mask.affine[:3, :3]))) / 1000.0
    top = float(centres[:, 2].max()) + half_z
    bottom = float(centres[:, 2].min()) - half_z
    return LesionMeasurements(
        volume_cc=k.size * voxel_cc,
        superior_z_mm=top,
        inferior_z_mm=bottom,
        si_extent_mm=top - bottom,
        centroid_mm=tuple(float(v) for v in centres.mean(axis=0)),  # type: ignore[arg-type]
        voxel_count=int(k.size),
        volume_basis=volume_basis,
    )


# -- levels --------------------------------------------------------------------------------
@dataclass(frozen=True)
class LesionLevels:
    """The levels a lesion involves, in words.

    Attributes
    ----------
    names : tuple of str
        Canonical names from the head down, e.g. ``("C4", "C5")``.
    words : str
        ``"T9"``, ``"C4-C5"``, ``"T4-T6"`` (user's thoracic prefix).
    short : str
        ``"T9"``, ``"C4-5"``, ``"T4-6"``.
    notes : tuple of str
        Where an end segment stops at an endplate because its neighbour is not labelled.
    """

    names: tuple[str, ...]
    words: str
    short: str
    notes: tuple[str, ...] = ()


def lesion_levels(
    levels: Sequence[VertebralLevel],
    lesion_z_range_mm: tuple[float, float],
    thoracic_prefix: ThoracicPrefix = "T",
) -> LesionLevels:
    """The labelled levels whose segment overlaps the lesion's z range.

    Parameters
    ----------
    levels : sequence of VertebralLevel
        The labels (must be consistent, see :func:`planning.anatomy.levels.check_levels`).
    lesion_z_range_mm : (float, float)
        Superior and inferior z of the lesion, LPS mm (order does not matter).

    Raises
    ------
    LabelError
        When the labels are inconsistent.
    FieldError
        When the lesion, or part of it, lies outside the labelled segments; the message says by
        how many mm and which level to label.
    """
    ordered = require_consistent(levels, thoracic_prefix)
    top, bottom = max(lesion_z_range_mm), min(lesion_z_range_mm)
    segs = segments(ordered, thoracic_prefix)

    def show(name: str) -> str:
        return display_name(name, thoracic_prefix)

    notes_beyond: list[str] = []
    if top > segs[0].superior_z_mm and level_at(level_index(segs[0].level) - 1) is None:
        # C1 is the highest vertebra: a lesion above it reaches the cervicomedullary junction;
        # the field extends to the skull base (planning.field.derivation), not to a vertebra.
        notes_beyond.append(
            f"the lesion extends {top - segs[0].superior_z_mm:.1f} mm above the top of "
            f"{show(segs[0].level)} (towards the foramen magnum)"
        )
    elif top > segs[0].superior_z_mm:
        raise FieldError(
            f"the lesion extends {top - segs[0].superior_z_mm:.1f} mm above the highest "
            f"labelled level {show(segs[0].level)} (its segment ends at z "
            f"{segs[0].superior_z_mm:.1f} mm): label the levels above it"
        )
    if bottom < segs[-1].inferior_z_mm and region_of(segs[-1].level) == "sacral":
        # the sacral segments are fused and rarely labelled one by one: a cauda lesion below
        # the lowest labelled sacral body is covered by the sacral end of the field.
        notes_beyond.append(
            f"the lesion extends {segs[-1].inferior_z_mm - bottom:.1f} mm below the lowest "
            f"labelled body {show(segs[-1].level)}"
        )
    elif bottom < segs[-1].inferior_z_mm:
        raise FieldError(
            f"the lesion extends {segs[-1].inferior_z_mm - bottom:.1f} mm below the lowest "
            f"labelled level {show(segs[-1].level)} (its segment ends at z "
            f"{segs[-1].inferior_z_mm:.1f} mm): label the levels below it"
        )
    for upper, lower in itertools.pairwise(segs):
        gap_top, gap_bottom = upper.inferior_z_mm, lower.superior_z_mm
        if gap_top > gap_bottom and bottom < gap_top and top > gap_bottom:
            raise FieldError(
                f"part of the lesion lies between {show(upper.level)} and {show(lower.level)}, "
                f"where no level is labelled (z {gap_bottom:.1f} to {gap_top:.1f} mm): "
                "label the missing level"
            )
    involved = [s for s in segs if s.overlaps(top, bottom)]
    if not involved:  # a zero-height lesion exactly on a segment boundary
        involved = [s for s in segs if s.inferior_z_mm <= top <= s.superior_z_mm][:1]
    names = tuple(s.level for s in involved)
    notes = tuple(note for s in (involved[0], involved[-1]) for note in s.notes) + tuple(
        notes_beyond
    )
    return LesionLevels(
        names=names,
        words=level_range_words(names, thoracic_prefix),
        short=level_range_short(names, thoracic_prefix),
        notes=tuple(dict.fromkeys(notes)),
    )


# -- how a lesion is specified (the case file's "lesion") -----------------------------------
@dataclass(frozen=True)
class EllipsoidLesion:
    """``{"type": "ellipsoid", "center_mm": [x, y, z], "radii_mm": [rx, ry, rz]}`` (LPS mm)."""

    center_mm: tuple[float, float, float]
    radii_mm: tuple[float, float, float]

    @property
    def z_range_mm(self) -> tuple[float, float]:
        """``(superior_z_mm, inferior_z_mm)`` without a grid."""
        return ellipsoid_z_range_mm(self.center_mm, self.radii_mm)

    @property
    def formula_volume_cc(self) -> float:
        """4/3 pi abc, cm^3."""
        return 4.0 / 3.0 * math.pi * float(np.prod(self.radii_mm)) / 1000.0


@dataclass(frozen=True)
class SeedLesion:
    """``{"type": "seed", "point_mm": [x, y, z]}``, grown on the post-contrast series.

    ``tolerance`` and ``method`` are those of :func:`grow_from_seed`.
    """

    point_mm: tuple[float, float, float]
    tolerance: float = DEFAULT_GROW_TOLERANCE
    method: GrowMethod = "threshold"


@dataclass(frozen=True)
class MaskLesion:
    """``{"type": "mask", "path": "lesion.nrrd"}``: a mask image (relative to the case file).

    ``origin`` records how it was made: ``"file"`` (given by the user) or ``"painted"``
    (brush-painted in spineplan and saved next to the case file).
    """

    path: str
    origin: Literal["file", "painted"] = "file"


LesionSpec = EllipsoidLesion | SeedLesion | MaskLesion


def build_lesion_mask(
    spec: LesionSpec,
    reference: Volume,
    post_contrast: Volume | None = None,
    base_dir: str | Path | None = None,
) -> Volume:
    """The lesion mask a specification describes, on ``reference``'s grid.

    Parameters
    ----------
    spec : EllipsoidLesion, SeedLesion or MaskLesion
    reference : Volume
        The grid of the result.
    post_contrast : Volume, optional
        Needed for a seed (defaults to ``reference``); the grown mask is resampled onto
        ``reference`` by nearest neighbour when the grids differ.
    base_dir : path, optional
        Folder a relative mask path is relative to (the case file's folder).
    """
    if isinstance(spec, EllipsoidLesion):
        return ellipsoid_mask(reference, spec.center_mm, spec.radii_mm)
    if isinstance(spec, SeedLesion):
        grown = grow_from_seed(
            post_contrast or reference, spec.point_mm, spec.tolerance, spec.method
        )
        if grown.same_grid(reference):
            return grown
        image = grown.with_array(grown.array.astype(np.uint8)).to_sitk()
        resampled = sitk.Resample(
            image, reference.to_sitk(), sitk.Transform(), sitk.sitkNearestNeighbor, 0
        )
        return reference.with_array(sitk.GetArrayFromImage(resampled) != 0)
    path = Path(spec.path)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return mask_from_file(path, reference)
