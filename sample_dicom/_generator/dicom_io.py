"""DICOM headers and files of the sample studies (pydicom, fixed values only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    RLELossless,
    generate_uid,
)

from .cases import CaseModel
from .series import SeriesPlan

#: pydicom's UID root; with fixed entropy sources generate_uid() is a pure function.
_UID_ROOT = "1.2.826.0.1.3680043.8.498."
IMPLEMENTATION_CLASS_UID = "1.2.826.0.1.3680043.8.498.1.20241125"
IMPLEMENTATION_VERSION_NAME = "SPINEPLAN_SAMPLE"
MANUFACTURER = "spineplan synthetic"


def uid(*parts: object) -> str:
    """A UID that depends only on ``parts`` (case, series, index...)."""
    return generate_uid(_UID_ROOT, entropy_srcs=["spineplan-sample-v1", *map(str, parts)])


def ds_str(value: float) -> str:
    """A Decimal String without float-formatting surprises (at most 6 decimals, <= 16 chars)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    assert len(text) <= 16, text
    return text


def study_uids(case: CaseModel) -> tuple[str, str]:
    """(StudyInstanceUID, FrameOfReferenceUID) of ``case``."""
    return uid(case.spec.name, "study"), uid(case.spec.name, "frame-of-reference")


_MR_SEQUENCES = {
    "T2_SAG": dict(
        ScanningSequence="SE",
        SequenceVariant=["SK", "SP", "OSP"],
        ScanOptions=["PFP"],
        SequenceName="*tse2d1_17",
        RepetitionTime="3600",
        EchoTime="102",
        EchoTrainLength=17,
        FlipAngle="150",
        NumberOfAverages="2",
        PixelBandwidth="260",
        contrast_agent=False,
        time_offset_s=0,
        window=(900, 2000),
    ),
    "T1C_SAG": dict(
        ScanningSequence="SE",
        SequenceVariant=["SP", "OSP"],
        ScanOptions=["PFP"],
        SequenceName="*se2d1",
        RepetitionTime="560",
        EchoTime="11",
        EchoTrainLength=1,
        FlipAngle="90",
        NumberOfAverages="2",
        PixelBandwidth="150",
        contrast_agent=True,
        time_offset_s=1260,
        window=(800, 1800),
    ),
    "T1C_AX": dict(
        ScanningSequence="SE",
        SequenceVariant=["SP", "OSP"],
        ScanOptions=["SP"],
        SequenceName="*se2d1",
        RepetitionTime="620",
        EchoTime="10",
        EchoTrainLength=1,
        FlipAngle="90",
        NumberOfAverages="3",
        PixelBandwidth="170",
        contrast_agent=True,
        time_offset_s=1740,
        window=(800, 1800),
    ),
}


def _add_time(hhmmss: str, seconds: int) -> str:
    total = int(hhmmss[:2]) * 3600 + int(hhmmss[2:4]) * 60 + int(hhmmss[4:6]) + seconds
    return f"{total // 3600 % 24:02d}{total // 60 % 60:02d}{total % 60:02d}"


def planning_ct_uids(case: CaseModel) -> tuple[str, str]:
    """(StudyInstanceUID, FrameOfReferenceUID) of ``case``'s planning CT (another study)."""
    return uid(case.spec.name, "planning-ct-study"), uid(case.spec.name, "planning-ct-frame")


def _planning_ct_study(ds: Dataset, case: CaseModel) -> None:
    """The planning CT's own study: days after the MR, its own frame of reference."""
    spec = case.spec.planning_ct
    assert spec is not None
    ds.StudyInstanceUID, ds.FrameOfReferenceUID = planning_ct_uids(case)
    ds.StudyDate = spec.study_date
    ds.StudyTime = spec.study_time
    ds.StudyID = f"{case.spec.number}01"
    ds.AccessionNumber = spec.accession_number
    ds.StudyDescription = "CT RT PLANNING THORAX"
    ds.SeriesTime = _add_time(spec.study_time, 300)


def _patient_and_study(ds: Dataset, case: CaseModel) -> None:
    spec = case.spec
    study_uid, for_uid = study_uids(case)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName = f"SPINEPLAN^CASE{spec.number}"
    ds.PatientID = f"SPL-{spec.number:04d}"
    ds.PatientBirthDate = spec.patient_birth_date
    ds.PatientSex = "F"
    ds.PatientAge = spec.patient_age
    ds.PatientSize = spec.patient_size_m
    ds.PatientWeight = spec.patient_weight_kg
    ds.PatientComments = "Synthetic phantom, not a real patient (breast cancer case series)."
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = spec.study_date
    ds.StudyTime = spec.study_time
    ds.StudyID = f"{spec.number}"
    ds.AccessionNumber = spec.accession_number
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "MRI WHOLE SPINE +C"
    ds.FrameOfReferenceUID = for_uid
    ds.PositionReferenceIndicator = ""
    ds.Manufacturer = MANUFACTURER
    ds.InstitutionName = "spineplan synthetic"
    ds.BodyPartExamined = "SPINE"
    ds.PatientPosition = "HFS"


def _series_header(ds: Dataset, case: CaseModel, plan: SeriesPlan) -> None:
    spec = case.spec
    ds.SeriesInstanceUID = uid(spec.name, plan.folder, "series")
    ds.SeriesNumber = plan.series_number
    ds.SeriesDescription = plan.description
    ds.ProtocolName = plan.description
    ds.ImageOrientationPatient = [ds_str(v) for v in plan.orientation]
    ds.PixelSpacing = [ds_str(v) for v in plan.pixel_spacing_mm]
    ds.SliceThickness = ds_str(plan.slice_thickness_mm)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = plan.rows
    ds.Columns = plan.columns
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0


