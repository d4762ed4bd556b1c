"""The case file's ``planning_ct``: a planning CT from another study and how the MR maps onto it.

``{"path": "../CT", "series_instance_uid": "...", "registration": {"matrix_mm": [[4x4]]}}``
names the CT series and the rigid transform from the study's MR (LPS mm) to the CT (LPS mm),
row-major, as ``spineplan register`` prints it. ``"registration": {"path": "reg.dcm"}`` names a
DICOM Spatial Registration instead (parsed and kept; reading the file is not supported yet).
A CT in the study's own frame of reference needs no registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planning.errors import PlanningError

#: How far the 3x3 rotation part may be from orthonormal (|R^T R - I|, max element) and its
#: determinant from +1 for the matrix to count as rigid: a rounding-level tolerance that lets
#: a matrix printed with 6 decimals through, not a scaling of 0.5 % or a shear.
RIGID_TOLERANCE = 1e-4


@dataclass(frozen=True)
class PlanningCtReference:
    """The planning CT of a case and the registration of the MR onto it.

    Attributes
    ----------
    path : str
        A folder, DICOMDIR or file holding the CT series, as written in the case file
        (relative to the case file's folder).
    series_instance_uid : str
        The CT series, when the folder holds several; empty: the CT series with most images.
    matrix_mm : tuple of 4 tuples of 4 float, or None
        Row-major 4x4 rigid transform mapping the study's MR LPS mm to the CT's LPS mm.
    registration_path : str
        A DICOM Spatial Registration file given instead of ``matrix_mm`` ("" when none).
    """

    path: str
    series_instance_uid: str = ""
    matrix_mm: tuple[tuple[float, ...], ...] | None = None
    registration_path: str = ""

    @property
    def matrix(self) -> np.ndarray | None:
        """``matrix_mm`` as a 4x4 array (MR LPS mm -> CT LPS mm), or None."""
        return None if self.matrix_mm is None else np.asarray(self.matrix_mm, dtype=float)

    def registration_dict(self) -> dict[str, Any] | None:
        """The case file's ``registration`` object, or None."""
        if self.matrix_mm is not None:
            return {"matrix_mm": [list(row) for row in self.matrix_mm]}
        if self.registration_path:
            return {"path": self.registration_path}
        return None


def rigid_matrix(rows: Sequence[Sequence[float]]) -> np.ndarray:
    """A 4x4 row-major rigid transform checked: last row 0 0 0 1, a proper rotation.

    Raises
    ------
    PlanningError
        Not 4x4, a last row other than 0 0 0 1, or a 3x3 part that is not a rotation (a scaling,
        shear or mirror), the message saying which.
    """
    matrix = np.asarray(rows, dtype=float)
    if matrix.shape != (4, 4):
        raise PlanningError(f"expected a 4x4 matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise PlanningError("the matrix holds a number that is not finite")
    if not np.allclose(matrix[3], (0.0, 0.0, 0.0, 1.0), atol=1e-9):
        raise PlanningError(
            f"the last row must be 0 0 0 1, got {' '.join(f'{v:g}' for v in matrix[3])}"
        )
    rotation = matrix[:3, :3]
    error = float(np.max(np.abs(rotation.T @ rotation - np.eye(3))))
    determinant = float(np.linalg.det(rotation))
    if error > RIGID_TOLERANCE or abs(determinant - 1.0) > RIGID_TOLERANCE:
        kind = "a mirror" if determinant < 0 else "a scaling or shear"
        raise PlanningError(
            f"the 3x3 part is not a rotation ({kind}: R^T R differs from the identity by "
            f"{error:.2g}, det {determinant:.4f}); only a rigid transform (rotation and "
            "translation) maps the MR onto the planning CT"
        )
    return matrix
