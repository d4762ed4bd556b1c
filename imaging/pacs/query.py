"""Finding studies and their series on a PACS: C-FIND (study root) or QIDO-RS.

`find_studies` asks at STUDY level with the user's filters, then at SERIES level for each study
found, and returns frozen records; `StudyFound.to_json` gives the document of
``spineplan pacs find --json``::

    {"studies": [{"study_instance_uid", "patient_id", "patient_name", "study_date",
                  "study_description", "series": [{"series_instance_uid", "series_number",
                  "modality", "series_description", "images"}]}]}
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset

from imaging.pacs.errors import PacsCancelled, PacsError, pacs_error
from imaging.pacs.nodes import PacsNode

Cancelled = Callable[[], bool]

_STUDY_KEYS = ("StudyInstanceUID", "PatientID", "PatientName", "StudyDate", "StudyDescription")
_SERIES_KEYS = (
    "SeriesInstanceUID",
    "SeriesNumber",
    "Modality",
    "SeriesDescription",
    "NumberOfSeriesRelatedInstances",
)
_DATE = re.compile(r"^\d{8}$")


@dataclass(frozen=True)
class SeriesFound:
    """One series of a study on the PACS (``images``: None when the PACS does not say)."""

    series_instance_uid: str
    series_number: int | None
    modality: str
    series_description: str
    images: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "series_instance_uid": self.series_instance_uid,
            "series_number": self.series_number,
            "modality": self.modality,
            "series_description": self.series_description,
            "images": self.images,
        }


@dataclass(frozen=True)
class StudyFound:
    """One study on the PACS with its series (``study_date``: DICOM ``YYYYMMDD`` or empty)."""

    study_instance_uid: str
    patient_id: str
    patient_name: str
    study_date: str
    study_description: str
    series: tuple[SeriesFound, ...]

    @property
    def images(self) -> int | None:
        """Images of the whole study (None when a series' count is unknown)."""
        counts = [s.images for s in self.series]
        return None if any(c is None for c in counts) else sum(c or 0 for c in counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "study_instance_uid": self.study_instance_uid,
            "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "study_date": self.study_date,
            "study_description": self.study_description,
            "series": [series.to_json() for series in self.series],
        }


def _text(dataset: Dataset, keyword: str) -> str:
    value = dataset.get(keyword, "")
    return "" if value is None else str(value).strip()


def _integer(dataset: Dataset, keyword: str) -> int | None:
    text = _text(dataset, keyword)
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def _series_from(dataset: Dataset) -> SeriesFound:
    return SeriesFound(
        series_instance_uid=_text(dataset, "SeriesInstanceUID"),
        series_number=_integer(dataset, "SeriesNumber"),
        modality=_text(dataset, "Modality"),
        series_description=_text(dataset, "SeriesDescription"),
        images=_integer(dataset, "NumberOfSeriesRelatedInstances"),
    )


def _study_from(dataset: Dataset, series: Iterable[SeriesFound]) -> StudyFound:
    ordered = sorted(
        series, key=lambda s: (s.series_number is None, s.series_number or 0, s.series_instance_uid)
    )
    return StudyFound(
        study_instance_uid=_text(dataset, "StudyInstanceUID"),
        patient_id=_text(dataset, "PatientID"),
        patient_name=_text(dataset, "PatientName"),
        study_date=_text(dataset, "StudyDate"),
        study_description=_text(dataset, "StudyDescription"),
        series=tuple(ordered),
    )


def date_range(date_from: str, date_to: str) -> str:
    """The DICOM date-range matching key (``YYYYMMDD-YYYYMMDD``, either end open)."""
    for label, value in (("date from", date_from), ("date to", date_to)):
        if value and not _DATE.match(value):
            raise PacsError(f"PACS query: {label} {value!r} is not a date YYYYMMDD")
    if date_from and date_to and date_from > date_to:
        raise PacsError(f"PACS query: date from {date_from} is after date to {date_to}")
    if not (date_from or date_to):
        return ""
    if date_from == date_to:
        return date_from
    return f"{date_from}-{date_to}"


@dataclass(frozen=True)
class StudyFilters:
    """What a search matches on (empty: any); ``patient_name`` may use ``*`` and ``?``."""

    patient_id: str = ""
    patient_name: str = ""
    study_uid: str = ""
    modality: str = ""
    study_date: str = ""


def _check_cancel(node: PacsNode, cancelled: Cancelled | None) -> None:
    if cancelled is not None and cancelled():
        raise pacs_error(node, "search cancelled", PacsCancelled)


def _dimse_find(
    node: PacsNode, filters: StudyFilters, cancelled: Cancelled | None
) -> list[StudyFound]:
    from pynetdicom import build_context
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelFind as StudyRootFind,
    )

    from imaging.pacs.dimse import association, no_response

    def matches(assoc: Any, query: Dataset, what: str) -> list[Dataset]:
        found: list[Dataset] = []
        last = time.monotonic()
        for status, identifier in assoc.send_c_find(query, StudyRootFind):
            _check_cancel(node, cancelled)
            code = getattr(status, "Status", None)
            if code is None:
                raise no_response(node, assoc, what, time.monotonic() - last)
            last = time.monotonic()
            if code in (0xFF00, 0xFF01):
                if identifier is not None:
                    found.append(identifier)
            elif code != 0x0000:
                raise pacs_error(node, f"{what} failed: status 0x{code:04X}")
        return found

    study_query = Dataset()
    study_query.QueryRetrieveLevel = "STUDY"
    for keyword in _STUDY_KEYS:
        setattr(study_query, keyword, "")
    study_query.StudyInstanceUID = filters.study_uid
    study_query.PatientID = filters.patient_id
    study_query.PatientName = filters.patient_name
    study_query.StudyDate = filters.study_date
    study_query.ModalitiesInStudy = filters.modality
    studies: list[StudyFound] = []
    with association(node, [build_context(StudyRootFind)]) as assoc:
        for study in matches(assoc, study_query, "C-FIND (studies)"):
            series_query = Dataset()
            series_query.QueryRetrieveLevel = "SERIES"
            series_query.StudyInstanceUID = _text(study, "StudyInstanceUID")
            for keyword in _SERIES_KEYS:
                setattr(series_query, keyword, "")
            series = matches(assoc, series_query, "C-FIND (series)")
            studies.append(_study_from(study, (_series_from(s) for s in series)))
    return studies


