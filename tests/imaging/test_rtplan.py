"""RT Plan export: dciodvfy conformance and the beam geometry as written."""

from __future__ import annotations

import shutil
import subprocess

import pydicom
import pytest
from pydicom.uid import generate_uid

from imaging.errors import GeometryError
from imaging.rtplan import PlanBeam, write_rtplan
from tests.imaging.test_rtstruct import _sagittal_series


def _lateral_pair() -> list[PlanBeam]:
    common = dict(
        jaw_x_mm=(-40.0, 40.0),
        jaw_y_mm=(-55.0, 62.5),
        isocentre_mm=(0.0, 10.0, -330.0),
        meterset=1.21,
        nominal_energy_mv=1.25,
        source_axis_distance_mm=800.0,
        machine_name="Co60",
        dosimeter_unit="MINUTE",
    )
    return [
        PlanBeam(name="LLAT", gantry_angle_deg=90.0, ssd_mm=740.0, **common),
        PlanBeam(name="RLAT", gantry_angle_deg=270.0, ssd_mm=738.0, **common),
    ]


def test_plan_carries_beams_jaws_isocentre_and_prescription(tmp_path) -> None:
    headers, _ = _sagittal_series()
    structure_set_uid = generate_uid()
    path = write_rtplan(
        tmp_path / "rp.dcm",
        _lateral_pair(),
        headers,
        structure_set_uid=structure_set_uid,
        prescription_gy=20.0,
        fractions=5,
        target_point_mm=(0.0, 10.0, -330.0),
    )
    ds = pydicom.dcmread(path)
    assert [b.BeamName for b in ds.BeamSequence] == ["LLAT", "RLAT"]
    gantry = [float(b.ControlPointSequence[0].GantryAngle) for b in ds.BeamSequence]
    assert gantry == [90.0, 270.0]
    jaws = ds.BeamSequence[0].ControlPointSequence[0].BeamLimitingDevicePositionSequence
    assert [float(v) for v in jaws[1].LeafJawPositions] == [-55.0, 62.5]
    assert ds.BeamSequence[0].PrimaryDosimeterUnit == "MINUTE"
    assert ds.FractionGroupSequence[0].NumberOfFractionsPlanned == 5
    assert float(ds.DoseReferenceSequence[0].TargetPrescriptionDose) == 20.0
    assert ds.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID == structure_set_uid
    assert ds.FrameOfReferenceUID == headers[0].FrameOfReferenceUID


def test_a_plan_without_beams_is_refused(tmp_path) -> None:
    headers, _ = _sagittal_series()
    with pytest.raises(GeometryError, match="at least one beam"):
        write_rtplan(
            tmp_path / "rp.dcm",
            [],
            headers,
            structure_set_uid="1.2",
            prescription_gy=8.0,
            fractions=1,
        )
    assert not (tmp_path / "rp.dcm").exists()


@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dicom3tools not installed")
def test_rtplan_passes_dciodvfy(tmp_path) -> None:
    headers, _ = _sagittal_series()
    path = write_rtplan(
        tmp_path / "rp.dcm",
        _lateral_pair(),
        headers,
        structure_set_uid=generate_uid(),
        prescription_gy=20.0,
        fractions=5,
        target_point_mm=(0.0, 10.0, -330.0),
    )
    result = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, check=False)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert result.returncode == 0 and errors == [], result.stderr


def test_set_up_technique_is_fixed_ssd_unless_asked(tmp_path) -> None:
    headers, _ = _sagittal_series()
    options = dict(structure_set_uid=generate_uid(), prescription_gy=20.0, fractions=5)
    ssd = pydicom.dcmread(write_rtplan(tmp_path / "a.dcm", _lateral_pair(), headers, **options))
    assert ssd.PatientSetupSequence[0].SetupTechnique == "FIXED_SSD"
    iso = pydicom.dcmread(
        write_rtplan(
            tmp_path / "b.dcm", _lateral_pair(), headers, setup_technique="ISOCENTRIC", **options
        )
    )
    assert iso.PatientSetupSequence[0].SetupTechnique == "ISOCENTRIC"
