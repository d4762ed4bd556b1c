"""Prescriptions, the usual palliative schedules, and their BED / EQD2."""

from __future__ import annotations

from dataclasses import dataclass

from planning.errors import PlanningError

#: alpha/beta used unless the user chooses another (Gy): late-responding tissue such as cord.
DEFAULT_ALPHA_BETA_GY = 2.0

#: Beyond these a schedule is not palliative spine radiotherapy but a typing slip (often cGy
#: entered as Gy): the largest single-fraction spine dose in use is 24 Gy (SBRT), and the plan
#: panel's dose field stops at 80 Gy.
MAX_TOTAL_DOSE_GY = 80.0
MAX_DOSE_PER_FRACTION_GY = 25.0


def check_schedule(dose_gy: float, fractions: int, where: str = "prescription") -> None:
    """Refuse a total dose or dose per fraction no spine schedule uses, naming ``where``."""
    if dose_gy <= 0:
        raise PlanningError(f"{where}.dose_gy must be positive, got {dose_gy}")
    if fractions < 1:
        raise PlanningError(f"{where}.fractions must be at least 1, got {fractions}")
    per_fraction = dose_gy / fractions
    if dose_gy > MAX_TOTAL_DOSE_GY or per_fraction > MAX_DOSE_PER_FRACTION_GY:
        raise PlanningError(
            f"{where}: {dose_gy:g} Gy in {fractions} fraction{'s' if fractions != 1 else ''} "
            f"({per_fraction:g} Gy per fraction) is beyond {MAX_TOTAL_DOSE_GY:g} Gy in total or "
            f"{MAX_DOSE_PER_FRACTION_GY:g} Gy per fraction; was the dose entered in cGy?"
        )


@dataclass(frozen=True)
class Prescription:
    """A dose schedule: ``fractions`` of ``dose_per_fraction_gy``.

    ``interval_days`` is the usual gap between fractions (7 for the weekly 12 Gy/2 schedule).
    """

    dose_gy: float
    fractions: int
    interval_days: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        check_schedule(self.dose_gy, self.fractions)

    @property
    def dose_per_fraction_gy(self) -> float:
        return self.dose_gy / self.fractions

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return f"{self.dose_gy:g} Gy / {self.fractions} fx"

    def bed_gy(self, alpha_beta_gy: float = DEFAULT_ALPHA_BETA_GY) -> float:
        """Biologically effective dose, BED = n d (1 + d / (alpha/beta)), in Gy."""
        _check_alpha_beta(alpha_beta_gy)
        return self.dose_gy * (1.0 + self.dose_per_fraction_gy / alpha_beta_gy)

    def eqd2_gy(self, alpha_beta_gy: float = DEFAULT_ALPHA_BETA_GY) -> float:
        """Equivalent dose in 2 Gy fractions, EQD2 = BED / (1 + 2 / (alpha/beta)), in Gy."""
        return self.bed_gy(alpha_beta_gy) / (1.0 + 2.0 / alpha_beta_gy)


def _check_alpha_beta(alpha_beta_gy: float) -> None:
    if alpha_beta_gy <= 0:
        raise PlanningError(f"alpha/beta must be positive, got {alpha_beta_gy} Gy")


#: The schedules offered as presets (palliative spine radiotherapy).
SCHEDULES: tuple[Prescription, ...] = (
    Prescription(8.0, 1, name="8 Gy x 1"),
    Prescription(12.0, 2, interval_days=7, name="12 Gy / 2 (weekly)"),
    Prescription(20.0, 5, name="20 Gy / 5"),
    Prescription(30.0, 10, name="30 Gy / 10"),
)
