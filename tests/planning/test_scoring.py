"""Practice scoring: expected numbers are computed here independently of
planning.practice.scoring."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from planning.anatomy.edema import EdemaLimits
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, ellipsoid_mask
from planning.anatomy.levels import renumber_from
from planning.case import Case, StudyReference, load_case
from planning.case.settings import PlanSettings
from planning.errors import CaseFileError, PlanningError
from planning.practice.contour_metrics import dice_coefficient, hausdorff_percentile_mm
from planning.practice.inputs import study_grid
from planning.practice.parts import BORDER_TOLERANCE_MM, level_coordinate
from planning.practice.scoring import planned_coverage_percent, score_cases
from tests.planning.synthetic_spine import by_name, disc_middle, spine

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
FRAME = "1.2.3.4"
LEVELS = spine()
T = by_name(LEVELS)


def _lesion_in(upper: str, lower: str, radius_xy: float = 4.0) -> EllipsoidLesion:
    """An ellipsoid reaching from the middle of one body to the middle of another (from the
    upper to the lower quarter of a body when both are the same)."""
    top, bottom = T[upper].middle_z_mm, T[lower].middle_z_mm
    if upper == lower:
        top, bottom = top + T[upper].height_mm / 4, bottom - T[upper].height_mm / 4
    return EllipsoidLesion(
        (1.0, 20.0, 0.5 * (top + bottom)), (radius_xy, 3.5, 0.5 * (top - bottom))
    )


@pytest.fixture
def reference() -> Case:
    """A T10-T11 lesion: its field runs T9-T12, PA, borders at the T8-9 and T12-L1 disc middles."""
    return Case(
        study=StudyReference("study", frame_of_reference_uid=FRAME),
        levels=LEVELS,
        lesion=_lesion_in("T10", "T11"),
        edema=EdemaLimits(T["T8"].middle_z_mm, T["T12"].middle_z_mm),
        reference=True,
    )


def _check(sheet, item: str):
    return next(c for c in sheet.checks if c.item == item)


# -- analytic expectations ------------------------------------------------------------------
def sphere_dice(radius: float, distance: float) -> float:
    """Dice of two equal spheres whose centres are ``distance`` apart (lens volume)."""
    if distance >= 2 * radius:
        return 0.0
    lens = math.pi * (4 * radius + distance) * (2 * radius - distance) ** 2 / 12.0
    return lens / (4.0 / 3.0 * math.pi * radius**3)


def shifted_sphere_hd95(radius: float, distance: float) -> float:
    """95th percentile of the distance from one sphere's surface to the other's.

    A point at polar angle theta (from the shift direction) lies at
    ``|sqrt(r^2 + d^2 - 2 r d cos(theta)) - r|`` from the shifted sphere; area is uniform in
    ``cos(theta)``, so the percentile is taken over uniformly spaced cosines.
    """
    cosines = np.linspace(-1.0, 1.0, 200_001)
    distances = np.abs(np.sqrt(radius**2 + distance**2 - 2 * radius * distance * cosines) - radius)
    return float(np.percentile(distances, 95.0))


def segment_height(upper: str, name: str, lower: str) -> float:
    """Height of a level's segment: disc middle above to disc middle below, mm."""
    return disc_middle(LEVELS, upper, name) - disc_middle(LEVELS, name, lower)


# -- self-scoring --------------------------------------------------------------------------
@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_sample_reference_against_itself_is_perfect(number: int) -> None:
    case = load_case(SAMPLES / f"case{number}" / "reference.spineplan.json")
    sheet = score_cases(case, case)
    assert sheet.verdict == "perfect"
    assert sheet.score_percent == 100.0
    assert sheet.feedback == ()
    data = sheet.to_json()
    assert data["lesion_level_match"] is True
    assert data["lesion_level_offset"] == 0
    assert data["dice"] == 1.0
    assert data["hd95_mm"] == 0.0
    assert data["volume_difference_percent"] == 0.0
    for key in (
        "field_superior_border_diff_mm",
        "field_inferior_border_diff_mm",
        "edema_superior_diff_mm",
        "edema_inferior_diff_mm",
    ):
        assert data[key] == 0.0, key
    assert data["arrangement_match"] is True
    json.dumps(data)  # serialisable as it is


