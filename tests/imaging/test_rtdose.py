"""RT Dose export: exact geometry, dciodvfy conformance, and DVH agreement with dicompyler-core."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from pydicom.uid import generate_uid

from imaging.errors import GeometryError
from imaging.rtdose import read_rtdose, write_rtdose
from imaging.rtstruct import Structure, write_rtstruct
from imaging.volume import Volume
from planning.evaluation.coverage import dose_statistics
from tests.imaging.test_rtstruct import _sagittal_series, headers_of


def _axial_dose() -> Volume:
    """A dose falling off along y (posterior to anterior): 24 Gy at y = -30 mm, 16 Gy at +30."""
    affine = np.array([[2.0, 0, 0, -30.0], [0, 2.0, 0, -30.0], [0, 0, 2.5, -50.0], [0, 0, 0, 1.0]])
    k, j, _ = np.indices((41, 31, 31))
    y = -30.0 + 2.0 * j
    dose = (20.0 - y * 4.0 / 30.0) * np.ones_like(k)
    return Volume(array=dose.astype(np.float32), affine=affine)


def test_dose_round_trip(tmp_path) -> None:
    headers, _ = _sagittal_series()
    dose = _axial_dose()
    back = read_rtdose(
        write_rtdose(tmp_path / "rd.dcm", dose, headers, referenced_plan_uid=generate_uid())
    )
    assert back.same_grid(dose)
    step_gy = float(dose.array.max()) / 65535  # 16-bit storage
    np.testing.assert_allclose(back.array, dose.array, rtol=0, atol=step_gy)
    assert back.frame_of_reference_uid == headers[0].FrameOfReferenceUID


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_rtdose_passes_dciodvfy(tmp_path) -> None:
    headers, _ = _sagittal_series()
    path = write_rtdose(
        tmp_path / "rd.dcm", _axial_dose(), headers, referenced_plan_uid=generate_uid()
    )
    result = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert result.returncode == 0 and errors == [], result.stderr


def _dicompyler_dvhcalc():
    """dicompyler-core 0.5.6 still calls pydicom 2's ``read_file``; give it the new name."""
    import pydicom.dicomio

    if not hasattr(pydicom.dicomio, "read_file"):
        pydicom.dicomio.read_file = pydicom.dcmread
    return pytest.importorskip("dicompylercore.dvhcalc")


def test_v95_agrees_with_dicompyler_core(tmp_path) -> None:
    dvhcalc = _dicompyler_dvhcalc()
    dose = _axial_dose()
    # dicompyler-core reads axial contours only: the structure set references an axial series
    # on the dose grid's planes (a planning CT)
    headers = headers_of(dose)
    k, j, i = np.indices(dose.shape)
    points = dose.index_to_patient(np.stack([i, j, k], axis=-1))
    lesion = ((points - [0.0, 5.0, 0.0]) / [10.0, 14.0, 20.0]) ** 2
    lesion_mask = dose.with_array(lesion.sum(axis=-1) <= 1.0)
    prescription_gy = 20.0
    ours = dose_statistics(
        dose.array, lesion_mask.array, prescription_gy, voxel_volume_cc=2 * 2 * 2.5 / 1000
    )
    assert 20.0 < ours.v95_percent < 90.0  # the gradient makes the comparison meaningful
    rtstruct = write_rtstruct(tmp_path / "rs.dcm", [Structure("Lesion", lesion_mask)], headers)
    rtdose = write_rtdose(tmp_path / "rd.dcm", dose, headers, referenced_plan_uid=generate_uid())
    dvh = dvhcalc.get_dvh(str(rtstruct), str(rtdose), 1)
    relative = dvh.relative_volume
    relative.rx_dose = prescription_gy
    theirs = relative.volume_constraint(95).value
    assert theirs == pytest.approx(ours.v95_percent, abs=1.0)


def _rewritten(path, **values):
    import pydicom

    ds = pydicom.dcmread(path)
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    ds.save_as(path, enforce_file_format=True)
    return path


def test_absolute_frame_offsets_place_the_grid_where_relative_ones_do(tmp_path) -> None:
    # PS3.3 C.8.8.3.2: an axial RT Dose may give its frames' absolute z (first value = the z of
    # ImagePositionPatient); that grid used to be placed at twice its z.
    headers, _ = _sagittal_series()
    dose = _axial_dose()
    path = write_rtdose(tmp_path / "rd.dcm", dose, headers, referenced_plan_uid=generate_uid())
    z0 = float(dose.affine[2, 3])
    absolute = [z0 + 2.5 * k for k in range(dose.shape[0])]
    back = read_rtdose(_rewritten(path, GridFrameOffsetVector=absolute))
    assert back.same_grid(dose)


def test_offsets_neither_relative_nor_absolute_are_refused(tmp_path) -> None:
    headers, _ = _sagittal_series()
    dose = _axial_dose()
    path = write_rtdose(tmp_path / "rd.dcm", dose, headers, referenced_plan_uid=generate_uid())
    shifted = [7.0 + 2.5 * k for k in range(dose.shape[0])]
    with pytest.raises(GeometryError, match=r"rd\.dcm: GridFrameOffsetVector starts at 7"):
        read_rtdose(_rewritten(path, GridFrameOffsetVector=shifted))
