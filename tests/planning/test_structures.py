"""Extra named structures (the cord...): case-file schema, cord dose in the plan, exports."""

from __future__ import annotations

import csv
import functools
import io
import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.rtstruct import contours_to_mask, read_rtstruct
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, ellipsoid_mask
from planning.anatomy.structures import (
    CaseStructure,
    build_structure_mask,
    check_structure_name,
    file_slug,
    interpreted_type_for,
)
from planning.case import case_from_dict, case_to_dict, load_case, save_case
from planning.dose.images import load_plan_images
from planning.errors import CaseFileError
from planning.export.field_limits import field_csv_text, field_dict
from planning.export.plan_dicom import reference_volume, write_plan_dicom
from planning.plan import PlanResult, plan_case
from tests.planning.plan_fixtures import SAMPLES, TEST_GRID_MM, sample_case

STUDY = {"path": "."}
CORD_RADIUS_MM = 5.0


def _parse(structures, source: str = "c.spineplan.json"):
    return case_from_dict({"study": STUDY, "structures": structures}, source)


# -- schema ----------------------------------------------------------------------------------
def test_structures_parse_and_round_trip(tmp_path) -> None:
    case = _parse(
        [
            {"name": "Cord", "type": "mask", "path": "cord.nrrd"},
            {
                "name": "Bone metastasis",
                "type": "ellipsoid",
                "center_mm": [1, 2, 3],
                "radii_mm": [4, 5, 6],
                "interpreted_type": "gtv",
            },
        ]
    )
    cord, bone = case.structures
    assert cord == CaseStructure("Cord", MaskLesion("cord.nrrd"))
    assert cord.roi_type == "ORGAN" and cord.is_cord
    assert bone.shape == EllipsoidLesion((1.0, 2.0, 3.0), (4.0, 5.0, 6.0))
    assert bone.roi_type == "GTV" and not bone.is_cord
    saved = save_case(case, tmp_path / "x.spineplan.json")
    again = load_case(saved.source_path)
    assert again.structures == case.structures
    # omitted = none, and a case without structures is written without the key (older
    # readers refuse unknown fields)
    plain = case_from_dict({"study": STUDY})
    assert plain.structures == ()
    assert "structures" not in case_to_dict(plain)
    assert case_to_dict(again)["schema_version"] == 1


@pytest.mark.parametrize(
    ("structures", "message"),
    [
        ("cord", r"c\.spineplan\.json: structures: expected a list, got \"cord\""),
        ([{"type": "mask", "path": "a"}], r"structures\[0\]\.name: required field is missing"),
        ([{"name": " ", "type": "mask", "path": "a"}], r"structures\[0\]\.name: must not be"),
        (
            [{"name": "cord", "type": "mask", "path": "a"}, {"name": "CORD", "type": "mask"}],
            r"structures\[1\]\.name: 'CORD' is used twice",
        ),
        ([{"name": "Lesion", "type": "mask", "path": "a"}], r"structures\[0\]\.name: 'Lesion' is"),
        (
            [{"name": "x", "type": "seed", "point_mm": [0, 0, 0]}],
            r"structures\[0\]\.type: expected mask or ellipsoid, got \"seed\"",
        ),
        ([{"name": "x", "type": "mask"}], r"structures\[0\]\.path: required field is missing"),
        (
            [{"name": "x", "type": "ellipsoid", "center_mm": [0, 0, 0], "radii_mm": [1, 0, 1]}],
            r"structures\[0\]\.radii_mm\[1\]: expected a number greater than 0",
        ),
        (
            [{"name": "x", "type": "mask", "path": "a", "interpreted_type": "bone"}],
            r"structures\[0\]\.interpreted_type: expected one of ORGAN",
        ),
        (
            [{"name": "x", "type": "mask", "path": "a", "colour": "red"}],
            r"structures\[0\]\.colour: unknown field",
        ),
    ],
)
def test_malformed_structures_name_the_field(structures, message) -> None:
    with pytest.raises(CaseFileError, match=message):
        _parse(structures)


def test_names_types_and_file_names() -> None:
    assert interpreted_type_for("Spinal cord") == "ORGAN"
    assert interpreted_type_for("Oesophagus") == "ORGAN"
    assert interpreted_type_for("Bone metastasis") == "GTV"
    assert check_structure_name("  Cord ") == "Cord"
    with pytest.raises(Exception, match="used twice"):
        check_structure_name("cord", ["Cord"])
    with pytest.raises(Exception, match="reserved"):
        check_structure_name("field")
    assert file_slug("Bone metastasis (L1)") == "bone-metastasis-l1"


