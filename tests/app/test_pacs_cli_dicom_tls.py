"""``spineplan pacs`` over DICOM TLS against a real Orthanc that requires a client certificate:
``--tls --ca-file`` without a client certificate is refused in one line (exit 2, nothing
written); a node stored with ``--client-cert`` and ``--client-key`` keeps their paths, not the
key, and echoes, finds, gets (C-GET, and C-MOVE received over TLS) and sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.cli_runner import run
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import (
    SPINEPLAN_TLS_AE,
    OrthancServer,
)
from tests.pacs_tls import CertificateFiles, TestCA


@pytest.fixture(autouse=True)
def settings_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "settings"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    return folder


def _address(server: OrthancServer, ca: TestCA) -> list[str]:
    port = str(server.dicom_port)
    address = ["--host", "127.0.0.1", "--port", port, "--called-aet", "ORTHANC"]
    return [*address, "--tls", "--ca-file", str(ca.ca_file)]


def test_without_a_client_certificate_it_is_one_line_and_nothing_written(
    mutual: OrthancServer, ca: TestCA, tmp_path: Path
) -> None:
    where = f"PACS at 127.0.0.1:{mutual.dicom_port} (AE ORTHANC)"
    status, stdout, stderr = run("pacs", "echo", *_address(mutual, ca))
    assert (status, stdout) == (2, "")
    assert stderr == (
        f"spineplan: error: {where}: TLS: the PACS wants a client certificate (mutual TLS): "
        "give the node a client certificate and key\n"
    )
    out = tmp_path / "study"
    status, stdout, stderr = run(
        "pacs", "get", sample_study_uid(), "--out", str(out), *_address(mutual, ca)
    )
    assert (status, stdout) == (2, "")
    assert stderr.count("\n") == 1 and "wants a client certificate" in stderr
    assert not out.exists()


def test_a_stored_node_with_a_client_certificate_works(
    mutual: OrthancServer,
    ca: TestCA,
    client: CertificateFiles,
    settings_folder: Path,
    tmp_path: Path,
) -> None:
    certificate = ["--client-cert", str(client.cert_file), "--client-key", str(client.key_file)]
    status, stdout, stderr = run(
        "pacs", "nodes", "add", "pacs", *_address(mutual, ca), *certificate
    )
    assert status == 0, stderr
    assert (
        f"pacs: 127.0.0.1:{mutual.dicom_port}, called AE ORTHANC, calling AE SPINEPLAN, TLS (CA "
        f"file {ca.ca_file}), client certificate {client.cert_file}"
    ) in stdout
    stored = (settings_folder / "pacs_nodes.json").read_text()
    assert "PRIVATE KEY" not in stored
    assert json.loads(stored)["nodes"][0]["client_key_file"] == str(client.key_file)

    status, stdout, stderr = run("pacs", "echo", "--pacs", "pacs")
    assert status == 0, stderr
    assert stdout.startswith(f"PACS 'pacs' (127.0.0.1:{mutual.dicom_port}, AE ORTHANC) answered")
    status, stdout, stderr = run("pacs", "find", "--json", "--pacs", "pacs")
    assert status == 0, stderr
    assert [s["study_instance_uid"] for s in json.loads(stdout)["studies"]] == [sample_study_uid()]
    out = tmp_path / "study"
    status, stdout, stderr = run(
        "pacs", "get", sample_study_uid(), "--out", str(out), "--pacs", "pacs"
    )
    assert status == 0, stderr
    assert sop_instance_uids(out) == sop_instance_uids(SAMPLE_CASE)
    moved = tmp_path / "moved"
    over_tls = ["--calling-aet", SPINEPLAN_TLS_AE, "--move-port", str(mutual.move_tls_port)]
    status, stdout, stderr = run(
        "pacs",
        "get",
        sample_study_uid(),
        "--out",
        str(moved),
        "--pacs",
        "pacs",
        *over_tls,
        "--move-tls",
    )
    assert status == 0, stderr
    assert sop_instance_uids(moved) == sop_instance_uids(SAMPLE_CASE)
    status, stdout, stderr = run("pacs", "send", str(SAMPLE_CASE), "--pacs", "pacs")
    assert status == 0, stderr
    assert stdout.splitlines()[-1].startswith("sent 42 of 42 files to PACS 'pacs'")


def test_bad_tls_options_are_one_line(ca: TestCA, client: CertificateFiles, tmp_path: Path) -> None:
    address = ["--host", "pacs", "--port", "2762", "--called-aet", "PACS", "--tls"]
    missing = tmp_path / "none.key"
    status, _, stderr = run(
        "pacs",
        "echo",
        *address,
        "--client-cert",
        str(client.cert_file),
        "--client-key",
        str(missing),
    )
    assert (status, stderr) == (2, f"spineplan: error: --client-key: no file '{missing}'\n")
    status, _, stderr = run("pacs", "echo", *address, "--client-cert", str(client.cert_file))
    assert status == 2
    assert stderr.endswith(
        "a client certificate needs its key and a key its certificate: no client key file\n"
    )
    status, _, stderr = run("pacs", "echo", "--url", "https://pacs/dicom-web", "--tls")
    assert status == 2
    assert "'tls' and a client certificate are for DICOM networking nodes" in stderr
    status, _, stderr = run(
        "pacs",
        "echo",
        "--host",
        "pacs",
        "--port",
        "2762",
        "--called-aet",
        "PACS",
        "--ca-file",
        str(ca.ca_file),
    )
    assert status == 2 and "a CA file or client certificate is only used with TLS" in stderr
