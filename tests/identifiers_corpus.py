"""A de-identification test corpus: DICOM files with identifiers planted where PS3.15's Basic
Application Level Confidentiality Profile says they hide.

Every planted value is a distinctive string, so a test can search every byte of every output
file for it: ``ZZSECRET01`` .. ``ZZSECRET46`` (each in one place), the patient's name
``Yamada^Taro`` with its ideographic form ``山田^太郎`` (UTF-8, ISO_IR 192), and two dates
(:data:`PLANTED_DATES`). They sit in more than 30 standard attributes (patient, study, series,
equipment, physicians, operators, descriptions, comments, request attributes), in private tags
(a vendor header holding the name, a private sequence), in nested sequences two and three items
deep, in the file meta group and in the 128-byte preamble.

Typical use::

    write_identified_series(tmp_path / "study" / "t1")            # a small MR series
    plant_identifiers_in_folder(copied_sample_case_folder)         # or any copied study
    assert planted_in(path.read_bytes()) == []                     # after de-identification
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from planning.case import load_case, save_case
from tests.dicom_builders import BuiltSeries, write_series

#: The patient's name as planted (Latin and ideographic), with the parts searched for.
PATIENT_NAME = "Yamada^Taro=山田^太郎"
NAME_PARTS = ("Yamada", "山田", "太郎")
#: Birth date and the date of the examination, planted in every date attribute.
PLANTED_DATES = ("19580317", "20240611")
SECRET_PREFIX = "ZZSECRET"


def secret(number: int) -> str:
    """The planted string number ``number``: ``ZZSECRET07``."""
    return f"{SECRET_PREFIX}{number:02d}"


def _item(**attributes: object) -> Dataset:
    item = Dataset()
    for keyword, value in attributes.items():
        setattr(item, keyword, value)
    return item


#: Top-level standard attributes and the value planted in each (30 of them).
TOP_LEVEL: dict[str, str] = {
    "PatientID": secret(1),
    "OtherPatientNames": f"{secret(2)}^Hanako",
    "PatientAddress": f"{secret(5)} Sakura-cho 1-2-3",
    "PatientTelephoneNumbers": secret(6),
    "PatientMotherBirthName": f"{secret(7)}^Mother",
    "AccessionNumber": secret(8),
    "InstitutionName": f"{secret(9)} Hospital",
    "InstitutionAddress": f"{secret(10)} Hospital Street",
    "InstitutionalDepartmentName": f"{secret(11)} Radiology",
    "ReferringPhysicianName": f"{secret(12)}^Referrer",
    "PerformingPhysicianName": f"{secret(13)}^Performer",
    "OperatorsName": f"{secret(14)}^Operator",
    "NameOfPhysiciansReadingStudy": f"{secret(15)}^Reader",
    "StationName": secret(16),
    "StudyDescription": f"{secret(17)} spine for Yamada",
    "ImageComments": f"{secret(19)} patient Yamada Taro",
    "StudyID": secret(20),
    "DeviceSerialNumber": secret(21),
    "ProtocolName": f"{secret(22)} spine protocol",
    "AdditionalPatientHistory": f"{secret(23)} history",
    "PatientComments": f"{secret(24)} comments",
    "PerformedProcedureStepDescription": f"{secret(28)} procedure",
    "RequestingPhysician": f"{secret(29)}^Requester",
    "ContrastBolusAgent": f"{secret(30)} gadolinium",
    "MedicalAlerts": f"{secret(31)} alert",
    "Occupation": secret(32),
    "PhysiciansOfRecord": f"{secret(33)}^Record",
    "PerformedStationName": secret(34),
    "DerivationDescription": f"{secret(35)} derivation",
    "RequestedProcedureDescription": f"{secret(36)} request",
}


def plant_identifiers(ds: Dataset) -> None:
    """Plant the corpus's identifiers into ``ds`` (an image data set with file meta).

    The series description keeps its technical words and gains a secret, so a cleaned
    description must drop it and keep the rest.
    """
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = PATIENT_NAME
    ds.PatientBirthDate = PLANTED_DATES[0]
    ds.PatientBirthTime = "071500"
    for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        setattr(ds, keyword, PLANTED_DATES[1])
    ds.StudyTime, ds.SeriesTime, ds.ContentTime = "101500", "102000", "102100.5"
    ds.AcquisitionTime = "102030"
    ds.PerformedProcedureStepStartTime = "101400"  # a time with no date beside it
    for keyword, value in TOP_LEVEL.items():
        setattr(ds, keyword, value)
    ds.SeriesDescription = f"{ds.get('SeriesDescription', '')} {secret(18)}".strip()
    ds.OtherPatientIDsSequence = DicomSequence(
        [_item(PatientID=secret(3), IssuerOfPatientID=secret(4), TypeOfPatientID="TEXT")]
    )
    ds.RequestAttributesSequence = DicomSequence(
        [
            _item(
                RequestedProcedureID=secret(25),
                ScheduledProcedureStepID=secret(26),
                ScheduledProcedureStepDescription=f"{secret(27)} MRI spine",
                ReferencedStudySequence=DicomSequence(
                    [_item(ReferencedSOPClassUID="1.2.840.10008.3.1.2.3.1")]
                ),
            )
        ]
    )
    # nested sequences that the profile keeps: identifiers two and three items deep
    purpose = _item(
        CodeValue="121311",
        CodingSchemeDesignator="DCM",
        CodeMeaning="Localizer",
        OperatorsName=f"{secret(37)}^Deep",  # three deep
        ImageComments=f"{secret(38)} deep comment",
        ContentDate=PLANTED_DATES[1],
    )
    reference = _item(
        ReferencedSOPClassUID=ds.SOPClassUID,
        ReferencedSOPInstanceUID=ds.SOPInstanceUID,
        PurposeOfReferenceCodeSequence=DicomSequence([purpose]),
        InstitutionName=f"{secret(39)} nested institution",  # two deep
        PatientBirthDate=PLANTED_DATES[0],
    )
    reference.private_block(0x0041, "ACME NESTED", create=True).add_new(
        0x10, "LO", f"{secret(40)} nested private"
    )
    ds.ReferencedImageSequence = DicomSequence([reference])
    ds.ProcedureCodeSequence = DicomSequence(
        [
            _item(
                CodeValue="MRSPINE",
                CodingSchemeDesignator="99LOCAL",
                CodeMeaning="MR spine",
                PersonName=f"{secret(41)}^Coder",
                ScheduledProcedureStepDescription=f"{secret(42)} nested request",
            )
        ]
    )
    # a vendor header holding the name, as scanners write them, and a private sequence
    block = ds.private_block(0x0029, "ACME MR HEADER", create=True)
    block.add_new(0x10, "OB", f"PatientName={PATIENT_NAME};ID={secret(43)};".encode() + b"\x00")
    block.add_new(0x11, "LO", secret(44))
    block.add_new(0x12, "SQ", DicomSequence([_item(OperatorsName=f"{secret(45)}^Vendor")]))
    ds.add_new(0x60004000, "LT", f"{secret(46)} overlay comment")
    ds.file_meta.SourceApplicationEntityTitle = "ZZSECRET47"
    ds.preamble = b"ZZSECRET48 Yamada".ljust(128, b"\x00")


#: Every string planted in the DICOM files (the name's parts, the secrets); dates are in
#: PLANTED_DATES.
PLANTED_STRINGS = (*NAME_PARTS, *(secret(n) for n in range(1, 49)))
#: Planted in a case file: its description and a free-text finding.
CASE_SECRETS = (f"{secret(49)} Yamada Taro, bed 12", f"{secret(50)} seen by Dr Sato")


def planted_in(data: bytes) -> list[str]:
    """The planted strings and dates found anywhere in ``data`` (raw bytes of a file):
    ASCII case-insensitively, the ideographic name as UTF-8."""
    lowered = data.lower()
    found = [s for s in (*PLANTED_STRINGS, *CASE_SECRETS) if s.lower().encode("utf-8") in lowered]
    if SECRET_PREFIX.lower().encode() in lowered and not any(SECRET_PREFIX in s for s in found):
        found.append(SECRET_PREFIX)
    found += [d for d in PLANTED_DATES if d.encode() in data]
    return found


def plant_identifiers_in_folder(folder: Path) -> list[Path]:
    """Plant the identifiers into every ``*.dcm`` file under ``folder``, in place."""
    paths = sorted(folder.rglob("*.dcm"))
    for path in paths:
        ds = pydicom.dcmread(path)
        plant_identifiers(ds)
        ds.save_as(path, enforce_file_format=True)
    return paths


def write_identified_series(folder: Path, **options: object) -> BuiltSeries:
    """A small sagittal T1 post-contrast MR series with the identifiers planted in every file."""
    options = {
        "shape": (4, 16, 12),
        "orientation": "sagittal",
        "series_description": "T1 SE SAG +C",
        **options,
    }
    built = write_series(folder, **options)  # type: ignore[arg-type]
    for path in built.paths:
        ds = pydicom.dcmread(path)
        plant_identifiers(ds)
        ds.save_as(path, enforce_file_format=True)
    return built


def identified_case_copy(case_file: Path, folder: Path) -> Path:
    """A copy of ``case_file``'s study in ``folder`` with the identifiers planted in every
    DICOM file, and the case file beside it named after the patient, with a description and a
    free-text finding naming the patient. Returns the new case file."""
    case = load_case(case_file)
    shutil.copytree(case.study_path(), folder)
    for stale in folder.glob("*.spineplan.json"):
        stale.unlink()
    plant_identifiers_in_folder(folder)
    identified = replace(
        case, description=CASE_SECRETS[0], findings=(*case.findings, CASE_SECRETS[1])
    )
    return save_case(identified, folder / "Yamada_Taro.spineplan.json").source_path or folder
