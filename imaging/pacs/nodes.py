"""PACS nodes: where a PACS is and how to talk to it, kept in the user's settings.

A node is a DIMSE node (``host``, ``port``, ``called_aet``; spineplan calls as ``calling_aet``)
or a DICOMweb node (``url``, the QIDO/WADO/STOW root, e.g.
``http://pacs:8042/dicom-web``). The nodes live in ``pacs_nodes.json`` in
`imaging.user_folders.user_data_dir`, written atomically::

    {"nodes": [{"name": "orthanc", "host": "127.0.0.1", "port": 4242,
                "called_aet": "ORTHANC", "calling_aet": "SPINEPLAN"},
               {"name": "web", "url": "http://127.0.0.1:8042/dicom-web"}]}

``move_only`` marks a PACS that retrieves only by C-MOVE: spineplan then receives the images
on a local storage SCP listening on ``move_port`` under ``calling_aet`` (the PACS must know that
AE title with this machine's address and that port).

A DICOMweb node over ``https`` is verified against the system's certificate authorities, or
only against its own bundle ``ca_file`` (a PEM file) when one is given. ``auth`` is ``basic``
(``user`` and a password) or ``bearer`` (a token); the password or token is never kept in
``pacs_nodes.json``: it lives in the system keyring or is asked for when the node is used
(`imaging.pacs.credentials`), and reaches the calls in ``secret``, which is never written.

A DIMSE node with ``tls`` talks DICOM over TLS (PS3.15 Annex B; `imaging.pacs.tls`): verified
against ``ca_file`` or the system's authorities, as https is. For a PACS that wants to see who
calls (mutual TLS), ``client_cert_file`` and ``client_key_file`` are the PEM files of this
workstation's certificate and key; only their paths are kept, the key is never copied. The
local storage SCP that receives C-MOVE images stays plain DICOM unless the node says
``move_tls``: then it serves TLS with that same certificate and key, and the PACS, calling
back, must show a certificate that chains to ``ca_file`` (docs/pacs.md says why).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from imaging.atomic_write import write_atomic
from imaging.pacs.errors import PacsError
from imaging.user_folders import user_data_dir

NODES_FILE = "pacs_nodes.json"
DEFAULT_CALLING_AET = "SPINEPLAN"
#: DICOM PS3.5 AE VR: at most 16 characters of the default repertoire, no backslash or control
#: characters, not all spaces.
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")
#: How a DICOMweb node authenticates: none, HTTP Basic (user and password) or a bearer token.
AUTH_NONE, AUTH_BASIC, AUTH_BEARER = "", "basic", "bearer"
AUTH_KINDS = (AUTH_NONE, AUTH_BASIC, AUTH_BEARER)
#: Keys that must never be in the settings file (a secret there is refused, not read).
_SECRET_KEYS = ("secret", "password", "token")


@dataclass(frozen=True)
class PacsNode:
    """One PACS: a DIMSE node (host, port, AE titles) or a DICOMweb node (url)."""

    name: str
    host: str = ""
    port: int = 0
    called_aet: str = ""
    calling_aet: str = DEFAULT_CALLING_AET
    url: str = ""
    #: Retrieve by C-MOVE to a local storage SCP (for a PACS without C-GET).
    move_only: bool = False
    #: TCP port of the local storage SCP that receives C-MOVE images (0: not set).
    move_port: int = 0
    #: A PEM bundle of the certificate authorities an https node's certificate must chain to
    #: (empty: the system's).
    ca_file: str = ""
    #: A DIMSE node: DICOM over TLS (verified like https; TLS 1.2 or later).
    tls: bool = False
    #: A DIMSE node over TLS: this workstation's certificate and its key (PEM files), shown to
    #: a PACS that requires mutual TLS. Paths only: the key stays where it is.
    client_cert_file: str = ""
    client_key_file: str = ""
    #: A C-MOVE node over TLS: its local storage SCP serves TLS too (with the client
    #: certificate and key), for a PACS that calls back over TLS.
    move_tls: bool = False
    #: ``""`` (none), ``"basic"`` (``user`` and a password) or ``"bearer"`` (a token).
    auth: str = AUTH_NONE
    user: str = ""
    #: The password or token for this use; never written, never shown, never compared.
    secret: str = field(default="", repr=False, compare=False)

    @property
    def kind(self) -> str:
        """``"dicomweb"`` when the node has a URL, else ``"dimse"``."""
        return "dicomweb" if self.url else "dimse"

    def to_json(self) -> dict[str, Any]:
        """The node as stored in ``pacs_nodes.json`` (defaults left out)."""
        defaults = PacsNode(name=self.name)
        return {
            key: value
            for key, value in asdict(self).items()
            if key != "secret" and (key == "name" or value != getattr(defaults, key))
        }

    @property
    def secret_kind(self) -> str:
        """What the secret is called: ``"password"``, ``"token"`` or ``""`` (none needed)."""
        return {AUTH_BASIC: "password", AUTH_BEARER: "token"}.get(self.auth, "")


def nodes_file() -> Path:
    """Where the nodes are kept: ``pacs_nodes.json`` in the user's data folder."""
    return user_data_dir() / NODES_FILE


