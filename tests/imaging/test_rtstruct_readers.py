"""Independent readers of spineplan's RT Structure Sets get the mask back, voxel for voxel, on a
small-lesion phantom: rt-utils (which fills rounded vertices with OpenCV, edges included),
dicompyler-core (which counts the pixels whose centre is inside) and skimage (the same rule).

Why the contours are traced at `CONTOUR_LEVEL` (0.525) and not at 0.5: at 0.5 every vertex lies
on a pixel edge, exactly half way between the centres of an inside and an outside pixel, a tie
that rt-utils' rounding breaks either way (``np.around`` rounds half to even, in float32), so
many of the outside pixels along the outline are filled: +37 % on the 0.07 cm3 phantom below,
+68 % on sample case 4's 1.6 cm3 lesion on the CT (tests/planning/test_rtstruct_planes.py).
Just inside the edge, every vertex rounds to the inside pixel's centre and both fill rules give
back the mask exactly; a reader that takes the polygons' own area (a planning system) sees
them 0.025 pixel further in than at 0.5.

rt-utils 1.2.7 has a second fault of its own: it allocates each slice's mask as (Columns, Rows)
and fills it at (row, column), so on images with Rows != Columns -- every sagittal spine MR --
the outline is clipped to the first Columns rows (an empty or partial mask). That cannot be
helped from the file (the images are what they are); with the two allocations corrected
(`rt_utils_with_rows_first`) it reads the sagittal phantom exactly too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from skimage.draw import polygon2mask

import imaging.rtstruct as rtstruct
from imaging.loading import load_series
from imaging.rtdose import write_rtdose
from imaging.rtstruct import Structure, write_rtstruct
from imaging.volume import Volume
from tests.dicom_builders import write_series

#: the small lesion: a sphere of this radius, mm (0.07 cm3: 35 voxels of 1 mm x 1 mm x 2 mm)
RADIUS_MM = 2.6


def _phantom(folder: Path, orientation: str, shape: tuple[int, int, int]) -> tuple[Volume, list]:
    """A series with pixel data (rt-utils reads the pixels' presence) and its headers."""
    built = write_series(
        folder,
        shape=shape,
        orientation=orientation,
        pixel_spacing_mm=(1.0, 1.0),
        slice_spacing_mm=2.0,
        origin_mm=(-20.0, -20.0, 10.0) if orientation == "axial" else (-10.0, -20.0, 30.0),
        modality="CT",
    )
    volume = load_series(list(built.paths))
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in built.paths]
    return volume, headers


def _sphere(volume: Volume) -> Volume:
    """A sphere of `RADIUS_MM` a little off the voxel centres (so it is not symmetric)."""
    k, j, i = np.indices(volume.shape)
    points = volume.index_to_patient(np.stack([i, j, k], axis=-1).reshape(-1, 3).astype(float))
    centre = volume.index_to_patient(np.array(volume.shape[::-1], float) / 2 + 0.3)
    inside = np.linalg.norm(points - centre, axis=1) <= RADIUS_MM
    return volume.with_array(inside.reshape(volume.shape))


@contextlib.contextmanager
def rt_utils_with_rows_first() -> Iterator[None]:
    """rt-utils with its masks allocated (Rows, Columns), as they are filled."""
    from rt_utils import image_helper

    saved = image_helper.create_empty_series_mask, image_helper.create_empty_slice_mask
    image_helper.create_empty_series_mask = lambda series: np.zeros(
        (int(series[0].Rows), int(series[0].Columns), len(series)), dtype=bool
    )
    image_helper.create_empty_slice_mask = lambda image: np.zeros(
        (int(image.Rows), int(image.Columns)), dtype=bool
    )
    try:
        yield
    finally:
        image_helper.create_empty_series_mask, image_helper.create_empty_slice_mask = saved


def rt_utils_mask(folder: Path, structures: Path, volume: Volume, name: str = "Lesion"):
    """rt-utils' reading of ROI ``name`` as (slice, row, column) on ``volume``'s grid (rt-utils
    sorts the slices by position along the normal; each is put at its index in ``volume``)."""
    rt_utils = pytest.importorskip("rt_utils")
    rt = rt_utils.RTStructBuilder.create_from(
        dicom_series_path=str(folder), rt_struct_path=str(structures)
    )
    mask = np.moveaxis(rt.get_roi_mask_by_name(name), 2, 0)
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in sorted(folder.glob("*.dcm"))]
    normal = np.cross(*np.reshape(np.asarray(headers[0].ImageOrientationPatient, float), (2, 3)))
    headers.sort(key=lambda ds: float(np.dot(np.asarray(ds.ImagePositionPatient, float), normal)))
    on_grid = np.zeros_like(mask)
    for position, ds in enumerate(headers):
        k = round(float(volume.patient_to_index(np.asarray(ds.ImagePositionPatient, float))[2]))
        on_grid[k] = mask[position]
    return on_grid


def _centre_inside(structures: Path, volume: Volume) -> np.ndarray:
    """The pixels whose centre is inside the polygons (skimage), on ``volume``'s grid."""
    mask = np.zeros(volume.shape, dtype=bool)
    for contour in pydicom.dcmread(structures).ROIContourSequence[0].ContourSequence:
        ijk = volume.patient_to_index(np.asarray(contour.ContourData, float).reshape(-1, 3))
        k = round(float(ijk[0, 2]))
        mask[k] ^= polygon2mask(volume.shape[1:], ijk[:, [1, 0]])
    return mask


def _write(tmp_path: Path, volume: Volume, headers: list, level: float) -> Path:
    lesion = _sphere(volume)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rtstruct, "CONTOUR_LEVEL", level)
        return write_rtstruct(tmp_path / f"rs{level}.dcm", [Structure("Lesion", lesion)], headers)


