"""`LinkedPoint` without Qt: a frame the point's frame cannot reach keeps its own last point
(also across a registration dropped and one found), and a registered frame sees the point
mapped, in its own millimetres."""

from __future__ import annotations

import numpy as np

from app.viewer.linked_point import LinkedPoint
from imaging.frame_mapping import FrameMapping, FrameRegistration, FrameRelation

MR, CT = "1.2.3.1", "1.2.3.2"
SHIFT = np.array([0.0, 80.0, -700.0])


def _registered() -> FrameMapping:
    matrix = np.eye(4)
    matrix[:3, 3] = SHIFT
    return FrameMapping((FrameRegistration(MR, CT, matrix),))


def test_an_unrelated_frame_keeps_its_own_point() -> None:
    linked = LinkedPoint()
    linked.set(np.array([1.0, 2.0, 3.0]), MR, ())
    linked.hold(CT, np.array([0.0, 100.0, -650.0]))
    assert linked.relation(CT) is FrameRelation.UNRELATED
    linked.set(np.array([4.0, 5.0, 6.0]), MR, (MR, CT))
    assert np.array_equal(linked.in_frame(CT), [0.0, 100.0, -650.0])
    assert np.array_equal(linked.in_frame(MR), [4.0, 5.0, 6.0])
    # a click on the CT: the MR keeps the point it had
    linked.set(np.array([0.0, 90.0, -640.0]), CT, (MR, CT))
    assert np.array_equal(linked.in_frame(MR), [4.0, 5.0, 6.0])
    assert linked.in_frame("1.2.3.9") is None  # a frame never shown


def test_a_registration_maps_the_point_and_dropping_it_leaves_each_frame_where_it_was() -> None:
    linked = LinkedPoint()
    linked.set(np.array([1.0, 2.0, 3.0]), MR, ())
    linked.set_mapping(_registered(), (MR,))
    assert np.allclose(linked.in_frame(CT), np.array([1.0, 2.0, 3.0]) + SHIFT)
    linked.set(np.array([10.0, 90.0, -690.0]), CT, (MR, CT))
    assert np.allclose(linked.in_frame(MR), np.array([10.0, 90.0, -690.0]) - SHIFT)
    # the registration is dropped (a new run, another CT chosen): nothing jumps
    linked.set_mapping(FrameMapping(), (MR, CT))
    assert np.allclose(linked.in_frame(MR), np.array([10.0, 10.0, 10.0]))
    assert np.allclose(linked.in_frame(CT), [10.0, 90.0, -690.0])
