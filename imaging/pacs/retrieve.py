"""Bringing a study (or one series) home from a PACS: C-GET, C-MOVE or WADO-RS.

Every image lands as ``<SOP Instance UID>.dcm`` in a staged folder beside ``out_dir``, exactly
as the PACS sent it (the encoded dataset is written without decoding it); the folder becomes
``out_dir`` only when every image has arrived. A cancel, a lost association, a PACS that
reports failed sub-operations or sends fewer images than it announced: a `PacsError` naming
the node and what failed, and nothing in ``out_dir``.

- C-GET (the default for a DIMSE node): the images come back on the same association; spineplan
  proposes the storage SOP classes with the SCP role.
- C-MOVE (``node.move_only``): spineplan listens as ``node.calling_aet`` on ``node.move_port``
  and asks the PACS to move the images there (the PACS must know that AE title, this machine's
  address and that port).
- WADO-RS (a DICOMweb node): the instances are listed with QIDO-RS, then streamed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.atomic_write import staged_folder
from imaging.pacs.errors import (
    PacsCancelled,
    PacsCertificateError,
    PacsError,
    PacsUnreachable,
    pacs_error,
)
from imaging.pacs.nodes import PacsNode, validate_node
from imaging.pacs.query import list_instances

Progress = Callable[[int, "int | None"], None]
Cancelled = Callable[[], bool]

_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
#: C-GET/C-MOVE statuses (PS3.4 C.4.2.1.5, C.4.3.1.4).
_PENDING = (0xFF00, 0xFF01)
_SUCCESS = 0x0000
_CANCELLED = 0xFE00


@dataclass(frozen=True)
class RetrieveResult:
    """Where the images are and how many arrived."""

    folder: Path
    images: int


def check_uid(value: str, what: str) -> str:
    """A DICOM UID (digits and dots, at most 64 characters), else a `PacsError`."""
    text = value.strip()
    if not _UID.match(text) or len(text) > 64:
        raise PacsError(f"{what} {value!r} is not a DICOM UID (digits and dots, at most 64)")
    return text


class _Receiver:
    """Writes each image the PACS sends into ``folder`` (runs on pynetdicom's threads)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.received = 0
        self.failure = ""
        self._lock = threading.Lock()

    def handle_store(self, event: Any) -> int:
        uid = str(event.request.AffectedSOPInstanceUID or "")
        with self._lock:
            self.received += 1
            number = self.received
        # the UID names the file (one file per instance); a malformed one gets a plain number
        name = f"{uid}.dcm" if _UID.match(uid) else f"image{number:06d}.dcm"
        try:
            (self.folder / name).write_bytes(event.encoded_dataset(include_meta=True))
        except OSError as error:
            self.failure = f"cannot write {self.folder / name}: {error.strerror}"
            return 0xA700  # out of resources: the PACS reports the sub-operation failed
        return 0x0000


def _storage_contexts(sop_classes: Sequence[str] = ()) -> list[Any]:
    """Storage contexts to receive ``sop_classes`` (default: pynetdicom's list of 120 storage
    SOP classes), each with the uncompressed and the usual compressed transfer syntaxes, so
    the PACS need not transcode."""
    from pydicom import uid as uids
    from pynetdicom import StoragePresentationContexts, build_context

    syntaxes: list[str | uids.UID] = [
        uids.ExplicitVRLittleEndian,
        uids.ImplicitVRLittleEndian,
        uids.DeflatedExplicitVRLittleEndian,
        uids.JPEGBaseline8Bit,
        uids.JPEGExtended12Bit,
        uids.JPEGLossless,
        uids.JPEGLosslessSV1,
        uids.JPEGLSLossless,
        uids.JPEGLSNearLossless,
        uids.JPEG2000Lossless,
        uids.JPEG2000,
        uids.RLELossless,
    ]
    classes = list(sop_classes) or [str(cx.abstract_syntax) for cx in StoragePresentationContexts]
    return [build_context(sop_class, syntaxes) for sop_class in classes]


def _sop_classes_in_study(node: PacsNode, study_uid: str) -> list[str]:
    """The SOP classes of the study as the PACS reports them (C-FIND, SOP Classes in Study),
    or [] when it does not say. Proposing only those makes the C-GET association small: each
    of the 120 storage contexts otherwise costs time on both sides."""
    from pydicom.dataset import Dataset
    from pynetdicom import build_context
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelFind as StudyRootFind,
    )

    from imaging.pacs.dimse import association

    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    query.SOPClassesInStudy = ""
    classes: list[str] = []
    try:
        with association(node, [build_context(StudyRootFind)]) as assoc:
            for status, identifier in assoc.send_c_find(query, StudyRootFind):
                if identifier is not None and getattr(status, "Status", None) in _PENDING:
                    value = identifier.get("SOPClassesInStudy", [])
                    values = value if isinstance(value, list | tuple) else [value]
                    classes.extend(str(v) for v in values if v and _UID.match(str(v)))
    except PacsUnreachable:
        raise
    except PacsError:  # the PACS may not allow C-FIND to us: then propose every class
        return []
    return list(dict.fromkeys(classes))[:127]


