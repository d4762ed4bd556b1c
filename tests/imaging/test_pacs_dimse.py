"""PACS over DICOM networking against a real Orthanc: echo, send (C-STORE), find (C-FIND)."""

from __future__ import annotations

import socket
import time

import pytest

from imaging.pacs.echo import echo
from imaging.pacs.errors import PacsError
from imaging.pacs.query import find_studies, studies_json
from imaging.pacs.send import send
from tests.imaging.pacs_helpers import sample_files, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer, free_port


@pytest.fixture(scope="module")
def stored(orthanc: OrthancServer) -> OrthancServer:
    """The Orthanc holding sample case 2, stored by spineplan's own C-STORE."""
    outcomes = send(orthanc.dimse_node(), [sample_files()[0].parents[1]])
    assert [o for o in outcomes if not o.ok] == []
    assert len(outcomes) == len(sample_files()) == 42
    return orthanc


def test_echo_answers_with_a_round_trip_time(orthanc: OrthancServer) -> None:
    seconds = echo(orthanc.dimse_node())
    assert 0 < seconds < 10


def test_send_stores_every_image_of_the_study(stored: OrthancServer) -> None:
    assert stored.instance_uids() == sop_instance_uids(sample_files()[0].parents[1])


def test_find_lists_the_study_with_its_series(stored: OrthancServer) -> None:
    studies = find_studies(stored.dimse_node(), patient_id="*")
    assert [s.study_instance_uid for s in studies] == [sample_study_uid()]
    study = studies[0]
    assert [(s.modality, s.images) for s in study.series] == [("MR", n) for n in (11, 11, 20)]
    assert study.images == 42
    assert all(s.series_description for s in study.series)
    document = studies_json(studies)
    assert list(document) == ["studies", "cut"]
    assert list(document["studies"][0]) == [
        "study_instance_uid",
        "patient_id",
        "patient_name",
        "study_date",
        "study_description",
        "series",
    ]
    assert list(document["studies"][0]["series"][0]) == [
        "series_instance_uid",
        "series_number",
        "modality",
        "series_description",
        "images",
    ]


def test_find_filters_on_modality_uid_and_patient(stored: OrthancServer) -> None:
    node = stored.dimse_node()
    uid = sample_study_uid()
    assert [s.study_instance_uid for s in find_studies(node, modality="MR")] == [uid]
    assert find_studies(node, modality="CT") == []
    assert [s.study_instance_uid for s in find_studies(node, study_uid=uid)] == [uid]
    assert find_studies(node, patient_id="NOBODY") == []
    assert find_studies(node, date_from="19000101", date_to="19000102") == []


def test_wrong_called_ae_title_is_one_line_naming_the_node(orthanc: OrthancServer) -> None:
    node = orthanc.dimse_node(called_aet="NOT_ORTHANC")
    with pytest.raises(PacsError) as raised:
        echo(node)
    message = str(raised.value)
    assert message == (
        f"PACS 'orthanc' (127.0.0.1:{orthanc.dicom_port}, AE NOT_ORTHANC): association "
        "rejected (permanent): called AE title not recognised"
    )


def test_dead_port_is_one_line_naming_the_node() -> None:
    port = free_port()  # bound and closed: nothing listens there
    from imaging.pacs.nodes import PacsNode

    node = PacsNode(name="dead", host="127.0.0.1", port=port, called_aet="ORTHANC")
    start = time.monotonic()
    with pytest.raises(PacsError) as raised:
        find_studies(node)
    assert time.monotonic() - start < 10
    assert str(raised.value) == (
        f"PACS 'dead' (127.0.0.1:{port}, AE ORTHANC): cannot connect: Connection refused"
    )


def test_a_silent_server_times_out_within_the_connection_timeout() -> None:
    """A socket that accepts connections and never answers: the association request waits
    for the ACSE timeout, not for ever."""
    from imaging.pacs.nodes import PacsNode

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        node = PacsNode(name="silent", host="127.0.0.1", port=port, called_aet="ANY")
        start = time.monotonic()
        with pytest.raises(PacsError) as raised:
            echo(node, timeout_s=1)
        elapsed = time.monotonic() - start
    assert elapsed < 5
    assert str(raised.value).endswith("no answer to the association request within 1 s")
    assert str(raised.value).startswith(f"PACS 'silent' (127.0.0.1:{port}, AE ANY): ")


def test_a_server_that_hangs_up_is_named_not_guessed() -> None:
    """Something that accepts the connection and closes it without a word (not a PACS, or a
    PACS refusing the calling AE title by closing): asked twice, then said so."""
    import threading

    from imaging.pacs.nodes import PacsNode

    accepted: list[int] = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as rude:
        rude.bind(("127.0.0.1", 0))
        rude.listen(4)
        port = rude.getsockname()[1]

        def hang_up() -> None:
            for _ in range(2):
                connection, _ = rude.accept()
                accepted.append(1)
                connection.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        node = PacsNode(name="rude", host="127.0.0.1", port=port, called_aet="ANY")
        with pytest.raises(PacsError) as raised:
            echo(node, timeout_s=5)
        thread.join(timeout=5)
    assert len(accepted) == 2
    assert str(raised.value) == (
        f"PACS 'rude' (127.0.0.1:{port}, AE ANY): the PACS closed the connection without "
        "accepting the association (check the called AE title, and that the PACS knows the "
        "calling AE title SPINEPLAN)"
    )
