"""Field limits for planners: ``field.json`` and ``field.csv`` from a :class:`PlanResult`, and
the dose-free field limits (``spineplan field --json``) from a :class:`PlanGeometry`.

``field.json`` (all lengths carry their unit in the key, coordinates are DICOM patient LPS mm,
z towards the head)::

    {"format": "spineplan-field", "format_version": 1,
     "case": ..., "lesion_levels": ["C4", "C5"], "lesion_levels_words": "C4-C5",
     "arrangement": "lateral_pair", "energy": "6MV",
     "field": {"superior_level", "inferior_level", "superior_border_z_mm",
               "inferior_border_z_mm", "length_mm", "width_mm", "isocentre_mm", ...},
     "beams": [{"name", "gantry_angle_deg", "jaw_x1_cm", ..., "ssd_cm", "meterset", ...}],
     "prescription": {"dose_gy", "fractions", "dose_per_fraction_gy", "bed_gy", "eqd2_gy", ...},
     "normalisation": {...}, "coverage": {"lesion": {...}, "pass": true, "verdict": {...},
                                          "cord": {"dmax_gy", "dmax_percent", ...} (when drawn),
                                          "structures": [{...}, ...] (every extra structure)},
     "monitor_units": [...], "assumptions": [...], "warnings": [...]}

Without dose (a machine without a depth-dose table): ``field_limits.json`` (the
``spineplan-field-limits`` document of :func:`field_limits_document`) and ``field_limits.txt``
(:func:`field_limits_text`), written by :func:`write_field_limits`.

On a planning CT in another frame of reference (the case's ``planning_ct``) every z is a CT
coordinate and ``frame_of_reference_uid`` is the CT's; a ``registration`` object gives the MR's
frame, the matrix (MR LPS mm -> CT LPS mm) and the borders mapped back onto the MR.

``field.csv``: one row per beam with the field borders repeated on each row, unit-bearing
headers (``superior_border_z_mm``, ``jaw_x1_cm``, ``meterset_mu``/``time_min``...).

The field limits without dose (:func:`field_limits_document`, ``"format":
"spineplan-field-limits"``) share ``field.json``'s ``lesion_levels``, ``lesion``, ``field`` and
the beams' set-up keys (:func:`field_limits_dict`, :func:`beam_setup_dict`), with
``"dose_computed": false`` and no prescription, normalisation, coverage or meterset.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from imaging.atomic_write import write_atomic_together
from planning.anatomy.lesion import LesionLevels, LesionMeasurements
from planning.anatomy.levels import ThoracicPrefix, display_name
from planning.case import Case
from planning.dose.images import PlanImages
from planning.dose.plan_geometry import PlanGeometry
from planning.evaluation.structure_dose import CORD_ALPHA_BETA_GY, StructureDose
from planning.field.beam import Beam
from planning.field.derivation import Field
from planning.field.wording import border_sentence
from planning.plan import PlanResult

FORMAT_VERSION = 1


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def _point(values: Any, digits: int = 2) -> list[float] | None:
    return None if values is None else [round(float(v), digits) for v in values]


def structure_dict(result: PlanResult, structure: StructureDose) -> dict[str, Any]:
    """The dose to one extra structure as written in ``field.json``.

    The statistics are of the part of the structure on the dose grid (``volume_in_dose_grid_
    percent`` of it); they are null when no part of it is on the grid.
    """
    data: dict[str, Any] = {
        "structure": structure.name,
        "interpreted_type": structure.interpreted_type,
        "structure_volume_cc": _r(structure.volume_cc, 3),
        "volume_in_dose_grid_percent": _r(structure.volume_in_dose_grid_percent, 1),
    }
    keys = (
        *("volume_cc", "v95_percent", "d95_gy", "d95_percent", "dmin_gy", "dmin_percent"),
        *("dmax_gy", "dmax_percent", "dmean_gy", "dmean_percent"),
    )
    stats = structure.stats.to_json() if structure.stats is not None else {}
    for key in keys:
        data[key] = stats.get(key)
    if structure.is_cord:
        eqd2 = result.cord_dmax_eqd2_gy() if structure is result.cord else None
        data["dmax_eqd2_gy"] = _r(eqd2) if eqd2 is not None else None
        data["eqd2_alpha_beta_gy"] = CORD_ALPHA_BETA_GY
    return data


def beam_setup_dict(beam: Beam) -> dict[str, Any]:
    """One beam's set-up as written in ``field.json`` (and the field limits): angles, jaws at
    the SAD plane, SSD, field at the skin, isocentre depth, skin entry, machine isocentre (a beam
    set up by :func:`planning.dose.beam_setup.plan_beams`)."""
    (jaw_x1, jaw_x2), (jaw_y1, jaw_y2) = beam.jaws_sad_cm
    return {
        "name": beam.name,
        "gantry_angle_deg": beam.gantry_angle_deg,
        "collimator_angle_deg": beam.collimator_angle_deg,
        "couch_angle_deg": beam.couch_angle_deg,
        "energy": beam.energy,
        "setup": beam.setup,
        "ssd_cm": _r(beam.ssd_cm),
        "source_axis_distance_cm": beam.sad_cm,
        "jaw_x1_cm": _r(jaw_x1),
        "jaw_x2_cm": _r(jaw_x2),
        "jaw_y1_cm": _r(jaw_y1),
        "jaw_y2_cm": _r(jaw_y2),
        "jaws_plane": "at the source-axis distance (IEC; Y1 inferior, Y2 superior)",
        "field_x_cm": _r(jaw_x2 - jaw_x1),
        "field_y_cm": _r(jaw_y2 - jaw_y1),
        # The beam diverges: on the skin (SSD) the field differs from the jaws (SAD).
        "field_at_skin_x_cm": _r(beam.field_at_skin_cm[0]),
        "field_at_skin_y_cm": _r(beam.field_at_skin_cm[1]),
        "isocentre_depth_cm": _r(beam.isocentre_depth_cm),
        "skin_entry_mm": _point(beam.skin_entry_lps_mm),
        "machine_isocentre_mm": _point(beam.machine_isocentre_lps_mm),
    }


def field_limits_dict(plan_field: Field, prefix: ThoracicPrefix = "T") -> dict[str, Any]:
    """The field's levels, borders (z mm and in words), sizes, isocentre and SSD, as written
    in ``field.json``'s ``field``."""

    def show(name: str) -> str:
        return display_name(name, prefix)

    top, bottom = plan_field.reach_levels
    return {
        # the vertebrae the borders really reach (the rule's when it is met)
        "superior_level": show(top),
        "inferior_level": show(bottom),
        "levels_words": plan_field.levels_words(prefix),
        "rule_levels_words": plan_field.rule_levels_words(prefix),
        "covers_one_vertebra_each_side": plan_field.covers_rule,
        "superior_border_z_mm": _r(plan_field.superior_border_z_mm),
        "inferior_border_z_mm": _r(plan_field.inferior_border_z_mm),
        "superior_border_description": plan_field.superior_border_description,
        "inferior_border_description": plan_field.inferior_border_description,
        "superior_border_lies_in": plan_field.superior_border_location,
        "inferior_border_lies_in": plan_field.inferior_border_location,
        **(
            {"superior_landmark": plan_field.superior_landmark}
            if plan_field.superior_landmark
            else {}
        ),
        **(
            {"inferior_landmark": plan_field.inferior_landmark}
            if plan_field.inferior_landmark
            else {}
        ),
        "border_convention": plan_field.border_convention,
        "margin_mm": plan_field.margin_mm,
        "length_mm": _r(plan_field.length_mm),
        "width_mm": _r(plan_field.width_mm),
        "sizes_plane": "at the isocentre (lesion centroid depth)",
        "borders_plane": (
            "the border z values and the length and width apply in the plane through the "
            "isocentre (lesion centroid depth) normal to each beam; the beams diverge, so on "
            "the skin the field is smaller by SSD / (SSD + isocentre depth) (see each beam's "
            "field_at_skin_*_cm and jaws)"
        ),
        "isocentre_mm": _point(plan_field.isocentre_mm),
        "ssd_cm": _r(plan_field.ssd_cm),
    }


