"""The bundled sample studies: reproducible from the generator, well-formed, as described.

The generator (``sample_dicom/generate.py``) is run once into a temporary folder; every file it
writes must be byte-identical to the committed one. The remaining tests read the committed files
with pydicom / SimpleITK and check what later issues rely on: one study and one frame of
reference per case, the three MR series, HFS, the reference annotation, and that the lesion,
edema and levels in the annotation agree with the pixels.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_dicom"
CASES = ("case1", "case2", "case3", "case4")
MR_SERIES = {"T1C_SAG": "T1 SE SAG +C", "T2_SAG": "T2 TSE SAG", "T1C_AX": "T1 SE AX +C"}
LEVEL_NAMES = (
    [f"C{i}" for i in range(2, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + ["S1"]
)
EXPECTED_LESION_LEVELS = {
    "case1": ["C4", "C5"],
    "case2": ["T9"],
    "case3": ["T10", "T11"],
    "case4": ["T4", "T5", "T6"],
}
MAX_TOTAL_BYTES = 30 * 1024 * 1024


def _case_files(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for case in CASES
        for p in sorted((root / case).rglob("*"))
        if p.is_file()
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample_regenerated")
    subprocess.run(
        [sys.executable, str(SAMPLE_DIR / "generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def headers() -> dict[str, dict[str, list[pydicom.Dataset]]]:
    """case -> series folder -> datasets (no pixel data)."""
    result: dict[str, dict[str, list[pydicom.Dataset]]] = {}
    for case in CASES:
        result[case] = {}
        for folder in sorted(p for p in (SAMPLE_DIR / case).iterdir() if p.is_dir()):
            result[case][folder.name] = [
                pydicom.dcmread(f, stop_before_pixels=True) for f in sorted(folder.glob("*.dcm"))
            ]
    return result


def _reference(case: str) -> dict:
    return json.loads((SAMPLE_DIR / case / "reference.spineplan.json").read_text())


def _segments(levels: list[dict]) -> dict[str, tuple[float, float]]:
    """Level -> (upper z, lower z): mid disc above to mid disc below (issue 5's definition)."""
    segments = {}
    for i, level in enumerate(levels):
        upper = level["superior_z_mm"]
        if i > 0:
            upper = 0.5 * (levels[i - 1]["inferior_z_mm"] + level["superior_z_mm"])
        lower = level["inferior_z_mm"]
        if i < len(levels) - 1:
            lower = 0.5 * (level["inferior_z_mm"] + levels[i + 1]["superior_z_mm"])
        segments[level["name"]] = (upper, lower)
    return segments


def _load(case: str, folder: str) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(SAMPLE_DIR / case / folder)))
    return reader.Execute()


def _value_at(image: sitk.Image, array: np.ndarray, point_mm: list[float]) -> float:
    i, j, k = image.TransformPhysicalPointToIndex([float(v) for v in point_mm])
    return float(array[k, j, i])


def test_generator_reproduces_committed_files(regenerated: Path) -> None:
    committed = _case_files(SAMPLE_DIR)
    fresh = _case_files(regenerated)
    assert sorted(fresh) == sorted(committed), "missing or extra files: rerun generate.py"
    different = [name for name in committed if _sha256(committed[name]) != _sha256(fresh[name])]
    assert different == [], (
        f"{len(different)} files differ from the generator, e.g. {different[:3]}"
    )


