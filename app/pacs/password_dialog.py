"""The password (or bearer token) of a DICOMweb node, asked for when the node is used.

`node_with_secret` gives a node its secret before a search, retrieve, send or echo: the one
typed earlier in this session, else the one in the system keyring, else the `PasswordDialog`'s.
What is typed is remembered until spineplan closes, and kept in the system keyring too when the
user ticks "Keep it in the system keyring" (offered only when there is one: `imaging.pacs.
credentials`). A secret the PACS refused (`forget_refused`, called by the workers) is dropped
and asked for again, saying so, without reading the keyring's copy first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.pacs.status_style import ERROR_STYLE
from imaging.pacs.credentials import (
    keyring_account,
    keyring_usable,
    store_secret,
    stored_secret,
    with_secret,
)
from imaging.pacs.errors import PacsError, node_label
from imaging.pacs.nodes import PacsNode

#: secrets typed in this session, by keyring account (user@URL); never written anywhere
_SESSION: dict[str, str] = {}
#: accounts whose last secret the PACS refused: asked for again, the keyring not read first
_REFUSED: set[str] = set()
_LOCK = threading.Lock()  # the workers report refusals from their threads


class PasswordDialog(QDialog):
    """Asks for a node's password or token (see the module docstring).

    ``refused``: the last one was refused, and the dialog says so.
    """

    def __init__(
        self,
        node: PacsNode,
        *,
        refused: bool = False,
        keyring_available: bool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("PacsPasswordDialog")
        kind = node.secret_kind
        self.setWindowTitle(f"PACS {kind}")
        whose = f"the password of {node.user}" if node.user else "a bearer token"
        self.question = QLabel(f"{node_label(node)} asks for {whose}.", self)
        self.question.setObjectName("PacsPasswordQuestion")
        self.question.setWordWrap(True)
        self.refused_label = QLabel(f"The last {kind} was refused: type it again.", self)
        self.refused_label.setObjectName("PacsPasswordRefused")
        self.refused_label.setStyleSheet(ERROR_STYLE)
        self.refused_label.setVisible(refused)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("PacsPassword")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(kind)
        available = keyring_usable() if keyring_available is None else keyring_available
        self.keep_check = QCheckBox("Keep it in the system keyring", self)
        self.keep_check.setObjectName("PacsKeepInKeyring")
        self.keep_check.setEnabled(available)
        self.keep_note = QLabel(
            f"Kept until spineplan closes{'' if available else ' (no system keyring here)'}; "
            "never written to the PACS settings.",
            self,
        )
        self.keep_note.setObjectName("PacsPasswordKeepNote")
        self.keep_note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.edit.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text)))
        layout = QVBoxLayout(self)
        for widget in (self.question, self.refused_label, self.edit, self.keep_check):
            layout.addWidget(widget)
        layout.addWidget(self.keep_note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.edit.setFocus()

    def secret(self) -> str:
        return self.edit.text()

    def keep(self) -> bool:
        return self.keep_check.isEnabled() and self.keep_check.isChecked()


def _ask(node: PacsNode, refused: bool, parent: QWidget | None) -> tuple[str, bool] | None:
    dialog = PasswordDialog(node, refused=refused, parent=parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.secret():
            return None
        return dialog.secret(), dialog.keep()
    finally:
        dialog.deleteLater()


Ask = Callable[[PacsNode, bool, "QWidget | None"], "tuple[str, bool] | None"]


def node_with_secret(
    node: PacsNode, parent: QWidget | None = None, *, ask: Ask = _ask
) -> PacsNode | None:
    """``node`` with its secret; None when the user cancelled the dialog. A node without
    authentication is returned as it is. A keyring that refuses to keep a secret is said in a
    message box; the secret is used all the same."""
    if not node.secret_kind or node.secret:
        return node
    account = keyring_account(node)
    with _LOCK:
        secret = _SESSION.get(account, "")
        refused = account in _REFUSED
    if not secret and not refused:
        secret = stored_secret(node)
    if not secret:
        answer = ask(node, refused, parent)
        if answer is None:
            return None
        secret, keep = answer
        if keep:
            try:
                store_secret(node, secret)
            except PacsError as error:
                QMessageBox.warning(
                    parent, "PACS keyring", f"{error}. It is kept until spineplan closes."
                )
    with _LOCK:
        _SESSION[account] = secret
        _REFUSED.discard(account)
    return with_secret(node, secret)


def forget_refused(node: PacsNode) -> None:
    """The PACS refused ``node``'s secret: forget it for the session and ask next time."""
    if not node.secret_kind:
        return
    account = keyring_account(node)
    with _LOCK:
        _SESSION.pop(account, None)
        _REFUSED.add(account)


def forget_session() -> None:
    """Forget every secret typed in this session (the tests start each from nothing)."""
    with _LOCK:
        _SESSION.clear()
        _REFUSED.clear()
