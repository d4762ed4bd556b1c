"""Help > User guide: the docs/ guides rendered in a dialog, links between them followed."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QLabel

from app.user_guide import GUIDES, UserGuideDialog, docs_folder


def test_every_guide_is_listed_and_rendered(qtbot, window) -> None:
    window.actions_by_id["user_guide"].trigger()
    dialog = window.user_guide
    assert isinstance(dialog, UserGuideDialog) and dialog.isVisible()
    assert [dialog.contents.item(n).text() for n in range(dialog.contents.count())] == [
        title for title, _ in GUIDES
    ]
    for row, (_, name) in enumerate(GUIDES):
        dialog.contents.setCurrentRow(row)
        heading = (docs_folder() / name).read_text(encoding="utf-8").splitlines()[0]
        text = dialog.browser.toPlainText()
        # the Markdown is rendered (no "#" left), starting with the guide's own title
        assert text.startswith(heading.lstrip("# ").replace("`", "")), name
    window.actions_by_id["user_guide"].trigger()
    assert window.user_guide is dialog  # one dialog, shown again


def test_screenshots_fit_the_text_width(qtbot, window) -> None:
    dialog = UserGuideDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.contents.setCurrentRow(0)  # the viewer guide opens with a 1600 px screenshot
    document = dialog.browser.document()
    widths = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            image = iterator.fragment().charFormat().toImageFormat()
            if image.isValid():
                widths.append(image.width())
            iterator += 1
        block = block.next()
    assert widths and all(0 < w <= dialog.browser.viewport().width() for w in widths)


def test_a_link_to_another_guide_opens_it_in_the_dialog(qtbot, window) -> None:
    dialog = UserGuideDialog(window)
    qtbot.addWidget(dialog)
    dialog.contents.setCurrentRow([name for _, name in GUIDES].index("practice.md"))
    dialog.browser.anchorClicked.emit(QUrl("plan_panel.md"))
    assert dialog.contents.currentItem().text() == "The Plan panel"
    assert dialog.browser.toPlainText().startswith("The Plan panel")


def test_without_the_docs_folder_the_dialog_says_where_they_are(qtbot, tmp_path) -> None:
    dialog = UserGuideDialog(None, folder=tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.contents.count() == 0
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any(f"not found in {tmp_path}" in text for text in texts)
