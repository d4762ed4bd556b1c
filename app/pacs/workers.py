"""`imaging.pacs` off the GUI thread: one `QThread` per echo, find, retrieve or send.

Each worker runs one call of the Qt-free layer and reports through signals: ``progressed(done,
total)`` (total -1 when the PACS does not say how many), then exactly one of ``succeeded(result)``,
``failed(message)`` (the `PacsError` line, which names the node) or ``cancelled()`` (the layer
raised `PacsCancelled`). Cancel sets a flag the layer polls through its ``cancelled`` callback;
the layer guarantees that a cancelled retrieve leaves nothing in the cache, and a cancelled send
returns the files it did not send as such (so it succeeds, with those outcomes).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from imaging.errors import SpineplanError
from imaging.pacs.errors import PacsCancelled, PacsCredentialsRefused

if TYPE_CHECKING:
    from imaging.pacs.cache import PacsCache
    from imaging.pacs.nodes import PacsNode

# The networking modules (pynetdicom, dicomweb-client) are imported by the factories below, when
# a PACS is first used, not when the window starts.


class PacsWorker(QThread):
    """Runs ``call(progress, cancelled)`` in its own thread (see the module docstring).

    Signals
    -------
    progressed(done, total) : items done so far; total -1 when unknown.
    succeeded(object) : the call's result.
    failed(str) : one line saying what failed (the node is named in it).
    cancelled() : `cancel` was called and the call stopped.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    # emitted in the worker thread; relayed on the GUI thread (where this QThread object lives)
    # unless the worker was abandoned meanwhile, so no late answer reaches a closed dialog
    _ran_progressed = Signal(int, int)
    _ran_succeeded = Signal(object)
    _ran_failed = Signal(str)
    _ran_cancelled = Signal()

    def __init__(
        self,
        call: Callable[[Callable[[int, int | None], None], Callable[[], bool]], Any],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._call = call
        self._stop = threading.Event()
        self._abandoned = False
        self._ran_progressed.connect(self._relay_progressed)
        self._ran_succeeded.connect(self._relay_succeeded)
        self._ran_failed.connect(self._relay_failed)
        self._ran_cancelled.connect(self._relay_cancelled)

    def cancel(self) -> None:
        """Ask the call to stop at its next check (between images or files)."""
        self._stop.set()

    def abandon(self) -> None:
        """Cancel, and report nothing any more: whoever listened is gone."""
        self._abandoned = True
        self.cancel()

    @Slot(int, int)
    def _relay_progressed(self, done: int, total: int) -> None:
        if not self._abandoned:
            self.progressed.emit(done, total)

    @Slot(object)
    def _relay_succeeded(self, result: object) -> None:
        if not self._abandoned:
            self.succeeded.emit(result)

    @Slot(str)
    def _relay_failed(self, message: str) -> None:
        if not self._abandoned:
            self.failed.emit(message)

    @Slot()
    def _relay_cancelled(self) -> None:
        if not self._abandoned:
            self.cancelled.emit()

    def _progress(self, done: int, total: int | None) -> None:
        self._ran_progressed.emit(int(done), -1 if total is None else int(total))

    def run(self) -> None:
        try:
            result = self._call(self._progress, self._stop.is_set)
        except PacsCancelled:
            self._ran_cancelled.emit()
        except PacsCredentialsRefused as error:
            if error.node is not None:  # the next use asks again, saying it was refused
                from app.pacs.password_dialog import forget_refused

                forget_refused(error.node)
            self._ran_failed.emit(str(error))
        except (SpineplanError, OSError) as error:  # PacsError is a SpineplanError
            # a transfer cut short by Cancel may end in another error: the user asked for it
            if self._stop.is_set():
                self._ran_cancelled.emit()
            else:
                self._ran_failed.emit(str(error))
        except Exception as error:  # a crash must reach the user, not end the thread silently
            traceback.print_exc()
            self._ran_failed.emit(f"unexpected error: {type(error).__name__}: {error}")
        else:
            # a call that returns has done what it says, even when Cancel came late (a send
            # reports the files it did not send as such)
            self._ran_succeeded.emit(result)


#: workers let go by a closed dialog, kept alive until their thread ends
_LEFT_RUNNING: set[PacsWorker] = set()


def let_finish(worker: PacsWorker) -> None:
    """Cancel ``worker`` and let it end on its own, unseen: its owner (a dialog) is closing.

    The thread cannot be stopped mid-call (a network wait ends within the layer's timeout), and a
    QThread destroyed while it runs takes the program with it; so it is kept here until it ends.
    """
    worker.abandon()
    if not worker.isRunning():
        return
    worker.setParent(None)
    _LEFT_RUNNING.add(worker)
    worker.finished.connect(lambda: _LEFT_RUNNING.discard(worker))


def wait_for_workers(timeout_ms: int) -> bool:
    """Wait for the workers let go to end (the program is closing); True when all did."""
    return all(worker.wait(timeout_ms) for worker in list(_LEFT_RUNNING))


def echo_worker(node: PacsNode, parent: QObject | None = None) -> PacsWorker:
    """C-ECHO (or a DICOMweb request) to ``node``; succeeds with the round trip in seconds."""
    from imaging.pacs.echo import echo

    return PacsWorker(lambda _progress, _cancelled: echo(node), parent)


def find_worker(
    node: PacsNode,
    *,
    patient_id: str = "",
    patient_name: str = "",
    modality: str = "",
    date_from: str = "",
    date_to: str = "",
    parent: QObject | None = None,
) -> PacsWorker:
    """The studies matching the search, each with its series (a `StudySearch`: at most
    `MAX_STUDIES`, and whether the PACS had more)."""
    from imaging.pacs.query import search_studies

    return PacsWorker(
        lambda _progress, cancelled: search_studies(
            node,
            patient_id=patient_id,
            patient_name=patient_name,
            modality=modality,
            date_from=date_from,
            date_to=date_to,
            cancelled=cancelled,
        ),
        parent,
    )


def retrieve_worker(
    cache: PacsCache,
    node: PacsNode,
    study_uid: str,
    series_uids: Sequence[str] = (),
    parent: QObject | None = None,
) -> PacsWorker:
    """The study, or the series ``series_uids`` of it one after the other, into ``cache``;
    succeeds with the list of folders to open (one for the study, one per series)."""
    chosen = list(series_uids) or [""]

    def call(
        progress: Callable[[int, int | None], None], cancelled: Callable[[], bool]
    ) -> list[Path]:
        folders: list[Path] = []
        for series_uid in chosen:
            if cancelled():  # between two series: the first ones are whole in the cache
                raise PacsCancelled("retrieve cancelled")
            folders.append(
                cache.retrieve_into_cache(
                    node, study_uid, series_uid=series_uid, progress=progress, cancelled=cancelled
                )
            )
        return folders

    return PacsWorker(call, parent)


def send_worker(node: PacsNode, paths: Sequence[Path], parent: QObject | None = None) -> PacsWorker:
    """C-STORE (or STOW-RS) of ``paths``; succeeds with a list of `SendOutcome`, one per file."""
    from imaging.pacs.send import send

    chosen = list(paths)
    return PacsWorker(
        lambda progress, cancelled: send(node, chosen, progress=progress, cancelled=cancelled),
        parent,
    )