# -- contour metrics against geometry ---------------------------------------------------------
@pytest.mark.parametrize(
    ("radius", "shift"),
    [
        (6.0, (0.0, 0.0, 2.5)),
        (5.0, (2.0, 1.0, 2.0)),  # oblique, 3 mm
        (6.0, (0.0, 0.0, 0.0)),
    ],
)
def test_shifted_sphere_dice_and_hd95_match_the_analytic_values(
    reference: Case, radius: float, shift: tuple[float, float, float]
) -> None:
    centre = np.array(reference.lesion.center_mm)  # type: ignore[union-attr]
    ref = replace(reference, lesion=EllipsoidLesion(tuple(centre), (radius,) * 3))
    att = replace(reference, lesion=EllipsoidLesion(tuple(centre + shift), (radius,) * 3))
    contour = score_cases(ref, att).contour
    assert contour is not None
    distance = float(np.linalg.norm(shift))
    spacing = contour.grid_spacing_mm[0]
    assert spacing == pytest.approx(0.5)
    assert contour.dice == pytest.approx(sphere_dice(radius, distance), abs=0.02)
    assert contour.hd95_mm == pytest.approx(shifted_sphere_hd95(radius, distance), abs=spacing)
    assert contour.volume_difference_percent == pytest.approx(0.0, abs=3.0)
    assert contour.reference_volume_cc == pytest.approx(
        4 / 3 * math.pi * radius**3 / 1000, rel=0.03
    )
    assert np.allclose(contour.centroid_offset_mm, shift, atol=0.05)


def test_larger_sphere_volume_difference_and_hd95(reference: Case) -> None:
    centre = reference.lesion.center_mm  # type: ignore[union-attr]
    ref = replace(reference, lesion=EllipsoidLesion(centre, (5.0, 5.0, 5.0)))
    att = replace(reference, lesion=EllipsoidLesion(centre, (6.0, 6.0, 6.0)))
    sheet = score_cases(ref, att)
    contour = sheet.contour
    assert contour is not None
    # Concentric spheres: every surface point is 1 mm from the other surface.
    assert contour.hd95_mm == pytest.approx(1.0, abs=0.5)
    assert contour.dice == pytest.approx(2 * 125 / (125 + 216), abs=0.02)
    assert contour.volume_difference_percent == pytest.approx(100 * (216 - 125) / 125, abs=5.0)
    assert not _check(sheet, "lesion volume").passed
    assert "larger than the reference" in _check(sheet, "lesion volume").feedback
    assert _check(sheet, "lesion contour").passed  # Dice 0.73, HD95 1 mm


def test_surface_metrics_respect_anisotropic_spacing() -> None:
    a = np.zeros((10, 12, 12), bool)
    b = np.zeros_like(a)
    a[2:5, 3:9, 3:9] = True
    b[3:6, 3:9, 3:9] = True  # one slice further
    assert dice_coefficient(a, b) == pytest.approx(2 * 72 / (108 + 108))
    assert hausdorff_percentile_mm(a, b, (4.0, 1.0, 1.0), 100.0) == pytest.approx(4.0)
    assert hausdorff_percentile_mm(a, a, (4.0, 1.0, 1.0)) == 0.0
    assert dice_coefficient(a, np.zeros_like(a)) == 0.0


# -- levels ---------------------------------------------------------------------------------
def test_level_coordinate_runs_one_per_segment() -> None:
    assert level_coordinate(LEVELS, disc_middle(LEVELS, "T9", "T10")) == pytest.approx(16.0)
    middle = 0.5 * (disc_middle(LEVELS, "T9", "T10") + disc_middle(LEVELS, "T10", "T11"))
    assert level_coordinate(LEVELS, middle) == pytest.approx(16.5)


