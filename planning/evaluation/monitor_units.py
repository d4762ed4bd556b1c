"""Monitor units (6 MV) and treatment time (Co-60) by the standard hand calculation.

For a fixed-SSD beam the dose per fraction ``D`` from that beam at the normalisation point is
delivered by (Khan, *The Physics of Radiation Therapy*, 4th ed., section 10.1, eq. 10.3)::

    MU   = D / (K * Sc(rc) * Sp(r) * PDD(d, r, SSD) / 100 * ISF * EPL)            (6 MV)
    time = D / (Rate * Sc(rc) * Sp(r) * PDD(d, r, SSD) / 100 * ISF * EPL) + shutter error (Co-60)

* ``K`` -- the machine output, cGy per MU at d_max in water for a 10 x 10 cm field at the
  reference SSD (the calibration condition; 1.000 cGy/MU at SSD 100 cm is the usual linac
  calibration and the stated default);
* ``Rate`` -- the Co-60 dose rate at d_max for 10 x 10 cm at the reference SSD (80 cm), cGy/min,
  on the day of treatment: the calibrated rate decayed with the Co-60 half-life (5.2713 years)
  when the calibration date is given;
* ``Sc(rc)`` -- collimator scatter for the collimator setting ``rc`` (equivalent square at the
  SAD plane); ``Sp(r)`` -- phantom scatter for the field at the surface ``r``;
* ``PDD(d, r, SSD)`` -- central-axis percentage depth dose at the water-equivalent depth ``d`` of
  the point, from the shipped table, converted to the treatment SSD (Mayneord F-factor);
* ``ISF = ((SSD_ref + d_max) / (SSD + d_max))^2`` -- inverse square from the calibration SSD;
* ``EPL = ((SSD + d) / (SSD + d_geo))^2`` -- the inverse-square part of the effective-path-length
  heterogeneity correction: ``d`` is water-equivalent, ``d_geo`` the real depth of the point.
  The PDD looked up at ``d`` carries the inverse square of ``d``; the point is at ``d_geo``. With
  it the sum equals ``PDD(d_geo) * TAR(d)/TAR(d_geo)``, Khan's ratio-of-TAR correction (4th ed.,
  section 12.3) and the 3D engine's own model. 1 in water (``d = d_geo``).

Every input is kept in :class:`MonitorUnitCalculation` so a physicist can redo the sum; the 3D
engine's own relative dose at the point is shown next to the table PDD as a check.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, replace

from planning.dose.beam_data import BeamDataError, equivalent_square_cm
from planning.dose.beam_model import BeamModel, beam_model
from planning.dose.engine import BeamDose
from planning.dose.machine_store import load_machine
from planning.errors import PlanningError

#: Usual linac calibration: 1 cGy per MU at d_max, 10 x 10 cm, SSD 100 cm (a stated default).
DEFAULT_OUTPUT_CGY_PER_MU = 1.0
#: Placeholder Co-60 output at d_max, 10 x 10 cm, SSD 80 cm, cGy/min: an ASSUMPTION that must be
#: replaced with the unit's calibrated dose rate (it depends on the source's activity and age).
DEFAULT_CO60_DOSE_RATE_CGY_PER_MIN = 100.0
#: Co-60 half-life, years (NIST: 1925.20 days).
CO60_HALF_LIFE_YEARS = 1925.20 / 365.25


@dataclass(frozen=True)
class Calibration:
    """The machine output used by the hand calculation (user settings).

    Parameters
    ----------
    output_cgy_per_mu : float, optional
        6 MV: cGy per MU at d_max, 10 x 10 cm, reference SSD. Default
        :data:`DEFAULT_OUTPUT_CGY_PER_MU` (stated as an assumption).
    dose_rate_cgy_per_min : float, optional
        Co-60: cGy per minute at d_max, 10 x 10 cm, reference SSD, on ``calibration_date``.
        Default :data:`DEFAULT_CO60_DOSE_RATE_CGY_PER_MIN` (stated as an assumption).
    calibration_date, treatment_date : datetime.date, optional
        Co-60 decay correction from the calibration to the treatment (today by default).
    shutter_error_min : float
        Co-60 timer end effect (source transit), minutes added to every beam-on time.
    """

    output_cgy_per_mu: float | None = None
    dose_rate_cgy_per_min: float | None = None
    calibration_date: _dt.date | None = None
    treatment_date: _dt.date | None = None
    shutter_error_min: float = 0.0

    def __post_init__(self) -> None:
        for name in ("output_cgy_per_mu", "dose_rate_cgy_per_min"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise PlanningError(f"{name}: must be a positive number, got {value!r}")
        if not math.isfinite(self.shutter_error_min) or self.shutter_error_min < 0:
            raise PlanningError(
                f"shutter_error_min: must be 0 or more minutes, got {self.shutter_error_min!r}"
            )


@dataclass(frozen=True)
class MonitorUnitCalculation:
    """One beam's hand calculation with all its inputs (per fraction).

    Attributes
    ----------
    beam_name, energy : str
    unit : {"MU", "min"}
        What ``meterset`` counts.
    dose_per_fraction_gy : float
        This beam's share of the prescription at the normalisation point, Gy per fraction.
    depth_cm : float
        Water-equivalent depth of the point along this beam, cm.
    geometric_depth_cm : float
        Real (geometric) depth of the point below the skin, cm; equal to ``depth_cm`` in water.
    ssd_cm, reference_ssd_cm, dmax_cm : float
    collimator_side_cm : float
        ``rc``: equivalent square of the collimator setting at the SAD plane, cm.
    surface_side_cm : float
        ``r``: equivalent square of the field at the skin, cm.
    output : float
        ``K`` (cGy/MU) or the Co-60 ``Rate`` on the treatment date (cGy/min).
    output_label : str
    decay_factor : float
        Co-60 activity on the treatment date relative to the calibration (1 for 6 MV).
    sc, sp : float
    pdd_percent : float
        Table PDD at ``depth_cm`` for ``surface_side_cm`` at ``ssd_cm``.
    inverse_square_factor : float
    epl_inverse_square_factor : float
        ``((SSD + depth_cm) / (SSD + geometric_depth_cm))^2`` (1 in water).
    engine_percent : float
        The 3D engine's dose at the point per unit output, % (its ``PDD x off-axis``): a check.
    meterset : float
        MU, or minutes (shutter error included).
    assumptions : tuple of str
    """

    beam_name: str
    energy: str
    unit: str
    dose_per_fraction_gy: float
    depth_cm: float
    ssd_cm: float
    reference_ssd_cm: float
    dmax_cm: float
    collimator_side_cm: float
    surface_side_cm: float
    output: float
    output_label: str
    decay_factor: float
    sc: float
    sp: float
    pdd_percent: float
    inverse_square_factor: float
    engine_percent: float
    shutter_error_min: float
    meterset: float
    assumptions: tuple[str, ...] = ()
    geometric_depth_cm: float = math.nan
    epl_inverse_square_factor: float = 1.0

    @property
    def formula(self) -> str:
        """The sum with the numbers, in one line."""
        name = "MU" if self.unit == "MU" else "time"
        extra = f" + {self.shutter_error_min:g} min" if self.unit == "min" else ""
        epl = (
            f" x EPL ISF {self.epl_inverse_square_factor:.4f}"
            if abs(self.epl_inverse_square_factor - 1.0) >= 5e-5  # shown when it shows at .4f
            else ""
        )
        return (
            f"{name} = {100 * self.dose_per_fraction_gy:.1f} cGy / ({self.output:.4g} "
            f"{self.output_label} x Sc {self.sc:.3f} x Sp {self.sp:.3f} x PDD "
            f"{self.pdd_percent:.1f}/100 x ISF {self.inverse_square_factor:.4f}{epl}){extra} = "
            f"{self.meterset:.{1 if self.unit == 'MU' else 2}f} {self.unit}"
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready (units in the key names)."""
        return {
            "beam": self.beam_name,
            "energy": self.energy,
            "unit": self.unit,
            "meterset": round(self.meterset, 2),
            "dose_per_fraction_gy": round(self.dose_per_fraction_gy, 4),
            "depth_cm": round(self.depth_cm, 2),
            "geometric_depth_cm": round(self.geometric_depth_cm, 2),
            "ssd_cm": round(self.ssd_cm, 2),
            "reference_ssd_cm": self.reference_ssd_cm,
            "dmax_cm": self.dmax_cm,
            "collimator_equivalent_square_cm": round(self.collimator_side_cm, 2),
            "surface_equivalent_square_cm": round(self.surface_side_cm, 2),
            "output": round(self.output, 4),
            "output_unit": self.output_label,
            "decay_factor": round(self.decay_factor, 5),
            "sc": round(self.sc, 4),
            "sp": round(self.sp, 4),
            "pdd_percent": round(self.pdd_percent, 2),
            "inverse_square_factor": round(self.inverse_square_factor, 5),
            "epl_inverse_square_factor": round(self.epl_inverse_square_factor, 5),
            "engine_percent": round(self.engine_percent, 2),
            "shutter_error_min": self.shutter_error_min,
            "formula": self.formula,
        }


