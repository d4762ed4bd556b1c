"""DICOM networking over TLS (PS3.15 Annex B) against a real Orthanc with ``DicomTlsEnabled``
and certificates made in the test: C-ECHO, C-FIND, C-GET, C-MOVE and C-STORE over TLS with the
node's CA file; each refusal as one line naming the node and the cause (unknown CA, expired,
wrong host, plain DICOM on a TLS port and TLS on a plain one); mutual TLS refused without a
client certificate and with one from an untrusted authority, and working with the right one."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from imaging.pacs.echo import echo
from imaging.pacs.errors import PacsCertificateError, PacsError, PacsUnreachable
from imaging.pacs.nodes import PacsNode
from imaging.pacs.query import find_studies
from imaging.pacs.retrieve import retrieve
from imaging.pacs.send import send
from imaging.pacs.tls import tls_context, tls_probe
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import (
    SPINEPLAN_TLS_AE,
    DicomTls,
    OrthancServer,
    dicom_tls_missing_reason,
)
from tests.pacs_tls import CertificateFiles, TestCA


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA.make(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> CertificateFiles:
    """spineplan's client certificate, from the CA the PACS trusts."""
    return ca.client_pair(tmp_path_factory.mktemp("client"))


def _start(
    folder: Path,
    ca: TestCA,
    *,
    client_required: bool = False,
    client_too: bool = True,
    **certificate: object,
) -> OrthancServer:
    reason = dicom_tls_missing_reason()
    if reason:
        pytest.skip(reason)
    # a DICOM TLS peer's certificate, also shown when Orthanc calls out (C-MOVE back to us)
    pair = ca.server_pair(folder / "certificate", client_too=client_too, **certificate)  # type: ignore[arg-type]
    tls = DicomTls(pair.cert_file, pair.key_file, ca.ca_file, client_required)
    return OrthancServer(folder / "orthanc", dicom_tls=tls).start()


