"""PACS nodes: validation, the settings file, lookup by name (no server needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imaging.pacs.errors import PacsError, node_label
from imaging.pacs.nodes import (
    PacsNode,
    load_nodes,
    node_named,
    nodes_file,
    save_nodes,
    validate_node,
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


DIMSE = PacsNode(name="pacs", host="pacs.example", port=104, called_aet="PACS")
WEB = PacsNode(name="web", url="https://pacs.example/dicom-web")


def test_kind() -> None:
    assert (DIMSE.kind, WEB.kind) == ("dimse", "dicomweb")


def test_save_and_load_round_trip(data_dir: Path) -> None:
    move = PacsNode(
        name="old",
        host="10.0.0.2",
        port=11112,
        called_aet="OLDPACS",
        move_only=True,
        move_port=4006,
    )
    save_nodes([DIMSE, WEB, move])
    assert nodes_file() == data_dir / "pacs_nodes.json"
    assert load_nodes() == [DIMSE, WEB, move]
    assert json.loads(nodes_file().read_text())["nodes"][1] == {
        "name": "web",
        "url": "https://pacs.example/dicom-web",
    }
    assert node_named("old") == move
    assert list(data_dir.iterdir()) == [data_dir / "pacs_nodes.json"]  # no temporary file


def test_no_file_means_no_nodes() -> None:
    assert load_nodes() == []


def test_unknown_name_lists_the_known_ones() -> None:
    save_nodes([DIMSE, WEB])
    with pytest.raises(PacsError, match=r"no PACS node named 'x' in .*\(known: 'pacs', 'web';"):
        node_named("x")


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (PacsNode(name="a", host="h", port=104, called_aet="X" * 17), "is not a DICOM AE title"),
        (PacsNode(name="a", host="h", port=104, called_aet="A\\B"), "is not a DICOM AE title"),
        (PacsNode(name="a", host="h", port=104, called_aet="   "), "is not a DICOM AE title"),
        (PacsNode(name="a", host="h", port=104, called_aet=""), "no called AE title"),
        (
            PacsNode(name="a", host="h", port=104, called_aet="P", calling_aet="C" * 17),
            "calling AE",
        ),
        (PacsNode(name="a", host="h", port=0, called_aet="P"), "port 0 is not a TCP port"),
        (PacsNode(name="a", host="h", port=65536, called_aet="P"), "port 65536 is not a TCP port"),
        (PacsNode(name="a", port=104, called_aet="P"), "no host"),
        (PacsNode(name="a", url="pacs:8042"), "is not an http(s) URL"),
        (PacsNode(name="a", url="http://h/dw", host="h"), "either a DICOMweb URL or host"),
        (
            PacsNode(name="a", host="h", port=1, called_aet="P", move_only=True),
            "move port (local storage SCP for C-MOVE) 0 is not",
        ),
        (PacsNode(name=" ", host="h", port=1, called_aet="P"), "the name is empty"),
        (PacsNode(name="a", url="http://h/dw", ca_file="/ca.pem"), "only used with an https URL"),
        (PacsNode(name="a", url="https://h/dw", auth="basic"), "no user (basic authentication"),
        (PacsNode(name="a", url="https://h/dw", auth="digest"), "authentication 'digest' is not"),
        (PacsNode(name="a", url="https://h/dw", auth="bearer", user="u"), "user is only used"),
        (PacsNode(name="a", url="https://h/dw", auth="basic", user="a:b"), "has a ':'"),
        (PacsNode(name="a", url="https://u:pw@h/dw"), "put no user or password in the URL"),
        (
            PacsNode(name="a", host="h", port=1, called_aet="P", auth="basic", user="u"),
            "authentication is for DICOMweb nodes",
        ),
        (
            PacsNode(name="a", host="h", port=1, called_aet="P", ca_file="/ca.pem"),
            "only used with TLS (set tls)",
        ),
        (
            PacsNode(name="a", host="h", port=1, called_aet="P", tls=True, client_cert_file="c"),
            "no client key file",
        ),
        (
            PacsNode(name="a", host="h", port=1, called_aet="P", tls=True, client_key_file="k"),
            "no client certificate file",
        ),
        (PacsNode(name="a", url="https://h/dw", tls=True), "'tls' and a client certificate are"),
        (
            PacsNode(
                name="a",
                host="h",
                port=1,
                called_aet="P",
                tls=True,
                move_only=True,
                move_port=2,
                move_tls=True,
            ),
            "C-MOVE over TLS (move_tls) needs TLS, retrieval by C-MOVE and this computer's",
        ),
    ],
)
def test_validation_names_the_node_and_the_value(node: PacsNode, message: str) -> None:
    with pytest.raises(PacsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_node(node)
    with pytest.raises(PacsError):
        save_nodes([node])
    assert not nodes_file().exists()


def test_a_secret_is_never_written(data_dir: Path) -> None:
    secure = PacsNode(
        name="secure",
        url="https://pacs.example/dicom-web",
        ca_file="/etc/pacs-ca.pem",
        auth="basic",
        user="alice",
        secret="hunter2-secret",
    )
    assert "hunter2" not in repr(secure)
    save_nodes([secure])
    text = nodes_file().read_text()
    assert "hunter2" not in text
    assert json.loads(text)["nodes"] == [
        {
            "name": "secure",
            "url": "https://pacs.example/dicom-web",
            "ca_file": "/etc/pacs-ca.pem",
            "auth": "basic",
            "user": "alice",
        }
    ]
    (loaded,) = load_nodes()
    assert loaded == secure and loaded.secret == ""


def test_a_dicom_tls_node_keeps_paths_not_the_key(data_dir: Path, tmp_path: Path) -> None:
    key = tmp_path / "client.key"
    key.write_text("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIK3y\n-----END EC PRIVATE KEY-----\n")
    node = PacsNode(
        name="tls",
        host="pacs",
        port=2762,
        called_aet="PACS",
        tls=True,
        ca_file="/etc/pacs-ca.pem",
        client_cert_file=str(tmp_path / "client.crt"),
        client_key_file=str(key),
    )
    save_nodes([node])
    text = nodes_file().read_text()
    assert "PRIVATE KEY" not in text and "MHcCAQEEIK3y" not in text
    assert json.loads(text)["nodes"][0]["tls"] is True
    assert json.loads(text)["nodes"][0]["client_key_file"] == str(key)
    assert load_nodes() == [node]
    nodes_file().write_text(text.replace("true", '"yes"'))
    with pytest.raises(PacsError, match="node 'tls': tls must be bool, not 'yes'"):
        load_nodes()


@pytest.mark.parametrize("key", ["secret", "password", "token"])
def test_a_secret_in_the_file_is_refused(key: str) -> None:
    nodes_file().parent.mkdir(parents=True)
    entry = {"name": "w", "url": "https://h/dw", "auth": "basic", "user": "u", key: "pw"}
    nodes_file().write_text(json.dumps({"nodes": [entry]}))
    with pytest.raises(PacsError, match=f"node 'w' has a {key} written in the file: remove it"):
        load_nodes()


def test_names_must_be_unique() -> None:
    with pytest.raises(PacsError, match="names used twice: pacs"):
        save_nodes([DIMSE, DIMSE])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON (line 1)"),
        ('{"nodes": {}}', 'expected {"nodes": [...]}'),
        ('{"nodes": [{"name": "a", "colour": "red"}]}', "unknown keys ['colour']"),
        ('{"nodes": [{"name": "a", "port": "104"}]}', "port must be int, not '104'"),
        ('{"nodes": [{"name": "a", "host": "h", "port": 104, "called_aet": ""}]}', "no called"),
    ],
)
def test_a_bad_settings_file_is_one_line_naming_it(text: str, message: str) -> None:
    nodes_file().parent.mkdir(parents=True)
    nodes_file().write_text(text)
    with pytest.raises(PacsError) as raised:
        load_nodes()
    assert str(raised.value).startswith(f"{nodes_file()}: ")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_label_names_the_node() -> None:
    assert node_label(DIMSE) == "PACS 'pacs' (pacs.example:104, AE PACS)"
    assert node_label(WEB) == "PACS 'web' (https://pacs.example/dicom-web)"
    ad_hoc = PacsNode(name="h:104", host="h", port=104, called_aet="P")
    assert node_label(ad_hoc) == "PACS at h:104 (AE P)"
