"""Edit > PACS nodes and Open from PACS with a DICOM node over TLS, against a real Orthanc that
requires a client certificate: the TLS box shows the CA file, client certificate and key (each
checked as typed: the file must exist, a certificate needs its key), Echo without a client
certificate shows the one-line refusal, with one it answers; only the paths are saved; Open
from PACS searches over TLS.

Screenshots of the nodes dialog go to ``out/pacs-dicom-tls-*.png``."""

from __future__ import annotations

from app.pacs.nodes_dialog import MOVE_IN_CLEAR, PacsNodesDialog
from app.pacs.open_dialog import OpenFromPacsDialog
from imaging.pacs.nodes import PacsNode, load_nodes, nodes_file
from tests.app.conftest import tls_node
from tests.app.test_pacs_gui import echo_and_wait, search_and_wait, set_field
from tests.app.test_pacs_gui_secure import grab


def test_add_a_dicom_tls_node_echo_and_save(qtbot, window, mutual, ca, client, tmp_path):
    dialog = PacsNodesDialog([], window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.add_button.click()
    set_field(dialog, "name", "tls-pacs")
    set_field(dialog, "host", "127.0.0.1")
    set_field(dialog, "port", str(mutual.dicom_port))
    set_field(dialog, "called_aet", "ORTHANC")
    tls_fields = ("ca_file", "client_cert_file", "client_key_file")
    assert dialog.tls_check.isVisible()
    assert not any(dialog.edits[name].isVisible() for name in tls_fields)
    dialog.tls_check.setChecked(True)
    assert all(dialog.edits[name].isVisible() for name in tls_fields)
    assert dialog.node_list.item(0).text() == (
        f"tls-pacs — 127.0.0.1:{mutual.dicom_port} TLS, AE ORTHANC"
    )

    set_field(dialog, "ca_file", str(ca.ca_file))
    set_field(dialog, "client_cert_file", str(client.cert_file))
    assert dialog.notes["client_key_file"].text() == (
        "a client certificate needs its key and a key its certificate: no client key file"
    )
    set_field(dialog, "client_key_file", str(tmp_path / "missing.key"))
    assert dialog.notes["client_key_file"].text() == "no such file"
    assert not dialog.save_button.isEnabled() and not dialog.echo_button.isEnabled()
    grab(dialog, "pacs-dicom-tls-node-invalid.png")

    set_field(dialog, "client_cert_file", "")
    set_field(dialog, "client_key_file", "")
    assert all(note.text() == "" for note in dialog.notes.values())
    answer = echo_and_wait(qtbot, dialog)
    assert answer == (
        f"✗ PACS 'tls-pacs' (127.0.0.1:{mutual.dicom_port}, AE ORTHANC): TLS: the PACS wants a "
        "client certificate (mutual TLS): give the node a client certificate and key"
    )
    grab(dialog, "pacs-dicom-tls-refused.png")

    set_field(dialog, "client_cert_file", str(client.cert_file))
    set_field(dialog, "client_key_file", str(client.key_file))
    assert echo_and_wait(qtbot, dialog).startswith("✓ Echo answered in ")
    assert not dialog.move_tls_check.isVisible()
    dialog.move_check.setChecked(True)
    assert dialog.tls_note.isVisible() and dialog.tls_note.text() == MOVE_IN_CLEAR
    assert dialog.move_tls_check.isVisible()
    dialog.move_tls_check.setChecked(True)
    assert not dialog.tls_note.isVisible()
    set_field(dialog, "move_port", "11112")
    set_field(dialog, "client_cert_file", "")
    set_field(dialog, "client_key_file", "")
    assert dialog.notes["client_cert_file"].text() == "C-MOVE over TLS needs this certificate"
    assert [name for name, note in dialog.notes.items() if note.text()] == ["client_cert_file"]
    grab(dialog, "pacs-dicom-tls-move.png")
    set_field(dialog, "client_cert_file", str(client.cert_file))
    set_field(dialog, "client_key_file", str(client.key_file))
    assert dialog.nodes()[0].move_tls
    dialog.move_check.setChecked(False)
    assert not dialog.tls_note.isVisible() and not dialog.move_tls_check.isVisible()
    assert not dialog.nodes()[0].move_tls
    grab(dialog, "pacs-dicom-tls-node.png")

    dialog.save_button.click()
    assert load_nodes() == [
        PacsNode(
            name="tls-pacs",
            host="127.0.0.1",
            port=mutual.dicom_port,
            called_aet="ORTHANC",
            tls=True,
            ca_file=str(ca.ca_file),
            client_cert_file=str(client.cert_file),
            client_key_file=str(client.key_file),
        )
    ]
    assert "PRIVATE KEY" not in nodes_file().read_text()

    reopened = PacsNodesDialog(load_nodes(), window)
    qtbot.addWidget(reopened)
    assert reopened.tls_check.isChecked()
    assert reopened.edits["client_key_file"].text() == str(client.key_file)


def test_open_from_pacs_searches_over_tls(qtbot, window, mutual, ca, client):
    dialog = OpenFromPacsDialog(
        [tls_node(mutual, ca, client)],
        lambda: None,
        lambda f: None,
        lambda: True,
        window.settings,
        window,
    )
    qtbot.addWidget(dialog)
    assert search_and_wait(qtbot, dialog).startswith("1 study, 3 series found.")
    assert dialog.tree.topLevelItemCount() == 1