def _node(server: OrthancServer, ca: TestCA, **changes: object) -> PacsNode:
    """The Orthanc as a DICOM TLS node trusting only the test's CA."""
    node = server.dimse_node("tls-pacs", tls=True, ca_file=str(ca.ca_file))
    return replace(node, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> Iterator[OrthancServer]:
    """Orthanc with DICOM TLS (no client certificate asked for), holding sample case 2 stored
    by C-STORE over TLS."""
    server = _start(tmp_path_factory.mktemp("dicom-tls"), ca)
    try:
        outcomes = send(_node(server, ca), [SAMPLE_CASE])
        assert [o.message for o in outcomes] == ["stored"] * 42
        assert server.instance_uids() == sop_instance_uids(SAMPLE_CASE)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mutual(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> Iterator[OrthancServer]:
    """Orthanc with DICOM TLS that requires a client certificate from ``ca``."""
    server = _start(tmp_path_factory.mktemp("mutual-tls"), ca, client_required=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("move", [False, True], ids=["c-get", "c-move"])
def test_echo_find_and_retrieve_over_tls(
    secure: OrthancServer, ca: TestCA, tmp_path: Path, move: bool
) -> None:
    node = _node(secure, ca, move_only=move)
    assert 0 < echo(node) < 10
    (study,) = find_studies(node)
    assert study.study_instance_uid == sample_study_uid()
    assert [s.images for s in study.series] == [11, 11, 20]
    result = retrieve(node, sample_study_uid(), tmp_path / "study")
    assert result.images == 42
    assert sop_instance_uids(result.folder) == sop_instance_uids(SAMPLE_CASE)


def test_c_move_back_over_tls_with_the_workstation_certificate(
    secure: OrthancServer, ca: TestCA, client: CertificateFiles, tmp_path: Path
) -> None:
    """Orthanc calls AE SPINEPLAN-TLS back over TLS: the storage SCP serves the client
    certificate and checks Orthanc's against the CA file."""
    node = _node(
        secure,
        ca,
        calling_aet=SPINEPLAN_TLS_AE,
        move_only=True,
        move_port=secure.move_tls_port,
        move_tls=True,
        client_cert_file=str(client.cert_file),
        client_key_file=str(client.key_file),
    )
    result = retrieve(node, sample_study_uid(), tmp_path / "study")
    assert sop_instance_uids(result.folder) == sop_instance_uids(SAMPLE_CASE)

    # a PACS that calls back in plain DICOM (AE SPINEPLAN has no UseDicomTls) is refused
    plain_back = replace(node, calling_aet="SPINEPLAN", move_port=secure.move_port)
    with pytest.raises(PacsCertificateError) as refused:
        retrieve(plain_back, sample_study_uid(), tmp_path / "out")
    assert str(refused.value).startswith(
        f"PACS 'tls-pacs' (127.0.0.1:{secure.dicom_port}, AE ORTHANC): C-MOVE failed: the PACS "
        "could not connect back to spineplan's storage SCP over TLS ("
    )
    assert str(refused.value).endswith(
        f"; the PACS must call AE SPINEPLAN over TLS with a certificate from CA file "
        f"'{ca.ca_file}')"
    )
    assert not (tmp_path / "out").exists()


def test_c_move_back_from_a_pacs_with_a_server_only_certificate_says_so(
    tmp_path: Path, ca: TestCA, client: CertificateFiles
) -> None:
    server = _start(tmp_path, ca, client_too=False)
    node = _node(
        server,
        ca,
        calling_aet=SPINEPLAN_TLS_AE,
        move_only=True,
        move_port=server.move_tls_port,
        move_tls=True,
        client_cert_file=str(client.cert_file),
        client_key_file=str(client.key_file),
    )
    try:
        send(node, [SAMPLE_CASE])
        with pytest.raises(
            PacsCertificateError,
            match=r"over TLS \(the PACS's certificate is not for TLS clients \(no clientAuth",
        ):
            retrieve(node, sample_study_uid(), tmp_path / "out")
    finally:
        server.stop()
    assert not (tmp_path / "out").exists()


def test_a_certificate_from_an_unknown_ca_is_refused(
    secure: OrthancServer, ca: TestCA, tmp_path: Path
) -> None:
    other = TestCA.make(tmp_path / "other", "other CA")
    node = _node(secure, ca, ca_file=str(other.ca_file))
    with pytest.raises(PacsCertificateError) as refused:
        echo(node)
    assert str(refused.value) == (
        f"PACS 'tls-pacs' (127.0.0.1:{secure.dicom_port}, AE ORTHANC): TLS: the server's "
        "certificate is issued by an unknown certificate authority (checked against CA file "
        f"'{other.ca_file}')"
    )
    with pytest.raises(PacsCertificateError, match="checked against the system's certificate"):
        find_studies(_node(secure, ca, ca_file=""))
    with pytest.raises(PacsCertificateError, match="unknown certificate authority"):
        retrieve(node, sample_study_uid(), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(PacsCertificateError, match="unknown certificate authority"):
        send(node, [SAMPLE_CASE])


@pytest.mark.parametrize(
    ("certificate", "says"),
    [
        ({"expired": True}, "TLS: the server's certificate has expired"),
        ({"hosts": ("pacs.elsewhere.example",)}, "TLS: the server's certificate is for another"),
    ],
    ids=["expired", "wrong-host"],
)
def test_a_bad_server_certificate_is_refused(
    tmp_path: Path, ca: TestCA, certificate: dict[str, object], says: str
) -> None:
    server = _start(tmp_path, ca, **certificate)
    try:
        with pytest.raises(PacsCertificateError, match=f"^PACS 'tls-pacs' .*: {says}"):
            echo(_node(server, ca))
    finally:
        server.stop()


def test_plain_dicom_on_a_tls_port_is_told_to_set_tls(secure: OrthancServer, ca: TestCA) -> None:
    with pytest.raises(PacsUnreachable, match="answers in TLS on this port: set the node's TLS"):
        echo(_node(secure, ca, tls=False, ca_file=""))


def test_tls_on_a_plain_port_says_so(orthanc: OrthancServer, ca: TestCA) -> None:
    node = orthanc.dimse_node("plain", tls=True, ca_file=str(ca.ca_file))
    with pytest.raises(
        PacsCertificateError,
        match=r"TLS handshake failed: .*is DICOM TLS on at the PACS, and is this its TLS port\?\)$",
    ):
        echo(node)


def test_mutual_tls_wants_a_client_certificate(
    mutual: OrthancServer, ca: TestCA, client: CertificateFiles, tmp_path: Path
) -> None:
    with pytest.raises(PacsCertificateError) as refused:
        echo(_node(mutual, ca))
    assert str(refused.value) == (
        f"PACS 'tls-pacs' (127.0.0.1:{mutual.dicom_port}, AE ORTHANC): TLS: the PACS wants a "
        "client certificate (mutual TLS): give the node a client certificate and key"
    )
    with pytest.raises(PacsCertificateError, match="wants a client certificate"):
        retrieve(_node(mutual, ca), sample_study_uid(), tmp_path / "out")
    assert not (tmp_path / "out").exists()

    stranger = TestCA.make(tmp_path / "stranger", "stranger CA").client_pair(tmp_path / "s")
    untrusted = _node(
        mutual,
        ca,
        client_cert_file=str(stranger.cert_file),
        client_key_file=str(stranger.key_file),
    )
    with pytest.raises(
        PacsCertificateError,
        match=f"does not accept our client certificate '{stranger.cert_file}': it is issued "
        "by an authority the PACS does not trust",
    ):
        echo(untrusted)

    node = _node(
        mutual, ca, client_cert_file=str(client.cert_file), client_key_file=str(client.key_file)
    )
    assert 0 < echo(node) < 10
    outcomes = send(node, [SAMPLE_CASE])
    assert [o.message for o in outcomes] == ["stored"] * 42
    result = retrieve(node, sample_study_uid(), tmp_path / "study")
    assert sop_instance_uids(result.folder) == sop_instance_uids(SAMPLE_CASE)


def test_under_tls_1_2_a_refused_handshake_names_the_likely_causes(
    tmp_path: Path, ca: TestCA, client: CertificateFiles
) -> None:
    """TLS 1.2 has no "certificate required" alert, only "handshake failure", which a PACS also
    sends when no cipher suite is shared (Orthanc with an EC key under TLS 1.2): both causes
    are named. With an RSA key and the client certificate the TLS 1.2 handshake succeeds."""
    server = _start(tmp_path, ca, client_required=True, rsa_key=True)
    try:
        node = _node(server, ca)
        tls_1_2 = tls_context(node)
        tls_1_2.maximum_version = ssl.TLSVersion.TLSv1_2
        assert tls_probe(node, tls_1_2, 5.0) == (
            "TLS: the PACS refused the handshake (handshake failure): it may want a client "
            "certificate (mutual TLS), or it shares no TLS 1.2 cipher suite with spineplan"
        )
        with_certificate = replace(
            node, client_cert_file=str(client.cert_file), client_key_file=str(client.key_file)
        )
        tls_1_2 = tls_context(with_certificate)
        tls_1_2.maximum_version = ssl.TLSVersion.TLSv1_2
        assert tls_probe(with_certificate, tls_1_2, 5.0) is None
    finally:
        server.stop()


def test_client_certificate_files_are_checked_before_connecting(
    ca: TestCA, client: CertificateFiles, tmp_path: Path
) -> None:
    node = PacsNode(
        name="n",
        host="127.0.0.1",
        port=1,
        called_aet="P",
        tls=True,
        ca_file=str(ca.ca_file),
        client_cert_file=str(client.cert_file),
        client_key_file=str(tmp_path / "gone.key"),
    )
    with pytest.raises(PacsError, match=f"client key '{tmp_path / 'gone.key'}' does not exist$"):
        echo(node)
    other = ca.client_pair(tmp_path / "other")
    mismatched = replace(node, client_key_file=str(other.key_file))
    with pytest.raises(PacsError, match=r"cannot use client certificate .* with key .*mismatch"):
        echo(mismatched)
    locked = tmp_path / "locked.key"
    key = serialization.load_pem_private_key(client.key_file.read_bytes(), password=None)
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    with pytest.raises(PacsError, match="the key is protected by a passphrase"):
        echo(replace(node, client_key_file=str(locked)))
    context = tls_context(replace(node, client_key_file=str(client.key_file)))
    assert context.minimum_version >= context.minimum_version.TLSv1_2
    assert context.verify_mode.name == "CERT_REQUIRED" and context.check_hostname