def _identifier(study_uid: str, series_uid: str) -> Any:
    from pydicom.dataset import Dataset

    query = Dataset()
    query.QueryRetrieveLevel = "SERIES" if series_uid else "STUDY"
    query.StudyInstanceUID = study_uid
    if series_uid:
        query.SeriesInstanceUID = series_uid
    return query


def _what(study_uid: str, series_uid: str) -> str:
    return f"series {series_uid}" if series_uid else f"study {study_uid}"


#: What the failure statuses of C-GET and C-MOVE mean (PS3.4 C.4.2.1.5, C.4.3.1.4).
_FAILURES = {
    0xA701: "out of resources: unable to calculate the number of matches",
    0xA702: "out of resources: unable to perform the sub-operations",
    0xA801: "move destination unknown: the PACS does not know spineplan's AE title",
    0xA900: "identifier does not match the SOP class",
    0xAA00: "none of the frames requested were found",
    0xB000: "some images could not be sent",
}


def _failure(code: int, counts: dict[str, int], status: Any, move_to: str = "") -> str:
    meaning = _FAILURES.get(code, "unable to process" if 0xC000 <= code <= 0xCFFF else "")
    text = f"status 0x{code:04X}" + (f" ({meaning})" if meaning else "")
    comment = str(getattr(status, "ErrorComment", "") or "").strip()
    if comment:
        text += f": {comment}"
    if counts["Failed"]:
        text += f"; {counts['Failed']} image(s) not sent"
    elif not counts["Completed"] and code >= 0xC000:
        text += "; no image sent (does the PACS hold this study or series"
        text += f", and know {move_to} as a move destination?)" if move_to else "?)"
    return text


