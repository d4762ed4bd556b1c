"""Test-only driver: open a study in the real main window, make one edit, then wait forever.

Run by tests/app/test_annotation_recovery.py as
``python tests/app/annotation_driver.py STUDY`` with ``SPINEPLAN_DATA_DIR`` set; it labels
three vertebral bodies with the Levels tool (real mouse events on the sagittal view), waits
until the recovery file is written, prints ``EDITED <recovery file>`` and then keeps the event
loop running until the test kills it with SIGKILL, as a crash would.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from tests.app.annotation_helpers import click, go_to, view_of


def main(study: str) -> int:
    app = QApplication([])
    window = MainWindow(settings=None)
    window.resize(1400, 900)
    window.show()
    window.open_path(study)
    window.wait_for_load()
    for _ in range(20):
        app.processEvents()
    volume = window.viewer.panels[0].volume
    slices, rows, cols = volume.shape
    centre = volume.index_to_patient(np.array([[cols / 2, rows / 2, slices // 2]], float))[0]
    go_to(window, centre)
    app.processEvents()
    window.annotation.activate_tool("tool_levels")
    for dz in (20.0, 0.0, -20.0):
        click(view_of(window), (centre[0], centre[1], centre[2] + dz))
    recovery = window.annotation.store.path_for(study)
    deadline = time.monotonic() + 30
    while not recovery.is_file() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    print(f"EDITED {recovery}", flush=True)
    while True:  # the "middle of an edit": the window stays open until killed
        app.processEvents()
        time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
