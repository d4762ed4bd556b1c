"""`register_rigid` off the GUI thread: one `RegistrationWorker` (a `QThread`) per run.

The engine polls ``should_cancel`` at every optimiser iteration, so Cancel stops a run within
a fraction of a second; the worker then reports ``cancelled`` and nothing else.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Sequence

from PySide6.QtCore import QObject, QThread, Signal

from imaging.errors import RegistrationCancelled, SpineplanError
from imaging.registration import (
    PointPair,
    RegionBox,
    RegistrationSettings,
    register_rigid,
)
from imaging.volume import Volume


class RegistrationWorker(QThread):
    """Registers ``moving`` (MR) onto ``fixed`` (CT) in its own thread.

    Signals
    -------
    progressed(done, total) : the engine's progress.
    succeeded(RegistrationResult) : the registration finished.
    failed(str) : a one-line reason (bad input, images that do not overlap ...).
    cancelled() : `cancel` was called and the engine stopped.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(
        self,
        moving: Volume,
        fixed: Volume,
        *,
        region: RegionBox | None,
        point_pairs: Sequence[PointPair],
        settings: RegistrationSettings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.moving, self.fixed, self.region = moving, fixed, region
        self.point_pairs = tuple(point_pairs)
        self.settings = settings
        self._stop = threading.Event()

    def cancel(self) -> None:
        """Ask the engine to stop at its next iteration."""
        self._stop.set()

    def run(self) -> None:
        try:
            result = register_rigid(
                self.moving,
                self.fixed,
                region=self.region,
                point_pairs=self.point_pairs,
                settings=self.settings,
                progress=lambda done, total: self.progressed.emit(int(done), int(total)),
                should_cancel=self._stop.is_set,
            )
        except RegistrationCancelled:
            self.cancelled.emit()
        except SpineplanError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a crash must reach the user, not end the thread silently
            traceback.print_exc()
            self.failed.emit(f"the registration failed unexpectedly: {error}")
        else:
            if self._stop.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)
