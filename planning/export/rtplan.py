"""DICOM RT Plan for static conventional photon portals (one control-point pair per beam).

The plan is written UNAPPROVED: it carries the geometry a planner re-enters or imports, not a
treatment record. It writes :class:`planning.field.beam.Beam` s set up on the patient
(:meth:`~planning.field.beam.Beam.with_setup`) with their meterset
(:meth:`~planning.field.beam.Beam.with_meterset`): IEC 61217 angles, jaws in mm at the SAD plane,
the isocentre at SAD on the central axis (``machine_isocentre_lps_mm``, else
``isocentre_lps_mm``), the SSD. It lives in planning, not imaging, because an RT Plan is made of
treatment beams, a planning concept; imaging keeps the generic DICOM helpers it uses.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

from pydicom.dataset import Dataset, FileDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import RTPlanStorage, RTStructureSetStorage, generate_uid

from imaging.errors import GeometryError
from imaging.rt_common import new_rt_dataset, save_atomically
from imaging.units import cm_to_mm
from planning.field.beam import Beam, Point

#: TreatmentMachineName and NominalBeamEnergy (MV) of each energy.
MACHINE_NAMES = {"Co60": "Co-60 unit", "6MV": "6 MV linac"}
NOMINAL_ENERGY_MV = {"Co60": 1.25, "6MV": 6.0}


def _require(beam: Beam) -> tuple[Point, float, float, str]:
    """The RT Plan's isocentre (LPS mm), SSD (mm), meterset and dosimeter unit of ``beam``."""
    isocentre = beam.machine_isocentre_lps_mm or beam.isocentre_lps_mm
    if isocentre is None or beam.ssd_cm is None:
        raise GeometryError(f"beam {beam.label}: not set up (no isocentre or SSD) for an RT Plan")
    if beam.meterset is None:
        raise GeometryError(f"beam {beam.label}: no meterset for an RT Plan")
    unit = "MU" if beam.meterset_unit == "MU" else "MINUTE"
    return isocentre, cm_to_mm(beam.ssd_cm), beam.meterset, unit


def _decimal(value: float, digits: int = 3) -> str:
    """A DS value: at most 16 characters."""
    return f"{value:.{digits}f}"[:16]


def _beam_limiting_devices(beam: Beam, with_positions: bool) -> DicomSequence:
    items = []
    for kind, positions in (("ASYMX", beam.jaw_x_sad_mm), ("ASYMY", beam.jaw_y_sad_mm)):
        item = Dataset()
        item.RTBeamLimitingDeviceType = kind
        if with_positions:
            item.LeafJawPositions = [_decimal(v, 2) for v in positions]
        else:
            item.NumberOfLeafJawPairs = 1
        items.append(item)
    return DicomSequence(items)


def _control_points(beam: Beam) -> DicomSequence:
    isocentre, ssd_mm, _, _ = _require(beam)
    first = Dataset()
    first.ControlPointIndex = 0
    first.NominalBeamEnergy = _decimal(NOMINAL_ENERGY_MV[beam.energy], 2)
    first.BeamLimitingDevicePositionSequence = _beam_limiting_devices(beam, True)
    first.GantryAngle = _decimal(beam.gantry_angle_deg % 360.0, 1)
    first.GantryRotationDirection = "NONE"
    first.BeamLimitingDeviceAngle = _decimal(beam.collimator_angle_deg % 360.0, 1)
    first.BeamLimitingDeviceRotationDirection = "NONE"
    first.PatientSupportAngle = _decimal(beam.couch_angle_deg % 360.0, 1)
    first.PatientSupportRotationDirection = "NONE"
    first.TableTopEccentricAngle = "0"
    first.TableTopEccentricRotationDirection = "NONE"
    first.IsocenterPosition = [_decimal(v, 2) for v in isocentre]
    first.SourceToSurfaceDistance = _decimal(ssd_mm, 1)
    first.CumulativeMetersetWeight = "0"
    last = Dataset()
    last.ControlPointIndex = 1
    last.CumulativeMetersetWeight = "1"
    return DicomSequence([first, last])


def build_rtplan(
    beams: Sequence[Beam],
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
    treatment_machine_name: str | None = None,
) -> FileDataset:
    """An RT Plan with one fraction group of static photon ``beams``.

    Parameters
    ----------
    beams : sequence of Beam
        Set up and with their meterset per fraction (module docstring).
    reference_images : sequence of pydicom Dataset
        Headers of an image series of the study (patient, study and frame of reference).
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
    treatment_machine_name : str, optional
        The commissioned machine's name (what a record-and-verify system matches the plan
        against); by default the reference beam's generic name for the energy.

    Raises
    ------
    GeometryError
        No beams, no image headers, or a beam not set up or without its meterset.
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
        _, _, meterset, dosimeter_unit = _require(beam)
        referenced = Dataset()
        referenced.ReferencedBeamNumber = number
        referenced.BeamMeterset = _decimal(meterset, 3)
        if beam.dose_per_fraction_gy is not None:
            referenced.BeamDose = _decimal(beam.dose_per_fraction_gy, 4)
        referenced_beams.append(referenced)

        item = Dataset()
        item.BeamNumber = number
        item.BeamName = beam.name[:16]
        item.BeamType = "STATIC"
        item.RadiationType = "PHOTON"
        item.TreatmentMachineName = (treatment_machine_name or MACHINE_NAMES[beam.energy])[:16]
        item.PrimaryDosimeterUnit = dosimeter_unit
        item.SourceAxisDistance = _decimal(cm_to_mm(beam.sad_cm), 1)
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
    beams: Sequence[Beam],
    reference_images: Sequence[Dataset],
    **options: object,
) -> Path:
    """Build an RT Plan (see `build_rtplan`) and write it to ``path`` atomically."""
    dataset = build_rtplan(beams, reference_images, **options)  # type: ignore[arg-type]
    return save_atomically(dataset, path)
