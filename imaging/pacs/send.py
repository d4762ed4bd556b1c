"""Sending DICOM files to a PACS: C-STORE (DIMSE) or STOW-RS (DICOMweb), one outcome per file.

Each file is offered with its own SOP class and transfer syntax (a presentation context per SOP
class, carrying every transfer syntax the files of that class use), so nothing is transcoded on
the way. Folders are walked for DICOM files (anything pydicom reads as a dataset with a SOP
Instance UID). A file the PACS refuses is reported and the others are still sent.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from imaging.pacs.errors import PacsCredentialsRefused, PacsError, PacsUnreachable, pacs_error
from imaging.pacs.nodes import PacsNode

Progress = Callable[[int, "int | None"], None]
Cancelled = Callable[[], bool]
#: DICOM allows 128 presentation contexts in one association (PS3.8 9.3.2.2: odd IDs 1-255).
MAX_CONTEXTS = 128


@dataclass(frozen=True)
class SendOutcome:
    """What became of one file: stored (``ok``) or not, and why (the PACS's status)."""

    path: Path
    sop_instance_uid: str
    ok: bool
    message: str


@dataclass(frozen=True)
class _ToSend:
    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str

    def outcome(self, ok: bool, message: str) -> SendOutcome:
        return SendOutcome(self.path, self.sop_instance_uid, ok, message)


def _not_sent(rest: Sequence[_ToSend], why: str) -> list[SendOutcome]:
    """The outcomes of the files left when sending stops (cancelled, association lost)."""
    return [item.outcome(False, f"not sent: {why}") for item in rest]


def _header(path: Path) -> _ToSend | None:
    try:
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError):
        return None
    meta = getattr(dataset, "file_meta", None)
    sop_class = str(getattr(meta, "MediaStorageSOPClassUID", "") or dataset.get("SOPClassUID", ""))
    sop_instance = str(
        getattr(meta, "MediaStorageSOPInstanceUID", "") or dataset.get("SOPInstanceUID", "")
    )
    syntax = str(getattr(meta, "TransferSyntaxUID", "") or "")
    if not (sop_class and sop_instance and syntax):
        return None
    return _ToSend(path, sop_class, sop_instance, syntax)


def dicom_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named and the files inside the folders named (sorted), in the order given.

    Raises
    ------
    PacsError
        A path that does not exist.
    """
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise PacsError(f"{path}: no such file or folder to send")
    return list(dict.fromkeys(found))


def _readable(files: Sequence[Path], named: set[Path]) -> tuple[list[_ToSend], list[SendOutcome]]:
    """Headers of the DICOM files; files named explicitly that are not DICOM are failures,
    other files met in folders (a README, a PDF) are skipped."""
    items: list[_ToSend] = []
    failures: list[SendOutcome] = []
    for path in files:
        header = _header(path)
        if header is not None:
            items.append(header)
        elif path in named:
            failures.append(SendOutcome(path, "", False, "not a DICOM file (not sent)"))
    return items, failures


def _dimse_send(
    node: PacsNode,
    items: Sequence[_ToSend],
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> list[SendOutcome]:
    from pynetdicom import build_context

    from imaging.pacs.dimse import association

    syntaxes: dict[str, list[str]] = {}
    for item in items:
        listed = syntaxes.setdefault(item.sop_class_uid, [])
        if item.transfer_syntax_uid not in listed:
            listed.append(item.transfer_syntax_uid)
    contexts = [
        build_context(sop_class, syntax)
        for sop_class, listed in syntaxes.items()
        for syntax in listed
    ]
    if len(contexts) > MAX_CONTEXTS:
        raise pacs_error(
            node,
            f"{len(contexts)} SOP class/transfer syntax pairs to send; one association carries "
            f"at most {MAX_CONTEXTS} (send the folders one at a time)",
        )
    outcomes: list[SendOutcome] = []
    with association(node, contexts) as assoc:
        for index, item in enumerate(items):
            if cancelled is not None and cancelled():
                outcomes += _not_sent(items[index:], "cancelled")
                break
            if not assoc.is_established:
                outcomes += _not_sent(items[index:], "association lost")
                break
            status = assoc.send_c_store(item.path)
            code = getattr(status, "Status", None)
            if code is None:
                outcomes.append(item.outcome(False, "no answer (C-STORE)"))
            elif code == 0x0000:
                outcomes.append(item.outcome(True, "stored"))
            elif code in (0xB000, 0xB006, 0xB007):
                outcomes.append(item.outcome(True, f"stored with warning 0x{code:04X}"))
            else:
                comment = str(getattr(status, "ErrorComment", "") or "")
                outcomes.append(
                    item.outcome(
                        False, f"refused: status 0x{code:04X}{': ' + comment if comment else ''}"
                    )
                )
            if progress is not None:
                progress(index + 1, len(items))
    return outcomes


def _web_send(
    node: PacsNode,
    items: Sequence[_ToSend],
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> list[SendOutcome]:
    from imaging.pacs.web import web_call, web_client

    client = web_client(node)
    outcomes: list[SendOutcome] = []
    for index, item in enumerate(items):
        if cancelled is not None and cancelled():
            outcomes += _not_sent(items[index:], "cancelled")
            break
        dataset = pydicom.dcmread(item.path)
        try:
            # one STOW-RS request per file, so each file gets its own result
            web_call(node, "STOW-RS", functools.partial(client.store_instances, [dataset]))
        except (PacsUnreachable, PacsCredentialsRefused):
            raise  # no file would fare better: one line, not one failure per file
        except PacsError as error:
            outcomes.append(item.outcome(False, str(error)))
        else:
            outcomes.append(item.outcome(True, "stored"))
        if progress is not None:
            progress(index + 1, len(items))
    return outcomes


def send(
    node: PacsNode,
    paths: Iterable[str | Path],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> list[SendOutcome]:
    """Send files (and the DICOM files inside folders) to ``node``; one outcome per file.

    ``progress(done, total)`` is called after each file; ``cancelled()`` is polled before each
    file (the files not sent are reported "not sent: cancelled").

    Raises
    ------
    PacsError
        Nothing to send, a path that does not exist, the PACS cannot be reached at all, or it
        refused the credentials (`PacsCredentialsRefused`).
    """
    given = list(paths)
    files = dicom_files(given)
    named = {Path(p) for p in given if Path(p).is_file()}
    items, failures = _readable(files, named)
    if not items:
        raise PacsError(
            f"nothing to send: no DICOM file in {', '.join(str(p) for p in given) or 'no paths'}"
        )
    sender = _web_send if node.kind == "dicomweb" else _dimse_send
    return failures + sender(node, items, progress, cancelled)