def test_total_size_under_budget() -> None:
    total = sum(
        p.stat().st_size
        for p in SAMPLE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert total < MAX_TOTAL_BYTES


#: Planning CTs of another study and frame of reference (case -> folder).
PLANNING_CT = {"case4": "PLANNING_CT"}


def test_each_case_is_one_study_in_one_frame_of_reference(headers) -> None:
    study_uids = set()
    for case, all_series in headers.items():
        series = {k: v for k, v in all_series.items() if k != PLANNING_CT.get(case)}
        assert set(MR_SERIES) <= set(series)
        datasets = [ds for files in series.values() for ds in files]
        studies = {ds.StudyInstanceUID for ds in datasets}
        frames = {ds.FrameOfReferenceUID for ds in datasets}
        assert len(studies) == 1 and len(frames) == 1, case
        study_uids |= studies
        assert {ds.PatientPosition for ds in datasets} == {"HFS"}
        assert {ds.PatientSex for ds in datasets} == {"F"}
        assert {str(ds.PatientName) for ds in datasets} == {f"SPINEPLAN^CASE{case[-1]}"}
        assert len({ds.SeriesInstanceUID for ds in datasets}) == len(series)
        assert len({ds.SOPInstanceUID for ds in datasets}) == len(datasets)
        reference = _reference(case)["study"]
        assert reference["study_instance_uid"] in studies
        assert reference["frame_of_reference_uid"] in frames
    assert len(study_uids) == len(CASES)


def test_mr_series_headers(headers) -> None:
    for case, series in headers.items():
        for folder, description in MR_SERIES.items():
            files = series[folder]
            ds = files[0]
            assert ds.SOPClassUID == pydicom.uid.MRImageStorage
            assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
            assert ds.Modality == "MR" and ds.SeriesDescription == description
            assert (ds.BitsAllocated, ds.BitsStored, ds.PixelRepresentation) == (16, 12, 0)
            assert float(ds.MagneticFieldStrength) == 1.5
            for keyword in (
                "RepetitionTime",
                "EchoTime",
                "FlipAngle",
                "ScanningSequence",
                "SequenceVariant",
                "MRAcquisitionType",
                "ImagingFrequency",
                "SliceThickness",
                "SpacingBetweenSlices",
                "WindowCenter",
            ):
                assert keyword in ds, (case, folder, keyword)
            orientation = [float(v) for v in ds.ImageOrientationPatient]
            if folder.endswith("SAG"):
                assert orientation == [0, 1, 0, 0, 0, -1]
            else:
                assert orientation == [1, 0, 0, 0, 1, 0]
            assert len({float(f.SpacingBetweenSlices) for f in files}) == 1
        assert series["T2_SAG"][0].EchoTrainLength > 1


def test_instance_numbers_do_not_follow_position(headers) -> None:
    """Readers must sort by position: the axial series is shuffled, the two sagittals run in
    opposite directions (one of them against the slice normal)."""
    for series in headers.values():
        directions = {}
        for folder in ("T1C_AX", "T2_SAG", "T1C_SAG"):
            files = sorted(series[folder], key=lambda ds: int(ds.InstanceNumber))
            normal = np.cross(
                [float(v) for v in files[0].ImageOrientationPatient[:3]],
                [float(v) for v in files[0].ImageOrientationPatient[3:]],
            )
            along = [
                float(np.dot(normal, [float(v) for v in ds.ImagePositionPatient])) for ds in files
            ]
            steps = np.sign(np.diff(along))
            if folder == "T1C_AX":
                assert 0 < np.sum(steps > 0) < len(steps)
            else:
                assert len(set(steps)) == 1
                directions[folder] = steps[0]
        assert directions["T2_SAG"] == -directions["T1C_SAG"]


def test_planning_ct(headers) -> None:
    files = headers["case1"]["CT"]
    ds = files[0]
    assert ds.SOPClassUID == pydicom.uid.CTImageStorage
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.RLELossless
    assert float(ds.RescaleIntercept) == -1024 and float(ds.RescaleSlope) == 1
    z = sorted(float(f.ImagePositionPatient[2]) for f in files)
    levels = {lv["name"]: lv for lv in _reference("case1")["levels"]}
    assert z[0] < levels["T4"]["inferior_z_mm"] and z[-1] > levels["C2"]["superior_z_mm"]
    image = _load("case1", "CT")
    hu = sitk.GetArrayFromImage(image)
    assert hu.min() == -1000
    c4 = levels["C4"]
    center = [0.0, 0.0, 0.5 * (c4["superior_z_mm"] + c4["inferior_z_mm"])]
    body_y = _reference("case1")["lesion"]["center_mm"][1] - 20.0
    vertebra = _value_at(image, hu, [center[0], body_y, center[2]])
    assert 150 < vertebra < 1200  # cancellous bone of C4
    assert hu.max() > 800  # cortical bone somewhere


def test_reference_annotation_form() -> None:
    for case in CASES:
        reference = _reference(case)
        assert reference["reference"] is True
        assert reference["study"]["path"] == "."
        assert set(reference) <= {
            "study",
            "reference",
            "levels",
            "lesion",
            "edema",
            "findings",
            "planning_ct",
        }
        names = [lv["name"] for lv in reference["levels"]]
        assert names == LEVEL_NAMES
        edges = [
            z for lv in reference["levels"] for z in (lv["superior_z_mm"], lv["inferior_z_mm"])
        ]
        assert all(a > b for a, b in itertools.pairwise(edges)), "endplates out of order"
        assert reference["lesion"]["type"] == "ellipsoid"
        assert set(reference["edema"]) == {"superior_z_mm", "inferior_z_mm"}
        assert reference["edema"]["superior_z_mm"] > reference["edema"]["inferior_z_mm"]
        assert ("findings" in reference) == (case == "case4")


@pytest.mark.parametrize("case", CASES)
def test_lesion_levels(case: str) -> None:
    reference = _reference(case)
    _, _, cz = reference["lesion"]["center_mm"]
    rz = reference["lesion"]["radii_mm"][2]
    overlapped = [
        name
        for name, (upper, lower) in _segments(reference["levels"]).items()
        if cz - rz < upper and cz + rz > lower
    ]
    assert overlapped == EXPECTED_LESION_LEVELS[case]
    # Unambiguous: at least 2 mm clear of every segment boundary.
    for upper, lower in _segments(reference["levels"]).values():
        for boundary in (upper, lower):
            assert min(abs(cz - rz - boundary), abs(cz + rz - boundary)) > 2.0


@pytest.fixture(scope="module")
def generator_models():
    """The generator's own case models (for the cord's centre line)."""
    sys.path.insert(0, str(SAMPLE_DIR))
    try:
        from _generator.cases import CASES as SPECS
        from _generator.cases import build_case
    finally:
        sys.path.remove(str(SAMPLE_DIR))
    return {spec.name: build_case(spec) for spec in SPECS}


@pytest.mark.parametrize("case", CASES)
def test_lesion_enhances_and_edema_is_t2_bright(case: str, generator_models) -> None:
    reference = _reference(case)
    center = reference["lesion"]["center_mm"]
    spine = generator_models[case].spine
    t1 = _load(case, "T1C_SAG")
    t1_pixels = sitk.GetArrayFromImage(t1).astype(float)
    axial = _load(case, "T1C_AX")
    ax_pixels = sitk.GetArrayFromImage(axial).astype(float)
    t2 = _load(case, "T2_SAG")
    t2_pixels = sitk.GetArrayFromImage(t2).astype(float)
    levels = {lv["name"]: lv for lv in reference["levels"]}
    edema = reference["edema"]

    def cord(z: float) -> list[float]:
        x, y = spine.cord_center(z)
        return [x, y, z]

    # Normal cord: T12 (case 3's edema reaches T12, so use T6 there).
    normal_z = levels["T12"]["superior_z_mm"] if case != "case3" else levels["T6"]["inferior_z_mm"]
    assert not edema["inferior_z_mm"] - 5.0 <= normal_z <= edema["superior_z_mm"] + 5.0
    cord_t1 = _value_at(t1, t1_pixels, cord(normal_z))
    assert _value_at(t1, t1_pixels, center) > 2.0 * cord_t1
    assert _value_at(axial, ax_pixels, center) > 2.0 * cord_t1
    rz = reference["lesion"]["radii_mm"][2]
    above = edema["superior_z_mm"] - (center[2] + rz)
    below = (center[2] - rz) - edema["inferior_z_mm"]
    # Halfway between the lesion and the farther edema limit.
    edema_z = center[2] + rz + 0.5 * above if above >= below else center[2] - rz - 0.5 * below
    assert max(above, below) > 6.0
    cord_t2 = _value_at(t2, t2_pixels, cord(normal_z))
    assert _value_at(t2, t2_pixels, cord(edema_z)) > 1.6 * cord_t2
    # The T2 signal is normal again beyond the edema limits.
    outside = edema["inferior_z_mm"] - 8.0
    if outside > levels["L1"]["superior_z_mm"]:
        assert _value_at(t2, t2_pixels, cord(outside)) < 1.3 * cord_t2


def test_bone_metastasis_in_l1() -> None:
    finding = _reference("case4")["findings"][0]
    assert finding["type"] == "bone_metastasis" and finding["level"] == "L1"
    l1 = {lv["name"]: lv for lv in _reference("case4")["levels"]}["L1"]
    cz, rz = finding["center_mm"][2], finding["radii_mm"][2]
    assert l1["inferior_z_mm"] < cz - rz and cz + rz < l1["superior_z_mm"]
    t2 = _load("case4", "T2_SAG")
    t2_pixels = sitk.GetArrayFromImage(t2).astype(float)
    center = finding["center_mm"]
    marrow = [center[0], center[1], cz + rz + 2.5]
    assert _value_at(t2, t2_pixels, center) > 1.4 * _value_at(t2, t2_pixels, marrow)


def test_sagittal_geometry_read_by_simpleitk() -> None:
    for case in CASES:
        image = _load(case, "T1C_SAG")
        assert image.GetSize() == (176, 480, 11)
        direction = np.array(image.GetDirection()).reshape(3, 3)
        # Columns along +y (posterior), rows along -z (down), slices along -x.
        assert np.allclose(direction[:, 0], [0, 1, 0]) and np.allclose(direction[:, 1], [0, 0, -1])
        assert np.allclose(np.abs(direction[:, 2]), [1, 0, 0])
        levels = _reference(case)["levels"]
        top = image.GetOrigin()[2]
        bottom = top - 1.7 * 479
        assert top > levels[0]["superior_z_mm"] + 50.0  # brainstem in view
        assert bottom < levels[-1]["inferior_z_mm"] - 30.0  # sacrum in view


def test_case4_planning_ct_is_another_study_registered_by_the_known_transform(headers) -> None:
    """The planning CT: same patient, another study and frame; the reference's matrix_mm maps
    the MR's anatomy onto the CT's (vertebral bodies onto bone, the cord onto soft tissue)."""
    from sample_dicom._generator.cases import CASES, build_case

    ct = headers["case4"]["PLANNING_CT"]
    mr = [ds for k, v in headers["case4"].items() if k != "PLANNING_CT" for ds in v]
    assert {ds.PatientID for ds in ct} == {ds.PatientID for ds in mr}
    assert {ds.StudyInstanceUID for ds in ct}.isdisjoint({ds.StudyInstanceUID for ds in mr})
    assert {ds.FrameOfReferenceUID for ds in ct}.isdisjoint({ds.FrameOfReferenceUID for ds in mr})
    reference = _reference("case4")["planning_ct"]
    assert reference["series_instance_uid"] == ct[0].SeriesInstanceUID
    matrix = np.asarray(reference["registration"]["matrix_mm"])
    assert np.allclose(matrix[:3, :3].T @ matrix[:3, :3], np.eye(3), atol=1e-5)
    angle = np.degrees(np.arccos((np.trace(matrix[:3, :3]) - 1) / 2))
    assert 2.0 < angle < 6.0  # a few degrees, not the identity
    image = _load("case4", "PLANNING_CT")
    array = sitk.GetArrayFromImage(image)
    spine = build_case(CASES[3]).spine
    for name in ("T4", "T5", "T6"):
        level = spine.level(name)
        y, z = spine.point(level.center_s, 0.0)
        body_ct = matrix @ np.array([spine.x_mid_mm, y, z, 1.0])
        assert _value_at(image, array, list(body_ct[:3])) > 100.0, name  # bone
    lesion = _reference("case4")["lesion"]["center_mm"]
    cord_ct = matrix @ np.append(lesion, 1.0)
    assert -100.0 < _value_at(image, array, list(cord_ct[:3])) < 100.0  # soft tissue
