"""The SimpleITK side of rigid registration: image pyramids, one-level refinement, scoring.

Internally the MR region is SimpleITK's *fixed* image and the CT its *moving* image (see
`imaging.registration`): the metric's samples are then drawn only inside the region, the same
samples for every candidate alignment, and the optimised transform maps MR points to CT points.
Nothing here knows about the spine; `imaging.registration_search` chooses the candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

#: Called from SimpleITK's iteration observer with the running method (which it may stop).
IterationHook = Callable[[sitk.ImageRegistrationMethod], None]

#: Metric evaluations that cannot be compared (no sample overlaps the CT) score this.
NO_OVERLAP_METRIC = 0.0


@dataclass(frozen=True, eq=False)
class Level:
    """One resolution of both images (MR region = sitk fixed, CT = sitk moving)."""

    spacing_mm: float
    region: sitk.Image
    region_mask: sitk.Image | None
    ct: sitk.Image


def level_image(image: sitk.Image, target_mm: float, smoothing_mm: float = 0.0) -> sitk.Image:
    """``image`` smoothed and shrunk to about ``target_mm`` voxels (axes already coarser kept).

    Each axis is smoothed with a Gaussian of half the shrink step (or ``smoothing_mm`` if
    larger), so the shrunk image does not alias.
    """
    spacing = image.GetSpacing()
    factors = [max(1, round(target_mm / s)) for s in spacing]
    sigmas = [
        max(0.5 * f * s if f > 1 else 0.0, smoothing_mm)
        for f, s in zip(factors, spacing, strict=True)
    ]
    if max(sigmas) > 0:
        image = sitk.SmoothingRecursiveGaussian(
            image, [max(v, 0.01 * s) for v, s in zip(sigmas, spacing, strict=True)]
        )
    return image if all(f == 1 for f in factors) else sitk.Shrink(image, factors)


def shrink_mask(mask: sitk.Image, like: sitk.Image) -> sitk.Image:
    """``mask`` resampled (nearest) onto the grid of ``like``."""
    return sitk.Resample(mask, like, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)


def build_levels(
    region: sitk.Image,
    region_mask: sitk.Image | None,
    ct: sitk.Image,
    spacings_mm: tuple[float, ...],
    smoothing_mm: float = 0.0,
) -> list[Level]:
    """The pyramid, coarsest first; the finest level keeps the images' own voxels if finer.

    Built once with SimpleITK's smoothing and shrink filters (per-axis factors, so a 4 mm-slice
    sagittal MR is not shrunk across its few slices) and shared by every candidate, instead of
    letting each registration run rebuild it through ``SetShrinkFactorsPerLevel``.
    """
    levels = []
    for target in spacings_mm:
        small = level_image(region, target, smoothing_mm)
        mask = None if region_mask is None else shrink_mask(region_mask, small)
        levels.append(Level(target, small, mask, level_image(ct, target, smoothing_mm)))
    return levels


def region_corners_mm(image: sitk.Image) -> np.ndarray:
    """The 8 corner voxel centres of ``image`` in LPS mm, shape (8, 3)."""
    size = np.asarray(image.GetSize(), float) - 1.0
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T * size
    return np.array([image.TransformContinuousIndexToPhysicalPoint(tuple(c)) for c in corners])


def crop_ct(ct: sitk.Image, points_mm: np.ndarray, margin_mm: float) -> sitk.Image:
    """The part of ``ct`` around ``points_mm`` (CT LPS mm) plus ``margin_mm``.

    SimpleITK's metric initialisation touches every voxel of its moving image (range,
    gradient); cropping the CT to where the region can land makes each run cheap.
    """
    points = np.asarray(points_mm, float).reshape(-1, 3)
    spacing = np.asarray(ct.GetSpacing(), float)
    direction = np.asarray(ct.GetDirection(), float).reshape(3, 3)
    index = (points - np.asarray(ct.GetOrigin(), float)) @ direction / spacing
    grow = np.ceil(margin_mm / spacing)
    size = np.asarray(ct.GetSize())
    low = np.clip(np.floor(index.min(axis=0) - grow), 0, size - 1).astype(int)
    high = np.clip(np.ceil(index.max(axis=0) + grow) + 1, low + 1, size).astype(int)
    return ct[int(low[0]) : int(high[0]), int(low[1]) : int(high[1]), int(low[2]) : int(high[2])]


def ct_near(level: Level, transform: sitk.Transform, margin_mm: float) -> sitk.Image:
    """The level's CT cropped around where ``transform`` puts the region."""
    matrix = matrix_of(transform)
    corners = region_corners_mm(level.region)
    return crop_ct(level.ct, corners @ matrix[:3, :3].T + matrix[:3, 3], margin_mm)


