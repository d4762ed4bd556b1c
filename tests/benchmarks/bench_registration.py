"""Benchmark: `imaging.registration.register_rigid` against a plain SimpleITK registration.

The full-size phantom pair of `tests.registration_phantoms.benchmark_spec`: an axial CT of
256 x 256 x 110 voxels (1.6 x 1.6 x 3 mm) and a sagittal MR of 9 x 450 x 210 (1 mm in plane,
4 mm slices), rotated by a few degrees, the CT centred two vertebrae away from the lesion. Prints
wall-clock times (target: under 20 s on 2 cores), the target registration error (TRE) at the
lesion and the ratio of our time to that of a plain SimpleITK registration of the same pair:
same metric (Mattes MI, 32 bins), the usual set-up -- CT fixed, MR moving, centred geometry
initialiser, regular-step gradient descent with physical-shift scales, shrink factors 4/2/1,
smoothing sigmas 2/1/0 voxels, 10% random sampling. No timing is asserted.

Run from the repository root::

    PYTHONPATH=. python tests/benchmarks/bench_registration.py
"""

from __future__ import annotations

import time

import numpy as np
import SimpleITK as sitk

from imaging.registration import PointPair, register_rigid
from tests.registration_phantoms import benchmark_spec, build_pair


def plain_simpleitk(fixed: sitk.Image, moving: sitk.Image) -> np.ndarray:
    """SimpleITK's textbook rigid registration; returns the MR -> CT 4x4 matrix."""
    initial = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.GEOMETRY
    )
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(0.1, 1)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-3, numberOfIterations=200
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([2, 1, 0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    method.SetInitialTransform(initial, inPlace=False)
    transform = method.Execute(fixed, moving)
    # SimpleITK's transform maps fixed (CT) points to moving (MR) points: invert it.
    affine = sitk.AffineTransform(3)
    composite = sitk.CompositeTransform(transform)
    rigid = sitk.Euler3DTransform(composite.GetNthTransform(0))
    affine.SetMatrix(rigid.GetMatrix())
    affine.SetTranslation(rigid.GetTranslation())
    affine.SetCenter(rigid.GetCenter())
    ct_to_mr = np.eye(4)
    linear = np.asarray(affine.GetMatrix()).reshape(3, 3)
    centre = np.asarray(affine.GetCenter())
    ct_to_mr[:3, :3] = linear
    ct_to_mr[:3, 3] = np.asarray(affine.GetTranslation()) + centre - linear @ centre
    return np.linalg.inv(ct_to_mr)


def main() -> None:
    spec = benchmark_spec()
    start = time.perf_counter()
    pair = build_pair(spec)
    print(f"phantom pair built in {time.perf_counter() - start:.1f} s")
    print(f"CT {pair.fixed.shape} (slices, rows, columns), spacing {pair.fixed.spacing_mm} mm")
    print(f"MR {pair.moving.shape} (slices, rows, columns), spacing {pair.moving.spacing_mm} mm")
    print(f"threads: {sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()}")

    start = time.perf_counter()
    automatic = register_rigid(pair.moving, pair.fixed, region=pair.region)
    ours_automatic = time.perf_counter() - start
    print(
        f"ours, automatic (level search): {ours_automatic:.1f} s, "
        f"TRE {pair.tre_mm(automatic.matrix_moving_to_fixed):.2f} mm, "
        f"ambiguous={automatic.ambiguous}; {automatic.quality_text}"
    )
    clicked = PointPair(
        tuple(pair.body_centre_moving_mm),
        tuple(pair.body_centre_fixed_mm + np.array([4.0, -3.0, 5.0])),
    )
    start = time.perf_counter()
    from_point = register_rigid(pair.moving, pair.fixed, region=pair.region, point_pairs=[clicked])
    ours_point = time.perf_counter() - start
    print(
        f"ours, one point pair 7 mm off: {ours_point:.1f} s, "
        f"TRE {pair.tre_mm(from_point.matrix_moving_to_fixed):.2f} mm"
    )

    fixed = sitk.Cast(pair.fixed.to_sitk(), sitk.sitkFloat32)
    moving = sitk.Cast(pair.moving.to_sitk(), sitk.sitkFloat32)
    start = time.perf_counter()
    plain = plain_simpleitk(fixed, moving)
    theirs = time.perf_counter() - start
    print(f"plain SimpleITK (whole images): {theirs:.1f} s, TRE {pair.tre_mm(plain):.2f} mm")
    print(
        f"ratio ours/plain: automatic {ours_automatic / theirs:.2f}, "
        f"point pair {ours_point / theirs:.2f}"
    )


if __name__ == "__main__":
    main()
