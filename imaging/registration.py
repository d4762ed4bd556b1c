"""Rigid registration of a diagnostic MR (moving) onto a planning CT (fixed), on SimpleITK.

The two are separate studies in different frames of reference; the lesion is seen only on the
MR and must be carried onto the CT. `register_rigid` finds the 6-degree-of-freedom transform
(rotation + translation) that best aligns a region of the MR around the lesion's levels with
the CT, by Mattes mutual information, coarse to fine:

* started from point pairs the user clicked on both images (one pair: a translation; three or
  more: a landmark-based rigid fit), or
* automatically: the spine repeats itself, so an alignment one vertebra off scores almost as well
  as the right one. Candidates one and two vertebral pitches above and below the best coarse
  match are refined too (`imaging.registration_search`); when an alignment about a vertebra
  away scores within `RegistrationSettings.ambiguity_gap` of the best, the result says
  ``ambiguous`` and lists the alternatives instead of silently choosing a level.

Direction, once and for all: ``RegistrationResult.matrix_moving_to_fixed`` maps MR LPS mm to CT
LPS mm (``p_ct = M @ (x, y, z, 1)``). SimpleITK's registration transform maps points of its
*fixed* image to its *moving* image; here the MR region is handed to SimpleITK as its fixed image
and the CT as its moving image (the metric samples are drawn inside the region, identical for
every candidate), so the optimised transform is already MR -> CT and is used as is. Nothing is
inverted; tests check the direction against a known transform.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import SimpleITK as sitk

from imaging.errors import RegistrationCancelled, RegistrationError
from imaging.registration_levels import (
    NO_OVERLAP_METRIC,
    Level,
    build_levels,
    common_mask,
    euler_transform,
    matrix_of,
    normalised_mutual_information,
    refine,
    score,
)
from imaging.registration_search import search_candidates
from imaging.volume import Volume

#: progress(done, total): called from the registering thread.
ProgressCallback = Callable[[int, int], None]
#: should_cancel() -> True to stop; checked at every optimiser iteration.
CancelCallback = Callable[[], bool]

#: Body height plus disc of a mid-thoracic vertebra (mm); cervical ~20, lumbar ~36.
DEFAULT_VERTEBRAL_PITCH_MM = 25.0

#: CT values are clamped to this range (HU) before the metric sees them.
CT_WINDOW_HU = (-200.0, 700.0)

_PROGRESS_TOTAL = 1000


@dataclass(frozen=True)
class RegionBox:
    """An axis-aligned box in the MR's (moving) LPS mm; infinite sides are allowed.

    Planning passes the lesion's levels +/- 2 vertebrae, e.g. ``RegionBox.z_range(-140, -10)``.
    """

    lower_mm: tuple[float, float, float]
    upper_mm: tuple[float, float, float]

    @classmethod
    def z_range(cls, inferior_z_mm: float, superior_z_mm: float) -> RegionBox:
        """All of the MR between two heights (LPS z, mm)."""
        low, high = sorted((float(inferior_z_mm), float(superior_z_mm)))
        return cls((-math.inf, -math.inf, low), (math.inf, math.inf, high))


@dataclass(frozen=True)
class PointPair:
    """The same anatomical point clicked on the MR and on the CT (each in its own LPS mm)."""

    moving_mm: tuple[float, float, float]
    fixed_mm: tuple[float, float, float]


@dataclass(frozen=True)
class RegistrationSettings:
    """Tuning of `register_rigid`; the defaults suit spine MR/CT pairs.

    Attributes
    ----------
    vertebral_pitch_mm : distance between neighbouring vertebrae (body + disc), mm; candidates
        are searched at multiples of it (each snapped to the nearest dip of the coarse profile).
    neighbour_levels : how many vertebrae above and below the best coarse match are tried.
    ambiguity_gap : two alignments a vertebra or more apart whose Mattes MI differ by less than
        this fraction of the best one's make the result ambiguous.
    level_spacings_mm : voxel sizes of the coarse-to-fine levels (images smoothed and shrunk).
    sampling_fractions : fraction of the region's voxels sampled per level.
    iterations : Powell optimiser iterations (sweeps of line searches over the 6 parameters)
        per level.
    histogram_bins : Mattes MI histogram bins.
    seed : sampling seed, not 0 (results are reproducible; SimpleITK reads 0 as "wall clock").
    """

    vertebral_pitch_mm: float = DEFAULT_VERTEBRAL_PITCH_MM
    neighbour_levels: int = 2
    ambiguity_gap: float = 0.08
    level_spacings_mm: tuple[float, ...] = (4.0, 2.0)
    sampling_fractions: tuple[float, ...] = (1.0, 0.3)
    iterations: tuple[int, ...] = (4, 5)
    histogram_bins: int = 32
    seed: int = 7

    def __post_init__(self) -> None:
        n = len(self.level_spacings_mm)
        if n < 1 or len(self.sampling_fractions) != n or len(self.iterations) != n:
            raise RegistrationError(
                "registration settings: level_spacings_mm, sampling_fractions and iterations "
                "need one value per level"
            )
        if self.seed == 0:
            raise RegistrationError("registration settings: seed must not be 0 (wall clock)")
        if self.vertebral_pitch_mm <= 0:
            raise RegistrationError("registration settings: vertebral_pitch_mm must be > 0")


@dataclass(frozen=True, eq=False)
class Alignment:
    """One alignment found by the automatic search.

    Attributes
    ----------
    matrix_moving_to_fixed : 4x4, MR LPS mm -> CT LPS mm.
    metric : Mattes MI at the finest level (negative; lower is better).
    offset_mm : cranio-caudal (CT z) shift of the region's centre relative to the chosen
        alignment, mm; + = the MR region placed further superior on the CT.
    """

    matrix_moving_to_fixed: np.ndarray
    metric: float
    offset_mm: float

    def to_json(self) -> dict[str, Any]:
        return {
            "matrix_moving_to_fixed": _rows(self.matrix_moving_to_fixed),
            "metric": round(self.metric, 6),
            "offset_mm": round(self.offset_mm, 2),
        }


@dataclass(frozen=True, eq=False)
class RegistrationResult:
    """A rigid MR -> CT registration and how far to trust it.

    Attributes
    ----------
    matrix_moving_to_fixed : 4x4 numpy array mapping moving (MR) LPS mm to fixed (CT) LPS mm.
    metric : final Mattes MI (negative; lower is better; near 0 = no shared information).
    normalised_mi : 2 I / (H_mr + H_ct) over the region: 0 = the images share nothing,
        1 = one fully predicts the other.
    metric_gap : (runner-up metric - best metric) / |best metric| for the best alignment at
        another vertebral level (None when no other level was tried).
    ambiguous : another level scores within the ambiguity gap; confirm with a point pair.
    alternatives : the other levels' alignments, best first.
    overlap_fraction : fraction of the MR region that lies inside the CT after registration.
    """

    matrix_moving_to_fixed: np.ndarray
    metric: float
    normalised_mi: float
    metric_gap: float | None
    ambiguous: bool
    alternatives: tuple[Alignment, ...]
    overlap_fraction: float
    initialisation: str
    moving_frame_of_reference_uid: str
    fixed_frame_of_reference_uid: str
    warnings: tuple[str, ...] = field(default=())

    def map_to_fixed(self, points_mm: np.ndarray) -> np.ndarray:
        """MR LPS points ``(..., 3)`` mapped to CT LPS mm ``(..., 3)``."""
        points = np.asarray(points_mm, float)
        return points @ self.matrix_moving_to_fixed[:3, :3].T + self.matrix_moving_to_fixed[:3, 3]

    @property
    def quality_text(self) -> str:
        """The quality figures in words."""
        text = (
            f"Mattes mutual information {self.metric:.4f} (lower is better, 0 = nothing shared); "
            f"normalised {self.normalised_mi:.2f} (0 = unrelated images, 1 = one predicts the "
            f"other); {100 * self.overlap_fraction:.0f}% of the MR region lies in the CT"
        )
        if self.metric_gap is not None:
            text += (
                f"; the best alignment at another vertebral level scores "
                f"{100 * self.metric_gap:.1f}% worse"
            )
        if self.ambiguous:
            text += " -- AMBIGUOUS: confirm the level with a point pair"
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (matrix row-major, MR LPS mm -> CT LPS mm)."""
        return {
            "matrix_moving_to_fixed": _rows(self.matrix_moving_to_fixed),
            "moving_frame_of_reference_uid": self.moving_frame_of_reference_uid,
            "fixed_frame_of_reference_uid": self.fixed_frame_of_reference_uid,
            "metric": round(self.metric, 6),
            "quality": {
                "normalised_mi": round(self.normalised_mi, 4),
                "metric_gap_to_runner_up": (
                    None if self.metric_gap is None else round(self.metric_gap, 4)
                ),
                "overlap_fraction": round(self.overlap_fraction, 3),
                "text": self.quality_text,
            },
            "ambiguous": self.ambiguous,
            "alternatives": [a.to_json() for a in self.alternatives],
            "initialisation": self.initialisation,
            "warnings": list(self.warnings),
        }


