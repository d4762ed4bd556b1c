"""The PACS node chooser of the Open and Send dialogs, which starts on the node used last.

The last node used is kept in the window's QSettings (``pacs/last_node``) by `remember_node`,
when a find, retrieve or send starts, so both dialogs open on the PACS the user works with.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QWidget

from imaging.pacs.nodes import PacsNode

LAST_NODE_KEY = "pacs/last_node"


def last_node_name(settings: QSettings | None) -> str:
    """The name of the node used last ("" when none, or without settings)."""
    if settings is None:
        return ""
    value = settings.value(LAST_NODE_KEY, "")
    return value if isinstance(value, str) else ""


def remember_node(settings: QSettings | None, node: PacsNode) -> None:
    """Keep ``node`` as the one to propose next time."""
    if settings is not None:
        settings.setValue(LAST_NODE_KEY, node.name)


def node_text(node: PacsNode) -> str:
    """A node as the chooser lists it: name and where it is."""
    where = node.url if node.kind == "dicomweb" else f"{node.host}:{node.port}, {node.called_aet}"
    return f"{node.name} ({where})"


class NodeChooser(QComboBox):
    """The configured nodes, the last used one chosen."""

    def __init__(
        self, nodes: list[PacsNode], settings: QSettings | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("PacsNodeChooser")
        self.setToolTip("The PACS to talk to (Edit ▸ PACS nodes… adds and edits them)")
        self.nodes = list(nodes)
        for node in self.nodes:
            self.addItem(node_text(node))
        last = last_node_name(settings)
        names = [node.name for node in self.nodes]
        self.setCurrentIndex(names.index(last) if last in names else 0)
        self.setMinimumContentsLength(28)

    def node(self) -> PacsNode | None:
        """The chosen node (None when there is none)."""
        index = self.currentIndex()
        return self.nodes[index] if 0 <= index < len(self.nodes) else None

    def choose(self, name: str) -> None:
        """Choose the node called ``name`` (nothing happens when there is none)."""
        names = [node.name for node in self.nodes]
        if name in names:
            self.setCurrentIndex(names.index(name))
