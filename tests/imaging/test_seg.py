"""DICOM SEG of the lesion through highdicom: written, read back onto the series grid."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from imaging.seg import SegmentSpec, read_seg, write_seg
from tests.imaging.test_rtstruct import _ellipsoid, _sagittal_series


def _full_images():
    headers, volume = _sagittal_series()
    for n, ds in enumerate(headers, start=1):
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "MR", 3, n
        ds.Rows, ds.Columns = volume.shape[1:]
        ds.PixelSpacing, ds.SliceThickness = [1.5, 1.5], 3.0
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = np.zeros(volume.shape[1:], dtype=np.uint16).tobytes()
        ds.Manufacturer, ds.StudyTime, ds.SeriesDate = "test", "120000", "20260101"
        ds.PositionReferenceIndicator = ""
    return headers, volume


def test_seg_round_trip_is_exact_on_the_series_grid(tmp_path) -> None:
    images, volume = _full_images()
    lesion = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))
    path = write_seg(tmp_path / "seg.dcm", [SegmentSpec("Lesion", lesion)], images)
    masks = read_seg(path, volume)
    assert list(masks) == ["Lesion"]
    np.testing.assert_array_equal(masks["Lesion"].array, lesion.array)


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_seg_passes_dciodvfy(tmp_path) -> None:
    images, volume = _full_images()
    lesion = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))
    path = write_seg(tmp_path / "seg.dcm", [SegmentSpec("Lesion", lesion)], images)
    result = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert result.returncode == 0 and errors == [], result.stderr
