"""The legend never covers the body or the spine: on every sample case planned, at 1600x1000
and 1280x800, on the sagittal and axial views of both series, the legend's rectangle meets
neither the body (the row-wise hull of the dose engine's 3D body mask, resliced here onto the
view's slice: an outline found independently of the 2D one the views place the legend by) nor
any overlay line drawn; where no corner is free it is compact or a chip that opens on hover.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRectF
from PySide6.QtTest import QTest

import app.viewer.slice_view as slice_view_module
from app.viewer.overlays import ViewContext
from imaging.reslice import slice_array
from planning.case import load_case
from planning.display.label_layout import Box, box_crosses_segments
from planning.dose.radiological_depth import BODY_THRESHOLD_HU, body_mask_from_mr
from tests.app.annotation_helpers import go_to, view_of
from tests.app.test_plan_panel import _case_path, _open_planned
from tests.app.test_truth_screenshots import SIZES

PLANES = ("sagittal", "axial")


@pytest.fixture
def painted(monkeypatch):
    """The context of each overlay paint, by view object id, latest kept."""
    contexts: dict[int, ViewContext] = {}
    original = slice_view_module.paint_overlays

    def keep(painter, model, context):
        original(painter, model, context)
        contexts[id(context.cache)] = context

    monkeypatch.setattr(slice_view_module, "paint_overlays", keep)
    return contexts


def body_rows_on_screen(view, context: ViewContext) -> list[Box]:
    """The body of the view's slice on the screen, one box per pixel row (first to last body
    pixel of the row), from the 3D body mask of the whole volume."""
    volume = view.volume
    if volume.metadata.modality == "CT":
        mask3d = np.asarray(volume.array) > BODY_THRESHOLD_HU
    else:
        mask3d = body_mask_from_mr(volume)
    mask = slice_array(mask3d.astype(np.uint8), context.geometry) > 0
    boxes = []
    for y in np.flatnonzero(mask.any(axis=1)):
        xs = np.flatnonzero(mask[y])
        (x0, y0), (x1, y1) = context.pixel_to_screen(
            np.array([[xs[0] - 0.5, y - 0.5], [xs[-1] + 0.5, y + 0.5]])
        )
        boxes.append(Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)))
    return boxes


def _box(rect: QRectF) -> Box:
    return Box(rect.left(), rect.top(), rect.width(), rect.height())


def _show_plan(qtbot, window, case: int, size) -> None:
    window.resize(*size)
    panel, _ = _open_planned(qtbot, window, case)
    window.plan_dock.raise_()
    window.series_dock.hide()
    # the lesion in the MR's frame (case 4's isocentre is in its planning CT's coordinates)
    go_to(window, np.array(load_case(_case_path(case)).lesion.center_mm))
    assert panel.wait_until_idle()
    qtbot.wait(100)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("case", [1, 2, 3, 4])
def test_the_legend_covers_neither_the_body_nor_a_line(
    qtbot, window, painted, tmp_path, case, size
):
    _show_plan(qtbot, window, case, size)
    assert window.grab().save(str(tmp_path / f"legend-case{case}-{size[0]}x{size[1]}.png"))
    forms = []
    lined = 0
    for panel in range(len(window.viewer.panels)):
        for plane in PLANES:
            view = view_of(window, plane, panel)
            if view.volume is None:
                continue
            view.grab()
            context = painted[id(view.overlay_cache)]
            assert context.shown, (plane, panel)  # the plan's marks are on this view
            legend = context.labels.get("legend")
            assert legend is not None, f"no legend on the {plane} view of panel {panel}"
            forms.append(context.labels["legend_form"])
            body = body_rows_on_screen(view, context)
            # the check can fail: the body is on this view
            assert sum(b.width * b.height for b in body) > 5000, (plane, panel)
            hit = [b for b in body if b.intersects(_box(legend))]
            assert not hit, f"{plane} view of panel {panel}: the legend covers the body"
            lines = [seg for seg in context.lines.values() if len(seg)]
            lined += bool(lines)
            if lines:
                crossed = box_crosses_segments(_box(legend), np.concatenate(lines))
                assert not crossed, f"{plane} view of panel {panel}: the legend hides a line"
    assert len(forms) == 4
    assert lined >= 2  # the field borders, edema limits or isodoses were on some views


def test_a_view_with_no_free_corner_gets_a_chip_that_opens_on_hover(
    qtbot, window, painted, tmp_path
):
    """At 1280x800 the axial reformat of sample case 3 is a strip of body between beam edges:
    the legend is a chip off the body, and the full legend opens while the pointer is on it."""
    _show_plan(qtbot, window, 3, (1280, 800))
    view = view_of(window, "axial")
    view.grab()
    context = painted[id(view.overlay_cache)]
    assert context.labels["legend_form"] == "chip"
    chip = view.legend_chip
    assert chip is not None and chip == context.labels["legend"]
    assert chip.width() < 60 and chip.height() < 20
    assert view.expanded_legend is None
    QTest.mouseMove(view, chip.center().toPoint())
    qtbot.waitUntil(lambda: view.expanded_legend is not None, timeout=2000)
    opened = view.expanded_legend
    assert opened.height() > 4 * chip.height()  # a row per role: the full words
    assert QRectF(view.rect()).contains(opened)
    assert view.grab().save(str(tmp_path / "legend-chip-opened.png"))
    QTest.mouseMove(view, QPoint(2, view.height() - 2))
    qtbot.waitUntil(lambda: view.expanded_legend is None, timeout=2000)


def test_shift_k_opens_the_active_views_chip_and_closes_it_again(qtbot, window, painted):
    """The keyboard's way to the chip (Help > Keyboard shortcuts, docs/viewer.md): Shift+K
    opens the active view's chip into the full legend, which stays open with the pointer
    elsewhere; Shift+K again closes it; a view with its legend written whole says it has no
    chip."""
    from PySide6.QtCore import Qt

    from app.help_dialogs import ShortcutsDialog

    _show_plan(qtbot, window, 3, (1280, 800))
    axial = view_of(window, "axial")
    axial.grab()
    assert axial.legend_chip is not None
    window.viewer.set_active_view(axial)
    axial.setFocus()
    QTest.mouseMove(axial, QPoint(2, axial.height() - 2))  # the pointer off the chip
    shift = Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(axial, Qt.Key.Key_K, shift)
    qtbot.waitUntil(lambda: axial.expanded_legend is not None, timeout=2000)
    assert axial.expanded_legend.height() > 4 * axial.legend_chip.height()
    status = window.statusBar()
    assert status.currentMessage() == (
        "The legend of the active axial view is open (Shift+K again closes it)"
    )
    QTest.mouseMove(axial, QPoint(3, axial.height() - 3))  # moving the pointer keeps it open
    axial.grab()
    assert axial.expanded_legend is not None
    qtbot.keyClick(axial, Qt.Key.Key_K, shift)
    qtbot.waitUntil(lambda: axial.expanded_legend is None, timeout=2000)
    assert status.currentMessage() == "The legend of the active axial view is closed to its chip"
    # the large sagittal view writes its legend whole: nothing to open, and said so
    sagittal = view_of(window, "sagittal")
    sagittal.grab()
    assert sagittal.legend_chip is None and painted[id(sagittal.overlay_cache)].shown
    window.viewer.set_active_view(sagittal)
    qtbot.keyClick(sagittal, Qt.Key.Key_K, shift)
    assert status.currentMessage().startswith("The active sagittal view has no legend chip to open")
    assert sagittal.expanded_legend is None
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    rows = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "Shift+K" in rows


def test_the_legend_off_leaves_no_chip(qtbot, window, painted):
    _show_plan(qtbot, window, 3, (1280, 800))
    view = view_of(window, "axial")
    view.grab()
    assert view.legend_chip is not None
    window.viewer.set_show_legend(False)
    view.grab()
    assert view.legend_chip is None
    assert painted[id(view.overlay_cache)].labels.get("legend") is None
    QTest.mouseMove(view, QPoint(view.width() - 20, 12))
    view.grab()
    assert view.expanded_legend is None


def test_too_narrow_for_the_words_the_legend_shortens_them_then_collapses(qtbot):
    from PySide6.QtGui import QFont

    from app.viewer.legend import legend_rows, place_legend
    from planning.display import palette
    from planning.display.body_region import BodyRegion, ScreenMapping

    rows = legend_rows([palette.LESION, palette.EDEMA, palette.FIELD_BORDER, palette.ISODOSE_95])
    font = QFont()
    wide = place_legend(font, rows, QRectF(0, 0, 300, 400))
    assert wide is not None and wide.form == "full"
    narrow = place_legend(font, rows, QRectF(0, 0, wide.box.width() - 10, 400))
    assert narrow is not None and narrow.form == "compact"
    assert narrow.box.width() < wide.box.width() - 18
    # a body filling all but a 20 px band at the top: only the chip fits above it
    body = BodyRegion(np.ones((10, 10), bool), ScreenMapping(30.0, 36.0, 15.0, 48.0))
    chip = place_legend(font, rows, QRectF(0, 0, 300, 400), body=body)
    assert chip is not None and chip.form == "chip"
    assert not body.covers(_box(chip.box))
    # the body everywhere: no legend rather than one on the body
    assert (
        place_legend(
            font,
            rows,
            QRectF(0, 0, 300, 400),
            body=BodyRegion(np.ones((10, 10), bool), ScreenMapping(30.0, 40.0, 15.0, 20.0)),
        )
        is None
    )
