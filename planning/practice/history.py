"""Practice attempts kept in the user's data folder, and the trainee's progress.

Each scored attempt is one JSON line appended to ``practice_history.jsonl`` in the data folder
(:func:`user_data_dir`): the case, the date (UTC, ISO 8601), the verdict, the share of checks
passed and the headline numbers of the score sheet. Appending one line per attempt means a
crash can at worst leave a truncated last line, which reading skips (and counts).

The data folder is ``$SPINEPLAN_DATA_DIR`` when set (tests, portable installs), else the
platform's per-user data folder: ``$XDG_DATA_HOME/spineplan`` or ``~/.local/share/spineplan``
on Linux, ``~/Library/Application Support/spineplan`` on macOS, ``%APPDATA%\\spineplan`` on
Windows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imaging.user_folders import DATA_DIR_ENV as DATA_DIR_ENV
from imaging.user_folders import user_data_dir as user_data_dir
from planning.case import Case
from planning.errors import PlanningError
from planning.practice.sheet import ScoreSheet

HISTORY_FILE_NAME = "practice_history.jsonl"
#: Version of one history line; newer lines are skipped by older readers.
HISTORY_VERSION = 1

#: The score-sheet numbers kept with each attempt (keys of ``ScoreSheet.to_json()``).
KEPT_SCORES = (
    "lesion_level_match",
    "lesion_level_offset",
    "dice",
    "hd95_mm",
    "volume_difference_percent",
    "edema_superior_diff_mm",
    "edema_inferior_diff_mm",
    "field_superior_border_diff_mm",
    "field_inferior_border_diff_mm",
    "field_superior_border_diff_levels",
    "field_inferior_border_diff_levels",
    "arrangement_match",
    "coverage_v95_percent",
    "coverage_pass",
)


def history_path() -> Path:
    """Where the practice history is stored."""
    return user_data_dir() / HISTORY_FILE_NAME


def case_identity(case: Case) -> tuple[str, str]:
    """``(case_id, label)`` of a reference case.

    The id is the study's frame of reference (or StudyInstanceUID) so that the same case opened
    from another folder counts as the same case; the label is the case's description, else the
    name of the case file's folder (``case2``), for people to read.
    """
    case_id = case.study.frame_of_reference_uid or case.study.study_instance_uid
    folder = case.source_path.parent.name if case.source_path is not None else ""
    if not case_id:
        case_id = str(case.source_path) if case.source_path is not None else case.study.path
    return case_id, case.description or folder or case_id


@dataclass(frozen=True)
class Attempt:
    """One stored attempt.

    Attributes
    ----------
    case_id, case_label : str
        Which case (see :func:`case_identity`).
    date : datetime
        When it was scored, timezone-aware (UTC when written by spineplan).
    verdict : str
        ``"perfect"``, ``"pass"`` or ``"fail"``.
    score_percent : float
        Share of the checks passed, %.
    scores : dict
        The headline numbers (:data:`KEPT_SCORES`; units in the names).
    feedback : tuple of str
        The sentences the trainee was given.
    """

    case_id: str
    case_label: str
    date: datetime
    verdict: str
    score_percent: float
    scores: Mapping[str, Any] = field(default_factory=dict)
    feedback: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": HISTORY_VERSION,
            "case_id": self.case_id,
            "case_label": self.case_label,
            "date": self.date.isoformat(),
            "verdict": self.verdict,
            "score_percent": self.score_percent,
            "scores": dict(self.scores),
            "feedback": list(self.feedback),
        }

    @classmethod
    def from_json(cls, data: Any) -> Attempt:
        """Parse one history line; :class:`ValueError` when it is not a usable attempt."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        if int(data.get("version", 1)) > HISTORY_VERSION:
            raise ValueError("written by a newer spineplan")
        date = datetime.fromisoformat(str(data["date"]))
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        scores = data.get("scores", {})
        if not isinstance(scores, dict):
            raise ValueError("scores is not an object")
        return cls(
            case_id=str(data["case_id"]),
            case_label=str(data.get("case_label", data["case_id"])),
            date=date,
            verdict=str(data["verdict"]),
            score_percent=float(data["score_percent"]),
            scores=scores,
            feedback=tuple(str(s) for s in data.get("feedback", [])),
        )


def attempt_from_sheet(
    sheet: ScoreSheet, case_id: str, case_label: str = "", when: datetime | None = None
) -> Attempt:
    """The attempt to store for a score sheet (``when`` defaults to now, UTC)."""
    data = sheet.to_json()
    return Attempt(
        case_id=case_id,
        case_label=case_label or case_id,
        date=when or datetime.now(UTC),
        verdict=sheet.verdict,
        score_percent=round(sheet.score_percent, 1),
        scores={key: data[key] for key in KEPT_SCORES},
        feedback=sheet.feedback,
    )