def _lesion_entries(
    levels: LesionLevels, lesion: LesionMeasurements, prefix: ThoracicPrefix
) -> dict[str, Any]:
    return {
        "lesion_levels": [display_name(n, prefix) for n in levels.names],
        "lesion_levels_words": levels.words,
        "lesion": {
            "volume_cc": _r(lesion.volume_cc, 3),
            "volume_basis": lesion.volume_basis,
            "formula_volume_cc": _r(lesion.formula_volume_cc, 3),
            "superior_z_mm": _r(lesion.superior_z_mm),
            "inferior_z_mm": _r(lesion.inferior_z_mm),
            "si_extent_mm": _r(lesion.si_extent_mm),
            "centroid_mm": _point(lesion.centroid_mm),
        },
    }


def _document_header(name: str, case: Case, images: PlanImages) -> dict[str, Any]:
    """The format, the case and the study's identity, and the coordinate frame."""
    return {
        "format": name,
        "format_version": FORMAT_VERSION,
        "case": str(case.source_path) if case.source_path else None,
        "study_instance_uid": images.export_series.study_instance_uid,
        "frame_of_reference_uid": images.plan_frame_uid,
        "coordinates": "DICOM patient LPS, mm; z increases towards the head",
    }


def registration_entry(images: PlanImages, plan_field: Field) -> dict[str, Any]:
    """On a planning CT in another frame: the MR's frame, the matrix and the borders on the MR."""
    if images.registration is None:
        return {}
    matrix = images.registration
    inverse = np.linalg.inv(matrix)
    iso = np.asarray(plan_field.isocentre_mm if plan_field.isocentre_mm else (0.0, 0.0, 0.0))

    def on_mr(z_mm: float) -> float:
        # the border plane at the isocentre's x, y (the canal), mapped back onto the MR
        return float((inverse @ np.array([iso[0], iso[1], z_mm, 1.0]))[2])

    return {
        "registration": {
            "mr_study_instance_uid": images.lesion_series.study_instance_uid,
            "mr_frame_of_reference_uid": images.lesion_series.frame_of_reference_uid,
            "matrix_mm": [[float(v) for v in row] for row in matrix],
            "matrix_maps": "MR LPS mm -> planning CT LPS mm (row-major)",
            "mr_superior_border_z_mm": _r(on_mr(plan_field.superior_border_z_mm)),
            "mr_inferior_border_z_mm": _r(on_mr(plan_field.inferior_border_z_mm)),
        }
    }


