"""Viewer benchmark: slice change -> repainted view with overlays, and memory per volume.

Run from the repository root::

    QT_QPA_PLATFORM=offscreen PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_viewer.py

Targets (issue 4): under 16 ms from a slice change to the repainted view for a 512x512 series
with overlays on; at most 1.2x the voxel bytes held per loaded volume.

1. Repaint: a 512x512x80 int16 axial series in the real main window (1600x1000), with a label
   per level, a lesion mask, a field outline, two border lines and three isodose contours from a
   dose on its own 2.5 mm grid. Each step scrolls the acquired view by one slice (which moves
   the linked point, so all three views of the series follow) and repaints that view
   synchronously; a second figure repaints all views.
2. Memory: a 512x512x80 DICOM series written to a temporary folder is opened through the
   window's normal loader; tracemalloc (numpy reports its buffers to it) gives the bytes still
   held after loading and display, compared with the volume's voxel bytes.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from app.theme import apply_dark_theme
from app.viewer.overlays import (
    ContourLevel,
    ContourOverlay,
    HeightLineOverlay,
    LabelOverlay,
    MaskOverlay,
    PolylineOverlay,
)
from imaging.volume import SeriesMetadata, Volume

SHAPE = (80, 512, 512)
SPACING_MM = (0.8, 0.8, 3.0)


def axial_volume() -> Volume:
    rng = np.random.default_rng(0)
    _, j, i = SHAPE
    yy, xx = np.mgrid[0:j, 0:i]
    body = ((xx - i / 2) / 200.0) ** 2 + ((yy - j / 2) / 150.0) ** 2 <= 1.0
    array = np.zeros(SHAPE, dtype=np.int16)
    array[:, body] = 400
    array += rng.integers(0, 60, size=SHAPE, dtype=np.int16)
    affine = np.diag([*SPACING_MM, 1.0])
    affine[:3, 3] = (-204.8, -204.8, -120.0)
    return Volume(array, affine, SeriesMetadata(modality="MR", series_description="AX T1 +C"))


def add_overlays(window: MainWindow, volume: Volume) -> None:
    overlays = window.viewer.overlays
    centre = volume.index_to_patient((np.asarray(volume.size_ijk) - 1) / 2.0)
    for n, z in enumerate(np.arange(-110.0, 110.0, 20.0)):
        overlays.add(LabelOverlay(name=f"L{n}", point_mm=(0.0, 40.0, float(z)), text=f"T{n + 1}"))
    # the grid is axis-aligned: per-axis coordinates broadcast into the lesion sphere
    k, j, i = np.ogrid[0 : SHAPE[0], 0 : SHAPE[1], 0 : SHAPE[2]]
    origin = volume.origin_mm
    x = origin[0] + i * SPACING_MM[0] - centre[0]
    y = origin[1] + j * SPACING_MM[1] - centre[1]
    z = origin[2] + k * SPACING_MM[2] - centre[2]
    lesion = x**2 + y**2 + z**2 <= 15.0**2
    overlays.add(MaskOverlay(name="Lesion", mask=volume.with_array(lesion), color=QColor("red")))
    overlays.add(
        PolylineOverlay.rectangle(
            centre, (1, 0, 0), (0, 0, 1), 40.0, 80.0, name="Field", color=QColor("#00c0ff")
        )
    )
    overlays.add(HeightLineOverlay(name="Superior border", z_mm=centre[2] + 80.0))
    overlays.add(HeightLineOverlay(name="Inferior border", z_mm=centre[2] - 80.0))
    dose_affine = np.diag([2.5, 2.5, 2.5, 1.0])
    dose_affine[:3, 3] = centre - 50.0
    d_ijk = np.indices((41, 41, 41)).transpose(1, 2, 3, 0)[..., ::-1] * 2.5 + (centre - 50.0)
    dose = (110.0 - 1.5 * np.linalg.norm(d_ijk - centre, axis=-1)).astype(np.float32)
    overlays.add(
        ContourOverlay(
            name="Isodoses",
            volume=Volume(dose, dose_affine),
            levels=[
                ContourLevel(107.0, QColor("#ff00ff"), "107%"),
                ContourLevel(95.0, QColor("#ff3030"), "95%"),
                ContourLevel(50.0, QColor("#30ff30"), "50%"),
            ],
        )
    )


def bench_repaint(app: QApplication, steps: int = 120) -> dict[str, float]:
    window = MainWindow(settings=None)
    window.resize(1600, 1000)
    window.show()
    volume = axial_volume()
    window.volumes["bench"] = volume
    window.show_series("bench", 0)
    add_overlays(window, volume)
    app.processEvents()
    view = window.viewer.panels[0].views[0]
    # warm up caches and the look-up table
    for _ in range(5):
        view.scroll_slices(1)
        view.repaint()
    single, all_views, own_paint = [], [], []
    direction = 1
    for step in range(steps):
        if view.slice_index in (0, view.slice_count - 1):
            direction = -direction
        start = time.perf_counter()
        view.scroll_slices(direction)
        view.repaint()
        single.append((time.perf_counter() - start) * 1e3)
        own_paint.append(view.last_paint_ms)
        if step % 4 == 0:
            start = time.perf_counter()
            view.scroll_slices(direction)
            for other in window.viewer.views():
                other.repaint()
            all_views.append((time.perf_counter() - start) * 1e3)
    window.close()
    return {
        "view_px": float(view.width() * view.height()),
        "single_median_ms": statistics.median(single),
        "single_p95_ms": float(np.percentile(single, 95)),
        "all_views_median_ms": statistics.median(all_views),
        "own_paint_median_ms": statistics.median(own_paint),
    }


def bench_memory(app: QApplication) -> dict[str, float]:
    from tests.dicom_builders import write_series

    with tempfile.TemporaryDirectory() as folder:
        values = np.random.default_rng(1).integers(0, 2000, size=SHAPE)
        write_series(
            Path(folder) / "big",
            shape=SHAPE,
            values=values,
            pixel_spacing_mm=(0.8, 0.8),
            slice_spacing_mm=3.0,
            series_description="AX T1 +C",
        )
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
        window = MainWindow(settings=None)
        window.show()
        window.open_path(Path(folder) / "big")
        window.wait_for_load(300_000)
        for view in window.viewer.views():
            view.repaint()
        app.processEvents()
        held = tracemalloc.get_traced_memory()[0] - baseline
        tracemalloc.stop()
        volume = next(iter(window.volumes.values()))
        voxels = volume.array.nbytes
        window.close()
    return {
        "voxel_mb": voxels / 1e6,
        "held_mb": held / 1e6,
        "ratio": held / voxels,
        "dtype": str(volume.array.dtype),
    }


def main() -> int:
    app = QApplication.instance() or QApplication([])
    apply_dark_theme(app)
    repaint = bench_repaint(app)
    print(
        f"slice change -> repainted acquired view (512x512, overlays on, "
        f"{repaint['view_px'] / 1e3:.0f} kpx view): median {repaint['single_median_ms']:.1f} ms, "
        f"p95 {repaint['single_p95_ms']:.1f} ms (target < 16 ms)"
    )
    print(
        f"  of which the acquired view's own paint (image rescale, overlays, text): median "
        f"{repaint['own_paint_median_ms']:.1f} ms"
    )
    print(
        f"slice change -> all three views repainted: median {repaint['all_views_median_ms']:.1f} ms"
    )
    memory = bench_memory(app)
    print(
        f"memory held per loaded volume: {memory['held_mb']:.1f} MB for "
        f"{memory['voxel_mb']:.1f} MB of {memory['dtype']} voxels = {memory['ratio']:.2f}x "
        f"(target <= 1.2x)"
    )
    return 0


def test_viewer_benchmark() -> None:
    """Run by pytest when tests/benchmarks is collected explicitly; prints the figures."""
    assert main() == 0


if __name__ == "__main__":
    sys.exit(main())
