"""The report's table rows and sentences: case, field, beams, prescription, coverage, MU."""

from __future__ import annotations

from planning.anatomy.edema import describe_edema
from planning.errors import PlanningError
from planning.evaluation.coverage import DoseStatistics
from planning.evaluation.structure_dose import CORD_ALPHA_BETA_GY
from planning.export.report.formatting import format_point_mm
from planning.plan import PlanResult


def case_rows(result: PlanResult) -> list[list[str]]:
    """The annotation the plan rests on: lesion, edema, counting check."""
    case = result.case
    lesion = result.lesion
    beside = lesion.formula_volume_beside_cc
    formula = "" if beside is None else f"{beside:.2f} cm³ from the ellipsoid's formula, "
    rows = [
        ["Case", ""],
        [
            "Lesion",
            f"{result.lesion_levels.words}: {lesion.volume_cc:.2f} cm³ {lesion.volume_basis} "
            f"({formula}{result.lesion_stats.volume_cc:.2f} cm³ on the dose grid), "
            "superior-inferior extent "
            f"{lesion.si_extent_mm:.1f} mm (z {lesion.superior_z_mm:.1f} to "
            f"{lesion.inferior_z_mm:.1f} mm), centroid {format_point_mm(lesion.centroid_mm)}",
        ],
    ]
    images = result.images
    if images.on_registered_ct:
        rows.insert(
            1,
            [
                "Planned on",
                f"planning CT '{images.export_series.description}' (study "
                f"{images.export_series.study_instance_uid}), through the case's registration; "
                "every z and point in this report is a CT coordinate",
            ],
        )
    if case.edema is not None:
        try:
            edema = describe_edema(
                case.levels,
                case.edema.superior_z_mm,
                case.edema.inferior_z_mm,
                case.edema.centreline_mm,
                case.thoracic_prefix,
            )
            rows.append(
                ["Edema", f"{edema.words}, {edema.cord_length_mm:.0f} mm ({edema.length_method})"]
            )
        except PlanningError as error:
            rows.append(["Edema", f"not described: {error}"])
    if result.structure_doses:
        rows.append(
            [
                "Other structures",
                "; ".join(
                    f"{s.name} ({s.interpreted_type}, {s.volume_cc:.1f} cm³)"
                    for s in result.structure_doses
                ),
            ]
        )
    try:
        check = case.counting_check()
    except PlanningError as error:
        rows.append(["Counting check", f"not available: {error}"])
    else:
        rows.append(["Counting check", check.sentence if check else "no counting anchors set"])
    return rows


def field_rows(result: PlanResult) -> list[list[str]]:
    """The field: levels, borders (z, mm), size, isocentre and set-up."""
    plan_field = result.field
    prefix = result.case.thoracic_prefix
    iso = plan_field.isocentre_mm or (float("nan"),) * 3
    return [
        ["Field", ""],
        ["Lesion levels", result.lesion_levels.words],
        [
            "Field levels",
            f"{plan_field.levels_words(prefix)} ({plan_field.coverage_words(prefix)})",
        ],
        ["Arrangement, energy", f"{plan_field.arrangement}, {plan_field.energy}"],
        *(
            [side, sentence]
            for side, sentence in zip(
                ("Superior border", "Inferior border"),
                plan_field.border_sentences(prefix),
                strict=True,
            )
        ),
        [
            "Length x width at the isocentre plane",
            f"{plan_field.length_mm / 10:.1f} x {plan_field.width_mm / 10:.1f} cm at the "
            "isocentre plane (lesion centroid depth), where the border z values apply",
        ],
        [
            "Field on the skin",
            "; ".join(
                f"{b.name} {b.field_at_skin_cm[1]:.1f} x {b.field_at_skin_cm[0]:.1f} cm "
                f"(length x width, SSD {b.ssd_cm:.1f} cm)"
                for b in result.beams
            )
            + ": the beams diverge, so the field is smaller on the skin",
        ],
        ["Isocentre (LPS)", f"({iso[0]:.1f}, {iso[1]:.1f}, {iso[2]:.1f}) mm"],
        [
            "Set-up",
            f"SSD {plan_field.ssd_cm:g} cm, border convention "
            f"{plan_field.border_convention}, margin {plan_field.margin_mm:g} mm",
        ],
    ]


def beam_rows(result: PlanResult) -> list[list[str]]:
    """One row per beam: gantry, jaws (cm), SSD, depth, dose and MU (or minutes) per fraction."""
    rows = [
        [
            "Beam",
            "Gantry",
            "X1 / X2 cm",
            "Y1 / Y2 cm",
            "SSD cm",
            "Depth cm",
            "Dose/fx Gy",
            "MU or time",
        ]
    ]
    for geometry, calc in zip(result.beams, result.monitor_units, strict=True):
        (x1, x2), (y1, y2) = geometry.jaws_sad_cm
        rows.append(
            [
                geometry.name,
                f"{geometry.gantry_angle_deg:g} deg",
                f"{x1:.2f} / {x2:.2f}",
                f"{y1:.2f} / {y2:.2f}",
                f"{geometry.ssd_cm:.1f}",
                f"{calc.depth_cm:.2f}",
                f"{calc.dose_per_fraction_gy:.3f}",
                f"{calc.meterset:.1f} MU" if calc.unit == "MU" else f"{calc.meterset:.2f} min",
            ]
        )
    return rows


