"""A planning CT of another study (issue 11): the case file's ``planning_ct``, and the plan made
on the CT through the rigid matrix (sample case 4: its PLANNING_CT is another study and frame
of reference, with a known transform of 4.2 degrees and a table offset)."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from imaging import discover
from imaging.spatial_registration import registered_series, write_spatial_registration
from planning.anatomy.lesion import ellipsoid_mask
from planning.case import case_from_dict, case_to_dict, load_case, save_case
from planning.case.planning_ct import rigid_matrix
from planning.dose.images import load_plan_images
from planning.dose.plan_geometry import plan_geometry
from planning.errors import CaseFileError, PlanningError
from planning.export.field_limits import field_dict
from planning.plan import plan_case
from sample_dicom._generator.cases import CASES, build_case
from tests.planning.plan_fixtures import SAMPLES, TEST_GRID_MM, default_plan, sample_case

CASE4 = SAMPLES / "case4" / "reference.spineplan.json"


def _case_data() -> dict:
    return json.loads(CASE4.read_text())


def _rotation(deg: float) -> np.ndarray:
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])


# -- the case file --------------------------------------------------------------------------
def test_planning_ct_round_trips(tmp_path: Path) -> None:
    case = load_case(CASE4)
    assert case.planning_ct is not None and case.planning_ct.path == "PLANNING_CT"
    matrix = case.planning_ct.matrix
    assert matrix is not None and matrix.shape == (4, 4)
    saved = save_case(case, tmp_path / "copy.spineplan.json")
    again = load_case(saved.source_path)
    assert again.planning_ct == case.planning_ct
    assert case_to_dict(again)["planning_ct"] == _case_data()["planning_ct"]
    # a case without a planning CT writes none (older spineplan versions read it)
    assert "planning_ct" not in case_to_dict(replace(case, planning_ct=None))


def test_a_registration_file_is_kept(tmp_path: Path) -> None:
    data = _case_data()
    data["planning_ct"]["registration"] = {"path": "reg.dcm"}
    case = case_from_dict(data, "c.spineplan.json")
    assert case.planning_ct.registration_path == "reg.dcm" and case.planning_ct.matrix is None
    assert case_to_dict(case)["planning_ct"]["registration"] == {"path": "reg.dcm"}


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], "expected 4 rows of 4 numbers, got 3"),
        ([[1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], r"matrix_mm\[0\]: expected 4"),
        ([[1, 0, 0, "x"], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "expected a number"),
        ([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]], "last row must be 0 0 0 1"),
        ([[1.05, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "a scaling or shear"),
        ([[1, 0.1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "a scaling or shear"),
        ([[-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], "a mirror"),
    ],
)
def test_a_matrix_that_is_not_rigid_is_refused(matrix, expected: str) -> None:
    data = _case_data()
    data["planning_ct"]["registration"] = {"matrix_mm": matrix}
    with pytest.raises(CaseFileError, match=r"c\.spineplan\.json: planning_ct\.registration"):
        case_from_dict(data, "c.spineplan.json")
    with pytest.raises(CaseFileError, match=expected):
        case_from_dict(data, "c.spineplan.json")


def test_a_rotation_rounded_to_six_decimals_is_rigid() -> None:
    matrix = np.eye(4)
    matrix[:3, :3] = np.round(_rotation(3.7), 6)
    assert np.array_equal(rigid_matrix(matrix.tolist()), matrix)
    with pytest.raises(PlanningError, match="scaling or shear"):
        rigid_matrix((np.diag([1.01, 1.0, 1.0, 1.0])).tolist())


def test_registration_needs_a_matrix_or_a_path_not_both() -> None:
    data = _case_data()
    data["planning_ct"]["registration"]["path"] = "reg.dcm"
    with pytest.raises(CaseFileError, match='either "matrix_mm"'):
        case_from_dict(data, "c.spineplan.json")


# -- finding the planning CT ------------------------------------------------------------------
def _copy_case4(tmp_path: Path, change) -> Path:
    """Case 4's case file in ``tmp_path`` (absolute paths to its images), ``change`` applied."""
    data = copy.deepcopy(_case_data())
    data["study"]["path"] = str(SAMPLES / "case4")
    data["planning_ct"]["path"] = str(SAMPLES / "case4" / "PLANNING_CT")
    change(data)
    path = tmp_path / "case4.spineplan.json"
    path.write_text(json.dumps(data))
    return path


