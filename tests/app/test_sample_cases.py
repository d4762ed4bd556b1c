"""The bundled sample studies open with sensible default windows on every series."""

from __future__ import annotations

import numpy as np
import pytest

from app.gui import sample_case_path
from app.viewer.rendering import WindowLut
from imaging.reslice import slice_array
from tests.app.conftest import open_and_wait

CASES = [f"case{n}" for n in (1, 2, 3, 4)]


def displayed_grey(view) -> np.ndarray:
    """The 8-bit grey levels the view shows for its current slice."""
    pixels = slice_array(view.volume.array, view.geometry_)
    return WindowLut().apply(pixels, view.panel.display_window)


@pytest.mark.parametrize("case", CASES)
def test_sample_case_opens_t1_post_contrast_beside_t2_with_sensible_windows(qtbot, window, case):
    folder = sample_case_path(case)
    if not folder.exists():
        pytest.skip(f"{folder} not generated")
    assert open_and_wait(qtbot, window, folder, timeout_ms=120_000) == "done"
    viewer = window.viewer
    assert "T1" in viewer.panels[0].title() and "SAG" in viewer.panels[0].title()
    assert "T2" in viewer.panels[1].title()
    assert not any(text.startswith("Could not") for text in window.message_texts())
    for key in window.volumes:
        window.show_series(key, 0)
        view = viewer.panels[0].views[0]  # the acquired plane through the volume centre
        grey = displayed_grey(view)
        body = grey[grey > 10]
        assert body.size > 0.03 * grey.size, (key, "image all black")  # a neck in a CT FOV
        assert (grey == 255).mean() < 0.05, (key, "too much saturated white")
        assert 30 < np.median(body) < 220, (key, "tissue crushed to black or white")
