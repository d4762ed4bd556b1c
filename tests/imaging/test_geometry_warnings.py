"""Geometry problems give warnings a user can read, on the volume and on the discovered series."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

import imaging
from tests.dicom_builders import oblique_cosines, write_series


def test_missing_slice(tmp_path: Path) -> None:
    write_series(tmp_path, shape=(8, 8, 8), slice_spacing_mm=3.0, skip_slices=[4])
    info = imaging.discover(tmp_path).series[0]
    volume = imaging.load_series(info)
    assert volume.shape == (7, 8, 8)
    assert len(volume.warnings) == 1
    assert "1 slice(s) appear to be missing" in volume.warnings[0]
    assert "6.0 mm" in volume.warnings[0] and "3.00 mm" in volume.warnings[0]
    assert info.warnings == volume.warnings
    # Like SimpleITK, the grid spreads the slices evenly from the first to the last position.
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(tmp_path)))
    image = reader.Execute()
    np.testing.assert_allclose(volume.spacing_mm, image.GetSpacing(), atol=0.01)
    np.testing.assert_allclose(volume.origin_mm, image.GetOrigin(), atol=0.01)


def test_uneven_spacing(tmp_path: Path) -> None:
    built = write_series(tmp_path, shape=(5, 8, 8), slice_spacing_mm=3.0)
    ds = pydicom.dcmread(built.paths[2])
    ds.ImagePositionPatient[2] = float(ds.ImagePositionPatient[2]) + 1.1
    ds.save_as(built.paths[2], enforce_file_format=True)
    (warning,) = imaging.load_series(tmp_path).warnings
    assert warning.startswith("uneven slice spacing: gaps from 1.90 to 4.10 mm")


def test_duplicate_positions(tmp_path: Path) -> None:
    built = write_series(tmp_path, shape=(4, 8, 8), file_prefix="A")
    write_series(
        tmp_path,
        shape=(4, 8, 8),
        file_prefix="B",
        skip_slices=[0, 1, 3],
        series_instance_uid=built.series_instance_uid,
        study_instance_uid=built.study_instance_uid,
        instance_numbers=[9, 9, 9, 9],
        seed=9,
    )
    volume = imaging.load_series(tmp_path)
    assert volume.shape == (4, 8, 8)
    (warning,) = volume.warnings
    assert "1 image(s) share a slice position" in warning
    # The image with the lower instance number is kept.
    np.testing.assert_array_equal(volume.array, built.array)


def test_gantry_tilt(tmp_path: Path) -> None:
    tilt = np.radians(15.0)
    step = 5.0 * np.array([0.0, np.sin(tilt), np.cos(tilt)])  # axial slices shifted along y
    built = write_series(tmp_path, shape=(6, 8, 8), orientation="axial", slice_step_mm=step)
    volume = imaging.load_series(tmp_path)
    (warning,) = volume.warnings
    assert warning.startswith("gantry tilt: slices are shifted sideways")
    assert "15.0°" in warning
    # The sheared grid keeps every slice where it was acquired.
    np.testing.assert_allclose(volume.affine, built.affine, atol=1e-5)
    np.testing.assert_allclose(
        volume.index_to_patient(np.array([0, 0, 5])),
        pydicom.dcmread(built.paths[5]).ImagePositionPatient,
        atol=1e-4,
    )


def test_a_tilted_stack_measures_the_distance_between_its_planes(tmp_path: Path) -> None:
    # Issue 14 item 7: the sheared step is 1/cos(tilt) longer than the slice spacing; volumes
    # and the spacing a user reads must use the planes' distance.
    tilt = np.radians(20.0)
    step = np.array([0.0, 3.0 * np.tan(tilt), 3.0])  # planes 3 mm apart, shifted along y
    write_series(tmp_path / "ct", shape=(6, 8, 8), orientation="axial", slice_step_mm=step)
    volume = imaging.load_series(tmp_path / "ct")
    assert volume.spacing_mm[2] == pytest.approx(3.0 / np.cos(tilt), rel=1e-6)  # the step
    assert volume.slice_spacing_mm == pytest.approx(3.0, rel=1e-6)
    column_mm, row_mm, _ = volume.spacing_mm
    assert volume.voxel_volume_mm3 == pytest.approx(column_mm * row_mm * 3.0, rel=1e-6)
    info = subprocess.run(
        [sys.executable, "-m", "app.cli", "info", str(tmp_path / "ct")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"{column_mm:.2f} {row_mm:.2f} 3.00" in info


def test_a_grown_region_on_a_tilted_stack_has_its_true_volume(tmp_path: Path) -> None:
    from planning.anatomy.lesion import grow_region

    tilt = np.radians(20.0)
    step = np.array([0.0, 3.0 * np.tan(tilt), 3.0])
    values = np.full((6, 20, 20), 100, dtype=np.int16)
    values[1:5, 5:15, 5:15] = 1000
    write_series(
        tmp_path / "mr", shape=(6, 20, 20), orientation="axial", slice_step_mm=step,
        values=values,
    )  # fmt: skip
    volume = imaging.load_series(tmp_path / "mr")
    seed = volume.index_to_patient(np.array([10, 10, 2]))
    region = grow_region(volume, seed, tolerance=0.2, max_radius_mm=200.0)
    assert region.voxel_count == 4 * 10 * 10
    assert region.volume_cm3 == pytest.approx(400 * volume.voxel_volume_mm3 / 1000.0)
    assert region.volume_cm3 < 400 * float(np.prod(volume.spacing_mm)) / 1000.0


def test_non_parallel_slices(tmp_path: Path) -> None:
    built = write_series(tmp_path, shape=(4, 8, 8), orientation="sagittal")
    row, column = oblique_cosines("sagittal", 0.5, axis=(0.0, 0.0, 1.0))
    ds = pydicom.dcmread(built.paths[3])
    ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*row, *column)]
    ds.save_as(built.paths[3], enforce_file_format=True)
    found = imaging.discover(tmp_path)
    assert len(found.series) == 1  # within the split tolerance: one series, with a warning
    (warning,) = found.series[0].warnings
    assert warning.startswith("slices are not parallel (their planes differ by up to 0.5°)")


def test_clean_series_has_no_warnings(tmp_path: Path) -> None:
    write_series(tmp_path, shape=(5, 8, 8), orientation="coronal")
    assert imaging.load_series(tmp_path).warnings == ()
