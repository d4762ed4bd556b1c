"""DICOM RT Plan for static conventional photon portals (one control-point pair per beam).

The plan is written UNAPPROVED: it carries the geometry a planner re-enters or imports, not a
treatment record.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset, FileDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import RTPlanStorage, RTStructureSetStorage, generate_uid

from imaging.errors import GeometryError
from imaging.rt_common import new_rt_dataset, save_atomically


@dataclass(frozen=True)
class PlanBeam:
    """One static photon beam in IEC 61217 terms.

    Parameters
    ----------
    name : str
        Beam name shown on the console ("PA", "RLAT"...).
    gantry_angle_deg : float
        IEC gantry angle (0 = from above an HFS patient's anterior, 180 = from posterior).
    jaw_x_mm, jaw_y_mm : tuple of float
        Asymmetric jaw positions (X1, X2) and (Y1, Y2) in mm at the isocentre plane; X1 and Y1
        are negative on the IEC axes.
    isocentre_mm : tuple of float
        Isocentre in patient LPS mm.
    ssd_mm : float
        Source-to-surface distance along the central axis, mm.
    meterset : float
        Monitor units (linac) or minutes (Co-60) per fraction.
    nominal_energy_mv : float
        Nominal energy: 1.25 for Co-60, 6 for 6 MV.
    source_axis_distance_mm : float
        SAD of the machine, mm.
    dosimeter_unit : str
        ``"MU"`` or ``"MINUTE"``.
    """

    name: str
    gantry_angle_deg: float
    jaw_x_mm: tuple[float, float]
    jaw_y_mm: tuple[float, float]
    isocentre_mm: tuple[float, float, float]
    ssd_mm: float
    meterset: float
    nominal_energy_mv: float
    source_axis_distance_mm: float
    machine_name: str
    dosimeter_unit: str = "MU"
    collimator_angle_deg: float = 0.0
    couch_angle_deg: float = 0.0
    beam_dose_gy: float | None = None


def _decimal(value: float, digits: int = 3) -> str:
    """A DS value: at most 16 characters."""
    return f"{value:.{digits}f}"[:16]


def _beam_limiting_devices(beam: PlanBeam, with_positions: bool) -> DicomSequence:
    items = []
    for kind, positions in (("ASYMX", beam.jaw_x_mm), ("ASYMY", beam.jaw_y_mm)):
        item = Dataset()
        item.RTBeamLimitingDeviceType = kind
        if with_positions:
            item.LeafJawPositions = [_decimal(v, 2) for v in positions]
        else:
            item.NumberOfLeafJawPairs = 1
        items.append(item)
    return DicomSequence(items)


def _control_points(beam: PlanBeam) -> DicomSequence:
    first = Dataset()
    first.ControlPointIndex = 0
    first.NominalBeamEnergy = _decimal(beam.nominal_energy_mv, 2)
    first.BeamLimitingDevicePositionSequence = _beam_limiting_devices(beam, True)
    first.GantryAngle = _decimal(beam.gantry_angle_deg % 360.0, 1)
    first.GantryRotationDirection = "NONE"
    first.BeamLimitingDeviceAngle = _decimal(beam.collimator_angle_deg % 360.0, 1)
    first.BeamLimitingDeviceRotationDirection = "NONE"
    first.PatientSupportAngle = _decimal(beam.couch_angle_deg % 360.0, 1)
    first.PatientSupportRotationDirection = "NONE"
    first.TableTopEccentricAngle = "0"
    first.TableTopEccentricRotationDirection = "NONE"
    first.IsocenterPosition = [_decimal(v, 2) for v in beam.isocentre_mm]
    first.SourceToSurfaceDistance = _decimal(beam.ssd_mm, 1)
    first.CumulativeMetersetWeight = "0"
    last = Dataset()
    last.ControlPointIndex = 1
    last.CumulativeMetersetWeight = "1"
    return DicomSequence([first, last])


def build_rtplan(
    beams: Sequence[PlanBeam],
    reference_images: Sequence[Dataset],
    *,
    structure_set_uid: str,
    prescription_gy: float,
    fractions: int,
    target_point_mm: tuple[float, float, float] | None = None,
    setup_technique: str = "FIXED_SSD",
    label: str = "spineplan",
    series_number: int = 904,
    timestamp: _dt.datetime | None = None,
) -> FileDataset:
    """An RT Plan with one fraction group of static photon ``beams``.

    Parameters
    ----------
    structure_set_uid : str
        SOPInstanceUID of the RT Structure Set the plan refers to.
    prescription_gy : float
        Total prescribed dose in Gy (the plan's target prescription).
    fractions : int
        Number of fractions planned.
    target_point_mm : tuple of float, optional
        The normalisation point (LPS mm), written as the dose reference point.
    setup_technique : str
        DICOM SetupTechnique: ``FIXED_SSD`` (spineplan's conventional set-up, each beam at its
        SSD) or ``ISOCENTRIC``.
    """
    if not beams:
        raise GeometryError("an RT Plan needs at least one beam")
    if not reference_images:
        raise GeometryError("an RT Plan needs the headers of an image series of its study")
    first = reference_images[0]
    now = timestamp or _dt.datetime.now()

    ds = new_rt_dataset(
        RTPlanStorage,
        "RTPLAN",
        first,
        series_number=series_number,
        series_description="spineplan plan",
    )
    ds.RTPlanLabel = label[:16]
    ds.RTPlanDate = now.strftime("%Y%m%d")
    ds.RTPlanTime = now.strftime("%H%M%S")
    ds.RTPlanGeometry = "PATIENT"
    structure_set = Dataset()
    structure_set.ReferencedSOPClassUID = RTStructureSetStorage
    structure_set.ReferencedSOPInstanceUID = structure_set_uid
    ds.ReferencedStructureSetSequence = DicomSequence([structure_set])

    if target_point_mm is not None:
        reference = Dataset()
        reference.DoseReferenceNumber = 1
        reference.DoseReferenceUID = generate_uid()
        reference.DoseReferenceStructureType = "COORDINATES"
        reference.DoseReferenceDescription = "normalisation point"
        reference.DoseReferencePointCoordinates = [_decimal(v, 2) for v in target_point_mm]
        reference.DoseReferenceType = "TARGET"
        reference.TargetPrescriptionDose = _decimal(prescription_gy, 3)
        ds.DoseReferenceSequence = DicomSequence([reference])

    setup = Dataset()
    setup.PatientSetupNumber = 1
    setup.PatientPosition = getattr(first, "PatientPosition", "") or "HFS"
    setup.SetupTechnique = setup_technique
    ds.PatientSetupSequence = DicomSequence([setup])

    group = Dataset()
    group.FractionGroupNumber = 1
    group.NumberOfFractionsPlanned = int(fractions)
    group.NumberOfBeams = len(beams)
    group.NumberOfBrachyApplicationSetups = 0
    referenced_beams = []
    beam_items = []
    for number, beam in enumerate(beams, start=1):
        referenced = Dataset()
        referenced.ReferencedBeamNumber = number
        referenced.BeamMeterset = _decimal(beam.meterset, 3)
        if beam.beam_dose_gy is not None:
            referenced.BeamDose = _decimal(beam.beam_dose_gy, 4)
        referenced_beams.append(referenced)

        item = Dataset()
        item.BeamNumber = number
        item.BeamName = beam.name[:16]
        item.BeamType = "STATIC"
        item.RadiationType = "PHOTON"
        item.TreatmentMachineName = beam.machine_name[:16]
        item.PrimaryDosimeterUnit = beam.dosimeter_unit
        item.SourceAxisDistance = _decimal(beam.source_axis_distance_mm, 1)
        item.BeamLimitingDeviceSequence = _beam_limiting_devices(beam, False)
        item.TreatmentDeliveryType = "TREATMENT"
        item.NumberOfWedges = 0
        item.NumberOfCompensators = 0
        item.NumberOfBoli = 0
        item.NumberOfBlocks = 0
        item.FinalCumulativeMetersetWeight = "1"
        item.NumberOfControlPoints = 2
        item.ControlPointSequence = _control_points(beam)
        item.ReferencedPatientSetupNumber = 1
        beam_items.append(item)
    group.ReferencedBeamSequence = DicomSequence(referenced_beams)
    ds.FractionGroupSequence = DicomSequence([group])
    ds.BeamSequence = DicomSequence(beam_items)
    ds.ApprovalStatus = "UNAPPROVED"
    return ds


def write_rtplan(
    path: str | Path,
    beams: Sequence[PlanBeam],
    reference_images: Sequence[Dataset],
    **options: object,
) -> Path:
    """Build an RT Plan (see `build_rtplan`) and write it to ``path`` atomically."""
    dataset = build_rtplan(beams, reference_images, **options)  # type: ignore[arg-type]
    return save_atomically(dataset, path)
