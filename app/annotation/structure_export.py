"""The annotation as DICOM: File > Export structures (RTSTRUCT) and Export lesion SEG.

Both reference the post-contrast series shown in the first view: the RT Structure Set holds
the lesion, the edema segment of the cord and every other painted structure; the SEG holds
the lesion alone. `AnnotationController.structures`, `export_rtstruct(path)` and
`export_seg(path)` delegate here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pydicom
from PySide6.QtWidgets import QFileDialog

from app.annotation.document import case_stem
from imaging.errors import SpineplanError
from imaging.rtstruct import Structure, write_rtstruct
from imaging.seg import SegmentSpec, write_seg
from imaging.volume import Volume
from planning.anatomy.lesion import measure_lesion
from planning.anatomy.structures import is_cord, structure_colour
from planning.case import annotation as edits
from planning.display import palette

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.annotation.document import AnnotationDocument
    from app.host_window import HostWindow

#: Radius of the cord segment exported as the edema structure, mm (see `edema_structure`).
EDEMA_CORD_RADIUS_MM = 6.0


def edema_structure(state: edits.Annotation, grid: Volume) -> Volume | None:
    """The edema as a mask for export: the cord between the two limits. When a structure named
    Cord is drawn, that is its part between the limits; otherwise the cord is approximated by a
    cylinder of `EDEMA_CORD_RADIUS_MM` around the vertical through the lesion centroid (the
    lesion is intramedullary, so it marks where the cord runs). None without edema, or without
    both a cord and a lesion."""
    if state.edema is None:
        return None
    k, j, i = np.indices(grid.shape, dtype=float, sparse=True)
    a = grid.affine
    z = a[2, 0] * i + a[2, 1] * j + a[2, 2] * k + a[2, 3]
    between = (z <= state.edema.superior_z_mm) & (z >= state.edema.inferior_z_mm)
    cord = next((s for s in state.structures if is_cord(s.name)), None)
    if cord is not None and cord.mask.same_grid(grid):
        mask = np.asarray(cord.mask.array, dtype=bool) & np.broadcast_to(between, grid.shape)
        return grid.with_array(mask) if mask.any() else None
    if state.lesion_mask is None or not state.lesion_mask.array.any():
        return None
    x0, y0, _ = measure_lesion(state.lesion_mask).centroid_mm
    x = a[0, 0] * i + a[0, 1] * j + a[0, 2] * k + a[0, 3]
    y = a[1, 0] * i + a[1, 1] * j + a[1, 2] * k + a[1, 3]
    inside = ((x - x0) ** 2 + (y - y0) ** 2 <= EDEMA_CORD_RADIUS_MM**2) & between
    mask = np.broadcast_to(inside, grid.shape).copy()
    return grid.with_array(mask) if mask.any() else None


def export_structures(document: AnnotationDocument) -> list[Structure]:
    """The structures File > Export structures writes: the lesion, the edema segment and
    every other structure (the cord as an ORGAN)."""
    state, reference = document.state, document.reference
    found = []
    if state.lesion_mask is not None:
        found.append(Structure("Lesion", state.lesion_mask, palette.LESION.rgb, "GTV"))
    if reference is not None:
        edema = edema_structure(state, reference)
        if edema is not None:
            found.append(Structure("Edema (cord segment)", edema, palette.EDEMA.rgb, "CONTROL"))
    for index, other in enumerate(state.structures):
        found.append(
            Structure(other.name, other.mask, structure_colour(other.name, index), other.roi_type)
        )
    return found


def reference_files(window: HostWindow) -> list[Path]:
    """The DICOM files of the series in the first view (the grid the annotation is on)."""
    key = window.shown_keys[0]
    info = window.infos.get(key or "")
    return list(info.files) if info is not None else []


def export_rtstruct(path: str | Path, structures: list[Structure], window: HostWindow) -> Path:
    """Write ``structures`` as an RT Structure Set referencing the post-contrast series.

    Raises
    ------
    SpineplanError
        Nothing to export, or the structures cannot be written.
    """
    if not structures:
        raise SpineplanError("nothing to export: mark the lesion or paint a structure first")
    headers = [pydicom.dcmread(f, stop_before_pixels=True) for f in reference_files(window)]
    return write_rtstruct(path, structures, headers)


def export_seg(path: str | Path, mask: Volume | None, window: HostWindow) -> Path:
    """Write the lesion ``mask`` as a DICOM SEG on the post-contrast series' grid.

    Raises
    ------
    SpineplanError
        No lesion, or the SEG cannot be written.
    """
    if mask is None:
        raise SpineplanError("nothing to export: mark the lesion first")
    images = [pydicom.dcmread(f) for f in reference_files(window)]
    return write_seg(path, [SegmentSpec("Lesion", mask)], images)


def choose_export(
    window: HostWindow,
    case_path: Path | None,
    title: str,
    suffix: str,
    export: Callable[[str], Path],
) -> None:
    """Ask for a file name (``<case stem>.<suffix>.dcm``) and ``export`` to it; a failure is a
    message, success a status-bar note."""
    stem = case_stem(case_path) if case_path is not None else "case"
    path, _ = QFileDialog.getSaveFileName(
        window, title, f"{stem}.{suffix}.dcm", "DICOM files (*.dcm)"
    )
    if not path:
        return
    try:
        written = export(path)
    except (SpineplanError, OSError, ValueError) as error:
        window.add_message("error", f"{title} failed: {error}")
        return
    window.statusBar().showMessage(f"Saved {written}", 5000)
