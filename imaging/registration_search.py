"""Where to start: the candidate cranio-caudal alignments of a repeating spine.

An MR region aligned one vertebra too high or too low on the CT scores almost as well as the
right alignment, and a local optimiser started there stays there. So the automatic start is a
search, not a guess: a coarse translation grid (SimpleITK's exhaustive optimiser) over the
whole cranio-caudal extent of the CT gives, per cranio-caudal offset, the best metric over the
lateral and antero-posterior offsets. The best offset and its neighbours one and two vertebral
pitches above and below (each snapped to the nearest dip of that profile, since real pitches
vary) become the candidates that `imaging.registration` refines and compares.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from imaging.registration_levels import IterationHook, Level, translation_grid


@dataclass(frozen=True)
class Candidate:
    """A starting translation (MR -> CT, mm) and its coarse Mattes MI (lower is better)."""

    translation_mm: np.ndarray
    coarse_metric: float
    #: Whole vertebral pitches from the best coarse offset (0 for the best).
    levels_from_best: int


@dataclass(frozen=True)
class SearchGrid:
    """The coarse translation grid: half-widths and steps per LPS axis, in mm."""

    lateral_mm: float = 8.0
    anteroposterior_mm: float = 80.0
    lateral_step_mm: float = 8.0
    anteroposterior_step_mm: float = 5.0
    craniocaudal_step_mm: float = 4.0


def grid_points(
    region_centre_mm: np.ndarray,
    ct_lower_mm: np.ndarray,
    ct_upper_mm: np.ndarray,
    grid: SearchGrid,
) -> tuple[np.ndarray, tuple[int, int, int], tuple[float, float, float]]:
    """Centre translation, steps and step lengths covering the CT's cranio-caudal extent.

    The centre aligns the region's centre with the CT's centre (the naive start); the grid
    then reaches every cranio-caudal position inside the CT.
    """
    ct_centre = 0.5 * (ct_lower_mm + ct_upper_mm)
    centre = ct_centre - region_centre_mm
    half_z = 0.5 * float(ct_upper_mm[2] - ct_lower_mm[2])
    steps = (
        int(np.ceil(grid.lateral_mm / grid.lateral_step_mm)),
        int(np.ceil(grid.anteroposterior_mm / grid.anteroposterior_step_mm)),
        max(1, int(np.ceil(half_z / grid.craniocaudal_step_mm))),
    )
    lengths = (grid.lateral_step_mm, grid.anteroposterior_step_mm, grid.craniocaudal_step_mm)
    return centre, steps, lengths


def search_candidates(
    level: Level,
    region_centre_mm: np.ndarray,
    ct_lower_mm: np.ndarray,
    ct_upper_mm: np.ndarray,
    ct_index_from_mm: np.ndarray,
    ct_size: tuple[int, int, int],
    *,
    pitch_mm: float,
    neighbour_levels: int,
    bins: int,
    sampling_fraction: float = 0.3,
    seed: int = 7,
    grid: SearchGrid | None = None,
    hook: IterationHook | None = None,
) -> list[Candidate]:
    """The best coarse translation and its neighbours +/- 1..``neighbour_levels`` pitches.

    Parameters
    ----------
    level : the coarse level (region and CT at a few mm).
    region_centre_mm : centre of the MR region, MR LPS mm.
    ct_lower_mm, ct_upper_mm : corners of the CT's bounding box, CT LPS mm.
    ct_index_from_mm, ct_size : the CT's inverse affine (LPS mm -> i, j, k) and its size
        (i, j, k), to tell which translations keep the region inside the CT.
    pitch_mm : expected distance between neighbouring vertebrae (body plus disc), mm.
    neighbour_levels : how many vertebrae above and below the best offset to try.
    """
    grid = grid or SearchGrid()
    centre, steps, lengths = grid_points(region_centre_mm, ct_lower_mm, ct_upper_mm, grid)
    # Mutual information over a sliver of overlap can beat the true alignment, and SimpleITK
    # stops when no sample lands in the CT: search only the cranio-caudal offsets that keep
    # most of the region inside the CT.
    planes = np.arange(-steps[2], steps[2] + 1)
    plane_shifts = centre + np.outer(planes * lengths[2], (0.0, 0.0, 1.0))
    inside = overlap_fractions(level, plane_shifts, ct_index_from_mm, ct_size)
    usable = planes[inside >= min(0.85 * float(inside.max()), 0.6)]
    if usable.size == 0:
        return []
    middle = int(np.rint(0.5 * (usable[0] + usable[-1])))
    centre = centre + np.array([0.0, 0.0, middle * lengths[2]])
    steps = (steps[0], steps[1], max(int(usable[-1]) - middle, middle - int(usable[0])))
    positions, values = translation_grid(
        level,
        centre,
        steps,
        lengths,
        bins=bins,
        sampling_fraction=sampling_fraction,
        seed=seed,
        hook=hook,
    )
    return pick_candidates(positions, values, pitch_mm, neighbour_levels)


def pick_candidates(
    positions: np.ndarray,
    values: np.ndarray,
    pitch_mm: float,
    neighbour_levels: int,
    bands: int = 3,
    band_mm: float = 15.0,
) -> list[Candidate]:
    """The grid translations worth refining, best first.

    A vertebra's posterior elements repeat like its body a few cm behind, so the best
    antero-posterior offsets ("bands", at least ``band_mm`` apart) are kept apart: in the best
    band the best translation and the best ones about 1..``neighbour_levels`` pitches above and
    below it; in the next ``bands - 1`` bands their best and one pitch either side.
    """
    band_best: list[int] = []
    for index in np.argsort(values):
        if all(abs(positions[index, 1] - positions[b, 1]) >= band_mm for b in band_best):
            band_best.append(int(index))
            if len(band_best) == bands:
                break
    candidates: list[Candidate] = []
    z_best = positions[band_best[0], 2]
    for rank, best in enumerate(band_best):
        in_band = np.abs(positions[:, 1] - positions[best, 1]) < 0.5 * band_mm
        reach = neighbour_levels if rank == 0 else 1
        picks = [best]
        for k in range(1, reach + 1):
            for sign in (-1, 1):
                nominal = positions[best, 2] + sign * k * pitch_mm
                near = np.nonzero(in_band & (np.abs(positions[:, 2] - nominal) <= 0.4 * pitch_mm))[
                    0
                ]
                if near.size:
                    picks.append(int(near[np.argmin(values[near])]))
        for pick in picks:
            translation = positions[pick]
            if all(
                np.linalg.norm(c.translation_mm[1:] - translation[1:])
                >= min(band_mm, 0.4 * pitch_mm)
                for c in candidates
            ):
                levels_away = int(np.rint((translation[2] - z_best) / pitch_mm))
                candidates.append(Candidate(translation, float(values[pick]), levels_away))
    return candidates


def overlap_fractions(
    level: Level,
    translations_mm: np.ndarray,
    ct_index_from_mm: np.ndarray,
    ct_size: tuple[int, int, int],
    max_points: int = 600,
) -> np.ndarray:
    """Per translation, the fraction of (a sample of) the region's voxels inside the CT."""
    points = region_points_mm(level, max_points)
    upper = np.asarray(ct_size, float) - 0.5
    linear, offset = ct_index_from_mm[:3, :3], ct_index_from_mm[:3, 3]
    base = points @ linear.T + offset  # (P, 3) CT indices without the translation
    shift = translations_mm @ linear.T  # (N, 3)
    fractions = np.empty(len(translations_mm))
    for start in range(0, len(shift), 256):
        index = base[None, :, :] + shift[start : start + 256, None, :]
        inside = np.all((index >= -0.5) & (index <= upper), axis=2)
        fractions[start : start + 256] = inside.mean(axis=1)
    return fractions


def region_points_mm(level: Level, max_points: int) -> np.ndarray:
    """LPS mm of up to ``max_points`` voxels of the level's region (inside its mask)."""
    image = level.region
    size = image.GetSize()
    k, j, i = np.indices(size[::-1]).reshape(3, -1)
    if level.region_mask is not None:
        inside = sitk.GetArrayViewFromImage(level.region_mask).ravel() > 0
        k, j, i = k[inside], j[inside], i[inside]
    step = max(1, len(i) // max_points)
    index = np.stack([i[::step], j[::step], k[::step]], axis=1).astype(float)
    direction = np.asarray(image.GetDirection(), float).reshape(3, 3)
    linear = direction * np.asarray(image.GetSpacing(), float)
    return index @ linear.T + np.asarray(image.GetOrigin(), float)
