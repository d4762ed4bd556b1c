"""Practice scoring: a trainee's case (the attempt) compared with an expert's (the reference).

The score sheet compares what each case file implies:

* **lesion level**: the lesion levels each case names with its own labels (exact match, or the
  offset of each end in levels), and whether the trainee's labels name the same bodies as the
  reference's (a miscount shifts every name);
* **lesion contour**: Dice, the 95th-percentile Hausdorff distance between the two surfaces
  (symmetric: the larger of the two directed 95th percentiles, mm) and the volume difference (%),
  on one grid (two ellipsoids: a fine isotropic grid around both, computed without images; other
  lesions: the reference study's post-contrast series);
* **edema limits**: the difference at each end in mm and in levels;
* **field**: superior and inferior border differences in mm and in levels, and the arrangement;
* **coverage** (optional, it needs the dose engine): V95 of the reference lesion under the
  trainee's planned dose (:func:`planned_coverage_percent`: the attempt planned by
  :func:`planning.plan.plan_case`, the dose read at the reference lesion's voxels) and whether
  it would pass.

Sign convention: every difference is ``attempt - reference`` measured towards the head, so a
positive value means the trainee's mark lies **superior** to the reference's, in mm of patient
z (LPS) and in levels. Levels are counted along the *reference* labels: a position's level
coordinate runs from one disc middle to the next through each labelled segment, so "one level"
means one vertebra plus its disc at that height of the spine.

Each comparison is a :class:`Check` (passed or not, critical or not). The verdict is
``"perfect"`` when every check passes, ``"pass"`` when every critical check passes (the trainee
would deliver the same treatment: lesion level, both field borders, arrangement, coverage when
computed) and ``"fail"`` otherwise; ``score_percent`` is the share of checks passed.

Pieces: :mod:`planning.contour_metrics` (Dice, surface distances, the ellipsoid grid),
:mod:`planning.score_parts` (the compared quantities and the tolerances),
:mod:`planning.score_feedback` (the sentences); this module runs the comparison.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from scipy import ndimage

from imaging.errors import SpineplanError
from imaging.volume import Volume
from planning.case import Case, load_case
from planning.contour_metrics import ContourScore, compare_masks, ellipsoid_grid
from planning.coverage import PASS_V95_PERCENT
from planning.errors import CaseFileError, PlanningError
from planning.field import Field, derive_case_field
from planning.lesion import EllipsoidLesion, build_lesion_mask, lesion_levels, measure_lesion
from planning.levels import ThoracicPrefix, level_index, level_range_words, require_consistent
from planning.score_feedback import (
    arrangement_sentence,
    border_sentence,
    contour_sentence,
    edema_sentence,
    labels_sentence,
    lesion_level_sentence,
    volume_sentence,
)
from planning.score_parts import (
    BORDER_TOLERANCE_MM,
    DICE_PASS,
    EDEMA_TOLERANCE_MM,
    HD95_PASS_MM,
    VOLUME_TOLERANCE_PERCENT,
    CoverageScore,
    EdemaScore,
    FieldScore,
    LesionLevelScore,
    position_difference,
    tolerances,
)

if TYPE_CHECKING:
    from planning.plan_images import PlanImages

Verdict = Literal["perfect", "pass", "fail"]

#: ``coverage(attempt, reference_mask) -> V95 %`` of the reference lesion (a boolean mask in
#: the study's frame) under the dose the attempt's plan delivers.
CoverageEvaluator = Callable[[Case, Volume], float]


def study_grid(case: Case) -> Volume:
    """The study's post-contrast series, loaded: the grid painted or grown lesions are compared
    on (the series ``spineplan plan`` builds the lesion on, see ``load_plan_images``).

    Raises
    ------
    CaseFileError
        When the study cannot be found or does not match the case.
    """
    from planning.plan_images import load_plan_images  # the image pipeline loads only when needed

    return load_plan_images(case).lesion_volume


@dataclass(frozen=True)
class Check:
    """One item of the sheet: what was checked, whether it passed, the sentence if not."""

    item: str
    passed: bool
    critical: bool
    feedback: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "passed": self.passed,
            "critical": self.critical,
            "feedback": self.feedback,
        }


@dataclass(frozen=True)
class ScoreSheet:
    """The result of :func:`score_cases`. A part is ``None`` when it could not be compared
    (the reason is among ``notes`` or in the failed check's feedback)."""

    reference_source: str
    attempt_source: str
    lesion_level: LesionLevelScore | None
    contour: ContourScore | None
    edema: EdemaScore | None
    field: FieldScore | None
    coverage: CoverageScore | None
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()
    thoracic_prefix: ThoracicPrefix = "T"

    @property
    def verdict(self) -> Verdict:
        if all(c.passed for c in self.checks):
            return "perfect"
        if all(c.passed for c in self.checks if c.critical):
            return "pass"
        return "fail"

    @property
    def score_percent(self) -> float:
        """Share of the checks passed, %."""
        if not self.checks:
            return 0.0
        return 100.0 * sum(c.passed for c in self.checks) / len(self.checks)

    @property
    def feedback(self) -> tuple[str, ...]:
        """The sentences of the failed checks, critical ones first."""
        failed = [c for c in self.checks if not c.passed]
        ordered = sorted(failed, key=lambda c: not c.critical)
        return tuple(dict.fromkeys(c.feedback for c in ordered))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: the headline numbers flat at the top, the details below."""
        level, contour, edema, fld, cov = (
            self.lesion_level,
            self.contour,
            self.edema,
            self.field,
            self.coverage,
        )

        def num(part: Any, value: Callable[[Any], float | None], digits: int = 2) -> Any:
            number = None if part is None else value(part)
            return None if number is None else round(number, digits)

        data: dict[str, Any] = {
            "reference": self.reference_source,
            "attempt": self.attempt_source,
            "verdict": self.verdict,
            "score_percent": round(self.score_percent, 1),
            "lesion_level_match": None if level is None else level.match,
            "lesion_level_offset": None if level is None else level.offset,
            "dice": num(contour, lambda c: c.dice, 4),
            "hd95_mm": num(contour, lambda c: c.hd95_mm),
            "volume_difference_percent": num(contour, lambda c: c.volume_difference_percent),
        }
        for name, part in (("edema", edema), ("field", fld)):
            for side in ("superior", "inferior"):
                key = f"{name}_{side}" if name == "edema" else f"field_{side}_border"
                diff = None if part is None else getattr(part, side)
                data[f"{key}_diff_mm"] = num(diff, lambda d: d.difference_mm)
                data[f"{key}_diff_levels"] = num(diff, lambda d: d.difference_levels)
        data |= {
            "arrangement_match": None if fld is None else fld.arrangement_match,
            "coverage_v95_percent": num(cov, lambda c: c.v95_percent),
            "coverage_pass": None if cov is None else cov.passes,
            "feedback": list(self.feedback),
            "sign_convention": "differences are attempt minus reference, positive = superior "
            "(towards the head); levels counted along the reference labels",
        }
        parts: tuple[tuple[str, Any], ...] = (
            ("lesion_level", level),
            ("contour", contour),
            ("edema", edema),
            ("field", fld),
            ("coverage", cov),
        )
        for name, part in parts:
            data[name] = None if part is None else part.to_json()
        data |= {
            "checks": [c.to_json() for c in self.checks],
            "tolerances": tolerances(),
            "notes": list(self.notes),
        }
        return data

    def summary_lines(self) -> list[str]:
        """The sheet in words, for the terminal and the practice panel."""

        def show(names: Sequence[str]) -> str:
            return level_range_words(names, self.thoracic_prefix) or "none"

        def signed(value: float, unit: str) -> str:
            return f"{value:+.1f} {unit}"

        lines = [
            f"Verdict: {self.verdict.upper()} ({self.score_percent:.0f}% of the checks passed)"
        ]
        if self.lesion_level is not None:
            lv = self.lesion_level
            state = "match" if lv.match else f"off by {lv.offset:+d} level(s)"
            lines.append(
                f"Lesion level:    {show(lv.attempt_names)} (reference {show(lv.reference_names)})"
                f" - {state}"
            )
        if self.contour is not None:
            c = self.contour
            hd = "n/a" if c.hd95_mm is None else f"{c.hd95_mm:.1f} mm"
            lines.append(
                f"Lesion contour:  Dice {c.dice:.2f}, HD95 {hd}, volume "
                f"{c.attempt_volume_cc:.2f} cc vs {c.reference_volume_cc:.2f} cc "
                f"({c.volume_difference_percent:+.0f}%)"
            )
        if self.edema is not None:
            e = self.edema
            lines.append(
                f"Edema limits:    superior {signed(e.superior.difference_mm, 'mm')} "
                f"({signed(e.superior.difference_levels, 'levels')}), inferior "
                f"{signed(e.inferior.difference_mm, 'mm')} "
                f"({signed(e.inferior.difference_levels, 'levels')})"
            )
        if self.field is not None:
            f = self.field
            lines.append(
                f"Field borders:   superior {signed(f.superior.difference_mm, 'mm')} "
                f"({signed(f.superior.difference_levels, 'levels')}), inferior "
                f"{signed(f.inferior.difference_mm, 'mm')} "
                f"({signed(f.inferior.difference_levels, 'levels')})"
            )
            state = "right" if f.arrangement_match else "wrong"
            lines.append(
                f"Arrangement:     {f.attempt_arrangement} (reference "
                f"{f.reference_arrangement}) - {state}"
            )
        if self.coverage is not None:
            state = "PASS" if self.coverage.passes else "FAIL"
            lines.append(
                f"Your field on the reference lesion: V95 {self.coverage.v95_percent:.1f}% - "
                f"{state}"
            )
        lines.append("(differences: attempt minus reference, + = towards the head)")
        if self.feedback:
            lines.append("Feedback:")
            lines += [f"  - {sentence}" for sentence in self.feedback]
        lines += [f"Note: {note}" for note in self.notes]
        return lines


# -- comparisons ----------------------------------------------------------------------------
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


def _study_frames(case: Case) -> set[str]:
    """The frames of reference of the case's study on disk (empty when it cannot be read)."""
    from planning.case import check_study

    try:
        return {str(s.frame_of_reference_uid) for s in check_study(case)}
    except SpineplanError:
        return set()


def _check_same_study_without_uids(reference: Case, attempt: Case, att_name: str) -> None:
    """A case without frame-of-reference UID is only known to be on the reference's study
    by its images: when the two study paths differ, their frames must overlap."""
    if reference.source_path is None or attempt.source_path is None:
        return
    ref_path, att_path = reference.study_path(), attempt.study_path()
    if ref_path.resolve() == att_path.resolve():
        return
    ref_frames, att_frames = _study_frames(reference), _study_frames(attempt)
    if reference.study.frame_of_reference_uid:
        ref_frames = {reference.study.frame_of_reference_uid}
    if attempt.study.frame_of_reference_uid:
        att_frames = {attempt.study.frame_of_reference_uid}
    if ref_frames and att_frames and not ref_frames & att_frames:
        raise CaseFileError(
            f"{att_name}: study.path: {att_path} is in frame of reference "
            f"{', '.join(sorted(att_frames))}, not the reference's "
            f"({', '.join(sorted(ref_frames))}): the attempt is not on the same study"
        )


def _source(case: Case, default: str) -> str:
    return str(case.source_path) if case.source_path is not None else default


def _masks(
    reference: Case, attempt: Case, grid: Volume | None, post_contrast: Volume | None
) -> tuple[Volume, Volume | None, str]:
    """Both lesion masks on one grid (the attempt's is None without a lesion)."""
    assert reference.lesion is not None
    lesions = [reference.lesion] + ([attempt.lesion] if attempt.lesion is not None else [])
    ellipsoids = [lesion for lesion in lesions if isinstance(lesion, EllipsoidLesion)]
    if grid is None and len(ellipsoids) == len(lesions):
        grid = ellipsoid_grid(
            ellipsoids, frame_of_reference_uid=reference.study.frame_of_reference_uid
        )
        name = f"isotropic {grid.spacing_mm[0]:g} mm grid around both ellipsoids"
    else:
        if grid is None:
            grid = study_grid(reference)
            post_contrast = post_contrast or grid
        name = f"series {grid.metadata.series_description!r}".replace(" ''", "")
    ref_mask = build_lesion_mask(reference.lesion, grid, post_contrast, reference.base_dir)
    att_mask = None
    if attempt.lesion is not None:
        try:
            att_mask = build_lesion_mask(attempt.lesion, grid, post_contrast, attempt.base_dir)
        except SpineplanError as exc:
            raise CaseFileError(f"{_source(attempt, 'attempt')}: lesion: {exc}") from exc
    return ref_mask, att_mask, name


def _check(item: str, passed: bool, critical: bool, sentence: Callable[[], str]) -> Check:
    """A check whose feedback sentence is only composed when it failed."""
    return Check(item, passed, critical, "" if passed else sentence())


def _mask_for_field(case: Case, mask: Volume | None) -> Volume | None:
    """An ellipsoid's field is derived from its exact extent (as ``spineplan plan`` does)."""
    return None if isinstance(case.lesion, EllipsoidLesion) else mask


def _lesion_z_range(case: Case, mask: Volume | None) -> tuple[float, float]:
    if isinstance(case.lesion, EllipsoidLesion):
        return case.lesion.z_range_mm
    if mask is None:
        raise PlanningError("the lesion mask is needed for its extent")
    measured = measure_lesion(mask)
    return measured.superior_z_mm, measured.inferior_z_mm


def _contour_checks(
    ref_mask: Volume, att_mask: Volume | None, grid_name: str, checks: list[Check]
) -> ContourScore | None:
    if att_mask is None:
        checks.append(Check("lesion contour", False, False, "no lesion marked: mark the lesion"))
        return None
    contour = compare_masks(ref_mask, att_mask, grid_name)
    hd95 = contour.hd95_mm
    shape_ok = hd95 is not None and contour.dice >= DICE_PASS and hd95 <= HD95_PASS_MM
    checks.append(_check("lesion contour", shape_ok, False, lambda: contour_sentence(contour)))
    volume_ok = hd95 is not None and (
        abs(contour.volume_difference_percent) <= VOLUME_TOLERANCE_PERCENT
    )
    checks.append(_check("lesion volume", volume_ok, False, lambda: volume_sentence(contour)))
    return contour


def _level_checks(
    reference: Case,
    attempt: Case,
    ref_range: tuple[float, float],
    att_mask: Volume | None,
    checks: list[Check],
) -> LesionLevelScore | None:
    if (
        attempt.lesion is None
        or not attempt.levels
        or (att_mask is not None and not att_mask.array.any())
    ):
        missing = "levels are not labelled" if not attempt.levels else "no lesion is marked"
        checks.append(Check("lesion level", False, True, f"lesion level not found: {missing}"))
        return None
    try:
        att_range = _lesion_z_range(attempt, att_mask)
        score = _compare_lesion_levels(reference, attempt, ref_range, att_range)
    except PlanningError as exc:
        checks.append(Check("lesion level", False, True, f"lesion level not found: {exc}"))
        return None
    prefix = reference.thoracic_prefix
    checks.append(
        _check("lesion level", score.match, True, lambda: lesion_level_sentence(score, prefix))
    )
    labels_ok = score.label_offset == 0 and not score.mislabelled
    checks.append(
        _check(
            "vertebral labels",
            labels_ok,
            False,
            lambda: labels_sentence(score, reference, attempt),
        )
    )
    return score


def _edema_checks(reference: Case, attempt: Case, checks: list[Check]) -> EdemaScore | None:
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
            _check(
                f"edema {diff.side} limit",
                diff.within_tolerance,
                False,
                lambda diff=diff: edema_sentence(diff, reference),  # type: ignore[misc]
            )
        )
    return score


