"""Overlay labels keep clear of the view's own text on the planned sample case 3.

A short border label ("sup.: T9") beside a line at the height of the sagittal view's middle
must not be written over the orientation letter there ("A", "P"), nor any label over the "S"
and "I" letters or the corner text. The views are painted for real at two window sizes; a
wrapper around the view's `paint_overlays` keeps the boxes the labels claimed, and the view's
text boxes come from the view's own text layout.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

import app.viewer.slice_view as slice_view_module
from app.viewer.view_text import LETTER_COLOR
from tests.app.test_plan_panel import _open_planned

#: a label this close to a letter (px) shows the letter was in its way
CONTESTED_PX = 6.0


@pytest.fixture
def claimed(monkeypatch):
    """For each overlay paint: the boxes claimed by overlay labels in it (not the view's
    reserved text), latest last."""
    paints: list[list[QRectF]] = []
    original = slice_view_module.paint_overlays

    def keep(painter, model, context):
        reserved = len(context.occupied)
        original(painter, model, context)
        paints.append(list(context.occupied[reserved:]))

    monkeypatch.setattr(slice_view_module, "paint_overlays", keep)
    return paints


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_no_label_on_the_sagittal_views_covers_a_letter_or_the_corner_text(
    qtbot, window, claimed, size
):
    window.resize(*size)
    _open_planned(qtbot, window, 3)
    model = window.viewer.overlays
    contested = 0
    for panel in window.viewer.panels:
        view = panel.view_for("sagittal")
        claimed.clear()
        # a fresh paint: the view's cached layer skips the overlays when nothing changed
        # since it last painted (under load it may have painted while the plan was awaited)
        model.changed_item(next(iter(model.items())))
        view.grab()
        labels = claimed[-1]
        texts = view._annotation_texts()
        letters = [t for t in texts if t.color == LETTER_COLOR]
        assert sorted(t.text for t in letters) == ["A", "I", "P", "S"]
        assert len(labels) > 10  # level names, border and edema labels, the legend
        for text in texts:
            for label in labels:
                assert not text.box.intersects(label), (text.text, text.box, label)
        # the check can fail: a label stands right beside a mid-edge letter
        contested += sum(
            letter.box.adjusted(
                -CONTESTED_PX, -CONTESTED_PX, CONTESTED_PX, CONTESTED_PX
            ).intersects(label)
            for letter in letters
            for label in labels
        )
    assert contested
