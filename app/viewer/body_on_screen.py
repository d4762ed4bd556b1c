"""The body of the slice a view shows, placed on the screen (the legend keeps off it).

The threshold separating body from air is the dose engine's (`body_threshold`: -500 HU on a CT,
10 % of the 99th signal percentile on an MR), found once per volume; the body of the slice shown
is kept in the view's cache, so a zoom or a pan only moves it.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np
from PySide6.QtGui import QTransform

from imaging.reslice import SliceGeometry
from imaging.volume import Volume
from planning.display.body_region import BodyRegion, ScreenMapping, body_mask_of_slice
from planning.dose.radiological_depth import body_threshold
from planning.errors import PlanningError

_THRESHOLDS: WeakKeyDictionary[Volume, float | None] = WeakKeyDictionary()


def volume_body_threshold(volume: Volume) -> float | None:
    """`body_threshold` of ``volume``, once per volume; None for an image with no signal."""
    if volume not in _THRESHOLDS:
        try:
            _THRESHOLDS[volume] = body_threshold(volume)
        except PlanningError:
            _THRESHOLDS[volume] = None
    return _THRESHOLDS[volume]


def body_on_screen(
    cache: dict,
    volume: Volume,
    geometry: SliceGeometry,
    pixels: np.ndarray,
    transform: QTransform,
) -> BodyRegion | None:
    """The body of the slice ``pixels`` (of ``volume``, at ``geometry``) on the screen through
    ``transform`` (slice pixels -> widget px, no rotation); None when the image has no signal."""
    threshold = volume_body_threshold(volume)
    if threshold is None:
        return None
    key = (id(volume), geometry.plane, geometry.index)
    mapping = ScreenMapping(transform.m11(), transform.m22(), transform.dx(), transform.dy())
    cached = cache.get("body")  # the shown slice's only: a view shows one slice
    if cached is None or cached[0] != key:
        region = BodyRegion(body_mask_of_slice(pixels, threshold), mapping)
        cache["body"] = (key, region)
        return region
    region = cached[1].moved(mapping)
    cache["body"] = (key, region)
    return region
