"""``spineplan score``: the sheet as text and JSON, the history, and bad input as exit 2."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app import cli
from planning.anatomy.edema import EdemaLimits
from planning.case import load_case, save_case
from planning.practice.history import DATA_DIR_ENV, load_history

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom" / "case3" / "reference.spineplan.json"
REQUIRED = (
    "lesion_level_match",
    "lesion_level_offset",
    "dice",
    "hd95_mm",
    "field_superior_border_diff_mm",
    "field_inferior_border_diff_mm",
    "edema_superior_diff_mm",
    "edema_inferior_diff_mm",
)


@pytest.fixture
def attempt(tmp_path) -> Path:
    """Case 3's reference with the edema's superior limit 15 mm higher, saved elsewhere."""
    reference = load_case(SAMPLE)
    edema = reference.edema
    assert edema is not None
    study = replace(reference.study, path=str(SAMPLE.parent))  # absolute: the file moves
    changed = replace(
        reference,
        study=study,
        reference=False,
        edema=EdemaLimits(edema.superior_z_mm + 15.0, edema.inferior_z_mm),
    )
    return save_case(changed, tmp_path / "attempt.spineplan.json").source_path  # type: ignore[return-value]


def test_reference_against_itself_json(capsys) -> None:
    assert cli.main(["score", str(SAMPLE), str(SAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(REQUIRED) <= set(data)
    assert data["lesion_level_match"] is True and data["lesion_level_offset"] == 0
    assert data["dice"] == 1.0 and data["hd95_mm"] == 0.0
    assert all(data[key] == 0.0 for key in REQUIRED[4:])
    assert data["verdict"] == "perfect" and data["feedback"] == []


def test_edema_difference_text_and_json(attempt: Path, capsys) -> None:
    assert cli.main(["score", str(SAMPLE), str(attempt)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verdict: PASS")
    assert (
        "edema superior limit 15 mm (about one level) too high: the reference puts it at T8" in out
    )
    assert cli.main(["score", str(SAMPLE), str(attempt), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["edema_superior_diff_mm"] == 15.0 and data["edema_inferior_diff_mm"] == 0.0
    assert data["field_superior_border_diff_mm"] == 0.0


def test_record_adds_to_the_history(attempt: Path, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    assert cli.main(["score", str(SAMPLE), str(attempt), "--record"]) == 0
    assert "Attempt recorded in" in capsys.readouterr().out
    (stored,) = load_history().attempts
    assert stored.case_label == "case3" and stored.verdict == "pass"
    assert stored.scores["edema_superior_diff_mm"] == 15.0


def test_bad_input_exits_2_with_one_line(tmp_path, capsys) -> None:
    assert cli.main(["score", str(SAMPLE), str(tmp_path / "missing.spineplan.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spineplan: error: ") and "case file not found" in err
    assert len(err.strip().splitlines()) == 1

    broken = tmp_path / "broken.spineplan.json"
    broken.write_text('{"study": {"path": "."}, "lesoin": null}')
    assert cli.main(["score", str(SAMPLE), str(broken)]) == 2
    assert "did you mean 'lesion'?" in capsys.readouterr().err


def test_reference_without_edema_exits_2(tmp_path, capsys) -> None:
    reference = replace(load_case(SAMPLE), edema=None)
    path = save_case(reference, tmp_path / "noedema.spineplan.json").source_path
    assert cli.main(["score", str(path), str(SAMPLE)]) == 2
    assert "the reference case has no edema" in capsys.readouterr().err


def test_the_trainees_plan_is_checked_on_the_reference_lesion(tmp_path, capsys) -> None:
    reference = load_case(SAMPLE)
    six_mv = replace(
        reference,
        study=replace(reference.study, path=str(SAMPLE.parent)),
        plan=replace(reference.plan, energy="6MV"),
    )
    path = save_case(six_mv, tmp_path / "six_mv.spineplan.json").source_path
    assert cli.main(["score", str(SAMPLE), str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["coverage_v95_percent"] == 100.0 and data["coverage_pass"] is True
    assert cli.main(["score", str(SAMPLE), str(path), "--no-dose"]) == 0
    out = capsys.readouterr().out
    assert "V95" not in out.split("Note:")[0]
    assert "Note: V95 of your field on the reference lesion was not computed" in out


def test_attempt_without_uids_on_another_study_is_refused(tmp_path, capsys) -> None:
    other = json.loads((SAMPLE.parents[1] / "case2" / "reference.spineplan.json").read_text())
    other["study"] = {"path": str(SAMPLE.parents[1] / "case2")}  # no UIDs: found by its images
    attempt = tmp_path / "other.spineplan.json"
    attempt.write_text(json.dumps(other))
    assert cli.main(["score", str(SAMPLE), str(attempt)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1
    assert "other.spineplan.json: study.path:" in err[0] and "not on the same study" in err[0]


def test_attempt_without_uids_on_the_same_study_is_scored(tmp_path, capsys) -> None:
    same = json.loads(SAMPLE.read_text())
    same["study"] = {"path": str(SAMPLE.parent)}
    attempt = tmp_path / "same.spineplan.json"
    attempt.write_text(json.dumps(same))
    assert cli.main(["score", str(SAMPLE), str(attempt), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dice"] == pytest.approx(1.0)
