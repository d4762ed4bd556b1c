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
