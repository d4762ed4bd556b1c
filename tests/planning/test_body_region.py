"""The body on a view (planning/display/body_region.py): the mask of one slice, its row-wise
hull and the box queries the legend is placed by, checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from planning.display.body_region import (
    BodyRegion,
    ScreenMapping,
    body_mask_of_slice,
    row_hull,
)
from planning.display.label_layout import Box


def ring_slice() -> np.ndarray:
    """A 60 x 80 slice: a ring of signal 100 (the body's outline, hollow inside) and one
    bright noise pixel in the air."""
    yy, xx = np.mgrid[0:60, 0:80]
    r = np.hypot((yy - 30) / 20.0, (xx - 40) / 30.0)
    pixels = np.where((r > 0.6) & (r < 1.0), 100.0, 0.0)
    pixels[2, 2] = 100.0
    return pixels


def test_the_slice_mask_fills_the_outline_and_drops_noise():
    mask = body_mask_of_slice(ring_slice(), threshold=50.0)
    assert mask[30, 40]  # the hollow inside is body (the canal, the lungs)
    assert not mask[2, 2]  # a lone bright pixel in the air is not
    assert not mask[0, 79]


def test_the_row_hull_fills_each_row_between_its_first_and_last_pixel():
    mask = np.zeros((3, 8), bool)
    mask[0, [1, 5]] = True  # two arms of one row: the notch between is covered
    mask[2, 6] = True
    hull = row_hull(mask)
    assert hull[0].tolist() == [False, True, True, True, True, True, False, False]
    assert not hull[1].any()
    assert hull[2].tolist() == [False] * 6 + [True, False]


@pytest.mark.parametrize("scale", [(2.5, 2.5), (0.7, 1.9), (6.0, 3.0)])
def test_box_queries_agree_with_brute_force(scale):
    mask = body_mask_of_slice(ring_slice(), threshold=50.0)
    mapping = ScreenMapping(scale[0], scale[1], 13.0, -7.0)
    region = BodyRegion(mask, mapping, margin_px=2.0)
    hull = row_hull(mask)
    ys, xs = np.nonzero(hull)
    # each body pixel's cell on the screen: (x +- 0.5) * scale + offset
    left = (xs - 0.5) * mapping.scale_x + mapping.offset_x
    right = (xs + 0.5) * mapping.scale_x + mapping.offset_x
    top = (ys - 0.5) * mapping.scale_y + mapping.offset_y
    bottom = (ys + 0.5) * mapping.scale_y + mapping.offset_y
    rng = np.random.default_rng(7)
    lefts = rng.uniform(-40, 80 * scale[0] + 40, 400)
    tops = rng.uniform(-40, 60 * scale[1] + 40, 400)
    width, height = 37.0, 21.0
    fast = region.covers_many(lefts, tops, width, height)
    for n, (x, y) in enumerate(zip(lefts, tops, strict=True)):
        grown = Box(x - 2.0, y - 2.0, width + 4.0, height + 4.0)
        slow = bool(
            np.any(
                (left < grown.right)
                & (right > grown.left)
                & (top < grown.bottom)
                & (bottom > grown.top)
            )
        )
        assert fast[n] == slow, (x, y)
        assert region.covers(Box(x, y, width, height)) == slow
    assert fast.any() and not fast.all()  # the check can fail both ways


def test_an_empty_slice_covers_nothing():
    region = BodyRegion(np.zeros((10, 10), bool), ScreenMapping(3.0, 3.0, 0.0, 0.0))
    assert region.empty
    assert not region.covers(Box(0, 0, 30, 30))


def test_the_threshold_is_the_dose_engines_on_ct_and_mr():
    from imaging.volume import SeriesMetadata, Volume
    from planning.dose.radiological_depth import BODY_THRESHOLD_HU, body_threshold
    from planning.errors import PlanningError

    signal = np.zeros((4, 10, 10), np.float32)
    signal[:, 2:8, 2:8] = 400.0
    mr = Volume(signal, np.eye(4), SeriesMetadata(modality="MR"))
    assert body_threshold(mr) == pytest.approx(0.1 * np.percentile(signal, 99.0))
    ct = Volume(signal - 1000.0, np.eye(4), SeriesMetadata(modality="CT", units="HU"))
    assert body_threshold(ct) == BODY_THRESHOLD_HU
    with pytest.raises(PlanningError, match="no signal"):
        body_threshold(Volume(np.zeros((4, 10, 10), np.float32), np.eye(4), SeriesMetadata()))


def test_a_zoom_or_pan_moves_the_body_without_remaking_it():
    mask = body_mask_of_slice(ring_slice(), threshold=50.0)
    first = BodyRegion(mask, ScreenMapping(2.0, 2.0, 0.0, 0.0))
    zoomed = ScreenMapping(5.0, 5.0, -60.0, 10.0)
    moved, fresh = first.moved(zoomed), BodyRegion(mask, zoomed)
    assert moved.hull is first.hull and first.moved(first.mapping) is first
    lefts, tops = np.meshgrid(np.arange(-50.0, 400.0, 17.0), np.arange(-30.0, 320.0, 13.0))
    assert np.array_equal(
        moved.covers_many(lefts.ravel(), tops.ravel(), 25.0, 12.0),
        fresh.covers_many(lefts.ravel(), tops.ravel(), 25.0, 12.0),
    )
    assert first.mapping.scale_x == 2.0  # the first is left as it was