def _follow(
    node: PacsNode,
    assoc: Any,
    responses: Any,
    receiver: _Receiver,
    operation: str,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> int:
    """Read the C-GET/C-MOVE responses; the number of images the PACS says it sent."""
    from imaging.pacs.dimse import check_alive, no_response

    completed = 0
    last = time.monotonic()
    for status, _ in responses:
        if cancelled is not None and cancelled():
            assoc.abort()
            raise pacs_error(node, f"{operation} cancelled", PacsCancelled)
        code = getattr(status, "Status", None)
        if code is None:
            raise no_response(node, assoc, operation, time.monotonic() - last)
        last = time.monotonic()
        counts = {
            key: int(getattr(status, f"NumberOf{key}Suboperations", 0) or 0)
            for key in ("Remaining", "Completed", "Failed", "Warning")
        }
        completed = counts["Completed"] + counts["Warning"]
        if code in _PENDING:
            if progress is not None:
                progress(receiver.received, sum(counts.values()))
            continue
        if receiver.failure:
            raise pacs_error(node, f"{operation} failed: {receiver.failure}")
        if code == _CANCELLED:
            raise pacs_error(node, f"{operation} was cancelled by the PACS", PacsCancelled)
        if code != _SUCCESS or counts["Failed"]:
            move_to = node.calling_aet if operation == "C-MOVE" else ""
            failure = _failure(code, counts, status, move_to)
            raise pacs_error(node, f"{operation} failed: {failure}")
    if cancelled is not None and cancelled():
        raise pacs_error(node, f"{operation} cancelled", PacsCancelled)
    check_alive(node, assoc, operation)
    return completed


def _dimse_get(
    node: PacsNode,
    study_uid: str,
    series_uid: str,
    folder: Path,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> int:
    from pynetdicom import build_context, build_role, evt
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelGet as StudyRootGet,
    )

    from imaging.pacs.dimse import association

    receiver = _Receiver(folder)
    # one association carries 128 contexts; one is C-GET
    storage = _storage_contexts(_sop_classes_in_study(node, study_uid))[:127]
    roles = [build_role(cx.abstract_syntax, scp_role=True) for cx in storage]
    with association(
        node,
        [build_context(StudyRootGet), *storage],
        ext_neg=roles,
        evt_handlers=[(evt.EVT_C_STORE, receiver.handle_store)],
    ) as assoc:
        responses = assoc.send_c_get(_identifier(study_uid, series_uid), StudyRootGet)
        announced = _follow(node, assoc, responses, receiver, "C-GET", progress, cancelled)
    return _checked(node, "C-GET", receiver, announced, study_uid, series_uid, progress)


def _dimse_move(
    node: PacsNode,
    study_uid: str,
    series_uid: str,
    folder: Path,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> int:
    from pynetdicom import build_context, evt
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelMove as StudyRootMove,
    )

    from imaging.pacs.dimse import association, new_ae, quicker
    from imaging.pacs.tls import storage_scp_context

    if not node.move_port:
        raise pacs_error(node, "C-MOVE needs a local port for the storage SCP (move_port)")
    receiver = _Receiver(folder)
    scp = new_ae(node)
    scp.supported_contexts = _storage_contexts()
    scp_tls = storage_scp_context(node) if node.move_tls else None
    try:
        server = scp.start_server(
            ("", node.move_port),
            block=False,
            evt_handlers=[(evt.EVT_C_STORE, receiver.handle_store), (evt.EVT_CONN_OPEN, quicker)],
            ae_title=node.calling_aet,
            ssl_context=scp_tls,
        )
    except OSError as error:
        raise pacs_error(
            node,
            f"cannot listen on port {node.move_port} for C-MOVE ({error.strerror}); is another "
            "program using it?",
        ) from error
    try:
        with association(node, [build_context(StudyRootMove)]) as assoc:
            responses = assoc.send_c_move(
                _identifier(study_uid, series_uid), node.calling_aet, StudyRootMove
            )
            announced = _follow(node, assoc, responses, receiver, "C-MOVE", progress, cancelled)
    except PacsError as error:
        if scp_tls is None or not scp_tls.failures or receiver.received:
            raise
        trusted = f"CA file {node.ca_file!r}" if node.ca_file else "the system's authorities"
        raise pacs_error(
            node,
            "C-MOVE failed: the PACS could not connect back to spineplan's storage SCP over TLS "
            f"({scp_tls.failures[0]}; the PACS must call AE {node.calling_aet} over TLS with a "
            f"certificate from {trusted})",
            PacsCertificateError,
        ) from error
    finally:
        if server is not None:
            server.shutdown()
    return _checked(node, "C-MOVE", receiver, announced, study_uid, series_uid, progress)


def _checked(
    node: PacsNode,
    operation: str,
    receiver: _Receiver,
    announced: int,
    study_uid: str,
    series_uid: str,
    progress: Progress | None,
) -> int:
    if receiver.failure:
        raise pacs_error(node, f"{operation} failed: {receiver.failure}")
    if receiver.received == 0:
        raise pacs_error(node, f"{operation}: no images of {_what(study_uid, series_uid)}")
    if receiver.received < announced:
        raise pacs_error(
            node,
            f"{operation}: {receiver.received} of {announced} images arrived",
        )
    if progress is not None:
        progress(receiver.received, receiver.received)
    return receiver.received


def _web_retrieve(
    node: PacsNode,
    study_uid: str,
    series_uid: str,
    folder: Path,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> int:
    from pydicom import dcmwrite

    from imaging.pacs.web import web_call, web_client

    client = web_client(node)
    expected = set(list_instances(node, study_uid, series_uid, cancelled=cancelled))
    if not expected:
        raise pacs_error(node, f"WADO-RS: no images of {_what(study_uid, series_uid)}")
    total = len(expected)
    if series_uid:
        stream = web_call(node, "WADO-RS", lambda: client.iter_series(study_uid, series_uid))
    else:
        stream = web_call(node, "WADO-RS", lambda: client.iter_study(study_uid))
    received: set[str] = set()

    def next_dataset(iterator: Any) -> Any:
        return next(iterator, None)

    iterator = iter(stream)
    while True:
        if cancelled is not None and cancelled():
            raise pacs_error(node, "WADO-RS cancelled", PacsCancelled)
        dataset = web_call(node, "WADO-RS", lambda: next_dataset(iterator))
        if dataset is None:
            break
        uid = str(dataset.get("SOPInstanceUID", ""))
        name = f"{uid}.dcm" if _UID.match(uid) else f"image{len(received) + 1:06d}.dcm"
        dcmwrite(folder / name, dataset, enforce_file_format=True)
        received.add(uid)
        if progress is not None:
            progress(len(received), total)
    missing = expected - received
    if missing:
        raise pacs_error(node, f"WADO-RS: {len(received)} of {total} images arrived")
    return len(received)


def retrieve(
    node: PacsNode,
    study_uid: str,
    out_dir: str | Path,
    *,
    series_uid: str = "",
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> RetrieveResult:
    """Every image of a study (or of one series) from ``node`` into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        A folder that does not exist yet or is empty; it holds ``<SOP Instance UID>.dcm``
        files afterwards (``spineplan info`` and ``spineplan plan`` read it like any folder).
    progress : callable, optional
        ``progress(done, total)``: images received, and the total when the PACS says it
        (None before). Called on the calling thread.
    cancelled : callable, optional
        Polled as images arrive; when it returns True, the association is aborted and
        `PacsCancelled` is raised.

    Raises
    ------
    PacsError
        Naming the node and what failed; ``out_dir`` is then left as it was.
    """
    validate_node(node)
    study_uid = check_uid(study_uid, "study UID")
    series_uid = check_uid(series_uid, "series UID") if series_uid.strip() else ""
    target = Path(out_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise PacsError(f"{target}: exists and is not an empty folder (retrieve into a new one)")
    if node.kind == "dicomweb":
        method = _web_retrieve
    else:
        method = _dimse_move if node.move_only else _dimse_get
    if progress is not None:
        progress(0, None)
    with staged_folder(target) as staging:
        images = method(node, study_uid, series_uid, staging, progress, cancelled)
    return RetrieveResult(folder=target, images=images)
