"""TLS for the PACS: one verified `ssl.SSLContext` per node, and TLS failures in words.

The same rules hold for DICOMweb over https and for DICOM networking over TLS (PS3.15 Annex B,
the BCP 195 profiles): the PACS's certificate is always verified, against the node's own CA
bundle (``ca_file``, and only that) or else the system's certificate authorities (`truststore`:
the operating system's store, as a browser on that machine would); its host name or address
must match; TLS 1.2 or later. A node with ``client_cert_file`` and ``client_key_file`` shows
that certificate to a PACS that asks for one (mutual TLS). The key file is read where it lies,
never copied: only its path is in the settings.

A failed handshake becomes one line saying why and what to do: the PACS's certificate expired,
is for another host or from an unknown authority; the PACS wants a client certificate, or does
not accept ours; the port does not speak TLS.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imaging.pacs.errors import pacs_error
from imaging.pacs.nodes import PacsNode

#: The oldest TLS spoken (BCP 195: TLS 1.2 or later).
MINIMUM_TLS = ssl.TLSVersion.TLSv1_2
#: Seconds a probe waits after the handshake for the PACS to refuse our client certificate
#: (in TLS 1.3 that refusal comes after the handshake has completed on our side).
PROBE_READ_S = 1.0

#: OpenSSL's verification results (X509_V_ERR_*) in words, with what to do about them.
_CERTIFICATE_FAULTS = {
    9: "the server's certificate is not valid yet (check this computer's clock)",
    10: "the server's certificate has expired",
    18: "the server's certificate is self-signed and not trusted",
    19: "the server's certificate is issued by an unknown certificate authority",
    20: "the server's certificate is issued by an unknown certificate authority",
    21: "the server's certificate is issued by an unknown certificate authority",
    62: "the server's certificate is for another host name",
    64: "the server's certificate is for another IP address",
}
#: Alerts by which a PACS refuses the client certificate we showed.
_CLIENT_CERTIFICATE_REFUSED = {
    "TLSV1_ALERT_UNKNOWN_CA": "is issued by an authority the PACS does not trust",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "has expired",
    "SSLV3_ALERT_BAD_CERTIFICATE": "was refused as bad",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "was refused (certificate unknown)",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE": "was refused (unsupported certificate)",
    "TLSV1_ALERT_ACCESS_DENIED": "was refused (access denied)",
}
#: What a client without a certificate hears from a PACS that wants one under TLS 1.3.
_CERTIFICATE_REQUIRED = "TLSV13_ALERT_CERTIFICATE_REQUIRED"
#: TLS 1.2's one refusal for many causes: no client certificate, or no cipher suite in common.
_HANDSHAKE_FAILURE = "SSLV3_ALERT_HANDSHAKE_FAILURE"
_IS_IT_TLS = "is DICOM TLS on at the PACS, and is this its TLS port?"
#: What a client hears from a port that does not speak TLS.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "UNEXPECTED_EOF_WHILE_READING", "RECORD_LAYER_FAILURE")


def _existing(node: PacsNode, what: str, name: str) -> Path:
    path = Path(name).expanduser()
    if not path.is_file():
        raise pacs_error(node, f"{what} {str(path)!r} does not exist")
    return path


def _no_passphrase() -> str:
    raise ValueError("the key is protected by a passphrase")


def tls_context(node: PacsNode) -> ssl.SSLContext:
    """The verified TLS context for ``node``: its ``ca_file`` alone or the system's
    certificate authorities, TLS 1.2 or later, and its client certificate when it has one.

    Raises
    ------
    PacsError
        Naming the node and the file: the CA file, client certificate or key is missing or
        unreadable, the key does not belong to the certificate, or it has a passphrase.
    """
    if node.ca_file:
        path = _existing(node, "CA file", node.ca_file)
        try:
            context = ssl.create_default_context(cafile=str(path))
        except (ssl.SSLError, ValueError, OSError) as error:
            raise pacs_error(
                node, f"CA file {str(path)!r} is not a PEM bundle of certificates ({error})"
            ) from error
    else:
        import truststore

        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = MINIMUM_TLS
    if node.client_cert_file or node.client_key_file:
        _load_certificate(node, context)
    return context


def _load_certificate(node: PacsNode, context: ssl.SSLContext) -> None:
    """This workstation's certificate and key (the node's client certificate) into
    ``context``; `PacsError` naming the files when they cannot be used."""
    cert = _existing(node, "client certificate", node.client_cert_file)
    key = _existing(node, "client key", node.client_key_file)
    try:
        context.load_cert_chain(str(cert), str(key), password=_no_passphrase)
    except (ssl.SSLError, ValueError, OSError) as error:
        reason = getattr(error, "reason", None) or str(error)
        raise pacs_error(
            node,
            f"cannot use client certificate {str(cert)!r} with key {str(key)!r} "
            f"({str(reason).lower().replace('_', ' ')}; both PEM, the key without a "
            "passphrase and belonging to the certificate)",
        ) from error


class StorageScpContext(ssl.SSLContext):
    """The TLS context of the local storage SCP that receives C-MOVE images, keeping why each
    handshake failed: pynetdicom's server drops the reason with the connection."""

    failures: list[str]

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().wrap_socket(sock, *args, **kwargs)
        except ssl.SSLError as error:
            self.failures.append(_reason_words(error))
            raise