def test_a_ct_in_another_frame_without_registration_names_both_frames(tmp_path: Path) -> None:
    path = _copy_case4(tmp_path, lambda d: d["planning_ct"].pop("registration"))
    case = load_case(path)
    mr_frame = case.study.frame_of_reference_uid
    with pytest.raises(CaseFileError) as raised:
        load_plan_images(case)
    message = str(raised.value)
    assert mr_frame in message and "planning_ct.registration" in message
    assert "not in the MR's frame" in message


def _write_reg(tmp_path: Path, matrix: np.ndarray, *, mr_case: int = 4) -> Path:
    """A DICOM Spatial Registration from sample case ``mr_case``'s MR onto case 4's CT."""
    mr = next(s for s in discover(SAMPLES / f"case{mr_case}").series if s.modality == "MR")
    ct = next(s for s in discover(SAMPLES / "case4" / "PLANNING_CT").series)
    return write_spatial_registration(
        tmp_path / "reg.dcm", matrix, fixed=registered_series(ct), moving=registered_series(mr)
    )


def test_a_registration_file_plans_like_its_matrix(tmp_path: Path) -> None:
    matrix = sample_case(4).planning_ct.matrix
    _write_reg(tmp_path, matrix)
    path = _copy_case4(
        tmp_path, lambda d: d["planning_ct"].update(registration={"path": "reg.dcm"})
    )
    from_file = plan_geometry(load_case(path))
    from_matrix = plan_geometry(sample_case(4))
    assert from_file.field.superior_border_z_mm == pytest.approx(
        from_matrix.field.superior_border_z_mm, abs=1e-3
    )
    assert from_file.field.inferior_border_z_mm == pytest.approx(
        from_matrix.field.inferior_border_z_mm, abs=1e-3
    )
    assert any("DICOM Spatial Registration reg.dcm" in note for note in from_file.assumptions)


def test_a_registration_file_of_other_frames_is_refused_naming_them(tmp_path: Path) -> None:
    _write_reg(tmp_path, sample_case(4).planning_ct.matrix, mr_case=2)
    path = _copy_case4(
        tmp_path, lambda d: d["planning_ct"].update(registration={"path": "reg.dcm"})
    )
    case = load_case(path)
    with pytest.raises(CaseFileError, match=r"planning_ct\.registration\.path") as raised:
        load_plan_images(case)
    assert case.study.frame_of_reference_uid in str(raised.value)


def test_an_unreadable_registration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "reg.dcm").write_bytes(b"not a registration")
    path = _copy_case4(
        tmp_path, lambda d: d["planning_ct"].update(registration={"path": "reg.dcm"})
    )
    with pytest.raises(CaseFileError, match=r"planning_ct\.registration\.path: .*reg\.dcm"):
        load_plan_images(load_case(path))


def test_a_missing_planning_ct_is_named(tmp_path: Path) -> None:
    path = _copy_case4(tmp_path, lambda d: d["planning_ct"].update(path="NO_SUCH_CT"))
    with pytest.raises(CaseFileError, match=r"planning_ct\.path: .*NO_SUCH_CT does not exist"):
        load_plan_images(load_case(path))


def test_a_ct_of_another_patient_is_warned_in_the_plan(tmp_path: Path) -> None:
    # the MR's PatientID changed on a copy of the MR series
    folder = tmp_path / "case4"
    shutil.copytree(SAMPLES / "case4", folder, ignore=shutil.ignore_patterns("T2_SAG", "T1C_AX"))
    import pydicom

    for file in (folder / "T1C_SAG").glob("*.dcm"):
        ds = pydicom.dcmread(file)
        ds.PatientID = "SOMEONE-ELSE"
        ds.save_as(file)
    case = load_case(folder / "reference.spineplan.json")
    images = load_plan_images(case)
    (warning,) = images.warnings
    assert "PatientID (SPL-0004) differs from the MR's (SOMEONE-ELSE)" in warning
    # ... and it reaches the plan's warnings (the Plan panel, spineplan plan, field.json)
    from planning.dose.plan_geometry import plan_geometry

    assert warning in plan_geometry(case, images=images).warnings


