"""Field derivation: from the labelled levels, the lesion and the settings to a portal.

Rules (issue 6, item 1):

* The field covers the lesion levels plus one vertebra above and one below (the *adjacent*
  vertebrae, ``Field.superior_level`` and ``Field.inferior_level``).
* Border convention ``disc`` (default): each border at the middle of the disc space beyond the
  adjacent vertebra; ``endplate``: at the adjacent vertebra's outer endplate. Either plus
  ``margin_mm`` outwards. Where the disc beyond is not labelled (its other vertebra is not
  marked), the border falls back to the outer endplate plus half a typical disc height of the
  region (:data:`FALLBACK_HALF_DISC_MM`), and the result says so in ``assumptions``.
* The ends of the spine (issue 16): a lesion reaching C1 has no vertebra above it; the superior
  border is the top of the C1 ring (or the lesion's top, if higher) plus
  ``skull_base_margin_mm``, towards the foramen magnum. A lesion reaching the lowest labelled
  sacral body with no labelled body below it gets its inferior border that body's inferior
  endplate (or the lesion's bottom) minus ``sacral_margin_mm``. Each with a warning and the
  landmark (``Field.superior_landmark``, ``landmark_z_mm``) to draw.
* What the borders really reach: when a (negative) margin leaves an adjacent vertebra not wholly
  inside the field, ``Field.levels_words`` names the vertebrae the borders reach, each border's
  location says which body or disc it lies in, and a warning says the rule is no longer met.
* Arrangement ``auto``: a parallel-opposed lateral pair (gantry 90/270) when every lesion level
  is cervical (C1-C7), otherwise a single posterior field (PA, gantry 180). Overrides: ``PA``,
  ``lateral_pair``, ``AP_PA`` (gantry 0/180). Gantry angles are IEC 61217 for a head-first
  supine patient.
* Width (at the isocentre plane, across the beam and perpendicular to the cord): the override,
  else for PA and AP/PA the widest measured vertebral body in the field plus
  ``width_margin_mm`` each side, else :data:`DEFAULT_WIDTH_MM` (80 mm PA / AP-PA, 60 mm lateral
  pair, centred on the cord), stated as an assumption.
* Isocentre: mid-field in z, at the lesion centroid's x and y (SSD set-up, SSD 80 cm Co-60,
  100 cm 6 MV unless overridden).
* A cervical lateral pair whose inferior border lies below C7 (below its inferior endplate,
  or in the thoracic spine when C7 is not labelled) gets a warning: the lateral beams would pass
  through the shoulders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np

from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, lesion_levels, measure_lesion
from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    disc_space,
    display_name,
    find_level,
    highest_reached,
    level_at,
    level_index,
    level_range_words,
    lowest_reached,
    region_of,
    require_consistent,
    z_location_words,
)
from planning.case import Case
from planning.case.settings import Arrangement, PlanSettings
from planning.errors import FieldError
from planning.field.beam import Beam
from planning.field.wording import border_sentence

#: Half a typical disc height per region (first letter of the level), mm: the stated margin
#: beyond the outer endplate when the disc beyond the adjacent vertebra is not labelled.
FALLBACK_HALF_DISC_MM: dict[str, float] = {"C": 3.0, "T": 2.5, "L": 5.0, "S": 5.0}

#: Field width when no body width is measured and no override is given, mm.
DEFAULT_WIDTH_MM: dict[str, float] = {"PA": 80.0, "AP_PA": 80.0, "lateral_pair": 60.0}

#: The treatment position the gantry angles are computed for (DICOM Patient Position).
TREATMENT_POSITION = "HFS"

_HFS = "gantry angles are IEC 61217 for a head-first supine patient"


#: The beams of each arrangement (name and gantry angle; :func:`derive_field` adds the energy,
#: the isocentre and the SSD).
_BEAMS: dict[str, tuple[Beam, ...]] = {
    "PA": (Beam("PA", 180.0),),
    "lateral_pair": (Beam("left lateral", 90.0), Beam("right lateral", 270.0)),
    "AP_PA": (Beam("AP", 0.0), Beam("PA", 180.0)),
}


@dataclass(frozen=True)
class Field:
    """A derived field. All z in patient LPS mm; sizes at the isocentre plane in mm.

    Attributes
    ----------
    superior_border_z_mm, inferior_border_z_mm : float
        The field borders.
    superior_level, inferior_level : str
        The adjacent vertebrae: one above and one below the lesion levels.
    lesion_levels : tuple of str
        The lesion levels, head down.
    length_mm, width_mm : float
        Superior-inferior length and width of the field.
    arrangement : {"PA", "lateral_pair", "AP_PA"}
        The arrangement in use (``auto`` resolved).
    beams : tuple of Beam
        The arrangement's beams with the field's energy, isocentre and SSD (not yet set up:
        no jaws, see :func:`planning.dose.beam_setup.plan_beams`).
    isocentre_mm : tuple of 3 float or None
        Mid-field z at the lesion centroid's x, y; ``None`` when no position is known.
    ssd_cm : float
    energy, border_convention : str
    margin_mm : float
    superior_border_description, inferior_border_description : str
        Where each border is, in words ("middle of the C2-3 disc").
    assumptions : tuple of str
        Every default or fallback the result rests on.
    warnings : tuple of str
        Things the planner must look at (shoulders in a lateral beam...).
    superior_reach_level, inferior_reach_level : str or None
        The vertebrae the borders really reach: the adjacent vertebrae when the field covers
        them whole (the rule met), else the last body the border cuts into (a negative margin
        can leave the borders inside the lesion levels). ``None``: the adjacent vertebrae.
    superior_border_location, inferior_border_location : str
        The body or disc space each border lies in ("the T8-9 disc space", "the T10 body").
    covers_rule : bool
        Whether the field covers one vertebra above and one below the lesion levels whole.
    superior_landmark : str
        At the cranial end (a lesion reaching C1), the landmark the superior border is set
        from ("top of the C1 ring"); empty otherwise. ``inferior_landmark`` likewise at the
        sacral end.
    landmark_z_mm : dict of str to float
        The z of each landmark used, keyed "superior" / "inferior", to draw it.
    """

    superior_border_z_mm: float
    inferior_border_z_mm: float
    superior_level: str
    inferior_level: str
    lesion_levels: tuple[str, ...]
    length_mm: float
    width_mm: float
    arrangement: Arrangement
    beams: tuple[Beam, ...]
    isocentre_mm: tuple[float, float, float] | None
    ssd_cm: float
    energy: str
    border_convention: str
    margin_mm: float
    superior_border_description: str
    inferior_border_description: str
    assumptions: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    superior_reach_level: str | None = None
    inferior_reach_level: str | None = None
    superior_border_location: str = ""
    inferior_border_location: str = ""
    covers_rule: bool = True
    superior_landmark: str = ""
    inferior_landmark: str = ""
    landmark_z_mm: dict[str, float] = dataclass_field(default_factory=dict)

    @property
    def reach_levels(self) -> tuple[str, str]:
        """The top and bottom vertebrae the borders really reach."""
        return (
            self.superior_reach_level or self.superior_level,
            self.inferior_reach_level or self.inferior_level,
        )

    @property
    def field_levels(self) -> tuple[str, ...]:
        """Every level the field reaches, head down (adjacent vertebrae included when the rule
        is met)."""
        top, bottom = self.reach_levels
        first, last = level_index(top), level_index(bottom)
        return tuple(level_at(i) or "" for i in range(first, last + 1))

    def levels_words(self, thoracic_prefix: ThoracicPrefix = "T") -> str:
        """The levels the field reaches in words, e.g. ``"C3-C6"``."""
        return level_range_words(self.reach_levels, thoracic_prefix)

    def rule_levels_words(self, thoracic_prefix: ThoracicPrefix = "T") -> str:
        """The levels the rule asks for (lesion levels + one vertebra each side)."""
        return level_range_words((self.superior_level, self.inferior_level), thoracic_prefix)

    def border_sentences(self, thoracic_prefix: ThoracicPrefix = "T") -> tuple[str, str]:
        """The superior and the inferior border in full (:func:`border_sentence`), for the
        numbers table and the report."""
        top, bottom = self.reach_levels
        return (
            border_sentence(
                self.superior_border_z_mm,
                self.superior_border_description,
                self.superior_border_location,
                display_name(top, thoracic_prefix),
            ),
            border_sentence(
                self.inferior_border_z_mm,
                self.inferior_border_description,
                self.inferior_border_location,
                display_name(bottom, thoracic_prefix),
            ),
        )

    def coverage_words(self, thoracic_prefix: ThoracicPrefix = "T") -> str:
        """What the field levels are, in words, for the "Field levels" rows."""
        if self.superior_landmark or self.inferior_landmark:
            ends = " and ".join(w for w in (self.superior_landmark, self.inferior_landmark) if w)
            return f"lesion levels + one vertebra where there is one; {ends}"
        if self.covers_rule:
            return "lesion levels + one vertebra each side"
        return (
            "the borders reach only these: the rule's "
            f"{self.rule_levels_words(thoracic_prefix)} is NOT covered"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (units in the key names)."""
        return {
            "superior_border_z_mm": self.superior_border_z_mm,
            "inferior_border_z_mm": self.inferior_border_z_mm,
            "superior_level": self.superior_level,
            "inferior_level": self.inferior_level,
            "lesion_levels": list(self.lesion_levels),
            "length_mm": self.length_mm,
            "width_mm": self.width_mm,
            "arrangement": self.arrangement,
            "beams": [
                {
                    "name": b.name,
                    "gantry_angle_deg": b.gantry_angle_deg,
                    "source_direction_lps": list(b.source_direction_lps),
                }
                for b in self.beams
            ],
            "isocentre_mm": None if self.isocentre_mm is None else list(self.isocentre_mm),
            "ssd_cm": self.ssd_cm,
            "energy": self.energy,
            "border_convention": self.border_convention,
            "margin_mm": self.margin_mm,
            "superior_border_description": self.superior_border_description,
            "inferior_border_description": self.inferior_border_description,
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
            "superior_reach_level": self.reach_levels[0],
            "inferior_reach_level": self.reach_levels[1],
            "superior_border_location": self.superior_border_location,
            "inferior_border_location": self.inferior_border_location,
            "covers_rule": self.covers_rule,
            "superior_landmark": self.superior_landmark,
            "inferior_landmark": self.inferior_landmark,
        }


