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

Each comparison is a :class:`~planning.practice.sheet.Check` (passed or not, critical or not). The
verdict is ``"perfect"`` when every check passes, ``"pass"`` when every critical check passes
(the trainee would deliver the same treatment: lesion level, both field borders, arrangement,
coverage when computed) and ``"fail"`` otherwise; ``score_percent`` is the share of checks
passed.

Pieces: :mod:`planning.practice.contour_metrics` (Dice, surface distances, the ellipsoid grid),
:mod:`planning.practice.parts` (the compared quantities and the tolerances),
:mod:`planning.practice.feedback` (the sentences), :mod:`planning.practice.inputs` (the same study,
both lesions on one grid), :mod:`planning.practice.checks` (each item's checks),
:mod:`planning.practice.sheet` (the sheet, verdict and words); this module runs the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from imaging.sampling import sample_at_ijk
from imaging.volume import Volume
from planning.anatomy.levels import require_consistent
from planning.case import Case, load_case
from planning.errors import CaseFileError, PlanningError
from planning.evaluation.coverage import PASS_V95_PERCENT
from planning.field.derivation import derive_case_field
from planning.practice.checks import (
    attempt_field,
    contour_checks,
    edema_checks,
    field_checks,
    lesion_z_range,
    level_checks,
    mask_for_field,
)
from planning.practice.inputs import case_source, lesion_masks, require_same_study
from planning.practice.parts import CoverageScore
from planning.practice.sheet import Check, ScoreSheet, make_check

if TYPE_CHECKING:
    from planning.dose.images import PlanImages

#: ``coverage(attempt, reference_mask) -> V95 %`` of the reference lesion (a boolean mask in
#: the study's frame) under the dose the attempt's plan delivers.
CoverageEvaluator = Callable[[Case, Volume], float]


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
        (:data:`~planning.practice.contour_metrics.ELLIPSOID_GRID_SPACING_MM`), other lesions on the
        reference study's post-contrast series, loaded from disk.
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
    ref_name = case_source(reference, "reference")
    att_name = case_source(attempt, "attempt")
    require_same_study(reference, attempt, att_name)
    for part in ("levels", "lesion", "edema"):
        if not getattr(reference, part):
            raise CaseFileError(f"{ref_name}: {part}: the reference case has no {part}")
    try:
        require_consistent(reference.levels, reference.thoracic_prefix)
        ref_mask, att_mask, grid_name = lesion_masks(reference, attempt, grid, post_contrast)
        ref_range = lesion_z_range(reference, ref_mask)
        ref_field = derive_case_field(reference, mask_for_field(reference, ref_mask))
    except CaseFileError:
        raise
    except PlanningError as exc:
        raise PlanningError(
            f"{ref_name}: the reference case cannot be scored against: {exc}"
        ) from exc

    checks: list[Check] = []
    contour = contour_checks(ref_mask, att_mask, grid_name, checks)
    level_score = level_checks(reference, attempt, ref_range, att_mask, checks)
    edema_score = edema_checks(reference, attempt, checks)
    att_field = attempt_field(attempt, att_mask, checks)
    field_score = None
    coverage_score = None
    notes: list[str] = []
    if att_field is not None:
        field_score = field_checks(reference, ref_field, att_field, checks)
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
                make_check(
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
    dose = sample_at_ijk(
        np.asarray(result.dose_gy.array, dtype=float), index, order=1, mode="constant"
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
