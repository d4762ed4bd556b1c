"""The PACS in the main window: Edit > PACS nodes…, File > Open from PACS… and File > Send to
PACS…, and what they need from the window.

`PacsController` adds the three actions (their shortcuts in `app.shortcuts`), keeps them
enabled only while a node is configured (disabled, their tooltip says where to add one), opens
the dialogs of `app.pacs` window-modally, and records the exports the Send dialog offers
(`ExportLog`, fed by the main window's wiring). A retrieved study is opened with the window's
``open_path``, after the same unsaved-work question as File > Open folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QMenu

from app.pacs.exports import ExportLog
from app.pacs.nodes_dialog import PacsNodesDialog
from app.pacs.open_dialog import OpenFromPacsDialog
from app.pacs.send_dialog import SendToPacsDialog
from app.pacs.workers import wait_for_workers
from imaging.pacs.errors import PacsError
from imaging.pacs.nodes import PacsNode, load_nodes

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.annotation.document import AnnotationDocument
    from app.host_window import HostWindow
    from imaging.pacs.cache import PacsCache

NO_NODE_TIP = "No PACS node yet: add one with Edit ▸ PACS nodes…"


def case_registration_file(document: AnnotationDocument) -> Path | None:
    """The DICOM Spatial Registration file the open case's planning CT refers to, or None."""
    case = document.case
    if case is None or case.planning_ct is None or not case.planning_ct.registration_path:
        return None
    return case.resolve(case.planning_ct.registration_path)


def menu_named(window: HostWindow, text: str) -> QMenu:
    """The menu bar's menu called ``text`` (with its ``&``)."""
    menu = next(m.menu() for m in window.menuBar().actions() if m.text() == text)
    assert isinstance(menu, QMenu)
    return menu


class PacsController(QObject):
    """The PACS actions and dialogs of the main window (see the module docstring).

    Parameters
    ----------
    window : the main window.
    document : the annotation document (its case's registration file is offered for sending).
    plan_stale : whether the plan has changed since it was last exported.
    """

    def __init__(
        self,
        window: HostWindow,
        document: AnnotationDocument,
        plan_stale: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.exports = ExportLog(plan_stale, lambda: case_registration_file(document), self)
        self._cache: PacsCache | None = None
        #: the dialog shown last (tests drive it)
        self.dialog: QDialog | None = None
        self._build_actions()
        self.refresh_actions()

    def _build_actions(self) -> None:
        window = self.window
        self.open_action = window.add_action("open_from_pacs", "Open from &PACS…", self.open)
        self.send_action = window.add_action("send_to_pacs", "Sen&d to PACS…", self.send)
        self.nodes_action = window.add_action("pacs_nodes", "PACS &nodes…", self.edit_nodes)
        file_menu = menu_named(window, "&File")
        file_menu.setToolTipsVisible(True)  # a disabled action says why
        # nodes added meanwhile (spineplan pacs nodes, another window) enable the actions
        file_menu.aboutToShow.connect(self.refresh_actions)
        recent = next(x for x in file_menu.actions() if x.text() == "Open &recent")
        file_menu.insertAction(recent, self.open_action)
        quit_action = next(x for x in file_menu.actions() if x.objectName() == "quit")
        file_menu.insertAction(quit_action, self.send_action)  # after the exports
        file_menu.insertSeparator(quit_action)
        edit_menu = menu_named(window, "&Edit")
        edit_menu.addSeparator()
        edit_menu.addAction(self.nodes_action)

    # -- nodes ----------------------------------------------------------------------------
    def nodes(self) -> list[PacsNode]:
        """The configured nodes; an unreadable settings file is reported and counts as none."""
        try:
            return load_nodes()
        except PacsError as error:
            self.window.add_message("error", f"PACS nodes: {error}")
            return []

    def refresh_actions(self) -> None:
        """Open and Send enabled only when a node is configured; disabled, they say why."""
        configured = bool(self.nodes())
        for action, text in (
            (self.open_action, "Open a study from the PACS: search, retrieve, open"),
            (self.send_action, "Send the exports or any DICOM files to the PACS"),
        ):
            action.setEnabled(configured)
            keys = action.shortcut().toString()
            tip = text if configured else NO_NODE_TIP
            action.setToolTip(f"{tip} ({keys})" if keys and configured else tip)
            action.setStatusTip(tip)

    def edit_nodes(self) -> None:
        """Edit > PACS nodes…"""
        try:
            nodes = load_nodes()
            problem = ""
        except PacsError as error:
            nodes, problem = [], f"{error} — saving replaces the file."
        dialog = PacsNodesDialog(nodes, self.window)
        if problem:
            dialog.save_note.setText(problem)
        dialog.saved.connect(lambda _nodes: self.refresh_actions())
        self._show(dialog)

    # -- open -----------------------------------------------------------------------------
    @property
    def cache(self) -> PacsCache:
        """The local cache of retrieved images (made on first use)."""
        if self._cache is None:
            from imaging.pacs.cache import PacsCache

            self._cache = PacsCache()
        return self._cache

    def open(self) -> None:
        """File > Open from PACS…"""
        nodes = self.nodes()
        if not nodes:
            self.edit_nodes()
            return
        window = self.window
        dialog = OpenFromPacsDialog(
            nodes,
            lambda: self.cache,
            self.open_folders,
            lambda: window.maybe_save("opening a study from the PACS"),
            window.settings,
            window,
        )
        self._show(dialog)

    def open_folders(self, folders: list[Path]) -> None:
        """Open retrieved folders in the viewer, as File > Open folder does."""
        if folders:
            self.window.open_path(folders[0] if len(folders) == 1 else folders)

    # -- send -----------------------------------------------------------------------------
    def send(self) -> None:
        """File > Send to PACS…"""
        nodes = self.nodes()
        if not nodes:
            self.edit_nodes()
            return
        dialog = SendToPacsDialog(nodes, self.exports.items(), self.window.settings, self.window)
        self._show(dialog)

    def shutdown(self) -> None:
        """The window closes: close the dialog (stopping its work) and wait for the threads."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.reject()
        wait_for_workers(15_000)

    def _show(self, dialog: QDialog) -> None:
        if self.dialog is not None and not self.dialog.isVisible():
            self.dialog.deleteLater()  # closed (its work stopped by its done()): replaced
        self.dialog = dialog
        dialog.open()
