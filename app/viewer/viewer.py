"""`Viewer`: the image area -- one or two series panels, each the acquired plane plus two
orthogonal reformats, all linked through one patient point (LPS mm).

Series in the same frame of reference are linked by patient position, whatever their grids:
each view shows its own series' slice nearest to the linked point and draws the crosshair at
the point's projection. Series in two frames of reference (an MR and a planning CT of another
study) are linked through the registration between them (`set_frame_mapping`), or not at all
while none is known: the other frame's views then stay where they were, and the panel's header
and the status bar say so (`app.viewer.linked_point`). Window/level belongs to a panel (its
three views share it).
"""

from __future__ import annotations

from typing import Literal
from weakref import WeakKeyDictionary

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.viewer.linked_point import LinkedPoint
from app.viewer.overlays import OverlayModel
from app.viewer.rendering import Window
from app.viewer.screen_mapping import ViewState
from app.viewer.slice_view import SliceView
from app.viewer.tools import ViewTool
from app.viewer.window_presets import PRESETS, default_preset
from imaging.frame_mapping import FrameMapping, FrameRelation
from imaging.reslice import planes_for
from imaging.volume import Volume

LeftMode = Literal["crosshair", "pan", "zoom", "window"]

#: where the crosshair's link to the other panel stands in a narrow header (0 = the series
#: name, kept last; higher numbers drop out first): "not linked" just after the name, before
#: the window; "linked through the registration" after the window, before the voxel size
UNLINKED_NOTE_PRIORITY = 0.5
LINK_NOTE_PRIORITY = 1.5


class SeriesPanel(QWidget):
    """The three linked views of one series and its window/level."""

    window_changed = Signal()

    def __init__(self, viewer: Viewer, index: int) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.index = index
        self.volume: Volume | None = None
        self.series_title = ""
        # each series' zoom and pan per plane as the user left it in this panel, given back
        # when it is shown here again (placing registration points switches MR and CT often)
        self._view_states: WeakKeyDictionary[Volume, dict[str, ViewState]] = WeakKeyDictionary()
        self.display_window = Window(0.0, 1.0)
        self.preset = ""
        self.setObjectName(f"SeriesPanel{index}")

        self.header = QLabel(self)
        self.header.setObjectName("PanelHeader")
        # the header follows the panel's width (parts drop out), it never sets it
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._header_parts: list[tuple[str, str, float]] = []
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip("Close this comparison panel")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(lambda: viewer.close_panel(self.index))
        self.close_button.setVisible(index > 0)
        header_row = QHBoxLayout()
        header_row.setContentsMargins(6, 2, 2, 2)
        header_row.addWidget(self.header, 1)
        header_row.addWidget(self.close_button)

        self.views = [SliceView(viewer, self, plane) for plane in ("sagittal", "axial", "coronal")]
        self.side = QSplitter(Qt.Orientation.Vertical, self)
        self.side.addWidget(self.views[1])
        self.side.addWidget(self.views[2])
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.views[0])
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        for splitter in (self.side, self.splitter):
            splitter.setHandleWidth(3)
            splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header_row)
        layout.addWidget(self.splitter, 1)

    def title(self) -> str:
        return self.series_title or (
            self.volume.metadata.series_description if self.volume is not None else ""
        )

    def set_volume(self, volume: Volume | None, title: str = "") -> None:
        """Show ``volume`` (acquired plane large, reformats beside), with its default window."""
        if self.volume is not None:
            self._view_states[self.volume] = {v.plane: v.view_state() for v in self.views}
        self.volume = volume
        self.series_title = title
        for view in self.views:
            view.overlay_cache.clear()
        if volume is None:
            self.header.setText("")
            for view in self.views:
                view.sync_to_point()
            return
        for view, plane in zip(self.views, planes_for(volume), strict=True):
            view.plane = plane
            view.setObjectName(f"SliceView_{plane}")
            view.geometry_ = None
            view.reset_view()
            state = self._view_states.get(volume, {}).get(plane)
            if state is not None:
                view.restore_view_state(state)
        self.apply_preset(default_preset(volume))
        self._update_header()
        for view in self.views:
            view.sync_to_point()

    def forget_view_states(self) -> None:
        """Series shown again start fitted (the user reset the views)."""
        self._view_states.clear()

    def view_for(self, plane: str) -> SliceView:
        """The view of this panel showing ``plane``."""
        for view in self.views:
            if view.plane == plane:
                return view
        raise KeyError(plane)

    def set_window(self, window: Window, preset: str = "Manual") -> None:
        self.display_window = window
        self.preset = preset
        self._update_header()
        for view in self.views:
            view.update()
        self.window_changed.emit()

    def apply_preset(self, name: str) -> None:
        """Apply one of `PRESETS` (keeps the current inversion)."""
        if self.volume is None:
            return
        window = PRESETS[name](self.volume)
        self.set_window(
            Window(window.center, window.width, self.display_window.invert), preset=name
        )

    def set_inverted(self, inverted: bool) -> None:
        w = self.display_window
        self.set_window(Window(w.center, w.width, inverted), preset=self.preset)

    def _update_header(self) -> None:
        if self.volume is None:
            self._header_parts = []
            self.header.setText("")
            return
        meta = self.volume.metadata
        k, j, i = self.volume.shape
        sx, sy, sz = self.volume.spacing_mm
        # (text, html, priority): a narrow panel drops the highest numbers first, so the
        # series name, its window and any warning stay readable
        parts = [
            (self.title() or "Series", f"<b>{self.title() or 'Series'}</b>", 0),
            (meta.modality, meta.modality, 3),
            (f"{i}×{j}×{k}", f"{i}×{j}×{k}", 4),
            (f"{sx:.2g}×{sy:.2g}×{sz:.2g} mm", f"{sx:.2g}×{sy:.2g}×{sz:.2g} mm", 2),
            (f"W/L: {self.preset}", f"W/L: {self.preset}", 1),
        ]
        link_note = self.viewer.link_note(self)
        if link_note is not None:
            parts.append(link_note)
        if self.volume.warnings:
            count = len(self.volume.warnings)
            text = f"⚠ {count} geometry warning{'s' * (count > 1)}"
            parts.append((text, f"<span style='color:#e3b341'>{text}</span>", 0))
        self._header_parts = [p for p in parts if p[0]]
        self._fit_header()
        full = "  ·  ".join(p[0] for p in self._header_parts)
        self.header.setToolTip("\n".join([full, *self.volume.warnings]))

    def _fit_header(self) -> None:
        """Show as many header parts as the panel's width holds (never wider than it)."""
        parts = list(getattr(self, "_header_parts", []))
        metrics = self.header.fontMetrics()
        room = max(0, self.width() - self.close_button.sizeHint().width() - 16)
        while len(parts) > 1:
            plain = "  ·  ".join(p[0] for p in parts)
            if metrics.horizontalAdvance(plain) <= room or self.width() <= 1:
                break
            parts.remove(max(parts, key=lambda p: p[2]))
        self.header.setText("  ·  ".join(p[1] for p in parts))

    def show_link_note(self) -> None:
        """Say again how the crosshair links this panel to the other (the mapping changed)."""
        self._update_header()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_header()


