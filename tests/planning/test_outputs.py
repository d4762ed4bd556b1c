"""The plan's files written together: into place only when every one of them exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from planning.errors import PlanningError
from planning.export.outputs import write_files_together


def _writer(name: str, text: str):
    return lambda folder: (folder / name).write_text(text)


def _broken(folder: Path) -> None:
    raise OSError("disk full")


def test_a_new_folder_appears_whole(tmp_path) -> None:
    out = tmp_path / "out"
    written = write_files_together(
        out, ["a.txt", "b.txt"], [("a", _writer("a.txt", "A")), ("b", _writer("b.txt", "B"))]
    )
    assert written == [out / "a.txt", out / "b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "a.txt").read_text() == "A" and (out / "b.txt").read_text() == "B"


def test_a_failing_step_leaves_an_existing_folder_as_it_was(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    with pytest.raises(OSError, match="disk full"):
        write_files_together(
            out, ["a.txt", "b.txt"], [("a", _writer("a.txt", "new")), ("b", _broken)]
        )
    assert sorted(p.name for p in out.iterdir()) == ["a.txt"]  # no staging folder left
    assert (out / "a.txt").read_text() == "old"


def test_a_failing_step_makes_no_new_folder(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(OSError):
        write_files_together(out, ["a.txt"], [("a", _broken)])
    assert list(tmp_path.iterdir()) == []


def test_progress_can_cancel_before_anything_moves(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    seen: list[tuple[int, int, str]] = []

    class Cancelled(Exception):
        pass

    def progress(done: int, total: int, text: str) -> None:
        seen.append((done, total, text))
        if text.startswith("moving"):
            raise Cancelled

    with pytest.raises(Cancelled):
        write_files_together(out, ["a.txt"], [("a", _writer("a.txt", "A"))], progress)
    assert [s[:2] for s in seen] == [(0, 2), (1, 2)]
    assert list(out.iterdir()) == []


def test_an_existing_folder_gets_its_files_replaced(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    (out / "keep.txt").write_text("mine")
    write_files_together(out, ["a.txt"], [("a", _writer("a.txt", "new"))])
    assert (out / "a.txt").read_text() == "new"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "keep.txt"]


def test_a_missing_output_is_an_error_and_nothing_moves(tmp_path) -> None:
    out = tmp_path / "out"
    with pytest.raises(PlanningError, match=r"b\.txt not written"):
        write_files_together(out, ["a.txt", "b.txt"], [("a", _writer("a.txt", "A"))])
    assert not out.exists()


def test_a_folder_taking_an_output_name_is_refused_first(tmp_path) -> None:
    out = tmp_path / "out"
    (out / "a.txt").mkdir(parents=True)
    with pytest.raises(PlanningError, match="is a folder"):
        write_files_together(out, ["a.txt"], [("a", _writer("a.txt", "A"))])
    assert [p.name for p in out.iterdir()] == ["a.txt"]
