"""The overlay API and mouse tools, on views of volumes built in code (no DICOM needed)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from app.viewer.overlays import (
    ContourLevel,
    ContourOverlay,
    HeightLineOverlay,
    LabelOverlay,
    MaskOverlay,
    PolylineOverlay,
)
from app.viewer.rendering import Window
from app.viewer.tools import PatientMouseEvent, ViewTool
from imaging.volume import SeriesMetadata, Volume

FRAME = "1.2.3.4"


def sagittal_volume() -> Volume:
    """A grey sagittal series: 11 slices along x (3 mm), rows inferior (1 mm), cols posterior."""
    affine = np.eye(4)
    affine[:3, 0] = (0.0, 1.0, 0.0)
    affine[:3, 1] = (0.0, 0.0, -1.0)
    affine[:3, 2] = (3.0, 0.0, 0.0)
    affine[:3, 3] = (-15.0, -50.0, 60.0)
    array = np.full((11, 120, 100), 100, dtype=np.int16)
    meta = SeriesMetadata(
        modality="MR", series_description="SAG T1 +C", frame_of_reference_uid=FRAME
    )
    return Volume(array, affine, meta)


@pytest.fixture
def shown(window):
    volume = sagittal_volume()
    window.volumes["sag"] = volume
    window.show_series("sag", 0)
    window.viewer.set_point(np.array([0.0, 0.0, 0.0]))
    window.viewer.set_show_crosshair(False)  # keep the crosshair lines off the sampled pixels
    window.viewer.panels[0].set_window(Window(100.0, 200.0))  # grey 100 -> mid grey
    return window, volume


def color_at(view, point: QPointF) -> QColor:
    image = view.grab().toImage()
    return image.pixelColor(round(point.x()), round(point.y()))


def is_reddish(color: QColor) -> bool:
    return color.red() > 150 and color.green() < 100 and color.blue() < 100


def test_label_is_drawn_at_its_patient_point_on_every_plane(shown):
    window, _ = shown
    label = LabelOverlay(
        name="C4",
        point_mm=(0.0, 10.0, -20.0),
        text="C4",
        color=QColor("#ff0000"),
        max_distance_mm=5.0,
    )
    window.viewer.overlays.add(label)
    sagittal = window.viewer.panels[0].view_for("sagittal")
    at = sagittal.patient_to_screen(np.array(label.point_mm))
    assert is_reddish(color_at(sagittal, at))  # the marker dot
    # the axial view shows it only when its slice is within 5 mm of the label
    axial = window.viewer.panels[0].view_for("axial")
    at_axial = axial.patient_to_screen(np.array(label.point_mm))
    assert not is_reddish(color_at(axial, at_axial))
    window.viewer.set_point(np.array([0.0, 0.0, -20.0]))
    assert is_reddish(color_at(axial, axial.patient_to_screen(np.array(label.point_mm))))


def test_mask_on_another_grid_is_semi_transparent_on_the_views(shown):
    window, _ = shown
    mask_affine = np.diag([0.5, 0.5, 0.5, 1.0])
    mask_affine[:3, 3] = (-10.0, -10.0, -10.0)
    k, j, i = np.mgrid[0:40, 0:40, 0:40]
    xyz = np.stack([i, j, k], -1) * 0.5 - 10.0
    sphere = np.linalg.norm(xyz - (0.0, 0.0, 0.0), axis=-1) <= 6.0
    mask = Volume(sphere, mask_affine, SeriesMetadata(frame_of_reference_uid=FRAME))
    item = window.viewer.overlays.add(
        MaskOverlay(name="Lesion", mask=mask, color=QColor("#ff0000"), opacity=0.5, outline=False)
    )
    for view in window.viewer.views():
        centre = view.patient_to_screen(np.zeros(3))
        color = color_at(view, centre + QPointF(8, 8))  # off the crosshair lines
        assert color.red() > color.green() + 40, view.plane  # grey 100 tinted red
        assert color.green() > 10  # semi-transparent: the image shows through
    window.viewer.overlays.set_visible(item, False)
    sagittal = window.viewer.panels[0].view_for("sagittal")
    color = color_at(sagittal, sagittal.patient_to_screen(np.zeros(3)) + QPointF(8, 8))
    assert abs(color.red() - color.green()) < 10
    # the Layers panel lists the item with its visibility
    assert window.layers.item(0).text() == "Lesion"
    assert window.layers.item(0).checkState() == Qt.CheckState.Unchecked


def test_polyline_rectangle_and_height_line_in_patient_mm(shown):
    window, _ = shown
    overlays = window.viewer.overlays
    border = overlays.add(
        HeightLineOverlay(name="Superior border", z_mm=30.0, color=QColor("#00ff00"), label="sup")
    )
    field = overlays.add(
        PolylineOverlay.rectangle(
            (0.0, 0.0, 0.0),
            (0, 1, 0),
            (0, 0, 1),
            20.0,
            30.0,
            name="Field",
            color=QColor("#0000ff"),
            planes=frozenset({"sagittal"}),
            width_px=3,
        )
    )
    sagittal = window.viewer.panels[0].view_for("sagittal")
    axial = window.viewer.panels[0].view_for("axial")
    line_y = sagittal.patient_to_screen(np.array([0.0, 0.0, 30.0])).y()
    # a 2 px antialiased line at a fractional height: full colour on one of the rows it covers
    assert (
        max(
            color_at(sagittal, QPointF(sagittal.width() * 0.3, line_y + dy)).green()
            for dy in (-0.5, 0.0, 0.5)
        )
        > 200
    )
    corner = sagittal.patient_to_screen(np.array([0.0, 20.0, -30.0]))
    edge = QPointF(corner.x(), corner.y() - 40)  # on the posterior edge of the rectangle
    assert color_at(sagittal, edge).blue() > 200
    assert field.planes == frozenset({"sagittal"})
    # neither is drawn on the axial view
    assert color_at(axial, axial.patient_to_screen(np.array([0.0, 20.0, 0.0]))).blue() < 200
    assert border.applies_to is not None


def test_isodose_contours_follow_the_scalar_volume(shown):
    window, _ = shown
    dose_affine = np.diag([2.0, 2.0, 2.0, 1.0])
    dose_affine[:3, 3] = (-40.0, -40.0, -40.0)
    k, j, i = np.mgrid[0:41, 0:41, 0:41]
    xyz = np.stack([i, j, k], -1) * 2.0 - 40.0
    dose = Volume((100.0 - 2.0 * np.linalg.norm(xyz, axis=-1)).astype(np.float32), dose_affine)
    window.viewer.overlays.add(
        ContourOverlay(
            name="Isodoses",
            volume=dose,
            width_px=3,
            levels=[
                ContourLevel(95.0, QColor("#ff0000"), "95%"),
                ContourLevel(50.0, QColor("#00ffff"), "50%"),
            ],
        )
    )
    sagittal = window.viewer.panels[0].view_for("sagittal")
    # 95 % lies 2.5 mm from the centre, 50 % at 25 mm
    at_95 = sagittal.patient_to_screen(np.array([0.0, 0.0, 2.5]))
    at_50 = sagittal.patient_to_screen(np.array([0.0, 25.0, 0.0]))
    assert is_reddish(color_at(sagittal, at_95))
    c50 = color_at(sagittal, at_50)
    assert c50.green() > 180 and c50.blue() > 180 and c50.red() < 100


def test_a_tool_receives_clicks_and_drags_in_patient_mm(shown):
    window, _ = shown
    received: list[tuple[str, PatientMouseEvent]] = []

    class Recorder(ViewTool):
        name = "recorder"

        def press(self, event):
            received.append(("press", event))
            return True

        def move(self, event):
            received.append(("move", event))
            return True

        def release(self, event):
            received.append(("release", event))
            return True

    window.viewer.set_tool(Recorder())
    sagittal = window.viewer.panels[0].view_for("sagittal")
    point_before = window.viewer.point_mm.copy()
    start, end = QPoint(200, 150), QPoint(230, 190)
    QTest.mousePress(sagittal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(sagittal, end)
    QTest.mouseRelease(sagittal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    kinds = [kind for kind, _ in received]
    assert kinds[0] == "press" and kinds[-1] == "release" and "move" in kinds
    press = received[0][1]
    np.testing.assert_allclose(press.position_mm, sagittal.screen_to_patient(QPointF(start)))
    assert press.plane == "sagittal"
    np.testing.assert_allclose(
        received[-1][1].position_mm, sagittal.screen_to_patient(QPointF(end))
    )
    np.testing.assert_array_equal(window.viewer.point_mm, point_before)  # tool consumed it
    window.viewer.set_tool(None)
    QTest.mouseClick(sagittal, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert not np.allclose(window.viewer.point_mm, point_before)


def test_overlay_of_another_frame_of_reference_is_not_drawn(shown):
    window, _ = shown
    label = LabelOverlay(
        name="other",
        point_mm=(0.0, 10.0, -20.0),
        text="X",
        color=QColor("#ff0000"),
        frame_of_reference_uid="9.9.9",
    )
    window.viewer.overlays.add(label)
    sagittal = window.viewer.panels[0].view_for("sagittal")
    assert not is_reddish(color_at(sagittal, sagittal.patient_to_screen(np.array(label.point_mm))))


def test_z_order_puts_higher_items_on_top(shown):
    window, _ = shown
    overlays = window.viewer.overlays
    below = HeightLineOverlay(name="below", z_mm=0.0, color=QColor("#ff0000"), z=2.0, width_px=5)
    above = HeightLineOverlay(name="above", z_mm=0.0, color=QColor("#0000ff"), z=5.0, width_px=5)
    overlays.add(above)
    overlays.add(below)
    assert [item.name for item in overlays.items()] == ["below", "above"]
    sagittal = window.viewer.panels[0].view_for("sagittal")
    y = sagittal.patient_to_screen(np.zeros(3)).y()
    assert color_at(sagittal, QPointF(sagittal.width() * 0.25, y)).blue() > 200
