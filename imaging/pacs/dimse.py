"""Associations with a DIMSE node on pynetdicom: timeouts, and failures as one-line errors.

`association` opens an association with the contexts asked for and turns each way it can fail
into a `PacsError` naming the node: nothing listening (connection refused), no answer within
the connection timeout, the association rejected (with pynetdicom's reason, e.g. "called AE
title not recognised"), or aborted. pynetdicom's own log stays silent unless the user configures
logging.

A node with ``tls`` is called over TLS (`imaging.pacs.tls.tls_context`: verified, TLS 1.2 or
later, its client certificate when it has one). pynetdicom drops the reason a handshake
failed, so a failed association over TLS is followed by one handshake of our own
(`imaging.pacs.tls.tls_probe`) that reads it: `PacsCertificateError` with the cause. A plain
node whose port turns out to speak TLS is told to set ``tls``.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pynetdicom import AE, _config, evt
from pynetdicom.association import Association
from pynetdicom.presentation import PresentationContext

from imaging.pacs.errors import PacsCertificateError, PacsError, PacsUnreachable, pacs_error
from imaging.pacs.nodes import PacsNode, validate_node
from imaging.pacs.tls import tls_context, tls_probe

#: Seconds to open the TCP connection and to get the answer to the association request.
CONNECT_TIMEOUT_S = 10.0
#: Seconds to wait for each DIMSE message (a C-FIND match, a C-GET sub-operation).
DIMSE_TIMEOUT_S = 30.0
#: Seconds of silence on the network before an established association is given up.
NETWORK_TIMEOUT_S = 60.0
#: The largest PDU spineplan receives (0 would mean unlimited; a large PDU means fewer
#: round trips when images stream in).
MAX_PDU_BYTES = 1 << 20
#: Seconds pynetdicom's network thread sleeps when it finds nothing to do (its default is
#: 0.001). Each image of a C-GET waits for that thread at least once after the response to
#: the previous one: at 1 ms that was a quarter of the time of a 500-image retrieve.
RUN_LOOP_DELAY_S = 0.0001

# pynetdicom's standard event handlers format a log line for every PDU and DIMSE message
# even when nobody reads them (about a tenth of a C-GET's time); spineplan reports failures
# itself, as one line.
_config.LOG_HANDLER_LEVEL = "none"


def quicker(event: Any) -> None:
    """EVT_CONN_OPEN handler: poll the association's network thread more often."""
    dul = getattr(event.assoc, "dul", None)
    if dul is not None and hasattr(dul, "_run_loop_delay"):
        dul._run_loop_delay = RUN_LOOP_DELAY_S


def new_ae(node: PacsNode, *, timeout_s: float = CONNECT_TIMEOUT_S) -> AE:
    """An application entity calling as ``node.calling_aet`` with spineplan's timeouts."""
    ae = AE(ae_title=node.calling_aet)
    ae.connection_timeout = timeout_s
    ae.acse_timeout = timeout_s
    ae.dimse_timeout = DIMSE_TIMEOUT_S
    ae.network_timeout = NETWORK_TIMEOUT_S
    ae.maximum_pdu_size = MAX_PDU_BYTES
    return ae


def _why_no_connection(node: PacsNode, timeout_s: float) -> str:
    """What a plain TCP connection to the node says (only called once association failed)."""
    try:
        with socket.create_connection((node.host, node.port), timeout=timeout_s):
            return "the connection closed before the association was answered"
    except TimeoutError:
        return f"no connection within {timeout_s:g} s (host down or port filtered)"
    except OSError as error:
        reason = error.strerror or str(error)
        return f"cannot connect: {reason}"


def _speaks_tls(node: PacsNode, timeout_s: float) -> bool:
    """Whether a plain node's port answers a TLS handshake (certificate checked or not: the
    question is only which protocol it speaks; nothing is sent over it)."""
    try:
        raw = socket.create_connection((node.host, node.port), timeout=timeout_s)
    except OSError:
        return False
    try:
        with ssl.create_default_context().wrap_socket(raw, server_hostname=node.host):
            return True
    except ssl.SSLCertVerificationError:
        return True
    except OSError:
        return False
    finally:
        raw.close()


def _rejection_reason(assoc: Association) -> str:
    primitive = assoc.acceptor.primitive
    reason = str(getattr(primitive, "reason_str", "") or "no reason given")
    result = str(getattr(primitive, "result_str", "")).lower().replace("rejected", "").strip()
    kind = f" ({result})" if result else ""
    return f"association rejected{kind}: {reason[:1].lower()}{reason[1:]}"