def _adjacent(
    levels: Sequence[VertebralLevel], lesion_name: str, step: int, prefix: ThoracicPrefix
) -> VertebralLevel:
    def show(name: str) -> str:
        return display_name(name, prefix)

    name = level_at(level_index(lesion_name) + step)
    where = "above" if step < 0 else "below"
    if name is None:
        raise FieldError(
            f"the lesion reaches {show(lesion_name)}: there is no vertebra {where} it to "
            "extend the field to"
        )
    adjacent = find_level(levels, name)
    if adjacent is None:
        raise FieldError(
            f"{show(name)} is not labelled: the field extends one vertebra {where} the lesion "
            f"levels, so label {show(name)}"
        )
    return adjacent


def _border(
    levels: Sequence[VertebralLevel],
    adjacent: VertebralLevel,
    step: int,
    settings: PlanSettings,
    prefix: ThoracicPrefix,
) -> tuple[float, str, list[str]]:
    """z, description and assumptions of one border; ``step`` -1 superior, +1 inferior."""

    def show(name: str) -> str:
        return display_name(name, prefix)

    sign = -step  # the superior border moves up (+z) with the margin, the inferior down
    side = "superior" if step < 0 else "inferior"
    endplate = adjacent.superior_z_mm if step < 0 else adjacent.inferior_z_mm
    margin = settings.margin_mm
    margin_words = f" {'+' if margin > 0 else '-'} {abs(margin):g} mm margin" if margin else ""
    assumptions: list[str] = []
    if settings.border_convention == "endplate":
        return (
            endplate + sign * margin,
            f"{side} endplate of {show(adjacent.name)}{margin_words}",
            assumptions,
        )
    beyond = level_at(adjacent.index + step)
    disc = None
    if beyond is not None:
        upper, lower = (beyond, adjacent.name) if step < 0 else (adjacent.name, beyond)
        disc = disc_space(levels, upper, lower)
    if disc is not None:
        return (
            disc.middle_z_mm + sign * margin,
            f"middle of the {disc.name(prefix)} disc{margin_words}",
            assumptions,
        )
    fallback = FALLBACK_HALF_DISC_MM[adjacent.name[0]]
    reason = (
        f"{show(beyond)} is not labelled"
        if beyond is not None
        else f"there is no vertebra {'above' if step < 0 else 'below'} {show(adjacent.name)}"
    )
    assumptions.append(
        f"the disc {'above' if step < 0 else 'below'} {show(adjacent.name)} is not labelled "
        f"({reason}): {side} border {fallback:g} mm beyond the {side} endplate of "
        f"{show(adjacent.name)} (half a typical {region_of(adjacent.name)} disc height)"
    )
    return (
        endplate + sign * (fallback + margin),
        f"{side} endplate of {show(adjacent.name)} + {fallback:g} mm{margin_words}",
        assumptions,
    )


