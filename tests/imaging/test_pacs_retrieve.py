"""Retrieving from a real Orthanc: C-GET, C-MOVE, a series alone; cancel and a PACS that dies
half-way leave nothing behind."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from imaging.pacs.errors import PacsCancelled, PacsError
from imaging.pacs.query import find_studies, list_instances
from imaging.pacs.retrieve import retrieve
from imaging.pacs.send import send
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer


@pytest.fixture(scope="module")
def stored(orthanc: OrthancServer) -> OrthancServer:
    assert all(outcome.ok for outcome in send(orthanc.dimse_node(), [SAMPLE_CASE]))
    return orthanc


def _leftovers(folder: Path) -> list[str]:
    """What a retrieve left beside its target (staging folders are hidden ``.NAME.*``)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _same_pixels(retrieved: Path) -> None:
    originals = {
        str(ds.SOPInstanceUID): ds
        for ds in (pydicom.dcmread(p) for p in sorted(SAMPLE_CASE.rglob("*.dcm")))
    }
    for path in retrieved.iterdir():
        dataset = pydicom.dcmread(path)
        assert path.name == f"{dataset.SOPInstanceUID}.dcm"
        original = originals[str(dataset.SOPInstanceUID)]
        assert dataset.PixelData == original.PixelData
        assert dataset.ImagePositionPatient == original.ImagePositionPatient


@pytest.mark.parametrize("move", [False, True], ids=["C-GET", "C-MOVE"])
def test_retrieve_brings_back_every_image_of_the_study(
    stored: OrthancServer, tmp_path: Path, move: bool
) -> None:
    calls: list[tuple[int, int | None]] = []
    out = tmp_path / "study"
    result = retrieve(
        stored.dimse_node(move_only=move),
        sample_study_uid(),
        out,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.folder == out and result.images == 42
    assert sop_instance_uids(out) == sop_instance_uids(SAMPLE_CASE)
    _same_pixels(out)
    assert calls[0] == (0, None) and calls[-1] == (42, 42)
    assert any(total == 42 and 0 < done < 42 for done, total in calls)  # progress on the way
    assert _leftovers(tmp_path) == []


def test_retrieve_one_series(stored: OrthancServer, tmp_path: Path) -> None:
    node = stored.dimse_node()
    study = find_studies(node, study_uid=sample_study_uid())[0]
    axial = next(s for s in study.series if s.images == 20)
    result = retrieve(
        node, study.study_instance_uid, tmp_path / "ax", series_uid=axial.series_instance_uid
    )
    assert result.images == 20
    assert sop_instance_uids(result.folder) == set(
        list_instances(node, study.study_instance_uid, axial.series_instance_uid)
    )
    assert {
        str(pydicom.dcmread(p, stop_before_pixels=True).SeriesInstanceUID)
        for p in result.folder.iterdir()
    } == {axial.series_instance_uid}


def test_cancel_leaves_nothing(stored: OrthancServer, tmp_path: Path) -> None:
    seen: list[int] = []
    with pytest.raises(PacsCancelled) as raised:
        retrieve(
            stored.dimse_node(),
            sample_study_uid(),
            tmp_path / "study",
            progress=lambda done, total: seen.append(done),
            cancelled=lambda: len(seen) > 5,
        )
    assert str(raised.value).endswith("C-GET cancelled")
    assert 0 < max(seen) < 42  # it was cancelled half-way, not before or after
    assert list(tmp_path.iterdir()) == []


def test_a_study_the_pacs_does_not_have(stored: OrthancServer, tmp_path: Path) -> None:
    with pytest.raises(PacsError) as raised:
        retrieve(stored.dimse_node(), "1.2.3.4", tmp_path / "none")
    assert str(raised.value).endswith(
        "C-GET failed: status 0xC000 (unable to process); no image sent (does the PACS hold "
        "this study or series?)"
    )
    assert list(tmp_path.iterdir()) == []


def test_out_dir_must_be_new_or_empty(stored: OrthancServer, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep me")
    with pytest.raises(PacsError, match="exists and is not an empty folder"):
        retrieve(stored.dimse_node(), sample_study_uid(), tmp_path / "full")
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["mine.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert retrieve(stored.dimse_node(), sample_study_uid(), empty).images == 42


def test_bad_uid_is_refused_before_any_connection(tmp_path: Path) -> None:
    from imaging.pacs.nodes import PacsNode

    node = PacsNode(name="x", host="127.0.0.1", port=1, called_aet="X")
    with pytest.raises(PacsError, match=r"study UID '1\.2\.x' is not a DICOM UID"):
        retrieve(node, "1.2.x", tmp_path / "out")


def test_a_pacs_that_dies_half_way_leaves_nothing(tmp_path: Path) -> None:
    """Orthanc killed (SIGKILL) while the images stream in: one line, and no folder."""
    from tests.pacs_server import missing_reason

    if missing_reason():
        pytest.skip(missing_reason())
    server = OrthancServer(tmp_path / "dying").start()
    try:
        send(server.dimse_node(), [SAMPLE_CASE])
        out = tmp_path / "out"

        def kill_after_some(done: int, total: int | None) -> None:
            if done >= 5:
                server.kill()

        with pytest.raises(PacsError) as raised:
            retrieve(server.dimse_node(), sample_study_uid(), out, progress=kill_after_some)
    finally:
        server.stop()
    message = str(raised.value)
    assert message == (
        f"PACS 'orthanc' (127.0.0.1:{server.dicom_port}, AE ORTHANC): C-GET: the connection "
        "was lost (the PACS stopped or closed it)"
    )
    assert "\n" not in message
    assert not out.exists()
    assert _leftovers(tmp_path) == []


def test_a_study_built_here_comes_back_image_for_image(stored: OrthancServer, tmp_path) -> None:
    """Not only the bundled samples: a study made in the test (two series, random 16-bit
    pixels, not square) is stored, found with its series, and retrieved byte for byte."""
    import numpy as np

    from tests.dicom_builders import uid, write_series

    source = tmp_path / "built"
    study = uid("pacs-built-study")
    rng = np.random.default_rng(7)
    for number in (1, 2):
        write_series(
            source / f"S{number}",
            shape=(6, 40, 24),
            values=rng.integers(0, 4000, size=(6, 40, 24)).astype(np.float64),
            study_instance_uid=study,
            series_number=number,
            series_description=f"built {number}",
            origin_mm=(0.0, 0.0, 40.0 * number),
        )
    node = stored.dimse_node()
    assert all(outcome.ok for outcome in send(node, [source]))
    (found,) = find_studies(node, study_uid=study)
    assert sorted((s.series_number, s.images) for s in found.series) == [(1, 6), (2, 6)]
    out = tmp_path / "retrieved"
    assert retrieve(node, study, out).images == 12
    assert sop_instance_uids(out) == sop_instance_uids(source)
    originals = {pydicom.dcmread(f).SOPInstanceUID: f for f in source.rglob("*.dcm")}
    for path in out.rglob("*.dcm"):
        back = pydicom.dcmread(path)
        original = pydicom.dcmread(originals[back.SOPInstanceUID])
        assert back.PixelData == original.PixelData
