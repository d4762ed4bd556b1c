"""Long study lists against a real Orthanc (seven studies) and a real pynetdicom SCP (a
thousand): QIDO-RS asked a page at a time, the list cut at the most asked for and said so, and
C-FIND cancelled (C-CANCEL) past it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    StudyRootQueryRetrieveInformationModelFind as StudyRootFind,
)

from imaging.pacs.nodes import PacsNode
from imaging.pacs.query import search_studies
from imaging.pacs.send import send
from imaging.pacs.web import qido_pages, web_client
from tests.dicom_builders import uid, write_series
from tests.pacs_server import OrthancServer, free_port

STUDIES = 7


@pytest.fixture(scope="module")
def many(orthanc: OrthancServer, tmp_path_factory: pytest.TempPathFactory) -> OrthancServer:
    """Seven one-series studies, patient IDs PAGE-0 .. PAGE-6."""
    source = tmp_path_factory.mktemp("many")
    for n in range(STUDIES):
        write_series(
            source / f"study{n}",
            shape=(2, 8, 8),
            study_instance_uid=uid(f"paging-study-{n}"),
            PatientID=f"PAGE-{n}",
            StudyDate=f"2024010{n + 1}",
        )
    assert all(outcome.ok for outcome in send(orthanc.dimse_node(), [source]))
    return orthanc


def test_qido_asks_a_page_at_a_time(many: OrthancServer) -> None:
    node = many.dicomweb_node()
    client = web_client(node)
    asked: list[tuple[int, int]] = []

    def search(offset: int, limit: int) -> list[dict[str, Any]]:
        asked.append((offset, limit))
        return client.search_for_studies(
            search_filters={"PatientID": "PAGE-*"}, offset=offset, limit=limit
        )

    found = list(
        qido_pages(node, "QIDO-RS", search, key=lambda e: e["0020000D"]["Value"][0], page_size=2)
    )
    assert len(found) == STUDIES
    assert len({e["0020000D"]["Value"][0] for e in found}) == STUDIES
    assert asked == [(0, 2), (2, 2), (4, 2), (6, 2), (7, 2)]  # the last page is empty: the end


@pytest.mark.parametrize("kind", ["dicomweb", "dimse"])
def test_a_long_list_is_cut_and_says_so(many: OrthancServer, kind: str) -> None:
    node = many.dicomweb_node() if kind == "dicomweb" else many.dimse_node()
    cut = search_studies(node, patient_id="PAGE-*", max_studies=5, page_size=2)
    assert len(cut.studies) == 5 and cut.cut
    assert cut.cut_message == (
        "only the first 5 matching studies are listed (the PACS has more): narrow the search "
        "by patient ID, name, study dates or modality"
    )
    assert all(len(study.series) == 1 for study in cut.studies)  # asked after the cancel
    whole = search_studies(node, patient_id="PAGE-*", max_studies=STUDIES, page_size=2)
    assert len(whole.studies) == STUDIES and not whole.cut and whole.cut_message == ""
    assert {s.patient_id for s in whole.studies} == {f"PAGE-{n}" for n in range(STUDIES)}


def test_orthanc_ending_the_list_itself_counts_as_cut(tmp_path: Path, many: OrthancServer) -> None:
    # Orthanc past LimitFindResults ends a C-FIND with 0xFE00: spineplan says the list is cut
    capped = OrthancServer(tmp_path / "capped", limit_find_results=3).start()
    try:
        source = tmp_path / "source"
        for n in range(5):
            write_series(source / f"s{n}", shape=(1, 8, 8), study_instance_uid=uid(f"cap-{n}"))
        assert all(outcome.ok for outcome in send(capped.dimse_node(), [source]))
        search = search_studies(capped.dimse_node())
        assert len(search.studies) == 3 and search.cut
    finally:
        capped.stop()


class _ThousandStudies:
    """A pynetdicom Query/Retrieve SCP with a thousand matching studies, sent one by one; it
    notes when C-CANCEL arrives and stops there."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sent = 0
        self.cancelled = threading.Event()
        ae = AE(ae_title="MANY")
        ae.add_supported_context(StudyRootFind)
        self.server = ae.start_server(
            ("127.0.0.1", self.port), block=False, evt_handlers=[(evt.EVT_C_FIND, self.find)]
        )

    def find(self, event: Any) -> Iterator[tuple[int, Dataset | None]]:
        if event.identifier.QueryRetrieveLevel != "STUDY":
            yield 0x0000, None  # no series: only the study list matters here
            return
        for n in range(1000):
            if event.is_cancelled:
                self.cancelled.set()
                yield 0xFE00, None
                return
            match = Dataset()
            match.QueryRetrieveLevel = "STUDY"
            match.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.{n + 1}"
            match.PatientID = f"P{n:04d}"
            self.sent += 1
            yield 0xFF00, match
            time.sleep(0.002)  # a PACS reading its index: the C-CANCEL catches up
        yield 0x0000, None


def test_c_find_past_the_most_sends_c_cancel() -> None:
    scp = _ThousandStudies()
    try:
        node = PacsNode(name="many", host="127.0.0.1", port=scp.port, called_aet="MANY")
        search = search_studies(node, max_studies=10)
        assert len(search.studies) == 10 and search.cut
        assert scp.cancelled.is_set()
        assert scp.sent < 100  # it stopped soon after the 11th study, not after a thousand
    finally:
        scp.server.shutdown()