def _mr_header(ds: Dataset, case: CaseModel, plan: SeriesPlan) -> None:
    seq = dict(_MR_SEQUENCES[plan.kind])
    ds.Modality = "MR"
    ds.ManufacturerModelName = "Phantom 1.5T"
    ds.StationName = "SPLMR01"
    ds.DeviceSerialNumber = "0001"
    ds.SoftwareVersions = "spineplan sample generator 1"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
    ds.ScanningSequence = seq["ScanningSequence"]
    ds.SequenceVariant = seq["SequenceVariant"]
    ds.ScanOptions = seq["ScanOptions"]
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = seq["SequenceName"]
    ds.AngioFlag = "N"
    ds.RepetitionTime = seq["RepetitionTime"]
    ds.EchoTime = seq["EchoTime"]
    ds.EchoTrainLength = seq["EchoTrainLength"]
    ds.NumberOfAverages = seq["NumberOfAverages"]
    ds.ImagingFrequency = "63.676"
    ds.ImagedNucleus = "1H"
    ds.EchoNumbers = "1"
    ds.MagneticFieldStrength = "1.5"
    ds.SpacingBetweenSlices = ds_str(plan.spacing_between_slices_mm)
    ds.PixelBandwidth = seq["PixelBandwidth"]
    ds.FlipAngle = seq["FlipAngle"]
    ds.ReceiveCoilName = "SPINE"
    ds.TransmitCoilName = "BODY"
    ds.PercentSampling = "100"
    ds.PercentPhaseFieldOfView = "100"
    ds.InPlanePhaseEncodingDirection = "ROW" if plan.kind.endswith("SAG") else "COL"
    ds.AcquisitionMatrix = (
        [0, plan.columns, plan.rows, 0]
        if plan.kind.endswith("SAG")
        else [plan.rows, 0, 0, plan.columns]
    )
    ds.SAR = "0.9"
    ds.dBdt = "0"
    if seq["contrast_agent"]:
        ds.ContrastBolusAgent = "Gadoterate meglumine 0.1 mmol/kg"
        ds.ContrastBolusRoute = "IV"
    center, width = seq["window"]
    ds.WindowCenter = ds_str(center)
    ds.WindowWidth = ds_str(width)
    ds.WindowCenterWidthExplanation = "SPINE"
    ds.SeriesTime = _add_time(case.spec.study_time, seq["time_offset_s"])


def _ct_header(ds: Dataset, case: CaseModel, plan: SeriesPlan) -> None:
    ds.Modality = "CT"
    ds.ManufacturerModelName = "Phantom CT"
    ds.StationName = "SPLCT01"
    ds.DeviceSerialNumber = "0002"
    ds.SoftwareVersions = "spineplan sample generator 1"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = ds_str(plan.columns * plan.pixel_spacing_mm[1])
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "160"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "1000"
    ds.XRayTubeCurrent = 220
    ds.Exposure = 220
    ds.FilterType = "BODY"
    ds.ConvolutionKernel = "B30f"
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenter = ["40", "400"]
    ds.WindowWidth = ["400", "1800"]
    ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "BONE"]
    ds.SeriesTime = _add_time(case.spec.study_time, 3600)


def write_series(
    case: CaseModel, plan: SeriesPlan, pixels: np.ndarray, out_dir: Path
) -> list[Path]:
    """Write one file per slice into ``out_dir/<case>/<folder>/IMnnnn.dcm``.

    ``pixels`` holds the slices in the spatial order of ``plan.positions``; files are named by
    their InstanceNumber.
    """
    folder = out_dir / case.spec.name / plan.folder
    folder.mkdir(parents=True, exist_ok=True)
    # Regenerating must not leave stale slices of an earlier geometry behind.
    for stale in folder.glob("IM*.dcm"):
        stale.unlink()
    is_ct = plan.contrast == "CT"
    sop_class = CTImageStorage if is_ct else MRImageStorage
    normal = np.cross(plan.orientation[:3], plan.orientation[3:])
    written = []
    for k, (position, number) in enumerate(zip(plan.positions, plan.instance_numbers, strict=True)):
        sop_uid = uid(case.spec.name, plan.folder, "instance", number)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
        meta.ImplementationVersionName = IMPLEMENTATION_VERSION_NAME
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = sop_uid
        _patient_and_study(ds, case)
        _series_header(ds, case, plan)
        if is_ct:
            _ct_header(ds, case, plan)
        else:
            _mr_header(ds, case, plan)
        date = case.spec.study_date
        if plan.extra.get("other_study"):
            _planning_ct_study(ds, case)
            date = ds.StudyDate
        ds.SeriesDate = date
        ds.AcquisitionDate = date
        ds.ContentDate = date
        ds.AcquisitionTime = ds.SeriesTime
        ds.ContentTime = _add_time(ds.SeriesTime, 60)
        ds.InstanceNumber = number
        ds.AcquisitionNumber = 1
        ds.ImagePositionPatient = [ds_str(v) for v in position]
        ds.SliceLocation = ds_str(float(np.dot(normal, position)))
        ds.InstanceCreationDate = date
        ds.InstanceCreationTime = ds.ContentTime
        frame = np.ascontiguousarray(pixels[k])
        if is_ct:
            # The CT is stored RLE Lossless (pydicom's own encoder: byte-stable everywhere).
            ds.compress(RLELossless, frame, encoding_plugin="pydicom", generate_instance_uid=False)
        else:
            ds.PixelData = frame.astype("<u2").tobytes()
        path = folder / f"IM{number:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        written.append(path)
    return written
