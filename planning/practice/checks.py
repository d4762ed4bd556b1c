"""The items of practice scoring: each compares one part of the two cases and adds its checks.

Every function appends :class:`~planning.practice.sheet.Check` items to ``checks`` and returns the
compared part (``None`` when it could not be compared; the failed check says why). Differences
are attempt minus reference, positive = superior (see :mod:`planning.practice.scoring`).
"""

from __future__ import annotations

from collections import Counter

from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, lesion_levels, measure_lesion
from planning.anatomy.levels import level_index
from planning.case import Case
from planning.errors import PlanningError
from planning.field.derivation import Field, derive_case_field
from planning.practice.contour_metrics import ContourScore, compare_masks
from planning.practice.feedback import (
    arrangement_sentence,
    border_sentence,
    contour_sentence,
    edema_sentence,
    labels_sentence,
    lesion_level_sentence,
    volume_sentence,
)
from planning.practice.parts import (
    BORDER_TOLERANCE_MM,
    DICE_PASS,
    EDEMA_TOLERANCE_MM,
    HD95_PASS_MM,
    VOLUME_TOLERANCE_PERCENT,
    EdemaScore,
    FieldScore,
    LesionLevelScore,
    position_difference,
)
from planning.practice.sheet import Check, make_check


def _label_offsets(reference: Case, attempt: Case) -> tuple[int, tuple[str, ...]]:
    """Most common (reference index - attempt index) over bodies both labelled, and the
    attempt names that differ from the reference's name of the same body."""
    offsets: list[int] = []
    wrong: list[str] = []
    for lv in attempt.levels:
        same = [r for r in reference.levels if r.contains_z(lv.middle_z_mm)]
        if not same:
            continue
        offset = level_index(same[0].name) - lv.index
        offsets.append(offset)
        if offset:
            wrong.append(lv.name)
    if not offsets:
        return 0, ()
    return Counter(offsets).most_common(1)[0][0], tuple(wrong)


def _compare_lesion_levels(
    reference: Case,
    attempt: Case,
    reference_range: tuple[float, float],
    attempt_range: tuple[float, float],
) -> LesionLevelScore:
    ref = lesion_levels(reference.levels, reference_range, reference.thoracic_prefix).names
    att = lesion_levels(attempt.levels, attempt_range, attempt.thoracic_prefix).names
    label_offset, wrong = _label_offsets(reference, attempt)
    return LesionLevelScore(
        reference_names=ref,
        attempt_names=att,
        superior_offset=level_index(ref[0]) - level_index(att[0]),
        inferior_offset=level_index(ref[-1]) - level_index(att[-1]),
        label_offset=label_offset,
        mislabelled=wrong,
    )


def mask_for_field(case: Case, mask: Volume | None) -> Volume | None:
    """An ellipsoid's field is derived from its exact extent (as ``spineplan plan`` does)."""
    return None if isinstance(case.lesion, EllipsoidLesion) else mask


def lesion_z_range(case: Case, mask: Volume | None) -> tuple[float, float]:
    """The lesion's (superior, inferior) z in mm (LPS): an ellipsoid's exact extent, else the
    extent of its mask."""
    if isinstance(case.lesion, EllipsoidLesion):
        return case.lesion.z_range_mm
    if mask is None:
        raise PlanningError("the lesion mask is needed for its extent")
    measured = measure_lesion(mask)
    return measured.superior_z_mm, measured.inferior_z_mm


def contour_checks(
    ref_mask: Volume, att_mask: Volume | None, grid_name: str, checks: list[Check]
) -> ContourScore | None:
    """Dice, HD95 and volume of the attempt's lesion mask against the reference's (one grid)."""
    if att_mask is None:
        checks.append(Check("lesion contour", False, False, "no lesion marked: mark the lesion"))
        return None
    contour = compare_masks(ref_mask, att_mask, grid_name)
    hd95 = contour.hd95_mm
    shape_ok = hd95 is not None and contour.dice >= DICE_PASS and hd95 <= HD95_PASS_MM
    checks.append(make_check("lesion contour", shape_ok, False, lambda: contour_sentence(contour)))
    volume_ok = hd95 is not None and (
        abs(contour.volume_difference_percent) <= VOLUME_TOLERANCE_PERCENT
    )
    checks.append(make_check("lesion volume", volume_ok, False, lambda: volume_sentence(contour)))
    return contour


