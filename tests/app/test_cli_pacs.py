"""``spineplan pacs`` against a real Orthanc: the issue's round trip over DIMSE and DICOMweb
(store a study spineplan never saw, find, get, plan the retrieved folder, send the RT objects
back), the failures (exit 2, one line) and the stored nodes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pydicom
import pytest

from imaging.pacs.send import send
from tests.app.cli_runner import run
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def settings_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "settings"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    return folder


def _node_options(orthanc: OrthancServer, kind: str) -> list[str]:
    if kind == "dicomweb":
        return ["--url", orthanc.dicomweb_node().url]
    node = orthanc.dimse_node()
    return ["--host", node.host, "--port", str(node.port), "--called-aet", node.called_aet]


def _field(planned: Path) -> dict:
    data = json.loads((planned / "field.json").read_text())
    data.pop("case")  # the case file's path: the only thing that may differ
    return data


@pytest.fixture(scope="module")
def original_field(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("original") / "plan"
    status, _, stderr = run(
        "plan", str(SAMPLE_CASE / "reference.spineplan.json"), "--out", str(out), "--grid-mm", "4"
    )
    assert status == 0, stderr
    return _field(out)


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_round_trip_find_get_plan_send(
    orthanc: OrthancServer, tmp_path: Path, original_field: dict, kind: str
) -> None:
    orthanc.clear()
    assert orthanc.instance_uids() == set()
    assert all(o.ok for o in send(orthanc.dimse_node(), [SAMPLE_CASE]))  # C-STORE
    options = _node_options(orthanc, kind)

    status, stdout, stderr = run("pacs", "find", "--patient-id", "SPL-0002", "--json", *options)
    assert (status, stderr) == (0, "")
    studies = json.loads(stdout)["studies"]
    assert [s["study_instance_uid"] for s in studies] == [sample_study_uid()]
    series = studies[0]["series"]
    assert sorted((s["modality"], s["images"]) for s in series) == [
        ("MR", 11),
        ("MR", 11),
        ("MR", 20),
    ]

    retrieved = tmp_path / "retrieved"
    status, stdout, stderr = run(
        "pacs", "get", sample_study_uid(), "--out", str(retrieved), *options
    )
    assert (status, stderr) == (0, "")
    assert stdout.startswith("retrieved 42 images of study ")
    assert sop_instance_uids(retrieved) == sop_instance_uids(SAMPLE_CASE)
    status, stdout, _ = run("info", str(retrieved), "--json")
    found = json.loads(stdout)["studies"][0]["series"]
    assert status == 0 and sorted(s["shape"][0] for s in found) == [11, 11, 20]

    case = json.loads((SAMPLE_CASE / "reference.spineplan.json").read_text())
    case["study"]["path"] = str(retrieved)
    case_file = tmp_path / "retrieved.spineplan.json"
    case_file.write_text(json.dumps(case))
    planned = tmp_path / "planned"
    status, _, stderr = run("plan", str(case_file), "--out", str(planned), "--grid-mm", "4")
    assert status == 0, stderr
    assert _field(planned) == original_field

    status, stdout, stderr = run("pacs", "send", str(planned), *options)
    assert (status, stderr) == (0, "")
    assert stdout.splitlines()[-1].startswith("sent 3 of 3 files to PACS")
    rt_uids = {
        str(pydicom.dcmread(planned / name, stop_before_pixels=True).SOPInstanceUID)
        for name in ("rtplan.dcm", "rtdose.dcm", "rtstruct.dcm")
    }
    assert rt_uids <= orthanc.instance_uids()  # Orthanc's REST API, not our own find
    status, stdout, _ = run("pacs", "find", "--json", *options)
    modalities = {s["modality"] for st in json.loads(stdout)["studies"] for s in st["series"]}
    assert {"RTPLAN", "RTDOSE", "RTSTRUCT"} <= modalities


def test_echo_and_find_table(orthanc: OrthancServer) -> None:
    status, stdout, _ = run("pacs", "echo", *_node_options(orthanc, "dimse"))
    assert status == 0 and stdout.startswith("PACS at 127.0.0.1:") and stdout.endswith(" ms\n")
    status, stdout, _ = run("pacs", "echo", *_node_options(orthanc, "dicomweb"))
    assert status == 0 and stdout.startswith("PACS at http://127.0.0.1:")
    status, stdout, _ = run("pacs", "find", "--modality", "CT", *_node_options(orthanc, "dimse"))
    assert status == 0 and stdout.startswith("no studies on PACS at 127.0.0.1:")
    orthanc.clear()
    send(orthanc.dimse_node(), [SAMPLE_CASE])
    status, stdout, _ = run("pacs", "find", *_node_options(orthanc, "dimse"))
    lines = stdout.splitlines()
    assert status == 0 and len(lines) == 4
    assert lines[0].startswith("20240417  SPL-0002  SPINEPLAN^CASE2  ")
    assert lines[0].endswith(sample_study_uid())
    assert [line.split()[1:3] for line in lines[1:]] == [["MR", "11"], ["MR", "11"], ["MR", "20"]]


def _one_line_exit_2(argv: list[str], seconds: float = 30) -> str:
    """Run the real console command; it must end within ``seconds`` with exit 2 and one line."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    assert time.monotonic() - start < seconds
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    return done.stderr.strip()