def _check_ae(node_name: str, what: str, title: str) -> None:
    if not title:
        raise PacsError(f"PACS node {node_name!r}: no {what}")
    if not _AE_TITLE.match(title) or not title.strip():
        raise PacsError(
            f"PACS node {node_name!r}: {what} {title!r} is not a DICOM AE title "
            "(1 to 16 characters, no backslash, not only spaces)"
        )


def _check_port(node_name: str, what: str, port: object) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise PacsError(f"PACS node {node_name!r}: {what} {port!r} is not a TCP port (1-65535)")


def _check_auth(node: PacsNode) -> None:
    if node.auth not in AUTH_KINDS:
        raise PacsError(
            f"PACS node {node.name!r}: authentication {node.auth!r} is not one of "
            "basic, bearer (or none)"
        )
    if node.auth == AUTH_BASIC and not node.user.strip():
        raise PacsError(f"PACS node {node.name!r}: no user (basic authentication needs one)")
    if node.auth != AUTH_BASIC and node.user:
        raise PacsError(f"PACS node {node.name!r}: a user is only used with basic authentication")
    if ":" in node.user:
        raise PacsError(
            f"PACS node {node.name!r}: user {node.user!r} has a ':' (HTTP Basic cannot send it)"
        )


def _check_dimse_tls(node: PacsNode) -> None:
    if not node.tls and (node.ca_file or node.client_cert_file or node.client_key_file):
        raise PacsError(
            f"PACS node {node.name!r}: a CA file or client certificate is only used with TLS "
            "(set tls)"
        )
    if node.move_tls and not (node.tls and node.move_only and node.client_cert_file):
        raise PacsError(
            f"PACS node {node.name!r}: C-MOVE over TLS (move_tls) needs TLS, retrieval by "
            "C-MOVE and this computer's certificate and key (the client certificate)"
        )
    if bool(node.client_cert_file) != bool(node.client_key_file):
        missing = "key" if node.client_cert_file else "certificate"
        raise PacsError(
            f"PACS node {node.name!r}: a client certificate needs its key and a key its "
            f"certificate: no client {missing} file"
        )