def level_checks(
    reference: Case,
    attempt: Case,
    ref_range: tuple[float, float],
    att_mask: Volume | None,
    checks: list[Check],
) -> LesionLevelScore | None:
    """The lesion levels each case names, and whether the attempt's labels match the reference's."""
    if (
        attempt.lesion is None
        or not attempt.levels
        or (att_mask is not None and not att_mask.array.any())
    ):
        missing = "levels are not labelled" if not attempt.levels else "no lesion is marked"
        checks.append(Check("lesion level", False, True, f"lesion level not found: {missing}"))
        return None
    try:
        att_range = lesion_z_range(attempt, att_mask)
        score = _compare_lesion_levels(reference, attempt, ref_range, att_range)
    except PlanningError as exc:
        checks.append(Check("lesion level", False, True, f"lesion level not found: {exc}"))
        return None
    prefix = reference.thoracic_prefix
    checks.append(
        make_check("lesion level", score.match, True, lambda: lesion_level_sentence(score, prefix))
    )
    labels_ok = score.label_offset == 0 and not score.mislabelled
    checks.append(
        make_check(
            "vertebral labels",
            labels_ok,
            False,
            lambda: labels_sentence(score, reference, attempt),
        )
    )
    return score


def edema_checks(reference: Case, attempt: Case, checks: list[Check]) -> EdemaScore | None:
    """The difference of each edema limit, mm and levels (attempt minus reference)."""
    if attempt.edema is None or reference.edema is None:
        for side in ("superior", "inferior"):
            checks.append(Check(f"edema {side} limit", False, False, "edema limits not marked"))
        return None
    ref, att = reference.edema, attempt.edema
    score = EdemaScore(
        superior=position_difference(
            reference, "superior", ref.superior_z_mm, att.superior_z_mm, EDEMA_TOLERANCE_MM
        ),
        inferior=position_difference(
            reference, "inferior", ref.inferior_z_mm, att.inferior_z_mm, EDEMA_TOLERANCE_MM
        ),
    )
    for diff in (score.superior, score.inferior):
        checks.append(
            make_check(
                f"edema {diff.side} limit",
                diff.within_tolerance,
                False,
                lambda diff=diff: edema_sentence(diff, reference),  # type: ignore[misc]
            )
        )
    return score


def attempt_field(attempt: Case, att_mask: Volume | None, checks: list[Check]) -> Field | None:
    """The attempt's field; without one, its border and arrangement checks fail here."""
    problem = ""
    if attempt.lesion is None or not attempt.levels:
        problem = "no field: label the levels and mark the lesion first"
    else:
        try:
            return derive_case_field(attempt, mask_for_field(attempt, att_mask))
        except PlanningError as exc:
            problem = f"no field could be derived: {exc}"
    for side in ("superior", "inferior"):
        checks.append(Check(f"field {side} border", False, True, problem))
    checks.append(Check("arrangement", False, True, "no field, so no arrangement"))
    return None


def field_checks(
    reference: Case, ref_field: Field, att_field: Field, checks: list[Check]
) -> FieldScore:
    """The difference of each field border, mm and levels, and the arrangement."""
    score = FieldScore(
        superior=position_difference(
            reference,
            "superior",
            ref_field.superior_border_z_mm,
            att_field.superior_border_z_mm,
            BORDER_TOLERANCE_MM,
        ),
        inferior=position_difference(
            reference,
            "inferior",
            ref_field.inferior_border_z_mm,
            att_field.inferior_border_z_mm,
            BORDER_TOLERANCE_MM,
        ),
        reference_arrangement=ref_field.arrangement,
        attempt_arrangement=att_field.arrangement,
        reference_levels=ref_field.field_levels,
        attempt_levels=att_field.field_levels,
    )
    for diff in (score.superior, score.inferior):
        checks.append(
            make_check(
                f"field {diff.side} border",
                diff.within_tolerance,
                True,
                lambda diff=diff: border_sentence(diff, reference, ref_field, att_field),  # type: ignore[misc]
            )
        )
    checks.append(
        make_check(
            "arrangement",
            score.arrangement_match,
            True,
            lambda: arrangement_sentence(score, ref_field, reference),
        )
    )
    return score
