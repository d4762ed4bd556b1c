"""Text on the views stays readable: labels inside the view, never over one another, shortened
when the view is narrow; the series header never widens the window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from app.annotation.overlays import LevelNamesOverlay
from app.viewer.overlays import HeightLineOverlay, ViewContext, place_label
from tests.app.test_overlays import sagittal_volume


@pytest.fixture
def painter():
    image = QImage(400, 300, QImage.Format.Format_RGB32)
    active = QPainter(image)
    font = QFont()
    font.setPointSizeF(10.0)
    active.setFont(font)
    yield active
    active.end()


def bare_context(view_rect: QRectF, image_rect: QRectF) -> ViewContext:
    """A context for the label layout alone (no image is sampled)."""
    return ViewContext(
        geometry=None,  # type: ignore[arg-type]
        volume=None,  # type: ignore[arg-type]
        pixel_to_screen=lambda xy: xy,
        image_rect=image_rect,
        screen_px_per_mm=1.0,
        view_rect=view_rect,
    )


LABEL = "superior border: middle of the T8-9 disc"
SHORT = "sup. border T9"


def test_a_label_stays_inside_the_view_when_the_image_edge_is_off_screen(painter):
    # zoomed in: the image starts 500 px left of the view
    context = bare_context(QRectF(0, 0, 400, 300), QRectF(-500, -100, 1400, 600))
    point, text = place_label(painter, context, [LABEL, SHORT], 100.0)
    assert text == LABEL
    assert point.x() >= 0 and point.x() + painter.fontMetrics().horizontalAdvance(text) <= 400
    assert context.occupied and context.occupied[0].contains(point.x() + 1, 95)


def test_a_label_goes_around_the_text_already_there_and_shortens_when_narrow(painter):
    metrics = painter.fontMetrics()
    context = bare_context(QRectF(0, 0, 400, 300), QRectF(0, 0, 400, 300))
    names = QRectF(60, 90, 30, 16)  # level names written at the label's height
    context.occupied.append(names)
    point, text = place_label(painter, context, [LABEL, SHORT], 100.0)
    assert point.x() > names.right()  # the left stretch is too short: right of the names
    assert text == LABEL and point.x() + metrics.horizontalAdvance(text) <= 400

    narrow = bare_context(QRectF(0, 0, 130, 300), QRectF(0, 0, 130, 300))
    assert place_label(painter, narrow, [LABEL, SHORT], 100.0)[1] == SHORT
    tiny = bare_context(QRectF(0, 0, 70, 300), QRectF(0, 0, 70, 300))
    point, text = place_label(painter, tiny, [LABEL, SHORT], 100.0)
    assert text.endswith("…") and metrics.horizontalAdvance(text) <= 70
    none = bare_context(QRectF(0, 0, 20, 300), QRectF(0, 0, 20, 300))
    assert place_label(painter, none, [LABEL, SHORT], 100.0) is None


def test_two_labels_at_one_height_do_not_overlap_and_right_labels_keep_right(painter):
    context = bare_context(QRectF(0, 0, 400, 300), QRectF(0, 0, 400, 300))
    place_label(painter, context, "edema superior", 100.0)
    point, _ = place_label(painter, context, "ref. edema superior", 100.0, prefer="right")
    first, second = context.occupied
    assert not first.intersects(second)
    assert second.right() == pytest.approx(396, abs=1) and point.x() > first.right()
    # a label near the top edge is moved down into the view, not cut off
    point, _ = place_label(painter, context, "inferior border", 2.0)
    assert point.y() - painter.fontMetrics().ascent() >= 0


@pytest.fixture
def shown(window):
    volume = sagittal_volume()
    window.volumes["sag"] = volume
    window.show_series("sag", 0)
    window.viewer.set_point(np.array([0.0, 0.0, 0.0]))
    return window, volume


def view_context(view) -> ViewContext:
    """The context the view builds for a paint, with its corner text reserved."""
    view.grab()  # lays out the corner text
    return ViewContext(
        geometry=view.geometry_,
        volume=view.volume,
        pixel_to_screen=view.pixel_to_screen,
        image_rect=view.image_rect(),
        screen_px_per_mm=view.screen_px_per_mm(),
        view_rect=QRectF(view.rect()),
        occupied=list(view._reserved),
    )


def level_names(y_mm: float, color: str, z_step_mm: float = 4.0) -> LevelNamesOverlay:
    """Names of bodies every ``z_step_mm`` at the anterior-posterior position ``y_mm``."""
    zs = np.arange(50.0, -50.0, -z_step_mm)
    return LevelNamesOverlay(
        name="Level names",
        points_mm=np.array([[0.0, y_mm, z] for z in zs]),
        texts=[f"T{n + 1}" for n in range(len(zs))],
        color=QColor(color),
        half_heights_mm=np.full(len(zs), 2.0),
    )


def placed_boxes(painter, context, item) -> list[QRectF]:
    before = len(context.occupied)
    item.reserve(painter, context)
    return context.occupied[before:]


@pytest.mark.parametrize("plane", ["sagittal", "coronal"])
def test_level_names_never_overlap_each_other_nor_the_view_text(qtbot, shown, plane):
    window, _ = shown
    view = window.viewer.panels[0].view_for(plane)
    context = view_context(view)
    reserved = list(context.occupied)
    image = QImage(view.width(), view.height(), QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        mine = level_names(0.0, "#ffd23f")
        boxes = placed_boxes(painter, context, mine)
        # dense bodies (4 mm apart): some names are left out rather than written over others
        assert 0 < len(boxes) <= len(mine.texts)
        theirs = level_names(-5.0, "#d78cff")  # a second annotation (the reference), in front
        boxes += placed_boxes(painter, context, theirs)
    finally:
        painter.end()
    view_rect = QRectF(view.rect())
    for n, box in enumerate(boxes):
        assert view_rect.contains(box)
        assert not any(box.intersects(r) for r in reserved)  # letters, corner text, scale
        assert not any(box.intersects(other) for other in boxes[n + 1 :])
    if plane == "sagittal":  # never written over the canal and cord, right of the bodies
        x = view.patient_to_screen(np.array([0.0, 0.0, 0.0])).x()
        assert all(box.right() < x for box in boxes[: len(context.labels[id(mine)])])


def test_a_height_label_of_a_zoomed_view_is_written_inside_it(qtbot, shown):
    window, _ = shown
    overlays = window.viewer.overlays
    overlays.add(
        HeightLineOverlay(name="Edema", z_mm=10.0, label="ref. edema inferior", color=QColor("red"))
    )
    view = window.viewer.panels[0].view_for("sagittal")
    point = np.array([0.0, 40.0, 10.0])  # far posterior: zooming there puts the image's
    for _ in range(4):  # anterior (left) edge off screen
        view.zoom_by(1.6, view.patient_to_screen(point))
    assert view.image_rect().left() < -50
    image = view.grab().toImage()
    y = round(view.patient_to_screen(point).y()) - 8
    reds = [
        x
        for x in range(0, 60)
        if (c := image.pixelColor(x, y)).red() > 200 and c.green() < 80 and c.blue() < 80
    ]
    assert reds and min(reds) >= 2  # the label starts inside the view, at its left edge


def test_a_narrow_panel_keeps_the_series_name_and_drops_details_from_its_header(qtbot, shown):
    window, _ = shown
    panel = window.viewer.panels[0]
    assert "MR" in panel.header.text() and "W/L:" in panel.header.text()
    window.resize(800, 700)
    qtbot.wait(50)
    panel.resize(260, panel.height())
    panel._fit_header()
    text = panel.header.text()
    assert "SAG T1 +C" in text and "100×120×11" not in text
    assert "100×120×11" in panel.header.toolTip()  # the whole line stays in the tooltip
    # the header never sets the panel's (and so the window's) minimum width
    assert panel.minimumSizeHint().width() < 300
