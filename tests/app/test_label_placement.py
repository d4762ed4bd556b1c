"""Labels on the views are never crossed by another line nor written over another label, and
each view names what it draws in a legend (issue 16, items 7 and 8).

The views are painted for real; a wrapper around the view's `paint_overlays` keeps each paint's
context, whose ``occupied`` list holds every label's rectangle. The lines are projected here from
the items' own patient coordinates, independently of the overlay code.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from PySide6.QtCore import QRectF

import app.viewer.slice_view as slice_view_module
from app.viewer.colours import qcolor
from app.viewer.overlays import (
    ContourLevel,
    ContourOverlay,
    HeightLineOverlay,
    PolylineOverlay,
    ViewContext,
)
from imaging.volume import Volume
from planning.display import palette
from planning.display.label_layout import Box, box_crosses_segments
from tests.app.test_overlays import FRAME, shown  # noqa: F401  (the fixture)

EDEMA_Z_MM = 20.0


@pytest.fixture
def painted(monkeypatch):
    """The context of each overlay paint of the sagittal view, latest last."""
    contexts: list[ViewContext] = []
    original = slice_view_module.paint_overlays

    def keep(painter, model, context):
        original(painter, model, context)
        if context.geometry.plane == "sagittal":
            contexts.append(context)

    monkeypatch.setattr(slice_view_module, "paint_overlays", keep)
    return contexts


def _height_line_segment(context: ViewContext, z_mm: float) -> np.ndarray:
    centre = context.geometry.center_mm.copy()
    centre[2] = z_mm
    y = float(context.to_screen(centre[None])[0, 1])
    rect = context.image_rect
    return np.array([[rect.left(), y, rect.right(), y]])


def _box(rect: QRectF) -> Box:
    return Box(rect.left(), rect.top(), rect.width(), rect.height())


def _labels_near(context: ViewContext, y: float) -> list[Box]:
    return [_box(r) for r in context.occupied if abs(r.center().y() - y) < 20]


def test_an_edema_label_is_crossed_neither_by_a_beam_edge_nor_by_the_107_line(
    shown,  # noqa: F811
    painted,
    qtbot,
):
    window, volume = shown
    model = window.viewer.overlays
    # a beam edge down the front of the view, where the label would start
    edge_y_mm = -44.0
    beam_edge = PolylineOverlay(
        name="beam edge",
        points_mm=np.array([[0.0, edge_y_mm, 70.0], [0.0, edge_y_mm, -70.0]]),
        color=qcolor(palette.BEAM_EDGE),
        role=palette.BEAM_EDGE,
        frame_of_reference_uid=FRAME,
    )
    # a 107 % line 2 mm above the edema limit, across the whole view: in the label's band
    z = volume.index_to_patient(np.argwhere(np.ones(volume.array.shape, bool)))[:, 2]
    dose = Volume(z.reshape(volume.array.shape).astype(np.float32), volume.affine, volume.metadata)
    isodose = ContourOverlay(
        name="Isodose 107 %",
        volume=dose,
        levels=[
            ContourLevel(EDEMA_Z_MM + 2.0, qcolor(palette.ISODOSE_107), "", palette.ISODOSE_107)
        ],
        color=qcolor(palette.ISODOSE_107),
        role=palette.ISODOSE_107,
        frame_of_reference_uid=FRAME,
    )
    edema = HeightLineOverlay(
        name="Edema superior limit",
        z_mm=EDEMA_Z_MM,
        label="edema superior",
        dashed=True,
        color=qcolor(palette.EDEMA),
        role=palette.EDEMA,
        frame_of_reference_uid=FRAME,
    )
    model.extend([beam_edge, isodose, edema])
    view = window.viewer.panels[0].view_for("sagittal")
    view.grab()
    context = painted[-1]
    edge = context.to_screen(np.array([[0.0, edge_y_mm, 70.0], [0.0, edge_y_mm, -70.0]]))
    edge_segments = edge.reshape(1, 4)
    isodose_segments = _height_line_segment(context, EDEMA_Z_MM + 2.0)
    edema_y = float(_height_line_segment(context, EDEMA_Z_MM)[0, 1])
    labels = _labels_near(context, edema_y)
    assert len(labels) == 1, labels
    label = labels[0]
    # the check can fail: the label is as wide as the text and next to its line
    assert label.width > 40
    assert min(abs(label.bottom - edema_y), abs(label.top - edema_y)) < 20
    assert not box_crosses_segments(label, edge_segments)
    assert not box_crosses_segments(label, isodose_segments)
    # the view's legend names the three roles it drew, and only them
    assert {r.key for r in context.shown} == {"isodose_107", "edema", "beam_edge"}


def test_border_and_edema_labels_never_overlap(shown, painted, qtbot):  # noqa: F811
    """Field borders and edema limits a few millimetres apart: every label finds its own place."""
    window, _ = shown
    model = window.viewer.overlays
    items = []
    for n, (z_mm, words, role) in enumerate(
        (
            (22.0, "superior border: middle of the T7-8 disc", palette.FIELD_BORDER),
            (20.0, "edema superior", palette.EDEMA),
            (18.5, "ref. superior border: T7", palette.REFERENCE_BORDER),
            (17.0, "ref. edema superior", palette.REFERENCE_EDEMA),
        )
    ):
        items.append(
            HeightLineOverlay(
                name=f"line {n}",
                z_mm=z_mm,
                label=words,
                color=qcolor(role),
                role=role,
                label_side="right" if words.startswith("ref.") else "left",
                frame_of_reference_uid=FRAME,
            )
        )
    model.extend(items)
    view = window.viewer.panels[0].view_for("sagittal")
    view.grab()
    context = painted[-1]
    ys = [float(_height_line_segment(context, item.z_mm)[0, 1]) for item in items]
    lines = np.concatenate([_height_line_segment(context, item.z_mm) for item in items])
    labels = [_box(r) for r in context.occupied if min(abs(r.center().y() - y) for y in ys) < 25]
    assert len(labels) >= 4
    for a, b in combinations(labels, 2):
        assert not a.intersects(b), (a, b)
    for label in labels:
        assert not box_crosses_segments(label, lines), label


def test_the_legend_names_what_the_view_drew_in_a_free_corner(shown, painted, qtbot):  # noqa: F811
    window, _ = shown
    model = window.viewer.overlays
    model.add(
        HeightLineOverlay(
            name="Edema superior limit",
            z_mm=EDEMA_Z_MM,
            color=qcolor(palette.EDEMA),
            role=palette.EDEMA,
            frame_of_reference_uid=FRAME,
        )
    )
    view = window.viewer.panels[0].view_for("sagittal")
    image = view.grab().toImage()
    context = painted[-1]
    assert [r.key for r in context.shown] == ["edema"]
    legend = legend_box(context)
    # clear of the corner text written before it
    assert legend is not None
    assert all(not legend.intersects(r) for r in context.occupied if r is not legend)
    # one row: the edema's swatch in its colour, inside the box
    swatch = [
        image.pixelColor(x, y)
        for x in range(int(legend.left()), int(legend.right()))
        for y in range(int(legend.top()), int(legend.bottom()))
    ]
    assert any(c == qcolor(palette.EDEMA) for c in swatch)
    assert not any(c == qcolor(palette.LESION) for c in swatch)
    assert legend.height() < 2.5 * 14 + 10  # one row
    # View > legend off: no legend box
    window.viewer.set_show_legend(False)
    view.grab()
    assert legend_box(painted[-1]) is None


def legend_box(context: ViewContext) -> QRectF | None:
    """The legend's rectangle in that paint (None: not drawn)."""
    return context.labels.get("legend")


