"""The parts of the DICOM PS3.15 Basic Application Level Confidentiality Profile that dicognito
leaves, applied around it by :mod:`imaging.deidentify`.

dicognito does what it does well: every instance UID replaced consistently across the study,
every date and date-time shifted back by one offset (with the time of the same attribute pair),
every person name and the usual IDs replaced by consistent dummies. This module adds the rest:

* **before dicognito** (:func:`prepare`): private tags removed (the safe-private list
  :data:`SAFE_PRIVATE_TAGS` is empty), standard elements unknown to the data dictionary, group
  lengths, overlay planes (groups 60xx) and data set trailing padding removed; a time that has
  no date beside it is shifted by the same hours (dicognito shifts only times paired with a
  date); a date or time that cannot be parsed (so cannot be shifted) is emptied;
* **after dicognito** (:func:`apply_profile`): the action of PS3.15 Table E.1-1 (lists from the
  ``dicom-anonymizer`` package, :data:`TABLE_VERSION`) for every attribute present, at every depth
  of nested sequences. X removes; Z, X/Z and X/Z/D empty (dicognito's dummy kept for a person
  name, a UID and Patient ID, Accession Number, Study ID); D replaces with a dummy of the VR;
  X/D removes; U and X/Z/U* keep dicognito's consistently replaced UIDs. Dates and times stay
  shifted (Retain Longitudinal Temporal Information with Modified Dates Option), except the
  patient's birth date and time, which are emptied;
* **descriptors**: Series Description is kept cleaned (Clean Descriptors Option, only for it):
  only the words of :data:`SERIES_DESCRIPTION_WORDS` and spine-level ranges survive, else it
  becomes modality and plane ("MR SAG"). Every other descriptor (Study Description, Image
  Comments, Protocol Name, ...) is removed or emptied as the basic profile says;
* **burned-in text** (:func:`burned_in_reason`): an image with Burned In Annotation YES, or a
  secondary capture not marked NO, is refused unless the caller accepts it; the pixels are never
  cleaned;
* **the record** (:func:`mark_method`): Patient Identity Removed YES, Longitudinal Temporal
  Information Modified MODIFIED, De-identification Method (text) and its code sequence with the
  CID 7050 codes of the profile and the options used.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from dicomanonymizer.dicom_anonymization_databases import dicomfields_2026c as _table
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import BaseTag
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    MultiFrameSingleBitSecondaryCaptureImageStorage,
    MultiFrameTrueColorSecondaryCaptureImageStorage,
    SecondaryCaptureImageStorage,
)

#: The edition of PS3.15 Table E.1-1 the actions come from (dicom-anonymizer's database).
TABLE_VERSION = "PS3.15 2026c Table E.1-1"

#: Private tags kept (Retain Safe Private Option), as (private creator, tag): none, every
#: private tag is removed, private creators included.
SAFE_PRIVATE_TAGS: frozenset[tuple[str, int]] = frozenset()

#: Words a cleaned Series Description may keep (compared in upper case), besides spine levels.
_WORDS = """
    T1 T2 T2* PD STIR TIRM FLAIR DIXON SE TSE FSE SSFSE GRE FFE SPGR MPRAGE VIBE SPACE CUBE
    HASTE FIESTA TRUFI BFFE DWI ADC DTI SWI MRA TOF FS FATSAT SPIR SPAIR WATER FAT IN OUT OPP
    SAG SAGITTAL AX AXIAL TRA TRANSVERSE COR CORONAL OBL 2D 3D +C C+ POST PRE GD GAD CONTRAST
    KM CE MPR MPR+ MIP LOCALIZER LOCALISER SCOUT SURVEY CT MR PLANNING SPINE WHOLE CERVICAL
    THORACIC LUMBAR SACRAL CORD HIGH RES HR THIN
