"""DICOMweb calls on dicomweb-client: a client per node, failures as one-line `PacsError`.

Over https the server's certificate is always verified, as `imaging.pacs.tls` says: against
the node's own CA bundle (``ca_file``, and only that) or else the system's certificate
authorities. A certificate that fails is one line saying why (expired, issued for another
host, an unknown authority). A node with
``auth`` sends its ``secret`` as HTTP Basic or as a bearer token; a 401 or 403 is
`PacsCredentialsRefused`.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

import requests
from dicomweb_client.api import DICOMwebClient
from requests.adapters import HTTPAdapter

from imaging.pacs.errors import (
    PacsCertificateError,
    PacsCredentialsRefused,
    PacsError,
    PacsUnreachable,
    node_label,
    pacs_error,
)
from imaging.pacs.nodes import AUTH_BASIC, AUTH_BEARER, PacsNode, validate_node
from imaging.pacs.tls import tls_context, tls_failure

T = TypeVar("T")

#: Seconds to connect; seconds to wait between bytes of an answer.
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0


class _PlainQuerySession(requests.Session):
    """Sends the DICOM wildcards of a query (``*``, ``?``) and ``,`` unescaped.

    requests percent-encodes them (``PatientName=DOE%2A``), and Orthanc's DICOMweb plugin
    (1.7, Debian bookworm) does not decode percent-escapes in QIDO-RS values: no wildcard
    search ever matched there. RFC 3986 allows ``*``, ``?`` and ``,`` raw in a query, so every
    server reads them the same. (``^`` cannot go raw: urllib3 escapes it again; see
    `qido_value`.)
    """

    _PLAIN: ClassVar[dict[str, str]] = {"%2A": "*", "%3F": "?", "%2C": ","}

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.url and "?" in request.url:
            base, _, query = request.url.partition("?")
            for escaped, plain in self._PLAIN.items():
                query = query.replace(escaped, plain).replace(escaped.lower(), plain)
            request.url = f"{base}?{query}"
        return super().send(request, **kwargs)


def qido_value(value: str) -> str:
    """A person-name matching value for QIDO-RS: each ``^`` becomes the wildcard ``?``.

    ``^`` (between family and given name) is always percent-escaped on the way, which
    Orthanc's DICOMweb plugin does not decode; ``?`` matches exactly that one character.
    """
    return value.replace("^", "?")


class _VerifiedAdapter(HTTPAdapter):
    """Every https connection through one `ssl.SSLContext`, which alone decides what is
    trusted (requests would otherwise add certifi's bundle to any context it is given)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host, pool = super().build_connection_pool_key_attributes(request, True, cert)
        pool.pop("ca_certs", None)
        pool.pop("ca_cert_dir", None)
        pool["ssl_context"] = self._context
        pool["cert_reqs"] = "CERT_REQUIRED"
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = conn.ca_cert_dir = None


def web_session(node: PacsNode) -> requests.Session:
    """The HTTP session for ``node``: verified TLS, its credentials, DICOM wildcards unescaped.

    Raises
    ------
    PacsError
        The node authenticates and carries no secret, or its CA file cannot be read.
    """
    session = _PlainQuerySession()
    if node.url.lower().startswith("https:"):
        session.mount("https://", _VerifiedAdapter(tls_context(node)))
    if node.secret_kind and not node.secret:
        raise pacs_error(node, f"needs a {node.secret_kind} and none was given")
    if node.auth == AUTH_BASIC:
        session.auth = requests.auth.HTTPBasicAuth(node.user, node.secret)
    elif node.auth == AUTH_BEARER:
        session.headers["Authorization"] = f"Bearer {node.secret}"
    return session


def web_client(node: PacsNode, *, timeout_s: float = CONNECT_TIMEOUT_S) -> DICOMwebClient:
    """A dicomweb-client for ``node`` (QIDO, WADO and STOW under its URL), no retries."""
    validate_node(node)
    if node.kind != "dicomweb":
        raise pacs_error(node, "is a DIMSE node; this needs a DICOMweb URL")
    client = DICOMwebClient(
        node.url.rstrip("/"), session=web_session(node), timeout=(timeout_s, READ_TIMEOUT_S)
    )
    client.set_http_retry_params(retry=False)  # a dead server must fail within the timeout
    return client


#: Studies (or series, or instances) asked for in one QIDO-RS request.
QIDO_PAGE_SIZE = 100


def qido_pages(
    node: PacsNode,
    what: str,
    search: Callable[[int, int], list[dict[str, Any]]],
    *,
    key: Callable[[dict[str, Any]], str],
    page_size: int = QIDO_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """Every answer of a QIDO-RS search, asked for a page at a time (``search(offset, limit)``).

    The next page starts after what has come so far (a server may cap a page below
    ``limit``), and the pages end with an empty one or with a page that brings nothing new (a
    server that ignores ``offset`` sends its first page again). Answers are yielded once each,
    by ``key``; a consumer that has enough stops iterating, and no further page is asked for.
    """
    seen: set[str] = set()
    offset = 0
    while True:
        page = web_call(node, what, functools.partial(search, offset, page_size))
        fresh = [entry for entry in page if key(entry) not in seen]
        if not fresh:
            return
        for entry in fresh:
            seen.add(key(entry))
            yield entry
        offset += len(page)


def web_call(node: PacsNode, what: str, call: Callable[[], T]) -> T:
    """Run one dicomweb-client call; HTTP and network failures become a `PacsError`."""
    try:
        return call()
    except PacsError:
        raise
    except requests.exceptions.HTTPError as error:
        response = error.response
        if response is not None and response.status_code in (401, 403):
            raise _refused(node, response.status_code) from error
        status = f"HTTP {response.status_code} {response.reason}" if response is not None else ""
        raise pacs_error(node, f"{what} failed: {status or error}") from error
    except requests.exceptions.SSLError as error:
        raise pacs_error(node, tls_failure(node, error), PacsCertificateError) from error
    except requests.exceptions.ConnectTimeout as error:
        raise pacs_error(
            node, f"{what}: no connection within {CONNECT_TIMEOUT_S:g} s", PacsUnreachable
        ) from error
    except requests.exceptions.Timeout as error:
        raise pacs_error(node, f"{what}: no answer within {READ_TIMEOUT_S:g} s") from error
    except requests.exceptions.ConnectionError as error:
        raise pacs_error(
            node, f"{what}: cannot connect ({_root_cause(error)})", PacsUnreachable
        ) from error
    except requests.exceptions.RequestException as error:
        raise pacs_error(node, f"{what} failed: {_root_cause(error)}") from error
    except ValueError as error:  # dicomweb-client's answer to a malformed response
        raise pacs_error(node, f"{what}: unexpected answer: {error}") from error


def _refused(node: PacsNode, status: int) -> PacsCredentialsRefused:
    if node.secret_kind:
        who = f" of user {node.user!r}" if node.user else ""
        return PacsCredentialsRefused(
            f"{node_label(node)} refused the credentials{who} (HTTP {status})", node
        )
    return PacsCredentialsRefused(
        f"{node_label(node)} asks for credentials (HTTP {status}): set the node's "
        "authentication (basic with a user, or a bearer token)",
        node,
    )


def _root_cause(error: BaseException) -> str:
    cause: BaseException = error
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    text = str(cause)
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0] if text else type(cause).__name__
