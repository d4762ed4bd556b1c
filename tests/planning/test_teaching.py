"""Teaching export: no identifier survives in any file, the copy loads, the case plans the same."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from imaging import discover, load_series
from imaging.errors import BurnedInAnnotationError, ImagingError
from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, build_lesion_mask, ellipsoid_mask
from planning.anatomy.structures import CaseStructure
from planning.case import Case, StudyReference, check_study, load_case, save_case
from planning.dose.plan_geometry import plan_geometry
from planning.errors import CaseFileError
from planning.field.derivation import derive_case_field
from planning.practice.teaching import export_case_for_teaching, teaching_burned_in_images
from tests.dicom_builders import write_series
from tests.identifiers_corpus import identified_case_copy, planted_in
from tests.planning.synthetic_spine import TOP_Z_MM, disc_middle, spine

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
IDENTIFIERS = {
    "PatientName": "DOE^JANE",
    "PatientID": "MRN-0042",
    "PatientBirthDate": "19580317",
    "OtherPatientIDs": "ALT-777",
    "InstitutionName": "St Elsewhere",
}
# The spine placed so that the T10-11 disc sits at z = 0, inside the synthetic images.
LEVELS = spine(top_z_mm=TOP_Z_MM - disc_middle(spine(), "T10", "T11"))


def _all_dicom_values(path: Path) -> list[str]:
    ds = pydicom.dcmread(path)
    return [str(e.value) for e in ds.iterall() if e.keyword != "PixelData"]


def _assert_no_identifier_anywhere(folder: Path, identifiers) -> int:
    """Read every element of every DICOM file and the bytes of every other file."""
    checked = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".dcm":
            values = _all_dicom_values(path)
            for original in identifiers:
                assert not any(original in v for v in values), (path, original)
            checked += 1
        else:
            text = path.read_bytes().decode("latin-1")
            for original in identifiers:
                assert original not in text, (path, original)
    return checked


@pytest.fixture
def study_case(tmp_path) -> Case:
    """A sagittal post-contrast series with identifiers, and a case file beside it."""
    folder = tmp_path / "DOE_JANE_study"
    t1 = write_series(
        folder / "t1c",
        shape=(8, 80, 30),
        orientation="sagittal",
        pixel_spacing_mm=(1.0, 1.0),
        origin_mm=(12.0, -15.0, 40.0),
        series_description="T1 SAG +C",
        **IDENTIFIERS,
    )
    write_series(
        folder / "t2",
        shape=(8, 80, 30),
        orientation="sagittal",
        pixel_spacing_mm=(1.0, 1.0),
        origin_mm=(12.0, -15.0, 40.0),
        series_number=2,
        series_description="T2 SAG",
        study_instance_uid=t1.study_instance_uid,
        frame_of_reference_uid=t1.frame_of_reference_uid,
        **IDENTIFIERS,
    )
    assert all(v in _all_dicom_values(t1.paths[0]) for v in IDENTIFIERS.values())  # has teeth
    case = Case(
        study=StudyReference("DOE_JANE_study", t1.study_instance_uid, t1.frame_of_reference_uid),
        levels=LEVELS,
        lesion=EllipsoidLesion((0.0, 0.0, 0.0), (4.0, 4.0, 9.0)),
        edema=EdemaLimits(30.0, -35.0),
        reference=True,
        description="Jane Doe, MRN-0042, seen at St Elsewhere",
        findings=(
            "DOE^JANE also has a bone metastasis",
            {"type": "bone_metastasis", "level": "L1"},
        ),
    )
    return save_case(case, tmp_path / "DOE_JANE.spineplan.json")


def test_export_keeps_no_identifier_and_plans_the_same(study_case: Case, tmp_path) -> None:
    out = tmp_path / "teaching"
    export = export_case_for_teaching(study_case.source_path, out, seed="test")  # type: ignore[arg-type]
    assert export.case_path == out / "reference.spineplan.json"
    assert _assert_no_identifier_anywhere(out, IDENTIFIERS.values()) == 16
    for path in out.rglob("*.dcm"):
        assert pydicom.dcmread(path).PatientIdentityRemoved == "YES"

    # The copy loads in spineplan and the case finds it by its new UIDs.
    exported = load_case(export.case_path)
    assert exported.study.path == "."
    assert exported.study.study_instance_uid != study_case.study.study_instance_uid
    assert exported.study.frame_of_reference_uid != study_case.study.frame_of_reference_uid
    series = check_study(exported)
    assert {s.description for s in series} == {"T1 SAG +C", "T2 SAG"}
    assert {s.frame_of_reference_uid for s in discover(out).series} == {
        exported.study.frame_of_reference_uid
    }
    post = next(s for s in series if "+C" in s.description)
    volume = load_series(post)
    original = load_series(next(s for s in check_study(study_case) if "+C" in s.description))
    assert volume.same_grid(original)
    assert np.array_equal(volume.array, original.array)

    # Same mask, same field: identical borders, levels and arrangement.
    mask_new = build_lesion_mask(exported.lesion, volume)  # type: ignore[arg-type]
    mask_old = build_lesion_mask(study_case.lesion, original)  # type: ignore[arg-type]
    assert np.array_equal(mask_new.array, mask_old.array) and mask_new.array.any()
    for new, old in (
        (derive_case_field(exported), derive_case_field(study_case)),
        (derive_case_field(exported, mask_new), derive_case_field(study_case, mask_old)),
    ):
        assert new.superior_border_z_mm == old.superior_border_z_mm
        assert new.inferior_border_z_mm == old.inferior_border_z_mm
        assert (new.superior_level, new.inferior_level) == (old.superior_level, old.inferior_level)
        assert new.arrangement == old.arrangement
    assert derive_case_field(exported).levels_words() == "T9-T12"

    # Free text is dropped and reported; the structured finding stays.
    assert exported.description == ""
    assert exported.findings == ({"type": "bone_metastasis", "level": "L1"},)
    lines = "\n".join(export.summary_lines())
    assert "description: removed" in lines and "1 free-text entry removed" in lines
    assert "replaced PatientName (16 files)" in lines
    assert "study.frame_of_reference_uid: replaced" in lines


def test_mask_lesion_is_rewritten_without_metadata(study_case: Case, tmp_path) -> None:
    volume = load_series(next(s for s in check_study(study_case) if "+C" in s.description))
    mask = ellipsoid_mask(volume, (0.0, 0.0, 0.0), (4.0, 4.0, 9.0))
    image = mask.with_array(mask.array.astype(np.uint8)).to_sitk()
    image.SetMetaData("PatientName", "DOE^JANE")
    sitk.WriteImage(image, str(tmp_path / "DOE_JANE_lesion.nrrd"))
    case = save_case(
        replace(study_case, lesion=MaskLesion("DOE_JANE_lesion.nrrd")),
        tmp_path / "painted.spineplan.json",
    )
    assert b"DOE^JANE" in (tmp_path / "DOE_JANE_lesion.nrrd").read_bytes()  # has teeth

    export = export_case_for_teaching(case, tmp_path / "out")
    _assert_no_identifier_anywhere(tmp_path / "out", IDENTIFIERS.values())
    exported = load_case(export.case_path)
    assert exported.lesion == MaskLesion("lesion_mask.nrrd")
    copied = build_lesion_mask(exported.lesion, volume, base_dir=exported.base_dir)  # type: ignore[arg-type]
    assert np.array_equal(copied.array, mask.array)
    new, old = derive_case_field(exported, copied), derive_case_field(case, mask)
    assert (new.superior_border_z_mm, new.inferior_border_z_mm) == (
        old.superior_border_z_mm,
        old.inferior_border_z_mm,
    )


def test_sample_case_export(tmp_path) -> None:
    source = load_case(SAMPLES / "case2" / "reference.spineplan.json")
    name = str(pydicom.dcmread(next((SAMPLES / "case2").rglob("*.dcm"))).PatientName)
    export = export_case_for_teaching(source, tmp_path / "case2", seed="sample")
    _assert_no_identifier_anywhere(tmp_path / "case2", [name, "SPL-0002", "19710905"])
    exported = load_case(export.case_path)
    assert len(check_study(exported)) == 3
    new, old = derive_case_field(exported), derive_case_field(source)
    assert new.to_dict() == old.to_dict()
    data = json.loads(export.case_path.read_text())
    assert data["reference"] is True and data["study"]["path"] == "."


def test_a_non_empty_destination_is_refused(study_case: Case, tmp_path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ImagingError, match="exists and is not empty"):
        export_case_for_teaching(study_case, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_an_output_inside_the_study_is_refused(study_case: Case) -> None:
    inside = study_case.study_path() / "export"
    with pytest.raises(ImagingError, match="must not lie inside the study folder"):
        export_case_for_teaching(study_case, inside)
    assert not inside.exists()


def test_a_missing_study_is_reported_before_writing(study_case: Case, tmp_path) -> None:
    broken = replace(study_case, study=replace(study_case.study, path="nowhere"))
    with pytest.raises(CaseFileError, match=r"study\.path"):
        export_case_for_teaching(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_failure_leaves_nothing_behind(study_case: Case, tmp_path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise CaseFileError("disk full")

    monkeypatch.setattr("planning.practice.teaching.save_case", fail)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(CaseFileError, match="disk full"):
        export_case_for_teaching(study_case, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_painted_structures_are_rewritten_without_metadata(study_case: Case, tmp_path) -> None:
    volume = load_series(next(s for s in check_study(study_case) if "+C" in s.description))
    cord = ellipsoid_mask(volume, (0.0, 0.0, 0.0), (3.0, 3.0, 30.0))
    image = cord.with_array(cord.array.astype(np.uint8)).to_sitk()
    image.SetMetaData("PatientName", "DOE^JANE")
    sitk.WriteImage(image, str(tmp_path / "DOE_JANE_cord.nrrd"))
    case = save_case(
        replace(study_case, structures=(CaseStructure("Cord", MaskLesion("DOE_JANE_cord.nrrd")),)),
        tmp_path / "painted.spineplan.json",
    )
    export = export_case_for_teaching(case, tmp_path / "out")
    _assert_no_identifier_anywhere(tmp_path / "out", IDENTIFIERS.values())
    exported = load_case(export.case_path)
    (structure,) = exported.structures
    assert structure.name == "Cord" and structure.shape == MaskLesion("structure_1.nrrd")
    copied = sitk.GetArrayFromImage(sitk.ReadImage(str(exported.resolve("structure_1.nrrd"))))
    assert np.array_equal(copied.astype(bool), cord.array)
    assert any("structures[0].path" in line for line in export.summary_lines())


def _geometry(case: Case) -> tuple:
    """What the planner derives for a case without dose: field, levels, beams, series used."""
    geometry = plan_geometry(case)
    return (
        geometry.field.to_dict(),
        geometry.images.lesion_series.description,
        geometry.images.lesion_series.shape,
        [
            (b.name, b.jaws_sad_cm, b.ssd_cm, b.isocentre_depth_cm, b.skin_entry_lps_mm)
            for b in geometry.beams
        ],
    )


@pytest.mark.skipif(not (SAMPLES / "case2").is_dir(), reason="sample case 2 is not generated")
def test_planted_identifiers_leave_no_byte_and_the_same_plan_geometry(tmp_path) -> None:
    """Issue 14's acceptance: sample case 2 with identifiers planted in 30+ attributes, private
    tags, nested sequences, the file meta, the preamble and the case file: no byte of any
    exported file holds one, and the export plans the same field and beams."""
    case_file = identified_case_copy(
        SAMPLES / "case2" / "reference.spineplan.json", tmp_path / "Yamada_ZZSECRET99"
    )
    source = load_case(case_file)
    assert planted_in(case_file.read_bytes()) and teaching_burned_in_images(source) == []
    export = export_case_for_teaching(source, tmp_path / "teaching")
    files = sorted(p for p in export.folder.rglob("*") if p.is_file())
    assert len(files) == 43
    for path in files:
        assert planted_in(path.read_bytes()) == [], path
        assert planted_in(str(path.relative_to(export.folder)).encode()) == [], path
    exported = load_case(export.case_path)
    new, old = (
        _geometry(exported),
        _geometry(load_case(SAMPLES / "case2" / "reference.spineplan.json")),
    )
    assert new == old
    assert new[0]["superior_level"] and new[1] == "T1 SE SAG +C"


def test_burned_in_images_are_refused_unless_accepted(study_case: Case, tmp_path) -> None:
    shot = sorted(study_case.study_path().rglob("*.dcm"))[0]
    ds = pydicom.dcmread(shot)
    ds.BurnedInAnnotation = "YES"
    ds.save_as(shot)
    found = teaching_burned_in_images(study_case)
    assert len(found) == 1 and found[0].startswith(str(shot))
    with pytest.raises(BurnedInAnnotationError, match="Burned In Annotation is YES"):
        export_case_for_teaching(study_case, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    export = export_case_for_teaching(study_case, tmp_path / "out", accept_burned_in=True)
    assert len(export.deidentification.burned_in_accepted) == 1


def test_a_case_with_a_planning_ct_is_exported_with_it(tmp_path) -> None:
    # sample case 4: its planning CT (another study, in the case folder) is de-identified with
    # the MR, its series UID mapped, and the exported case still plans on it
    from planning.dose.images import load_plan_images

    source = load_case(SAMPLES / "case4" / "reference.spineplan.json")
    export = export_case_for_teaching(source, tmp_path / "case4", seed="sample")
    exported = load_case(export.case_path)
    assert exported.planning_ct is not None and exported.planning_ct.path == "."
    assert exported.planning_ct.series_instance_uid != source.planning_ct.series_instance_uid
    assert np.array_equal(exported.planning_ct.matrix, source.planning_ct.matrix)
    assert any(c.startswith("planning_ct.path") for c in export.case_changes)
    images = load_plan_images(exported)
    assert images.on_registered_ct
    assert images.export_series.series_instance_uid == exported.planning_ct.series_instance_uid
    _assert_no_identifier_anywhere(tmp_path / "case4", ["SPINEPLAN^CASE4", "SPL-0004"])