# -- the cord in a plan ----------------------------------------------------------------------
def _cord_mask_file(case, folder: Path) -> Path:
    """A cylinder of radius CORD_RADIUS_MM along z through the lesion centre, written as NRRD
    on the post-contrast series' grid (what the brush saves)."""
    images = load_plan_images(case)
    grid = images.lesion_volume
    cx, cy, _ = case.lesion.center_mm
    k, j, i = np.indices(grid.shape)
    points = grid.index_to_patient(np.column_stack([i.ravel(), j.ravel(), k.ravel()]))
    inside = (points[:, 0] - cx) ** 2 + (points[:, 1] - cy) ** 2 <= CORD_RADIUS_MM**2
    mask = grid.with_array(inside.reshape(grid.shape).astype(np.uint8))
    path = folder / "cord.nrrd"
    sitk.WriteImage(mask.to_sitk(), str(path), True)
    return path


@functools.cache
def _cord_plan(folder: str) -> PlanResult:
    base = sample_case(2)
    case = replace(
        base,
        study=replace(base.study, path=str(SAMPLES / "case2")),
        source_path=Path(folder) / "case2.spineplan.json",
    )
    mask_path = _cord_mask_file(case, Path(folder))
    case = replace(
        case,
        structures=(
            CaseStructure("cord", MaskLesion(mask_path.name, "painted")),
            CaseStructure(
                "Bone metastasis",
                EllipsoidLesion(
                    (case.lesion.center_mm[0], case.lesion.center_mm[1] - 25.0, -21.0),
                    (8.0, 8.0, 8.0),
                ),
            ),
        ),
    )
    save_case(case, case.source_path)
    return plan_case(load_case(case.source_path), grid_spacing_mm=TEST_GRID_MM)


@pytest.fixture(scope="module")
def cord_plan(tmp_path_factory) -> PlanResult:
    return _cord_plan(str(tmp_path_factory.mktemp("cord_case")))


def test_plan_reports_the_cord_dose(cord_plan) -> None:
    result = cord_plan
    cord = result.cord
    assert cord is not None and cord.name == "cord" and cord.interpreted_type == "ORGAN"
    stats = cord.stats
    assert stats is not None
    # the cylinder holds the lesion: its Dmax is at least the lesion's, in the usual range
    assert stats.dmax_gy >= result.lesion_stats.dmax_gy - 1e-6
    assert 95.0 <= stats.dmax_percent <= 115.0
    assert stats.dmax_gy == pytest.approx(float(result.dose_gy.array[cord.mask.array].max()))
    # the cord runs beyond the dose grid: only part of it is on the grid, and the plan says so
    assert 0.0 < cord.volume_in_dose_grid_percent < 100.0
    assert any(a.startswith("cord: ") and "on the dose grid" in a for a in result.assumptions)
    # the whole cord is about a cylinder of the series' height
    low, high = result.images.lesion_volume.bounds_mm()
    cylinder_cc = np.pi * CORD_RADIUS_MM**2 * float(high[2] - low[2]) / 1000.0
    assert cord.volume_cc == pytest.approx(cylinder_cc, rel=0.25)
    # its DVH starts at 100 % and reaches 0 at the maximum dose
    assert cord.dvh.volume_percent[0] == pytest.approx(100.0)
    assert cord.dvh.volume_percent[-1] == 0.0
    eqd2 = result.cord_dmax_eqd2_gy()
    d = stats.dmax_gy / result.prescription.fractions
    assert eqd2 == pytest.approx(stats.dmax_gy * (d + 2.0) / 4.0)
    # the other structure is a GTV with its own numbers
    bone = next(s for s in result.structure_doses if s.name == "Bone metastasis")
    assert bone.interpreted_type == "GTV" and bone.stats is not None