def co60_decay_factor(calibration_date: _dt.date, treatment_date: _dt.date) -> float:
    """Activity on ``treatment_date`` relative to ``calibration_date`` (Co-60 half-life)."""
    years = (treatment_date - calibration_date).days / 365.25
    return 0.5 ** (years / CO60_HALF_LIFE_YEARS)


def _scatter(model: BeamModel, rc: float, r: float) -> tuple[float, float, list[str]]:
    try:
        return float(model.collimator_scatter(rc)), float(model.phantom_scatter(r)), []
    except BeamDataError:
        pass
    try:
        scp = float(model.total_scatter(rc))
    except BeamDataError:
        return (
            1.0,
            1.0,
            [
                f"{model.machine.key}: no published collimator/phantom scatter factors are "
                "shipped; Sc = Sp = 1.000 ASSUMED (replace with the unit's measured output "
                "factors for the field size)"
            ],
        )
    return (
        scp,
        1.0,
        [
            f"{model.machine.key}: only the total scatter factor is measured: Sc x Sp = Scp("
            f"{rc:.1f} cm) = {scp:.3f} (normalised to 10 x 10 cm), shown as Sc with Sp = 1"
        ],
    )


def monitor_units(
    *,
    energy: str,
    dose_per_fraction_gy: float,
    depth_cm: float,
    ssd_cm: float,
    collimator_side_cm: float,
    calibration: Calibration | None = None,
    model: BeamModel | None = None,
    engine_relative_dose: float | None = None,
    beam_name: str = "",
    geometric_depth_cm: float | None = None,
) -> MonitorUnitCalculation:
    """The hand calculation for one SSD beam (module docstring).

    Parameters
    ----------
    energy : str
        ``"6MV"`` (monitor units) or ``"Co60"`` (minutes).
    dose_per_fraction_gy : float
        Dose from this beam at the point, Gy per fraction.
    depth_cm : float
        Water-equivalent depth of the point below this beam's skin entry, cm.
    ssd_cm : float
        Source-skin distance, cm.
    collimator_side_cm : float
        Equivalent square of the collimator setting at the SAD plane, cm.
    calibration : Calibration, optional
    model : BeamModel, optional
        Default: the machine's model.
    engine_relative_dose : float, optional
        The engine's relative dose at the point for this beam (1 = d_max on the axis at the
        treatment SSD), shown as a check.
    beam_name : str
    geometric_depth_cm : float, optional
        Real depth of the point below the skin, cm, when it differs from the water-equivalent
        ``depth_cm`` (heterogeneities); default: ``depth_cm`` (water).
    """
    model = model or beam_model(energy)
    machine = model.machine
    calibration = calibration or Calibration()
    if not (math.isfinite(dose_per_fraction_gy) and dose_per_fraction_gy >= 0):
        raise PlanningError(f"dose per fraction must be >= 0 Gy, got {dose_per_fraction_gy}")
    if not (math.isfinite(depth_cm) and depth_cm >= 0):
        raise PlanningError(f"depth must be >= 0 cm, got {depth_cm}")
    geometric = depth_cm if geometric_depth_cm is None else float(geometric_depth_cm)
    if not (math.isfinite(geometric) and geometric >= 0):
        raise PlanningError(f"geometric depth must be >= 0 cm, got {geometric_depth_cm}")
    assumptions: list[str] = []
    rc = float(collimator_side_cm)
    r = rc * ssd_cm / machine.sad_cm
    sc, sp, notes = _scatter(model, rc, r)
    assumptions += notes
    pdd = float(model.pdd_at_ssd_percent(depth_cm, r, ssd_cm))
    if depth_cm > model.max_depth_cm:
        assumptions.append(
            f"depth {depth_cm:.1f} cm is beyond the deepest tabulated {model.max_depth_cm:g} cm: "
            "PDD extrapolated"
        )
    dmax = model.dmax_cm
    isf = ((machine.reference_ssd_cm + dmax) / (ssd_cm + dmax)) ** 2
    epl = ((ssd_cm + depth_cm) / (ssd_cm + geometric)) ** 2
    decay = 1.0
    shutter = 0.0
    if machine.key == "6MV":
        unit, label = "MU", "cGy/MU"
        output = calibration.output_cgy_per_mu
        if output is None:
            output = DEFAULT_OUTPUT_CGY_PER_MU
            assumptions.append(
                f"6 MV output {output:.3f} cGy/MU at d_max, 10 x 10 cm, SSD "
                f"{machine.reference_ssd_cm:g} cm (the usual calibration; ASSUMED, set the "
                "machine's)"
            )
    else:
        unit, label = "min", "cGy/min"
        output = calibration.dose_rate_cgy_per_min
        if output is None:
            output = DEFAULT_CO60_DOSE_RATE_CGY_PER_MIN
            assumptions.append(
                f"Co-60 dose rate {output:g} cGy/min at d_max, 10 x 10 cm, SSD "
                f"{machine.reference_ssd_cm:g} cm is a PLACEHOLDER (ASSUMED): set the unit's "
                "calibrated dose rate and date before using the treatment times"
            )
        if calibration.calibration_date is not None:
            treated = calibration.treatment_date or _dt.date.today()
            decay = co60_decay_factor(calibration.calibration_date, treated)
            output *= decay
        shutter = calibration.shutter_error_min
    denominator = output * sc * sp * pdd / 100.0 * isf * epl
    if denominator <= 0:
        raise PlanningError(f"beam {beam_name!r}: no output at the point (PDD {pdd:.2f} %)")
    meterset = 100.0 * dose_per_fraction_gy / denominator + shutter
    engine = 100.0 * engine_relative_dose if engine_relative_dose is not None else math.nan
    return MonitorUnitCalculation(
        beam_name=beam_name,
        energy=machine.key,
        unit=unit,
        dose_per_fraction_gy=float(dose_per_fraction_gy),
        depth_cm=float(depth_cm),
        ssd_cm=float(ssd_cm),
        reference_ssd_cm=machine.reference_ssd_cm,
        dmax_cm=dmax,
        collimator_side_cm=rc,
        surface_side_cm=r,
        output=float(output),
        output_label=label,
        decay_factor=decay,
        sc=sc,
        sp=sp,
        pdd_percent=pdd,
        inverse_square_factor=isf,
        engine_percent=engine,
        shutter_error_min=shutter,
        meterset=meterset,
        assumptions=tuple(assumptions),
        geometric_depth_cm=geometric,
        epl_inverse_square_factor=epl,
    )


