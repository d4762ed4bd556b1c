"""The coverage verdict: PASS when the 95 % isodose covers the lesion, else where and what to do.

The lesion passes when V95 >= 99 % (:func:`planning.evaluation.coverage.coverage_passes`).
Otherwise each cold lesion voxel (below 95 % of the prescription) is put in the first class it fits:

1. **superior edge** / 2. **inferior edge** -- within the edge zone of a field border in z;
3. **lateral edge** -- within the edge zone of a side of the field (beam X);
4. **too deep** -- deeper than the normalisation point (a single field only);
5. **in the field** -- none of these (low dose in the open field: check the normalisation
   point and the outline).

The *edge zone* is where an error-function field edge has fallen below 95 % of the open-field
dose: 1.645 penumbra sigma inside the edge (the beam model's sigma at the lesion depth), plus
1 mm. Each class gets a fix in the plan's own terms: a larger ``margin_mm`` or field width by the
amount needed to put the 95 % point beyond the lesion, a deeper normalisation, the other energy,
an opposed pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.units import cm_to_mm
from imaging.volume import Volume
from planning.dose.beam_model import BeamModel
from planning.dose.engine import BeamDose
from planning.evaluation.coverage import (
    COVERAGE_ISODOSE_PERCENT,
    PASS_V95_PERCENT,
    DoseStatistics,
    coverage_passes,
)
from planning.field.beam import Beam, beam_axes
from planning.field.derivation import Field

#: z-score of the 95 % point of an error-function edge.
_Z95 = 1.6449
#: Extra distance (mm) added to the edge zone and to suggested margins (voxel and set-up slack).
_SLACK_MM = 1.0


@dataclass(frozen=True)
class ColdRegion:
    """Part of the lesion below the 95 % isodose.

    Attributes
    ----------
    kind : {"superior_edge", "inferior_edge", "lateral_edge", "too_deep", "in_field"}
    volume_percent : float
        Share of the lesion volume in this class, %.
    min_dose_percent : float
        Lowest dose in the class, % of the prescription.
    description : str
        Where, in words with numbers.
    """

    kind: str
    volume_percent: float
    min_dose_percent: float
    description: str


@dataclass(frozen=True)
class Verdict:
    """PASS or FAIL with the reasons and the fixes."""

    passed: bool
    v95_percent: float
    headline: str
    cold_regions: tuple[ColdRegion, ...] = ()
    fixes: tuple[str, ...] = ()
    #: Settings that would fix the cold parts, when one applies: ``margin_mm`` for the borders,
    #: ``field_width_mm``, ``normalisation_depth_mm``.
    suggested_margin_mm: float | None = None
    suggested_width_mm: float | None = None
    suggested_normalisation_depth_mm: float | None = None

    @property
    def label(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def to_dict(self) -> dict[str, object]:
        return {
            "result": self.label,
            "v95_percent": round(self.v95_percent, 2),
            "headline": self.headline,
            "cold_regions": [
                {
                    "kind": r.kind,
                    "volume_percent": round(r.volume_percent, 2),
                    "min_dose_percent": round(r.min_dose_percent, 2),
                    "description": r.description,
                }
                for r in self.cold_regions
            ],
            "fixes": list(self.fixes),
            "suggested_margin_mm": self.suggested_margin_mm,
            "suggested_width_mm": self.suggested_width_mm,
            "suggested_normalisation_depth_mm": self.suggested_normalisation_depth_mm,
        }


def coverage_verdict(
    stats: DoseStatistics,
    *,
    dose_gy: Volume,
    lesion_mask: Volume,
    plan_field: Field,
    beam_doses: Sequence[BeamDose],
    beams: Sequence[Beam],
    normalisation_depth_cm: float,
    model: BeamModel,
) -> Verdict:
    """The verdict of a computed plan (module docstring).

    Parameters
    ----------
    stats : DoseStatistics
        The lesion's statistics on ``dose_gy``.
    dose_gy, lesion_mask : Volume
        Plan dose (Gy) and lesion mask on the dose grid.
    plan_field : Field
    beam_doses : sequence of BeamDose
        The engine's per-beam results (their ``depth_cm`` is used).
    beams : sequence of planning.field.beam.Beam
    normalisation_depth_cm : float
        Water-equivalent depth of the normalisation point along the first beam, cm.
    model : BeamModel
        For the penumbra width at the lesion depth.
    """
    passed = coverage_passes(stats)
    threshold = stats.prescription_gy * COVERAGE_ISODOSE_PERCENT / 100.0
    mask = np.asarray(lesion_mask.array, dtype=bool)
    dose = np.asarray(dose_gy.array)
    cold = mask & (dose < threshold)
    total = int(mask.sum())
    if passed:
        headline = (
            f"PASS: the {COVERAGE_ISODOSE_PERCENT:g} % isodose covers {stats.v95_percent:.1f} % "
            f"of the lesion (V95 >= {PASS_V95_PERCENT:g} %)"
        )
        return Verdict(True, stats.v95_percent, headline)

    k, j, i = np.nonzero(cold)
    points = dose_gy.index_to_patient(np.column_stack([i, j, k]).astype(float))
    doses_percent = 100.0 * dose[k, j, i] / stats.prescription_gy
    half_voxel_z = 0.5 * abs(float(dose_gy.affine[2, 2]))
    iso = np.asarray(plan_field.isocentre_mm, dtype=float)
    depth_first = np.asarray(beam_doses[0].depth_cm.array)[k, j, i]
    lesion_depth_cm = float(np.median(depth_first)) if depth_first.size else 5.0
    ssd_cm = beam_doses[0].ssd_cm
    side_cm = beam_doses[0].equivalent_square_at_skin_cm
    sigma_mm = cm_to_mm(float(model.penumbra_sigma_cm(np.array(lesion_depth_cm), ssd_cm, side_cm)))
    zone_mm = _Z95 * sigma_mm + _SLACK_MM

    superior_gap = plan_field.superior_border_z_mm - (points[:, 2] + half_voxel_z)
    inferior_gap = (points[:, 2] - half_voxel_z) - plan_field.inferior_border_z_mm
    across = beam_axes(beams[0].gantry_angle_deg)[0]
    offaxis = np.abs((points - iso) @ across)
    lateral_gap = plan_field.width_mm / 2.0 - offaxis

    kinds = np.full(len(points), "in_field", dtype=object)
    if len(beams) == 1:
        # Depth matters for a single field; opposed pairs are normalised at midplane, where
        # what is deeper for one beam is shallower for the other.
        kinds[depth_first > normalisation_depth_cm + 0.25] = "too_deep"
    kinds[lateral_gap < zone_mm] = "lateral_edge"
    kinds[inferior_gap < zone_mm] = "inferior_edge"
    kinds[superior_gap < zone_mm] = "superior_edge"

    regions: list[ColdRegion] = []
    fixes: list[str] = []
    suggested: dict[str, float] = {}
    margin = plan_field.margin_mm
    for kind in ("superior_edge", "inferior_edge", "lateral_edge", "too_deep", "in_field"):
        selected = kinds == kind
        if not selected.any():
            continue
        share = 100.0 * int(selected.sum()) / total
        lowest = float(doses_percent[selected].min())
        if kind in ("superior_edge", "inferior_edge"):
            side = "superior" if kind == "superior_edge" else "inferior"
            gap = superior_gap if side == "superior" else inferior_gap
            border = (
                plan_field.superior_border_z_mm
                if side == "superior"
                else plan_field.inferior_border_z_mm
            )
            closest = float(gap[selected].min())
            needed = float(np.ceil(max(zone_mm - closest, 0.5)))
            suggested["margin"] = max(suggested.get("margin", -np.inf), margin + needed)
            where = "inside" if closest >= 0 else "beyond"
            regions.append(
                ColdRegion(
                    kind,
                    share,
                    lowest,
                    f"{share:.1f} % of the lesion lies too close to the {side} field edge "
                    f"(border at z {border:.1f} mm; the lesion reaches {abs(closest):.1f} mm "
                    f"{where} it, the 95 % isodose lies about {zone_mm:.1f} mm inside the "
                    "border)",
                )
            )
            convention = (
                " or use the disc border convention"
                if plan_field.border_convention == "endplate"
                else ""
            )
            fixes.append(
                f"move the {side} border out by at least {needed:.0f} mm: margin "
                f"{margin + needed:.0f} mm (--margin-mm {margin + needed:.0f}){convention}"
            )
        elif kind == "lateral_edge":
            furthest = float(offaxis[selected].max())
            width = float(np.ceil(2.0 * (furthest + zone_mm + 1.0)))
            suggested["width"] = width
            regions.append(
                ColdRegion(
                    kind,
                    share,
                    lowest,
                    f"{share:.1f} % of the lesion lies too close to the side of the field "
                    f"(field width {plan_field.width_mm:.0f} mm; its cold voxels lie up to "
                    f"{furthest:.1f} mm off the central axis, the 95 % isodose about "
                    f"{zone_mm:.1f} mm inside the field edge)",
                )
            )
            fixes.append(f"widen the field to at least {width:.0f} mm")
        elif kind == "too_deep":
            deepest = float(depth_first[selected].max())
            suggested["depth"] = float(np.ceil(cm_to_mm(deepest)))
            regions.append(
                ColdRegion(
                    kind,
                    share,
                    lowest,
                    f"{share:.1f} % of the lesion lies too deep: down to {deepest:.1f} cm "
                    f"water-equivalent depth along the {beams[0].name or 'first'} beam, beyond "
                    f"the normalisation depth {normalisation_depth_cm:.1f} cm",
                )
            )
            fixes.append(
                f"normalise deeper (at {deepest:.1f} cm, the deepest cold part of the lesion)"
            )
            if plan_field.energy == "Co60":
                fixes.append("use 6 MV, whose depth dose falls off more slowly")
            if plan_field.arrangement == "PA":
                fixes.append("use an AP/PA pair (or a lateral pair in the neck) for a flatter dose")
        else:
            regions.append(
                ColdRegion(
                    kind,
                    share,
                    lowest,
                    f"{share:.1f} % of the lesion is below 95 % inside the open field, away "
                    "from its edges",
                )
            )
            fixes.append(
                "check the normalisation point and the patient outline (density) used for the dose"
            )
    headline = (
        f"FAIL: the {COVERAGE_ISODOSE_PERCENT:g} % isodose covers only {stats.v95_percent:.1f} % "
        f"of the lesion (needs >= {PASS_V95_PERCENT:g} %); minimum dose "
        f"{stats.dmin_percent:.1f} %"
    )
    return Verdict(
        False,
        stats.v95_percent,
        headline,
        tuple(regions),
        tuple(dict.fromkeys(fixes)),
        suggested_margin_mm=suggested.get("margin"),
        suggested_width_mm=suggested.get("width"),
        suggested_normalisation_depth_mm=suggested.get("depth"),
    )