def _attempt_field(attempt: Case, att_mask: Volume | None, checks: list[Check]) -> Field | None:
    problem = ""
    if attempt.lesion is None or not attempt.levels:
        problem = "no field: label the levels and mark the lesion first"
    else:
        try:
            return derive_case_field(attempt, _mask_for_field(attempt, att_mask))
        except PlanningError as exc:
            problem = f"no field could be derived: {exc}"
    for side in ("superior", "inferior"):
        checks.append(Check(f"field {side} border", False, True, problem))
    checks.append(Check("arrangement", False, True, "no field, so no arrangement"))
    return None


def _field_checks(
    reference: Case, ref_field: Field, att_field: Field, checks: list[Check]
) -> FieldScore:
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
            _check(
                f"field {diff.side} border",
                diff.within_tolerance,
                True,
                lambda diff=diff: border_sentence(diff, reference, ref_field, att_field),  # type: ignore[misc]
            )
        )
    checks.append(
        _check(
            "arrangement",
            score.arrangement_match,
            True,
            lambda: arrangement_sentence(score, ref_field, reference),
        )
    )
    return score


def score_cases(
    reference: Case,
    attempt: Case,
    *,
    grid: Volume | None = None,
    post_contrast: Volume | None = None,
    coverage: CoverageEvaluator | None = None,
) -> ScoreSheet:
    """Score a trainee's case against the reference case.

    Parameters
    ----------
    reference : Case
        The expert's case: levels, lesion and edema are required; its field must derive.
    attempt : Case
        The trainee's case on the same study (same frame of reference). Missing parts fail
        their checks with a sentence saying what is missing.
    grid : Volume, optional
        The grid both lesion masks are built on (normally the post-contrast series already
        loaded in the viewer). Without it: two ellipsoids are compared on a fine isotropic grid
        (:data:`ELLIPSOID_GRID_SPACING_MM`), other lesions on the reference study's
        post-contrast series, loaded from disk.
    post_contrast : Volume, optional
        Where seed lesions grow (defaults to ``grid``).
    coverage : callable, optional
        ``coverage(attempt, reference_mask) -> V95 %`` of the reference lesion under the
        trainee's plan, e.g. :func:`planned_coverage_percent`; without it (or when it raises a
        PlanningError, e.g. no beam data) the coverage item is left out and a note says why.

    Raises
    ------
    CaseFileError, PlanningError
        The reference is incomplete or inconsistent, or the two cases are in different frames
        of reference.
    """
    ref_name = _source(reference, "reference")
    att_name = _source(attempt, "attempt")
    ref_frame = reference.study.frame_of_reference_uid
    att_frame = attempt.study.frame_of_reference_uid
    if ref_frame and att_frame and ref_frame != att_frame:
        raise CaseFileError(
            f"{att_name}: study.frame_of_reference_uid: {att_frame} is not the reference's "
            f"frame of reference ({ref_frame}): the attempt is not on the same study"
        )
    if not (ref_frame and att_frame):
        _check_same_study_without_uids(reference, attempt, att_name)
    for part in ("levels", "lesion", "edema"):
        if not getattr(reference, part):
            raise CaseFileError(f"{ref_name}: {part}: the reference case has no {part}")
    try:
        require_consistent(reference.levels, reference.thoracic_prefix)
        ref_mask, att_mask, grid_name = _masks(reference, attempt, grid, post_contrast)
        ref_range = _lesion_z_range(reference, ref_mask)
        ref_field = derive_case_field(reference, _mask_for_field(reference, ref_mask))
    except CaseFileError:
        raise
    except PlanningError as exc:
        raise PlanningError(
            f"{ref_name}: the reference case cannot be scored against: {exc}"
        ) from exc

    checks: list[Check] = []
    contour = _contour_checks(ref_mask, att_mask, grid_name, checks)
    level_score = _level_checks(reference, attempt, ref_range, att_mask, checks)
    edema_score = _edema_checks(reference, attempt, checks)
    att_field = _attempt_field(attempt, att_mask, checks)
    field_score = None
    coverage_score = None
    notes: list[str] = []
    if att_field is not None:
        field_score = _field_checks(reference, ref_field, att_field, checks)
        v95 = None
        if coverage is None:
            notes.append("V95 of your field on the reference lesion was not computed")
        else:
            try:
                v95 = float(coverage(attempt, ref_mask))
            except PlanningError as exc:
                notes.append(f"V95 of your field on the reference lesion was not computed: {exc}")
        if v95 is not None:
            coverage_score = CoverageScore(v95)
            checks.append(
                _check(
                    "coverage",
                    coverage_score.passes,
                    True,
                    lambda: (
                        f"your field covers only {coverage_score.v95_percent:.0f}% of the "
                        f"reference lesion with the 95% isodose (V95 must reach "
                        f"{PASS_V95_PERCENT:g}%)"
                    ),
                )
            )
    return ScoreSheet(
        reference_source=ref_name,
        attempt_source=att_name,
        lesion_level=level_score,
        contour=contour,
        edema=edema_score,
        field=field_score,
        coverage=coverage_score,
        checks=tuple(checks),
        notes=tuple(notes),
        thoracic_prefix=reference.thoracic_prefix,
    )


