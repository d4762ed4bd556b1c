"""The treatment beam: one type from the field derivation to the RT Plan.

A :class:`Beam` is born in the field derivation (name, gantry angle, energy, isocentre, the
SSD asked for), gets its jaws, measured SSD, skin entry and isocentre depth when it is set up on
the patient (:meth:`Beam.with_setup`, :func:`planning.dose.beam_setup.plan_beams`), is what the
dose engine computes, and gets its meterset from the hand calculation (:meth:`Beam.with_meterset`)
before the RT Plan (:mod:`planning.export.rtplan`) writes it. Each stage adds to a frozen copy
(``dataclasses.replace``) instead of wrapping the beam in a type of its own.

Why here: the beam is a planning concept (an energy, a machine, a set-up), and the field stage
is the lowest stage that makes beams; every stage above it (dose, evaluation, plan, export) may
import it. The RT Plan writer, which needs nothing but beams, sits in ``planning.export`` for the
same reason, and ``imaging`` keeps only the generic DICOM helpers (``rt_common``, RT Structure
Set, RT Dose), so imaging never needs to know what a treatment beam is.

Conventions
-----------
* Patient coordinates are DICOM LPS millimetres; the patient is head-first supine (HFS).
* Gantry angle (IEC 61217, HFS): at 0 deg the source is above the patient (anterior) and the
  beam travels posterior (an AP field); 90 deg: the source is at the patient's LEFT and the beam
  travels to the patient's right; 180 deg: source posterior, beam travels anterior (a PA field);
  270 deg: source at the patient's right. In LPS the source direction is
  ``(sin g, -cos g, 0)``.
* Collimator at 0 deg. Beam X axis (jaws X1, X2) = ``(cos g, sin g, 0)``: patient left-right for
  AP/PA fields, anterior-posterior for lateral fields (at 90 deg +X points posterior). Beam Y axis
  (jaws Y1 inferior, Y2 superior) = patient +z (superior). Jaw positions are signed distances
  (X1, Y1 negative for a field centred on the axis) in the plane at the machine's source-axis
  distance (SAD) from the source -- the machine isocentre plane, where IEC and DICOM give jaws;
  for an SSD set-up at SSD = SAD, that is the field at the skin.
* SSD set-up: the source sits ``ssd_cm`` upstream of where the central axis meets the skin.
  SAD set-up: the source sits SAD upstream of the isocentre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from imaging.units import cm_to_mm
from planning.case.settings import SAD_CM, Energy, parse_energy
from planning.errors import PlanningError

Point = tuple[float, float, float]
Jaws = tuple[float, float]


def beam_axes(gantry_angle_deg: float) -> np.ndarray:
    """Rows: beam X, beam Y and beam Z (towards the source) as LPS unit vectors (HFS), (3, 3)."""
    g = math.radians(gantry_angle_deg)
    c, s = math.cos(g), math.sin(g)
    return np.array([[c, s, 0.0], [0.0, 0.0, 1.0], [s, -c, 0.0]])


def _point(values: Sequence[float] | None) -> Point | None:
    if values is None:
        return None
    x, y, z = (float(v) for v in values)
    return (x, y, z)


@dataclass(frozen=True)
class Beam:
    """One static photon beam, from the field derivation to the RT Plan.

    Parameters
    ----------
    name : str
        ``"PA"``, ``"AP"``, ``"left lateral"``, ``"right lateral"`` (shown on the console and in
        reports).
    gantry_angle_deg : float
        IEC 61217 gantry angle, degrees (module docstring).
    energy : {"Co60", "6MV"}
        Any spelling :func:`planning.case.settings.parse_energy` accepts; stored canonically.
    isocentre_lps_mm : tuple of 3 float, optional
        A point on the central axis, LPS mm: the field's reference point (lesion centroid depth)
        of an SSD set-up, the isocentre of an SAD set-up. ``None`` while unknown.
    jaw_x_sad_cm, jaw_y_sad_cm : (float, float), optional
        ``(X1, X2)`` and ``(Y1, Y2)`` jaw positions in cm in the plane at the machine's SAD
        (X1 < X2, Y1 < Y2; Y1 inferior). ``None`` until the beam is set up.
    collimator_angle_deg, couch_angle_deg : float
        IEC 61217 collimator and patient-support angles, degrees (0 in this release).
    setup : {"SSD", "SAD"}
    ssd_cm : float, optional
        Source-skin distance, cm: the one asked for (``None`` = the machine's default) until
        :meth:`with_setup` records the one set up on the patient.
    weight : float
        Relative weight (multiplies this beam's relative dose in the engine).
    isocentre_depth_cm : float, optional
        Set-up: geometric depth of the isocentre below the skin entry, cm.
    skin_entry_lps_mm, source_lps_mm : tuple of 3 float, optional
        Set-up: where the central axis enters the skin, and the source, LPS mm.
    machine_isocentre_lps_mm : tuple of 3 float, optional
        Set-up: the point at SAD from the source on the central axis, LPS mm (what the RT Plan
        calls the isocentre of an SSD set-up).
    depth_from_image_edge : bool
        Set-up: the skin is not imaged on the central axis and no separation was entered, so
        depth and set-up are counted from the edge of the images (too shallow).
    assumptions : tuple of str
        Set-up: what was assumed about this beam's skin entry, in words.
    meterset : float, optional
        Monitor units (6 MV) or minutes (Co-60) per fraction, from :meth:`with_meterset`.
    meterset_unit : {"MU", "min"}, optional
    dose_per_fraction_gy : float, optional
        This beam's share of the prescription at the normalisation point, Gy per fraction.
    machine_sad_cm : float, optional
        The commissioned machine's source-axis distance, cm; None: the energy's reference
        (:data:`planning.case.settings.SAD_CM`).

    Raises
    ------
    PlanningError
        An unknown energy or set-up, jaws that give no field, an SSD outside 20-200 cm, a
        negative weight, or a non-finite angle.
    """

    name: str
    gantry_angle_deg: float
    energy: Energy = "6MV"
    isocentre_lps_mm: Point | None = None
    jaw_x_sad_cm: Jaws | None = None
    jaw_y_sad_cm: Jaws | None = None
    collimator_angle_deg: float = 0.0
    couch_angle_deg: float = 0.0
    setup: str = "SSD"
    ssd_cm: float | None = None
    weight: float = 1.0
    isocentre_depth_cm: float | None = None
    skin_entry_lps_mm: Point | None = None
    source_lps_mm: Point | None = None
    machine_isocentre_lps_mm: Point | None = None
    depth_from_image_edge: bool = False
    assumptions: tuple[str, ...] = ()
    meterset: float | None = None
    meterset_unit: str | None = None
    dose_per_fraction_gy: float | None = None
    machine_sad_cm: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "energy", parse_energy(self.energy))
        for label in ("gantry_angle_deg", "collimator_angle_deg", "couch_angle_deg"):
            if not math.isfinite(getattr(self, label)):
                raise PlanningError(f"beam {self.name!r}: {label} must be a finite number")
        if self.setup not in ("SSD", "SAD"):
            raise PlanningError(f"beam {self.name!r}: setup must be SSD or SAD, not {self.setup!r}")
        for label, jaws in (("X", self.jaw_x_sad_cm), ("Y", self.jaw_y_sad_cm)):
            if jaws is None:
                continue
            a, b = jaws
            if not (math.isfinite(a) and math.isfinite(b)) or b - a < 0.1:
                raise PlanningError(
                    f"beam {self.name!r}: jaws {label}1={a:.2f} cm, {label}2={b:.2f} cm "
                    "give no field"
                )
        if self.ssd_cm is not None and not 20.0 <= self.ssd_cm <= 200.0:
            raise PlanningError(f"beam {self.name!r}: SSD {self.ssd_cm:g} cm is outside 20-200 cm")
        if not math.isfinite(self.weight) or self.weight < 0:
            raise PlanningError(f"beam {self.name!r}: weight must be >= 0, got {self.weight}")
        if self.meterset_unit not in (None, "MU", "min"):
            raise PlanningError(
                f"beam {self.name!r}: meterset unit must be MU or min, not {self.meterset_unit!r}"
            )

    @classmethod
    def symmetric(
        cls,
        energy: str,
        gantry_angle_deg: float,
        isocentre_lps_mm: Sequence[float],
        field_x_sad_cm: float,
        field_y_sad_cm: float,
        *,
        name: str = "",
        **kwargs: object,
    ) -> Beam:
        """A beam with symmetric jaws: ``field_x_sad_cm`` x ``field_y_sad_cm`` at the SAD plane."""
        return cls(
            name=name,
            gantry_angle_deg=gantry_angle_deg,
            energy=energy,  # type: ignore[arg-type]
            isocentre_lps_mm=_point(isocentre_lps_mm),
            jaw_x_sad_cm=(-field_x_sad_cm / 2.0, field_x_sad_cm / 2.0),
            jaw_y_sad_cm=(-field_y_sad_cm / 2.0, field_y_sad_cm / 2.0),
            **kwargs,  # type: ignore[arg-type]
        )

    def with_setup(
        self,
        *,
        jaw_x_sad_cm: Jaws,
        jaw_y_sad_cm: Jaws,
        ssd_cm: float,
        isocentre_depth_cm: float,
        skin_entry_lps_mm: Sequence[float],
        source_lps_mm: Sequence[float],
        machine_isocentre_lps_mm: Sequence[float],
        depth_from_image_edge: bool = False,
        assumptions: tuple[str, ...] = (),
    ) -> Beam:
        """A copy set up on the patient: jaws at the SAD plane, SSD (cm), depth, entry points."""
        return replace(
            self,
            jaw_x_sad_cm=jaw_x_sad_cm,
            jaw_y_sad_cm=jaw_y_sad_cm,
            ssd_cm=ssd_cm,
            isocentre_depth_cm=isocentre_depth_cm,
            skin_entry_lps_mm=_point(skin_entry_lps_mm),
            source_lps_mm=_point(source_lps_mm),
            machine_isocentre_lps_mm=_point(machine_isocentre_lps_mm),
            depth_from_image_edge=depth_from_image_edge,
            assumptions=tuple(assumptions),
        )

    def with_meterset(self, meterset: float, unit: str, dose_per_fraction_gy: float) -> Beam:
        """A copy with its meterset per fraction (``unit`` "MU" or "min") and dose share, Gy."""
        return replace(
            self, meterset=meterset, meterset_unit=unit, dose_per_fraction_gy=dose_per_fraction_gy
        )

    @property
    def label(self) -> str:
        """The beam in messages: its name, else its energy and gantry angle."""
        return self.name or f"{self.energy} gantry {self.gantry_angle_deg:g} deg"

    @property
    def sad_cm(self) -> float:
        """The machine's source-axis distance (the plane of the jaws), cm: the commissioned
        machine's (``machine_sad_cm``), else the energy's reference."""
        return self.machine_sad_cm or SAD_CM[self.energy]

    @property
    def source_direction_lps(self) -> Point:
        """Unit vector from the isocentre towards the source, LPS (the beam travels the other
        way); exact zeros and ones at the cardinal angles."""
        x, y, z = (round(float(v), 12) + 0.0 for v in beam_axes(self.gantry_angle_deg)[2])
        return (x, y, z)

    def _jaws(self) -> tuple[Jaws, Jaws]:
        if self.jaw_x_sad_cm is None or self.jaw_y_sad_cm is None:
            raise PlanningError(f"beam {self.label}: its jaws are not set (set the beam up first)")
        return self.jaw_x_sad_cm, self.jaw_y_sad_cm

    @property
    def jaws_sad_cm(self) -> tuple[Jaws, Jaws]:
        """``((X1, X2), (Y1, Y2))`` at the SAD plane, cm; :class:`PlanningError` when unset."""
        return self._jaws()

    @property
    def jaw_x_sad_mm(self) -> Jaws:
        """``(X1, X2)`` at the SAD plane, mm."""
        x1, x2 = self._jaws()[0]
        return (cm_to_mm(x1), cm_to_mm(x2))

    @property
    def jaw_y_sad_mm(self) -> Jaws:
        """``(Y1, Y2)`` at the SAD plane, mm."""
        y1, y2 = self._jaws()[1]
        return (cm_to_mm(y1), cm_to_mm(y2))

    @property
    def field_x_sad_cm(self) -> float:
        """Field width along beam X at the SAD plane, cm."""
        x1, x2 = self._jaws()[0]
        return x2 - x1

    @property
    def field_y_sad_cm(self) -> float:
        """Field length along beam Y (patient S-I) at the SAD plane, cm."""
        y1, y2 = self._jaws()[1]
        return y2 - y1

    @property
    def field_at_skin_cm(self) -> tuple[float, float]:
        """Field size (X, Y) on the skin, cm: the jaw opening scaled from the SAD to the SSD."""
        if self.ssd_cm is None:
            raise PlanningError(f"beam {self.label}: its SSD is not set (set the beam up first)")
        scale = self.ssd_cm / self.sad_cm
        return (self.field_x_sad_cm * scale, self.field_y_sad_cm * scale)