def test_field_margin_shifts_borders_by_that_many_mm(reference: Case) -> None:
    margin = 3.0
    att = replace(reference, plan=PlanSettings(margin_mm=margin))
    sheet = score_cases(reference, att)
    fld = sheet.field
    assert fld is not None
    assert fld.superior.difference_mm == pytest.approx(margin)
    assert fld.inferior.difference_mm == pytest.approx(-margin)
    # The superior border moves into T8's segment, the inferior one into L1's.
    assert fld.superior.difference_levels == pytest.approx(
        margin / segment_height("T7", "T8", "T9")
    )
    assert fld.inferior.difference_levels == pytest.approx(
        -margin / segment_height("T12", "L1", "L2")
    )
    assert margin <= BORDER_TOLERANCE_MM
    assert sheet.verdict == "perfect"


def test_field_border_beyond_tolerance_says_how_far(reference: Case) -> None:
    att = replace(reference, plan=PlanSettings(margin_mm=8.0))
    sheet = score_cases(reference, att)
    superior = _check(sheet, "field superior border")
    assert not superior.passed and superior.critical
    assert superior.feedback == (
        f"superior border 8 mm too long: it belongs at the middle of the T8-9 disc "
        f"(z {disc_middle(LEVELS, 'T8', 'T9'):.1f} mm)"
    )
    assert sheet.verdict == "fail"


def test_inferior_border_one_level_short(reference: Case) -> None:
    # The trainee sees the lesion in T10 only: the field stops one level early (T9-T11).
    att = replace(reference, lesion=_lesion_in("T10", "T10"))
    sheet = score_cases(reference, att)
    fld = sheet.field
    assert fld is not None
    expected_mm = disc_middle(LEVELS, "T11", "T12") - disc_middle(LEVELS, "T12", "L1")
    assert fld.inferior.difference_mm == pytest.approx(expected_mm)
    assert fld.inferior.difference_levels == pytest.approx(1.0)
    assert fld.superior.difference_mm == pytest.approx(0.0)
    assert (
        "inferior border one level short: T12 has to be inside the field for a T10-T11 lesion"
        in sheet.feedback
    )
    level = sheet.lesion_level
    assert level is not None and not level.match
    assert (level.superior_offset, level.inferior_offset, level.offset) == (0, 1, 1)
    assert sheet.to_json()["lesion_level_offset"] == 1


def test_border_two_levels_too_long(reference: Case) -> None:
    att = replace(reference, lesion=_lesion_in("T8", "T11"))
    sheet = score_cases(reference, att)
    fld = sheet.field
    assert fld is not None
    assert fld.superior.difference_levels == pytest.approx(2.0)
    sentence = _check(sheet, "field superior border").feedback
    assert sentence == (
        "superior border two levels too long: one vertebra beyond a T10-T11 lesion is T9, "
        "so T7-T8 need no treatment"
    )


def test_miscounted_labels_shift_the_lesion_level(reference: Case) -> None:
    # Every name one too low: the body the trainee calls T11 is T10.
    att = replace(reference, levels=renumber_from(reference.levels, "T10", "T11"))
    sheet = score_cases(reference, att)
    level = sheet.lesion_level
    assert level is not None
    assert level.attempt_names == ("T11", "T12")
    assert level.offset == -1 and level.label_offset == -1
    assert sheet.verdict == "fail"
    assert sheet.feedback[0].startswith(
        "lesion level one level too low: you named T11-T12, the reference is T10-T11"
    )
    assert "the body you called T11 is T10" in _check(sheet, "vertebral labels").feedback
    # The field is drawn on the same bodies, so its borders agree in mm.
    assert sheet.field is not None
    assert sheet.field.superior.difference_mm == pytest.approx(0.0)


