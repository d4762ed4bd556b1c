"""One PACS node as the settings dialog edits it: the texts of its fields, the node they make
and what is wrong with them, field by field.

`imaging.pacs.nodes.validate_node` says what is wrong with a node; this module only turns the
typed texts into a `PacsNode` (a port that is not a whole number is the one check made here,
before there is a node to validate) and puts each message beside the field it is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from imaging.pacs.errors import PacsError
from imaging.pacs.nodes import AUTH_BASIC, AUTH_NONE, PacsNode, validate_node

DIMSE, DICOMWEB = "dimse", "dicomweb"

#: the form's text fields, in the order they are shown
FIELDS = (
    "name",
    "host",
    "port",
    "called_aet",
    "calling_aet",
    "move_port",
    "url",
    "ca_file",
    "client_cert_file",
    "client_key_file",
    "user",
)
#: the fields naming a file, which must exist
FILE_FIELDS = ("ca_file", "client_cert_file", "client_key_file")
#: the fields only a DICOM node over TLS uses
TLS_FIELDS = ("ca_file", "client_cert_file", "client_key_file")
#: the fields each kind of node uses
KIND_FIELDS = {
    DIMSE: (
        "name",
        "host",
        "port",
        "called_aet",
        "calling_aet",
        "move_port",
        "ca_file",
        "client_cert_file",
        "client_key_file",
    ),
    DICOMWEB: ("name", "url", "ca_file", "user"),
}
#: a valid node of each kind: each field is validated alone, put into it
GOOD = {
    DIMSE: PacsNode(name="node", host="localhost", port=104, called_aet="PACS"),
    DICOMWEB: PacsNode(name="node", url="https://localhost/dicom-web"),
}
#: the note beside a port left empty (validated, it would read "port 0 is not a TCP port")
EMPTY_PORT_NOTES = {"port": "no port", "move_port": "no local port for C-MOVE"}
#: the note beside an empty client certificate when C-MOVE images are to come over TLS
MOVE_TLS_NEEDS_CERTIFICATE = "C-MOVE over TLS needs this certificate"
_NODE_PREFIX = re.compile(r"^PACS node( '[^']*'| \"[^\"]*\")?: ")


@dataclass
class NodeDraft:
    """The texts typed for one node, whether it retrieves by C-MOVE only, whether it uses TLS
    (a DICOM node), how it authenticates (`imaging.pacs.nodes.AUTH_KINDS`), and its last echo
    result in words ("" before any)."""

    kind: str = DIMSE
    texts: dict[str, str] = field(
        default_factory=lambda: {name: "" for name in FIELDS} | {"calling_aet": "SPINEPLAN"}
    )
    move_only: bool = False
    tls: bool = False
    move_tls: bool = False
    auth: str = AUTH_NONE
    echo_text: str = ""

    @classmethod
    def of(cls, node: PacsNode) -> NodeDraft:
        texts = {
            "name": node.name,
            "host": node.host,
            "port": str(node.port) if node.port else "",
            "called_aet": node.called_aet,
            "calling_aet": node.calling_aet,
            "move_port": str(node.move_port) if node.move_port else "",
            "url": node.url,
            "ca_file": node.ca_file,
            "client_cert_file": node.client_cert_file,
            "client_key_file": node.client_key_file,
            "user": node.user,
        }
        return cls(
            kind=node.kind,
            texts=texts,
            move_only=node.move_only,
            tls=node.tls,
            move_tls=node.move_tls,
            auth=node.auth,
        )

    def node(self) -> PacsNode:
        """The node these texts describe (the fields of the other kind left out).

        Raises
        ------
        PacsError
            A port is not a whole number.
        """
        return self._node(self.texts)

    def _node(self, texts: dict[str, str]) -> PacsNode:
        t = {name: value.strip() for name, value in texts.items()}
        if self.kind == DICOMWEB:
            return PacsNode(
                name=t["name"],
                url=t["url"],
                ca_file=t["ca_file"],
                auth=self.auth,
                user=t["user"] if self.auth == AUTH_BASIC else "",
            )
        return PacsNode(
            name=t["name"],
            host=t["host"],
            port=whole_number(t["port"], "port"),
            called_aet=t["called_aet"],
            calling_aet=t["calling_aet"],
            move_only=self.move_only,
            move_port=whole_number(t["move_port"], "move port") if self.move_only else 0,
            tls=self.tls,
            ca_file=t["ca_file"] if self.tls else "",
            client_cert_file=t["client_cert_file"] if self.tls else "",
            client_key_file=t["client_key_file"] if self.tls else "",
            move_tls=self.move_tls and self.tls and self.move_only,
        )

    def problems(self, other_names: list[str]) -> dict[str, str]:
        """What is wrong, by field name (empty when the node can be saved): each field is
        checked by `validate_node` in an otherwise valid node, so every bad field is named at
        once; ``other_names`` are the other nodes' names, which this one must not repeat."""
        found: dict[str, str] = {}
        good = GOOD[self.kind]
        # a client certificate and its key are checked each with a stand-in for the other
        paired = any(self.texts[name].strip() for name in ("client_cert_file", "client_key_file"))
        good_texts = {
            "name": good.name,
            "host": good.host,
            "port": str(good.port),
            "called_aet": good.called_aet,
            "calling_aet": good.calling_aet,
            "move_port": "104" if self.move_only else "",
            "url": good.url,
            "ca_file": "",
            "client_cert_file": "client.crt" if paired else "",
            "client_key_file": "client.key" if paired else "",
            "user": "user" if self.auth == AUTH_BASIC else "",
        }
        alone = replace(self, move_tls=False)  # its need of a certificate is said once, below
        for name in self.fields():
            if name in EMPTY_PORT_NOTES and not self.texts[name].strip():
                found[name] = EMPTY_PORT_NOTES[name]
                continue
            if name in FILE_FIELDS and self.texts[name].strip():
                path = Path(self.texts[name].strip()).expanduser()
                if not path.is_file():
                    found[name] = "no such file"  # the path is in the field beside it
                    continue
            message = alone._check(good_texts | {name: self.texts[name]})
            if message:
                found[name] = message
        if not found:
            message = self._check(self.texts)
            if message:  # a problem of the fields together
                if "move_tls" in message:  # said beside the certificate it needs
                    found["client_cert_file"] = MOVE_TLS_NEEDS_CERTIFICATE
                else:
                    found["url" if self.kind == DICOMWEB else "host"] = message
        name = self.texts["name"].strip()
        if "name" not in found and name in other_names:
            found["name"] = f"another node is already called {name!r}"
        return found

    def fields(self) -> tuple[str, ...]:
        """The fields this node uses (the local C-MOVE port only when it retrieves by C-MOVE,
        the user only with basic authentication, a DICOM node's CA file and client
        certificate only over TLS)."""
        return tuple(
            name
            for name in KIND_FIELDS[self.kind]
            if (name != "move_port" or self.move_only)
            and (name != "user" or self.auth == AUTH_BASIC)
            and (name not in TLS_FIELDS or self.kind == DICOMWEB or self.tls)
        )

    def _check(self, texts: dict[str, str]) -> str:
        try:
            validate_node(self._node(texts))
        except PacsError as error:
            return _NODE_PREFIX.sub("", str(error))
        return ""

    def summary(self) -> str:
        """The node in one line for the list: name and where it is."""
        t = {name: value.strip() for name, value in self.texts.items()}
        name = t["name"] or "(unnamed)"
        if self.kind == DICOMWEB:
            who = f", user {t['user']}" if self.auth == AUTH_BASIC and t["user"] else ""
            return f"{name} — {t['url'] or 'no URL'}{who}"
        where = f"{t['host'] or '?'}:{t['port'] or '?'}"
        tls = " TLS" if self.tls else ""
        return f"{name} — {where}{tls}, AE {t['called_aet'] or '?'}"


def whole_number(text: str, what: str) -> int:
    """``text`` as a port number (0 when empty).

    Raises
    ------
    PacsError
        ``text`` is not a whole number.
    """
    if not text:
        return 0
    if not text.isdigit():
        raise PacsError(f"{what} {text!r} is not a TCP port (1-65535)")
    return int(text)