def record_attempt(attempt: Attempt, path: str | Path | None = None) -> Path:
    """Append an attempt to the history (creating the folder); returns the history file.

    Raises
    ------
    PlanningError
        When the data folder cannot be written.
    """
    path = Path(path) if path is not None else history_path()
    line = json.dumps(attempt.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write of one line in append mode: concurrent writers do not interleave lines.
        with path.open("a", encoding="utf-8") as stream:
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as exc:
        raise PlanningError(f"{path}: cannot record the practice attempt ({exc})") from exc
    return path


@dataclass(frozen=True)
class History:
    """The attempts read back, oldest first, and how many lines could not be used."""

    attempts: tuple[Attempt, ...]
    skipped_lines: int = 0
    path: Path | None = None


def load_history(path: str | Path | None = None) -> History:
    """Read every attempt (oldest first); a missing file is an empty history.

    Lines that are not valid attempts (a crash mid-write, a hand edit, a newer version) are
    skipped and counted in ``skipped_lines``.

    Raises
    ------
    PlanningError
        When the file exists but cannot be read.
    """
    path = Path(path) if path is not None else history_path()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return History((), 0, path)
    except OSError as exc:
        raise PlanningError(f"{path}: cannot read the practice history ({exc})") from exc
    attempts: list[Attempt] = []
    skipped = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            attempts.append(Attempt.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            skipped += 1
    attempts.sort(key=lambda a: a.date)
    return History(tuple(attempts), skipped, path)


@dataclass(frozen=True)
class CaseProgress:
    """A trainee's record on one case.

    ``score_percents`` follow the attempts in time; ``improvement_percent`` is the last minus
    the first score (percentage points).
    """

    case_id: str
    case_label: str
    attempts: int
    passed: int
    perfect: int
    first_date: datetime
    last_date: datetime
    best_score_percent: float
    last_score_percent: float
    last_verdict: str
    score_percents: tuple[float, ...]
    best_dice: float | None

    @property
    def improvement_percent(self) -> float:
        return self.score_percents[-1] - self.score_percents[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_label": self.case_label,
            "attempts": self.attempts,
            "passed": self.passed,
            "perfect": self.perfect,
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "best_score_percent": self.best_score_percent,
            "last_score_percent": self.last_score_percent,
            "last_verdict": self.last_verdict,
            "improvement_percent": self.improvement_percent,
            "best_dice": self.best_dice,
        }


def progress_by_case(attempts: Iterable[Attempt]) -> dict[str, CaseProgress]:
    """Each case's record, keyed by case id, in order of the first attempt."""
    groups: dict[str, list[Attempt]] = {}
    for attempt in sorted(attempts, key=lambda a: a.date):
        groups.setdefault(attempt.case_id, []).append(attempt)
    progress = {}
    for case_id, group in groups.items():
        dices = [a.scores.get("dice") for a in group]
        known = [float(d) for d in dices if isinstance(d, int | float)]
        progress[case_id] = CaseProgress(
            case_id=case_id,
            case_label=group[-1].case_label,
            attempts=len(group),
            passed=sum(a.verdict in ("pass", "perfect") for a in group),
            perfect=sum(a.verdict == "perfect" for a in group),
            first_date=group[0].date,
            last_date=group[-1].date,
            best_score_percent=max(a.score_percent for a in group),
            last_score_percent=group[-1].score_percent,
            last_verdict=group[-1].verdict,
            score_percents=tuple(a.score_percent for a in group),
            best_dice=max(known) if known else None,
        )
    return progress


@dataclass(frozen=True)
class ProgressPoint:
    """One day of practice: the attempts that day and their mean score (for the plot)."""

    day: str
    attempts: int
    mean_score_percent: float
    passed: int


def progress_over_time(attempts: Sequence[Attempt]) -> tuple[ProgressPoint, ...]:
    """Attempts grouped by UTC day, oldest first: how many, mean score, how many passed."""
    days: dict[str, list[Attempt]] = {}
    for attempt in sorted(attempts, key=lambda a: a.date):
        days.setdefault(attempt.date.astimezone(UTC).date().isoformat(), []).append(attempt)
    return tuple(
        ProgressPoint(
            day=day,
            attempts=len(group),
            mean_score_percent=sum(a.score_percent for a in group) / len(group),
            passed=sum(a.verdict in ("pass", "perfect") for a in group),
        )
        for day, group in days.items()
    )