def test_field_json_and_csv_carry_the_cord(cord_plan) -> None:
    data = json.loads(json.dumps(field_dict(cord_plan)))
    cord = data["coverage"]["cord"]
    stats = cord_plan.cord.stats
    assert cord["structure"] == "cord" and cord["interpreted_type"] == "ORGAN"
    assert cord["dmax_gy"] == pytest.approx(stats.dmax_gy, abs=1e-3)
    assert cord["dmax_percent"] == pytest.approx(stats.dmax_percent, abs=0.01)
    assert cord["dmax_eqd2_gy"] == pytest.approx(cord_plan.cord_dmax_eqd2_gy(), abs=0.01)
    assert cord["eqd2_alpha_beta_gy"] == 2.0
    assert 0 < cord["volume_in_dose_grid_percent"] < 100
    assert [s["structure"] for s in data["coverage"]["structures"]] == ["cord", "Bone metastasis"]
    rows = list(csv.DictReader(io.StringIO(field_csv_text(cord_plan))))
    assert all(float(r["cord_dmax_gy"]) == cord["dmax_gy"] for r in rows)
    assert all(float(r["cord_dmax_percent"]) == cord["dmax_percent"] for r in rows)


def test_without_a_cord_the_outputs_say_nothing_of_it() -> None:
    from tests.planning.plan_fixtures import default_plan

    result = default_plan(2)
    assert result.cord is None and result.cord_dmax_eqd2_gy() is None
    data = field_dict(result)
    assert "cord" not in data["coverage"] and data["coverage"]["structures"] == []
    row = next(csv.DictReader(io.StringIO(field_csv_text(result))))
    assert row["cord_dmax_gy"] == "" and row["cord_dmax_percent"] == ""


def test_plan_rtstruct_has_the_cord_as_an_organ(cord_plan, tmp_path) -> None:
    export = write_plan_dicom(cord_plan, tmp_path)
    frame, rois = read_rtstruct(export.rtstruct)
    assert frame == cord_plan.images.lesion_series.frame_of_reference_uid
    by_name = {r.name: r for r in rois}
    assert {"Lesion", "Field", "cord", "Bone metastasis"} <= set(by_name)
    assert by_name["cord"].interpreted_type == "ORGAN"
    assert by_name["Bone metastasis"].interpreted_type == "GTV"
    # the whole cord, far beyond the dose grid, on the planes of the referenced (sagittal) MR
    grid = reference_volume(cord_plan)
    assert grid is cord_plan.images.lesion_volume
    back = contours_to_mask(by_name["cord"].contours, grid).array.astype(bool)
    mask = cord_plan.cord.mask_on(grid).array
    assert 2.0 * (back & mask).sum() / (back.sum() + mask.sum()) >= 0.9
    z = np.concatenate([c[:, 2] for c in by_name["cord"].contours])
    top, bottom = cord_plan.cord.z_range_mm()
    assert z.max() == pytest.approx(top, abs=2.0)
    assert z.min() == pytest.approx(bottom, abs=2.0)
    # the lesion's contours give back the lesion on the MR it was marked on
    lesion = contours_to_mask(by_name["Lesion"].contours, grid).array.astype(bool)
    truth = ellipsoid_mask(grid, cord_plan.case.lesion.center_mm, cord_plan.case.lesion.radii_mm)
    assert np.array_equal(lesion, truth.array)
    if shutil.which("dciodvfy"):
        run = subprocess.run(["dciodvfy", str(export.rtstruct)], capture_output=True, text=True)
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error")]
        assert errors == [], run.stderr


def test_structure_from_a_dicom_rtstruct_by_name(cord_plan, tmp_path) -> None:
    export = write_plan_dicom(cord_plan, tmp_path)
    reference = cord_plan.images.lesion_volume
    read = build_structure_mask(CaseStructure("CORD", MaskLesion(str(export.rtstruct))), reference)
    assert read.array.any()
    with pytest.raises(CaseFileError, match=r"structure 'Kidney'.*no structure named 'Kidney'"):
        build_structure_mask(CaseStructure("Kidney", MaskLesion(str(export.rtstruct))), reference)
    with pytest.raises(CaseFileError, match=r"structure 'Cord'.*Cord mask file not found"):
        build_structure_mask(CaseStructure("Cord", MaskLesion("missing.nrrd")), reference, tmp_path)


def test_a_missing_structure_file_is_bad_input(tmp_path) -> None:
    base = sample_case(2)
    case = replace(
        base,
        study=replace(base.study, path=str(SAMPLES / "case2")),
        structures=(CaseStructure("Cord", MaskLesion(str(tmp_path / "gone.nrrd"))),),
    )
    with pytest.raises(CaseFileError, match="structure 'Cord'"):
        plan_case(case, grid_spacing_mm=TEST_GRID_MM)
