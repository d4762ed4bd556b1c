"""Labels beside lines: never over another label, never crossed by another line (issue 16,
item 8). Geometry in screen pixels, y down."""

from __future__ import annotations

from itertools import combinations

import numpy as np

from planning.display.label_layout import (
    Box,
    box_crosses_segments,
    place_beside_line,
    segment_spans_in_band,
)

VIEW = Box(0.0, 0.0, 400.0, 300.0)
HEIGHT = 14.0


def test_a_segment_is_cut_to_the_band():
    spans = segment_spans_in_band(np.array([[0.0, 0.0, 100.0, 100.0]]), 40.0, 50.0)
    assert spans.tolist() == [[40.0, 50.0]]
    # outside the band, or horizontal inside it
    assert len(segment_spans_in_band(np.array([[0.0, 60.0, 100.0, 90.0]]), 40.0, 50.0)) == 0
    assert segment_spans_in_band(np.array([[10.0, 45.0, 30.0, 45.0]]), 40.0, 50.0).tolist() == [
        [10.0, 30.0]
    ]


def test_the_label_sits_just_above_its_line_at_the_preferred_side():
    placed = place_beside_line([80.0], HEIGHT, 150.0, VIEW, [], np.zeros((0, 4)))
    assert placed is not None and placed.form == 0
    assert placed.box.bottom <= 150.0 and placed.box.bottom > 150.0 - 6
    assert placed.box.left < 10
    right = place_beside_line([80.0], HEIGHT, 150.0, VIEW, [], np.zeros((0, 4)), prefer="right")
    assert right is not None and right.box.right > VIEW.right - 10


def test_a_beam_edge_through_the_label_pushes_it_along_the_line():
    """A beam edge (a near-vertical line) where the label would go: the label moves beside it."""
    edge = np.array([[40.0, 0.0, 45.0, 300.0]])
    placed = place_beside_line([80.0], HEIGHT, 150.0, VIEW, [], edge)
    assert placed is not None and placed.form == 0
    assert not box_crosses_segments(placed.box, edge)
    assert placed.box.left > 45.0
    # without the edge, the label would have been crossed by it
    free = place_beside_line([80.0], HEIGHT, 150.0, VIEW, [], np.zeros((0, 4)))
    assert free is not None and box_crosses_segments(free.box, edge)


def test_an_isodose_line_over_the_whole_band_sends_the_label_below():
    """A 107 % line a few pixels above an edema limit, across the view: the label goes under."""
    isodose = np.array([[0.0, 142.0, 400.0, 141.0]])
    placed = place_beside_line([80.0], HEIGHT, 150.0, VIEW, [], isodose)
    assert placed is not None
    assert placed.box.top >= 150.0
    assert not box_crosses_segments(placed.box, isodose)


def test_a_shorter_form_when_the_long_one_does_not_fit():
    walls = np.array([[100.0, 0.0, 100.0, 300.0], [300.0, 0.0, 300.0, 300.0]])
    placed = place_beside_line([250.0, 120.0, 60.0], HEIGHT, 150.0, VIEW, [], walls)
    assert placed is not None and placed.form == 1  # 120 px fits between 100 and 300
    assert not box_crosses_segments(placed.box, walls)


def test_none_fits_returns_the_widest_stretch_to_elide_into():
    walls = np.array([[50.0, 0.0, 50.0, 300.0], [120.0, 0.0, 120.0, 300.0]])
    placed = place_beside_line([500.0], HEIGHT, 150.0, Box(0.0, 0.0, 200.0, 300.0), [], walls)
    assert placed is not None and placed.form == -1
    assert not box_crosses_segments(placed.box, walls)


def test_many_labels_placed_in_turn_never_overlap_nor_get_crossed():
    """Random lines and labels, placed greedily the way a view places them."""
    rng = np.random.default_rng(16)
    placed_count = 0
    for _ in range(30):
        heights = np.sort(rng.uniform(20.0, 280.0, size=5))
        edges = np.column_stack(
            [rng.uniform(0, 400, 3), np.zeros(3), rng.uniform(0, 400, 3), np.full(3, 300.0)]
        )
        lines = [np.array([[0.0, y, 400.0, y]]) for y in heights]
        boxes: list[Box] = []
        for n, y in enumerate(heights):
            others = np.concatenate([edges, *(line for m, line in enumerate(lines) if m != n)])
            placed = place_beside_line(
                [rng.uniform(40, 160)], HEIGHT, float(y), VIEW, boxes, others
            )
            if placed is None or placed.form < 0:
                continue
            assert not box_crosses_segments(placed.box, others)
            boxes.append(placed.box)
        placed_count += len(boxes)
        for a, b in combinations(boxes, 2):
            assert not a.intersects(b)
    assert placed_count >= 0.6 * 30 * 5  # most find a place
