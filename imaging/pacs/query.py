"""Finding studies and their series on a PACS: C-FIND (study root) or QIDO-RS.

`search_studies` asks at STUDY level with the user's filters, then at SERIES level for each study
found, and returns frozen records; `StudyFound.to_json` gives the document of
``spineplan pacs find --json``. A search lists at most ``max_studies`` studies (`MAX_STUDIES`):
QIDO-RS asks for them a page at a time (``limit``/``offset``) and stops asking there; C-FIND
stops reading there and sends C-CANCEL. The result says when it was cut
(`StudySearch.cut_message`), so the user knows to narrow the search. `find_studies` is the same
search as a plain list::

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

#: The most studies one search lists: more would not be read by anyone, and a PACS answering
#: "every study" would take minutes.
MAX_STUDIES = 500

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


@dataclass(frozen=True)
class StudySearch:
    """The studies a search found (at most ``max_studies``) and whether the PACS had more."""

    studies: tuple[StudyFound, ...]
    #: True when the PACS had more matching studies than ``max_studies`` (they are left out).
    cut: bool
    max_studies: int

    @property
    def cut_message(self) -> str:
        """One line saying the list is cut and how to narrow it ("" when it is whole)."""
        if not self.cut:
            return ""
        return (
            f"only the first {self.max_studies} matching studies are listed (the PACS has more): "
            "narrow the search by patient ID, name, study dates or modality"
        )


def _check_cancel(node: PacsNode, cancelled: Cancelled | None) -> None:
    if cancelled is not None and cancelled():
        raise pacs_error(node, "search cancelled", PacsCancelled)


def _dimse_find(
    node: PacsNode, filters: StudyFilters, cancelled: Cancelled | None, most: int
) -> tuple[list[StudyFound], bool]:
    from pynetdicom import build_context
    from pynetdicom.sop_class import (  # type: ignore[attr-defined]
        StudyRootQueryRetrieveInformationModelFind as StudyRootFind,
    )

    from imaging.pacs.dimse import association, no_response

    message_ids = iter(range(1, 65536))

    stopped_by_pacs: list[bool] = []

    def matches(assoc: Any, query: Dataset, what: str, most: int = 0) -> list[Dataset]:
        """The PACS's matches; with ``most``, C-CANCEL once one more than that has come (the
        responses already on their way are read and dropped: the association stays in step).
        A PACS that ends the list itself with 0xFE00 (Orthanc past its LimitFindResults) has
        cut it: noted in ``stopped_by_pacs``."""
        found: list[Dataset] = []
        last = time.monotonic()
        message_id = next(message_ids)
        cancel_sent = False
        for status, identifier in assoc.send_c_find(query, StudyRootFind, msg_id=message_id):
            _check_cancel(node, cancelled)
            code = getattr(status, "Status", None)
            if code is None:
                raise no_response(node, assoc, what, time.monotonic() - last)
            last = time.monotonic()
            if code in (0xFF00, 0xFF01):
                if identifier is not None and not cancel_sent:
                    found.append(identifier)
                if most and len(found) > most and not cancel_sent:
                    assoc.send_c_cancel(message_id, query_model=StudyRootFind)
                    cancel_sent = True
            elif code == 0xFE00 and not cancel_sent:
                stopped_by_pacs.append(True)
            elif code not in (0x0000, 0xFE00):
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
        found = matches(assoc, study_query, "C-FIND (studies)", most)
        for study in found[:most]:
            series_query = Dataset()
            series_query.QueryRetrieveLevel = "SERIES"
            series_query.StudyInstanceUID = _text(study, "StudyInstanceUID")
            for keyword in _SERIES_KEYS:
                setattr(series_query, keyword, "")
            series = matches(assoc, series_query, "C-FIND (series)")
            studies.append(_study_from(study, (_series_from(s) for s in series)))
    return studies, len(found) > most or bool(stopped_by_pacs)


def _uid_of(keyword: str) -> Callable[[dict[str, Any]], str]:
    """The UID ``keyword`` of a DICOM JSON answer (how QIDO-RS pages tell answers apart)."""
    from pydicom.datadict import tag_for_keyword

    tag = f"{tag_for_keyword(keyword):08X}"
    return lambda entry: str((entry.get(tag, {}).get("Value") or [""])[0])


def _web_find(
    node: PacsNode, filters: StudyFilters, cancelled: Cancelled | None, most: int, page_size: int
) -> tuple[list[StudyFound], bool]:
    from imaging.pacs.web import qido_pages, qido_value, web_client

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
    # paged here, not by dicomweb-client's get_remaining: it pages until an empty page, and
    # Orthanc 1.10 (DICOMweb 1.7) ignores offset when ModalitiesInStudy is a filter, so its
    # paging never ended; `qido_pages` stops at a page that brings nothing new
    pages = qido_pages(
        node,
        "QIDO-RS (studies)",
        lambda offset, limit: client.search_for_studies(
            fields=list(_STUDY_KEYS), search_filters=search, offset=offset, limit=limit
        ),
        key=_uid_of("StudyInstanceUID"),
        page_size=page_size,
    )
    found: list[dict[str, Any]] = []
    for entry in pages:
        _check_cancel(node, cancelled)
        found.append(entry)
        if len(found) > most:
            break  # one more than the most shows the list is cut; no further page is asked
    studies: list[StudyFound] = []
    for entry in found[:most]:
        _check_cancel(node, cancelled)
        study = Dataset.from_json(entry)
        uid = _text(study, "StudyInstanceUID")
        series = qido_pages(
            node,
            "QIDO-RS (series)",
            lambda offset, limit, uid=uid: client.search_for_series(  # type: ignore[misc]
                study_instance_uid=uid, fields=list(_SERIES_KEYS), offset=offset, limit=limit
            ),
            key=_uid_of("SeriesInstanceUID"),
            page_size=page_size,
        )
        studies.append(_study_from(study, (_series_from(Dataset.from_json(s)) for s in series)))
    return studies, len(found) > most


def search_studies(
    node: PacsNode,
    *,
    patient_id: str = "",
    patient_name: str = "",
    study_uid: str = "",
    modality: str = "",
    date_from: str = "",
    date_to: str = "",
    cancelled: Cancelled | None = None,
    max_studies: int | None = None,
    page_size: int | None = None,
) -> StudySearch:
    """The studies on ``node`` matching every filter given, each with all its series, at most
    ``max_studies`` of them (`StudySearch.cut` says when the PACS had more).

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
    max_studies : int, optional
        The most studies listed (C-FIND is cancelled, QIDO-RS paging stops, past it); default
        `MAX_STUDIES`.
    page_size : int, optional
        Answers asked for in one QIDO-RS request (default `imaging.pacs.web.QIDO_PAGE_SIZE`).

    Raises
    ------
    PacsError
        Naming the node and what failed.
    """
    if max_studies is None:
        max_studies = MAX_STUDIES
    if max_studies < 1:
        raise PacsError(
            f"PACS query: the most studies listed must be at least 1, not {max_studies}"
        )
    filters = StudyFilters(
        patient_id=patient_id.strip(),
        patient_name=patient_name.strip(),
        study_uid=study_uid.strip(),
        modality=modality.strip().upper(),
        study_date=date_range(date_from.strip(), date_to.strip()),
    )
    if node.kind == "dicomweb":
        from imaging.pacs.web import QIDO_PAGE_SIZE

        studies, cut = _web_find(node, filters, cancelled, max_studies, page_size or QIDO_PAGE_SIZE)
    else:
        studies, cut = _dimse_find(node, filters, cancelled, max_studies)
    ordered = sorted(studies, key=lambda s: (s.study_date, s.patient_id, s.study_instance_uid))
    return StudySearch(studies=tuple(ordered), cut=cut, max_studies=max_studies)


def find_studies(node: PacsNode, **search: Any) -> list[StudyFound]:
    """`search_studies` as a plain list of the studies found (at most ``max_studies``)."""
    return list(search_studies(node, **search).studies)


def studies_json(studies: Sequence[StudyFound], *, cut: bool = False) -> dict[str, Any]:
    """The ``spineplan pacs find --json`` document (``cut``: the PACS had more studies)."""
    return {"studies": [study.to_json() for study in studies], "cut": cut}


def list_instances(
    node: PacsNode, study_uid: str, series_uid: str = "", *, cancelled: Cancelled | None = None
) -> list[str]:
    """SOP Instance UIDs of a study (or one series) on ``node``: C-FIND at IMAGE level per
    series (study root, hierarchical), or QIDO-RS."""
    if node.kind == "dicomweb":
        from imaging.pacs.web import qido_pages, web_client

        client = web_client(node)
        listed = qido_pages(
            node,
            "QIDO-RS (instances)",
            lambda offset, limit: client.search_for_instances(
                study_instance_uid=study_uid,
                series_instance_uid=series_uid or None,
                fields=["SOPInstanceUID"],
                offset=offset,
                limit=limit,
            ),
            key=_uid_of("SOPInstanceUID"),
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
