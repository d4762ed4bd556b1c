"""A lesion given as a DICOM RT Structure Set or Segmentation, as a case file may name it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from imaging.loading import load_series
from imaging.rtstruct import Structure, write_rtstruct
from imaging.seg import SegmentSpec, write_seg
from planning.anatomy.lesion import MaskLesion, build_lesion_mask, ellipsoid_mask, mask_from_file
from planning.errors import CaseFileError
from tests.dicom_builders import write_series


@pytest.fixture
def series(tmp_path: Path):
    built = write_series(tmp_path / "t1", orientation="sagittal", shape=(12, 48, 40))
    volume = load_series(list(built.paths))
    images = [pydicom.dcmread(p) for p in built.paths]
    centre = volume.index_to_patient(np.array(volume.size_ijk, float) / 2 - 0.5)
    lesion = ellipsoid_mask(volume, tuple(centre), (7.0, 8.0, 9.0))
    assert lesion.array.sum() > 50
    return volume, images, lesion


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


def test_rtstruct_lesion_is_found_by_name_among_structures(series, tmp_path) -> None:
    volume, images, lesion = series
    other = ellipsoid_mask(volume, tuple(volume.index_to_patient([5, 5, 3])), (4.0, 4.0, 4.0))
    path = write_rtstruct(
        tmp_path / "rs.dcm",
        [Structure("Cord", other, interpreted_type="ORGAN"), Structure("Lesion 1", lesion)],
        [pydicom.dcmread(p, stop_before_pixels=True) for p in _paths(images)],
    )
    mask = build_lesion_mask(MaskLesion(path.name), volume, base_dir=tmp_path)
    assert dice(mask.array, lesion.array) >= 0.95


def test_seg_lesion_round_trips(series, tmp_path) -> None:
    volume, images, lesion = series
    path = write_seg(tmp_path / "seg.dcm", [SegmentSpec("Lesion", lesion)], images)
    np.testing.assert_array_equal(mask_from_file(path, volume).array, lesion.array)


def test_ambiguous_or_foreign_structures_are_refused(series, tmp_path) -> None:
    volume, images, lesion = series
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in _paths(images)]
    two = write_rtstruct(
        tmp_path / "two.dcm",
        [
            Structure("A", lesion, interpreted_type="ORGAN"),
            Structure("B", lesion, interpreted_type="ORGAN"),
        ],
        headers,
    )
    with pytest.raises(CaseFileError, match="cannot tell which structure is the lesion"):
        mask_from_file(two, volume)
    for header in headers:
        header.FrameOfReferenceUID = "1.2.3.4"
    foreign = write_rtstruct(tmp_path / "foreign.dcm", [Structure("Lesion", lesion)], headers)
    with pytest.raises(CaseFileError, match=r"frame of reference 1\.2\.3\.4"):
        mask_from_file(foreign, volume)


def _paths(images) -> list[str]:
    return [image.filename for image in images]