def _rows(matrix: np.ndarray) -> list[list[float]]:
    return [[round(float(v), 6) for v in row] for row in np.asarray(matrix)]


def register_rigid(
    moving: Volume,
    fixed: Volume,
    *,
    region: RegionBox | Volume | None = None,
    point_pairs: Sequence[PointPair] = (),
    settings: RegistrationSettings | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> RegistrationResult:
    """Register the MR ``moving`` onto the CT ``fixed`` (rigid, Mattes MI, coarse to fine).

    Parameters
    ----------
    moving : the MR (any orientation), LPS mm.
    fixed : the planning CT, LPS mm (HU).
    region : the part of the MR that drives the fit: a `RegionBox` in MR LPS mm, or a mask
        `Volume` on the MR's grid (non-zero = inside). Default: the whole MR.
    point_pairs : clicked correspondences (MR point, CT point); none = automatic search.
    settings : tuning; see `RegistrationSettings`.
    progress : ``progress(done, total)`` as the optimiser iterates.
    should_cancel : polled at every iteration; True stops with `RegistrationCancelled`.

    Raises
    ------
    RegistrationError
        Empty region, unusable point pairs, images that do not overlap.
    RegistrationCancelled
        ``should_cancel`` returned True.
    """
    settings = settings or RegistrationSettings()
    warnings: list[str] = []
    moving_uid, fixed_uid = moving.frame_of_reference_uid, fixed.frame_of_reference_uid
    if moving_uid and moving_uid == fixed_uid:
        warnings.append(
            "the MR and the CT share a frame of reference: the scanner already relates them, "
            "the registration only refines that"
        )
    region_image, region_mask = _region_images(moving, region)
    centre = _physical_centre(region_image)
    # A soft-tissue-and-bone window: with the full HU range in 32 bins, fat, muscle, disc and
    # cord share two bins and the metric sees little more than bone versus the rest.
    ct = sitk.Clamp(
        sitk.Cast(fixed.to_sitk(), sitk.sitkFloat32),
        sitk.sitkFloat32,
        CT_WINDOW_HU[0],
        CT_WINDOW_HU[1],
    )
    levels = build_levels(region_image, region_mask, ct, settings.level_spacings_mm)
    ticker = _Ticker(progress, should_cancel)
    try:
        if point_pairs:
            initial, initialisation = _from_points(point_pairs, centre, warnings)
            ticker.phase(0.0, 0.9, sum(settings.iterations))
            # One start only: afford twice the iterations and samples of a candidate.
            best = _refine_levels(
                levels, initial, settings, ticker, range(len(levels)), thorough=True
            )
            chosen = [
                (best, score(levels[-1], best, bins=settings.histogram_bins, seed=settings.seed))
            ]
            _check_clicks(point_pairs, matrix_of(best), settings, warnings)
        else:
            initialisation = "automatic"
            chosen = _automatic(levels, centre, fixed, settings, ticker)
    except RuntimeError as error:
        if ticker.cancelled:
            raise RegistrationCancelled("the registration was cancelled") from None
        raise RegistrationError(
            f"the MR region and the CT cannot be registered: {error}"
        ) from error
    ticker.phase(0.9, 1.0, 1)
    return _result(chosen, levels, centre, settings, initialisation, warnings, moving, fixed)


def _automatic(
    levels: list[Level],
    centre: np.ndarray,
    fixed: Volume,
    settings: RegistrationSettings,
    ticker: _Ticker,
) -> list[tuple[sitk.Euler3DTransform, float]]:
    """Search, refine every candidate, return distinct alignments with their finest metric."""
    lower, upper = fixed.bounds_mm()
    ct_index_from_mm = np.linalg.inv(fixed.affine)
    ticker.phase(0.0, 0.25, 2000)
    search_level = build_levels(
        levels[-1].region, levels[-1].region_mask, levels[-1].ct, (4.0,), smoothing_mm=3.0
    )[0]
    candidates = search_candidates(
        search_level,
        centre,
        lower,
        upper,
        ct_index_from_mm,
        fixed.size_ijk,
        pitch_mm=settings.vertebral_pitch_mm,
        neighbour_levels=settings.neighbour_levels,
        bins=settings.histogram_bins,
        seed=settings.seed,
        hook=ticker.tick,
    )
    ticker.raise_if_cancelled()
    if not candidates:
        raise RegistrationError(
            "the CT does not cover enough of the MR region at any cranio-caudal offset: check "
            "that the CT includes the lesion's levels"
        )
    coarse_levels = range(max(1, len(levels) - 1))
    ticker.phase(0.25, 0.7, len(candidates) * sum(settings.iterations[:-1]))
    transforms = []
    for candidate in candidates:
        matrix = np.eye(4)
        matrix[:3, 3] = candidate.translation_mm
        start = euler_transform(centre, matrix)
        try:
            transforms.append(_refine_levels(levels, start, settings, ticker, coarse_levels))
        except RuntimeError as error:  # a candidate that slides off the CT is no candidate
            if ticker.cancelled or "outside moving image" not in str(error):
                raise
    if not transforms:
        raise RegistrationError(
            "the MR region and the CT do not overlap at any candidate alignment: check that "
            "the CT covers the region's levels"
        )
    rough = _scored(levels[coarse_levels[-1]], transforms, fixed, settings)
    distinct = _distinct(rough, centre, settings.vertebral_pitch_mm)[:4]
    if len(levels) == 1:
        return distinct
    ticker.phase(0.7, 0.9, len(distinct) * settings.iterations[-1])
    final = [
        _refine_levels(levels, transform, settings, ticker, [len(levels) - 1])
        for transform, _ in distinct
    ]
    return _distinct(
        _scored(levels[-1], final, fixed, settings), centre, settings.vertebral_pitch_mm
    )


def _scored(
    level: Level,
    transforms: list[sitk.Euler3DTransform],
    fixed: Volume,
    settings: RegistrationSettings,
) -> list[tuple[sitk.Euler3DTransform, float]]:
    """Each transform with its Mattes MI over the region voxels all of them map into the CT."""
    common = common_mask(level, transforms, np.linalg.inv(fixed.affine), fixed.size_ijk)
    # Too little in common: each is scored on its own overlap.
    mask = common if sitk.GetArrayViewFromImage(common).sum() >= 200 else None
    return [
        (t, score(level, t, bins=settings.histogram_bins, seed=settings.seed, mask=mask))
        for t in transforms
    ]


def _distinct(
    scored: list[tuple[sitk.Euler3DTransform, float]], centre: np.ndarray, pitch_mm: float
) -> list[tuple[sitk.Euler3DTransform, float]]:
    """Best first, dropping alignments that put the region's centre where a better one does."""
    kept: list[tuple[sitk.Euler3DTransform, float, np.ndarray]] = []
    for transform, metric in sorted(scored, key=lambda item: item[1]):
        mapped = np.asarray(transform.TransformPoint(tuple(float(v) for v in centre)))
        if all(np.linalg.norm(mapped - other) >= 0.4 * pitch_mm for _, _, other in kept):
            kept.append((transform, metric, mapped))
    return [(transform, metric) for transform, metric, _ in kept]


def _refine_levels(
    levels: list[Level],
    transform: sitk.Euler3DTransform,
    settings: RegistrationSettings,
    ticker: _Ticker,
    which: Sequence[int],
    *,
    thorough: bool = False,
) -> sitk.Euler3DTransform:
    factor = 2 if thorough else 1
    for index in which:
        transform = refine(
            levels[index],
            transform,
            bins=settings.histogram_bins,
            sampling_fraction=min(1.0, factor * settings.sampling_fractions[index]),
            seed=settings.seed,
            step_mm=0.5 * levels[index].spacing_mm,
            iterations=factor * settings.iterations[index],
            hook=ticker.tick,
        )
        ticker.raise_if_cancelled()
    return transform


def _result(
    chosen: list[tuple[sitk.Euler3DTransform, float]],
    levels: list[Level],
    centre: np.ndarray,
    settings: RegistrationSettings,
    initialisation: str,
    warnings: list[str],
    moving: Volume,
    fixed: Volume,
) -> RegistrationResult:
    best, best_metric = chosen[0]
    matrix = matrix_of(best)
    best_z = float((matrix @ np.append(centre, 1.0))[2])
    alternatives = []
    for transform, metric in chosen[1:]:
        other = matrix_of(transform)
        alternatives.append(
            Alignment(other, metric, float((other @ np.append(centre, 1.0))[2]) - best_z)
        )
    gap = None
    if alternatives and best_metric < 0:
        gap = (alternatives[0].metric - best_metric) / abs(best_metric)
    ambiguous = gap is not None and gap < settings.ambiguity_gap
    nmi, overlap = normalised_mutual_information(levels[-1], best, settings.histogram_bins)
    if best_metric >= NO_OVERLAP_METRIC or nmi < 0.02:
        warnings.append(
            "the MR and the CT share almost no information in the region: the registration "
            "is unreliable (check that both images show the same levels)"
        )
    if overlap < 0.7:
        warnings.append(
            f"only {100 * overlap:.0f}% of the MR region lies inside the CT: the fit rests "
            "on part of the region"
        )
    if ambiguous:
        warnings.append(
            f"ambiguous: an alignment {alternatives[0].offset_mm:+.0f} mm (about "
            f"{alternatives[0].offset_mm / settings.vertebral_pitch_mm:+.0f} vertebra) away "
            f"scores within {100 * settings.ambiguity_gap:.0f}% of the best; confirm the level "
            "with a point pair clicked on the same vertebral body in both images"
        )
    return RegistrationResult(
        matrix_moving_to_fixed=matrix,
        metric=best_metric,
        normalised_mi=nmi,
        metric_gap=gap,
        ambiguous=ambiguous,
        alternatives=tuple(alternatives),
        overlap_fraction=overlap,
        initialisation=initialisation,
        moving_frame_of_reference_uid=moving.frame_of_reference_uid,
        fixed_frame_of_reference_uid=fixed.frame_of_reference_uid,
        warnings=tuple(warnings),
    )


# -- inputs -----------------------------------------------------------------------------------
def _region_images(
    moving: Volume, region: RegionBox | Volume | None
) -> tuple[sitk.Image, sitk.Image | None]:
    """The MR cropped to the region's bounding voxels, and a mask when the crop is not exact."""
    if region is None:
        inside = np.ones(moving.shape, bool)
    elif isinstance(region, Volume):
        if not region.same_grid(moving):
            raise RegistrationError(
                "the region mask must be on the MR's grid (same shape and affine)"
            )
        inside = np.asarray(region.array) != 0
    else:
        k, j, i = np.indices(moving.shape)
        points = moving.index_to_patient(np.stack([i, j, k], axis=-1).reshape(-1, 3))
        lower, upper = np.asarray(region.lower_mm, float), np.asarray(region.upper_mm, float)
        inside = np.all((points >= lower) & (points <= upper), axis=1).reshape(moving.shape)
    if inside.sum() < 500:
        raise RegistrationError(
            f"the registration region holds {int(inside.sum())} MR voxels; it must cover at "
            "least a few vertebrae of the MR"
        )
    bounds = [np.nonzero(inside.any(axis=axes))[0] for axes in ((1, 2), (0, 2), (0, 1))]
    (k0, k1), (j0, j1), (i0, i1) = ((int(b[0]), int(b[-1]) + 1) for b in bounds)
    image = sitk.Cast(moving.to_sitk(), sitk.sitkFloat32)[i0:i1, j0:j1, k0:k1]
    crop = inside[k0:k1, j0:j1, i0:i1]
    if crop.all():
        return image, None
    mask = sitk.GetImageFromArray(crop.astype(np.uint8))
    mask.CopyInformation(image)
    return image, mask


def _physical_centre(image: sitk.Image) -> np.ndarray:
    size = np.asarray(image.GetSize(), float)
    return np.asarray(image.TransformContinuousIndexToPhysicalPoint((size - 1) / 2.0), float)


def _from_points(
    pairs: Sequence[PointPair], centre: np.ndarray, warnings: list[str]
) -> tuple[sitk.Euler3DTransform, str]:
    """The starting MR -> CT transform from clicked pairs (1-2: translation, >= 3: rigid)."""
    moving = np.array([p.moving_mm for p in pairs], float).reshape(-1, 3)
    fixed = np.array([p.fixed_mm for p in pairs], float).reshape(-1, 3)
    if not (np.all(np.isfinite(moving)) and np.all(np.isfinite(fixed))):
        raise RegistrationError("point pairs must be finite coordinates in mm")
    label = f"{len(pairs)} point pair{'s' if len(pairs) > 1 else ''}"
    spread = np.linalg.svd(moving - moving.mean(axis=0), compute_uv=False)
    if len(pairs) < 3 or spread[1] < 5.0:
        if len(pairs) >= 2:
            warnings.append(
                f"{label} do not fix a rotation (fewer than 3, or in a line): their mean "
                "shift starts the registration"
            )
        matrix = np.eye(4)
        matrix[:3, 3] = (fixed - moving).mean(axis=0)
        return euler_transform(centre, matrix), label
    # ITK's landmark initialiser maps its "fixed" landmarks onto its "moving" ones, which
    # here are the MR and the CT points (see the module docstring).
    versor = sitk.LandmarkBasedTransformInitializer(
        sitk.VersorRigid3DTransform(),
        [float(v) for v in moving.ravel()],
        [float(v) for v in fixed.ravel()],
    )
    matrix = matrix_of(versor)
    residual = moving @ matrix[:3, :3].T + matrix[:3, 3] - fixed
    rms = float(np.sqrt(np.mean(np.sum(residual**2, axis=1))))
    if rms > 5.0:
        warnings.append(
            f"the {label} disagree by {rms:.1f} mm RMS after a rigid fit: check the clicks"
        )
    return euler_transform(centre, matrix), label


def _check_clicks(
    pairs: Sequence[PointPair],
    matrix: np.ndarray,
    settings: RegistrationSettings,
    warnings: list[str],
) -> None:
    moving = np.array([p.moving_mm for p in pairs], float)
    fixed = np.array([p.fixed_mm for p in pairs], float)
    moved = np.linalg.norm(moving @ matrix[:3, :3].T + matrix[:3, 3] - fixed, axis=1)
    if moved.max() > 0.5 * settings.vertebral_pitch_mm:
        warnings.append(
            f"the registration placed a clicked MR point {moved.max():.0f} mm from its CT "
            "point (half a vertebra or more): check that both clicks are on the same vertebra"
        )


class _Ticker:
    """Progress in phases of the 0..1000 scale, and the cancel check, for iteration hooks."""

    def __init__(self, progress: ProgressCallback | None, should_cancel: CancelCallback | None):
        self.progress = progress
        self.should_cancel = should_cancel
        self.cancelled = False
        self.start, self.end, self.expected, self.count = 0.0, 0.0, 1, 0

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise RegistrationCancelled("the registration was cancelled")

    def phase(self, start: float, end: float, expected_ticks: int) -> None:
        self.start, self.end, self.expected, self.count = start, end, max(1, expected_ticks), 0
        self._report()

    def tick(self, method: sitk.ImageRegistrationMethod) -> None:
        if self.should_cancel is not None and self.should_cancel():
            # Raising inside SimpleITK's observer would print a traceback: stop the optimiser
            # instead, and raise once it has returned (`raise_if_cancelled`).
            self.cancelled = True
            method.StopRegistration()
            return
        self.count += 1
        if self.count % 10 == 0:
            self._report()

    def _report(self) -> None:
        if self.progress is None:
            return
        fraction = min(1.0, self.count / self.expected)
        done = round(_PROGRESS_TOTAL * (self.start + (self.end - self.start) * fraction))
        self.progress(done, _PROGRESS_TOTAL)