#: How far inside an endplate a border may sit and still count as covering the body, mm
#: (rounding of clicked positions).
_COVER_TOLERANCE_MM = 0.05


@dataclass(frozen=True)
class _End:
    """One border: z, words, the rule's level at that end and the landmark, if any."""

    z_mm: float
    words: str
    level: VertebralLevel
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    landmark: str = ""
    landmark_z_mm: float | None = None


def _skull_base_end(
    top: VertebralLevel,
    lesion_top_z_mm: float,
    settings: PlanSettings,
    prefix: ThoracicPrefix,
) -> _End:
    """The superior border of a lesion reaching C1: no vertebra above, so the border is set
    from the top of the C1 ring (or the lesion's top, if higher) plus the skull-base margin."""
    c1 = display_name(top.name, prefix)
    base_z, base = top.superior_z_mm, f"the top of the {c1} ring"
    if lesion_top_z_mm > base_z:
        base_z, base = lesion_top_z_mm, "the top of the lesion"
    extra = settings.skull_base_margin_mm + settings.margin_mm
    z = base_z + extra
    words = f"{base} + {settings.skull_base_margin_mm:g} mm (towards the foramen magnum)"
    if settings.margin_mm:
        words += f" {'+' if settings.margin_mm > 0 else '-'} {abs(settings.margin_mm):g} mm margin"
    warning = (
        f"the lesion reaches {c1}: there is no vertebra above it, so the superior border is set "
        f"at {base} + {settings.skull_base_margin_mm:g} mm (z {z:.1f} mm; the skull-base "
        "margin is a plan setting), not one vertebra above; check on the sagittal view that it "
        "covers the cervicomedullary junction and the foramen magnum"
    )
    return _End(
        z, words, top, (), (warning,), f"skull base: top of the {c1} ring", top.superior_z_mm
    )