def planned_coverage_percent(
    attempt: Case, reference_mask: Volume, *, images: PlanImages | None = None
) -> float:
    """V95 (%) of the reference lesion under the dose of the trainee's plan.

    The attempt is planned as ``spineplan plan`` would (:func:`planning.plan.plan_case`: its
    field, energy, prescription and normalisation); its dose in Gy is interpolated (trilinear,
    zero outside the dose grid) at the centre of every voxel of ``reference_mask``, and V95 is
    the share of them at or above 95% of the attempt's prescription. ``images`` are the study's
    loaded plan images when the caller has them (``functools.partial`` makes an evaluator).

    Raises
    ------
    PlanningError
        When the attempt cannot be planned (the message says why).
    """
    from planning.plan import plan_case  # the dose pipeline loads only when asked for

    result = plan_case(attempt, images=images)
    k, j, i = np.nonzero(reference_mask.array)
    if k.size == 0:
        raise PlanningError("the reference lesion mask is empty")
    points = reference_mask.index_to_patient(np.column_stack([i, j, k]).astype(float))
    index = result.dose_gy.patient_to_index(points)
    dose = ndimage.map_coordinates(
        np.asarray(result.dose_gy.array, dtype=float),
        [index[:, 2], index[:, 1], index[:, 0]],
        order=1,
        mode="constant",
        cval=0.0,
    )
    threshold = 0.95 * result.prescription.dose_gy
    return float(100.0 * np.count_nonzero(dose >= threshold) / dose.size)


def score_case_files(
    reference_path: str | Path,
    attempt_path: str | Path,
    *,
    coverage: CoverageEvaluator | None = None,
) -> ScoreSheet:
    """:func:`score_cases` on two ``*.spineplan.json`` files (see there)."""
    return score_cases(load_case(reference_path), load_case(attempt_path), coverage=coverage)
