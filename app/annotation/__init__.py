"""Annotation of the open case: levels, lesion, edema; undo/redo, autosave, tools and panels."""
