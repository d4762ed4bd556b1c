"""The score sheet of practice scoring: its checks, the verdict, JSON and words.

:func:`planning.practice.scoring.score_cases` fills it; see :mod:`planning.practice.scoring` for
what is compared and the sign convention.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from planning.anatomy.levels import ThoracicPrefix, level_range_words
from planning.practice.contour_metrics import ContourScore
from planning.practice.parts import (
    CoverageScore,
    EdemaScore,
    FieldScore,
    LesionLevelScore,
    tolerances,
)

Verdict = Literal["perfect", "pass", "fail"]


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


def make_check(item: str, passed: bool, critical: bool, sentence: Callable[[], str]) -> Check:
    """A check whose feedback sentence is only composed when it failed."""
    return Check(item, passed, critical, "" if passed else sentence())


@dataclass(frozen=True)
class ScoreSheet:
    """The result of :func:`planning.practice.scoring.score_cases`. A part is ``None`` when it
    could not be compared (the reason is among ``notes`` or in the failed check's feedback)."""

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