def prescription_rows(result: PlanResult) -> list[list[str]]:
    """Dose and fractions, BED / EQD2, normalisation point and dose grid."""
    p = result.prescription
    ab = result.alpha_beta_gy
    return [
        ["Prescription", ""],
        [
            "Dose",
            f"{p.dose_gy:g} Gy in {p.fractions} fractions ({p.dose_per_fraction_gy:g} Gy "
            "per fraction)",
        ],
        [f"BED / EQD2 (alpha/beta {ab:g} Gy)", f"{p.bed_gy(ab):.1f} Gy / {p.eqd2_gy(ab):.1f} Gy"],
        [
            "Normalisation",
            f"100 % = {p.dose_gy:g} Gy at the {result.normalisation.description}; "
            f"water-equivalent depth {result.normalisation.depth_cm:.2f} cm",
        ],
        ["Dose grid", f"{result.grid_spacing_mm:g} mm axial; density: {result.density.source}"],
    ]


def coverage_rows(result: PlanResult) -> list[list[str]]:
    """The lesion, then each of the case's other structures (the cord...)."""

    def row(s: DoseStatistics) -> list[str]:
        return [
            s.structure,
            f"{s.volume_cc:.2f}",
            f"{s.v95_percent:.1f}",
            f"{s.d95_gy:.2f} Gy ({s.d95_percent:.1f} %)",
            f"{s.dmin_gy:.2f} Gy ({s.dmin_percent:.1f} %)",
            f"{s.dmax_gy:.2f} Gy ({s.dmax_percent:.1f} %)",
            f"{s.dmean_gy:.2f} Gy ({s.dmean_percent:.1f} %)",
        ]

    rows = [["Structure", "Volume on the dose grid, cm³", "V95 %", "D95", "Dmin", "Dmax", "Dmean"]]
    rows.append(row(result.lesion_stats))
    for other in result.structure_doses:
        if other.stats is None:
            rows.append([other.name, "", "", "not on the dose grid", "", "", ""])
        else:
            rows.append(row(other.stats))
    return rows


def structure_notes(result: PlanResult) -> list[str]:
    """Sentences under the coverage table: the cord's maximum dose, partial structures."""
    notes = []
    cord, eqd2 = result.cord, result.cord_dmax_eqd2_gy()
    if cord is not None and cord.stats is not None and eqd2 is not None:
        notes.append(
            f"{cord.name} Dmax {cord.stats.dmax_gy:.2f} Gy ({cord.stats.dmax_percent:.1f} % of "
            f"the prescription) in {result.prescription.fractions} fraction(s): EQD2 "
            f"{eqd2:.1f} Gy (alpha/beta {CORD_ALPHA_BETA_GY:g} Gy)."
        )
    for other in result.structure_doses:
        if other.stats is not None and other.volume_in_dose_grid_percent < 99.0:
            notes.append(
                f"{other.name}: {other.volume_in_dose_grid_percent:.0f} % of its "
                f"{other.volume_cc:.1f} cm³ lies on the dose grid; the row is of that part."
            )
    return notes


def monitor_unit_rows(result: PlanResult) -> list[list[str]]:
    """One row per beam with every input of the hand MU (or treatment-time) calculation."""
    rows = [["Beam", "D/fx cGy", "Output", "Sc", "Sp", "PDD %", "ISF", "Engine %", "Result"]]
    for c in result.monitor_units:
        rows.append(
            [
                c.beam_name,
                f"{100 * c.dose_per_fraction_gy:.1f}",
                f"{c.output:.4g} {c.output_label}",
                f"{c.sc:.3f}",
                f"{c.sp:.3f}",
                f"{c.pdd_percent:.1f}",
                f"{c.inverse_square_factor:.4f}",
                f"{c.engine_percent:.1f}",
                f"{c.meterset:.1f} MU" if c.unit == "MU" else f"{c.meterset:.2f} min",
            ]
        )
    return rows


def patient_line(result: PlanResult) -> str:
    """Patient name, ID and study date from the lesion series, or a note that none is known."""
    meta = result.images.lesion_volume.metadata
    parts = []
    if meta.patient_name:
        parts.append(f"Patient {meta.patient_name.replace('^', ' ')}")
    if meta.patient_id:
        parts.append(f"ID {meta.patient_id}")
    if meta.study_date:
        parts.append(f"study {meta.study_date}")
    return ", ".join(parts) or "Patient not identified in the images"
