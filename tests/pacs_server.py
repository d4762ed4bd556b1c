"""A real Orthanc for the PACS tests: Debian's ``Orthanc`` on 127.0.0.1, ephemeral ports.

`OrthancServer` writes a minimal configuration (DICOM AE ``ORTHANC``, HTTP without
authentication, the DICOMweb plugin of the ``orthanc-dicomweb`` package, a temporary storage
folder, and a modality entry for spineplan's local storage SCP so C-MOVE has somewhere to send),
starts Orthanc and waits until its REST API answers. `stop` kills it (also used to make a
retrieve fail half-way).

The hospital configurations: ``certificate`` (a PEM of certificate and key, `tests.pacs_tls`)
serves https only (``SslEnabled``); ``users`` switches on HTTP Basic authentication
(``AuthenticationEnabled``, ``RegisteredUsers``); ``limit_find_results`` caps every find
answer (``LimitFindResults``), so a client that does not page sees only the first page.
``dicom_tls`` (`DicomTls`) puts the DICOM port behind TLS (``DicomTlsEnabled``, Orthanc 1.9+):
its server certificate and key, the CA bundle that client certificates must chain to, and
whether a client must show one (mutual TLS). Orthanc's C-MOVE connection back to spineplan's
storage SCP at ``move_port`` (AE ``SPINEPLAN``) stays plain; with DICOM TLS a second modality,
AE ``SPINEPLAN-TLS`` at ``move_tls_port``, is called back over TLS (``UseDicomTls``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.pacs.nodes import PacsNode

ORTHANC = "Orthanc"
DICOMWEB_PLUGIN_CANDIDATES = (
    Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so"),
    *sorted(Path("/usr/lib/orthanc").glob("libOrthancDicomWeb.so*")),
)
AE_TITLE = "ORTHANC"
#: The AE title spineplan calls with in the tests; Orthanc knows it (for C-MOVE) at move_port.
SPINEPLAN_AE = "SPINEPLAN"
#: The AE title Orthanc with DICOM TLS calls back over TLS for C-MOVE, at move_tls_port.
SPINEPLAN_TLS_AE = "SPINEPLAN-TLS"


#: Debian bookworm's civetweb 1.15 (Orthanc's web server) loads OpenSSL at run time and looks
#: up ``SSL_get_peer_certificate``, which OpenSSL 3 no longer exports (it is a macro for
#: ``SSL_get1_peer_certificate`` there): the lookup yields a null pointer and Orthanc crashes
#: (SIGSEGV in a civetweb worker) on its first https connection. civetweb opens ``libssl.so``
#: by name, so a ``libssl.so`` found first on ``LD_LIBRARY_PATH`` that exports the old name and
#: links the real libssl.so.3 for everything else makes Orthanc's own TLS work.
CIVETWEB_OPENSSL3_SHIM = """
#include <openssl/ssl.h>
#undef SSL_get_peer_certificate
X509 *SSL_get_peer_certificate(const SSL *ssl) { return SSL_get1_peer_certificate(ssl); }
"""


def civetweb_tls_shim(folder: Path) -> Path:
    """A folder holding the ``libssl.so`` of `CIVETWEB_OPENSSL3_SHIM`, built with the C
    compiler (Debian packages gcc libssl-dev)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("no C compiler for Orthanc's TLS shim (Debian packages gcc libssl-dev)")
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "civetweb_openssl3_shim.c"
    source.write_text(CIVETWEB_OPENSSL3_SHIM)
    built = subprocess.run(
        [
            compiler,
            "-shared",
            "-fPIC",
            "-o",
            str(folder / "libssl.so"),
            str(source),
            "-Wl,--no-as-needed",
            "-lssl",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if built.returncode != 0:
        raise RuntimeError(f"cannot build Orthanc's TLS shim: {built.stderr.strip()[-500:]}")
    return folder


@dataclass(frozen=True)
class DicomTls:
    """Orthanc's DICOM TLS: its certificate and key (PEM files), the CA bundle client
    certificates must chain to, and whether a client must show one."""

    cert_file: Path
    key_file: Path
    trusted_ca_file: Path
    client_certificate_required: bool = False

    def configuration(self) -> dict[str, Any]:
        return {
            "DicomTlsEnabled": True,
            "DicomTlsCertificate": str(self.cert_file),
            "DicomTlsPrivateKey": str(self.key_file),
            "DicomTlsTrustedCertificates": str(self.trusted_ca_file),
            "DicomTlsRemoteCertificateRequired": self.client_certificate_required,
        }


def free_port() -> int:
    """A TCP port nothing listens on right now (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dicomweb_plugin() -> Path | None:
    return next((path for path in DICOMWEB_PLUGIN_CANDIDATES if path.exists()), None)


def missing_reason() -> str:
    """Why Orthanc cannot run here ("" when it can)."""
    if shutil.which(ORTHANC) is None:
        return "Orthanc is not installed (Debian packages orthanc orthanc-dicomweb; dev.sh test)"
    if dicomweb_plugin() is None:
        return "the Orthanc DICOMweb plugin is not installed (Debian package orthanc-dicomweb)"
    return ""


class OrthancServer:
    """One Orthanc process with its own storage folder and ports."""

    def __init__(
        self,
        folder: Path,
        *,
        max_pdu: int = 16384,
        tcp_nodelay: bool = True,
        certificate: Path | None = None,
        users: dict[str, str] | None = None,
        limit_find_results: int = 0,
        dicom_tls: DicomTls | None = None,
    ) -> None:
        self.folder = folder
        self.tcp_nodelay = tcp_nodelay
        self.certificate = certificate
        self.users = dict(users or {})
        self.limit_find_results = limit_find_results
        self.dicom_tls = dicom_tls
        self.dicom_port = free_port()
        self.http_port = free_port()
        self.move_port = free_port()
        self.move_tls_port = free_port()
        self.max_pdu = max_pdu
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        scheme = "https" if self.certificate else "http"
        return f"{scheme}://127.0.0.1:{self.http_port}"

    def dimse_node(self, name: str = "orthanc", **changes: Any) -> PacsNode:
        fields: dict[str, Any] = {
            "name": name,
            "host": "127.0.0.1",
            "port": self.dicom_port,
            "called_aet": AE_TITLE,
            "calling_aet": SPINEPLAN_AE,
            "move_port": self.move_port,
        }
        fields.update(changes)
        return PacsNode(**fields)

    def dicomweb_node(self, name: str = "orthanc-web", **changes: Any) -> PacsNode:
        return PacsNode(name=name, url=f"{self.http_url}/dicom-web", **changes)

    def configuration(self) -> dict[str, Any]:
        storage = self.folder / "storage"
        return {
            "Name": "spineplan-test",
            "StorageDirectory": str(storage),
            "IndexDirectory": str(storage),
            "StorageCompression": False,
            "HttpServerEnabled": True,
            "HttpPort": self.http_port,
            "RemoteAccessAllowed": False,
            "DicomServerEnabled": True,
            "DicomAet": AE_TITLE,
            "DicomPort": self.dicom_port,
            "DicomCheckCalledAet": True,
            "DicomAlwaysAllowEcho": True,
            "DicomAlwaysAllowStore": True,
            "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowGet": True,
            "DicomAlwaysAllowMove": True,
            "DicomCheckModalityHost": False,
            "DicomScuTimeout": 10,
            "DicomScpTimeout": 30,
            "MaximumPduLength": self.max_pdu,
            "DicomModalities": self.modalities(),
            "Plugins": [str(dicomweb_plugin())],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "EnableWado": False},
            "SaveJobs": False,
            "StableAge": 1,
            "LogExportedResources": False,
            "KeepAlive": True,
            "SslEnabled": self.certificate is not None,
            **({"SslCertificate": str(self.certificate)} if self.certificate else {}),
            "AuthenticationEnabled": bool(self.users),
            "RegisteredUsers": self.users,
            "LimitFindResults": self.limit_find_results,
            **(self.dicom_tls.configuration() if self.dicom_tls else {}),
        }

    def modalities(self) -> dict[str, Any]:
        """Where Orthanc sends C-MOVE images: spineplan's plain storage SCP, and with DICOM TLS
        also one it calls over TLS."""
        modalities: dict[str, Any] = {"spineplan": [SPINEPLAN_AE, "127.0.0.1", self.move_port]}
        if self.dicom_tls is not None:
            modalities["spineplan-tls"] = {
                "AET": SPINEPLAN_TLS_AE,
                "Host": "127.0.0.1",
                "Port": self.move_tls_port,
                "UseDicomTls": True,
            }
        return modalities

    def start(self, timeout_s: float = 30.0) -> OrthancServer:
        reason = missing_reason()
        if reason:
            raise RuntimeError(reason)
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "orthanc.json"
        config.write_text(json.dumps(self.configuration(), indent=2))
        log = (self.folder / "orthanc.log").open("wb")
        environment = dict(os.environ)
        if self.tcp_nodelay:
            # dcmtk's switch for Nagle's algorithm: without it each C-STORE response of
            # Orthanc waits for a delayed TCP acknowledgement (a 42-image store: 2.5 s, not 1 s)
            environment["TCP_NODELAY"] = "1"
        if self.certificate is not None:
            shim = civetweb_tls_shim(self.folder / "tls-shim")
            environment["LD_LIBRARY_PATH"] = os.pathsep.join(
                filter(None, [str(shim), environment.get("LD_LIBRARY_PATH", "")])
            )
        self.process = subprocess.Popen(
            [ORTHANC, str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            env=environment,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Orthanc exited with {self.process.returncode}: "
                    f"{(self.folder / 'orthanc.log').read_text(errors='replace')[-2000:]}"
                )
            try:
                self.rest("/system")
                if self._dicom_listening():
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Orthanc did not answer within {timeout_s:g} s")

    def _dicom_listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.dicom_port), timeout=1):
                return True
        except OSError:
            return False

    def rest(self, path: str, *, method: str = "GET", body: bytes | None = None) -> Any:
        """Call Orthanc's REST API; the decoded JSON answer."""
        request = urllib.request.Request(self.http_url + path, data=body, method=method)
        if self.users:
            user, password = next(iter(self.users.items()))
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        context = None
        if self.certificate is not None:
            # the harness only asks whether Orthanc is up and what it holds, also when the
            # test gave it an expired certificate or one for another host: what spineplan
            # accepts is what the tests check, through spineplan
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(request, timeout=30, context=context) as answer:
            payload = answer.read()
        return json.loads(payload) if payload else None

    def instance_uids(self) -> set[str]:
        """SOP Instance UIDs of everything stored (through the REST API, not DIMSE)."""
        found = self.rest(
            "/tools/find",
            method="POST",
            body=json.dumps({"Level": "Instance", "Query": {}, "Expand": True}).encode(),
        )
        return {entry["MainDicomTags"]["SOPInstanceUID"] for entry in found}

    def clear(self) -> None:
        """Delete every patient (and so every study) stored."""
        for patient in self.rest("/patients"):
            self.rest(f"/patients/{patient}", method="DELETE")

    def kill(self) -> None:
        """Stop Orthanc at once (SIGKILL): what a crashed PACS looks like to a client."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop Orthanc. Killed, not asked to stop: its orderly shutdown takes 3 s, and the
        storage folder is thrown away with the test's temporary folder anyway."""
        if self.process is None:
            return
        self.kill()
        self.process = None


def tls_missing_reason() -> str:
    """Why Orthanc cannot serve https here ("" when it can)."""
    reason = missing_reason()
    if reason:
        return reason
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        return "no C compiler for Orthanc's TLS shim (Debian packages gcc libssl-dev)"
    if not Path("/usr/include/openssl/ssl.h").exists():
        return "no OpenSSL headers for Orthanc's TLS shim (Debian package libssl-dev)"
    return ""


def dicom_tls_missing_reason() -> str:
    """Why Orthanc cannot serve DICOM over TLS here ("" when it can: Orthanc 1.9 or later)."""
    reason = missing_reason()
    if reason:
        return reason
    version = subprocess.run([ORTHANC, "--version"], capture_output=True, text=True, check=False)
    first = (version.stdout.splitlines() or [""])[0].split()
    try:
        major, minor = (int(part) for part in first[-1].split(".")[:2])
    except (IndexError, ValueError):
        return f"cannot tell Orthanc's version from {version.stdout[:80]!r}"
    if (major, minor) < (1, 9):
        return f"Orthanc {major}.{minor} has no DICOM TLS (1.9 or later needed)"
    return ""
