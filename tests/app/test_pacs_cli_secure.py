"""``spineplan pacs`` against a real Orthanc over https with HTTP Basic authentication: the
CA file and the user on the command line, the password from the environment (never from the
command line), each refusal as one line and exit 2; stored nodes keep no secret; a long list
is cut and says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from imaging.pacs.credentials import with_secret
from imaging.pacs.send import send
from tests.app.cli_runner import run
from tests.dicom_builders import uid, write_series
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid
from tests.pacs_server import OrthancServer, tls_missing_reason
from tests.pacs_tls import TestCA

PASSWORD = "s3cret-alice"


@pytest.fixture(autouse=True)
def settings_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "settings"
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(folder))
    monkeypatch.delenv("SPINEPLAN_PACS_PASSWORD", raising=False)
    monkeypatch.delenv("SPINEPLAN_PACS_TOKEN", raising=False)
    return folder


@pytest.fixture(autouse=True)
def no_keyring() -> Iterator[None]:
    """No system keyring (as on a headless machine): nothing of the tests reaches a real one."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA.make(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> Iterator[OrthancServer]:
    """https Orthanc (user alice) holding sample case 2 and two more one-image studies."""
    reason = tls_missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("secure")
    server = OrthancServer(
        folder, certificate=ca.server_pem(folder / "server.pem"), users={"alice": PASSWORD}
    ).start()
    try:
        for n in range(2):
            write_series(folder / "more" / str(n), shape=(1, 8, 8), study_instance_uid=uid(f"m{n}"))
        node = server.dicomweb_node(ca_file=str(ca.ca_file), auth="basic", user="alice")
        outcomes = send(with_secret(node, PASSWORD), [SAMPLE_CASE, folder / "more"])
        assert all(outcome.ok for outcome in outcomes)
        yield server
    finally:
        server.stop()


def _options(server: OrthancServer, ca: TestCA) -> list[str]:
    return ["--url", server.dicomweb_node().url, "--ca-file", str(ca.ca_file), "--user", "alice"]


def test_find_with_the_ca_file_and_the_password_from_the_environment(
    secure: OrthancServer, ca: TestCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINEPLAN_PACS_PASSWORD", PASSWORD)
    status, stdout, stderr = run("pacs", "find", "--json", *_options(secure, ca))
    assert status == 0, stderr
    document = json.loads(stdout)
    assert sample_study_uid() in {s["study_instance_uid"] for s in document["studies"]}
    assert document["cut"] is False and stderr == ""


def test_a_long_list_is_cut_and_said(
    secure: OrthancServer, ca: TestCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPINEPLAN_PACS_PASSWORD", PASSWORD)
    status, stdout, stderr = run("pacs", "find", "--max-studies", "2", *_options(secure, ca))
    assert status == 0, stderr
    assert stderr.splitlines() == [
        f"spineplan: warning: PACS at {secure.dicomweb_node().url}: only the first 2 matching "
        "studies are listed (the PACS has more): narrow the search by patient ID, name, study "
        "dates or modality"
    ]
    assert sum(1 for line in stdout.splitlines() if not line.startswith(" ")) == 2


def test_each_refusal_is_one_line(
    secure: OrthancServer, ca: TestCA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = secure.dicomweb_node().url
    status, stdout, stderr = run("pacs", "echo", *_options(secure, ca))
    assert (status, stdout) == (2, "")
    assert stderr == (
        f"spineplan: error: PACS at {url} needs a password: set $SPINEPLAN_PACS_PASSWORD, keep it "
        "in the keyring ('spineplan pacs nodes secret NAME'), or run on a terminal to be asked\n"
    )
    monkeypatch.setenv("SPINEPLAN_PACS_PASSWORD", "wrong")
    status, _, stderr = run(
        "pacs", "get", sample_study_uid(), "--out", str(tmp_path / "o"), *_options(secure, ca)
    )
    assert status == 2
    assert stderr == (
        f"spineplan: error: PACS at {url} refused the credentials of user 'alice' (HTTP 401)\n"
    )
    assert not (tmp_path / "o").exists()
    monkeypatch.setenv("SPINEPLAN_PACS_PASSWORD", PASSWORD)
    status, _, stderr = run("pacs", "echo", "--url", url, "--user", "alice")
    assert status == 2
    assert stderr.startswith(
        f"spineplan: error: PACS at {url}: TLS: the server's certificate is "
        "issued by an unknown certificate authority"
    )
    assert stderr.count("\n") == 1


def test_a_stored_node_keeps_no_secret(
    secure: OrthancServer, ca: TestCA, settings_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = secure.dicomweb_node().url
    status, stdout, stderr = run(
        "pacs",
        "nodes",
        "add",
        "secure",
        "--url",
        url,
        "--ca-file",
        str(ca.ca_file),
        "--user",
        "alice",
    )
    assert status == 0, stderr
    assert f"secure: DICOMweb {url}, CA file {ca.ca_file}, user alice" in stdout
    monkeypatch.setenv("SPINEPLAN_PACS_PASSWORD", PASSWORD)
    status, stdout, stderr = run("pacs", "echo", "--pacs", "secure")
    assert status == 0, stderr
    assert stdout.startswith(f"PACS 'secure' ({url}) answered in ")
    assert PASSWORD not in (settings_folder / "pacs_nodes.json").read_text()
    # no keyring on this machine: the secret cannot be kept, and that is one line
    status, _, stderr = run("pacs", "nodes", "secret", "secure")
    assert status == 2
    assert stderr == (
        f"spineplan: error: PACS 'secure' ({url}): no system keyring here to keep the password "
        "in; give it when the node is used instead\n"
    )
    status, _, stderr = run(
        "pacs", "nodes", "add", "plain", "--url", "http://h/dw", "--ca-file", str(ca.ca_file)
    )
    assert status == 2
    assert "a CA file is only used with an https URL" in stderr
