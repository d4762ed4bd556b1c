"""The fused display's swipe and flicker modes on sample case 4's CT views (its registration in
the case): swipe shows, pixel for pixel, the MR left of the divider and the CT right of it;
flicker alternates the two at the timer's ticks, naming the one shown, and Ctrl+Alt+F starts and
stops it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.registration.fusion import FusionMode
from app.registration.panel import FLICKER_INTERVAL_MS
from tests.app.test_plan_panel import _case_path, _pixels
from tests.app.test_registration_panel import _finish, _open

#: columns either side of the divider left out of the comparison (its 2 px line, antialiased)
DIVIDER_BAND_PX = 4
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
#: the view's frame (its outermost row is not repainted between grabs)
EDGE_PX = 3
#: rows at the view's bottom left out: the "MR" and "CT" names beside the divider (swipe) or
#: in the middle (flicker), which rise above the corner text (up to 104 px)
NAMES_BAND_PX = 130


def _grab(view) -> np.ndarray:
    """The view as rendered, within its frame."""
    picture = _pixels(view.grab().toImage()).astype(int)
    return picture[EDGE_PX:-EDGE_PX, EDGE_PX:-EDGE_PX]


def _ct_view(qtbot, window, controller):
    """The sagittal view of the main panel, showing the CT, fused with the MR."""
    window.show_series(controller.panel.ct_combo.currentData())
    view = next(v for v in window.viewer.panels[0].views if v.plane == "sagittal")
    window.viewer.set_active_view(view)
    qtbot.waitUntil(lambda: np.array_equal(_grab(view), _grab(view)))  # laid out and fitted
    return view


def _mr_only_and_ct_only(panel, view) -> tuple[np.ndarray, np.ndarray]:
    """The view with the MR opaque (blend 100 %) and with the CT alone (blend 0 %)."""
    panel.set_mode(FusionMode.BLEND)
    panel.blend_slider.setValue(100)
    mr = _grab(view)
    panel.blend_slider.setValue(0)
    ct = _grab(view)
    return mr, ct


def _white_mask(picture: np.ndarray) -> np.ndarray:
    return np.all(picture[..., :3] >= 250, axis=-1)


def _white(picture: np.ndarray) -> int:
    """How many pixels are white (the names' colour)."""
    return int(_white_mask(picture).sum())


def _differs(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of pixels that differ between two renderings."""
    return float(np.mean(np.abs(a - b).sum(axis=2) > 0))


def test_swipe_shows_the_mr_left_of_the_divider_and_the_ct_right_of_it(qtbot, window) -> None:
    controller = _open(qtbot, window, _case_path(4))
    panel = controller.panel
    try:
        view = _ct_view(qtbot, window, controller)
        mr, ct = _mr_only_and_ct_only(panel, view)
        width = view.width()
        for percent in (50, 25):
            panel.swipe_slider.setValue(percent)
            qtbot.mouseClick(panel.mode_buttons[FusionMode.SWIPE], Qt.MouseButton.LeftButton)
            assert panel.swipe_slider.isEnabled() and not panel.blend_slider.isEnabled()
            fused = controller.fused_image()
            assert fused.mode is FusionMode.SWIPE
            assert fused.swipe_fraction == pytest.approx(percent / 100)
            swiped = _grab(view)
            divider = round(width * percent / 100) - EDGE_PX  # in the grabbed picture
            rows = slice(0, mr.shape[0] - NAMES_BAND_PX)
            left = (rows, slice(0, divider - DIVIDER_BAND_PX))
            right = (rows, slice(divider + DIVIDER_BAND_PX, None))
            # the comparison can fail: MR and CT differ on both sides
            assert _differs(mr[left], ct[left]) > 0.05 and _differs(mr[right], ct[right]) > 0.05
            assert np.array_equal(swiped[left], mr[left]), percent
            assert np.array_equal(swiped[right], ct[right]), percent
            # the divider is drawn where it stands
            band = swiped[rows, divider - 2 : divider + 2]
            assert _differs(band, mr[rows, divider - 2 : divider + 2]) > 0.5
            panel.set_mode(FusionMode.BLEND)
    finally:
        _finish(window)


def test_flicker_alternates_mr_and_ct_and_its_key_starts_and_stops_it(qtbot, window) -> None:
    controller = _open(qtbot, window, _case_path(4))
    panel = controller.panel
    try:
        view = _ct_view(qtbot, window, controller)
        mr, ct = _mr_only_and_ct_only(panel, view)
        assert _differs(mr, ct) > 0.05
        panel.blend_slider.setValue(50)
        assert not controller.flicker_timer.isActive()

        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_F, CTRL_ALT)
        assert panel.mode is FusionMode.FLICKER
        assert controller.flicker_timer.isActive()
        assert controller.flicker_timer.interval() == FLICKER_INTERVAL_MS
        shown = [_grab(view)]
        for _tick in range(4):
            with qtbot.waitSignal(controller.flicker_timer.timeout, timeout=5_000):
                pass
            shown.append(_grab(view))
        # MR first, then CT, MR, CT, MR: each tick the other image, whole above the band of
        # the name; in the band its name, "MR" or "CT" in white, the same at each of its turns
        above = slice(0, mr.shape[0] - NAMES_BAND_PX)
        band = slice(mr.shape[0] - NAMES_BAND_PX, None)
        for index, picture in enumerate(shown):
            expected = mr if index % 2 == 0 else ct
            assert np.array_equal(picture[above], expected[above]), index
            assert _white(picture[band]) > _white(expected[band]) + 20, index
            assert np.array_equal(picture[band], shown[index % 2][band]), index
        assert not np.array_equal(_white_mask(shown[0][band]), _white_mask(shown[1][band]))

        # the key again stops it and returns to blend at 50 %
        qtbot.keyClick(window, Qt.Key.Key_F, CTRL_ALT)
        assert panel.mode is FusionMode.BLEND and not controller.flicker_timer.isActive()
        blended = _grab(view)
        assert not np.array_equal(blended, mr) and not np.array_equal(blended, ct)
        # closing the panel stops a flicker
        controller.toggle_flicker()
        assert controller.flicker_timer.isActive()
        controller.dock.close()
        assert not controller.flicker_timer.isActive()
    finally:
        _finish(window)
