"""Certificates for the PACS tests' https Orthanc, made with `cryptography`: a certificate
authority of the test's own, and server certificates it signs (for chosen host names and
addresses, valid or expired) and client certificates for mutual TLS, written as Orthanc wants
them (certificate and key in one PEM for https; apart for DICOM TLS).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


#: A certificate's private key: EC P-256, or RSA for a peer that offers only RSA cipher suites
#: under TLS 1.2 (dcmtk's BCP 195 profile, which Orthanc's DICOM TLS uses).
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class TestCA:
    """A certificate authority: its certificate as ``ca_file`` and its key to sign with."""

    __test__ = False  # not a pytest test class

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    ca_file: Path

    @classmethod
    def make(cls, folder: Path, name: str = "spineplan test CA") -> TestCA:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        ca_file = folder / f"{name.replace(' ', '-')}.pem"
        ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(cert, key, ca_file)

    def _issue(
        self,
        common_name: str,
        names: list[x509.GeneralName],
        usages: list[x509.ObjectIdentifier],
        *,
        expired: bool = False,
        rsa_key: bool = False,
    ) -> tuple[x509.Certificate, PrivateKey]:
        """A certificate for ``names`` signed by this CA, for ``usages`` (server, client)."""
        key: PrivateKey = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if rsa_key
            else ec.generate_private_key(ec.SECP256R1())
        )
        now = datetime.datetime.now(datetime.UTC)
        start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)
        if expired:
            start, end = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        return cert, key

    def _server(
        self, hosts: tuple[str, ...], expired: bool, client_too: bool = False, rsa_key: bool = False
    ) -> tuple[x509.Certificate, PrivateKey]:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        usages = [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
        if client_too:
            usages.append(x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH)
        return self._issue(hosts[0], names, usages, expired=expired, rsa_key=rsa_key)

    def server_pem(
        self,
        path: Path,
        *,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        expired: bool = False,
    ) -> Path:
        """A server certificate for ``hosts`` (IP addresses or DNS names) signed by this CA,
        with its key, in one PEM file (Orthanc's ``SslCertificate``)."""
        cert, key = self._server(hosts, expired)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + _pem_key(key))
        return path

    def server_pair(
        self,
        folder: Path,
        *,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        expired: bool = False,
        client_too: bool = False,
        rsa_key: bool = False,
    ) -> CertificateFiles:
        """A server certificate for ``hosts`` and its key in two PEM files (Orthanc's
        ``DicomTlsCertificate`` and ``DicomTlsPrivateKey``); ``client_too``: also good for
        TLS client authentication (Orthanc shows it when it calls out); ``rsa_key``: an RSA
        key, without which Orthanc's DICOM TLS speaks only TLS 1.3 (no shared TLS 1.2 cipher
        suite)."""
        return _write_pair(folder, "server", *self._server(hosts, expired, client_too, rsa_key))

    def client_pair(self, folder: Path, name: str = "SPINEPLAN") -> CertificateFiles:
        """A workstation's certificate and its key in two PEM files: what a node's
        ``client_cert_file`` and ``client_key_file`` name. Good for TLS client authentication
        and, for the C-MOVE storage SCP over TLS, as a server's."""
        usages = [
            x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH,
            x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
        ]
        return _write_pair(folder, "client", *self._issue(name, [], usages))


@dataclass(frozen=True)
class CertificateFiles:
    """A certificate and its private key, each in its own PEM file."""

    cert_file: Path
    key_file: Path


def _write_pair(
    folder: Path, stem: str, cert: x509.Certificate, key: PrivateKey
) -> CertificateFiles:
    folder.mkdir(parents=True, exist_ok=True)
    files = CertificateFiles(folder / f"{stem}.crt", folder / f"{stem}.key")
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(_pem_key(key))
    files.key_file.chmod(0o600)
    return files
