"""What the annotation tools need from the annotation controller, and no more.

The tools (`levels_tool`, `width_tool`, `lesion_tools`, `edema_tool`) are given their host
typed by one of these protocols, so a tool can be read, and tested with a stand-in, knowing
only the document and the few calls below; `AnnotationController` satisfies all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from app.annotation.document import AnnotationDocument
from app.viewer.tools import PatientMouseEvent
from imaging.reslice import ViewPlane
from imaging.volume import Volume
from planning.case import Case


class ToolHost(Protocol):
    """The document a tool edits, and how it shows a drag and says what went wrong."""

    document: AnnotationDocument

    def accepts(self, event: PatientMouseEvent) -> bool:
        """Whether a tool may annotate on the view of ``event`` (a case open, same frame)."""
        ...

    def report(self, text: str) -> None:
        """Tell the user why an edit was refused."""
        ...

    def refresh(self, panels: bool = True) -> None:
        """Redraw the overlays (and the panels) from the document."""
        ...

    def preview(self, state: Case) -> None:
        """Show a state being dragged (not yet an edit)."""
        ...


class LevelsHost(ToolHost, Protocol):
    """The levels tool also selects a level and reads the name the first click gets."""

    def select_level(self, name: str) -> None: ...

    def first_level_name(self) -> str: ...


class WidthHost(ToolHost, Protocol):
    """The body-width tool stores a ruler and draws the one being dragged."""

    def measure_body_width(
        self, start_mm: Sequence[float], end_mm: Sequence[float]
    ) -> str | None: ...

    def preview_width_ruler(
        self,
        start_mm: Sequence[float] | None,
        end_mm: Sequence[float] | None = None,
        plane: ViewPlane | None = None,
    ) -> None: ...


class LesionHost(ToolHost, Protocol):
    """The brush, eraser, seed and ellipsoid tools: the panel's settings and their previews."""

    @property
    def brush_radius_mm(self) -> float: ...

    @property
    def paint_target(self) -> str | None: ...

    def grow(self, seed_mm: tuple[float, float, float], tolerance: float | None = None) -> None: ...

    def preview_brush(self, event: PatientMouseEvent | None) -> None: ...

    def preview_lesion(self, mask: Volume) -> None: ...

    def preview_structure(self, name: str, mask: Volume) -> None: ...

    def preview_ellipse(
        self, centre: Sequence[float] | None, radii: Sequence[float] | None
    ) -> None: ...


class AnnotationToolHost(LevelsHost, WidthHost, LesionHost, Protocol):
    """All the tools' needs together: what `actions.make_tools` is given."""
