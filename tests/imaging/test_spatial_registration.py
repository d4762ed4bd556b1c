"""DICOM Spatial Registration objects: round trip, dciodvfy, other systems' REGs, refusals."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    DeformableSpatialRegistrationStorage,
    ExplicitVRLittleEndian,
    SpatialRegistrationStorage,
)

import imaging
from imaging.errors import SpatialRegistrationError, UnreadableFileError
from imaging.spatial_registration import (
    RegisteredSeries,
    read_spatial_registration,
    registered_series,
    write_spatial_registration,
)
from tests.dicom_builders import uid, write_garbage_file, write_series
from tests.registration_phantoms import rotation_matrix


def rigid(angles_deg: tuple[float, float, float], shift_mm: tuple[float, float, float]):
    matrix = np.eye(4)
    matrix[:3, :3] = rotation_matrix(angles_deg)
    matrix[:3, 3] = shift_mm
    return matrix


MATRIX = rigid((2.5, -3.0, 4.0), (12.25, -310.5, 845.125))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[RegisteredSeries, RegisteredSeries]:
    folder = tmp_path_factory.mktemp("reg")
    mr = write_series(folder / "mr", orientation="sagittal", shape=(3, 8, 6), series_number=5)
    ct = write_series(
        folder / "ct", orientation="axial", shape=(4, 8, 8), modality="CT", series_number=2
    )
    found = imaging.discover(folder)
    by_uid = {s.series_instance_uid: s for s in found.series}
    moving = registered_series(by_uid[mr.series_instance_uid])
    fixed = registered_series(by_uid[ct.series_instance_uid])
    assert moving.frame_of_reference_uid != fixed.frame_of_reference_uid
    assert moving.study_instance_uid != fixed.study_instance_uid
    return moving, fixed


def test_round_trip(pair: tuple[RegisteredSeries, RegisteredSeries], tmp_path: Path) -> None:
    moving, fixed = pair
    path = write_spatial_registration(tmp_path / "reg.dcm", MATRIX, fixed=fixed, moving=moving)
    assert [p.name for p in tmp_path.iterdir()] == ["reg.dcm"]  # no temporary file left
    back = read_spatial_registration(
        path,
        moving_frame_of_reference_uid=moving.frame_of_reference_uid,
        fixed_frame_of_reference_uid=fixed.frame_of_reference_uid,
    )
    assert np.allclose(back, MATRIX, atol=1e-6, rtol=0)
    # The other way round is the inverse.
    inverse = read_spatial_registration(
        path,
        moving_frame_of_reference_uid=fixed.frame_of_reference_uid,
        fixed_frame_of_reference_uid=moving.frame_of_reference_uid,
    )
    assert np.allclose(inverse, np.linalg.inv(MATRIX), atol=1e-6)
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == SpatialRegistrationStorage
    assert ds.Modality == "REG"
    assert ds.FrameOfReferenceUID == fixed.frame_of_reference_uid
    assert ds.StudyInstanceUID == fixed.study_instance_uid
    assert ds.PatientID == fixed.header.PatientID
    assert ds.SeriesInstanceUID not in (fixed.series_instance_uid, moving.series_instance_uid)
    items = ds.RegistrationSequence
    assert items[0].FrameOfReferenceUID == fixed.frame_of_reference_uid
    matrix = items[1].MatrixRegistrationSequence[0].MatrixSequence[0]
    assert matrix.FrameOfReferenceTransformationMatrixType == "RIGID"
    assert len(items[1].ReferencedImageSequence) == len(moving.images)
    other = ds.StudiesContainingOtherReferencedInstancesSequence[0]
    assert other.StudyInstanceUID == moving.study_instance_uid


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) not installed")
def test_dciodvfy_reports_no_errors_or_warnings(
    pair: tuple[RegisteredSeries, RegisteredSeries], tmp_path: Path
) -> None:
    moving, fixed = pair
    path = write_spatial_registration(tmp_path / "reg.dcm", MATRIX, fixed=fixed, moving=moving)
    run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    assert "SpatialRegistration" in output.replace(" ", "")  # the IOD was recognised
    problems = [line for line in output.splitlines() if line.startswith(("Error", "Warning"))]
    assert problems == [], output


def test_refuses_a_matrix_that_is_not_rigid(
    pair: tuple[RegisteredSeries, RegisteredSeries], tmp_path: Path
) -> None:
    moving, fixed = pair
    scaled = MATRIX.copy()
    scaled[:3, :3] *= 1.1
    with pytest.raises(SpatialRegistrationError, match="not rigid"):
        write_spatial_registration(tmp_path / "reg.dcm", scaled, fixed=fixed, moving=moving)
    assert list(tmp_path.iterdir()) == []


def _matrix_item(matrix: np.ndarray, kind: str) -> Dataset:
    item = Dataset()
    item.FrameOfReferenceTransformationMatrixType = kind
    item.FrameOfReferenceTransformationMatrix = [f"{v:.10g}" for v in matrix.ravel()]
    return item


def _foreign_reg(
    path: Path,
    registered_frame: str,
    items: list[tuple[str, list[np.ndarray], str]],
    sop_class: str = SpatialRegistrationStorage,
) -> Path:
    """A REG written the way another system might: explicit frames and matrix lists."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "REG"
    ds.FrameOfReferenceUID = registered_frame
    sequence = []
    for frame, matrices, kind in items:
        item = Dataset()
        item.FrameOfReferenceUID = frame
        registration = Dataset()
        registration.MatrixSequence = DicomSequence([_matrix_item(m, kind) for m in matrices])
        item.MatrixRegistrationSequence = DicomSequence([registration])
        sequence.append(item)
    ds.RegistrationSequence = DicomSequence(sequence)
    ds.save_as(path, enforce_file_format=True)
    return path


