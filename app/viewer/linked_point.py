"""`LinkedPoint`: the crosshair of the viewer, one patient point seen in every frame of
reference shown (Qt-free).

The point is kept in the frame of the view that set it (LPS mm of that series' Frame of
Reference); every other frame sees it through the viewer's `FrameMapping`: itself in the same
frame, mapped by the registration matrix in a registered one. A frame no registration relates
to it keeps the point it had (its views do not move), instead of showing raw coordinates of
another frame, which lie at unrelated anatomy or outside its image.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from imaging.frame_mapping import FrameMapping, FrameRelation


class LinkedPoint:
    """The crosshair: ``point_mm`` (LPS mm) in frame ``frame_uid``, and where each frame shows it.

    ``frames`` arguments name the frames of the series on screen: their points are kept when a
    change leaves them unrelated to the new point's frame.
    """

    def __init__(self) -> None:
        self.point_mm = np.zeros(3)
        self.frame_uid = ""
        self.mapping = FrameMapping()
        # the last point of each frame shown, for the frames the point's frame cannot reach
        self._held: dict[str, np.ndarray] = {}

    def in_frame(self, frame_uid: str) -> np.ndarray | None:
        """The point in ``frame_uid``'s LPS mm: mapped when related, else the frame's own last
        point (None when it never had one)."""
        mapped = self.mapping.map_point(self.point_mm, self.frame_uid, frame_uid)
        if mapped is not None:
            return mapped
        held = self._held.get(frame_uid)
        return None if held is None else held.copy()

    def relation(self, frame_uid: str) -> FrameRelation:
        """How ``frame_uid`` follows the point: the same frame, through a registration, or not."""
        return self.mapping.relation(self.frame_uid, frame_uid)

    def set(self, point_mm: np.ndarray, frame_uid: str, frames: Iterable[str]) -> None:
        """Move the point to ``point_mm`` in ``frame_uid``'s LPS mm."""
        self._hold(frames)
        self.point_mm = np.asarray(point_mm, dtype=float).copy()
        self.frame_uid = frame_uid
        self._held[frame_uid] = self.point_mm.copy()

    def hold(self, frame_uid: str, point_mm: np.ndarray) -> None:
        """Give an unrelated frame its own point (a series shown for the first time)."""
        self._held[frame_uid] = np.asarray(point_mm, dtype=float).copy()

    def set_mapping(self, mapping: FrameMapping, frames: Iterable[str]) -> None:
        """Link the frames through ``mapping`` from now on (the point stays in its frame)."""
        self._hold(frames)
        self.mapping = mapping

    def reset(self) -> None:
        """Forget every frame's point (the viewer was cleared)."""
        self._held.clear()

    def _hold(self, frames: Iterable[str]) -> None:
        """Keep where each frame shows the point now, before a change that may unlink it."""
        for uid in frames:
            point = self.in_frame(uid)
            if point is not None:
                self._held[uid] = point
