"""The feedback sentences of a score sheet: short, specific, naming levels from the reference.

Each function words one failed check, e.g. ``"inferior border one level short: T12 has to be
inside the field for a T10-T11 lesion"``. Distances are in mm; levels follow the reference's
labels and thoracic prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planning.anatomy.edema import position_words
from planning.anatomy.levels import ThoracicPrefix, display_name, level_range_words
from planning.case import Case
from planning.field.derivation import Field
from planning.practice.contour_metrics import ContourScore
from planning.practice.parts import (
    DICE_PASS,
    HD95_PASS_MM,
    FieldScore,
    LesionLevelScore,
    PositionDifference,
)

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_ARRANGEMENT_WORDS = {
    "PA": "a single PA field",
    "lateral_pair": "a parallel-opposed lateral pair",
    "AP_PA": "an AP/PA pair",
}


def _count(n: int, noun: str, plural: str = "") -> str:
    """``"one level"``, ``"two levels"``, ``"two bodies"`` (with ``plural="bodies"``)."""
    words = _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)
    return f"{words} {noun if n == 1 else plural or noun + 's'}"


def _verb(names: Sequence[str], singular: str, plural: str) -> str:
    return singular if len(names) == 1 else plural


def border_sentence(
    diff: PositionDifference, reference: Case, ref_field: Field, att_field: Field
) -> str:
    """A field border that is short or too long: in levels when it is off by whole levels
    (naming the levels missed or added), else in mm with where it belongs."""
    prefix = reference.thoracic_prefix

    def show(name: str) -> str:
        return display_name(name, prefix)

    side = diff.side
    lesion = level_range_words(ref_field.lesion_levels, prefix)
    adjacent = ref_field.superior_level if side == "superior" else ref_field.inferior_level
    where = (
        ref_field.superior_border_description
        if side == "superior"
        else ref_field.inferior_border_description
    )
    n = abs(diff.whole_levels)
    # Reference levels whose body middle is inside one field but not the other.
    ref_levels = {lv.name: lv for lv in reference.levels}
    top, bottom = att_field.superior_border_z_mm, att_field.inferior_border_z_mm
    superior = side == "superior"

    def beyond(z: float, border: float) -> bool:
        """Whether ``z`` lies outside ``border`` on this side."""
        return z > border if superior else z < border

    attempt_border = top if superior else bottom
    if diff.outward_mm < 0:
        # Levels of the reference field (on this side) whose body middle the attempt leaves out.
        missing = [
            name
            for name in ref_field.field_levels
            if name in ref_levels and beyond(ref_levels[name].middle_z_mm, attempt_border)
        ]
        if n >= 1 and missing:
            names = level_range_words(missing, prefix)
            sentence = (
                f"{side} border {_count(n, 'level')} short: {names} "
                f"{_verb(missing, 'has', 'have')} to be inside the field for a {lesion} lesion"
            )
            if any(name in ref_field.lesion_levels for name in missing):
                sentence += " (the field misses part of the lesion)"
            return sentence
        return (
            f"{side} border {abs(diff.difference_mm):.0f} mm short: it belongs at the "
            f"{where} (z {diff.reference_z_mm:.1f} mm), one vertebra ({show(adjacent)}) "
            f"beyond a {lesion} lesion"
        )
    # Levels beyond the reference border (on this side) whose body middle the attempt includes.
    extra = [
        lv.name
        for lv in sorted(reference.levels, key=lambda lv: lv.index)
        if beyond(lv.middle_z_mm, diff.reference_z_mm)
        and not beyond(lv.middle_z_mm, attempt_border)
    ]
    if n >= 1 and extra:
        return (
            f"{side} border {_count(n, 'level')} too long: one vertebra beyond a {lesion} "
            f"lesion is {show(adjacent)}, so {level_range_words(extra, prefix)} "
            f"{_verb(extra, 'needs', 'need')} no treatment"
        )
    return (
        f"{side} border {abs(diff.difference_mm):.0f} mm too long: it belongs at the {where} "
        f"(z {diff.reference_z_mm:.1f} mm)"
    )


def edema_sentence(diff: PositionDifference, reference: Case) -> str:
    """An edema limit too high or too low, in mm (and levels), with where the reference puts it."""
    direction = "high" if diff.difference_mm > 0 else "low"
    n = abs(diff.whole_levels)
    amount = f"{abs(diff.difference_mm):.0f} mm"
    if n >= 1:
        amount += f" (about {_count(n, 'level')})"
    where = position_words(reference.levels, diff.reference_z_mm, reference.thoracic_prefix)
    return (
        f"edema {diff.side} limit {amount} too {direction}: the reference puts it at {where} "
        f"(z {diff.reference_z_mm:.1f} mm)"
    )


def lesion_level_sentence(score: LesionLevelScore, prefix: ThoracicPrefix) -> str:
    """The lesion levels named differently: a shift of the count, or levels missed or added."""
    ref = level_range_words(score.reference_names, prefix)
    att = level_range_words(score.attempt_names, prefix)
    if score.superior_offset == score.inferior_offset:
        n = score.superior_offset
        sentence = (
            f"lesion level {_count(abs(n), 'level')} too {'high' if n > 0 else 'low'}: "
            f"you named {att}, the reference is {ref}"
        )
        if score.label_offset:
            sentence += " - your labels are miscounted; recount from C2 (the dens) or from S1"
        return sentence
    missed = [n for n in score.reference_names if n not in score.attempt_names]
    extra = [n for n in score.attempt_names if n not in score.reference_names]
    rule = "a lesion involves every level whose segment (disc middle to disc middle) it overlaps"
    if missed and not extra:
        return (
            f"lesion levels {att} instead of {ref}: the lesion also reaches into the segment of "
            f"{level_range_words(missed, prefix)} ({rule})"
        )
    if extra and not missed:
        return (
            f"lesion levels {att} instead of {ref}: the lesion does not reach the segment of "
            f"{level_range_words(extra, prefix)} ({rule})"
        )
    return f"lesion levels {att} instead of {ref} ({rule})"


def labels_sentence(score: LesionLevelScore, reference: Case, attempt: Case) -> str:
    """Vertebral labels that name other bodies than the reference's (a miscount or a slip)."""
    prefix = reference.thoracic_prefix
    n = score.label_offset
    in_lesion = [name for name in score.mislabelled if name in score.attempt_names]
    example = (in_lesion or list(score.mislabelled))[0]
    body = next(lv for lv in attempt.levels if lv.name == example)
    truth = next(r.name for r in reference.levels if r.contains_z(body.middle_z_mm))
    called = f"the body you called {display_name(example, prefix)} is {display_name(truth, prefix)}"
    if n == 0:
        wrong = level_range_words(score.mislabelled, prefix)
        count = len(score.mislabelled)
        return f"vertebral labels: {_count(count, 'body', 'bodies')} misnamed ({wrong}): {called}"
    return (
        f"vertebral labels {_count(abs(n), 'level')} too {'high' if n > 0 else 'low'}: "
        f"{called}; recount from C2 (the dens) or from S1"
    )


