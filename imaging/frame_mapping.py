"""Points between frames of reference: the same frame is the identity, a registered pair maps
through its 4x4 matrix (or its inverse the other way), any other pair is unrelated.

Two series of one study share a Frame of Reference UID and their LPS millimetres are the same
place; an MR and a planning CT of two studies are in two frames whose LPS millimetres only a
registration relates. The viewer links its views through a `FrameMapping`, so that a point
clicked on the CT shows the same anatomy on the MR, and an unregistered pair is never linked
by raw coordinates (which would put the other image at an unrelated slice or at its edge).

A series without a Frame of Reference UID ("") cannot be told apart from any other: it is
linked by position to every frame, as DICOM viewers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from imaging.errors import GeometryError

#: smallest |det| of a registration's 3x3 part: a rigid (or near-rigid) matrix has 1, a
#: singular one cannot be inverted to map points back
MIN_DETERMINANT = 1e-6


class FrameRelation(StrEnum):
    """How two frames of reference are related."""

    SAME = "same"  # one frame (or a frame unknown): identity
    REGISTERED = "registered"  # through a registration matrix
    UNRELATED = "unrelated"  # no registration between them


@dataclass(frozen=True, eq=False)
class FrameRegistration:
    """A registration from one frame of reference onto another.

    Attributes
    ----------
    source_uid, target_uid : str
        Frame of Reference UIDs: ``matrix_mm`` maps source LPS mm to target LPS mm.
    matrix_mm : np.ndarray
        4x4, row-major, homogeneous (last row 0 0 0 1).
    """

    source_uid: str
    target_uid: str
    matrix_mm: np.ndarray

    def __post_init__(self) -> None:
        matrix = np.asarray(self.matrix_mm, dtype=float)
        where = f"registration {self.source_uid or '?'} -> {self.target_uid or '?'}"
        if matrix.shape != (4, 4) or not np.all(np.isfinite(matrix)):
            raise GeometryError(f"{where}: expected a finite 4x4 matrix, got {matrix.shape}")
        if not np.allclose(matrix[3], (0.0, 0.0, 0.0, 1.0)):
            raise GeometryError(f"{where}: the last row must be 0 0 0 1")
        if abs(float(np.linalg.det(matrix[:3, :3]))) < MIN_DETERMINANT:
            raise GeometryError(f"{where}: the 3x3 part is singular, it cannot map points back")
        if not self.source_uid or not self.target_uid or self.source_uid == self.target_uid:
            raise GeometryError(f"{where}: needs two different Frame of Reference UIDs")
        matrix.setflags(write=False)
        object.__setattr__(self, "matrix_mm", matrix)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrameRegistration):
            return NotImplemented
        return (self.source_uid, self.target_uid) == (other.source_uid, other.target_uid) and bool(
            np.array_equal(self.matrix_mm, other.matrix_mm)
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, and the matrix is an array


@dataclass(frozen=True)
class FrameMapping:
    """The registrations the viewer links its frames of reference through (none: every
    frame is related only to itself)."""

    registrations: tuple[FrameRegistration, ...] = ()

    def relation(self, source_uid: str, target_uid: str) -> FrameRelation:
        """How a point of ``source_uid`` relates to ``target_uid``."""
        if source_uid == target_uid or not source_uid or not target_uid:
            return FrameRelation.SAME
        if self._matrix(source_uid, target_uid) is not None:
            return FrameRelation.REGISTERED
        return FrameRelation.UNRELATED

    def map_point(
        self, point_mm: np.ndarray, source_uid: str, target_uid: str
    ) -> np.ndarray | None:
        """``point_mm`` (shape (3,), LPS mm of ``source_uid``) in LPS mm of ``target_uid``;
        None when the two frames are unrelated."""
        point = np.asarray(point_mm, dtype=float)
        if point.shape != (3,):
            raise GeometryError(f"expected one LPS point of shape (3,), got shape {point.shape}")
        if self.relation(source_uid, target_uid) is FrameRelation.SAME:
            return point.copy()
        matrix = self._matrix(source_uid, target_uid)
        if matrix is None:
            return None
        return matrix[:3, :3] @ point + matrix[:3, 3]

    def _matrix(self, source_uid: str, target_uid: str) -> np.ndarray | None:
        """The 4x4 from ``source_uid`` to ``target_uid`` (a registration or its inverse)."""
        for registration in self.registrations:
            if (registration.source_uid, registration.target_uid) == (source_uid, target_uid):
                return registration.matrix_mm
            if (registration.source_uid, registration.target_uid) == (target_uid, source_uid):
                return np.linalg.inv(registration.matrix_mm)
        return None
