"""The password or token of a DICOMweb node: in the system keyring, never in the settings file.

A node with ``auth`` keeps its secret in the system keyring (the `keyring` package: the
Secret Service on Linux, the Keychain on macOS, the Credential Locker on Windows) under the
service ``spineplan-pacs`` and the account ``USER@URL`` (``token@URL`` for a bearer token): the
secret is tied to the server it was given for, so a node pointed at another URL never sends it
there. Where there is no keyring (a headless machine), `keyring_usable` says so and the GUI or
the command line asks at use time instead.

A keyring backend that stores in clear (``keyrings.alt``'s plaintext file) or fails (keyring's
``fail`` and ``null`` backends) does not count: those have a priority below 1.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from imaging.pacs.errors import PacsError, node_label
from imaging.pacs.nodes import PacsNode

KEYRING_SERVICE = "spineplan-pacs"


def keyring_account(node: PacsNode) -> str:
    """The keyring account a node's secret is kept under: ``USER@URL`` or ``token@URL``."""
    who = node.user if node.secret_kind == "password" else "token"
    return f"{who}@{node.url.rstrip('/')}"


def default_keyring() -> Any | None:
    """The system keyring backend, or None when there is none that keeps secrets safely."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except (KeyringError, RuntimeError, AttributeError, ValueError):
        return None
    return backend if priority >= 1 else None


def keyring_usable(backend: Any | None = None) -> bool:
    """Whether secrets can be kept in a keyring (``backend``, or the system's)."""
    return (backend or default_keyring()) is not None


def stored_secret(node: PacsNode, backend: Any | None = None) -> str:
    """The node's secret from the keyring ("" when there is none, or no keyring)."""
    backend = backend or default_keyring()
    if backend is None or not node.secret_kind:
        return ""
    from keyring.errors import KeyringError

    try:
        return str(backend.get_password(KEYRING_SERVICE, keyring_account(node)) or "")
    except KeyringError:
        return ""  # a locked or broken keyring: the secret is asked for instead


def store_secret(node: PacsNode, secret: str, backend: Any | None = None) -> None:
    """Keep ``secret`` for ``node`` in the keyring.

    Raises
    ------
    PacsError
        No keyring, or the keyring refused, naming the node.
    """
    backend = backend or default_keyring()
    if backend is None:
        raise PacsError(
            f"{node_label(node)}: no system keyring here to keep the {node.secret_kind} in; "
            "give it when the node is used instead"
        )
    from keyring.errors import KeyringError

    try:
        backend.set_password(KEYRING_SERVICE, keyring_account(node), secret)
    except KeyringError as error:
        raise PacsError(f"{node_label(node)}: the keyring refused the secret: {error}") from error


def forget_secret(node: PacsNode, backend: Any | None = None) -> bool:
    """Remove the node's secret from the keyring; True when there was one."""
    backend = backend or default_keyring()
    if backend is None or not node.secret_kind:
        return False
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        backend.delete_password(KEYRING_SERVICE, keyring_account(node))
    except PasswordDeleteError:
        return False
    except KeyringError as error:
        raise PacsError(f"{node_label(node)}: the keyring refused: {error}") from error
    return True


def with_secret(node: PacsNode, secret: str) -> PacsNode:
    """``node`` carrying ``secret`` for the calls (never written: see `PacsNode.secret`)."""
    return replace(node, secret=secret)


def needs_secret(node: PacsNode) -> bool:
    """Whether ``node`` authenticates and has no secret yet."""
    return bool(node.secret_kind) and not node.secret
