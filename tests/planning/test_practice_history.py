"""Practice history: attempts stored as JSON lines in the data folder, progress read back."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from planning.anatomy.lesion import EllipsoidLesion
from planning.case import load_case
from planning.practice.history import (
    DATA_DIR_ENV,
    KEPT_SCORES,
    Attempt,
    attempt_from_sheet,
    case_identity,
    history_path,
    load_history,
    progress_by_case,
    progress_over_time,
    record_attempt,
    user_data_dir,
)
from planning.practice.scoring import score_cases

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
DAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


def _attempt(case_id: str, when: datetime, score: float, verdict: str, dice=None) -> Attempt:
    return Attempt(case_id, f"label {case_id}", when, verdict, score, {"dice": dice})


def test_data_dir_follows_the_environment(data_dir: Path, monkeypatch) -> None:
    assert user_data_dir() == data_dir
    assert history_path() == data_dir / "practice_history.jsonl"
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", "/somewhere/share")
    assert user_data_dir() == Path("/somewhere/share/spineplan")
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", "/home/trainee")
    assert user_data_dir() == Path("/home/trainee/.local/share/spineplan")


def test_a_scored_attempt_round_trips(data_dir: Path) -> None:
    reference = load_case(SAMPLES / "case2" / "reference.spineplan.json")
    lesion = reference.lesion
    assert isinstance(lesion, EllipsoidLesion)
    moved = EllipsoidLesion(
        (lesion.center_mm[0], lesion.center_mm[1], lesion.center_mm[2] + 3), lesion.radii_mm
    )
    sheet = score_cases(reference, replace(reference, lesion=moved))
    case_id, label = case_identity(reference)
    assert case_id == reference.study.frame_of_reference_uid and label == "case2"

    written = record_attempt(attempt_from_sheet(sheet, case_id, label, when=DAY))
    assert written == data_dir / "practice_history.jsonl"
    line = json.loads(written.read_text().splitlines()[0])
    assert set(KEPT_SCORES) <= set(line["scores"])
    assert line["date"] == "2026-03-02T09:30:00+00:00"

    history = load_history()
    (attempt,) = history.attempts
    assert attempt.case_id == case_id and attempt.case_label == "case2"
    assert attempt.date == DAY
    assert attempt.verdict == sheet.verdict
    assert attempt.scores["dice"] == pytest.approx(sheet.contour.dice, abs=1e-4)  # type: ignore[union-attr]
    assert attempt.feedback == sheet.feedback


def test_truncated_or_foreign_lines_are_skipped(data_dir: Path) -> None:
    path = record_attempt(_attempt("a", DAY, 50.0, "fail"))
    with path.open("a", encoding="utf-8") as stream:
        stream.write('{"version": 99, "case_id": "x"}\n')
        stream.write("not json\n")
        stream.write('{"case_id": "a", "date": "2026-03-0')  # a crash mid-write
    history = load_history()
    assert len(history.attempts) == 1 and history.skipped_lines == 3


def test_missing_history_is_empty(data_dir: Path) -> None:
    assert load_history().attempts == ()


def test_progress_per_case_and_over_time(data_dir: Path) -> None:
    attempts = [
        _attempt("a", DAY, 40.0, "fail", 0.5),
        _attempt("b", DAY + timedelta(hours=1), 80.0, "pass", 0.8),
        _attempt("a", DAY + timedelta(days=1), 70.0, "pass", 0.75),
        _attempt("a", DAY + timedelta(days=3), 100.0, "perfect", 0.9),
    ]
    for attempt in reversed(attempts):  # stored out of order; read back sorted
        record_attempt(attempt)
    history = load_history()
    assert [a.score_percent for a in history.attempts] == [40.0, 80.0, 70.0, 100.0]

    progress = progress_by_case(history.attempts)
    assert list(progress) == ["a", "b"]
    a = progress["a"]
    assert (a.attempts, a.passed, a.perfect) == (3, 2, 1)
    assert a.score_percents == (40.0, 70.0, 100.0)
    assert a.improvement_percent == 60.0
    assert a.best_dice == 0.9 and a.last_verdict == "perfect"
    assert a.first_date == DAY and a.last_date == DAY + timedelta(days=3)
    json.dumps(a.to_json())

    points = progress_over_time(history.attempts)
    assert [p.day for p in points] == ["2026-03-02", "2026-03-03", "2026-03-05"]
    assert points[0].attempts == 2 and points[0].mean_score_percent == 60.0
    assert points[0].passed == 1