def test_dead_port_exits_2_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    for action in (["echo"], ["find"], ["get", "1.2.3", "--out", str(tmp_path / "o")]):
        line = _one_line_exit_2(
            ["pacs", *action, "--host", "127.0.0.1", "--port", str(port), "--called-aet", "PACS"]
        )
        assert line == (
            f"spineplan: error: PACS at 127.0.0.1:{port} (AE PACS): cannot connect: "
            "Connection refused"
        )
    assert not (tmp_path / "o").exists()


def test_wrong_called_ae_exits_2_with_one_line(orthanc: OrthancServer) -> None:
    line = _one_line_exit_2(
        [
            "pacs",
            "find",
            "--host",
            "127.0.0.1",
            "--port",
            str(orthanc.dicom_port),
            "--called-aet",
            "NOT_HERE",
        ]
    )
    assert line.endswith(
        "(AE NOT_HERE): association rejected (permanent): called AE title not recognised"
    )


def test_dead_dicomweb_url_exits_2_with_one_line() -> None:
    port = free_port()
    line = _one_line_exit_2(["pacs", "echo", "--url", f"http://127.0.0.1:{port}/dicom-web"])
    assert line == (
        f"spineplan: error: PACS at http://127.0.0.1:{port}/dicom-web: QIDO-RS echo: cannot "
        "connect (connection refused)"
    )


