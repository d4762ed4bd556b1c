"""Where a DICOMweb node's password or token is kept: a keyring backend (keyrings.alt's file
backend, a real one, in the test's folder), tied to the user and URL it was given for; and
which backends count as a safe system keyring."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from imaging.pacs.credentials import (
    KEYRING_SERVICE,
    default_keyring,
    forget_secret,
    keyring_account,
    keyring_usable,
    needs_secret,
    store_secret,
    stored_secret,
    with_secret,
)
from imaging.pacs.errors import PacsError
from imaging.pacs.nodes import PacsNode

NODE = PacsNode(name="web", url="https://pacs.example/dicom-web/", auth="basic", user="alice")
BEARER = PacsNode(name="tok", url="https://pacs.example/dicom-web", auth="bearer")


@pytest.fixture
def backend(tmp_path: Path) -> PlaintextKeyring:
    store = PlaintextKeyring()
    store.file_path = str(tmp_path / "keyring.cfg")
    return store


@pytest.fixture
def system_keyring() -> Iterator[None]:
    """Put back whatever keyring the process had."""
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_the_account_is_the_user_at_the_url() -> None:
    assert keyring_account(NODE) == "alice@https://pacs.example/dicom-web"
    assert keyring_account(BEARER) == "token@https://pacs.example/dicom-web"


def test_store_read_forget(backend: PlaintextKeyring, tmp_path: Path) -> None:
    assert stored_secret(NODE, backend) == ""
    store_secret(NODE, "s3cret", backend)
    assert backend.get_password(KEYRING_SERVICE, keyring_account(NODE)) == "s3cret"
    assert stored_secret(NODE, backend) == "s3cret"
    assert stored_secret(replace(NODE, name="renamed"), backend) == "s3cret"
    # another server, or another user, never gets it
    assert stored_secret(replace(NODE, url="https://elsewhere.example/dicom-web"), backend) == ""
    assert stored_secret(replace(NODE, user="bob"), backend) == ""
    assert forget_secret(NODE, backend) is True
    assert stored_secret(NODE, backend) == ""
    assert forget_secret(NODE, backend) is False


@pytest.mark.usefixtures("system_keyring")
def test_plaintext_and_failing_backends_are_no_keyring(backend: PlaintextKeyring) -> None:
    keyring.set_keyring(backend)  # stores in clear: priority 0.5
    assert default_keyring() is None and not keyring_usable()
    keyring.set_keyring(fail.Keyring())
    assert default_keyring() is None
    assert stored_secret(NODE) == ""
    with pytest.raises(PacsError, match=r"no system keyring here to keep the password in"):
        store_secret(NODE, "s3cret")
    assert keyring_usable(backend)  # named explicitly, as the tests do, it is used


def test_needs_secret() -> None:
    assert needs_secret(NODE) and needs_secret(BEARER)
    assert not needs_secret(with_secret(NODE, "pw"))
    assert not needs_secret(PacsNode(name="open", url="https://pacs.example/dicom-web"))
