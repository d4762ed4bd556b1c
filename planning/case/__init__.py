"""The case file (``*.spineplan.json``): read with precise messages, write atomically.

The schema is documented in ``docs/case-file.md``; these modules are its reference
implementation, and this one gathers their public names:

* :mod:`planning.case.model`: :class:`Case`, :class:`StudyReference`, the schema's constants;
* :mod:`planning.case.reading`: :func:`load_case`, :func:`case_from_dict` (every message of a
  malformed file names the file and the field path);
* :mod:`planning.case.writing`: :func:`save_case` (atomic), :func:`case_to_dict`;
* :mod:`planning.case.study`: :func:`check_study`. Loading never touches the images: the study
  is resolved and its frame of reference checked separately, so a case can be parsed (and
  tested) without DICOM;
* :mod:`planning.case.masks`: :func:`~planning.case.masks.load_masks` builds the masks a case
  references on the images, :func:`~planning.case.masks.with_mask_files` names the files
  painted masks are saved to;
* :mod:`planning.case.edits`: the edits of a case (label a body, paint the lesion, set the
  edema...) as pure functions ``Case -> Case``, the GUI's undo steps.
"""

from __future__ import annotations

from planning.case.model import (
    CASE_FILE_SUFFIX,
    PLAN_FIELDS,
    SCHEMA_VERSION,
    Case,
    StudyReference,
    in_case,
)
from planning.case.reading import case_from_dict, load_case
from planning.case.study import check_study
from planning.case.writing import case_to_dict, save_case

__all__ = [
    "CASE_FILE_SUFFIX",
    "PLAN_FIELDS",
    "SCHEMA_VERSION",
    "Case",
    "StudyReference",
    "case_from_dict",
    "case_to_dict",
    "check_study",
    "in_case",
    "load_case",
    "save_case",
]
