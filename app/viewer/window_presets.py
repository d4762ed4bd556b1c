"""Window/level presets: automatic from the histogram, MR T1, MR T2, CT soft tissue, CT bone.

MR signal has no physical unit, so the MR presets are defined on each series' own histogram
(percentiles of the voxels brighter than the background); CT presets are the usual Hounsfield
windows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.viewer.rendering import Window
from imaging.volume import Volume

#: Voxels sampled for histogram presets: enough for stable percentiles, cheap on any volume.
_HISTOGRAM_SAMPLES = 200_000


def _sample(volume: Volume) -> np.ndarray:
    array = volume.array
    step = max(1, int(np.ceil((array.size / _HISTOGRAM_SAMPLES) ** (1 / 3))))
    return np.asarray(array[::step, ::step, ::step], dtype=np.float64).ravel()


def _foreground(values: np.ndarray) -> np.ndarray:
    """Voxels above the background: brighter than 5 % of the robust maximum."""
    top = float(np.percentile(values, 99.5))
    floor = float(np.percentile(values, 1.0))
    fg = values[values > floor + 0.05 * (top - floor)]
    return fg if fg.size > 100 else values


def _span(low: float, high: float) -> Window:
    if high <= low:
        high = low + 1.0
    return Window(center=(low + high) / 2.0, width=high - low)


def auto_window(volume: Volume) -> Window:
    """The 0.5th to 99.5th percentile of all voxels."""
    values = _sample(volume)
    low, high = np.percentile(values, (0.5, 99.5))
    return _span(float(low), float(high))


def mr_t1_window(volume: Volume) -> Window:
    """Background black to the 99.5th percentile of tissue: fat and enhancement near white."""
    fg = _foreground(_sample(volume))
    low = float(np.percentile(_sample(volume), 1.0))
    return _span(low, float(np.percentile(fg, 99.5)))


def mr_t2_window(volume: Volume) -> Window:
    """Background black to the 99.8th percentile of tissue, so CSF stays just below white."""
    fg = _foreground(_sample(volume))
    low = float(np.percentile(_sample(volume), 1.0))
    return _span(low, float(np.percentile(fg, 99.8)))


def ct_soft_tissue_window(volume: Volume) -> Window:
    """W 400 / L 40 HU."""
    return Window(center=40.0, width=400.0)


def ct_bone_window(volume: Volume) -> Window:
    """W 1800 / L 400 HU."""
    return Window(center=400.0, width=1800.0)


#: Preset name -> function of the volume; the order is the menu order (keys 1-5).
PRESETS: dict[str, Callable[[Volume], Window]] = {
    "Auto (histogram)": auto_window,
    "MR T1": mr_t1_window,
    "MR T2": mr_t2_window,
    "CT soft tissue": ct_soft_tissue_window,
    "CT bone": ct_bone_window,
}


def is_ct(volume: Volume) -> bool:
    return volume.metadata.modality.upper() == "CT" or volume.metadata.units == "HU"


def default_preset(volume: Volume) -> str:
    """The preset a series opens with: CT soft tissue for CT, MR T2 for T2, else MR T1."""
    if is_ct(volume):
        return "CT soft tissue"
    description = volume.metadata.series_description.upper()
    if "T2" in description or "STIR" in description:
        return "MR T2"
    if volume.metadata.modality.upper() == "MR":
        return "MR T1"
    return "Auto (histogram)"