def _associate(
    node: PacsNode,
    ae: AE,
    ext_neg: Sequence[Any],
    evt_handlers: Sequence[Any],
    timeout_s: float,
    attempts: int,
    tls: ssl.SSLContext | None = None,
) -> Association:
    """Request the association; a `PacsError` saying why when it is not established.

    A PACS that rejects sends A-ASSOCIATE-RJ and closes the connection at once; when the close
    overtakes the rejection in pynetdicom's threads, the association only looks aborted. Such a
    quick end is asked once more, so the user reads the PACS's reason, not a guess.
    """
    opened: list[bool] = []
    handlers = [
        (evt.EVT_CONN_OPEN, lambda event: opened.append(True)),
        (evt.EVT_CONN_OPEN, quicker),
        *evt_handlers,
    ]
    start = time.monotonic()
    assoc = ae.associate(
        node.host,
        node.port,
        ae_title=node.called_aet,
        ext_neg=list(ext_neg) or None,
        evt_handlers=handlers,
        max_pdu=MAX_PDU_BYTES,
        tls_args=(tls, node.host) if tls is not None else None,
    )
    if assoc.is_established:
        return assoc
    if assoc.is_rejected:
        raise pacs_error(node, _rejection_reason(assoc), PacsUnreachable)
    if tls is not None:
        failure = tls_probe(node, tls, timeout_s)
        if failure:
            raise pacs_error(node, failure, PacsCertificateError)
    if not opened:
        raise pacs_error(node, _why_no_connection(node, timeout_s), PacsUnreachable)
    if assoc.is_aborted and not assoc.accepted_contexts and assoc.acceptor.primitive:
        raise pacs_error(node, "accepted none of the proposed presentation contexts")
    if time.monotonic() - start >= timeout_s * 0.9:
        raise pacs_error(
            node, f"no answer to the association request within {timeout_s:g} s", PacsUnreachable
        )
    if attempts > 1:
        return _associate(node, ae, ext_neg, evt_handlers, timeout_s, attempts - 1, tls)
    if tls is None and _speaks_tls(node, timeout_s):
        raise pacs_error(
            node,
            "the PACS answers in TLS on this port: set the node's TLS (and its CA file)",
            PacsUnreachable,
        )
    raise pacs_error(
        node,
        "the PACS closed the connection without accepting the association (check the called "
        f"AE title, and that the PACS knows the calling AE title {node.calling_aet})",
        PacsUnreachable,
    )


@contextmanager
def association(
    node: PacsNode,
    contexts: Sequence[PresentationContext],
    *,
    ext_neg: Sequence[Any] = (),
    evt_handlers: Sequence[Any] = (),
    timeout_s: float = CONNECT_TIMEOUT_S,
) -> Iterator[Association]:
    """An established association with ``node``; released (or aborted on error) afterwards.

    Raises
    ------
    PacsError
        Naming the node: no connection, timeout, rejected, aborted, or no accepted context;
        over TLS `PacsCertificateError` saying why the handshake failed, or why a CA file or
        client certificate cannot be used.
    """
    validate_node(node)
    if node.kind != "dimse":
        raise pacs_error(node, "is a DICOMweb node; this needs DICOM networking (DIMSE)")
    tls = tls_context(node) if node.tls else None
    ae = new_ae(node, timeout_s=timeout_s)
    ae.requested_contexts = list(contexts)
    assoc = _associate(node, ae, ext_neg, evt_handlers, timeout_s, attempts=2, tls=tls)
    try:
        yield assoc
    except BaseException:
        assoc.abort()
        raise
    else:
        if assoc.is_established:
            assoc.release()
    finally:
        ae.shutdown()


def check_alive(node: PacsNode, assoc: Association, what: str) -> None:
    """Raise a `PacsError` when the association ended under us (peer aborted, network lost)."""
    if not assoc.is_established:
        state = "aborted by the PACS or the network" if assoc.is_aborted else "lost"
        raise pacs_error(node, f"{what}: the association was {state}")


def no_response(node: PacsNode, assoc: Association, what: str, waited_s: float) -> PacsError:
    """The error for a DIMSE exchange that ended without its response: the connection was
    lost (the PACS stopped, closed or aborted) or the PACS was silent for the DIMSE timeout."""
    if assoc.acse.is_aborted("a-abort"):
        return pacs_error(node, f"{what}: the PACS aborted the association")
    if waited_s < DIMSE_TIMEOUT_S * 0.9 or assoc.acse.is_aborted("a-p-abort"):
        return pacs_error(node, f"{what}: the connection was lost (the PACS stopped or closed it)")
    return pacs_error(node, f"{what}: no answer within {DIMSE_TIMEOUT_S:g} s")
