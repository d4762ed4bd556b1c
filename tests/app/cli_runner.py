"""The command line run in-process, its output captured (faster than a subprocess)."""

from __future__ import annotations

import contextlib
import io

from app import cli


def run(*argv: str) -> tuple[int, str, str]:
    """``spineplan ARGV...``: exit status, stdout and stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(list(argv))
    return status, stdout.getvalue(), stderr.getvalue()
