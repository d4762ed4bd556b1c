"""A worker error of any type ends in a message (issue 14, item 6): practice scoring and the
teaching export used to catch three types only, leaving the progress dialog up forever."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.practice import worker
from planning.case import load_case

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom" / "case2" / "reference.spineplan.json"


def _broken(*args, **kwargs):
    raise KeyError("a bug")


def test_teaching_export_reports_an_unforeseen_error(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(worker, "export_case_for_teaching", _broken)
    cleaned: list[bool] = []
    thread = worker.TeachingExportThread(
        SAMPLE, tmp_path / "out", cleanup=lambda: cleaned.append(True)
    )
    with qtbot.waitSignal(thread.failed, timeout=10_000) as failed:
        thread.start()
    thread.wait()
    assert "unexpected error (KeyError" in failed.args[0]
    assert cleaned == [True] and not (tmp_path / "out").exists()


@pytest.mark.parametrize("error", [KeyError("x"), AttributeError("y"), IndexError("z")])
def test_scoring_reports_an_unforeseen_error(qtbot, monkeypatch, error) -> None:
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(worker, "score_cases", broken)
    case = load_case(SAMPLE)
    job = worker.ScoringJob(reference=case, attempt=case, grid=None, with_dose=False)
    thread = worker.ScoringThread(job, generation=3)
    with qtbot.waitSignal(thread.failed, timeout=10_000) as failed:
        thread.start()
    thread.wait()
    assert failed.args[0] == 3 and type(error).__name__ in failed.args[1]
