"""Practice-mode pieces: the score sheet view, the history panel and its plot, an empty or
cancelled submit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.practice.cases import SAMPLE_ROOT, load_reference_case
from app.practice.history_panel import HistoryPanel
from app.practice.score_sheet import ScoreSheetView, sheet_rows
from planning.anatomy.edema import EdemaLimits
from planning.case import load_case
from planning.case.masks import load_masks
from planning.practice.history import Attempt, load_history, record_attempt
from planning.practice.scoring import score_cases

CASE = SAMPLE_ROOT / "case2" / "reference.spineplan.json"
pytestmark = pytest.mark.skipif(not CASE.is_file(), reason="sample case 2 is not generated")


@pytest.fixture(scope="module")
def reference():
    return load_case(CASE)


def test_a_perfect_sheet_shows_every_part_passed(qtbot, reference):
    sheet = score_cases(reference, reference)
    rows = sheet_rows(sheet)
    parts = [part for part, _, _ in rows]
    assert parts[:4] == ["Lesion level", "Vertebral labels", "Lesion contour", "Lesion volume"]
    assert all(passed for _, _, passed in rows)
    numbers = dict((part, text) for part, text, _ in rows)
    assert numbers["Lesion contour"] == "Dice 1.00, HD95 0.0 mm"
    assert numbers["Edema superior limit"] == "+0.0 mm (+0.00 levels)"
    view = ScoreSheetView()
    qtbot.addWidget(view)
    view.set_sheet(sheet, "Sample case2")
    assert view.verdict.text() == "PERFECT: 100 % of the checks passed"
    assert "every check passed" in view.feedback.text()
    assert "not computed" in view.notes.text()  # no coverage evaluator given
    view.clear()
    assert view.row_texts() == [] and view.verdict.isHidden()


def test_a_known_edema_shift_reads_in_mm_and_levels(qtbot, reference):
    edema = reference.edema
    attempt = replace(
        reference,
        reference=False,
        edema=EdemaLimits(edema.superior_z_mm + 12.0, edema.inferior_z_mm),
    )
    sheet = score_cases(reference, attempt)
    rows = {part: (text, passed) for part, text, passed in sheet_rows(sheet)}
    text, passed = rows["Edema superior limit"]
    assert text.startswith("+12.0 mm (") and passed is False  # tolerance 10 mm
    assert rows["Edema inferior limit"] == ("+0.0 mm (+0.00 levels)", True)
    view = ScoreSheetView()
    qtbot.addWidget(view)
    view.set_sheet(sheet, "Sample case2")
    assert view.verdict.text().startswith("PASS: ")
    assert "edema superior limit 12 mm" in view.feedback.text()
    assert "✘" in view.table.text() and "+12.0 mm" in view.table.text()


def test_the_history_panel_shows_progress_per_case_and_over_time(qtbot):
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for when, case, score, verdict in (
        (start, "a", 40.0, "fail"),
        (start + timedelta(hours=1), "a", 80.0, "pass"),
        (start + timedelta(days=1), "b", 100.0, "perfect"),
    ):
        record_attempt(Attempt(f"/cases/{case}", f"Case {case}", when, verdict, score))
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 600)
    panel.show()
    panel.refresh()
    assert panel.case_rows() == [
        ["Case a", "2", "1", "80 %", "80 % (pass)"],
        ["Case b", "1", "1", "100 %", "100 % (perfect)"],
    ]
    days = [[panel.days.item(r, c).text() for c in range(4)] for r in range(panel.days.rowCount())]
    assert days == [["2026-03-02", "1", "100 %", "1"], ["2026-03-01", "2", "60 %", "1"]]
    assert "3 attempt(s) on 2 case(s), 2 passed" in panel.summary.text()
    points = panel.plot.points()
    assert [case for case, _, _ in points] == ["/cases/a", "/cases/a", "/cases/b"]
    assert [passed for _, _, passed in points] == [False, True, True]
    ys = [point.y() for _, point, _ in points]
    assert ys[0] > ys[1] > ys[2]  # higher score, higher on the plot
    xs = [point.x() for _, point, _ in points]
    assert xs == sorted(xs)
    image = panel.plot.grab().toImage()
    x, y = int(xs[2]), int(ys[2])
    assert image.pixelColor(x, y) == panel.plot.color_of("/cases/b")  # a filled point


def test_an_unreadable_history_is_said_in_words(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "practice_history.jsonl").write_text("{broken\n")
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.refresh()
    assert "No practice attempts yet" in panel.summary.text()
    assert "1 unreadable line(s) skipped" in panel.summary.text()


def test_an_empty_attempt_fails_with_sentences_saying_what_is_missing(qtbot, window):
    practice = window.practice
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        practice.start(load_reference_case(CASE))
    with qtbot.waitSignal(practice.scored, timeout=90_000) as blocker:
        assert practice.submit()
        # the dose is computed: the trainee sees progress and the bar says so
        assert "planning your field" in practice.progress.labelText()
        assert "scoring your attempt" in practice.bar_label.text()
        assert not practice.submit_button.isEnabled()
    assert practice.progress is None
    sheet = blocker.args[0].sheet
    assert sheet.verdict == "fail"
    assert practice.sheet_view.verdict.text().startswith("FAIL: ")
    assert "no lesion marked" in practice.sheet_view.feedback.text()
    assert load_history().attempts[-1].verdict == "fail"
    # the answer is shown now: the same attempt cannot be submitted again, only restarted
    assert not practice.submit()
    assert practice.again_button.isVisible()
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        practice.again_button.click()
    assert practice.active and not practice.submitted and practice.comparison.items == []
    assert practice.submit_button.isEnabled()


def test_a_cancelled_scoring_records_nothing(qtbot, window):
    practice = window.practice
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        practice.start(load_reference_case(CASE))
    scored = []
    practice.scored.connect(scored.append)
    assert practice.submit()
    practice.cancel_scoring()
    assert practice.scoring_thread is None and practice.submit_button.isEnabled()
    assert practice.wait_until_idle()
    qtbot.wait(100)  # the dropped result, had it been delivered, would have arrived by now
    assert scored == [] and load_history().attempts == ()
    assert practice.submit_button.isEnabled()  # the trainee can submit again


def test_a_painted_lesion_and_the_plan_settings_go_with_the_attempt(qtbot, window, reference):
    practice = window.practice
    with qtbot.waitSignal(window.load_finished, timeout=30_000):
        practice.start(load_reference_case(CASE))
    document = window.annotation.document
    # the trainee "paints" exactly the reference lesion on the post-contrast series
    painted = load_masks(reference, document.reference).lesion_mask
    state = replace(
        document.case, levels=reference.levels, edema=reference.edema, lesion_mask=painted
    )
    document.apply("Paint", state)
    assert document.case.lesion is None  # painted by hand: no specification
    window.plan_panel.margin_spin.setValue(5.0)
    with qtbot.waitSignal(practice.scored, timeout=90_000) as blocker:
        assert practice.submit()
    sheet = blocker.args[0].sheet
    assert sheet.contour.dice == pytest.approx(1.0)
    assert sheet.lesion_level.match
    attempt = load_case(practice.attempt_path)
    assert attempt.lesion.origin == "painted"
    assert attempt.resolve(attempt.lesion.path).is_file()
    assert attempt.plan.margin_mm == pytest.approx(5.0)
    # a 5 mm margin moves both borders outwards by 5 mm
    assert sheet.field.superior.difference_mm == pytest.approx(5.0, abs=0.01)
    assert sheet.field.inferior.difference_mm == pytest.approx(-5.0, abs=0.01)
