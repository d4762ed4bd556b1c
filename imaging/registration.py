"""Rigid registration of a diagnostic MR (moving) onto a planning CT (fixed), on SimpleITK.

The two are separate studies in different frames of reference; the lesion is seen only on the
MR and must be carried onto the CT. `register_rigid` finds the 6-degree-of-freedom transform
(rotation + translation) that best aligns a region of the MR around the lesion's levels with
the CT, by Mattes mutual information, coarse to fine:

* started from point pairs the user clicked on both images (one pair: a translation; three or
  more: a landmark-based rigid fit), or
* automatically: the spine repeats itself, so an alignment one vertebra off scores almost as well
  as the right one. Candidates one and two vertebral pitches above and below the best coarse
  match, and the best at other antero-posterior offsets, are refined too
  (`imaging.registration_search`); when an alignment about a vertebra
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

from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

from imaging.errors import RegistrationCancelled, RegistrationError
from imaging.registration_inputs import (
    CancelCallback,
    ProgressCallback,
    Ticker,
    check_clicks,
    from_points,
    physical_centre,
    region_images,
)
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
from imaging.registration_model import (
    DEFAULT_VERTEBRAL_PITCH_MM,
    Alignment,
    PointPair,
    RegionBox,
    RegistrationResult,
    RegistrationSettings,
)
from imaging.registration_search import search_candidates
from imaging.volume import Volume

__all__ = [
    "DEFAULT_VERTEBRAL_PITCH_MM",
    "Alignment",
    "CancelCallback",
    "PointPair",
    "ProgressCallback",
    "RegionBox",
    "RegistrationResult",
    "RegistrationSettings",
    "register_rigid",
]

#: CT values are clamped to this range (HU) before the metric sees them.
CT_WINDOW_HU = (-200.0, 700.0)


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
    region_image, region_mask = region_images(moving, region)
    centre = physical_centre(region_image)
    # A soft-tissue-and-bone window: with the full HU range in 32 bins, fat, muscle, disc and
    # cord share two bins and the metric sees little more than bone versus the rest.
    ct = sitk.Clamp(
        sitk.Cast(fixed.to_sitk(), sitk.sitkFloat32),
        sitk.sitkFloat32,
        CT_WINDOW_HU[0],
        CT_WINDOW_HU[1],
    )
    levels = build_levels(region_image, region_mask, ct, settings.level_spacings_mm)
    ticker = Ticker(progress, should_cancel)
    try:
        if point_pairs:
            initial, initialisation = from_points(point_pairs, centre, warnings)
            ticker.phase(0.0, 0.9, sum(settings.iterations))
            # One start only: afford twice the iterations and samples of a candidate.
            best = _refine_levels(
                levels, initial, settings, ticker, range(len(levels)), thorough=True
            )
            chosen = [
                (best, score(levels[-1], best, bins=settings.histogram_bins, seed=settings.seed))
            ]
            check_clicks(point_pairs, matrix_of(best), settings, warnings)
        else:
            initialisation = "automatic"
            chosen = _automatic(levels, centre, fixed, settings, ticker)
    except RuntimeError as error:
        if ticker.cancelled:
            raise RegistrationCancelled("the registration was cancelled") from None
        raise RegistrationError(
            f"the MR region and the CT cannot be registered: {_itk_message(error)}"
        ) from error
    ticker.phase(0.9, 1.0, 1)
    result = _result(chosen, levels, centre, settings, initialisation, warnings, moving, fixed)
    ticker.phase(1.0, 1.0, 1)
    return result


def _itk_message(error: Exception) -> str:
    """The reason in a SimpleITK exception, on one line (without file names and addresses)."""
    text = str(error).split("ITK ERROR:")[-1]
    if "): " in text:
        text = text.split("): ", 1)[1]
    return " ".join(text.split())


def _automatic(
    levels: list[Level],
    centre: np.ndarray,
    fixed: Volume,
    settings: RegistrationSettings,
    ticker: Ticker,
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
    """Each transform with its Mattes MI over the region voxels all of them map into the CT.

    Mutual information over a sliver of overlap can beat the true alignment, so transforms
    that leave much more of the region outside the CT than the best-covered one are dropped
    first (kept: at least 80% of the best coverage).
    """
    ct_index_from_mm = np.linalg.inv(fixed.affine)
    region_count = (
        float(np.prod(level.region.GetSize()))
        if level.region_mask is None
        else float(sitk.GetArrayViewFromImage(level.region_mask).sum())
    )
    coverage = [
        float(
            sitk.GetArrayViewFromImage(
                common_mask(level, [t], ct_index_from_mm, fixed.size_ijk)
            ).sum()
        )
        / max(region_count, 1.0)
        for t in transforms
    ]
    transforms = [t for t, c in zip(transforms, coverage, strict=True) if c >= 0.8 * max(coverage)]
    common = common_mask(level, transforms, ct_index_from_mm, fixed.size_ijk)
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
    ticker: Ticker,
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
    one_level = [
        abs(a.offset_mm)
        for a in alternatives
        if 0.5 * settings.vertebral_pitch_mm
        <= abs(a.offset_mm)
        <= 1.6 * settings.vertebral_pitch_mm
    ]
    pitch = float(np.median(one_level)) if one_level else None
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
            f"{alternatives[0].offset_mm / (pitch or settings.vertebral_pitch_mm):+.0f} "
            "vertebra) away "
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
        estimated_pitch_mm=pitch,
    )