def test_one_misnamed_body_and_a_lesion_level_too_many(reference: Case) -> None:
    # T12 called L1 (no shift of the count), and a lesion reaching up into T9.
    levels = tuple(replace(lv, name="L1") if lv.name == "T12" else lv for lv in LEVELS)
    levels = tuple(
        lv for lv in levels if lv.name != "L1" or lv.superior_z_mm == T["T12"].superior_z_mm
    )
    att = replace(reference, levels=levels, lesion=_lesion_in("T9", "T11"))
    sheet = score_cases(reference, att)
    assert _check(sheet, "vertebral labels").feedback == (
        "vertebral labels: one body misnamed (L1): the body you called L1 is T12"
    )
    assert _check(sheet, "lesion level").feedback == (
        "lesion levels T9-T11 instead of T10-T11: the lesion does not reach the segment of T9 "
        "(a lesion involves every level whose segment (disc middle to disc middle) it overlaps)"
    )


def test_edema_limits_in_mm_and_levels(reference: Case) -> None:
    shift = 12.0
    edema = reference.edema
    assert edema is not None
    att = replace(
        reference,
        edema=EdemaLimits(edema.superior_z_mm + shift, edema.inferior_z_mm - 4.0),
    )
    sheet = score_cases(reference, att)
    result = sheet.edema
    assert result is not None
    assert result.superior.difference_mm == pytest.approx(shift)
    assert result.inferior.difference_mm == pytest.approx(-4.0)
    # From the middle of T8 upwards, still inside T8's segment above its middle.
    assert result.superior.difference_levels == pytest.approx(
        shift / segment_height("T7", "T8", "T9")
    )
    assert result.inferior.difference_levels == pytest.approx(
        -4.0 / segment_height("T11", "T12", "L1")
    )
    superior = _check(sheet, "edema superior limit")
    assert not superior.passed and not superior.critical
    assert superior.feedback.startswith("edema superior limit 12 mm too high: the reference puts")
    assert _check(sheet, "edema inferior limit").passed
    assert sheet.verdict == "pass"  # the treatment is unchanged


def test_wrong_arrangement(reference: Case) -> None:
    att = replace(reference, plan=PlanSettings(arrangement="lateral_pair"))
    sheet = score_cases(reference, att)
    assert sheet.field is not None and not sheet.field.arrangement_match
    assert sheet.to_json()["arrangement_match"] is False
    assert _check(sheet, "arrangement").feedback == (
        "arrangement wrong: a parallel-opposed lateral pair instead of a single PA field for a "
        "T10-T11 lesion (below the cervical spine a single PA field is used)"
    )


def test_coverage_evaluator_feeds_a_critical_check(reference: Case) -> None:
    seen = []

    def evaluator(attempt, reference_mask):
        seen.append((attempt, reference_mask))
        return 93.0

    attempt = replace(reference, reference=False)
    sheet = score_cases(reference, attempt, coverage=evaluator)
    assert seen[0][0] is attempt and seen[0][1].array.any()
    assert sheet.coverage is not None and not sheet.coverage.passes
    assert sheet.verdict == "fail"
    assert "93% of the reference lesion" in sheet.feedback[0]
    assert score_cases(reference, reference, coverage=lambda a, m: 100.0).verdict == "perfect"

    def unavailable(attempt, reference_mask):
        raise PlanningError("no beam data")

    sheet = score_cases(reference, reference, coverage=unavailable)
    assert sheet.coverage is None and sheet.verdict == "perfect"
    assert any("not computed: no beam data" in note for note in sheet.notes)


