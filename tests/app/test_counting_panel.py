"""The Levels panel while labelling (issue 16, item 9): the view highlights the body just
selected, and the counting check offers the anchors a thoracolumbar study shows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton

from tests.app.annotation_helpers import click, go_to, view_of
from tests.app.conftest import open_and_wait
from tests.app.test_annotation_gui import centre_mm, label_three, t1

WHITE = QColor("#ffffff")


def _highlighted(window) -> list[str]:
    """The level names drawn in the highlight colour on the views."""
    item = next(i for i in window.viewer.overlays.items() if i.name == "Level names")
    return [text for text, color in zip(item.texts, item.colors, strict=True) if color == WHITE]


def test_the_view_highlights_the_body_just_labelled_and_the_one_chosen(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    annotation.activate_tool("tool_levels")
    centre = centre_mm(t1(window))
    go_to(window, centre)
    sagittal = view_of(window)
    for z, name in ((centre[2] + 20, "C2"), (centre[2], "C3"), (centre[2] - 20, "C4")):
        click(sagittal, (centre[0], centre[1], z))
        assert annotation.levels_panel.selected_name() == name
        assert _highlighted(window) == [name]  # not the body before it
    # clicking inside a labelled body selects it, in the list and on the view
    click(sagittal, (centre[0], centre[1], centre[2] + 20))
    assert annotation.levels_panel.selected_name() == "C2"
    assert _highlighted(window) == ["C2"]
    # choosing a row in the list highlights it too
    panel = annotation.levels_panel
    panel.list.setCurrentRow(1)
    assert _highlighted(window) == ["C3"]


def test_a_thoracolumbar_count_from_the_rib_and_lumbar_anchors(qtbot, window, study):
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    panel = annotation.levels_panel
    panel.first_name.setCurrentText("T11")
    label_three(window, qtbot)
    assert [lv.name for lv in annotation.document.case.levels] == ["T11", "T12", "L1"]
    buttons = {b.text() for b in panel.counting_box.findChildren(QPushButton)}
    assert {"Lowest rib", "First lumbar", "Conus tip"} <= buttons

    def anchor(level: str, button: str) -> None:
        annotation.select_level(level)
        qtbot.mouseClick(
            panel.counting_box.findChild(QPushButton, f"Anchor_{button}"), Qt.MouseButton.LeftButton
        )

    anchor("T12", "lowest_rib")
    sentence = panel.sentence.text()
    assert "Counted without C2 or S1 in view" in sentence
    assert "The lowest rib-bearing body is labelled T12." in sentence
    assert "Confidence in the count: unconfirmed" in sentence
    anchor("L1", "first_lumbar")
    assert "Confidence in the count: probable" in panel.sentence.text()
    anchor("L1", "conus_tip")
    assert "The conus tip lies opposite the L1 body" in panel.sentence.text()
    assert "lowest rib at z" in panel.anchors_label.text()
    assert "conus tip at z" in panel.anchors_label.text()
    # a miscount: the rib anchor moved to L1 puts the labels in doubt
    anchor("L1", "lowest_rib")
    text = panel.sentence.text()
    assert "Confidence in the count: in doubt" in text
    assert "usually T12" in text
    # undo brings the previous anchors back
    window.actions_by_id["undo"].trigger()
    assert "Confidence in the count: probable" in panel.sentence.text()


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_setting_an_anchor_moves_no_counting_button(qtbot, window, study, size):
    """The anchors sentence grows as anchors are set; the buttons stay where the user's next
    click goes (they used to rise by the sentence's new lines)."""
    window.resize(*size)
    assert open_and_wait(qtbot, window, study.folder) == "done"
    annotation = window.annotation
    panel = annotation.levels_panel
    panel.first_name.setCurrentText("T11")
    label_three(window, qtbot)
    buttons = panel.counting_box.findChildren(QPushButton)
    assert len(buttons) == 6  # five anchors and Clear

    def places() -> dict[str, QRect]:
        return {b.text(): QRect(b.mapTo(window, QPoint(0, 0)), b.size()) for b in buttons}

    annotation.select_level("T12")
    qtbot.wait(10)  # the layout as the user sees it before the click
    before = places()
    lines_before = panel.sentence.height() + panel.anchors_label.height()
    for level, kind in (("T12", "lowest_rib"), ("L1", "first_lumbar"), ("L1", "conus_tip")):
        annotation.select_level(level)
        qtbot.mouseClick(
            panel.counting_box.findChild(QPushButton, f"Anchor_{kind}"), Qt.MouseButton.LeftButton
        )
        qtbot.wait(10)  # let the layout settle as a user's next click would find it
        assert panel.anchors_label.text().startswith("Anchors: ")
        assert places() == before, kind
    # the check can fail: the text below the buttons did grow
    assert panel.sentence.height() + panel.anchors_label.height() > lines_before
    # every word of it can be read: it fits its place or scrolls there, it is never cut
    text = panel.counting_text
    room = text.viewport().height()
    assert text.widget().height() <= room or text.verticalScrollBar().maximum() > 0