# -- the plan on the CT -----------------------------------------------------------------------
def test_the_plan_is_in_the_ct_frame() -> None:
    result = default_plan(4)
    images = result.images
    assert images.on_registered_ct and images.export_series.modality == "CT"
    ct_frame = images.ct.frame_of_reference_uid
    assert ct_frame != sample_case(4).study.frame_of_reference_uid
    assert result.dose_gy.frame_of_reference_uid == ct_frame
    assert result.density.volume.frame_of_reference_uid == ct_frame
    assert result.lesion_native_mask.same_grid(images.ct)
    data = field_dict(result)
    assert data["frame_of_reference_uid"] == ct_frame
    assert data["study_instance_uid"] == images.export_series.study_instance_uid
    registration = data["registration"]
    assert registration["mr_frame_of_reference_uid"] == sample_case(4).study.frame_of_reference_uid
    assert np.allclose(registration["matrix_mm"], sample_case(4).planning_ct.matrix)
    # every mapping is stated
    notes = " ".join(result.assumptions)
    assert "registration: the MR" in notes and "resampled from the MR onto the CT grid" in notes
    assert "planes through the spinal canal" in notes


def test_mr_only_and_ct_plans_give_the_same_levels() -> None:
    on_ct = default_plan(4)
    mr_only = plan_case(replace(sample_case(4), planning_ct=None), grid_spacing_mm=TEST_GRID_MM)
    assert mr_only.images.registration is None
    assert on_ct.lesion_levels.names == mr_only.lesion_levels.names == ("T4", "T5", "T6")
    assert (on_ct.field.superior_level, on_ct.field.inferior_level) == (
        mr_only.field.superior_level,
        mr_only.field.inferior_level,
    )
    assert on_ct.field.superior_border_description == mr_only.field.superior_border_description
    assert on_ct.field.length_mm == pytest.approx(mr_only.field.length_mm, abs=1.0)
    # the ellipsoid keeps its volume on the CT's voxels (3 mm slices); the MR's sagittal slices,
    # 4 mm apart across an 8 mm nodule, hold less; each plan counts the voxels its RT Structure
    # Set outlines and names its grid, the formula's volume beside
    assert on_ct.lesion.volume_basis == "on the planning CT grid"
    assert mr_only.lesion.volume_basis == "on the MR grid"
    assert on_ct.lesion.formula_volume_cc == mr_only.lesion.formula_volume_cc
    assert on_ct.lesion.volume_cc == pytest.approx(on_ct.lesion.formula_volume_cc, rel=0.05)
    assert mr_only.lesion.volume_cc == pytest.approx(1.098, abs=0.001)
    # the borders in field.json mapped back onto the MR are the MR-only plan's
    registration = field_dict(on_ct)["registration"]
    assert registration["mr_superior_border_z_mm"] == pytest.approx(
        mr_only.field.superior_border_z_mm, abs=0.5
    )
    assert registration["mr_inferior_border_z_mm"] == pytest.approx(
        mr_only.field.inferior_border_z_mm, abs=0.5
    )


