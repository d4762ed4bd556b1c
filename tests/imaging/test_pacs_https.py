"""DICOMweb over https with HTTP Basic authentication, against a real Orthanc serving TLS with a
certificate made in the test (its own CA given as the node's ``ca_file``): what works, and
each refusal as one line (unknown CA, expired, wrong host, wrong password, no credentials)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from imaging.pacs.credentials import with_secret
from imaging.pacs.echo import echo
from imaging.pacs.errors import PacsCertificateError, PacsCredentialsRefused, PacsError
from imaging.pacs.nodes import PacsNode
from imaging.pacs.query import find_studies, list_instances
from imaging.pacs.retrieve import retrieve
from imaging.pacs.send import send
from imaging.pacs.web import web_session
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer, tls_missing_reason
from tests.pacs_tls import TestCA

USERS = {"alice": "s3cret-alice"}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA.make(tmp_path_factory.mktemp("ca"))


def _start(folder: Path, ca: TestCA, **certificate: object) -> OrthancServer:
    reason = tls_missing_reason()
    if reason:
        pytest.skip(reason)
    pem = ca.server_pem(folder / "server.pem", **certificate)  # type: ignore[arg-type]
    return OrthancServer(folder, certificate=pem, users=USERS).start()


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> Iterator[OrthancServer]:
    """Orthanc over https (a certificate for 127.0.0.1 from ``ca``) with user alice, holding
    sample case 2 stored through STOW-RS over that https and that authentication."""
    server = _start(tmp_path_factory.mktemp("secure-orthanc"), ca)
    try:
        outcomes = send(_node(server, ca), [SAMPLE_CASE])
        assert [o.message for o in outcomes] == ["stored"] * 42
        yield server
    finally:
        server.stop()


def _node(server: OrthancServer, ca: TestCA, **changes: object) -> PacsNode:
    """The secure Orthanc as a node: its CA, user alice and her password."""
    node = server.dicomweb_node("secure", ca_file=str(ca.ca_file), auth="basic", user="alice")
    return with_secret(replace(node, **changes), USERS["alice"])  # type: ignore[arg-type]


def test_https_with_the_nodes_ca_and_password(secure: OrthancServer, ca: TestCA, tmp_path: Path):
    node = _node(secure, ca)
    assert node.url.startswith("https://127.0.0.1:")
    assert 0 < echo(node) < 10
    (study,) = find_studies(node)
    assert study.study_instance_uid == sample_study_uid()
    assert [s.images for s in study.series] == [11, 11, 20]
    result = retrieve(node, sample_study_uid(), tmp_path / "study")
    assert result.images == 42
    assert sop_instance_uids(result.folder) == sop_instance_uids(SAMPLE_CASE)
    assert len(list_instances(node, sample_study_uid())) == 42


def test_a_certificate_from_an_unknown_ca_is_refused(
    secure: OrthancServer, ca: TestCA, tmp_path: Path
) -> None:
    other = TestCA.make(tmp_path / "other", "other CA")
    node = _node(secure, ca, ca_file=str(other.ca_file))
    with pytest.raises(PacsCertificateError) as refused:
        find_studies(node)
    assert str(refused.value) == (
        f"PACS 'secure' ({node.url}): TLS: the server's certificate is issued by an unknown "
        f"certificate authority (checked against CA file '{other.ca_file}')"
    )
    # without a CA file: the system's authorities, which do not know the test's CA
    with pytest.raises(
        PacsCertificateError,
        match=r"unknown certificate authority \(checked "
        r"against the system's certificate authorities; give the PACS's CA",
    ):
        echo(_node(secure, ca, ca_file=""))
    with pytest.raises(PacsCertificateError):
        retrieve(node, sample_study_uid(), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_wrong_password_is_one_line(secure: OrthancServer, ca: TestCA) -> None:
    node = with_secret(_node(secure, ca), "not-her-password")
    with pytest.raises(PacsCredentialsRefused) as refused:
        find_studies(node)
    assert str(refused.value) == (
        f"PACS 'secure' ({node.url}) refused the credentials of user 'alice' (HTTP 401)"
    )
    assert refused.value.node == node
    with pytest.raises(PacsCredentialsRefused, match=r"asks for credentials \(HTTP 401\)"):
        echo(_node(secure, ca, auth="", user=""))
    # Orthanc knows users and passwords, no tokens: a bearer token is refused the same way
    bearer = with_secret(_node(secure, ca, auth="bearer", user=""), "a-token")
    with pytest.raises(PacsCredentialsRefused, match=r"refused the credentials \(HTTP 401\)$"):
        send(bearer, [sorted(SAMPLE_CASE.rglob("*.dcm"))[0]])


@pytest.mark.parametrize(
    ("certificate", "says"),
    [
        ({"expired": True}, "TLS: the server's certificate has expired"),
        ({"hosts": ("pacs.elsewhere.example",)}, "TLS: the server's certificate is for another"),
    ],
    ids=["expired", "wrong-host"],
)
def test_a_bad_certificate_is_refused(
    tmp_path: Path, ca: TestCA, certificate: dict[str, object], says: str
) -> None:
    server = _start(tmp_path / "orthanc", ca, **certificate)
    try:
        with pytest.raises(PacsCertificateError, match=f"^PACS 'secure' .*: {says}"):
            echo(_node(server, ca))
    finally:
        server.stop()


def test_credentials_go_only_with_the_node_kind_asked(tmp_path: Path) -> None:
    basic = PacsNode(name="w", url="https://pacs.example/dicom-web", auth="basic", user="bob")
    bearer = PacsNode(name="w", url="https://pacs.example/dicom-web", auth="bearer")
    session = web_session(with_secret(bearer, "tok-123"))
    assert session.headers["Authorization"] == "Bearer tok-123" and session.auth is None
    assert web_session(with_secret(basic, "pw")).auth == requests.auth.HTTPBasicAuth("bob", "pw")
    assert "Authorization" not in web_session(with_secret(basic, "pw")).headers
    with pytest.raises(
        PacsError,
        match=r"^PACS 'w' \(https://pacs.example/dicom-web\): needs a "
        r"token and none was given$",
    ):
        web_session(bearer)


def test_a_bad_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    node = PacsNode(name="w", url="https://pacs.example/dicom-web", ca_file=str(missing))
    with pytest.raises(PacsError, match=f"CA file '{missing}' does not exist$"):
        echo(node)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(PacsError, match=f"CA file '{garbage}' is not a PEM bundle"):
        echo(replace(node, ca_file=str(garbage)))
