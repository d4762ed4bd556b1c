"""The voxel box of a volume in patient coordinates, for tracing beams through it.

The beam itself and its IEC 61217 axes are :class:`planning.field.beam.Beam` and
:func:`planning.field.beam.beam_axes`.
"""

from __future__ import annotations

import numpy as np

from imaging.volume import Volume


def volume_corners(volume: Volume) -> np.ndarray:
    """The 8 outer corners of ``volume``'s voxel box (voxel edges, not centres), LPS mm, (8, 3)."""
    size = np.asarray(volume.size_ijk, dtype=float) - 1.0
    corners = np.array(
        [
            [a, b, c]
            for a in (-0.5, size[0] + 0.5)
            for b in (-0.5, size[1] + 0.5)
            for c in (-0.5, size[2] + 0.5)
        ]
    )
    return volume.index_to_patient(corners)
