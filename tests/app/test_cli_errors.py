"""The console command's contract: user errors are one line and exit status 2."""

from __future__ import annotations

import pytest

from app import cli
from imaging.errors import NoDicomError


def test_user_error_is_one_line_and_status_2(monkeypatch, capsys) -> None:
    def failing(_args):
        raise NoDicomError("no DICOM file in /nowhere (3 files skipped)")

    monkeypatch.setitem(cli.COMMANDS, "boom", ("tests.app.test_cli_errors", "test only"))
    monkeypatch.setattr(
        cli,
        "_command_parser",
        lambda name: _FakeParser(failing),
    )
    status = cli.main(["boom"])
    captured = capsys.readouterr()
    assert status == cli.EXIT_BAD_INPUT
    assert captured.err.strip().splitlines() == [
        "spineplan: error: no DICOM file in /nowhere (3 files skipped)"
    ]
    assert "Traceback" not in captured.err


def test_a_bug_is_reported_without_traceback(monkeypatch, capsys) -> None:
    def buggy(_args):
        raise KeyError("oops")

    monkeypatch.delenv("SPINEPLAN_DEBUG", raising=False)
    monkeypatch.setitem(cli.COMMANDS, "boom", ("tests.app.test_cli_errors", "test only"))
    monkeypatch.setattr(cli, "_command_parser", lambda name: _FakeParser(buggy))
    assert cli.main(["boom"]) == 3
    err = capsys.readouterr().err
    assert "internal error: KeyError" in err and "Traceback" not in err


def test_help_lists_the_commands(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "info" in capsys.readouterr().out


class _FakeParser:
    def __init__(self, run):
        self._run = run

    def parse_args(self, _argv):
        class Args:
            pass

        args = Args()
        args._run = self._run
        return args


def test_unusable_screenshot_target_is_refused_before_loading(tmp_path, capsys) -> None:
    study = tmp_path / "study"
    study.mkdir()
    a_file = tmp_path / "a_file"
    a_file.write_text("keep me")
    for target, words in (
        (tmp_path, "is a folder"),
        (tmp_path / "shot.txt", "name it *.png"),
        (a_file / "shot.png", "is a file, not a folder"),
    ):
        assert cli.main([str(study), "--screenshot", str(target)]) == cli.EXIT_BAD_INPUT
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("spineplan: error: --screenshot:"), err
        assert words in err[0]
    assert a_file.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "study"]
