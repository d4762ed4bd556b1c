"""Every keyboard and mouse shortcut of the viewer, in one table.

The main window builds its actions from `ACTION_SHORTCUTS`; Help > Keyboard shortcuts shows
`ACTION_SHORTCUTS` and `VIEW_CONTROLS` together, so the list cannot drift from the code.
"""

from __future__ import annotations

#: action id -> (key sequence, description); key sequences use Qt's portable text form.
ACTION_SHORTCUTS: dict[str, tuple[str, str]] = {
    "open_folder": ("Ctrl+O", "Open a DICOM folder"),
    "open_files": ("Ctrl+Shift+O", "Open DICOM files"),
    "open_from_pacs": ("Ctrl+Shift+F", "Open a study from the PACS: find, retrieve, open"),
    "send_to_pacs": (
        "Ctrl+Shift+U",
        "Send to the PACS: RT Plan, Dose, Structure Set, SEG, REG, teaching export or any files",
    ),
    "pacs_nodes": ("Ctrl+Alt+N", "PACS nodes: add, edit, echo the department's PACS"),
    "export_view": ("Ctrl+E", "Export the active view as PNG"),
    "export_window": ("Ctrl+Shift+E", "Export the whole window as PNG"),
    "export_plan": ("Ctrl+Shift+P", "Export the plan (field, report, DICOM) into a folder"),
    "quit": ("Ctrl+Q", "Quit"),
    "cancel_load": ("Esc", "Cancel loading"),
    "fit": ("F", "Fit all views"),
    "reset": ("R", "Reset zoom, pan and window/level of the active series"),
    "invert": ("I", "Invert grey levels of the active series"),
    "crosshair": ("C", "Show or hide the crosshair"),
    "legend": ("K", "Show or hide each view's colour key (legend)"),
    "legend_open": (
        "Shift+K",
        "Open the active view's legend chip into the full legend (again: close it)",
    ),
    "patient_info": ("O", "Show or hide the patient/study overlay"),
    "compare": ("S", "Show the comparison series side by side (or close it)"),
    "preset_0": ("1", "Window: automatic from the histogram"),
    "preset_1": ("2", "Window: MR T1"),
    "preset_2": ("3", "Window: MR T2"),
    "preset_3": ("4", "Window: CT soft tissue"),
    "preset_4": ("5", "Window: CT bone"),
    "mode_crosshair": ("X", "Left button moves the crosshair"),
    "mode_pan": ("P", "Left button pans"),
    "mode_zoom": ("Z", "Left button zooms (drag up/down)"),
    "mode_window": ("W", "Left button sets window/level"),
    "zoom_in": ("Ctrl++", "Zoom in (active view)"),
    "zoom_out": ("Ctrl+-", "Zoom out (active view)"),
    "shortcuts": ("F1", "This list of shortcuts"),
    "user_guide": ("Shift+F1", "The user guide (viewer, annotation, plan, practice, case file)"),
    "undo": ("Ctrl+Z", "Undo the last annotation edit"),
    "redo": ("Ctrl+Shift+Z", "Redo the annotation edit undone"),
    "open_case": ("Ctrl+Alt+O", "Open a case file (*.spineplan.json)"),
    "save_case": ("Ctrl+S", "Save the case"),
    "save_case_as": ("Ctrl+Shift+S", "Save the case under another name"),
    "cases_folder": ("", "Choose the folder Save case as proposes"),
    "tool_levels": ("L", "Levels tool: click vertebral bodies, drag endplates"),
    "tool_body_width": (
        "Shift+W",
        "Body width: drag across a vertebral body on an axial or coronal view",
    ),
    "tool_brush": ("B", "Brush: paint the lesion (radius in mm)"),
    "tool_eraser": ("E", "Eraser: erase the lesion"),
    "tool_seed": ("G", "Grow the lesion from a seed on the post-contrast series"),
    "tool_ellipsoid": ("N", "Place an ellipsoid lesion (drag from its centre)"),
    "tool_edema": ("M", "Edema limits: drag on a sagittal view"),
    "brush_smaller": ("[", "Brush radius 0.5 mm smaller"),
    "brush_larger": ("]", "Brush radius 0.5 mm larger"),
    "registration": ("Ctrl+Alt+R", "Registration: the diagnostic MR onto a planning CT"),
    "registration_points": (
        "Ctrl+Alt+K",
        "Registration: click the same vertebral body on the MR view and the CT view",
    ),
    "registration_flicker": (
        "Ctrl+Alt+F",
        "Registration: flicker MR and CT on the fused views (again: stop)",
    ),
    "open_planning_ct": ("", "Open a planning CT folder (another study) for the registration"),
    "practice": ("Ctrl+Alt+P", "Practice: delineate a reference case and be scored"),
    "practice_submit": ("Ctrl+Return", "Practice: submit your attempt for scoring"),
}

#: (input, description) handled by the views themselves.
VIEW_CONTROLS: tuple[tuple[str, str], ...] = (
    ("Mouse wheel", "Previous / next slice (next: towards feet, patient's left, back)"),
    ("Up / Down, Left / Right", "Previous / next slice"),
    ("Page Up / Page Down", "Move a tenth of the slices"),
    ("Home / End", "First / last slice"),
    ("Ctrl + wheel", "Zoom about the cursor"),
    ("Left click / drag", "Move the linked crosshair (all views follow)"),
    ("Right drag", "Window/level: left-right = width, up-down = level"),
    ("Middle drag, Shift + left drag", "Pan"),
    ("Double-click", "Show this view alone / restore the layout"),
    ("Drag a series onto a view", "Show that series in the view's panel"),
)
