"""The errors of PACS networking: one line naming the node and what failed.

``PacsError`` is a `SpineplanError`, so the command line prints it as one line and exits 2,
and the GUI shows it in a dialog and keeps running. Example::

    PACS 'orthanc' (127.0.0.1:4242, AE ORTHANC): association rejected: called AE title not
    recognised
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imaging.errors import SpineplanError

if TYPE_CHECKING:
    from imaging.pacs.nodes import PacsNode


class PacsError(SpineplanError):
    """A PACS could not be reached, refused, or failed part-way; nothing was half-written."""


class PacsUnreachable(PacsError):
    """No conversation at all: no connection, no answer in time, or the association refused."""


class PacsCancelled(PacsError):
    """The user cancelled a retrieve or a send; nothing of a retrieve was kept."""


class PacsCredentialsRefused(PacsError):
    """The PACS refused the credentials (HTTP 401 or 403); ``node`` is the node refused, so a
    remembered secret can be forgotten and asked for again."""

    def __init__(self, message: str, node: PacsNode | None = None) -> None:
        super().__init__(message)
        self.node = node


class PacsCertificateError(PacsUnreachable):
    """The PACS's TLS certificate could not be verified (expired, wrong host, unknown CA)."""


def node_label(node: PacsNode) -> str:
    """How a message names a node: its name and where it is (address and AE, or URL)."""
    where = node.url if node.kind == "dicomweb" else f"{node.host}:{node.port}"
    if node.name in (where, node.host):  # a node given on the command line, not stored
        return f"PACS at {where}" + ("" if node.kind == "dicomweb" else f" (AE {node.called_aet})")
    if node.kind == "dicomweb":
        return f"PACS {node.name!r} ({node.url})"
    return f"PACS {node.name!r} ({where}, AE {node.called_aet})"


def pacs_error(node: PacsNode, what: str, cls: type[PacsError] = PacsError) -> PacsError:
    """A `PacsError` (or subclass) whose one-line message names ``node`` and ``what`` failed."""
    return cls(f"{node_label(node)}: {' '.join(what.split())}")
