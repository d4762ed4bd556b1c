"""A treatment beam and its axes in patient coordinates (IEC 61217 conventions, no dose).

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
  (X1, Y1 negative for a field centred on the axis) in cm in the plane at the machine's SAD from
  the source -- for an SSD set-up at SSD = SAD, that is the field at the skin.
* SSD set-up: the source sits ``ssd_cm`` upstream of where the central axis meets the skin.
  SAD set-up: the source sits SAD upstream of the isocentre.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from imaging.volume import Volume
from planning.dose.beam_model import parse_energy
from planning.errors import PlanningError


@dataclass(frozen=True)
class Beam:
    """One treatment beam.

    Parameters
    ----------
    energy : str
        ``"Co60"`` or ``"6MV"`` (any spelling :func:`planning.dose.beam_model.parse_energy`
        accepts).
    gantry_angle_deg : float
        IEC 61217 gantry angle, degrees (module docstring).
    isocentre_lps_mm : tuple of float
        A point on the central axis, LPS mm (the isocentre of an SAD set-up).
    jaw_x_cm, jaw_y_cm : tuple of float
        ``(X1, X2)`` and ``(Y1, Y2)`` jaw positions in cm at the SAD plane (X1 < X2, Y1 < Y2).
    setup : str
        ``"SSD"`` or ``"SAD"``.
    ssd_cm : float, optional
        Source-skin distance of an SSD set-up, cm; default: the machine's (Co-60 80, 6 MV 100).
    weight : float
        Relative weight (multiplies this beam's relative dose).
    name : str
        Label for reports.
    """

    energy: str
    gantry_angle_deg: float
    isocentre_lps_mm: tuple[float, float, float]
    jaw_x_cm: tuple[float, float] = (-5.0, 5.0)
    jaw_y_cm: tuple[float, float] = (-5.0, 5.0)
    setup: str = "SSD"
    ssd_cm: float | None = None
    weight: float = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "energy", parse_energy(self.energy))
        if self.setup not in ("SSD", "SAD"):
            raise PlanningError(f"beam {self.name!r}: setup must be SSD or SAD, not {self.setup!r}")
        for label, (a, b) in (("X", self.jaw_x_cm), ("Y", self.jaw_y_cm)):
            if not (math.isfinite(a) and math.isfinite(b)) or b - a < 0.1:
                raise PlanningError(
                    f"beam {self.name!r}: jaws {label}1={a:.2f} cm, {label}2={b:.2f} cm "
                    "give no field"
                )
        if self.ssd_cm is not None and not 20.0 <= self.ssd_cm <= 200.0:
            raise PlanningError(f"beam {self.name!r}: SSD {self.ssd_cm:g} cm is outside 20-200 cm")
        if not math.isfinite(self.weight) or self.weight < 0:
            raise PlanningError(f"beam {self.name!r}: weight must be >= 0, got {self.weight}")

    @classmethod
    def symmetric(
        cls,
        energy: str,
        gantry_angle_deg: float,
        isocentre_lps_mm: Sequence[float],
        field_x_cm: float,
        field_y_cm: float,
        **kwargs: object,
    ) -> Beam:
        """A beam with symmetric jaws: ``field_x_cm`` x ``field_y_cm`` at the SAD plane."""
        iso = tuple(float(v) for v in isocentre_lps_mm)
        return cls(
            energy=energy,
            gantry_angle_deg=gantry_angle_deg,
            isocentre_lps_mm=(iso[0], iso[1], iso[2]),
            jaw_x_cm=(-field_x_cm / 2.0, field_x_cm / 2.0),
            jaw_y_cm=(-field_y_cm / 2.0, field_y_cm / 2.0),
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def field_x_cm(self) -> float:
        """Field width along beam X at the SAD plane, cm."""
        return self.jaw_x_cm[1] - self.jaw_x_cm[0]

    @property
    def field_y_cm(self) -> float:
        """Field length along beam Y (patient S-I) at the SAD plane, cm."""
        return self.jaw_y_cm[1] - self.jaw_y_cm[0]

    @property
    def label(self) -> str:
        """The beam in messages: its name, else its energy and gantry angle."""
        return self.name or f"{self.energy} gantry {self.gantry_angle_deg:g} deg"


def beam_axes(gantry_angle_deg: float) -> np.ndarray:
    """Rows: beam X, beam Y and beam Z (towards the source) as LPS unit vectors (HFS)."""
    g = math.radians(gantry_angle_deg)
    c, s = math.cos(g), math.sin(g)
    return np.array([[c, s, 0.0], [0.0, 0.0, 1.0], [s, -c, 0.0]])


def volume_corners(volume: Volume) -> np.ndarray:
    """The 8 outer corners of ``volume``'s voxel box (voxel edges, not centres), LPS mm, (8, 3)."""
    size = np.asarray(volume.size_ijk, dtype=float) - 1.0
    corners = np.array(
        [
            [a, b, c]
            for a in (-0.5, size[0] + 0.5)
            for b in (-0.5, size[1] + 0.5)
            for c in (-0.5, size[2] + 0.5)
        ]
    )
    return volume.index_to_patient(corners)
