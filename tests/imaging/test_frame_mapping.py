"""`FrameMapping`: one frame is the identity, a registered pair maps through the matrix one
way and its inverse the other (checked against SimpleITK's own inverse), an unrelated pair
gives None, a frame without a UID links by position, and a bad matrix is refused with one
line naming the registration."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from imaging.errors import GeometryError
from imaging.frame_mapping import FrameMapping, FrameRegistration, FrameRelation

MR, CT, OTHER = "1.2.3.1", "1.2.3.2", "1.2.3.3"


def _rigid(degrees_about_z: float, shift_mm) -> np.ndarray:
    c, s = np.cos(np.radians(degrees_about_z)), np.sin(np.radians(degrees_about_z))
    matrix = np.eye(4)
    matrix[:3, :3] = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
    matrix[:3, 3] = shift_mm
    return matrix


MATRIX = _rigid(7.0, (5.8, 87.6, -741.1))


def test_a_registered_pair_maps_both_ways_as_simpleitk_does() -> None:
    mapping = FrameMapping((FrameRegistration(MR, CT, MATRIX),))
    transform = sitk.Euler3DTransform()
    transform.SetMatrix(MATRIX[:3, :3].ravel().tolist())
    transform.SetTranslation(MATRIX[:3, 3].tolist())
    point_mr = np.array([0.9, 52.7, 88.7])
    on_ct = mapping.map_point(point_mr, MR, CT)
    assert on_ct is not None
    assert np.allclose(on_ct, transform.TransformPoint(point_mr.tolist()), atol=1e-9)
    # the comparison can fail: the CT point is far from the MR point
    assert np.linalg.norm(on_ct - point_mr) > 700
    point_ct = np.array([10.0, 120.0, -650.0])
    back = mapping.map_point(point_ct, CT, MR)
    expected = transform.GetInverse().TransformPoint(point_ct.tolist())
    assert back is not None and np.allclose(back, expected, atol=1e-9)
    assert mapping.relation(MR, CT) is mapping.relation(CT, MR) is FrameRelation.REGISTERED


def test_one_frame_is_the_identity_and_an_unrelated_pair_is_none() -> None:
    mapping = FrameMapping((FrameRegistration(MR, CT, MATRIX),))
    point = np.array([1.0, 2.0, 3.0])
    assert np.array_equal(mapping.map_point(point, CT, CT), point)
    assert mapping.map_point(point, MR, OTHER) is None
    assert mapping.relation(CT, OTHER) is FrameRelation.UNRELATED
    assert FrameMapping().map_point(point, MR, CT) is None  # nothing registered yet
    # a series without a Frame of Reference UID cannot be told apart: linked by position
    assert np.array_equal(FrameMapping().map_point(point, "", CT), point)
    assert FrameMapping().relation(MR, "") is FrameRelation.SAME


def test_mappings_compare_by_their_matrices() -> None:
    one = FrameMapping((FrameRegistration(MR, CT, MATRIX),))
    assert one == FrameMapping((FrameRegistration(MR, CT, MATRIX.copy()),))
    assert one != FrameMapping((FrameRegistration(MR, CT, _rigid(7.5, (5.8, 87.6, -741.1))),))
    assert one != FrameMapping()


@pytest.mark.parametrize(
    ("matrix", "uids", "message"),
    [
        (np.eye(3), (MR, CT), "expected a finite 4x4 matrix"),
        (np.diag([1.0, 1.0, 0.0, 1.0]), (MR, CT), "singular"),
        (np.vstack([np.eye(4)[:3], [0.0, 0.0, 1.0, 1.0]]), (MR, CT), "last row must be 0 0 0 1"),
        (np.eye(4), (MR, MR), "two different Frame of Reference UIDs"),
        (np.eye(4), ("", CT), "two different Frame of Reference UIDs"),
    ],
)
def test_a_bad_registration_is_refused_with_one_line(matrix, uids, message) -> None:
    with pytest.raises(GeometryError, match=message) as error:
        FrameRegistration(*uids, matrix)
    assert "\n" not in str(error.value)


def test_a_point_of_another_shape_is_refused() -> None:
    with pytest.raises(GeometryError, match=r"shape \(3,\), got shape \(2, 3\)"):
        FrameMapping().map_point(np.zeros((2, 3)), MR, CT)
