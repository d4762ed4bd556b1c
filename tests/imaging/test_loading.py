"""load_series: geometry against SimpleITK's reader, slice order, rescale, multi-frame, control."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

import imaging
from imaging.errors import LoadCancelled, SeriesError
from tests.dicom_builders import oblique_cosines, write_enhanced_mr, write_series

GEOMETRIES = {
    "axial": {"orientation": "axial"},
    "sagittal": {"orientation": "sagittal"},
    "coronal": {"orientation": "coronal"},
    "oblique": {"cosines": oblique_cosines("sagittal", 23.0, axis=(0.3, 1.0, 0.2))},
}


def sitk_read(folder: Path) -> sitk.Image:
    """SimpleITK's own reading of a folder's only series (GDCM sorting)."""
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def assert_same_geometry_as_sitk(volume: imaging.Volume, image: sitk.Image) -> None:
    np.testing.assert_allclose(volume.origin_mm, image.GetOrigin(), atol=0.01)
    np.testing.assert_allclose(volume.spacing_mm, image.GetSpacing(), atol=0.01)
    np.testing.assert_allclose(volume.direction.ravel(), image.GetDirection(), atol=1e-4)
    assert volume.size_ijk == image.GetSize()


@pytest.mark.parametrize("plane", list(GEOMETRIES))
def test_geometry_agrees_with_simpleitk(tmp_path: Path, plane: str) -> None:
    built = write_series(
        tmp_path,
        shape=(7, 18, 14),
        pixel_spacing_mm=(0.9, 0.6),
        slice_spacing_mm=3.3,
        origin_mm=(-40.5, 12.25, 88.0),
        instance_numbers=[5, 3, 7, 1, 6, 2, 4],
        **GEOMETRIES[plane],  # type: ignore[arg-type]
    )
    volume = imaging.load_series(tmp_path)

    assert volume.orientation == plane
    assert volume.warnings == ()
    np.testing.assert_allclose(volume.affine, built.affine, atol=1e-5)
    np.testing.assert_array_equal(volume.array, built.array)
    image = sitk_read(tmp_path)
    assert_same_geometry_as_sitk(volume, image)
    np.testing.assert_array_equal(volume.array, sitk.GetArrayFromImage(image))
    # The same point through both: voxel (i, j, k) -> LPS.
    ijk = (3, 5, 4)
    np.testing.assert_allclose(
        volume.index_to_patient(np.array(ijk)), image.TransformIndexToPhysicalPoint(ijk), atol=0.01
    )


def test_slices_sorted_by_position_not_instance_number(tmp_path: Path) -> None:
    # Instance numbers run against the positions (a feet-first export would look like this).
    built = write_series(
        tmp_path, orientation="axial", shape=(6, 8, 8), instance_numbers=[6, 5, 4, 3, 2, 1]
    )
    volume = imaging.load_series(tmp_path)
    np.testing.assert_array_equal(volume.array, built.array)
    z_mm = [volume.index_to_patient(np.array([0, 0, k]))[2] for k in range(6)]
    assert np.all(np.diff(z_mm) > 0)


def test_discovered_series_loads_without_rereading_headers(tmp_path: Path) -> None:
    built = write_series(tmp_path, orientation="sagittal", shape=(5, 9, 7))
    info = imaging.discover(tmp_path).series[0]
    volume = imaging.load_series(info)
    np.testing.assert_array_equal(volume.array, built.array)
    np.testing.assert_allclose(volume.affine, info.geometry.affine)
    assert volume.metadata.series_instance_uid == built.series_instance_uid
    assert volume.metadata.modality == "MR"
    assert volume.metadata.series_description == "MR sagittal"
    assert volume.metadata.patient_position == "HFS"


def test_ct_rescale_to_hounsfield_int16(tmp_path: Path) -> None:
    values = np.full((3, 8, 8), -1000) + np.arange(3 * 8 * 8).reshape(3, 8, 8) * 7
    write_series(
        tmp_path,
        modality="CT",
        shape=(3, 8, 8),
        values=values,
        rescale_slope=1.0,
        rescale_intercept=-1024.0,
        window=(40.0, 400.0),
        BitsStored=12,
    )
    volume = imaging.load_series(tmp_path)
    assert volume.array.dtype == np.int16
    np.testing.assert_array_equal(volume.array, values)
    assert volume.metadata.units == "HU"
    assert volume.metadata.window_presets == ((40.0, 400.0),)


def test_fractional_rescale_gives_float32(tmp_path: Path) -> None:
    stored = np.arange(2 * 6 * 6).reshape(2, 6, 6)
    values = stored * 0.25 + 10.5
    write_series(
        tmp_path, shape=(2, 6, 6), values=values, rescale_slope=0.25, rescale_intercept=10.5
    )
    volume = imaging.load_series(tmp_path)
    assert volume.array.dtype == np.float32
    np.testing.assert_allclose(volume.array, values, rtol=1e-6)
    assert volume.metadata.units == ""


def test_unsigned_mr_stays_uint16(tmp_path: Path) -> None:
    built = write_series(tmp_path, shape=(2, 6, 6))
    volume = imaging.load_series(tmp_path)
    assert volume.array.dtype == np.uint16
    np.testing.assert_array_equal(volume.array, built.array)


@pytest.mark.parametrize("shared_geometry", [True, False])
def test_enhanced_multiframe_mr(tmp_path: Path, shared_geometry: bool) -> None:
    built = write_enhanced_mr(
        tmp_path / "enhanced.dcm",
        shape=(6, 16, 12),
        frame_order=[3, 1, 0, 5, 2, 4],
        rescale_slopes=[1.0, 2.0, 0.5, 1.0, 1.0, 1.0],
        shared_geometry=shared_geometry,
    )
    info = imaging.discover(tmp_path).series[0]
    assert (info.orientation, info.shape, info.number_of_images) == ("sagittal", (6, 16, 12), 6)
    assert info.files == built.paths
    volume = imaging.load_series(tmp_path / "enhanced.dcm")
    np.testing.assert_allclose(volume.affine, built.affine, atol=1e-5)
    np.testing.assert_allclose(volume.array, built.array)
    assert volume.warnings == ()
    assert volume.metadata.series_description == "T1 SAG ENHANCED"


def test_enhanced_multiframe_geometry_agrees_with_simpleitk(tmp_path: Path) -> None:
    write_enhanced_mr(tmp_path / "enhanced.dcm", shape=(5, 10, 8))
    volume = imaging.load_series(tmp_path / "enhanced.dcm")
    image = sitk.ReadImage(str(tmp_path / "enhanced.dcm"))
    assert_same_geometry_as_sitk(volume, image)


def test_progress_and_cancel(tmp_path: Path) -> None:
    write_series(tmp_path, shape=(12, 8, 8))
    info = imaging.discover(tmp_path).series[0]
    calls: list[tuple[int, int]] = []
    imaging.load_series(info, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (12, 12)  # counted in slices
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    calls.clear()
    imaging.load_series(tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (1000, 1000)  # headers and voxels on one scale
    assert calls[11] == (500, 1000)  # the 12 headers make the first half
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    with pytest.raises(LoadCancelled, match="reading DICOM headers was cancelled"):
        imaging.load_series(tmp_path, should_cancel=lambda: True)
    with pytest.raises(LoadCancelled, match=r"loading series .* was cancelled"):
        imaging.load_series(info, should_cancel=lambda: True)

    # Cancelled while decoding: polled between slices, nothing returned.
    polls: list[int] = []

    def cancel_during_decoding() -> bool:
        polls.append(1)
        return len(polls) > 13  # after the 12 header reads and the first check

    with pytest.raises(LoadCancelled):
        imaging.load_series(tmp_path, should_cancel=cancel_during_decoding)
    assert len(polls) == 14


def test_folder_with_several_series_needs_a_choice(tmp_path: Path) -> None:
    first = write_series(tmp_path, shape=(3, 8, 8), file_prefix="A", series_description="T1")
    write_series(
        tmp_path, shape=(2, 8, 8), file_prefix="B", series_number=2, series_description="T2"
    )
    with pytest.raises(SeriesError, match=r"holds 2 series, choose one") as error:
        imaging.load_series(tmp_path)
    assert "#1 'T1'" in str(error.value) and "#2 'T2'" in str(error.value)
    volume = imaging.load_series(tmp_path, series_instance_uid=first.series_instance_uid)
    assert volume.shape == (3, 8, 8)
    with pytest.raises(SeriesError, match=r"no series 1\.2\.3"):
        imaging.load_series(tmp_path, series_instance_uid="1.2.3")


def test_multiframe_with_three_planes_splits_into_sub_series(tmp_path: Path) -> None:
    planes = ["sagittal", "axial", "sagittal", "coronal", "sagittal", "axial"]
    built = write_enhanced_mr(tmp_path / "localizer.dcm", shape=(6, 10, 10), frame_planes=planes)
    parts = imaging.discover(tmp_path).series
    assert [(p.key[-2:], p.orientation, p.shape[0]) for p in parts] == [
        (".1", "sagittal", 3),
        (".2", "axial", 2),
        (".3", "coronal", 1),
    ]
    assert all(p.files == built.paths for p in parts)
    axial = imaging.load_series(parts[1])
    np.testing.assert_array_equal(axial.array, built.array[[1, 5]])
    assert axial.spacing_mm[2] == pytest.approx(16.0)  # frames 1 and 5, 4 mm apart each
    assert "mixed orientations" in axial.warnings[0]