def _sacral_end(
    bottom: VertebralLevel,
    lesion_bottom_z_mm: float,
    settings: PlanSettings,
    prefix: ThoracicPrefix,
) -> _End:
    """The inferior border of a lesion reaching the lowest labelled sacral body with no
    labelled body below it: that body's inferior endplate (or the lesion's bottom, if lower)
    minus the sacral margin."""
    name = display_name(bottom.name, prefix)
    base_z, base = bottom.inferior_z_mm, f"the inferior endplate of {name}"
    if lesion_bottom_z_mm < base_z:
        base_z, base = lesion_bottom_z_mm, "the bottom of the lesion"
    z = base_z - settings.sacral_margin_mm - settings.margin_mm
    words = f"{base} - {settings.sacral_margin_mm:g} mm (sacral end)"
    if settings.margin_mm:
        words += f" {'+' if settings.margin_mm > 0 else '-'} {abs(settings.margin_mm):g} mm margin"
    below = level_at(bottom.index + 1)
    why = (
        f"{display_name(below, prefix)} is not labelled (the sacral bodies are fused)"
        if below is not None
        else f"there is no vertebra below {name}"
    )
    warning = (
        f"the lesion reaches {name} and {why}: the inferior border is set at {base} - "
        f"{settings.sacral_margin_mm:g} mm (z {z:.1f} mm; the sacral margin is a plan setting), "
        "not one vertebra below; check on the sagittal view that it covers the end of the "
        "thecal sac and the cauda equina"
    )
    return _End(z, words, bottom, (), (warning,), f"sacral end: below {name}", bottom.inferior_z_mm)