def contour_sentence(contour: ContourScore) -> str:
    """A contour below the Dice or above the HD95 threshold, with the offset of its centre."""
    if contour.hd95_mm is None:
        return "the lesion mask is empty: mark the lesion"
    parts = []
    if contour.dice < DICE_PASS:
        parts.append(f"Dice {contour.dice:.2f} (aim for {DICE_PASS:.2f} or more)")
    if contour.hd95_mm > HD95_PASS_MM:
        parts.append(f"HD95 {contour.hd95_mm:.1f} mm (aim for {HD95_PASS_MM:g} mm or less)")
    sentence = "lesion contour differs from the reference: " + ", ".join(parts)
    if contour.centroid_offset_mm is not None:
        offset = np.asarray(contour.centroid_offset_mm)
        axis = int(np.argmax(np.abs(offset)))
        if abs(offset[axis]) >= 2.0:
            words = (("right", "left"), ("anterior", "posterior"), ("inferior", "superior"))
            direction = words[axis][int(offset[axis] > 0)]
            sentence += f"; your contour is centred {abs(offset[axis]):.0f} mm too far {direction}"
    return sentence


def volume_sentence(contour: ContourScore) -> str:
    """A lesion volume outside the tolerance, larger or smaller."""
    change = contour.volume_difference_percent
    return (
        f"lesion volume {contour.attempt_volume_cc:.2f} cc is {abs(change):.0f}% "
        f"{'larger' if change > 0 else 'smaller'} than the reference's "
        f"{contour.reference_volume_cc:.2f} cc: the contour is too "
        f"{'generous' if change > 0 else 'tight'}"
    )


def arrangement_sentence(fld: FieldScore, ref_field: Field, reference: Case) -> str:
    """The wrong beam arrangement, with the rule the reference follows."""
    lesion = level_range_words(ref_field.lesion_levels, reference.thoracic_prefix)
    wanted = _ARRANGEMENT_WORDS.get(fld.reference_arrangement, fld.reference_arrangement)
    given = _ARRANGEMENT_WORDS.get(fld.attempt_arrangement, fld.attempt_arrangement)
    if reference.plan.arrangement == "auto":
        rule = (
            "a lesion within C1-C7 is treated with a parallel-opposed lateral pair"
            if fld.reference_arrangement == "lateral_pair"
            else "below the cervical spine a single PA field is used"
        )
    else:
        rule = f"the reference plan uses {wanted}"
    return f"arrangement wrong: {given} instead of {wanted} for a {lesion} lesion ({rule})"