def test_the_borders_land_where_they_belong_on_the_ct() -> None:
    """Truth from the generator's anatomy: the middle of the T2-3 and T7-8 discs on the cord,
    carried onto the CT by the known transform; the plan's borders within 2 mm of them, and
    the isocentre at the lesion centre on the CT."""
    result = default_plan(4)
    model = build_case(CASES[3])
    spine = model.spine
    levels = {name: (sup, inf) for name, sup, inf in model.levels}
    matrix = sample_case(4).planning_ct.matrix

    def on_ct(z_mr: float) -> float:
        x, y = spine.cord_center(z_mr)
        return float((matrix @ [x, y, z_mr, 1.0])[2])

    superior = on_ct(0.5 * (levels["T2"][1] + levels["T3"][0]))
    inferior = on_ct(0.5 * (levels["T7"][1] + levels["T8"][0]))
    assert result.field.superior_border_z_mm == pytest.approx(superior, abs=2.0)
    assert result.field.inferior_border_z_mm == pytest.approx(inferior, abs=2.0)
    lesion = np.append(model.phantom.pathology.lesion.center_mm, 1.0)
    centre_ct = (matrix @ lesion)[:3]
    assert np.allclose(result.lesion.centroid_mm, centre_ct, atol=2.0)
    assert np.allclose(result.field.isocentre_mm[:2], centre_ct[:2], atol=2.0)


def test_a_mask_lesion_on_the_mr_is_resampled_onto_the_ct(tmp_path: Path) -> None:
    # the lesion as a mask file on the sagittal T1+C (as painted), carried onto the CT
    case = sample_case(4)
    images = load_plan_images(case)
    on_mr = ellipsoid_mask(images.lesion_volume, case.lesion.center_mm, case.lesion.radii_mm)
    sitk.WriteImage(
        on_mr.with_array(on_mr.array.astype(np.uint8)).to_sitk(), str(tmp_path / "lesion.nrrd")
    )
    path = _copy_case4(tmp_path, lambda d: d.update(lesion={"type": "mask", "path": "lesion.nrrd"}))
    result = plan_case(load_case(path), grid_spacing_mm=TEST_GRID_MM)
    assert result.images.on_registered_ct and result.lesion_native_mask.same_grid(images.ct)
    assert result.lesion_levels.names == ("T4", "T5", "T6")
    mr_cc = float(on_mr.array.sum()) * float(np.prod(on_mr.spacing_mm)) / 1000.0
    assert result.lesion.volume_cc == pytest.approx(mr_cc, rel=0.10)
    assert result.coverage_pass


def test_a_lesion_smaller_than_a_ct_voxel_is_its_nearest_voxel(tmp_path: Path) -> None:
    def tiny(data: dict) -> None:
        data["lesion"]["radii_mm"] = [0.4, 0.4, 0.4]

    result = plan_case(load_case(_copy_case4(tmp_path, tiny)), grid_spacing_mm=TEST_GRID_MM)
    assert int(result.lesion_native_mask.array.sum()) == 1
    assert any("nearest its mapped centre" in a for a in result.assumptions)


def test_a_lesion_outside_the_ct_is_refused(tmp_path: Path) -> None:
    # a table offset 400 mm off puts the lesion outside the CT's field of view
    def shift(data: dict) -> None:
        data["planning_ct"]["registration"]["matrix_mm"][0][3] += 400.0

    with pytest.raises(PlanningError, match="lies outside the planning CT"):
        plan_case(load_case(_copy_case4(tmp_path, shift)), grid_spacing_mm=TEST_GRID_MM)


def test_the_report_says_the_plan_is_on_the_ct() -> None:
    from planning.export.report.tables import case_rows

    rows = dict((row[0], row[1]) for row in case_rows(default_plan(4)))
    assert rows["Planned on"].startswith("planning CT 'RT PLANNING CT THORAX'")
    assert "CT coordinate" in rows["Planned on"]
    assert "Planned on" not in dict((r[0], r[1]) for r in case_rows(default_plan(2)))


def test_the_field_limits_without_dose_are_on_the_ct_too() -> None:
    from planning.dose.plan_geometry import plan_geometry
    from planning.export.field_limits import field_limits_document, field_limits_text

    document = field_limits_document(plan_geometry(sample_case(4)))
    assert document["frame_of_reference_uid"] == default_plan(4).images.plan_frame_uid
    text = field_limits_text(document)
    registration = document["registration"]
    assert (
        f"on the MR the borders are z {registration['mr_superior_border_z_mm']:.1f} / "
        f"{registration['mr_inferior_border_z_mm']:.1f} mm"
    ) in text
    assert f"superior border: z {document['field']['superior_border_z_mm']:.1f} mm" in text
