"""PACS over DICOMweb against a real Orthanc (its DICOMweb plugin): QIDO-RS, WADO-RS, STOW-RS."""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.pacs.echo import echo
from imaging.pacs.errors import PacsCancelled, PacsError, PacsUnreachable
from imaging.pacs.nodes import PacsNode
from imaging.pacs.query import find_studies, list_instances
from imaging.pacs.retrieve import retrieve
from imaging.pacs.send import send
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer, free_port


@pytest.fixture(scope="module")
def stored(orthanc: OrthancServer) -> OrthancServer:
    """Sample case 2 stored through STOW-RS."""
    outcomes = send(orthanc.dicomweb_node(), [SAMPLE_CASE])
    assert [o.message for o in outcomes] == ["stored"] * 42
    return orthanc


def test_stow_stores_every_image(stored: OrthancServer) -> None:
    assert stored.instance_uids() == sop_instance_uids(SAMPLE_CASE)


def test_echo(orthanc: OrthancServer) -> None:
    assert 0 < echo(orthanc.dicomweb_node()) < 10


def test_qido_finds_the_study_and_its_series(stored: OrthancServer) -> None:
    node = stored.dicomweb_node()
    studies = find_studies(node, patient_name="SPINEPLAN^*", modality="MR")
    assert [s.study_instance_uid for s in studies] == [sample_study_uid()]
    assert [(s.series_number, s.modality, s.images) for s in studies[0].series] == [
        (2, "MR", 11),
        (5, "MR", 11),
        (6, "MR", 20),
    ]
    assert studies == find_studies(stored.dimse_node(), patient_name="SPINEPLAN^*")
    assert find_studies(node, modality="CT") == []
    assert find_studies(node, date_from="20240418") == []
    assert len(find_studies(node, date_from="20240417", date_to="20240417")) == 1


def test_wado_retrieves_a_series(stored: OrthancServer, tmp_path: Path) -> None:
    node = stored.dicomweb_node()
    series = find_studies(node)[0].series[2]
    calls: list[tuple[int, int | None]] = []
    result = retrieve(
        node,
        sample_study_uid(),
        tmp_path / "ax",
        series_uid=series.series_instance_uid,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.images == 20
    assert sop_instance_uids(result.folder) == set(
        list_instances(node, sample_study_uid(), series.series_instance_uid)
    )
    assert calls[0] == (0, None) and calls[-1] == (20, 20) and len(calls) == 21


def test_wado_cancel_leaves_nothing(stored: OrthancServer, tmp_path: Path) -> None:
    seen: list[int] = []
    with pytest.raises(PacsCancelled, match="WADO-RS cancelled"):
        retrieve(
            stored.dicomweb_node(),
            sample_study_uid(),
            tmp_path / "study",
            progress=lambda done, total: seen.append(done),
            cancelled=lambda: len(seen) > 5,
        )
    assert list(tmp_path.iterdir()) == []


def test_a_dead_url_is_unreachable(tmp_path: Path) -> None:
    node = PacsNode(name="web", url=f"http://127.0.0.1:{free_port()}/dicom-web")
    with pytest.raises(PacsUnreachable, match=r"^PACS 'web' \(http://127\.0\.0\.1:\d+/dicom-web\)"):
        find_studies(node)
    with pytest.raises(PacsUnreachable):
        send(node, [sorted(SAMPLE_CASE.rglob("*.dcm"))[0]])
    with pytest.raises(PacsError, match="cannot connect"):
        retrieve(node, sample_study_uid(), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_path_is_an_http_error(orthanc: OrthancServer) -> None:
    node = PacsNode(name="web", url=f"{orthanc.http_url}/no-dicom-web-here")
    with pytest.raises(PacsError, match=r"QIDO-RS \(studies\) failed: HTTP 404"):
        find_studies(node)
