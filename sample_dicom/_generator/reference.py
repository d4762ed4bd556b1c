"""The reference annotation of each case (``reference.spineplan.json``, issue 5's minimal form)."""

from __future__ import annotations

import json
from pathlib import Path

from .cases import CaseModel
from .dicom_io import study_uids, uid
from .planning_ct import matrix_mr_to_ct


def reference_annotation(case: CaseModel) -> dict:
    """The annotation as plain JSON data; coordinates in patient LPS millimetres."""
    study_uid, for_uid = study_uids(case)
    pathology = case.phantom.pathology
    data: dict = {
        "study": {"path": ".", "study_instance_uid": study_uid, "frame_of_reference_uid": for_uid},
        "reference": True,
        "levels": [
            {"name": name, "superior_z_mm": sup, "inferior_z_mm": inf}
            for name, sup, inf in case.levels
        ],
        "lesion": {
            "type": "ellipsoid",
            "center_mm": list(pathology.lesion.center_mm),
            "radii_mm": list(pathology.lesion.radii_mm),
        },
        "edema": {
            "superior_z_mm": pathology.edema_superior_z_mm,
            "inferior_z_mm": pathology.edema_inferior_z_mm,
        },
    }
    if case.spec.planning_ct is not None:
        # The planning CT of another study, with the exact known transform from the MR.
        data["planning_ct"] = {
            "path": "PLANNING_CT",
            "series_instance_uid": uid(case.spec.name, "PLANNING_CT", "series"),
            "registration": {
                "matrix_mm": [[float(v) for v in row] for row in matrix_mr_to_ct(case)]
            },
        }
    met = pathology.bone_metastasis
    if met is not None:
        data["findings"] = [
            {
                "type": "bone_metastasis",
                "level": case.spec.bone_metastasis_level,
                "center_mm": list(met.center_mm),
                "radii_mm": list(met.radii_mm),
            }
        ]
    return data


def write_reference(case: CaseModel, out_dir: Path) -> Path:
    """Write ``out_dir/<case>/reference.spineplan.json`` (stable formatting, LF endings)."""
    path = out_dir / case.spec.name / "reference.spineplan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(reference_annotation(case), indent=2) + "\n"
    path.write_bytes(text.encode("ascii"))
    return path