def _rule_end(
    ordered: Sequence[VertebralLevel],
    lesion_level: str,
    lesion_z_mm: float,
    step: int,
    settings: PlanSettings,
    prefix: ThoracicPrefix,
) -> _End:
    """One border by the rule (one vertebra beyond), or the landmark at either end."""
    lesion_body = find_level(ordered, lesion_level)
    beyond = level_at(level_index(lesion_level) + step)
    if step < 0 and beyond is None and lesion_body is not None:
        return _skull_base_end(lesion_body, lesion_z_mm, settings, prefix)
    if (
        step > 0
        and lesion_body is not None
        and region_of(lesion_level) == "sacral"
        and (beyond is None or find_level(ordered, beyond) is None)
    ):
        return _sacral_end(lesion_body, lesion_z_mm, settings, prefix)
    adjacent = _adjacent(ordered, lesion_level, step, prefix)
    z, words, notes = _border(ordered, adjacent, step, settings, prefix)
    return _End(z, words, adjacent, tuple(notes))


def _rule_coverage(
    ordered: Sequence[VertebralLevel],
    top: _End,
    bottom: _End,
    involved: Sequence[str],
    margin_mm: float,
    prefix: ThoracicPrefix,
) -> tuple[str, str, list[str]]:
    """The vertebrae the borders reach and, when the field no longer covers the rule's
    vertebrae whole, the warning that says so."""

    def show(name: str) -> str:
        return display_name(name, prefix)

    top_ok = top.z_mm >= top.level.superior_z_mm - _COVER_TOLERANCE_MM
    bottom_ok = bottom.z_mm <= bottom.level.inferior_z_mm + _COVER_TOLERANCE_MM
    top_reach = top.level.name if top_ok else highest_reached(ordered, top.z_mm).name
    bottom_reach = bottom.level.name if bottom_ok else lowest_reached(ordered, bottom.z_mm).name
    if top_ok and bottom_ok:
        return top_reach, bottom_reach, []
    missed = [show(e.level.name) for e, ok in ((top, top_ok), (bottom, bottom_ok)) if not ok]
    where = "; ".join(
        f"the {side} border (z {end.z_mm:.1f} mm) lies in "
        f"{z_location_words(ordered, end.z_mm, prefix)}"
        for side, end, ok in (("superior", top, top_ok), ("inferior", bottom, bottom_ok))
        if not ok
    )
    rule = (
        "one vertebra above and below"
        if not top.landmark and not bottom.landmark
        else "the rule's vertebrae"
    )
    warning = (
        f"the field no longer covers {rule} the lesion levels "
        f"{level_range_words(involved, prefix)}: {where}, so {' and '.join(missed)} "
        f"{'is' if len(missed) == 1 else 'are'} not wholly inside the field "
        f"(margin {margin_mm:g} mm); the field reaches "
        f"{level_range_words((top_reach, bottom_reach), prefix)}"
    )
    return top_reach, bottom_reach, [warning]


