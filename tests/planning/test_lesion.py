"""Lesion masks (ellipsoid, seed growing, mask file), measurements, and lesion levels."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.volume import Volume
from planning.anatomy.lesion import (
    EllipsoidLesion,
    MaskLesion,
    SeedLesion,
    build_lesion_mask,
    ellipsoid_mask,
    grow_from_seed,
    lesion_levels,
    mask_from_file,
    measure_lesion,
)
from planning.errors import CaseFileError, FieldError, LabelError, PlanningError
from tests.planning.synthetic_spine import by_name, disc_middle, spine


def _axial(shape=(40, 64, 64), spacing=(1.0, 1.0, 2.0), origin=(-32.0, -32.0, -40.0)) -> Volume:
    """An axial grid: i -> L, j -> P, k -> S."""
    affine = np.eye(4)
    affine[:3, :3] = np.diag(spacing)
    affine[:3, 3] = origin
    return Volume(np.zeros(shape, dtype=np.float32), affine)


def _sagittal(shape=(30, 96, 80), spacing=(1.0, 1.0, 2.0)) -> Volume:
    """A sagittal grid as DICOM stores it: i -> P, j -> inferior (-z), k -> L."""
    affine = np.zeros((4, 4))
    affine[:3, 0] = (0.0, spacing[0], 0.0)
    affine[:3, 1] = (0.0, 0.0, -spacing[1])
    affine[:3, 2] = (spacing[2], 0.0, 0.0)
    affine[:3, 3] = (-30.0, -40.0, 48.0)
    affine[3, 3] = 1.0
    return Volume(np.zeros(shape, dtype=np.float32), affine)


def test_ellipsoid_volume_extent_and_centroid_on_an_axial_grid() -> None:
    grid = _axial(shape=(60, 80, 80), spacing=(0.5, 0.5, 0.5), origin=(-20.0, -20.0, -15.0))
    center, radii = (1.0, -2.0, 0.0), (8.0, 6.0, 10.0)
    mask = ellipsoid_mask(grid, center, radii)
    assert mask.array.dtype == bool
    assert mask.same_grid(grid)
    m = measure_lesion(mask)
    analytic_cc = 4.0 / 3.0 * math.pi * np.prod(radii) / 1000.0
    assert m.volume_cc == pytest.approx(analytic_cc, rel=0.03)
    assert m.centroid_mm == pytest.approx(center, abs=0.05)
    # Voxel centres within 10 mm of the centre on a 0.5 mm grid reach z = +-10; boundaries +-0.25.
    assert m.superior_z_mm == pytest.approx(10.25)
    assert m.inferior_z_mm == pytest.approx(-10.25)
    assert m.si_extent_mm == pytest.approx(20.5)
    assert m.voxel_count == int(mask.array.sum())


def test_extent_uses_voxel_boundaries_on_a_sagittal_grid() -> None:
    grid = _sagittal()
    mask = np.zeros(grid.shape, dtype=bool)
    mask[10:13, 20:31, 40:45] = True  # rows 20..30 along -z
    m = measure_lesion(grid.with_array(mask))
    top_row_z = grid.index_to_patient(np.array([40.0, 20.0, 10.0]))[2]
    bottom_row_z = grid.index_to_patient(np.array([40.0, 30.0, 10.0]))[2]
    assert m.superior_z_mm == pytest.approx(top_row_z + 0.5)
    assert m.inferior_z_mm == pytest.approx(bottom_row_z - 0.5)
    assert m.si_extent_mm == pytest.approx(11.0)
    assert m.volume_cc == pytest.approx(3 * 11 * 5 * 2.0 / 1000.0)


def test_empty_mask_and_bad_ellipsoids_are_refused() -> None:
    grid = _axial()
    with pytest.raises(PlanningError, match="empty"):
        measure_lesion(grid.with_array(np.zeros(grid.shape, dtype=bool)))
    with pytest.raises(PlanningError, match="greater than 0"):
        ellipsoid_mask(grid, (0, 0, 0), (5, 0, 5))


def _bright_sphere(grid: Volume, center, radius: float, inside=900.0, outside=200.0) -> Volume:
    truth = ellipsoid_mask(grid, center, (radius, radius, radius)).array
    rng = np.random.default_rng(3)
    image = np.where(truth, inside, outside) + rng.normal(0.0, 15.0, grid.shape)
    return grid.with_array(image.astype(np.float32))


@pytest.mark.parametrize(("method", "tolerance"), [("threshold", 0.3), ("confidence", 2.5)])
def test_seed_growing_recovers_an_enhancing_nodule(method: str, tolerance: float) -> None:
    grid = _axial()
    center = (2.0, 3.0, -6.0)
    image = _bright_sphere(grid, center, 7.0)
    truth = ellipsoid_mask(grid, center, (7.0, 7.0, 7.0)).array
    grown = grow_from_seed(image, center, tolerance=tolerance, method=method).array
    dice = 2 * (grown & truth).sum() / (grown.sum() + truth.sum())
    assert dice > 0.95


def test_seed_growing_is_confined_around_the_seed() -> None:
    grid = _axial()
    flat = grid.with_array(np.full(grid.shape, 500.0, dtype=np.float32))
    grown = grow_from_seed(flat, (0.0, 0.0, 0.0), tolerance=0.1, max_radius_mm=10.0)
    m = measure_lesion(grown)
    assert m.si_extent_mm <= 22.0 + 1e-6  # 10 mm either side plus half a 2 mm voxel each end
    assert m.volume_cc < 4.0 / 3.0 * math.pi * 11.0**3 / 1000.0


def test_seed_outside_the_series_is_refused() -> None:
    grid = _axial()
    with pytest.raises(PlanningError, match=r"seed point \[0.0, 0.0, 500.0\] mm lies outside"):
        grow_from_seed(grid, (0.0, 0.0, 500.0))
    with pytest.raises(PlanningError, match="tolerance must be greater than 0"):
        grow_from_seed(grid, (0.0, 0.0, 0.0), tolerance=0.0)


def test_mask_file_is_resampled_onto_the_reference_grid(tmp_path: Path) -> None:
    fine = _axial(shape=(80, 64, 64), spacing=(1.0, 1.0, 1.0), origin=(-32.0, -32.0, -40.0))
    truth = ellipsoid_mask(fine, (0.0, 0.0, 0.0), (8.0, 8.0, 8.0))
    image = sitk.Cast(truth.with_array(truth.array.astype(np.uint8)).to_sitk(), sitk.sitkUInt8)
    path = tmp_path / "lesion.nrrd"
    sitk.WriteImage(image, str(path))
    reference = _axial()  # 2 mm slices
    mask = mask_from_file(path, reference)
    assert mask.same_grid(reference)
    expected = ellipsoid_mask(reference, (0.0, 0.0, 0.0), (8.0, 8.0, 8.0)).array
    dice = 2 * (mask.array & expected).sum() / (mask.array.sum() + expected.sum())
    assert dice > 0.9
    via_spec = build_lesion_mask(MaskLesion("lesion.nrrd"), reference, base_dir=tmp_path)
    assert np.array_equal(via_spec.array, mask.array)


def test_mask_file_errors(tmp_path: Path) -> None:
    reference = _axial()
    with pytest.raises(CaseFileError, match="lesion mask file not found"):
        mask_from_file(tmp_path / "missing.nrrd", reference)
    junk = tmp_path / "junk.nrrd"
    junk.write_bytes(b"not an image at all")
    with pytest.raises(CaseFileError, match=r"junk\.nrrd: cannot read the lesion mask"):
        mask_from_file(junk, reference)
    dicom = tmp_path / "rtstruct.dcm"
    dicom.write_bytes(b"\0" * 128 + b"DICM" + b"\0" * 16)
    with pytest.raises(CaseFileError, match="an RT Structure Set or a Segmentation"):
        mask_from_file(dicom, reference)
    far = sitk.Image(8, 8, 8, sitk.sitkUInt8) + 1
    far.SetOrigin((1000.0, 1000.0, 1000.0))
    path = tmp_path / "far.nrrd"
    sitk.WriteImage(far, str(path))
    with pytest.raises(CaseFileError, match="no voxel inside"):
        mask_from_file(path, reference)


def test_specs_build_masks() -> None:
    grid = _axial()
    ellipsoid = EllipsoidLesion((0.0, 0.0, 0.0), (6.0, 6.0, 9.0))
    assert ellipsoid.z_range_mm == (9.0, -9.0)
    mask = build_lesion_mask(ellipsoid, grid)
    assert measure_lesion(mask).volume_cc == pytest.approx(
        4 / 3 * math.pi * 6 * 6 * 9 / 1000, rel=0.1
    )
    image = _bright_sphere(grid, (0.0, 0.0, 0.0), 6.0)
    grown = build_lesion_mask(SeedLesion((0.0, 0.0, 0.0)), grid, post_contrast=image)
    assert measure_lesion(grown).volume_cc == pytest.approx(4 / 3 * math.pi * 6**3 / 1000, rel=0.15)
    # Grown on another grid, returned on the reference grid.
    coarse = _axial(shape=(20, 32, 32), spacing=(2.0, 2.0, 4.0))
    on_coarse = build_lesion_mask(SeedLesion((0.0, 0.0, 0.0)), coarse, post_contrast=image)
    assert on_coarse.same_grid(coarse)
    assert on_coarse.array.any()


# -- lesion levels --------------------------------------------------------------------------
def test_single_level_lesion() -> None:
    levels = spine()
    t9 = by_name(levels)["T9"]
    result = lesion_levels(levels, (t9.middle_z_mm + 6.0, t9.middle_z_mm - 6.0))
    assert result.names == ("T9",)
    assert result.words == result.short == "T9"


def test_two_and_three_level_lesions_in_words() -> None:
    levels = spine()
    table = by_name(levels)
    disc = disc_middle(levels, "C4", "C5")
    c45 = lesion_levels(levels, (disc + 5.0, disc - 5.0))
    assert c45.names == ("C4", "C5")
    assert (c45.words, c45.short) == ("C4-C5", "C4-5")
    t4_6 = lesion_levels(levels, (table["T4"].middle_z_mm, table["T6"].middle_z_mm), "D")
    assert (t4_6.words, t4_6.short) == ("D4-D6", "D4-6")
    # A lesion ending exactly on a segment boundary does not involve the next level.
    boundary = disc_middle(levels, "T10", "T11")
    assert lesion_levels(levels, (boundary + 8.0, boundary)).names == ("T10",)


def test_lesion_outside_the_labelled_levels_says_by_how_much() -> None:
    levels = spine(["T8", "T9", "T10"])
    table = by_name(levels)
    with pytest.raises(FieldError, match=r"extends 4.0 mm above the highest labelled level T8"):
        lesion_levels(levels, (table["T8"].superior_z_mm + 4.0, table["T8"].middle_z_mm))
    with pytest.raises(FieldError, match=r"extends 12.5 mm below the lowest labelled level T10"):
        lesion_levels(levels, (table["T10"].middle_z_mm, table["T10"].inferior_z_mm - 12.5))


def test_lesion_in_an_unlabelled_gap_is_refused() -> None:
    levels = spine(["T3", "T4", "T6", "T7"])
    gap_z = by_name(spine())["T5"].middle_z_mm
    with pytest.raises(FieldError, match="between T4 and T6, where no level is labelled"):
        lesion_levels(levels, (gap_z + 3.0, gap_z - 3.0))


def test_inconsistent_labels_stop_lesion_levels() -> None:
    levels = list(spine(["T8", "T9"]))
    levels[1] = dataclasses.replace(levels[1], name="T8")
    with pytest.raises(LabelError, match="T8 is labelled 2 times"):
        lesion_levels(levels, (0.0, -1.0))


def test_reference_case_lesion_on_its_post_contrast_series() -> None:
    from imaging import load_series
    from planning.case import load_case

    root = Path(__file__).resolve().parents[2] / "sample_dicom" / "case1"
    if not (root / "reference.spineplan.json").is_file():
        pytest.skip("the sample cases have not been generated")
    case = load_case(root / "reference.spineplan.json")
    post = load_series(root / "T1C_SAG")
    mask = build_lesion_mask(case.lesion, post)
    measured = measure_lesion(mask)
    assert measured.si_extent_mm <= 2 * case.lesion.radii_mm[2] + 2 * 1.7  # + one row each end
    levels = lesion_levels(case.levels, (measured.superior_z_mm, measured.inferior_z_mm))
    assert (levels.words, levels.short) == ("C4-C5", "C4-5")
    # Growing from the centre of the enhancing nodule finds the same levels.
    grown = measure_lesion(grow_from_seed(post, case.lesion.center_mm))
    assert grown.centroid_mm == pytest.approx(case.lesion.center_mm, abs=2.0)
    grown_levels = lesion_levels(case.levels, (grown.superior_z_mm, grown.inferior_z_mm))
    assert grown_levels.names == ("C4", "C5")
