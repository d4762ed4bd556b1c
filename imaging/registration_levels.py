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

#: Called from SimpleITK's iteration observer; raise to stop the registration.
IterationHook = Callable[[], None]

#: Metric evaluations that cannot be compared (no sample overlaps the CT) score this.
NO_OVERLAP_METRIC = 0.0


@dataclass(frozen=True, eq=False)
class Level:
    """One resolution of both images (MR region = sitk fixed, CT = sitk moving)."""

    spacing_mm: float
    region: sitk.Image
    region_mask: sitk.Image | None
    ct: sitk.Image


def level_image(image: sitk.Image, target_mm: float) -> sitk.Image:
    """``image`` smoothed and shrunk to about ``target_mm`` voxels (axes already coarser kept)."""
    spacing = image.GetSpacing()
    factors = [max(1, round(target_mm / s)) for s in spacing]
    if all(f == 1 for f in factors):
        return image
    sigmas = [0.5 * f * s if f > 1 else 0.01 * s for f, s in zip(factors, spacing, strict=True)]
    smoothed = sitk.SmoothingRecursiveGaussian(image, sigmas)
    return sitk.Shrink(smoothed, factors)


def shrink_mask(mask: sitk.Image, like: sitk.Image) -> sitk.Image:
    """``mask`` resampled (nearest) onto the grid of ``like``."""
    return sitk.Resample(mask, like, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)


def build_levels(
    region: sitk.Image,
    region_mask: sitk.Image | None,
    ct: sitk.Image,
    spacings_mm: tuple[float, ...],
) -> list[Level]:
    """The pyramid, coarsest first; the finest level keeps the images' own voxels if finer."""
    levels = []
    for target in spacings_mm:
        small = level_image(region, target)
        mask = None if region_mask is None else shrink_mask(region_mask, small)
        levels.append(Level(target, small, mask, level_image(ct, target)))
    return levels


def new_method(
    level: Level, bins: int, sampling_fraction: float, seed: int
) -> sitk.ImageRegistrationMethod:
    """A registration method with Mattes MI on ``level`` (no pyramid: levels are prepared)."""
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

    The optimisation runs the usual way round -- the CT as SimpleITK's fixed image, the MR
    region as its moving image, the region as the moving mask and the CT voxels that the start
    maps into the region (plus a margin) as the fixed mask -- so SimpleITK optimises the
    CT -> MR transform. That transform is the inverse of ours: it is inverted on the way in and
    on the way out. (Optimising with the roles swapped drifted away from the optimum on the
    test phantoms: Mattes' derivative is taken with respect to the moving image.)
    """
    centre = np.asarray(transform.GetCenter(), float)
    matrix = matrix_of(transform)
    centre_ct = (matrix @ np.append(centre, 1.0))[:3]
    ct_to_mr = euler_transform(centre_ct, np.linalg.inv(matrix))
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=bins)
    method.SetMetricSamplingStrategy(method.REGULAR if sampling_fraction < 1.0 else method.NONE)
    if sampling_fraction < 1.0:
        method.SetMetricSamplingPercentage(sampling_fraction, seed)
    method.SetMetricFixedMask(ct_mask(level, ct_to_mr, margin_mm=2.0 * level.spacing_mm))
    if level.region_mask is not None:
        method.SetMetricMovingMask(level.region_mask)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=step_mm,
        minStep=0.02 * step_mm,
        numberOfIterations=iterations,
        relaxationFactor=0.6,
        gradientMagnitudeTolerance=1e-8,
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(ct_to_mr, inPlace=True)
    if hook is not None:
        method.AddCommand(sitk.sitkIterationEvent, hook)
    method.Execute(level.ct, level.region)
    return euler_transform(centre, np.linalg.inv(matrix_of(ct_to_mr)))


def ct_mask(level: Level, ct_to_mr: sitk.Transform, margin_mm: float) -> sitk.Image:
    """CT voxels that ``ct_to_mr`` maps into the region grown by ``margin_mm`` (uint8)."""
    region = level.region
    pad = [max(1, int(np.ceil(margin_mm / s))) for s in region.GetSpacing()]
    if level.region_mask is not None:
        ones = sitk.Cast(level.region_mask > 0, sitk.sitkUInt8)
    else:
        ones = sitk.Image(region.GetSize(), sitk.sitkUInt8) + 1
        ones.CopyInformation(region)
    grown = sitk.ConstantPad(ones, pad, pad, 1)
    return sitk.Resample(grown, level.ct, ct_to_mr, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)


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
        return float(method.MetricEvaluate(level.region, level.ct))
    except RuntimeError:  # every sample maps outside the CT
        return NO_OVERLAP_METRIC


def translation_grid(
    level: Level,
    centre_mm: np.ndarray,
    steps: tuple[int, int, int],
    step_mm: tuple[float, float, float],
    *,
    bins: int,
    hook: IterationHook | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mattes MI of every translation ``centre + n * step`` with ``|n| <= steps`` (per axis).

    SimpleITK's exhaustive optimiser walks the grid; an iteration observer records each value.
    Returns (translations (N, 3) in mm, metric values (N,)).
    """
    positions: list[tuple[float, ...]] = []
    values: list[float] = []
    # One exhaustive run per cranio-caudal plane of the grid: a plane where no sample lands
    # in the CT raises in SimpleITK and is skipped, instead of ending the whole search.
    for n in range(-steps[2], steps[2] + 1):
        plane_centre = np.asarray(centre_mm, float) + np.array([0.0, 0.0, n * step_mm[2]])
        method = new_method(level, bins, 1.0, 0)
        method.SetOptimizerAsExhaustive([steps[0], steps[1], 0], 1.0)
        method.SetOptimizerScales([float(v) for v in step_mm])
        translation = sitk.TranslationTransform(3, tuple(float(v) for v in plane_centre))
        method.SetInitialTransform(translation, inPlace=True)
        plane_positions: list[tuple[float, ...]] = []
        plane_values: list[float] = []

        def record(
            method: sitk.ImageRegistrationMethod = method,
            plane_positions: list[tuple[float, ...]] = plane_positions,
            plane_values: list[float] = plane_values,
        ) -> None:
            plane_positions.append(method.GetOptimizerPosition())
            plane_values.append(method.GetMetricValue())
            if hook is not None:
                hook()

        method.AddCommand(sitk.sitkIterationEvent, record)
        try:
            method.Execute(level.region, level.ct)
        except RuntimeError as error:
            if "outside moving image" not in str(error):
                raise
            continue
        positions.extend(plane_positions)
        values.extend(plane_values)
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
