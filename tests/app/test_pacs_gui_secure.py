"""The PACS in the workstation against a real Orthanc over https with HTTP Basic
authentication: the node's CA file, authentication and user in Edit > PACS nodes (validated as
typed), the password asked for once per session (a refused one asked again, saying so), nothing
secret in the settings file, and Open from PACS saying when its list is cut.

Screenshots of the nodes dialog and the password dialog go to ``out/pacs-secure-*.png``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import imaging.pacs.query
from app.pacs.nodes_dialog import PacsNodesDialog
from app.pacs.open_dialog import OpenFromPacsDialog
from app.pacs.password_dialog import PasswordDialog, forget_session
from app.pacs.send_dialog import SendToPacsDialog
from imaging.pacs.credentials import with_secret
from imaging.pacs.nodes import PacsNode, load_nodes, nodes_file, save_nodes
from imaging.pacs.send import send
from tests.app.test_pacs_gui import NETWORK_TIMEOUT_MS, echo_and_wait, search_and_wait, set_field
from tests.dicom_builders import uid, write_series
from tests.imaging.pacs_helpers import SAMPLE_CASE
from tests.pacs_server import OrthancServer, tls_missing_reason
from tests.pacs_tls import TestCA

PASSWORD = "s3cret-alice"
OUT = Path(__file__).resolve().parents[2] / "out"


@pytest.fixture(autouse=True)
def fresh_session() -> Iterator[None]:
    """No secret typed before the test, and no system keyring (nothing reaches a real one)."""
    forget_session()
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)
    forget_session()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA.make(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> Iterator[OrthancServer]:
    """https Orthanc (user alice) holding sample case 2 and two one-image studies."""
    reason = tls_missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("secure")
    server = OrthancServer(
        folder, certificate=ca.server_pem(folder / "server.pem"), users={"alice": PASSWORD}
    ).start()
    try:
        for n in range(2):
            write_series(
                folder / "more" / str(n),
                shape=(1, 8, 8),
                study_instance_uid=uid(f"gui-more-{n}"),
                PatientID=f"SPL-MORE-{n}",
            )
        node = with_secret(secure_node(server, ca), PASSWORD)
        assert all(outcome.ok for outcome in send(node, [SAMPLE_CASE, folder / "more"]))
        yield server
    finally:
        server.stop()


def secure_node(server: OrthancServer, ca: TestCA) -> PacsNode:
    return server.dicomweb_node("secure", ca_file=str(ca.ca_file), auth="basic", user="alice")


def answer_password(
    text: str | None,
    seen: list[dict[str, object]],
    look: Callable[[PasswordDialog], None] = lambda _dialog: None,
) -> None:
    """When the password dialog comes up: note what it shows in ``seen``, ``look`` at it, type
    ``text`` and OK (None: Cancel)."""

    def respond() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PasswordDialog):
            QTimer.singleShot(20, respond)
            return
        seen.append(
            {
                "question": dialog.question.text(),
                "refused": dialog.refused_label.isVisibleTo(dialog),
                "keep": dialog.keep_check.isEnabled(),
                "ok_without_text": dialog.ok_button.isEnabled(),
            }
        )
        dialog.edit.setText(text or "")
        look(dialog)
        if text:
            dialog.ok_button.click()
        else:
            dialog.reject()

    QTimer.singleShot(0, respond)


def grab(widget, name: str) -> None:
    QApplication.processEvents()  # the layout follows rows shown or hidden just now
    OUT.mkdir(exist_ok=True)
    widget.grab().save(str(OUT / name))


def test_add_an_https_node_with_a_user_echo_and_save(qtbot, window, secure, ca, tmp_path):
    dialog = PacsNodesDialog([], window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.add_button.click()
    dialog.dicomweb_radio.setChecked(True)
    set_field(dialog, "name", "secure")
    set_field(dialog, "url", secure.dicomweb_node().url)
    assert not dialog.edits["user"].isVisible() and not dialog.auth_note.isVisible()
    set_field(dialog, "ca_file", str(tmp_path / "missing.pem"))
    assert dialog.notes["ca_file"].text() == "no such file"
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData("basic"))
    assert dialog.edits["user"].isVisible()
    assert dialog.notes["user"].text() == "no user (basic authentication needs one)"
    assert not dialog.save_button.isEnabled() and not dialog.echo_button.isEnabled()
    grab(dialog, "pacs-secure-node-invalid.png")
    set_field(dialog, "ca_file", str(ca.ca_file))
    assert dialog.notes["ca_file"].text() == ""
    set_field(dialog, "user", "alice")
    assert all(note.text() == "" for note in dialog.notes.values())
    assert dialog.auth_note.isVisible()
    assert "there is no system keyring here" in dialog.auth_note.text()

    seen: list[dict[str, object]] = []
    answer_password(PASSWORD, seen, lambda shown: grab(shown, "pacs-secure-password.png"))
    answer = echo_and_wait(qtbot, dialog)
    assert answer.startswith("✓ Echo answered in ")
    assert seen == [
        {
            "question": f"PACS 'secure' ({secure.dicomweb_node().url}) asks for the password "
            "of alice.",
            "refused": False,
            "keep": False,  # no keyring: it is kept for the session only
            "ok_without_text": False,
        }
    ]
    assert echo_and_wait(qtbot, dialog).startswith("✓")  # the session remembers it
    assert len(seen) == 1
    grab(dialog, "pacs-secure-node.png")

    dialog.save_button.click()
    assert load_nodes() == [secure_node(secure, ca)]
    assert PASSWORD not in nodes_file().read_text()


def test_a_refused_password_is_asked_for_again(qtbot, window, secure, ca):
    save_nodes([secure_node(secure, ca)])
    window.pacs.refresh_actions()
    window.actions_by_id["open_from_pacs"].trigger()
    dialog = window.pacs.dialog
    assert isinstance(dialog, OpenFromPacsDialog)
    dialog.patient_id_edit.setText("SPL-0002")
    seen: list[dict[str, object]] = []
    answer_password("wrong", seen)
    text = search_and_wait(qtbot, dialog)
    assert text == (
        f"PACS 'secure' ({secure.dicomweb_node().url}) refused the credentials of user "
        "'alice' (HTTP 401)"
    )
    answer_password(PASSWORD, seen)
    assert search_and_wait(qtbot, dialog).startswith("1 study, 3 series found.")
    assert [shown["refused"] for shown in seen] == [False, True]


def test_a_cancelled_password_sends_nothing(qtbot, window, secure, ca):
    node = secure_node(secure, ca)
    dialog = SendToPacsDialog([node], [], window.settings, window)
    qtbot.addWidget(dialog)
    dialog.add_paths([SAMPLE_CASE])
    seen: list[dict[str, object]] = []
    answer_password(None, seen)
    dialog.send_button.click()
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=NETWORK_TIMEOUT_MS)
    assert dialog.worker is None and dialog.result_rows() == []


def test_a_cut_list_says_so(qtbot, window, secure, ca, monkeypatch):
    monkeypatch.setattr(imaging.pacs.query, "MAX_STUDIES", 2)
    dialog = OpenFromPacsDialog(
        [with_secret(secure_node(secure, ca), PASSWORD)],
        lambda: None,
        lambda f: None,
        lambda: True,
        window.settings,
        window,
    )
    qtbot.addWidget(dialog)
    text = search_and_wait(qtbot, dialog)
    assert text.startswith("2 studies, ")
    assert text.endswith(
        "Only the first 2 matching studies are listed (the PACS has more): narrow the search "
        "by patient ID, name, study dates or modality."
    )
    assert dialog.tree.topLevelItemCount() == 2