"""
SERIES_DESCRIPTION_WORDS = frozenset(_WORDS.split())
_SPINE_LEVELS = re.compile(r"[CTLS]\d{0,2}(-[CTLS]?\d{0,2})?")
_SPLIT = re.compile(r"[\s_/,;]+")

#: CID 7050 codes recorded in De-identification Method Code Sequence.
BASIC_PROFILE_CODE = ("113100", "Basic Application Confidentiality Profile")
CLEAN_DESCRIPTORS_CODE = ("113105", "Clean Descriptors Option")
MODIFIED_DATES_CODE = ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")

#: De-identification Method (0012,0063), one value of at most 64 characters each.
METHOD_TEXT = (
    "DICOM PS3.15 Basic Application Confidentiality Profile",
    "Retain Longitudinal Temporal Info. Modified Dates Option",
    "Clean Descriptors Option: only Series Description, cleaned",
    "Other descriptors removed; all private tags removed",
    "spineplan with dicognito; actions of PS3.15 Table E.1-1",
)
BURNED_IN_ACCEPTED_TEXT = "Burned In Annotation kept: the user accepted it"

#: Z or D attributes whose consistent dummy from dicognito is kept rather than emptied.
DUMMIES_KEPT = frozenset({"PatientID", "AccessionNumber", "StudyID"})
#: Emptied although dates elsewhere are kept shifted.
EMPTIED_DATES = frozenset({"PatientBirthDate", "PatientBirthTime"})
#: Secondary capture storage classes: screenshots, which usually carry burned-in text.
SECONDARY_CAPTURE_CLASSES = frozenset(
    {
        SecondaryCaptureImageStorage,
        MultiFrameSingleBitSecondaryCaptureImageStorage,
        MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
        MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
        MultiFrameTrueColorSecondaryCaptureImageStorage,
    }
)
#: File meta elements kept; the others (source and sending AE titles, private information) go.
_FILE_META_KEPT = (0x00020000, 0x00020001, 0x00020002, 0x00020003, 0x00020010)

_TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "SH", "ST", "UC", "UT", "UR", "AS"})
_NUMBER_TEXT_VRS = frozenset({"IS", "DS"})
_DATE_VRS = frozenset({"DA", "DT", "TM"})
_TIME = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")
_DATE = re.compile(r"\d{8}")
_DATETIME = re.compile(r"\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?)?)?([+-]\d{4})?")


def _build_table() -> tuple[dict[int, str], tuple[tuple[int, int, int, int, str], ...]]:
    """Tag -> action ("X", "Z", "D", "U") after the choices this module makes for the
    conditional actions, and the masked entries (repeating groups) separately."""
    choice = {
        "X_TAGS": "X",
        "Z_TAGS": "Z",
        "D_TAGS": "D",
        "U_TAGS": "U",
        "Z_D_TAGS": "Z",
        "X_Z_TAGS": "Z",
        "X_D_TAGS": "X",
        "X_Z_D_TAGS": "Z",
        "X_Z_U_STAR_TAGS": "U",
    }
    exact: dict[int, str] = {}
    masked: list[tuple[int, int, int, int, str]] = []
    for name, action in choice.items():
        for entry in getattr(_table, name):
            if len(entry) == 2:
                exact.setdefault((entry[0] << 16) | entry[1], action)
            else:
                group, element, group_mask, element_mask = entry
                masked.append((group, element, group_mask, element_mask, action))
    return exact, tuple(masked)


_EXACT_ACTIONS, _MASKED_ACTIONS = _build_table()


def table_action(tag: BaseTag) -> str | None:
    """The action this module applies for ``tag`` (None: not in Table E.1-1, kept)."""
    action = _EXACT_ACTIONS.get(int(tag))
    if action is not None:
        return action
    for group, element, group_mask, element_mask, masked_action in _MASKED_ACTIONS:
        if tag.group & group_mask == group and tag.element & element_mask == element:
            return masked_action
    return None


def _values(element: DataElement) -> list[str]:
    value = element.value
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _parsable(element: DataElement) -> bool:
    values = _values(element)
    if element.VR == "DA":
        return all(_DATE.fullmatch(v.replace(".", "").strip()) for v in values)
    if element.VR == "TM":
        return all(_TIME.fullmatch(v.replace(":", "").strip()) for v in values)
    return all(_DATETIME.fullmatch(v.strip()) for v in values)


def _shift_time(value: str, hours: int) -> str:
    clean = value.replace(":", "").strip()
    return f"{(int(clean[:2]) + hours) % 24:02d}{clean[2:]}"


def _strip_before(ds: Dataset, time_shift_hours: int, removed: Counter[str]) -> None:
    paired_times = {
        e.keyword.replace("Date", "Time") for e in ds if e.VR == "DA" and e.keyword and e.value
    }
    for element in list(ds):
        tag = element.tag
        if tag.is_private:  # SAFE_PRIVATE_TAGS is empty: no private tag is kept
            del ds[tag]
            removed["removed private tags"] += 1
        elif (
            tag.element == 0x0000
            or tag == 0xFFFCFFFC
            or (tag.group & 0xFF01) == 0x6000
            or not element.keyword
        ):
            del ds[tag]
            removed["removed unknown, group length, overlay or padding elements"] += 1
        elif element.VR in _DATE_VRS and element.value:
            if not _parsable(element):
                element.value = element.empty_value
            elif element.VR == "TM" and element.keyword not in paired_times:
                element.value = [_shift_time(v, time_shift_hours) for v in _values(element)]
        elif element.VR == "SQ":
            for item in element.value:
                _strip_before(item, time_shift_hours, removed)


def prepare(ds: Dataset, time_shift_hours: int, removed: Counter[str]) -> None:
    """What must happen before dicognito runs (it would otherwise fail on, or keep, these).

    Parameters
    ----------
    time_shift_hours : int
        The shift, in hours, dicognito applies to dates and times; a time without a date is
        shifted by it here.
    removed : Counter
        Counts of what was removed, by kind, added to.
    """
    _strip_before(ds, time_shift_hours, removed)
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        for element in list(meta):
            if int(element.tag) not in _FILE_META_KEPT:
                del meta[element.tag]
    if getattr(ds, "preamble", None) is not None:
        ds.preamble = b"\x00" * 128  # the preamble may hold anything (e.g. a TIFF header)


def _dummy(element: DataElement) -> object:
    if element.VR in _TEXT_VRS:
        return "ANONYMIZED"
    if element.VR in _NUMBER_TEXT_VRS:
        return "0"
    if element.VR in ("US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "AT"):
        return 0
    return element.empty_value


def _apply(ds: Dataset, top_level: bool, counts: Counter[str]) -> None:
    nested = "" if top_level else " (inside a sequence)"
    for element in list(ds):
        keyword = element.keyword
        if top_level and keyword == "SeriesDescription":
            continue  # cleaned by clean_series_description
        action = table_action(element.tag)
        if element.VR in _DATE_VRS:
            if keyword in EMPTIED_DATES and element.value:
                element.value = element.empty_value
                counts[f"emptied {keyword}{nested}"] += 1
            continue  # shifted, kept under the Modified Dates option
        if action == "X":
            del ds[element.tag]
            counts[f"removed {keyword}{nested}"] += 1
        elif action == "Z":
            if element.VR == "SQ":
                if element.value:
                    element.value = DicomSequence([])
                    counts[f"emptied {keyword}{nested}"] += 1
            elif element.VR not in ("PN", "UI") and keyword not in DUMMIES_KEPT and element.value:
                element.value = element.empty_value
                counts[f"emptied {keyword}{nested}"] += 1
        elif (
            action == "D"
            and element.VR not in ("PN", "UI", "SQ")
            and keyword not in DUMMIES_KEPT
            and element.value
        ):
            element.value = _dummy(element)
            counts[f"replaced {keyword}{nested}"] += 1
        if keyword in ds and element.VR == "SQ":
            for item in element.value:
                _apply(item, False, counts)


def apply_profile(ds: Dataset) -> Counter[str]:
    """Table E.1-1's actions on every attribute dicognito left, at every depth, and the
    cleaned Series Description (after dicognito has run on ``ds``).

    Returns
    -------
    Counter
        What was done, e.g. ``{"removed ImageComments": 1, "emptied StationName": 1}``.
    """
    counts: Counter[str] = Counter()
    _apply(ds, True, counts)
    if "SeriesDescription" in ds:
        before = str(ds.SeriesDescription or "")
        clean_series_description(ds)
        if ds.SeriesDescription != before:
            counts["cleaned SeriesDescription"] += 1
    return counts


def _plane(ds: Dataset) -> str:
    cosines = ds.get("ImageOrientationPatient")
    if not cosines or len(cosines) != 6:
        return ""
    row, column = [float(v) for v in cosines[:3]], [float(v) for v in cosines[3:]]
    normal = [
        row[1] * column[2] - row[2] * column[1],
        row[2] * column[0] - row[0] * column[2],
        row[0] * column[1] - row[1] * column[0],
    ]
    axis = max(range(3), key=lambda i: abs(normal[i]))
    return ("SAG", "COR", "AX")[axis]


def cleaned_description(description: str, ds: Dataset) -> str:
    """``description`` with only known technical words (sequence, plane, contrast, region,
    spine levels); modality and plane when no word survives.

    >>> cleaned_description("T1 SE SAG +C Yamada", Dataset())
    'T1 SE SAG +C'
    """
    words = [w for w in _SPLIT.split(description.upper()) if w]
    kept = [w for w in words if w in SERIES_DESCRIPTION_WORDS or _SPINE_LEVELS.fullmatch(w)]
    if kept:
        return " ".join(kept)
    return " ".join(part for part in (str(ds.get("Modality", "")), _plane(ds)) if part)


def clean_series_description(ds: Dataset) -> None:
    """Series Description under the Clean Descriptors Option (see the module's text)."""
    if "SeriesDescription" in ds:
        ds.SeriesDescription = cleaned_description(str(ds.SeriesDescription or ""), ds)


def burned_in_reason(ds: Dataset) -> str | None:
    """Why ``ds`` may carry text burned into its pixels, or None."""
    flag = str(ds.get("BurnedInAnnotation", "")).strip().upper()
    if flag == "YES":
        return "Burned In Annotation is YES"
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class in SECONDARY_CAPTURE_CLASSES and flag != "NO":
        return "it is a secondary capture (a screenshot) not marked Burned In Annotation NO"
    return None


def _code(value: str, meaning: str) -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
    return code


def mark_method(ds: Dataset, *, burned_in_accepted: bool = False) -> None:
    """Record what was done: Patient Identity Removed, the method text and its CID 7050 codes."""
    ds.PatientIdentityRemoved = "YES"
    ds.LongitudinalTemporalInformationModified = "MODIFIED"
    text = list(METHOD_TEXT)
    if burned_in_accepted:
        text.append(BURNED_IN_ACCEPTED_TEXT)
    ds.DeidentificationMethod = text
    ds.DeidentificationMethodCodeSequence = DicomSequence(
        [_code(*c) for c in (BASIC_PROFILE_CODE, CLEAN_DESCRIPTORS_CODE, MODIFIED_DATES_CODE)]
    )
    meta = getattr(ds, "file_meta", None)
    if isinstance(meta, FileMetaDataset):
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID


def method_codes(ds: Dataset) -> Iterable[str]:
    """The code values of ``ds``'s De-identification Method Code Sequence."""
    return [str(item.CodeValue) for item in ds.get("DeidentificationMethodCodeSequence", [])]