def new_method(
    level: Level, bins: int, sampling_fraction: float, seed: int
) -> sitk.ImageRegistrationMethod:
    """A registration method with Mattes MI on ``level`` (no pyramid: levels are prepared)."""
    if seed == 0:
        raise ValueError("seed 0 means 'wall clock' to SimpleITK: results would not repeat")
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=bins)
    if sampling_fraction >= 1.0:
        method.SetMetricSamplingStrategy(method.NONE)
    else:
        method.SetMetricSamplingStrategy(method.REGULAR)
        method.SetMetricSamplingPercentage(sampling_fraction, seed)
    if level.region_mask is not None:
        method.SetMetricFixedMask(level.region_mask)
    method.SetInterpolator(sitk.sitkLinear)
    return method


def refine(
    level: Level,
    transform: sitk.Euler3DTransform,
    *,
    bins: int,
    sampling_fraction: float,
    seed: int,
    step_mm: float,
    iterations: int,
    hook: IterationHook | None,
) -> sitk.Euler3DTransform:
    """Optimise the rigid ``transform`` (MR -> CT) on one level; a new transform is returned.

    SimpleITK's Powell optimiser (line searches, no metric derivative) on Mattes MI sampled
    in the MR region. Two gradient-based set-ups drifted away from the true alignment on the
    test phantoms: regular-step descent with the region sampled (the derivative pointed away
    from the optimum it had just passed) and the usual role assignment with the CT sampled
    (that metric's optimum lies a few mm off on a 4 mm-slice sagittal MR: interpolation
    artefacts of the thick slices).
    """
    result = sitk.Euler3DTransform(transform)
    method = new_method(level, bins, sampling_fraction, seed)
    method.SetOptimizerAsPowell(
        numberOfIterations=iterations,
        maximumLineIterations=12,
        stepLength=step_mm,
        stepTolerance=0.02,
        valueTolerance=1e-5,
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(result, inPlace=True)
    if hook is not None:
        method.AddCommand(sitk.sitkIterationEvent, lambda: hook(method))
    method.Execute(level.region, ct_near(level, transform, margin_mm=20.0 + 6.0 * step_mm))
    return result


def score(
    level: Level,
    transform: sitk.Transform,
    *,
    bins: int,
    seed: int,
    mask: sitk.Image | None = None,
) -> float:
    """Mattes MI of ``transform`` on ``level`` with every region voxel (lower is better).

    ``mask`` (on the level's region grid) replaces the region's own mask: candidates compared
    on the same voxels -- those every candidate maps inside the CT -- are compared fairly.
    """
    method = new_method(level, bins, 1.0, seed)
    if mask is not None:
        method.SetMetricFixedMask(mask)
    method.SetInitialTransform(transform)
    try:
        return float(method.MetricEvaluate(level.region, ct_near(level, transform, 10.0)))
    except RuntimeError:  # every sample maps outside the CT
        return NO_OVERLAP_METRIC


def translation_grid(
    level: Level,
    centre_mm: np.ndarray,
    steps: tuple[int, int, int],
    step_mm: tuple[float, float, float],
    *,
    bins: int,
    sampling_fraction: float,
    seed: int,
    hook: IterationHook | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mattes MI of every translation ``centre + n * step`` with ``|n| <= steps`` (per axis).

    SimpleITK's exhaustive optimiser walks the grid; an iteration observer records each value.
    Returns (translations (N, 3) in mm, metric values (N,)).
    """
    method = new_method(level, bins, sampling_fraction, seed)
    method.SetOptimizerAsExhaustive(list(steps), 1.0)
    method.SetOptimizerScales([float(v) for v in step_mm])
    translation = sitk.TranslationTransform(3, tuple(float(v) for v in centre_mm))
    method.SetInitialTransform(translation, inPlace=True)
    positions: list[tuple[float, ...]] = []
    values: list[float] = []

    def record() -> None:
        positions.append(method.GetOptimizerPosition())
        values.append(method.GetMetricValue())
        if hook is not None:
            hook(method)

    method.AddCommand(sitk.sitkIterationEvent, record)
    corners = region_corners_mm(level.region)
    reach = np.asarray(steps, float) * np.asarray(step_mm, float)
    ends = np.concatenate([corners + centre_mm - reach, corners + centre_mm + reach])
    method.Execute(level.region, crop_ct(level.ct, ends, 10.0))
    return np.array(positions, float).reshape(-1, 3), np.array(values, float)


def euler_transform(centre_mm: np.ndarray, matrix: np.ndarray) -> sitk.Euler3DTransform:
    """A rigid transform about ``centre_mm`` equal to the 4x4 MR -> CT ``matrix``."""
    transform = sitk.Euler3DTransform()
    transform.SetCenter(tuple(float(v) for v in centre_mm))
    rotation = np.asarray(matrix, float)[:3, :3]
    u, _, vt = np.linalg.svd(rotation)  # nearest proper rotation (guards rounding)
    rotation = u @ vt
    transform.SetMatrix(tuple(float(v) for v in rotation.ravel()))
    transform.SetTranslation(
        tuple(float(v) for v in matrix[:3, 3] + rotation @ centre_mm - centre_mm)
    )
    return transform


def matrix_of(transform: sitk.Transform) -> np.ndarray:
    """The 4x4 matrix of an affine-type SimpleITK transform (its point mapping, homogeneous)."""
    affine = sitk.AffineTransform(3)
    if isinstance(transform, sitk.Euler3DTransform | sitk.VersorRigid3DTransform):
        affine.SetMatrix(transform.GetMatrix())
        affine.SetCenter(transform.GetCenter())
        affine.SetTranslation(transform.GetTranslation())
    else:
        affine = sitk.AffineTransform(transform)
    matrix = np.eye(4)
    linear = np.asarray(affine.GetMatrix(), float).reshape(3, 3)
    centre = np.asarray(affine.GetCenter(), float)
    matrix[:3, :3] = linear
    matrix[:3, 3] = np.asarray(affine.GetTranslation(), float) + centre - linear @ centre
    return matrix


def normalised_mutual_information(
    level: Level, transform: sitk.Transform, bins: int
) -> tuple[float, float]:
    """(symmetric uncertainty 2 I / (H_mr + H_ct) in 0..1, fraction of the region in the CT).

    A reporting figure, computed from a joint histogram of the region and the CT resampled
    through ``transform``; the optimisation never uses it.
    """
    outside = -1.0e9
    resampled = sitk.Resample(level.ct, level.region, transform, sitk.sitkLinear, outside)
    ct = sitk.GetArrayViewFromImage(resampled).ravel()
    mr = sitk.GetArrayViewFromImage(level.region).ravel()
    inside = ct > outside / 2
    if level.region_mask is not None:
        in_region = sitk.GetArrayViewFromImage(level.region_mask).ravel() > 0
    else:
        in_region = np.ones(mr.shape, bool)
    count = int(in_region.sum())
    use = inside & in_region
    if count == 0 or use.sum() < 100:
        return 0.0, float(use.sum()) / max(count, 1)
    joint, _, _ = np.histogram2d(mr[use], ct[use], bins=bins)
    joint /= joint.sum()

    def entropy(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    h_mr, h_ct, h_joint = entropy(joint.sum(axis=1)), entropy(joint.sum(axis=0)), entropy(joint)
    information = h_mr + h_ct - h_joint
    denominator = h_mr + h_ct
    return (2.0 * information / denominator if denominator > 0 else 0.0), float(use.sum()) / count


def common_mask(
    level: Level,
    transforms: list[sitk.Euler3DTransform],
    ct_index_from_mm: np.ndarray,
    ct_size: tuple[int, int, int],
) -> sitk.Image:
    """The region voxels that every transform maps inside the CT (uint8 mask on the region)."""
    image = level.region
    size = image.GetSize()
    k, j, i = np.indices(size[::-1]).reshape(3, -1)
    index = np.stack([i, j, k], axis=1).astype(float)
    direction = np.asarray(image.GetDirection(), float).reshape(3, 3)
    points = index @ (direction * np.asarray(image.GetSpacing(), float)).T + np.asarray(
        image.GetOrigin(), float
    )
    inside = np.ones(len(points), bool)
    if level.region_mask is not None:
        inside &= sitk.GetArrayViewFromImage(level.region_mask).ravel() > 0
    upper = np.asarray(ct_size, float) - 1.0
    for transform in transforms:
        matrix = matrix_of(transform)
        ct_points = points @ matrix[:3, :3].T + matrix[:3, 3]
        ct_index = ct_points @ ct_index_from_mm[:3, :3].T + ct_index_from_mm[:3, 3]
        inside &= np.all((ct_index >= 0.0) & (ct_index <= upper), axis=1)
    mask = sitk.GetImageFromArray(inside.reshape(size[::-1]).astype(np.uint8))
    mask.CopyInformation(image)
    return mask