def field_limits_document(geometry: PlanGeometry) -> dict[str, Any]:
    """The field limits and set-up without dose (``spineplan field --json``).

    Same keys and rounding as ``field.json`` for the same quantities; ``dose_computed`` is
    false: the lesion's coverage is not checked.
    """
    plan_field = geometry.field
    prefix = geometry.case.thoracic_prefix
    return {
        **_document_header("spineplan-field-limits", geometry.case, geometry.images),
        **registration_entry(geometry.images, geometry.field),
        **_lesion_entries(geometry.lesion_levels, geometry.lesion, prefix),
        "arrangement": plan_field.arrangement,
        "energy": plan_field.energy,
        "field": field_limits_dict(plan_field, prefix),
        "beams": [beam_setup_dict(b) for b in geometry.beams],
        "assumptions": list(geometry.assumptions),
        "warnings": list(geometry.warnings),
        "dose_computed": False,
    }


def field_dict(result: PlanResult) -> dict[str, Any]:
    """The JSON-ready content of ``field.json``."""
    plan_field = result.field
    prefix = result.case.thoracic_prefix
    prescription = result.prescription
    stats = result.lesion_stats
    beams = [
        {
            **beam_setup_dict(geometry),
            "meterset": _r(calc.meterset, 2),
            "meterset_unit": calc.unit,
            "dose_per_fraction_gy": _r(calc.dose_per_fraction_gy, 4),
        }
        for geometry, calc in zip(result.beams, result.monitor_units, strict=True)
    ]
    bed = prescription.bed_gy(result.alpha_beta_gy)
    eqd2 = prescription.eqd2_gy(result.alpha_beta_gy)
    return {
        **_document_header("spineplan-field", result.case, result.images),
        **registration_entry(result.images, result.field),
        **_lesion_entries(result.lesion_levels, result.lesion, prefix),
        "arrangement": plan_field.arrangement,
        "energy": plan_field.energy,
        "field": field_limits_dict(plan_field, prefix),
        "beams": beams,
        "prescription": {
            "dose_gy": prescription.dose_gy,
            "fractions": prescription.fractions,
            "dose_per_fraction_gy": _r(prescription.dose_per_fraction_gy, 4),
            "alpha_beta_gy": result.alpha_beta_gy,
            "bed_gy": _r(bed),
            "eqd2_gy": _r(eqd2),
        },
        "normalisation": {
            "point_mm": _point(result.normalisation.point_mm),
            "description": result.normalisation.description,
            "depth_cm": _r(result.normalisation.depth_cm),
            "dose_gy": prescription.dose_gy,
        },
        "coverage": {
            "lesion": stats.to_json(),
            "pass": bool(result.coverage_pass),
            "criterion": "V95 >= 99 % of the lesion volume",
            "verdict": result.verdict.to_dict(),
            **({"cord": structure_dict(result, result.cord)} if result.cord is not None else {}),
            "structures": [structure_dict(result, s) for s in result.structure_doses],
        },
        "dose_grid": {
            "spacing_mm": result.grid_spacing_mm,
            "shape_kji": list(result.dose_gy.shape),
            "origin_mm": _point(result.dose_gy.origin_mm),
            "density": result.density.source,
        },
        "monitor_units": [calc.to_dict() for calc in result.monitor_units],
        "assumptions": list(result.assumptions),
        "warnings": list(result.warnings),
    }


