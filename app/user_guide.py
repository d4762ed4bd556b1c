"""Help > User guide: the guides in ``docs/`` rendered inside the program.

A clinician reading a case should not need a browser or a Markdown viewer to find out what a
tool does: the dialog lists the guides and shows the chosen one (Qt renders Markdown, with its
screenshots); links between guides open in the same dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage, QResizeEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import app

#: (title, file in docs/), in the order a new user meets them.
GUIDES: tuple[tuple[str, str], ...] = (
    ("The viewer", "viewer.md"),
    ("Annotation: levels, lesion, edema", "annotation.md"),
    ("The Plan panel", "plan_panel.md"),
    ("The plan's files: field.json, field.csv", "outputs.md"),
    ("Practice mode", "practice.md"),
    ("Registration: the MR onto the planning CT", "registration.md"),
    ("Department PACS", "pacs.md"),
    ("Commissioning a machine", "commissioning.md"),
    ("The case file", "case-file.md"),
)


def docs_folder() -> Path:
    """Where the guides are: ``docs/`` beside the packages (a source checkout)."""
    return Path(app.__file__).resolve().parent.parent / "docs"


class UserGuideDialog(QDialog):
    """The guides listed on the left, the chosen one rendered on the right."""

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("spineplan user guide")
        self.setObjectName("UserGuideDialog")
        self.folder = folder or docs_folder()
        self.guides = [(title, self.folder / name) for title, name in GUIDES]
        self.guides = [(title, path) for title, path in self.guides if path.is_file()]

        self.contents = QListWidget(self)
        self.contents.setObjectName("UserGuideContents")
        self.contents.addItems([title for title, _ in self.guides])
        self.contents.setMaximumWidth(260)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("UserGuideText")
        self.browser.setOpenLinks(False)  # .md links open here, web links in the browser
        self.browser.anchorClicked.connect(self._follow)
        self.browser.setSearchPaths([str(self.folder)])

        body = QHBoxLayout()
        body.addWidget(self.contents)
        body.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if self.guides:
            layout.addLayout(body)
        else:
            missing = QLabel(
                f"The user guide was not found in {self.folder}: it is the docs/ folder of "
                "the spineplan source (README.md lists the guides).",
                self,
            )
            missing.setWordWrap(True)
            layout.addWidget(missing)
        layout.addWidget(buttons)
        self.contents.currentRowChanged.connect(self.show_guide)
        if self.guides:
            self.contents.setCurrentRow(0)
        self.resize(1100, 760)

    def show_guide(self, row: int) -> None:
        """Render guide ``row`` of the contents list."""
        if 0 <= row < len(self.guides):
            self._open(self.guides[row][1])

    def _open(self, path: Path, fragment: str = "") -> None:
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.document().setMarkdown(
            path.read_text(encoding="utf-8"), QTextDocument.MarkdownFeature.MarkdownDialectGitHub
        )
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path)))
        self._fit_images()
        # the text cursor, not only the scroll bar, goes to the top: a browser shown for the
        # first time scrolls to its cursor, which setMarkdown leaves at the end of the guide
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)
        if fragment:
            self.browser.scrollToAnchor(fragment)
        else:
            self.browser.verticalScrollBar().setValue(0)

    def _fit_images(self) -> None:
        """Scale the screenshots to the text width (they are 1600 px wide windows)."""
        document = self.browser.document()
        room = max(self.browser.viewport().width() - 2 * document.documentMargin() - 4, 200.0)
        block = document.begin()
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                image = fragment.charFormat().toImageFormat()
                if fragment.isValid() and image.isValid():
                    natural = QImage(str(self.folder_of_document() / image.name()))
                    if not natural.isNull():
                        width = min(float(natural.width()), room)
                        image.setWidth(width)
                        image.setHeight(width * natural.height() / natural.width())
                        cursor = QTextCursor(document)
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(
                            fragment.position() + fragment.length(),
                            QTextCursor.MoveMode.KeepAnchor,
                        )
                        cursor.setCharFormat(image)
                iterator += 1
            block = block.next()

    def folder_of_document(self) -> Path:
        """The folder of the guide shown (image paths are relative to it)."""
        return Path(self.browser.document().baseUrl().toLocalFile()).parent

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_images()

    def _follow(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
            return
        base = self.browser.document().baseUrl()
        target = Path(base.resolved(url).toLocalFile()) if url.isRelative() else None
        if target is None and url.isLocalFile():
            target = Path(url.toLocalFile())
        if target is None or not target.is_file():
            return
        if target.suffix.lower() == ".md":
            rows = [n for n, (_, path) in enumerate(self.guides) if path == target.resolve()]
            if rows:
                self.contents.setCurrentRow(rows[0])  # keeps the list in step
            else:
                self._open(target, url.fragment())
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))