def test_slicer_style_reg_fixed_identity_last(tmp_path: Path) -> None:
    """3D Slicer style: registered frame = fixed; moving item first; matrix as two steps."""
    fixed, moving = uid(), uid()
    first = rigid((0.0, 0.0, 3.0), (0.0, 0.0, 0.0))  # applied first
    second = rigid((1.0, -2.0, 0.0), (5.0, -40.0, 700.0))
    path = _foreign_reg(
        tmp_path / "slicer.dcm",
        fixed,
        [(moving, [first, second], "RIGID_SCALE"), (fixed, [np.eye(4)], "RIGID")],
    )
    matrix = read_spatial_registration(
        path, moving_frame_of_reference_uid=moving, fixed_frame_of_reference_uid=fixed
    )
    assert np.allclose(matrix, second @ first, atol=1e-6)


def test_tps_style_reg_in_a_third_frame(tmp_path: Path) -> None:
    """Both frames mapped into a third (e.g. an atlas): moving -> fixed = inv(A_f) @ A_m."""
    fixed, moving, atlas = uid(), uid(), uid()
    a_fixed = rigid((0.5, 0.0, -1.0), (3.0, 2.0, 1.0))
    a_moving = rigid((-2.0, 1.0, 0.0), (-8.0, 30.0, -500.0))
    path = _foreign_reg(
        tmp_path / "tps.dcm",
        atlas,
        [(fixed, [a_fixed], "RIGID"), (moving, [a_moving], "RIGID")],
    )
    matrix = read_spatial_registration(
        path, moving_frame_of_reference_uid=moving, fixed_frame_of_reference_uid=fixed
    )
    assert np.allclose(matrix, np.linalg.inv(a_fixed) @ a_moving, atol=1e-6)


def test_registered_frame_without_its_own_item(tmp_path: Path) -> None:
    fixed, moving = uid(), uid()
    path = _foreign_reg(tmp_path / "short.dcm", fixed, [(moving, [MATRIX], "RIGID")])
    matrix = read_spatial_registration(
        path, moving_frame_of_reference_uid=moving, fixed_frame_of_reference_uid=fixed
    )
    assert np.allclose(matrix, MATRIX, atol=1e-6)


def test_deformable_reg_is_refused(tmp_path: Path) -> None:
    fixed, moving = uid(), uid()
    path = _foreign_reg(
        tmp_path / "deformable.dcm",
        fixed,
        [(moving, [MATRIX], "RIGID")],
        sop_class=DeformableSpatialRegistrationStorage,
    )
    with pytest.raises(SpatialRegistrationError, match="Deformable Spatial Registration"):
        read_spatial_registration(
            path, moving_frame_of_reference_uid=moving, fixed_frame_of_reference_uid=fixed
        )


def test_garbage_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_garbage_file(tmp_path / "junk.dcm")
    with pytest.raises(UnreadableFileError, match=r"junk\.dcm"):
        read_spatial_registration(
            path, moving_frame_of_reference_uid=uid(), fixed_frame_of_reference_uid=uid()
        )


def test_frame_mismatch_is_refused_naming_both_frames(tmp_path: Path) -> None:
    fixed, moving = uid(), uid()
    path = _foreign_reg(tmp_path / "reg.dcm", fixed, [(moving, [MATRIX], "RIGID")])
    other_moving, other_fixed = uid(), uid()
    with pytest.raises(SpatialRegistrationError) as error:
        read_spatial_registration(
            path,
            moving_frame_of_reference_uid=other_moving,
            fixed_frame_of_reference_uid=other_fixed,
        )
    message = str(error.value)
    assert other_moving in message and other_fixed in message and moving in message