def test_planned_coverage_of_a_field_too_short_fails() -> None:
    """Sample case 2 planned with 6 MV: the reference covers itself; borders 30 mm inside
    each end leave the field edges (and their penumbra) on the lesion."""
    reference = load_case(SAMPLES / "case2" / "reference.spineplan.json")
    reference = replace(reference, plan=replace(reference.plan, energy="6MV"))
    sheet = score_cases(reference, reference, coverage=planned_coverage_percent)
    assert sheet.coverage is not None and sheet.coverage.v95_percent == pytest.approx(100.0)
    short = replace(reference, plan=replace(reference.plan, margin_mm=-30.0))
    sheet = score_cases(reference, short, coverage=planned_coverage_percent)
    assert sheet.coverage is not None and not sheet.coverage.passes
    assert sheet.feedback[:2] == (
        "superior border one level short: T8 has to be inside the field for a T9 lesion",
        "inferior border one level short: T10 has to be inside the field for a T9 lesion",
    )
    assert sheet.to_json()["coverage_pass"] is False


# -- incomplete and bad input --------------------------------------------------------------
def test_an_empty_attempt_fails_with_sentences(reference: Case) -> None:
    att = Case(study=reference.study)
    sheet = score_cases(reference, att)
    assert sheet.verdict == "fail" and sheet.score_percent == 0.0
    assert sheet.contour is None and sheet.field is None and sheet.edema is None
    assert "no lesion marked: mark the lesion" in sheet.feedback
    assert "edema limits not marked" in sheet.feedback
    data = sheet.to_json()
    assert data["dice"] is None and data["lesion_level_match"] is None


def test_attempt_lesion_outside_its_labels_is_feedback_not_an_error(reference: Case) -> None:
    att = replace(reference, levels=tuple(lv for lv in LEVELS if lv.index < 10))  # C2..T3
    sheet = score_cases(reference, att)
    assert "lesion level not found" in _check(sheet, "lesion level").feedback
    assert "no field could be derived" in _check(sheet, "field inferior border").feedback


def test_different_frames_of_reference_are_refused(reference: Case) -> None:
    other = replace(reference, study=StudyReference("study", frame_of_reference_uid="9.9"))
    with pytest.raises(CaseFileError, match=r"frame_of_reference_uid: 9\.9 is not the reference"):
        score_cases(reference, other)


def test_reference_without_edema_is_refused(reference: Case) -> None:
    with pytest.raises(CaseFileError, match="edema: the reference case has no edema"):
        score_cases(replace(reference, edema=None), reference)


def test_painted_attempt_is_compared_on_the_post_contrast_series(tmp_path) -> None:
    """A mask attempt makes the scorer load the study's post-contrast series (sample case 2)."""
    reference = load_case(SAMPLES / "case2" / "reference.spineplan.json")
    lesion = reference.lesion
    assert isinstance(lesion, EllipsoidLesion)
    grid = study_grid(reference)
    assert "+C" in grid.metadata.series_description and grid.orientation == "sagittal"
    painted = ellipsoid_mask(grid, lesion.center_mm, lesion.radii_mm).array
    shifted = np.roll(painted, 1, axis=1)  # one row: one voxel towards the feet
    for name, array in (("same", painted), ("shifted", shifted)):
        sitk.WriteImage(
            grid.with_array(array.astype(np.uint8)).to_sitk(), str(tmp_path / f"{name}.nrrd")
        )

    def attempt(name: str) -> Case:
        study = replace(reference.study, path=str(SAMPLES / "case2"))
        return replace(
            reference,
            study=study,
            lesion=MaskLesion(f"{name}.nrrd"),
            source_path=tmp_path / "a.json",
        )

    same = score_cases(reference, attempt("same")).contour
    assert same is not None and same.dice == 1.0 and same.hd95_mm == 0.0
    assert same.grid == "series 'T1 SE SAG +C'"
    moved = score_cases(reference, attempt("shifted")).contour
    assert moved is not None
    expected = 2 * np.sum(painted & shifted) / (painted.sum() + shifted.sum())
    assert moved.dice == pytest.approx(expected)
    row_mm = grid.spacing_mm[1]
    assert moved.hd95_mm == pytest.approx(row_mm)
    assert moved.centroid_offset_mm[2] == pytest.approx(-row_mm)  # type: ignore[index]