def test_the_legend_keeps_off_the_isodoses_when_every_corner_covers_the_image(qtbot):
    """A narrow axial view: the image fills the view's width, so every place covers it alike;
    the legend used to take the first corner (bottom left) over the isodoses drawn there."""
    from PySide6.QtGui import QImage, QPainter

    from app.viewer.legend import legend_rows, place_legend

    canvas = QImage(170, 380, QImage.Format.Format_ARGB32)
    painter = QPainter(canvas)
    try:
        font = painter.font()
        rows = legend_rows([palette.LESION, palette.BEAM_EDGE, palette.ISODOSE_95])
        region = QRectF(0, 0, 170, 380)
        first = place_legend(font, rows, region, [], region)
        assert first is not None and first.form == "full"
        # an isodose ring round the lesion where the legend goes when nothing is drawn
        centre = first.box.center()
        angles = np.linspace(0, 2 * np.pi, 41)
        ring = np.stack([centre.x() + 30 * np.cos(angles), centre.y() + 25 * np.sin(angles)], 1)
        marks = np.concatenate([ring[:-1], ring[1:]], axis=1)
        assert box_crosses_segments(_box(first.box), marks)  # the old place
        placed = place_legend(font, rows, region, [], region, marks)
        assert placed is not None and not box_crosses_segments(_box(placed.box), marks)
        assert placed.form == "full"
        # with nothing drawn it stays in its corner
        assert place_legend(font, rows, region, [], region, np.zeros((0, 4))) == first
    finally:
        painter.end()