def derive_field(
    levels: Sequence[VertebralLevel],
    lesion_z_range_mm: tuple[float, float],
    settings: PlanSettings | None = None,
    *,
    lesion_centroid_mm: Sequence[float] | None = None,
    thoracic_prefix: ThoracicPrefix = "T",
) -> Field:
    """Derive the field from the labels, the lesion's z range and the settings.

    Parameters
    ----------
    levels : sequence of VertebralLevel
        The labelled levels (must be consistent).
    lesion_z_range_mm : (float, float)
        Superior and inferior z of the lesion, LPS mm.
    settings : PlanSettings, optional
        Defaults to ``PlanSettings()``.
    lesion_centroid_mm : 3 floats, optional
        The lesion centroid (LPS mm) for the isocentre's x and y. Without it the mean body
        centre of the lesion levels is used when clicked (an assumption), else the isocentre is
        ``None`` and a warning says so.
    thoracic_prefix : {"T", "D"}
        Naming in messages.

    Raises
    ------
    LabelError
        Inconsistent labels.
    FieldError
        A lesion outside the labelled levels, or an adjacent vertebra not labelled.
    """
    settings = settings or PlanSettings()

    def show(name: str) -> str:
        return display_name(name, thoracic_prefix)

    ordered = require_consistent(levels, thoracic_prefix)
    involved = lesion_levels(ordered, lesion_z_range_mm, thoracic_prefix)
    assumptions: list[str] = list(involved.notes)
    warnings: list[str] = []
    lesion_top_z, lesion_bottom_z = max(lesion_z_range_mm), min(lesion_z_range_mm)
    top = _rule_end(ordered, involved.names[0], lesion_top_z, -1, settings, thoracic_prefix)
    bottom = _rule_end(ordered, involved.names[-1], lesion_bottom_z, +1, settings, thoracic_prefix)
    above, below = top.level, bottom.level
    top_z, top_words = top.z_mm, top.words
    bottom_z, bottom_words = bottom.z_mm, bottom.words
    assumptions += [*top.notes, *bottom.notes]
    warnings += [*top.warnings, *bottom.warnings]
    if top_z <= bottom_z:
        raise FieldError(
            f"margin_mm {settings.margin_mm:g} mm leaves no field: the superior border "
            f"(z {top_z:.1f} mm, {top_words}) would lie at or below the inferior border "
            f"(z {bottom_z:.1f} mm, {bottom_words})"
        )

    top_reach, bottom_reach, rule_warnings = _rule_coverage(
        ordered, top, bottom, involved.names, settings.margin_mm, thoracic_prefix
    )
    warnings += rule_warnings

    arrangement: Arrangement = settings.arrangement
    if arrangement == "auto":
        cervical = all(region_of(n) == "cervical" for n in involved.names)
        arrangement = "lateral_pair" if cervical else "PA"
    assumptions.append(_HFS)

    if settings.field_width_mm is not None:
        width = float(settings.field_width_mm)
    else:
        covered = [
            find_level(ordered, level_at(i) or "")
            for i in range(above.index, level_index(below.name) + 1)
        ]
        widths = [lv for lv in covered if lv is not None and lv.body_width_mm is not None]
        if arrangement != "lateral_pair" and widths:
            widest = max(widths, key=lambda lv: lv.body_width_mm or 0.0)
            width = float(widest.body_width_mm or 0.0) + 2 * settings.width_margin_mm
            assumptions.append(
                # one decimal, as measured: whole millimetres rounded a 24.5 mm body to
                # "24 mm" and its 44.5 mm field to "44 mm" beside the 4.5 cm of the numbers
                f"field width {width:.1f} mm: the widest vertebral body in the field "
                f"({show(widest.name)}, {widest.body_width_mm:.1f} mm) + "
                f"{settings.width_margin_mm:g} mm each side"
            )
        else:
            width = DEFAULT_WIDTH_MM[arrangement]
            what = (
                "the anterior-posterior extent of the lateral fields, centred on the cord, "
                "covering the vertebral bodies and the canal"
                if arrangement == "lateral_pair"
                else "no vertebral body width measured"
            )
            assumptions.append(f"default field width {width:.0f} mm ({what}); edit it as needed")

    z_mid = 0.5 * (top_z + bottom_z)
    isocentre: tuple[float, float, float] | None
    if lesion_centroid_mm is not None:
        cx, cy = float(lesion_centroid_mm[0]), float(lesion_centroid_mm[1])
        isocentre = (cx, cy, z_mid)
    else:
        centres = [find_level(ordered, n) for n in involved.names]
        known = [lv.center_mm for lv in centres if lv is not None and lv.center_mm is not None]
        if known:
            mean = np.mean(np.asarray(known, dtype=float), axis=0)
            isocentre = (float(mean[0]), float(mean[1]), z_mid)
            assumptions.append(
                "lesion centroid not given: isocentre x, y at the centre of the lesion levels' "
                "vertebral bodies"
            )
        else:
            isocentre = None
            warnings.append(
                "the isocentre is not set: neither the lesion centroid nor the "
                "vertebral body centres are known"
            )

    if arrangement == "lateral_pair":
        c7 = find_level(ordered, "C7")
        below_c7 = (
            bottom_z < c7.inferior_z_mm if c7 is not None else region_of(below.name) != "cervical"
        )
        if below_c7:
            warnings.append(
                f"the inferior border ({bottom_words}) lies below C7, at the level of the "
                "shoulders on most patients: the lateral beams would pass through them; "
                "consider a PA field or check the shoulder position"
            )

    beams = tuple(
        replace(
            b,
            energy=settings.energy,
            isocentre_lps_mm=isocentre,
            ssd_cm=settings.effective_ssd_cm,
        )
        for b in _BEAMS[arrangement]
    )
    return Field(
        superior_border_z_mm=float(top_z),
        inferior_border_z_mm=float(bottom_z),
        superior_level=above.name,
        inferior_level=below.name,
        lesion_levels=involved.names,
        length_mm=float(top_z - bottom_z),
        width_mm=width,
        arrangement=arrangement,
        beams=beams,
        isocentre_mm=isocentre,
        ssd_cm=settings.effective_ssd_cm,
        energy=settings.energy,
        border_convention=settings.border_convention,
        margin_mm=float(settings.margin_mm),
        superior_border_description=top_words,
        inferior_border_description=bottom_words,
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        superior_reach_level=top_reach,
        inferior_reach_level=bottom_reach,
        superior_border_location=z_location_words(ordered, top_z, thoracic_prefix),
        inferior_border_location=z_location_words(ordered, bottom_z, thoracic_prefix),
        covers_rule=not rule_warnings,
        superior_landmark=top.landmark,
        inferior_landmark=bottom.landmark,
        landmark_z_mm={
            side: end.landmark_z_mm
            for side, end in (("superior", top), ("inferior", bottom))
            if end.landmark_z_mm is not None
        },
    )


