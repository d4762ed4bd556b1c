"""``spineplan plan`` and ``spineplan pacs`` never import Qt: run them with PySide6 and
shiboken6 blocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.planning.plan_fixtures import SAMPLES

ROOT = Path(__file__).resolve().parents[2]

#: Makes every import of PySide6 or shiboken6 fail, then runs the command line given in argv.
BLOCKED_QT = """
import sys

class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"Qt import blocked: {name}")
        return None

sys.meta_path.insert(0, NoQt())
if sys.argv[1:] == ["import-qt"]:
    import PySide6.QtCore  # proves the blocker blocks
from app.cli import main
status = main(sys.argv[1:])
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
print(f"Qt modules loaded: {qt}", file=sys.stderr)
sys.exit(status)
"""


def _run_blocked(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # A user's matplotlib backend choice must not pull Qt in either (the report never uses
    # pyplot).
    env["MPLBACKEND"] = "QtAgg"
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        [sys.executable, "-c", BLOCKED_QT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_blocker_stops_a_qt_import() -> None:
    blocked = _run_blocked("import-qt")
    assert blocked.returncode != 0
    assert "Qt import blocked: PySide6" in blocked.stderr


def test_plan_writes_every_output_without_qt(tmp_path) -> None:
    out = tmp_path / "out"
    case = SAMPLES / "case2" / "reference.spineplan.json"
    planned = _run_blocked("plan", str(case), "--out", str(out), "--grid-mm", "4")
    assert planned.returncode == 0, planned.stderr
    assert "Qt modules loaded: []" in planned.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["field.json", "field.csv", "report.pdf", "rtplan.dcm", "rtdose.dcm", "rtstruct.dcm"]
    )
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")


def test_pacs_commands_run_without_qt(orthanc, tmp_path) -> None:
    node = orthanc.dimse_node()
    address = ["--host", node.host, "--port", str(node.port), "--called-aet", node.called_aet]
    sample = SAMPLES / "case2" / "T2_SAG"
    for argv in (
        ["pacs", "echo", *address],
        ["pacs", "send", str(sample), *address],
        ["pacs", "find", "--json", *address],
        ["pacs", "find", "--url", orthanc.dicomweb_node().url],
    ):
        done = _run_blocked(*argv)
        assert done.returncode == 0, (argv, done.stderr)
        assert "Qt modules loaded: []" in done.stderr
    study = json.loads(_run_blocked("pacs", "find", "--json", *address).stdout)["studies"][0]
    out = tmp_path / "got"
    got = _run_blocked("pacs", "get", study["study_instance_uid"], "--out", str(out), *address)
    assert got.returncode == 0 and "Qt modules loaded: []" in got.stderr
    assert len(list(out.iterdir())) == len(list(sample.iterdir()))