def validate_node(node: PacsNode) -> PacsNode:
    """Check a node; returns it, or raises `PacsError` naming the node and the bad value."""
    if not node.name.strip():
        raise PacsError("PACS node: the name is empty")
    if node.url:
        if node.host or node.port or node.called_aet:
            raise PacsError(
                f"PACS node {node.name!r}: give either a DICOMweb URL or host, port and "
                "called AE title, not both"
            )
        parsed = urlparse(node.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PacsError(
                f"PACS node {node.name!r}: URL {node.url!r} is not an http(s) URL with a host "
                "(e.g. http://pacs:8042/dicom-web)"
            )
        if parsed.username or parsed.password:
            raise PacsError(
                f"PACS node {node.name!r}: put no user or password in the URL (give the user "
                "apart; the password is kept in the system keyring or asked for)"
            )
        if node.ca_file and parsed.scheme != "https":
            raise PacsError(f"PACS node {node.name!r}: a CA file is only used with an https URL")
        if node.tls or node.client_cert_file or node.client_key_file:
            raise PacsError(
                f"PACS node {node.name!r}: 'tls' and a client certificate are for DICOM "
                "networking nodes; a DICOMweb node uses TLS when its URL is https"
            )
        _check_auth(node)
        return node
    if node.auth or node.user:
        raise PacsError(
            f"PACS node {node.name!r}: authentication is for DICOMweb nodes (a URL); DICOM "
            "networking has none (a PACS that must know who calls uses TLS client certificates)"
        )
    _check_dimse_tls(node)
    if not node.host.strip():
        raise PacsError(
            f"PACS node {node.name!r}: no host (a DIMSE node needs host, port and called AE "
            "title; a DICOMweb node a URL)"
        )
    _check_port(node.name, "port", node.port)
    _check_ae(node.name, "called AE title", node.called_aet)
    _check_ae(node.name, "calling AE title", node.calling_aet)
    if node.move_only:
        _check_port(node.name, "move port (local storage SCP for C-MOVE)", node.move_port)
    elif node.move_port:
        _check_port(node.name, "move port", node.move_port)
    return node


def _node_from_json(entry: object, where: str) -> PacsNode:
    known = {f.name: f.type for f in fields(PacsNode)}
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise PacsError(f"{where}: each node must be an object with a 'name'")
    secrets = sorted(set(entry) & set(_SECRET_KEYS))
    if secrets:
        raise PacsError(
            f"{where}: node {entry['name']!r} has a {secrets[0]} written in the file: remove it "
            "(spineplan keeps passwords and tokens in the system keyring, or asks for them)"
        )
    unknown = sorted(set(entry) - set(known))
    if unknown:
        raise PacsError(f"{where}: node {entry['name']!r} has unknown keys {unknown}")
    for key, value in entry.items():
        expected = {
            "port": int,
            "move_port": int,
            "move_only": bool,
            "tls": bool,
            "move_tls": bool,
        }.get(key, str)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise PacsError(
                f"{where}: node {entry['name']!r}: {key} must be {expected.__name__}, not {value!r}"
            )
    return PacsNode(**entry)


def load_nodes() -> list[PacsNode]:
    """The configured nodes (none when the file does not exist yet)."""
    path = nodes_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise PacsError(f"{path}: cannot read the PACS nodes: {error.strerror}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PacsError(f"{path}: not valid JSON (line {error.lineno}): {error.msg}") from error
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise PacsError(f'{path}: expected {{"nodes": [...]}}')
    nodes = [_node_from_json(entry, str(path)) for entry in data["nodes"]]
    for node in nodes:
        try:
            validate_node(node)
        except PacsError as error:
            raise PacsError(f"{path}: {error}") from error
    return nodes


def save_nodes(nodes: list[PacsNode]) -> None:
    """Replace the stored nodes (each validated; names must be unique)."""
    names = [node.name for node in nodes]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PacsError(f"PACS nodes: names used twice: {', '.join(duplicates)}")
    for node in nodes:
        validate_node(node)
    path = nodes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"nodes": [node.to_json() for node in nodes]}
    write_atomic(path, json.dumps(document, indent=2) + "\n")


def node_named(name: str) -> PacsNode:
    """The stored node called ``name``; `PacsError` listing the known names when absent."""
    nodes = load_nodes()
    for node in nodes:
        if node.name == name:
            return node
    known = ", ".join(repr(node.name) for node in nodes) or "none"
    raise PacsError(
        f"no PACS node named {name!r} in {nodes_file()} (known: {known}; add one with "
        "'spineplan pacs nodes add')"
    )
