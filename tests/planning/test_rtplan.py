"""RT Plan export: dciodvfy conformance and the beam geometry as written."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pydicom
import pytest
from pydicom.uid import generate_uid

from imaging.errors import GeometryError
from planning.export.rtplan import write_rtplan
from planning.field.beam import Beam
from tests.imaging.test_rtstruct import _sagittal_series


def _set_up(name: str, gantry_angle_deg: float, ssd_cm: float) -> Beam:
    beam = Beam(name, gantry_angle_deg, "Co60", (0.0, 10.0, -330.0), ssd_cm=ssd_cm)
    return beam.with_setup(
        jaw_x_sad_cm=(-4.0, 4.0),
        jaw_y_sad_cm=(-5.5, 6.25),
        ssd_cm=ssd_cm,
        isocentre_depth_cm=6.0,
        skin_entry_lps_mm=(0.0, 10.0, -330.0),
        source_lps_mm=(0.0, 10.0, -330.0),
        machine_isocentre_lps_mm=(1.0, 10.0, -330.0),
    ).with_meterset(1.21, "min", 2.0)


def _lateral_pair() -> list[Beam]:
    return [_set_up("LLAT", 90.0, 74.0), _set_up("RLAT", 270.0, 73.8)]


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
    # every RT Plan field comes from the one Beam: SSD, SAD, isocentre, machine, energy
    first = ds.BeamSequence[0]
    point = first.ControlPointSequence[0]
    assert float(point.SourceToSurfaceDistance) == 740.0
    assert [float(v) for v in point.IsocenterPosition] == [1.0, 10.0, -330.0]
    assert [float(v) for v in point.BeamLimitingDevicePositionSequence[0].LeafJawPositions] == [
        -40.0,
        40.0,
    ]
    assert float(point.NominalBeamEnergy) == 1.25
    assert float(first.SourceAxisDistance) == 800.0
    assert first.TreatmentMachineName == "Co-60 unit"
    referenced = ds.FractionGroupSequence[0].ReferencedBeamSequence[0]
    assert float(referenced.BeamMeterset) == 1.21
    assert float(referenced.BeamDose) == 2.0


def test_a_beam_not_set_up_or_without_meterset_is_refused(tmp_path) -> None:
    headers, _ = _sagittal_series()
    options = dict(structure_set_uid="1.2", prescription_gy=8.0, fractions=1)
    bare = Beam("PA", 180.0, "6MV", (0.0, 0.0, 0.0))
    with pytest.raises(GeometryError, match="not set up"):
        write_rtplan(tmp_path / "rp.dcm", [bare], headers, **options)
    no_meterset = _lateral_pair()[0].with_meterset(1.0, "MU", 1.0)
    no_meterset = replace(no_meterset, meterset=None)
    with pytest.raises(GeometryError, match="no meterset"):
        write_rtplan(tmp_path / "rp.dcm", [no_meterset], headers, **options)
    assert not (tmp_path / "rp.dcm").exists()


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
