"""DICOMweb calls on dicomweb-client: a client per node, failures as one-line `PacsError`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import requests
from dicomweb_client.api import DICOMwebClient

from imaging.pacs.errors import PacsError, PacsUnreachable, pacs_error
from imaging.pacs.nodes import PacsNode, validate_node

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


def web_client(node: PacsNode, *, timeout_s: float = CONNECT_TIMEOUT_S) -> DICOMwebClient:
    """A dicomweb-client for ``node`` (QIDO, WADO and STOW under its URL), no retries."""
    validate_node(node)
    if node.kind != "dicomweb":
        raise pacs_error(node, "is a DIMSE node; this needs a DICOMweb URL")
    client = DICOMwebClient(
        node.url.rstrip("/"), session=_PlainQuerySession(), timeout=(timeout_s, READ_TIMEOUT_S)
    )
    client.set_http_retry_params(retry=False)  # a dead server must fail within the timeout
    return client


def web_call(node: PacsNode, what: str, call: Callable[[], T]) -> T:
    """Run one dicomweb-client call; HTTP and network failures become a `PacsError`."""
    try:
        return call()
    except PacsError:
        raise
    except requests.exceptions.HTTPError as error:
        response = error.response
        status = f"HTTP {response.status_code} {response.reason}" if response is not None else ""
        raise pacs_error(node, f"{what} failed: {status or error}") from error
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


def _root_cause(error: BaseException) -> str:
    cause: BaseException = error
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    text = str(cause)
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0] if text else type(cause).__name__