def storage_scp_context(node: PacsNode) -> StorageScpContext:
    """The TLS server context for the C-MOVE storage SCP of a node with ``move_tls``: this
    workstation's certificate (the node's client certificate and key) as the server's, TLS
    1.2 or later, and the PACS, calling, must show a certificate that chains to the node's
    ``ca_file`` (or the system's authorities).

    Raises
    ------
    PacsError
        The CA file, certificate or key cannot be used, naming the node and the file.
    """
    context = StorageScpContext(ssl.PROTOCOL_TLS_SERVER)
    context.failures = []
    context.minimum_version = MINIMUM_TLS
    context.verify_mode = ssl.CERT_REQUIRED
    if node.ca_file:
        path = _existing(node, "CA file", node.ca_file)
        try:
            context.load_verify_locations(cafile=str(path))
        except (ssl.SSLError, ValueError, OSError) as error:
            raise pacs_error(
                node, f"CA file {str(path)!r} is not a PEM bundle of certificates ({error})"
            ) from error
    else:
        context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    _load_certificate(node, context)
    return context


#: X509_V_ERR_INVALID_PURPOSE: a certificate whose extended key usage does not allow the use.
_INVALID_PURPOSE = 26


def _reason_words(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        if error.verify_code == _INVALID_PURPOSE:
            return "the PACS's certificate is not for TLS clients (no clientAuth key usage)"
        return f"the PACS's certificate: {error.verify_message}"
    return str(error.reason or error).lower().replace("_", " ")


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, the errors it wraps (requests and urllib3 keep them in ``args`` and
    ``reason``) and their causes, each once."""
    pending: list[object] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(current.args)
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__])


def _verification_failure(node: PacsNode, error: ssl.SSLCertVerificationError) -> str:
    where = f"CA file {node.ca_file!r}" if node.ca_file else "the system's certificate authorities"
    fault = _CERTIFICATE_FAULTS.get(error.verify_code)
    detail = fault or f"certificate verification failed: {error.verify_message}"
    if error.verify_code in (9, 10, 62, 64):
        return f"TLS: {detail}"
    hint = "" if node.ca_file else "; give the PACS's CA bundle as the node's CA file"
    return f"TLS: {detail} (checked against {where}{hint})"


def _alert_failure(node: PacsNode, reason: str) -> str | None:
    """The words for an OpenSSL reason code about the client certificate or the port."""
    if reason in _CLIENT_CERTIFICATE_REFUSED and node.client_cert_file:
        return (
            f"TLS: the PACS does not accept our client certificate {node.client_cert_file!r}: "
            f"it {_CLIENT_CERTIFICATE_REFUSED[reason]}"
        )
    if reason == _CERTIFICATE_REQUIRED and not node.client_cert_file:
        return (
            "TLS: the PACS wants a client certificate (mutual TLS): give the node a client "
            "certificate and key"
        )
    if reason == _HANDSHAKE_FAILURE:
        maybe = "" if node.client_cert_file else "it may want a client certificate (mutual TLS), "
        return (
            f"TLS: the PACS refused the handshake (handshake failure): {maybe}or it shares no "
            "TLS 1.2 cipher suite with spineplan"
        )
    if reason in _NOT_TLS:
        return f"TLS handshake failed: the port does not answer in TLS ({_IS_IT_TLS})"
    if reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL"):
        return "TLS handshake failed: the PACS speaks no TLS version of 1.2 or later"
    return None


def tls_failure(node: PacsNode, error: BaseException) -> str:
    """What went wrong with TLS, in one line, and what to do."""
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return _verification_failure(node, cause)
        if type(cause).__name__ == "CertificateError":  # urllib3's own host name check
            return f"TLS: the server's certificate is for another host ({cause})"
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLError):
            reason = str(cause.reason or "")
            known = _alert_failure(node, reason)
            if known:
                return known
            shown = reason or str(cause)
            return f"TLS handshake failed ({shown.lower().replace('_', ' ')})"
    return f"TLS failed: {error}"


def tls_probe(
    node: PacsNode, context: ssl.SSLContext, timeout_s: float, *, read_s: float = PROBE_READ_S
) -> str | None:
    """Why a TLS connection to a DIMSE node fails (one line), or None when it does not.

    Only called after an association over TLS failed: pynetdicom logs the handshake's
    exception and drops it, so the handshake is done once more here, sending no data, to
    read the reason. A PACS that wants a client certificate may let a TLS 1.3 handshake
    complete and refuse just after; the probe therefore waits ``read_s`` for that alert.
    """
    try:
        raw = socket.create_connection((node.host, node.port), timeout=timeout_s)
    except OSError:
        return None  # not a TLS matter: the caller says why there is no connection
    try:
        with context.wrap_socket(raw, server_hostname=node.host) as tls:
            tls.settimeout(read_s)
            try:
                tls.recv(1)
            except TimeoutError:
                return None
            except ssl.SSLError as error:
                return tls_failure(node, error)
            except OSError:
                return None
            return None
    except ssl.SSLError as error:
        return tls_failure(node, error)
    except OSError as error:
        if isinstance(error.__context__, ssl.SSLError):
            return tls_failure(node, error.__context__)
        return (
            f"TLS handshake failed: the PACS closed the connection ({error.strerror or error}; "
            f"{_IS_IT_TLS})"
        )
    finally:
        raw.close()
