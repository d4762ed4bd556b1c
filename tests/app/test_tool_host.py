"""An annotation tool needs only its narrow host (`app.annotation.tool_host`): here the
body-width tool is driven with a stand-in host, with no window, controller or document."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.annotation.width_tool import SAGITTAL_REFUSAL, BodyWidthTool
from app.viewer.tools import PatientMouseEvent
from imaging.reslice import ViewPlane


class StandInHost:
    """Records what the tool asks of its host (the `WidthHost` protocol)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def accepts(self, event) -> bool:
        return True

    def report(self, text: str) -> None:
        self.calls.append(("report", text))

    def preview_width_ruler(self, start_mm, end_mm=None, plane=None) -> None:
        self.calls.append(("preview", None if start_mm is None else plane))

    def measure_body_width(self, start_mm, end_mm) -> str | None:
        self.calls.append(("measure", tuple(start_mm), tuple(end_mm)))
        return "T9"


def event(plane: ViewPlane, x_mm: float) -> PatientMouseEvent:
    return PatientMouseEvent(
        position_mm=np.array([x_mm, 0.0, 10.0]),
        pixel_xy=np.zeros(2),
        plane=plane,
        geometry=None,  # type: ignore[arg-type]  # the width tool does not read it
        button=Qt.MouseButton.LeftButton,
        buttons=Qt.MouseButton.LeftButton,
        modifiers=Qt.KeyboardModifier.NoModifier,
        view=None,  # type: ignore[arg-type]  # nor the view
    )


def test_the_width_tool_measures_a_drag_on_an_axial_view_through_its_host():
    host = StandInHost()
    tool = BodyWidthTool(host)
    assert tool.press(event("axial", -20.0))
    assert tool.move(event("axial", 0.0))
    assert tool.release(event("axial", 22.0))
    assert host.calls == [
        ("preview", "axial"),
        ("preview", None),
        ("measure", (-20.0, 0.0, 10.0), (22.0, 0.0, 10.0)),
    ]


def test_the_width_tool_refuses_a_sagittal_drag_without_measuring():
    host = StandInHost()
    tool = BodyWidthTool(host)
    assert tool.press(event("sagittal", -20.0))
    assert not tool.move(event("sagittal", 0.0))
    tool.release(event("sagittal", 22.0))
    assert host.calls == [("report", SAGITTAL_REFUSAL), ("preview", None)]