#: Columns of ``field.csv``, in order.
CSV_COLUMNS = (
    "beam",
    "gantry_angle_deg",
    "energy",
    "arrangement",
    "superior_level",
    "superior_border_z_mm",
    "inferior_level",
    "inferior_border_z_mm",
    "field_length_mm",
    "field_width_mm",
    "jaw_x1_cm",
    "jaw_x2_cm",
    "jaw_y1_cm",
    "jaw_y2_cm",
    "ssd_cm",
    "isocentre_x_mm",
    "isocentre_y_mm",
    "isocentre_z_mm",
    "dose_per_fraction_gy",
    "meterset_mu",
    "time_min",
    "prescription_dose_gy",
    "fractions",
    "lesion_v95_percent",
    "coverage_pass",
    "cord_dmax_gy",
    "cord_dmax_percent",
)


def field_csv_text(result: PlanResult) -> str:
    """The content of ``field.csv``."""
    data = field_dict(result)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    field_data = data["field"]
    iso = field_data["isocentre_mm"] or [None, None, None]
    cord = data["coverage"].get("cord", {})
    for beam in data["beams"]:
        minutes = beam["meterset_unit"] == "min"
        writer.writerow(
            {
                "beam": beam["name"],
                "gantry_angle_deg": beam["gantry_angle_deg"],
                "energy": beam["energy"],
                "arrangement": data["arrangement"],
                "superior_level": field_data["superior_level"],
                "superior_border_z_mm": field_data["superior_border_z_mm"],
                "inferior_level": field_data["inferior_level"],
                "inferior_border_z_mm": field_data["inferior_border_z_mm"],
                "field_length_mm": field_data["length_mm"],
                "field_width_mm": field_data["width_mm"],
                "jaw_x1_cm": beam["jaw_x1_cm"],
                "jaw_x2_cm": beam["jaw_x2_cm"],
                "jaw_y1_cm": beam["jaw_y1_cm"],
                "jaw_y2_cm": beam["jaw_y2_cm"],
                "ssd_cm": beam["ssd_cm"],
                "isocentre_x_mm": iso[0],
                "isocentre_y_mm": iso[1],
                "isocentre_z_mm": iso[2],
                "dose_per_fraction_gy": beam["dose_per_fraction_gy"],
                "meterset_mu": "" if minutes else beam["meterset"],
                "time_min": beam["meterset"] if minutes else "",
                "prescription_dose_gy": data["prescription"]["dose_gy"],
                "fractions": data["prescription"]["fractions"],
                "lesion_v95_percent": data["coverage"]["lesion"]["v95_percent"],
                "coverage_pass": "PASS" if data["coverage"]["pass"] else "FAIL",
                # empty without a cord structure
                "cord_dmax_gy": _blank(cord.get("dmax_gy")),
                "cord_dmax_percent": _blank(cord.get("dmax_percent")),
            }
        )
    return buffer.getvalue()


