"""Inputs of `imaging.registration` made ready for SimpleITK: the MR region, clicked point
pairs, and the progress/cancel plumbing of the iteration observers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import SimpleITK as sitk

from imaging.errors import RegistrationCancelled, RegistrationError
from imaging.registration_levels import euler_transform, matrix_of
from imaging.registration_model import PointPair, RegionBox, RegistrationSettings
from imaging.volume import Volume

#: progress(done, total): called from the registering thread.
ProgressCallback = Callable[[int, int], None]
#: should_cancel() -> True to stop; checked at every optimiser iteration.
CancelCallback = Callable[[], bool]

PROGRESS_TOTAL = 1000


def region_images(
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


def physical_centre(image: sitk.Image) -> np.ndarray:
    size = np.asarray(image.GetSize(), float)
    return np.asarray(image.TransformContinuousIndexToPhysicalPoint((size - 1) / 2.0), float)


def from_points(
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


def check_clicks(
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


class Ticker:
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
        done = round(PROGRESS_TOTAL * (self.start + (self.end - self.start) * fraction))
        self.progress(done, PROGRESS_TOTAL)