class Viewer(QWidget):
    """The image area of the main window (see the module docstring)."""

    #: the linked patient point moved (np.ndarray LPS mm, in the frame `point_frame_uid`)
    point_changed = Signal(object)
    #: views of another frame did not follow the crosshair (no registration): what to tell
    #: the user; "" when every view follows it again
    link_message = Signal(str)
    #: pixel value / position text under the cursor ("" when outside the images)
    readout = Signal(str)
    #: a series (key) was dropped on panel ``index``
    series_dropped = Signal(str, int)
    #: the active view or its panel changed
    active_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Viewer")
        self.overlays = OverlayModel(self)
        self.overlays.changed.connect(self.refresh)
        self.linked = LinkedPoint()
        self.show_crosshair = True
        self.show_patient_info = True
        self.left_mode: LeftMode = "crosshair"
        self.tool: ViewTool | None = None
        self.active_view: SliceView | None = None
        self._maximized: SliceView | None = None

        self.panels = [SeriesPanel(self, 0), SeriesPanel(self, 1)]
        self.panels[1].hide()
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setHandleWidth(4)
        for panel in self.panels:
            self.splitter.addWidget(panel)

        self.message = QLabel(self)
        self.message.setObjectName("ViewerMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.show_message(
            "Open a DICOM folder with File ▸ Open folder (Ctrl+O),\n"
            "or drop a folder or files on this window."
        )

    # -- content --------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Replace the image area by a message (empty study, or nothing could be read)."""
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    @property
    def has_images(self) -> bool:
        return self.panels[0].volume is not None

    def set_volume(self, volume: Volume, panel: int = 0, title: str = "") -> None:
        """Show ``volume`` in panel 0 (main) or 1 (side-by-side comparison)."""
        if panel == 1 and self.panels[0].volume is None:
            panel = 0
        uid = volume.frame_of_reference_uid
        if not self.has_images:
            self.linked.reset()
            self.linked.set(_center(volume), uid, ())
        else:
            point = self.linked.in_frame(uid)
            inside = point is not None and _inside(volume, point)
            if self.linked.relation(uid) is FrameRelation.UNRELATED:
                # no registration reaches this frame: its series keeps its own point
                if not inside:
                    self.linked.hold(uid, _center(volume))
            elif not inside:
                self.linked.set(_center(volume), uid, self._frames())
        target = self.panels[panel]
        if panel == 1:
            target.show()
        target.set_volume(volume, title)
        self._keep_point_on_screen()
        self.stack.setCurrentWidget(self.splitter)
        if self.active_view is None or self.active_view.panel is target:
            self.set_active_view(target.views[0])
        self.refresh()
        self.point_changed.emit(self.point_mm.copy())

    def close_panel(self, index: int) -> None:
        """Close the comparison panel (index 1); the main panel cannot be closed."""
        if index == 0:
            return
        panel = self.panels[index]
        panel.set_volume(None)
        panel.hide()
        if self.active_view is not None and self.active_view.panel is panel:
            self.set_active_view(self.panels[0].views[0])
        self._keep_point_on_screen()

    def clear(self) -> None:
        for panel in self.panels:
            panel.set_volume(None)
        self.panels[1].hide()
        self.overlays.clear()
        self.linked.reset()

    def volumes(self) -> list[Volume]:
        return [p.volume for p in self.panels if p.volume is not None]

    # -- linking --------------------------------------------------------------------------
    @property
    def point_mm(self) -> np.ndarray:
        """The linked point as last set, LPS mm in the frame `point_frame_uid`."""
        return self.linked.point_mm

    @property
    def point_frame_uid(self) -> str:
        """The Frame of Reference UID of the series the linked point was set on."""
        return self.linked.frame_uid

    def point_for(self, volume: Volume) -> np.ndarray:
        """The linked point in ``volume``'s LPS mm (its frame's own point when no registration
        relates the frames; the volume's centre when it never had one)."""
        point = self.linked.in_frame(volume.frame_of_reference_uid)
        return _center(volume) if point is None else point

    def set_point(self, point_mm: np.ndarray, frame_of_reference_uid: str | None = None) -> None:
        """Move the linked point to ``point_mm`` (LPS mm of ``frame_of_reference_uid``; None:
        the frame of the main panel's series); every view shows the slice through it, mapped
        into its own frame, or stays where it is when its frame is unrelated."""
        if frame_of_reference_uid is None:
            main = self.panels[0].volume
            frame_of_reference_uid = main.frame_of_reference_uid if main is not None else ""
        self.linked.set(point_mm, frame_of_reference_uid, self._frames())
        for view in self.views():
            view.sync_to_point()
        self.point_changed.emit(self.point_mm.copy())
        self.link_message.emit(self.unlinked_message())

    def set_frame_mapping(self, mapping: FrameMapping) -> None:
        """Link the frames of reference through ``mapping`` from now on (a registration was
        found, nudged, accepted or dropped): the views of the other frame move to the linked
        point mapped through it."""
        if mapping == self.linked.mapping:
            return
        self.linked.set_mapping(mapping, self._frames())
        for panel in self.panels:
            panel.show_link_note()
        for view in self.views():
            view.sync_to_point()
        self.point_changed.emit(self.point_mm.copy())
        self.link_message.emit(self.unlinked_message())

    @property
    def frame_mapping(self) -> FrameMapping:
        return self.linked.mapping

    def frame_name(self, frame_uid: str) -> str:
        """The frame called by the modalities shown in it ("MR", "CT", "MR/CT"), for readouts."""
        names = [
            p.volume.metadata.modality or "series"
            for p in self.panels
            if p.volume is not None and p.volume.frame_of_reference_uid == frame_uid
        ]
        return "/".join(dict.fromkeys(names)) or "series"

    def unlinked_message(self) -> str:
        """What the user is told when views of another frame did not follow the point ("" when
        every view followed)."""
        unrelated = [
            p.volume.frame_of_reference_uid
            for p in self.panels
            if p.volume is not None
            and self.linked.relation(p.volume.frame_of_reference_uid) is FrameRelation.UNRELATED
        ]
        if not unrelated:
            return ""
        others = " and ".join(dict.fromkeys(self.frame_name(uid) for uid in unrelated))
        here = self.frame_name(self.point_frame_uid)
        return (
            f"The {others} views did not move: the {here} and the {others} are in different "
            "frames of reference and not registered (Tools > Registration)"
        )

    def link_note(self, panel: SeriesPanel) -> tuple[str, str, float] | None:
        """How the crosshair links ``panel`` to the other panel when their frames differ
        (through the registration, or not at all) as a header part: (text, html, priority);
        None otherwise."""
        other = self.panels[1 - panel.index].volume
        if panel.volume is None or other is None:
            return None
        ours, theirs = panel.volume.frame_of_reference_uid, other.frame_of_reference_uid
        relation = self.linked.mapping.relation(ours, theirs)
        name = self.frame_name(theirs)
        if relation is FrameRelation.REGISTERED:
            text = f"linked to the {name} by the registration"
            return text, text, LINK_NOTE_PRIORITY
        if relation is FrameRelation.UNRELATED:
            text = f"⚠ not linked to the {name}: not registered"
            return text, f"<span style='color:#e3b341'>{text}</span>", UNLINKED_NOTE_PRIORITY
        return None

    def _frames(self) -> list[str]:
        """The frames of reference of the series on screen."""
        return [v.frame_of_reference_uid for v in self.volumes()]

    def _keep_point_on_screen(self) -> None:
        """When no series of the linked point's frame is shown any more, the point moves to the
        main panel's own point (a series of an unrelated frame replaced the last of its frame);
        the panels' link notes follow the series shown."""
        frames = self._frames()
        if frames and self.point_frame_uid not in frames and self.panels[0].volume is not None:
            main = self.panels[0].volume
            self.linked.set(self.point_for(main), main.frame_of_reference_uid, frames)
        for panel in self.panels:
            panel.show_link_note()

    def refresh(self) -> None:
        """Repaint every view (overlays or options changed)."""
        for view in self.views():
            view.sync_to_point()
            view.update()

    def views(self) -> list[SliceView]:
        """Every view of every panel showing a series."""
        return [v for p in self.panels if p.volume is not None for v in p.views]

    # -- interaction state ----------------------------------------------------------------
    @property
    def active_panel(self) -> SeriesPanel:
        if self.active_view is not None and self.active_view.panel.volume is not None:
            return self.active_view.panel
        return self.panels[0]

    def set_active_view(self, view: SliceView) -> None:
        if view is self.active_view:
            return
        previous = self.active_view
        self.active_view = view
        for v in (previous, view):
            if v is not None:
                v.update()
        self.active_changed.emit()

    def set_tool(self, tool: ViewTool | None) -> None:
        """Route left-button events of every view to ``tool`` first (None = default)."""
        if self.tool is not None:
            self.tool.deactivated()
        self.tool = tool
        for view in self.views():
            view.setCursor(tool.cursor if tool is not None else Qt.CursorShape.ArrowCursor)
        if tool is not None:
            tool.activated()

    def set_left_mode(self, mode: LeftMode) -> None:
        self.left_mode = mode

    def set_show_crosshair(self, shown: bool) -> None:
        self.show_crosshair = shown
        self.refresh()

    def set_show_legend(self, shown: bool) -> None:
        """Whether each view writes the legend of the marks it shows."""
        self.overlays.legend_shown = shown
        self.overlays.changed.emit()

    def set_show_patient_info(self, shown: bool) -> None:
        self.show_patient_info = shown
        self.refresh()

    def toggle_maximized(self, view: SliceView) -> None:
        """Show ``view`` alone in the image area, or restore the layout."""
        if self._maximized is None:
            self._maximized = view
            for panel in self.panels:
                for other in panel.views:
                    other.setVisible(other is view)
                panel.side.setVisible(view in panel.views[1:])
                panel.setVisible(panel is view.panel)
        else:
            self._maximized = None
            for panel in self.panels:
                for other in panel.views:
                    other.setVisible(True)
                panel.side.setVisible(True)
                panel.setVisible(panel.index == 0 or panel.volume is not None)

    def fit_all(self) -> None:
        for panel in self.panels:
            panel.forget_view_states()
        for view in self.views():
            view.reset_view()


def _center(volume: Volume) -> np.ndarray:
    return volume.index_to_patient((np.asarray(volume.size_ijk, float) - 1) / 2.0)


def _inside(volume: Volume, point_mm: np.ndarray) -> bool:
    return bool(volume.contains_index(volume.patient_to_index(point_mm)))