def hand_calculation(
    *,
    beam_dose: BeamDose,
    dose_per_fraction_gy: float,
    depth_cm: float,
    engine_relative_dose: float | None = None,
    calibration: Calibration | None = None,
    model: BeamModel | None = None,
    geometric_depth_cm: float | None = None,
) -> MonitorUnitCalculation:
    """:func:`monitor_units` for a beam computed by the engine (its SSD and jaws).

    ``depth_cm`` is the water-equivalent depth of the point, ``geometric_depth_cm`` its real
    depth below the beam's skin entry (default: the same, water)."""
    beam = beam_dose.beam
    return monitor_units(
        energy=beam.energy,
        dose_per_fraction_gy=dose_per_fraction_gy,
        depth_cm=depth_cm,
        ssd_cm=beam_dose.ssd_cm,
        collimator_side_cm=float(equivalent_square_cm(beam.field_x_sad_cm, beam.field_y_sad_cm)),
        calibration=calibration,
        model=model,
        engine_relative_dose=(
            None if engine_relative_dose is None else engine_relative_dose / beam.weight
        ),
        beam_name=beam.name,
        geometric_depth_cm=geometric_depth_cm,
    )


def machine_calibration(model: BeamModel, calibration: Calibration | None) -> Calibration | None:
    """``calibration`` with what it leaves unset taken from the commissioned machine's record.

    The output (6 MV cGy/MU) or the Co-60 dose rate and its date that the physicist stated when
    importing the machine (``spineplan machine import``) are used unless the plan gives its own
    (command-line options); a reference beam keeps ``calibration`` as it is.
    """
    name = model.machine.machine_name
    if name is None:
        return calibration
    setup = load_machine(name).setup
    given = calibration or Calibration()
    if given.output_cgy_per_mu is None and setup.output_cgy_per_mu is not None:
        given = replace(given, output_cgy_per_mu=setup.output_cgy_per_mu)
    if given.dose_rate_cgy_per_min is None and setup.dose_rate_cgy_per_min is not None:
        # the rate and its date go together: the machine's date only with the machine's rate
        date = setup.calibration_date
        given = replace(
            given,
            dose_rate_cgy_per_min=setup.dose_rate_cgy_per_min,
            calibration_date=None if date is None else _dt.date.fromisoformat(date),
        )
    return given
