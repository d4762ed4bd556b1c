"""Iso-lines and mask outlines (imaging.contours, over skimage's marching squares)."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.contours import iso_lines, iso_segments, mask_outlines


def test_iso_segments_trace_a_circle():
    y, x = np.mgrid[0:60, 0:60]
    field = 100.0 - np.hypot(x - 30.0, y - 30.0)
    segments = iso_segments(field, 80.0)  # the circle of radius 20
    radius = np.hypot(segments[..., 0] - 30.0, segments[..., 1] - 30.0)
    np.testing.assert_allclose(radius, 20.0, atol=0.1)
    length = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum()
    assert length == pytest.approx(2 * np.pi * 20.0, rel=0.02)
    assert len(iso_segments(field, 1000.0)) == 0
    assert len(iso_segments(np.full((5, 5), np.nan), 1.0)) == 0
    assert iso_segments(np.zeros((1, 5)), 0.5).shape == (0, 2, 2)


def test_points_are_x_then_y_and_cross_where_the_values_say():
    field = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [4.0, 4.0, 4.0]])  # rises downwards
    (line,) = iso_lines(field, 1.0)
    # the crossing is a quarter of the way from row 1 (value 0) to row 2 (value 4)
    np.testing.assert_allclose(line[:, 1], 1.25)
    np.testing.assert_allclose(sorted(line[:, 0]), [0.0, 1.0, 2.0])


def test_pixels_at_the_level_count_as_inside():
    field = np.zeros((6, 6), dtype=np.float32)
    field[1:4, 1:5] = 2.0  # exactly the level: the line runs through these pixels' centres
    (line,) = iso_lines(field, 2.0)
    np.testing.assert_allclose([line[:, 0].min(), line[:, 0].max()], [1.0, 4.0], atol=1e-9)
    np.testing.assert_allclose([line[:, 1].min(), line[:, 1].max()], [1.0, 3.0], atol=1e-9)
    assert iso_lines(field, 2.0 + 1e-6) == []


def test_nan_is_below_the_level_and_the_line_hugs_the_valid_pixels():
    field = np.full((4, 6), 10.0)
    field[:, 3:] = np.nan  # e.g. outside a dose grid
    segments = iso_segments(field, 5.0)
    assert np.isfinite(segments).all()
    # the line closes the high region along its last valid column (x = 2)
    vertical = segments[np.isclose(segments[:, 0, 0], segments[:, 1, 0])]
    np.testing.assert_allclose(vertical[:, :, 0], 2.0)
    assert np.abs(vertical[:, 1, 1] - vertical[:, 0, 1]).sum() == pytest.approx(3.0)


def test_saddles_join_the_high_pixels():
    field = np.array([[0.0, 3.0], [3.0, 0.0]])
    segments = iso_segments(field, 2.0)
    assert len(segments) == 2
    # each segment cuts off one low corner: both end points are near that corner
    corners = {tuple(np.round(s.mean(axis=0))) for s in segments}
    assert corners == {(0.0, 0.0), (1.0, 1.0)}


def test_mask_outlines_run_half_way_between_inside_and_outside():
    plane = np.zeros((6, 7))
    plane[1:4, 2:6] = 1.0  # rows 1-3, columns 2-5, one touching nothing
    plane[5, 0] = 1.0  # on the image border: closed off as if padded
    outlines = mask_outlines(plane)
    assert len(outlines) == 2
    big = max(outlines, key=len)
    assert big[:, 0].min() == pytest.approx(0.5) and big[:, 0].max() == pytest.approx(3.5)
    assert big[:, 1].min() == pytest.approx(1.5) and big[:, 1].max() == pytest.approx(5.5)
    assert not np.allclose(big[0], big[-1])  # the closing point is not repeated


def test_segments_come_in_scan_order_and_run_from_the_left():
    # one high pixel: its four cells are bottom-left (pattern 1: cell 0,1), bottom-right (2:
    # cell 0,0), top-right (4: cell 1,0) and top-left (8: cell 1,1) corners above the level
    field = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    expected = [
        [[1.0, 0.5], [1.5, 1.0]],  # pattern 1, cell (0, 1): left edge -> bottom edge
        [[0.5, 1.0], [1.0, 0.5]],  # pattern 2, cell (0, 0): bottom edge -> right edge
        [[0.5, 1.0], [1.0, 1.5]],  # pattern 4, cell (1, 0): top edge -> right edge
        [[1.0, 1.5], [1.5, 1.0]],  # pattern 8, cell (1, 1): left edge -> top edge
    ]
    np.testing.assert_allclose(iso_segments(field, 1.5), expected)