def _web_find(
    node: PacsNode, filters: StudyFilters, cancelled: Cancelled | None
) -> list[StudyFound]:
    from imaging.pacs.web import qido_value, web_call, web_client

    client = web_client(node)
    search = {
        key: value
        for key, value in (
            ("StudyInstanceUID", filters.study_uid),
            ("PatientID", filters.patient_id),
            ("PatientName", qido_value(filters.patient_name)),
            ("StudyDate", filters.study_date),
            ("ModalitiesInStudy", filters.modality),
        )
        if value
    }
    found = web_call(
        node,
        "QIDO-RS (studies)",
        # one request: with get_remaining, dicomweb-client pages until an empty page, and
        # Orthanc 1.10 (DICOMweb 1.7) ignores offset when ModalitiesInStudy is a filter: the
        # paging never ended
        lambda: client.search_for_studies(fields=list(_STUDY_KEYS), search_filters=search),
    )
    studies: list[StudyFound] = []
    for entry in found:
        _check_cancel(node, cancelled)
        study = Dataset.from_json(entry)
        uid = _text(study, "StudyInstanceUID")
        series = web_call(
            node,
            "QIDO-RS (series)",
            lambda uid=uid: client.search_for_series(  # type: ignore[misc]
                study_instance_uid=uid, fields=list(_SERIES_KEYS)
            ),
        )
        studies.append(_study_from(study, (_series_from(Dataset.from_json(s)) for s in series)))
    return studies