def _blank(value: Any) -> Any:
    return "" if value is None else value


def write_field_json(path: str | Path, result: PlanResult) -> Path:
    """Write ``field.json``."""
    target = Path(path)
    target.write_text(json.dumps(field_dict(result), indent=2) + "\n", encoding="utf-8")
    return target


def write_field_csv(path: str | Path, result: PlanResult) -> Path:
    """Write ``field.csv``."""
    target = Path(path)
    target.write_text(field_csv_text(result), encoding="utf-8")
    return target


#: What a machine without a depth-dose table (Co-60 in this release) exports: no dose, so no
#: RT Dose, coverage or report -- the field limits and beam set-up of ``spineplan field``.
FIELD_ONLY_FILES = ("field_limits.json", "field_limits.txt")


def _cm(value: Any) -> str:
    return "?" if value is None else f"{value:.2f}"


def field_limits_text(document: dict[str, Any]) -> str:
    """The field limits of :func:`planning.export.field_limits.field_limits_document` for a
    person."""
    field = document["field"]
    iso = field["isocentre_mm"] or [None, None, None]
    lines = [
        f"lesion levels: {document['lesion_levels_words']}",
        f"field levels: {field['levels_words']} "
        f"({field['superior_level']} to {field['inferior_level']})",
        *(
            f"{side} border: "
            + border_sentence(
                field[f"{side}_border_z_mm"],
                field[f"{side}_border_description"],
                field[f"{side}_border_lies_in"],
                field[f"{side}_level"],
            )
            for side in ("superior", "inferior")
        ),
        f"field at the isocentre plane (length x width): {field['length_mm'] / 10:.1f} x "
        f"{field['width_mm'] / 10:.1f} cm",
        f"arrangement: {document['arrangement']}",
        f"energy: {document['energy']}, SSD {field['ssd_cm']:g} cm",
    ]
    registration = document.get("registration")
    if registration is not None:
        lines.insert(
            2,
            "planned on the planning CT: z in CT coordinates (frame of reference "
            f"{document['frame_of_reference_uid']}); on the MR the borders are z "
            f"{registration['mr_superior_border_z_mm']:.1f} / "
            f"{registration['mr_inferior_border_z_mm']:.1f} mm",
        )
    for beam in document["beams"]:
        lines.append(
            f"beam {beam['name']}: gantry {beam['gantry_angle_deg']:g} deg; jaws at the SAD "
            f"plane ({beam['source_axis_distance_cm']:g} cm): X1 {_cm(beam['jaw_x1_cm'])}, "
            f"X2 {_cm(beam['jaw_x2_cm'])}, Y1 {_cm(beam['jaw_y1_cm'])}, "
            f"Y2 {_cm(beam['jaw_y2_cm'])} cm; field on the skin (length x width) "
            f"{_cm(beam['field_at_skin_y_cm'])} x {_cm(beam['field_at_skin_x_cm'])} cm; "
            f"isocentre depth {_cm(beam['isocentre_depth_cm'])} cm (SSD {_cm(beam['ssd_cm'])} cm)"
        )
    lines.append("isocentre (LPS mm): " + ", ".join("?" if v is None else f"{v:.1f}" for v in iso))
    lines += [f"assumption: {assumption}" for assumption in document["assumptions"]]
    lines += [f"warning: {warning}" for warning in document["warnings"]]
    lines.append(
        "no dose was computed: the lesion's coverage by the 95 % isodose is NOT checked "
        "(spineplan plan computes it where depth-dose data exist)"
    )
    return "\n".join(lines)


def write_field_limits(geometry: PlanGeometry, out: Path) -> list[Path]:
    """``field_limits.json`` and ``field_limits.txt`` (what ``spineplan field`` prints) in
    ``out``, each written whole under a temporary name and then renamed, both before either
    replaces its file (never a new JSON beside an old text)."""
    document = field_limits_document(geometry)
    texts = {
        FIELD_ONLY_FILES[0]: json.dumps(document, indent=2) + "\n",
        FIELD_ONLY_FILES[1]: field_limits_text(document) + "\n",
    }
    out.mkdir(exist_ok=True)
    return write_atomic_together({out / name: text for name, text in texts.items()})
