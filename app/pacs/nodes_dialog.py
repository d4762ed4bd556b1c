"""Edit > PACS nodes: the department's PACS nodes, added, edited, removed, echoed and saved.

The list shows every node; the form beside it edits the chosen one (a DICOM node: host, port,
called and calling AE titles, and over TLS the CA file its certificate is checked against and,
for a PACS that requires mutual TLS, this computer's client certificate and key, of which only
the paths are kept; a DICOMweb node: its URL, the CA file its https certificate is
checked against, and how it authenticates: none, HTTP Basic with a user, or a bearer token, whose
password or token is asked for when the node is used, never kept in the settings), with what is
wrong with each field in red beside it (`app.pacs.node_form`, which asks
`imaging.pacs.nodes.validate_node`). Echo tests the node as typed, off the GUI thread (asking
for its password first when it needs one: `app.pacs.password_dialog`), and shows the round trip
or the one-line error.
Save writes every node with `save_nodes`; it is enabled only when every node is valid.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.pacs.node_form import DICOMWEB, DIMSE, FIELDS, FILE_FIELDS, NodeDraft
from app.pacs.password_dialog import node_with_secret
from app.pacs.status_style import ERROR_STYLE, OK_STYLE
from app.pacs.workers import PacsWorker, echo_worker, let_finish
from imaging.pacs.credentials import keyring_usable
from imaging.pacs.errors import PacsError
from imaging.pacs.nodes import AUTH_BASIC, AUTH_BEARER, AUTH_NONE, PacsNode, save_nodes

LABELS = {
    "name": "Name",
    "host": "Host",
    "port": "Port",
    "called_aet": "Called AE title",
    "calling_aet": "Calling AE title",
    "move_port": "Local port for C-MOVE",
    "url": "DICOMweb URL",
    "ca_file": "CA file",
    "client_cert_file": "Client certificate",
    "client_key_file": "Client key",
    "user": "User",
}
#: the authentication choices: what the combo box shows, and the node's ``auth``
AUTH_CHOICES = (
    ("None", AUTH_NONE),
    ("HTTP Basic: user and password", AUTH_BASIC),
    ("Bearer token", AUTH_BEARER),
)
PLACEHOLDERS = {
    "name": "e.g. department PACS",
    "host": "e.g. pacs.hospital.local or 10.0.0.12",
    "port": "e.g. 104 or 4242",
    "called_aet": "the PACS's AE title, e.g. ORTHANC",
    "calling_aet": "spineplan's AE title, as the PACS knows it",
    "move_port": "where spineplan receives moved images, e.g. 11112",
    "url": "e.g. https://pacs.hospital.local/dicom-web",
    "ca_file": "empty: the system's certificate authorities",
    "client_cert_file": "mutual TLS: this computer's certificate",
    "client_key_file": "PEM, no passphrase; only its path is kept",
    "user": "the user name the PACS knows",
}
#: what each file field's Browse… button asks for: dialog title, tooltip, file filter
BROWSE = {
    "ca_file": (
        "The PACS's certificate authority",
        "Choose the PEM file of the PACS's CA",
        "PEM certificates (*.pem *.crt);;All files (*)",
    ),
    "client_cert_file": (
        "This computer's client certificate",
        "Choose the PEM file of the client certificate the PACS trusts",
        "PEM certificates (*.pem *.crt *.cer);;All files (*)",
    ),
    "client_key_file": (
        "The client certificate's private key",
        "Choose the PEM file of the client certificate's private key (it stays where it is)",
        "PEM keys (*.pem *.key);;All files (*)",
    ),
}
#: said under the TLS box when the node retrieves by C-MOVE into a plain storage SCP
MOVE_IN_CLEAR = (
    "C-MOVE: the PACS sends the images back to spineplan's storage SCP over plain DICOM, not "
    "TLS (the query and the request go over TLS). Prefer C-GET where the PACS offers it, or "
    "receive over TLS if the PACS can call back with TLS."
)


def echo_result_text(round_trip_s: float) -> str:
    """A successful echo in words."""
    return f"✓ Echo answered in {round_trip_s * 1000:.0f} ms"


class PacsNodesDialog(QDialog):
    """The PACS nodes' settings (see the module docstring).

    Signals
    -------
    echo_finished(str) : an echo ended; its result as shown.
    saved(list) : the nodes were saved (a list of `PacsNode`).
    """

    echo_finished = Signal(str)
    saved = Signal(list)

    def __init__(self, nodes: list[PacsNode], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PacsNodesDialog")
        self.setWindowTitle("PACS nodes")
        self.drafts = [NodeDraft.of(node) for node in nodes]
        self.echo: PacsWorker | None = None
        self._echo_row = -1
        self._filling = False

        self.node_list = QListWidget(self)
        self.node_list.setObjectName("PacsNodeList")
        self.node_list.setMinimumWidth(220)
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("AddPacsNode")
        self.add_button.setToolTip("Add a PACS node")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("RemovePacsNode")
        self.remove_button.setToolTip("Remove the chosen node")
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        list_buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.node_list, 1)
        left.addLayout(list_buttons)

        self.form_box = QGroupBox("Node", self)
        form = QFormLayout(self.form_box)
        self.dimse_radio = QRadioButton("DICOM network (C-ECHO, C-FIND, C-GET/C-MOVE)", self)
        self.dicomweb_radio = QRadioButton("DICOMweb (QIDO-RS, WADO-RS, STOW-RS)", self)
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.dimse_radio)
        self.kind_group.addButton(self.dicomweb_radio)
        self.move_check = QCheckBox("Retrieve by C-MOVE only (the PACS has no C-GET)", self)
        self.move_check.setObjectName("PacsNodeMoveOnly")
        self.move_check.setToolTip(
            "The PACS sends the images to spineplan's own storage SCP, listening on the local "
            "port below under the calling AE title: the PACS must know that AE title with this "
            "computer's address and that port"
        )
        self.tls_check = QCheckBox("Use TLS (DICOM TLS; the PACS's certificate is verified)", self)
        self.tls_check.setObjectName("PacsNodeTls")
        self.tls_check.setToolTip(
            "DICOM over TLS (PS3.15 Annex B), TLS 1.2 or later: the PACS's certificate must "
            "chain to the CA file below (or the system's authorities) and name its host"
        )
        self.move_tls_check = QCheckBox(
            "Receive C-MOVE images over TLS too (with the client certificate below)", self
        )
        self.move_tls_check.setObjectName("PacsNodeMoveTls")
        self.move_tls_check.setToolTip(
            "spineplan's storage SCP serves TLS with this computer's certificate and key, and "
            "the PACS calling back must show a certificate from the CA file: the PACS must be "
            "set to call spineplan's AE title with TLS"
        )
        self.tls_note = QLabel(MOVE_IN_CLEAR, self)
        self.tls_note.setObjectName("PacsNodeTlsNote")
        self.tls_note.setWordWrap(True)
        self.auth_combo = QComboBox(self)
        self.auth_combo.setObjectName("PacsNodeAuth")
        for text, auth in AUTH_CHOICES:
            self.auth_combo.addItem(text, auth)
        self.auth_combo.setToolTip("How spineplan proves who it is to this DICOMweb server")
        self.auth_row = QWidget(self)  # the combo box as wide as the text fields
        auth_layout = QHBoxLayout(self.auth_row)
        auth_layout.setContentsMargins(0, 0, 0, 0)
        auth_layout.addWidget(self.auth_combo, 1)
        auth_layout.addSpacing(250 + auth_layout.spacing())
        self.auth_note = QLabel(self)
        self.auth_note.setObjectName("PacsNodeAuthNote")
        self.auth_note.setWordWrap(True)
        self.edits: dict[str, QLineEdit] = {}
        self.notes: dict[str, QLabel] = {}
        self.rows: dict[str, QWidget] = {}
        self.browse_buttons: dict[str, QPushButton] = {}
        for name in FIELDS:
            edit = QLineEdit(self.form_box)
            edit.setObjectName(f"PacsNode_{name}")
            edit.setPlaceholderText(PLACEHOLDERS[name])
            note = QLabel(self.form_box)
            note.setObjectName(f"PacsNodeNote_{name}")
            note.setStyleSheet(ERROR_STYLE)
            note.setWordWrap(True)
            note.setFixedWidth(250)  # the fields line up whatever the messages say
            row = QWidget(self.form_box)
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.addWidget(edit, 1)
            if name in FILE_FIELDS:
                browse = QPushButton("Browse…", row)
                browse.setObjectName(f"PacsNodeBrowse_{name}")
                browse.setToolTip(BROWSE[name][1])
                browse.clicked.connect(lambda _on=False, field=name: self.choose_file(field))
                self.browse_buttons[name] = browse
                row_layout.addWidget(browse)
            row_layout.addWidget(note)
            self.edits[name], self.notes[name], self.rows[name] = edit, note, row
            form.addRow(LABELS[name], row)
            if name == "name":
                form.addRow("Connection", self.dimse_radio)
                form.addRow("", self.dicomweb_radio)
            if name == "move_port":
                form.addRow("", self.tls_check)
                form.addRow("", self.move_tls_check)
                form.addRow(self.tls_note)
            if name == "calling_aet":
                form.addRow("", self.move_check)
            if name == "ca_file":
                form.addRow("Authentication", self.auth_row)
            if name == "user":
                form.addRow(self.auth_note)  # the whole width, as the echo result
        self.echo_button = QPushButton("Echo", self)
        self.echo_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.echo_button.setObjectName("EchoPacsNode")
        self.echo_button.setToolTip("Test the connection to this node (DICOM C-ECHO)")
        self.echo_label = QLabel(self)
        self.echo_label.setObjectName("EchoResult")
        self.echo_label.setWordWrap(True)
        self.echo_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Connection test", self.echo_button)
        form.addRow(self.echo_label)  # the whole width: an error names the node and the cause
        self.empty_label = QLabel(
            "No PACS node yet. Add one: its host, port and AE titles (or a DICOMweb URL) come "
            "from the PACS administrator, who must also register spineplan's calling AE title.",
            self,
        )
        self.empty_label.setObjectName("NoPacsNodes")
        self.empty_label.setWordWrap(True)

        right = QVBoxLayout()
        # the form takes the height: a wrapped echo error below the fields is never cut off
        right.addWidget(self.form_box, 1)
        right.addWidget(self.empty_label)
        right.addStretch(0)
        body = QHBoxLayout()
        body.addLayout(left, 1)  # the form takes the room: its fields show their examples
        body.addLayout(right, 3)

        self.save_note = QLabel(self)
        self.save_note.setObjectName("PacsNodesSaveNote")
        self.save_note.setStyleSheet(ERROR_STYLE)
        self.save_note.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Save)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.save_note, 1)
        bottom.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)

        self.add_button.clicked.connect(self.add_node)
        self.remove_button.clicked.connect(self.remove_node)
        self.echo_button.clicked.connect(self.start_echo)
        self.node_list.currentRowChanged.connect(self._show_row)
        self.kind_group.buttonToggled.connect(lambda _button, _on: self._edited())
        self.move_check.toggled.connect(lambda _on: self._edited())
        self.tls_check.toggled.connect(lambda _on: self._edited())
        self.move_tls_check.toggled.connect(lambda _on: self._edited())
        self.auth_combo.currentIndexChanged.connect(lambda _index: self._edited())
        for edit in self.edits.values():
            edit.textEdited.connect(lambda _text: self._edited())
        for draft in self.drafts:
            self.node_list.addItem(draft.summary())
        self.node_list.setCurrentRow(0 if self.drafts else -1)
        self._show_row(self.node_list.currentRow())
        self.resize(1040, 520)

    # -- the list -------------------------------------------------------------------------
    @property
    def current(self) -> NodeDraft | None:
        row = self.node_list.currentRow()
        return self.drafts[row] if 0 <= row < len(self.drafts) else None

    def add_node(self) -> None:
        """A new DICOM node named ``PACS``, ``PACS 2`` ... to fill in."""
        names = {d.texts["name"].strip() for d in self.drafts}
        name, n = "PACS", 2
        while name in names:
            name, n = f"PACS {n}", n + 1
        draft = NodeDraft()
        draft.texts["name"] = name
        self.drafts.append(draft)
        self.node_list.addItem(draft.summary())
        self.node_list.setCurrentRow(len(self.drafts) - 1)
        self.edits["host"].setFocus()

    def remove_node(self) -> None:
        row = self.node_list.currentRow()
        if not 0 <= row < len(self.drafts):
            return
        if self.echo is not None and row == self._echo_row:
            self.echo.cancel()  # its answer belongs to a node no longer listed
            self._echo_row = -1
        elif self._echo_row > row:
            self._echo_row -= 1
        del self.drafts[row]
        self.node_list.takeItem(row)
        self._show_row(self.node_list.currentRow())

    def _show_row(self, row: int) -> None:
        """Fill the form with node ``row`` (or hide it when there is none)."""
        draft = self.drafts[row] if 0 <= row < len(self.drafts) else None
        self.form_box.setVisible(draft is not None)
        self.empty_label.setVisible(not self.drafts)
        self.remove_button.setEnabled(draft is not None)
        if draft is not None:
            self._filling = True
            for name, edit in self.edits.items():
                edit.setText(draft.texts[name])
            (self.dicomweb_radio if draft.kind == DICOMWEB else self.dimse_radio).setChecked(True)
            self.move_check.setChecked(draft.move_only)
            self.tls_check.setChecked(draft.tls)
            self.move_tls_check.setChecked(draft.move_tls)
            self.auth_combo.setCurrentIndex(max(0, self.auth_combo.findData(draft.auth)))
            self._filling = False
        self._refresh()

    # -- editing --------------------------------------------------------------------------
    def _edited(self) -> None:
        draft = self.current
        if self._filling or draft is None:
            return
        for name, edit in self.edits.items():
            draft.texts[name] = edit.text()
        draft.kind = DICOMWEB if self.dicomweb_radio.isChecked() else DIMSE
        draft.move_only = self.move_check.isChecked()
        draft.tls = self.tls_check.isChecked()
        draft.move_tls = self.move_tls_check.isChecked()
        draft.auth = str(self.auth_combo.currentData())
        draft.echo_text = ""  # the echo was of the node as it was
        self.node_list.item(self.node_list.currentRow()).setText(draft.summary())
        self._refresh()

    def problems(self, row: int) -> dict[str, str]:
        """What is wrong with node ``row``, by field."""
        others = [d.texts["name"].strip() for n, d in enumerate(self.drafts) if n != row]
        return self.drafts[row].problems(others)

    def _refresh(self) -> None:
        """The notes beside the fields, the kind's fields, Echo and Save."""
        row = self.node_list.currentRow()
        draft = self.current
        problems = self.problems(row) if draft is not None else {}
        kind = draft.kind if draft is not None else DIMSE
        form = self.form_box.layout()
        assert isinstance(form, QFormLayout)
        for name in FIELDS:
            shown = draft is not None and name in draft.fields()
            form.setRowVisible(self.rows[name], shown)
            self.notes[name].setText(problems.get(name, "") if shown else "")
        form.setRowVisible(self.move_check, kind == DIMSE)
        form.setRowVisible(self.tls_check, kind == DIMSE)
        moving_tls = kind == DIMSE and draft is not None and draft.tls and draft.move_only
        form.setRowVisible(self.move_tls_check, moving_tls)
        form.setRowVisible(self.tls_note, moving_tls and draft is not None and not draft.move_tls)
        form.setRowVisible(self.auth_row, kind == DICOMWEB)
        auth = draft.auth if draft is not None else AUTH_NONE
        form.setRowVisible(self.auth_note, kind == DICOMWEB and auth != AUTH_NONE)
        if auth != AUTH_NONE:
            secret = "password" if auth == AUTH_BASIC else "token"
            where = (
                "in the system keyring once you choose to keep it there"
                if keyring_usable()
                else "until spineplan closes (there is no system keyring here)"
            )
            self.auth_note.setText(
                f"The {secret} is asked for when the node is first used and kept {where}; "
                "never in the PACS settings."
            )
        self.echo_button.setEnabled(draft is not None and not problems and self.echo is None)
        self.echo_button.setToolTip(
            "Test the connection to this node (DICOM C-ECHO, or a DICOMweb query)"
            if not problems
            else "Correct the fields marked in red first"
        )
        if draft is not None:
            echoing = self.echo is not None and row == self._echo_row
            self.echo_label.setText("Echoing…" if echoing else draft.echo_text)
            self.echo_label.setStyleSheet(
                ERROR_STYLE if draft.echo_text.startswith("✗") else OK_STYLE
            )
        invalid = [
            self.drafts[n].texts["name"].strip() or f"node {n + 1}"
            for n in range(len(self.drafts))
            if self.problems(n)
        ]
        self.save_button.setEnabled(not invalid)
        self.save_note.setText(f"Correct {', '.join(invalid)} before saving." if invalid else "")

    def choose_file(self, name: str) -> None:
        """Browse for the file of field ``name`` (a CA bundle, client certificate or key)."""
        title, _tip, filters = BROWSE[name]
        path, _ = QFileDialog.getOpenFileName(self, title, "", filters)
        if path:
            self.edits[name].setText(path)
            self.edits[name].textEdited.emit(path)

    # -- echo -----------------------------------------------------------------------------
    def start_echo(self) -> None:
        """Echo the chosen node as typed, in the background."""
        draft = self.current
        if draft is None or self.echo is not None:
            return
        try:
            node = draft.node()
        except PacsError as error:
            draft.echo_text = f"✗ {error}"
            self._refresh()
            return
        with_secret = node_with_secret(node, self)
        if with_secret is None:  # the password dialog was cancelled
            return
        node = with_secret
        self._echo_row = self.node_list.currentRow()
        worker = self.echo = echo_worker(node, self)
        worker.succeeded.connect(lambda seconds: self._echo_done(echo_result_text(seconds)))
        worker.failed.connect(lambda message: self._echo_done(f"✗ {message}"))
        worker.cancelled.connect(lambda: self._echo_done(""))
        worker.finished.connect(worker.deleteLater)
        worker.start()
        self._refresh()

    def _echo_done(self, text: str) -> None:
        if 0 <= self._echo_row < len(self.drafts) and text:
            self.drafts[self._echo_row].echo_text = text
        self.echo, self._echo_row = None, -1
        self._refresh()
        if text:
            self.echo_finished.emit(text)

    # -- save -----------------------------------------------------------------------------
    def nodes(self) -> list[PacsNode]:
        """The nodes as typed (every one valid: Save is disabled otherwise)."""
        return [draft.node() for draft in self.drafts]

    def save(self) -> None:
        """Write the nodes (`save_nodes`) and close; a failure is said under the list."""
        try:
            nodes = self.nodes()
            save_nodes(nodes)
        except (PacsError, OSError) as error:
            self.save_note.setText(f"Not saved: {error}")
            return
        self.saved.emit(nodes)
        self.accept()

    def done(self, result: int) -> None:
        if self.echo is not None:  # its answer has no one to read it now
            let_finish(self.echo)
            self.echo = None
        super().done(result)
