"""The Plan panel with a planning CT of another study (sample case 4): the plan is drawn on
the CT's views (field, beam path, isodoses in the CT's frame of reference), the field derived
on the MR stays on the MR's views, and the numbers say the plan is on the CT."""

from __future__ import annotations

import numpy as np

from app.plan_panel.plan_overlays import FIELD_COLOR
from tests.app.test_plan_panel import _count_colour, _isodose_colour, _open_planned


def test_the_plan_on_the_ct_is_drawn_on_the_ct_views(qtbot, window) -> None:
    panel, result = _open_planned(qtbot, window, 4)
    images = result.images
    assert images.on_registered_ct and result.coverage_pass
    ct_frame = images.plan_frame_uid
    mr_frame = images.lesion_series.frame_of_reference_uid
    assert ct_frame != mr_frame
    assert panel.number("Planned on").startswith("planning CT 'RT PLANNING CT THORAX'")
    assert panel.number("Superior border").startswith(
        f"z {result.field.superior_border_z_mm:.1f} mm"
    )
    frames = {item.name: item.frame_of_reference_uid for item in panel.overlay_items}
    assert frames["Isodose 95 %"] == ct_frame
    assert any(f == mr_frame for name, f in frames.items() if "field border" in name)

    # the CT series in the main panel: isodoses and the field outline show on it
    ct_key = next(k for k, v in window.volumes.items() if v.frame_of_reference_uid == ct_frame)
    window.show_series(ct_key)
    window.viewer.set_point(np.asarray(result.field.isocentre_mm))
    qtbot.wait(50)
    orange = _isodose_colour(95.0)
    for plane in ("sagittal", "coronal", "axial"):
        view = window.viewer.panels[0].view_for(plane)
        assert _count_colour(view.grab().toImage(), orange) > 10, plane
    coronal = window.viewer.panels[0].view_for("coronal")
    assert _count_colour(coronal.grab().toImage(), FIELD_COLOR) > 50

    # the MR: no isodose (another frame), the field derived on the MR still drawn
    mr_key = images.lesion_series.key
    window.show_series(mr_key)
    window.viewer.set_point(np.asarray(result.case.lesion.center_mm))
    qtbot.wait(50)
    sagittal = window.viewer.panels[0].view_for("sagittal")
    picture = sagittal.grab().toImage()
    assert _count_colour(picture, orange) == 0
    assert _count_colour(picture, FIELD_COLOR) > 50
