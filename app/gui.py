"""Start the workstation: `run_gui(path, screenshot=None)`, called by ``spineplan [PATH]``.

With a ``screenshot`` file name the study is loaded synchronously (the same worker, waited
for), the whole main window is rendered offscreen into that PNG and the function returns 0; a
path that cannot be opened raises a `SpineplanError` (one line, exit status 2 from the CLI).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import app
from imaging.errors import NoDicomError, SpineplanError

#: Sample case opened when no path is given.
SAMPLE_CASE = "case1"


def sample_case_path(case: str = SAMPLE_CASE) -> Path:
    """Where the bundled sample case lies (``<repo>/sample_dicom/<case>``)."""
    return Path(app.__file__).resolve().parent.parent / "sample_dicom" / case


def run_gui(path: str | None, screenshot: str | None = None) -> int:
    """Open the main window on ``path`` (default: sample case 1); see the module docstring."""
    target: Path | None
    if path is None:
        target = sample_case_path()
        if not target.exists():
            message = (
                f"the bundled sample case was not found at {target}; "
                "pass a DICOM folder: spineplan PATH"
            )
            if screenshot:
                raise NoDicomError(message)
            print(f"spineplan: {message}", file=sys.stderr)
            target = None
    else:
        target = Path(path)
        if not target.exists():
            raise NoDicomError(f"{path}: no such file or folder")

    if screenshot:
        _check_screenshot_path(Path(screenshot))
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from app.theme import apply_dark_theme

    _quiet_platform_noise()
    existing = QApplication.instance()
    qt_app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    qt_app.setApplicationName("spineplan")
    qt_app.setOrganizationName("spineplan")
    apply_dark_theme(qt_app)
    settings = None if screenshot else QSettings("spineplan", "spineplan")
    window = MainWindow(settings=settings)
    window.show()
    if target is not None:
        window.open_path(target)
    if not screenshot:
        return int(qt_app.exec())
    return _screenshot(qt_app, window, Path(screenshot))


def _check_screenshot_path(out: Path) -> None:
    """Refuse an unusable ``--screenshot`` target before the (slow) load, not after it."""
    if out.is_dir():
        raise SpineplanError(f"--screenshot: {out} is a folder; give a file name such as out.png")
    if out.suffix.lower() != ".png":
        raise SpineplanError(f"--screenshot: {out}: the screenshot is a PNG, name it *.png")
    parent = out.parent if str(out.parent) else Path(".")
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise SpineplanError(f"--screenshot: {existing} is a file, not a folder")
    if existing is not None and not os.access(existing, os.W_OK):
        raise SpineplanError(f"--screenshot: cannot write in {existing}")


def _quiet_platform_noise() -> None:
    """Keep Qt's platform chatter (e.g. the offscreen plugin's size hints) off the terminal."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, _context, message: str) -> None:
        if kind in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg):
            return
        if "propagateSizeHints" in message:
            return
        print(f"qt: {message}", file=sys.stderr)

    qInstallMessageHandler(handler)


def _screenshot(qt_app, window, out: Path) -> int:
    window.wait_for_load(timeout_ms=300_000)
    qt_app.processEvents()
    # A case file plans in the background: picture the plan, not the moment before it.
    window.plan_panel.wait_until_idle(timeout_ms=300_000)
    qt_app.processEvents()
    if not window.viewer.has_images:
        window.close()
        raise SpineplanError(_load_failure(window))
    window.export_window_png(out)
    # The picture shows what went wrong; a script must learn of it too (e.g. a case file whose
    # frame of reference is not the images').
    errors = window.message_texts("error")
    window.close()
    for error in errors:
        print(f"spineplan: error: {error}", file=sys.stderr)
    return 1 if errors else 0


def _load_failure(window) -> str:
    """Why nothing could be shown, with the first series' own reason (there is no Messages
    pane to point at in a screenshot run)."""
    message = window.load_error or "no image could be shown"
    reasons = [info.error for info in window.infos.values() if info.error]
    if reasons and reasons[0] not in message:
        message = message.replace(" (see Messages)", "") + f"; {reasons[0]}"
        if len(reasons) > 1:
            message += f" (and {len(reasons) - 1} more series)"
    return message