def test_rt_utils_and_the_centre_rule_read_a_small_axial_lesion_exactly(tmp_path) -> None:
    volume, headers = _phantom(tmp_path / "ct", "axial", (12, 40, 40))
    lesion = np.asarray(_sphere(volume).array)
    assert 30 < lesion.sum() < 100  # a small lesion: a few pixels across on each slice
    written = _write(tmp_path, volume, headers, rtstruct.CONTOUR_LEVEL)
    assert np.array_equal(rt_utils_mask(tmp_path / "ct", written, volume), lesion)
    assert np.array_equal(_centre_inside(written, volume), lesion)


def test_at_the_half_level_rt_utils_fills_the_outside_pixels_along_the_outline(tmp_path) -> None:
    """The measurement behind `CONTOUR_LEVEL`: traced at 0.5, rt-utils reads this 0.07 cm3
    lesion 37 % larger (48 voxels for 35; the centre rule still reads it exactly)."""
    volume, headers = _phantom(tmp_path / "ct", "axial", (12, 40, 40))
    lesion = np.asarray(_sphere(volume).array)
    written = _write(tmp_path, volume, headers, 0.5)
    theirs = rt_utils_mask(tmp_path / "ct", written, volume)
    assert np.all(theirs[lesion])
    assert theirs.sum() >= 1.3 * lesion.sum()
    assert np.array_equal(_centre_inside(written, volume), lesion)


def test_dicompyler_core_counts_the_small_lesion_s_voxels(tmp_path) -> None:
    """dicompyler-core's DVH volume, on a dose grid that is the image grid: the lesion's."""
    import pydicom.dicomio

    if not hasattr(pydicom.dicomio, "read_file"):  # dicompyler-core 0.5.6 calls pydicom 2's name
        pydicom.dicomio.read_file = pydicom.dcmread
    dvhcalc = pytest.importorskip("dicompylercore.dvhcalc")
    volume, headers = _phantom(tmp_path / "ct", "axial", (12, 40, 40))
    lesion = np.asarray(_sphere(volume).array)
    written = _write(tmp_path, volume, headers, rtstruct.CONTOUR_LEVEL)
    dose = volume.with_array(np.full(volume.shape, 2.0, dtype=np.float32))
    rtdose = write_rtdose(tmp_path / "rd.dcm", dose, headers, referenced_plan_uid=generate_uid())
    voxel_cc = float(np.prod(volume.spacing_mm)) / 1000.0
    assert dvhcalc.get_dvh(str(written), str(rtdose), 1).volume == pytest.approx(
        lesion.sum() * voxel_cc, rel=1e-6
    )


def test_rt_utils_clips_images_with_more_rows_than_columns(tmp_path) -> None:
    """A sagittal phantom, 60 rows by 24 columns, the lesion below row 24: rt-utils 1.2.7 as
    shipped finds nothing; with its masks allocated rows first it reads the lesion exactly."""
    volume, headers = _phantom(tmp_path / "mr", "sagittal", (9, 60, 24))
    lesion = np.asarray(_sphere(volume).array)
    assert np.nonzero(lesion)[1].min() > 24  # rows beyond the column count
    written = _write(tmp_path, volume, headers, rtstruct.CONTOUR_LEVEL)
    rt_utils = pytest.importorskip("rt_utils")
    shipped = rt_utils.RTStructBuilder.create_from(
        dicom_series_path=str(tmp_path / "mr"), rt_struct_path=str(written)
    ).get_roi_mask_by_name("Lesion")
    assert shipped.shape == (24, 60, 9) and not shipped.any()
    with rt_utils_with_rows_first():
        assert np.array_equal(rt_utils_mask(tmp_path / "mr", written, volume), lesion)
    assert np.array_equal(_centre_inside(written, volume), lesion)


def test_rt_utils_own_structure_sets_miss_rows_beyond_the_column_count(tmp_path) -> None:
    """The fault is rt-utils' own, not the file's: on the 60-row by 24-column sagittal phantom,
    rt-utils 1.2.7 writes a mask given rows first (as every image array is) and reads nothing
    back; given columns first, as it allocates, it reads it back but has drawn the contour at
    columns 40-44 of an image 24 columns wide (off the image)."""
    rt_utils = pytest.importorskip("rt_utils")
    volume, headers = _phantom(tmp_path / "mr", "sagittal", (9, 60, 24))
    rows_first = np.zeros((60, 24, 9), dtype=bool)
    rows_first[40:45, 10:15, 3:6] = True
    columns_first = np.zeros((24, 60, 9), dtype=bool)
    columns_first[10:15, 40:45, 3:6] = True
    for name, mask in (("rows_first", rows_first), ("columns_first", columns_first)):
        builder = rt_utils.RTStructBuilder.create_new(dicom_series_path=str(tmp_path / "mr"))
        builder.add_roi(mask=mask, name=name)
        builder.save(str(tmp_path / f"{name}.dcm"))
    assert (
        not rt_utils.RTStructBuilder.create_from(
            dicom_series_path=str(tmp_path / "mr"), rt_struct_path=str(tmp_path / "rows_first.dcm")
        )
        .get_roi_mask_by_name("rows_first")
        .any()
    )
    written = pydicom.dcmread(tmp_path / "columns_first.dcm")
    points = np.concatenate(
        [
            np.asarray(c.ContourData, float).reshape(-1, 3)
            for c in written.ROIContourSequence[0].ContourSequence
        ]
    )
    columns = volume.patient_to_index(points)[:, 0]
    assert columns.min() >= 40 > int(headers[0].Columns)
