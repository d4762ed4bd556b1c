"""Benchmark: `imaging.load_series` against SimpleITK's ImageSeriesReader on the same files.

Writes (once, into the system temp folder) an axial CT-like series of 400 slices of 512x512
16-bit pixels, then times, best of 3 with a warm file cache:

- whole load from a folder: ``imaging.load_series(folder)`` (header scan + voxels) against
  ``GetGDCMSeriesFileNames(folder)`` + ``ImageSeriesReader.Execute()``;
- voxels only: ``imaging.load_series(series_info)`` against ``Execute()`` with the file names
  already known.

Run from the repository root::

    PYTHONPATH=. python tests/benchmarks/bench_load.py [--slices 400] [--size 512]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import SimpleITK as sitk

import imaging
from tests.dicom_builders import write_series


def make_series(slices: int, size: int) -> Path:
    """The benchmark series, written once and reused (its folder name encodes its size)."""
    folder = Path(tempfile.gettempdir()) / f"spineplan_bench_load_{slices}x{size}"
    done = folder / ".complete"
    if done.exists():
        return folder
    rng = np.random.default_rng(0)
    values = rng.integers(-1000, 2000, size=(slices, size, size), dtype=np.int16)
    print(f"writing {slices} slices of {size}x{size} into {folder} ...", flush=True)
    write_series(
        folder,
        shape=(slices, size, size),
        orientation="axial",
        modality="CT",
        values=values,
        rescale_slope=1.0,
        rescale_intercept=-1024.0,
        pixel_spacing_mm=(0.8, 0.8),
        slice_spacing_mm=1.0,
        BitsStored=16,
        instance_numbers=list(rng.permutation(slices) + 1),
    )
    done.touch()
    return folder


def best_of_interleaved(
    repeats: int, ours: Callable[[], object], theirs: Callable[[], object]
) -> tuple[float, float, object, object]:
    """Best time of each over ``repeats`` alternating runs (fair on a machine with other load)."""
    best_ours = best_theirs = float("inf")
    result_ours = result_theirs = None
    for _ in range(repeats):
        start = time.perf_counter()
        result_ours = ours()
        best_ours = min(best_ours, time.perf_counter() - start)
        start = time.perf_counter()
        result_theirs = theirs()
        best_theirs = min(best_theirs, time.perf_counter() - start)
    return best_ours, best_theirs, result_ours, result_theirs


def sitk_load(folder: Path, names: tuple[str, ...] | None = None) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(names or reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=400)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    folder = make_series(args.slices, args.size)
    names = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder))
    sitk_load(folder, names)  # warm the file cache
    info = imaging.discover(folder).series[0]

    ours_full, sitk_full, volume, image = best_of_interleaved(
        args.repeats, lambda: imaging.load_series(folder), lambda: sitk_load(folder)
    )
    ours_voxels, sitk_voxels, _, _ = best_of_interleaved(
        args.repeats, lambda: imaging.load_series(info), lambda: sitk_load(folder, names)
    )
    ours_scan = min(_timed(lambda: imaging.discover(folder)) for _ in range(args.repeats))

    assert isinstance(volume, imaging.Volume) and isinstance(image, sitk.Image)
    same = np.array_equal(volume.array, sitk.GetArrayViewFromImage(image))
    megabytes = volume.array.nbytes / 1e6
    print(f"series: {args.slices} x {args.size} x {args.size}, {megabytes:.0f} MB in memory")
    print(
        f"voxels identical to SimpleITK: {same}; dtypes {volume.array.dtype} / "
        f"{image.GetPixelIDTypeAsString()}"
    )
    print(f"{'':34}{'spineplan':>10}{'SimpleITK':>11}{'ratio':>8}")
    for label, ours, theirs in (
        ("folder -> volume (scan + voxels)", ours_full, sitk_full),
        ("known files -> voxels", ours_voxels, sitk_voxels),
    ):
        print(f"{label:34}{ours:9.3f}s{theirs:10.3f}s{ours / theirs:8.2f}")
    print(f"(header scan alone: {ours_scan:.3f}s; ratio < 1 means spineplan is faster)")


if __name__ == "__main__":
    main()