def derive_case_field(
    case: Case, lesion_mask: Volume | None = None, settings: PlanSettings | None = None
) -> Field:
    """The field of a case, with the lesion's z range and centroid taken from its mask.

    Parameters
    ----------
    case : Case
        A loaded case with levels and a lesion.
    lesion_mask : Volume, optional
        The lesion mask (``planning.anatomy.lesion.build_lesion_mask``); required unless the lesion
        is an ellipsoid, whose z range and centre are then used exactly (no voxelisation).
    settings : PlanSettings, optional
        Overrides ``case.plan`` (e.g. command-line options).

    Raises
    ------
    FieldError
        No lesion, or a seed/mask lesion without its mask.
    """
    if case.lesion is None:
        raise FieldError("the case has no lesion: mark the lesion before deriving a field")
    if lesion_mask is not None:
        measured = measure_lesion(lesion_mask)
        z_range = (measured.superior_z_mm, measured.inferior_z_mm)
        centroid: Sequence[float] = measured.centroid_mm
    elif isinstance(case.lesion, EllipsoidLesion):
        z_range, centroid = case.lesion.z_range_mm, case.lesion.center_mm
    else:
        raise FieldError(
            f"a {type(case.lesion).__name__} needs its mask built on the study before the field "
            "can be derived"
        )
    return derive_field(
        case.levels,
        z_range,
        settings or case.plan,
        lesion_centroid_mm=centroid,
        thoracic_prefix=case.thoracic_prefix,
    )
