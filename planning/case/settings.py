"""Plan settings: energy, border convention, margins, arrangement, field width, SSD, prescription.

One frozen :class:`PlanSettings` travels from the plan panel, the command line and the case
file into :func:`planning.field.derivation.derive_field` and the dose engine. Spellings a person
may type are accepted and stored canonically (``"Co-60"`` -> ``"Co60"``, ``"lateral pair"`` ->
``"lateral_pair"``, ``"AP/PA"`` -> ``"AP_PA"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from planning.case.prescription import check_schedule
from planning.errors import PlanningError

Energy = Literal["Co60", "6MV"]
BorderConvention = Literal["disc", "endplate"]
Arrangement = Literal["auto", "PA", "lateral_pair", "AP_PA"]
NormalisationMode = Literal["auto", "depth"]

ENERGIES: tuple[str, ...] = ("Co60", "6MV")
BORDER_CONVENTIONS: tuple[str, ...] = ("disc", "endplate")
ARRANGEMENTS: tuple[str, ...] = ("auto", "PA", "lateral_pair", "AP_PA")
NORMALISATION_MODES: tuple[str, ...] = ("auto", "depth")

#: Default source-skin distance per energy, cm.
DEFAULT_SSD_CM: dict[str, float] = {"Co60": 80.0, "6MV": 100.0}

#: Source-axis distance of each machine (the plane its jaws are given in), cm.
SAD_CM: dict[str, float] = {"Co60": 80.0, "6MV": 100.0}

_ENERGY_ALIASES = {
    "co60": "Co60",
    "co-60": "Co60",
    "cobalt": "Co60",
    "cobalt60": "Co60",
    "cobalt-60": "Co60",
    "60co": "Co60",
    "1.25mv": "Co60",
    "6mv": "6MV",
    "6x": "6MV",
    "6": "6MV",
}
_ARRANGEMENT_ALIASES = {
    "auto": "auto",
    "pa": "PA",
    "posterior": "PA",
    "lateral_pair": "lateral_pair",
    "lateral pair": "lateral_pair",
    "lateral-pair": "lateral_pair",
    "laterals": "lateral_pair",
    "lateral": "lateral_pair",
    "ap_pa": "AP_PA",
    "ap/pa": "AP_PA",
    "ap-pa": "AP_PA",
    "appa": "AP_PA",
}


def parse_energy(value: object) -> Energy:
    """``"Co60"`` or ``"6MV"`` from any usual spelling (``"Co-60"``, ``"1.25 MV"``, ``"6 MV"``,
    ``"6X"``); :class:`PlanningError` otherwise."""
    key = str(value).strip().lower().replace(" ", "")
    if isinstance(value, str) and key in _ENERGY_ALIASES:
        return _ENERGY_ALIASES[key]  # type: ignore[return-value]
    raise PlanningError(f"expected an energy Co60 or 6MV, got {value!r}")


def parse_border_convention(value: object) -> BorderConvention:
    """``"disc"`` or ``"endplate"``; :class:`PlanningError` otherwise."""
    if isinstance(value, str) and value.strip().lower() in BORDER_CONVENTIONS:
        return value.strip().lower()  # type: ignore[return-value]
    raise PlanningError(f"expected a border convention disc or endplate, got {value!r}")


def parse_arrangement(value: object) -> Arrangement:
    """``"auto"``, ``"PA"``, ``"lateral_pair"`` or ``"AP_PA"``; :class:`PlanningError` otherwise."""
    if isinstance(value, str) and value.strip().lower() in _ARRANGEMENT_ALIASES:
        return _ARRANGEMENT_ALIASES[value.strip().lower()]  # type: ignore[return-value]
    raise PlanningError(f"expected an arrangement auto, PA, lateral_pair or AP_PA, got {value!r}")


#: SSDs the dose engine accepts (``planning.field.beam.Beam``), cm.
SSD_RANGE_CM = (20.0, 200.0)


def _check_number(name: str, value: float | None, *, positive: bool, allow_none: bool) -> None:
    if value is None:
        if not allow_none:
            raise PlanningError(f"{name}: a number is required")
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlanningError(f"{name}: expected a finite number, got {value!r}")
    if positive and value <= 0:
        raise PlanningError(f"{name}: must be greater than 0, got {value}")


@dataclass(frozen=True)
class PlanSettings:
    """Everything the user chooses for a plan.

    Parameters
    ----------
    energy : {"Co60", "6MV"}
        Beam energy; 6 MV by default because spineplan ships published depth-dose data for
        6 MV only: Co-60 plans need a Co-60 table in ``resources/beam_data`` (see its README).
    border_convention : {"disc", "endplate"}
        ``disc``: each field border at the middle of the disc space beyond the vertebra adjacent
        to the lesion levels; ``endplate``: at that vertebra's outer endplate.
    margin_mm : float
        Extra margin added beyond each border, mm (default 0; may be negative to tighten).
    arrangement : {"auto", "PA", "lateral_pair", "AP_PA"}
        ``auto``: a parallel-opposed lateral pair for a lesion within C1-C7, else a single PA.
    field_width_mm : float, optional
        Field width at the isocentre plane, mm; ``None`` derives it (see ``derive_field``).
    width_margin_mm : float
        Margin each side of the vertebral body width for the derived width, mm.
    ssd_cm : float, optional
        Source-skin distance, cm; ``None`` = 80 cm for Co-60, 100 cm for 6 MV.
    dose_gy, fractions : float, int
        Prescription: total dose in Gy in so many fractions (the presets and BED/EQD2 are in
        :mod:`planning.case.prescription`).
    normalisation : {"auto", "depth"}
        ``auto``: at the lesion centroid depth for a PA field, at midplane for opposed pairs;
        ``depth``: at ``normalisation_depth_mm`` on the central axis.
    normalisation_depth_mm : float, optional
        The normalisation depth for ``normalisation="depth"``, mm.
    skull_base_margin_mm : float
        For a lesion reaching C1 (no vertebra above it): the superior border this far above the
        top of the C1 ring (or of the lesion, if higher), towards the foramen magnum, mm.
    sacral_margin_mm : float
        For a lesion reaching the lowest labelled sacral body with no labelled body below it:
        the inferior border this far below that body's inferior endplate (or the lesion's
        bottom, if lower), covering the end of the thecal sac, mm.
    machine : str, optional
        Name of a commissioned machine (``spineplan machine import``) whose measured data the
        dose uses; ``None``: the reference beam of the energy shipped with spineplan.
    """

    energy: Energy = "6MV"
    border_convention: BorderConvention = "disc"
    margin_mm: float = 0.0
    arrangement: Arrangement = "auto"
    field_width_mm: float | None = None
    width_margin_mm: float = 10.0
    ssd_cm: float | None = None
    dose_gy: float = 20.0
    fractions: int = 5
    normalisation: NormalisationMode = "auto"
    normalisation_depth_mm: float | None = None
    skull_base_margin_mm: float = 10.0
    sacral_margin_mm: float = 20.0
    machine: str | None = None

    def __post_init__(self) -> None:
        if self.machine is not None and (
            not isinstance(self.machine, str) or not self.machine.strip()
        ):
            raise PlanningError(f"machine: expected a machine name, got {self.machine!r}")
        object.__setattr__(self, "energy", parse_energy(self.energy))
        object.__setattr__(
            self, "border_convention", parse_border_convention(self.border_convention)
        )
        object.__setattr__(self, "arrangement", parse_arrangement(self.arrangement))
        _check_number("margin_mm", self.margin_mm, positive=False, allow_none=False)
        _check_number("field_width_mm", self.field_width_mm, positive=True, allow_none=True)
        _check_number("width_margin_mm", self.width_margin_mm, positive=False, allow_none=False)
        if self.width_margin_mm < 0:
            raise PlanningError(
                f"width_margin_mm: must not be negative, got {self.width_margin_mm}"
            )
        for key in ("skull_base_margin_mm", "sacral_margin_mm"):
            _check_number(key, getattr(self, key), positive=False, allow_none=False)
            if getattr(self, key) < 0:
                raise PlanningError(f"{key}: must not be negative, got {getattr(self, key)}")
        _check_number("ssd_cm", self.ssd_cm, positive=True, allow_none=True)
        if self.ssd_cm is not None and not SSD_RANGE_CM[0] <= self.ssd_cm <= SSD_RANGE_CM[1]:
            raise PlanningError(
                f"ssd_cm: {self.ssd_cm:g} cm is outside {SSD_RANGE_CM[0]:g}-{SSD_RANGE_CM[1]:g} cm"
            )
        _check_number("dose_gy", self.dose_gy, positive=True, allow_none=False)
        if (
            isinstance(self.fractions, bool)
            or not isinstance(self.fractions, int)
            or (self.fractions < 1)
        ):
            raise PlanningError(f"fractions: expected a whole number >= 1, got {self.fractions!r}")
        check_schedule(self.dose_gy, self.fractions)
        if self.normalisation not in NORMALISATION_MODES:
            raise PlanningError(
                f"normalisation: expected auto or depth, got {self.normalisation!r}"
            )
        _check_number(
            "normalisation_depth_mm",
            self.normalisation_depth_mm,
            positive=True,
            allow_none=self.normalisation != "depth",
        )

    @property
    def effective_ssd_cm(self) -> float:
        """The SSD in use: the override or the energy's default, cm."""
        return DEFAULT_SSD_CM[self.energy] if self.ssd_cm is None else float(self.ssd_cm)

    @property
    def dose_per_fraction_gy(self) -> float:
        return self.dose_gy / self.fractions