def find_studies(
    node: PacsNode,
    *,
    patient_id: str = "",
    patient_name: str = "",
    study_uid: str = "",
    modality: str = "",
    date_from: str = "",
    date_to: str = "",
    cancelled: Cancelled | None = None,
) -> list[StudyFound]:
    """The studies on ``node`` matching every filter given, each with all its series.

    Parameters
    ----------
    patient_name : str
        DICOM person name, ``*`` and ``?`` as wildcards (``DOE^*``).
    modality : str
        A modality the study must contain (matched on ModalitiesInStudy), e.g. ``MR``.
    date_from, date_to : str
        Study date range ``YYYYMMDD``, inclusive; either may be empty (open).
    cancelled : callable, optional
        Polled between answers; when it returns True, `PacsCancelled` is raised.

    Raises
    ------
    PacsError
        Naming the node and what failed.
    """
    filters = StudyFilters(
        patient_id=patient_id.strip(),
        patient_name=patient_name.strip(),
        study_uid=study_uid.strip(),
        modality=modality.strip().upper(),
        study_date=date_range(date_from.strip(), date_to.strip()),
    )
    finder = _web_find if node.kind == "dicomweb" else _dimse_find
    studies = finder(node, filters, cancelled)
    return sorted(studies, key=lambda s: (s.study_date, s.patient_id, s.study_instance_uid))


def studies_json(studies: Sequence[StudyFound]) -> dict[str, Any]:
    """The ``spineplan pacs find --json`` document."""
    return {"studies": [study.to_json() for study in studies]}


def list_instances(
    node: PacsNode, study_uid: str, series_uid: str = "", *, cancelled: Cancelled | None = None
) -> list[str]:
    """SOP Instance UIDs of a study (or one series) on ``node``: C-FIND at IMAGE level per
    series (study root, hierarchical), or QIDO-RS."""
    if node.kind == "dicomweb":
        from imaging.pacs.web import web_call, web_client

        client = web_client(node)
        listed = web_call(
            node,
            "QIDO-RS (instances)",
            lambda: client.search_for_instances(
                study_instance_uid=study_uid,
                series_instance_uid=series_uid or None,
                fields=["SOPInstanceUID"],
            ),
        )
        return sorted(_text(Dataset.from_json(entry), "SOPInstanceUID") for entry in listed)
    return _dimse_instances(node, study_uid, series_uid, cancelled)


def _dimse_instances(
    node: PacsNode, study_uid: str, series_uid: str, cancelled: Cancelled | None
) -> list[str]:
    from pynetdicom import build_context
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelFind as StudyRootFind,
    )

    from imaging.pacs.dimse import association, check_alive

    def identifiers(assoc: Any, query: Dataset, what: str) -> list[Dataset]:
        found: list[Dataset] = []
        for status, identifier in assoc.send_c_find(query, StudyRootFind):
            _check_cancel(node, cancelled)
            check_alive(node, assoc, what)
            code = getattr(status, "Status", None)
            if code in (0xFF00, 0xFF01) and identifier is not None:
                found.append(identifier)
            elif code != 0x0000:
                shown = "no answer" if code is None else f"status 0x{code:04X}"
                raise pacs_error(node, f"{what} failed: {shown}")
        return found

    uids: list[str] = []
    with association(node, [build_context(StudyRootFind)]) as assoc:
        series_uids = [series_uid]
        if not series_uid:
            query = Dataset()
            query.QueryRetrieveLevel = "SERIES"
            query.StudyInstanceUID = study_uid
            query.SeriesInstanceUID = ""
            series_uids = [
                _text(found, "SeriesInstanceUID")
                for found in identifiers(assoc, query, "C-FIND (series)")
            ]
        for uid in series_uids:
            query = Dataset()
            query.QueryRetrieveLevel = "IMAGE"
            query.StudyInstanceUID = study_uid
            query.SeriesInstanceUID = uid
            query.SOPInstanceUID = ""
            uids.extend(
                _text(found, "SOPInstanceUID")
                for found in identifiers(assoc, query, "C-FIND (images)")
            )
    return sorted(uids)