def test_get_of_an_unknown_study_writes_nothing(orthanc: OrthancServer, tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, stdout, stderr = run(
        "pacs", "get", "1.2.3.999", "--out", str(out), *_node_options(orthanc, "dimse")
    )
    assert status == 2 and stdout == ""
    assert "C-GET failed: status 0xC000" in stderr and len(stderr.splitlines()) == 1
    assert not out.exists()
    assert [p for p in tmp_path.iterdir() if p.name != "settings"] == []


def test_send_partly_done_exits_1_naming_the_file(orthanc: OrthancServer, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not DICOM")
    first = sorted(SAMPLE_CASE.rglob("*.dcm"))[0]
    status, stdout, stderr = run(
        "pacs", "send", str(first), str(notes), *_node_options(orthanc, "dimse")
    )
    assert (status, stderr) == (1, "")
    lines = stdout.splitlines()
    assert lines[0] == f"not stored: {notes}: not a DICOM file (not sent)"
    assert lines[1].startswith("sent 1 of 2 files to PACS at 127.0.0.1:")
    assert len(lines) == 2


def test_nodes_add_list_remove_and_use(orthanc: OrthancServer, settings_folder: Path) -> None:
    node = orthanc.dimse_node()
    status, stdout, _ = run(
        "pacs",
        "nodes",
        "add",
        "dept",
        "--host",
        node.host,
        "--port",
        str(node.port),
        "--called-aet",
        "ORTHANC",
        "--calling-aet",
        "WS1",
    )
    assert status == 0 and "stored PACS node dept" in stdout
    assert run("pacs", "nodes", "add", "web", "--url", orthanc.dicomweb_node().url)[0] == 0
    stored = json.loads((settings_folder / "pacs_nodes.json").read_text())
    assert stored == {
        "nodes": [
            {
                "name": "dept",
                "host": "127.0.0.1",
                "port": node.port,
                "called_aet": "ORTHANC",
                "calling_aet": "WS1",
            },
            {"name": "web", "url": orthanc.dicomweb_node().url},
        ]
    }
    status, stdout, _ = run("pacs", "nodes", "list")
    assert "dept: 127.0.0.1:" in stdout and "web: DICOMweb http://" in stdout
    assert run("pacs", "echo", "--pacs", "dept")[0] == 0
    assert run("pacs", "echo", "--pacs", "web")[0] == 0

    status, _, stderr = run("pacs", "nodes", "add", "dept", "--url", "http://x/dicom-web")
    assert status == 2 and "exists already (--replace replaces it)" in stderr
    status, _, stderr = run("pacs", "echo", "--pacs", "nobody")
    assert status == 2 and "(known: 'dept', 'web';" in stderr
    assert run("pacs", "nodes", "remove", "dept")[0] == 0
    assert [
        n["name"] for n in json.loads((settings_folder / "pacs_nodes.json").read_text())["nodes"]
    ] == ["web"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--host", "h", "--port", "104", "--called-aet", "A" * 17],
            "called AE title 'AAAAAAAAAAAAAAAAA' is not a DICOM AE title",
        ),
        (
            ["--host", "h", "--port", "70000", "--called-aet", "PACS"],
            "port 70000 is not a TCP port",
        ),
        (["--host", "h", "--port", "x", "--called-aet", "PACS"], "--port: 'x' is not a TCP port"),
        (["--url", "ftp://pacs/dicom-web"], "is not an http(s) URL with a host"),
        (["--host", "h", "--port", "104"], "PACS node 'bad': no called AE title"),
    ],
)
def test_bad_node_options_exit_2(options: list[str], message: str) -> None:
    status, stdout, stderr = run("pacs", "nodes", "add", "bad", *options)
    assert status == 2 and stdout == ""
    assert message in stderr and len(stderr.splitlines()) == 1


def test_get_by_c_move_with_move_port(orthanc: OrthancServer, tmp_path: Path) -> None:
    """``--move-port``: Orthanc moves the study to spineplan's storage SCP (its modality entry
    ``SPINEPLAN`` points at that port)."""
    orthanc.clear()
    send(orthanc.dimse_node(), [SAMPLE_CASE])
    out = tmp_path / "moved"
    options = [*_node_options(orthanc, "dimse"), "--move-port", str(orthanc.move_port)]
    status, stdout, stderr = run("pacs", "get", sample_study_uid(), "--out", str(out), *options)
    assert (status, stderr) == (0, "") and stdout.startswith("retrieved 42 images")
    assert sop_instance_uids(out) == sop_instance_uids(SAMPLE_CASE)
    # an AE title Orthanc does not know as a modality: it cannot move there
    status, _, stderr = run(
        "pacs",
        "get",
        sample_study_uid(),
        "--out",
        str(tmp_path / "no"),
        *options,
        "--calling-aet",
        "STRANGER",
    )
    assert status == 2 and not (tmp_path / "no").exists()
    assert stderr.endswith(
        "C-MOVE failed: status 0xC000 (unable to process); no image sent (does the PACS hold "
        "this study or series, and know STRANGER as a move destination?)\n"
    )
