"""The PACS cache against a real Orthanc: one copy per SOP Instance UID, LRU eviction."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

from imaging.pacs import cache as cache_module
from imaging.pacs.cache import PacsCache
from imaging.pacs.cache_names import in_pacs_cache, study_folder_name
from imaging.pacs.errors import PacsError
from imaging.pacs.query import find_studies
from imaging.pacs.send import send
from tests.imaging.pacs_helpers import SAMPLE_CASE, sample_study_uid, sop_instance_uids
from tests.pacs_server import OrthancServer


@pytest.fixture(scope="module")
def stored(orthanc: OrthancServer) -> OrthancServer:
    assert all(outcome.ok for outcome in send(orthanc.dimse_node(), [SAMPLE_CASE]))
    return orthanc


@pytest.fixture
def retrieves(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each real retrieve the cache makes (the retrieve itself still runs)."""
    calls: list[str] = []
    real = cache_module.retrieve

    def counting(node, study_uid, out_dir, **options):
        calls.append(options.get("series_uid") or study_uid)
        return real(node, study_uid, out_dir, **options)

    monkeypatch.setattr(cache_module, "retrieve", counting)
    return calls


def _series(orthanc: OrthancServer) -> list[str]:
    study = find_studies(orthanc.dimse_node(), study_uid=sample_study_uid())[0]
    return [series.series_instance_uid for series in study.series]


def test_one_copy_per_instance_and_no_second_retrieve(
    stored: OrthancServer, tmp_path: Path, retrieves: list[str]
) -> None:
    cache = PacsCache(tmp_path / "cache")
    node = stored.dimse_node()
    first_series = _series(stored)[0]
    series_folder = cache.retrieve_into_cache(node, sample_study_uid(), first_series)
    assert len(list(series_folder.iterdir())) == 11
    inodes = {p.name: p.stat().st_ino for p in cache.instances_dir.iterdir()}

    study_folder = cache.retrieve_into_cache(node, sample_study_uid())
    assert sop_instance_uids(study_folder) == sop_instance_uids(SAMPLE_CASE)
    assert cache.stats().instances == 42  # the series' 11 were not stored twice
    assert all(cache.instance_path(Path(n).stem).stat().st_ino == i for n, i in inodes.items())
    # the viewer's folders are the cached files themselves (hard links), not copies
    assert all(
        p.stat().st_ino == cache.instance_path(p.stem).stat().st_ino for p in study_folder.iterdir()
    )

    again = cache.retrieve_into_cache(node, sample_study_uid())
    assert again == study_folder and len(list(again.iterdir())) == 42
    assert retrieves == [first_series, sample_study_uid()]  # the third came from the cache


def test_size_limit_evicts_the_least_recently_used(stored: OrthancServer, tmp_path: Path) -> None:
    node = stored.dimse_node()
    small, other, axial = _series(stored)  # 11, 11 and 20 images
    probe = PacsCache(tmp_path / "probe")
    probe.retrieve_into_cache(node, sample_study_uid(), small)
    one_series_bytes = probe.stats().size_bytes

    cache = PacsCache(tmp_path / "cache", limit_bytes=int(one_series_bytes * 1.5))
    first = cache.retrieve_into_cache(node, sample_study_uid(), small)
    second = cache.retrieve_into_cache(node, sample_study_uid(), other)
    stats = cache.stats()
    assert stats.size_bytes <= cache.limit_bytes
    assert 11 < stats.instances < 22  # the first series' oldest instances went, one by one
    assert all(cache.has(path.stem) for path in second.iterdir())
    assert len(list(second.iterdir())) == 11
    assert not first.exists()  # a folder that lost an instance goes with it

    # more than the limit at once: what was just asked for stays, everything else goes
    cache.limit_bytes = 1
    third = cache.retrieve_into_cache(node, sample_study_uid(), axial)
    assert cache.stats().instances == 20 and not second.exists()
    assert len(list(third.iterdir())) == 20


def test_a_failed_retrieve_adds_nothing(tmp_path: Path) -> None:
    from imaging.pacs.nodes import PacsNode
    from tests.pacs_server import free_port

    cache = PacsCache(tmp_path / "cache")
    node = PacsNode(name="dead", host="127.0.0.1", port=free_port(), called_aet="X")
    with pytest.raises(PacsError, match="cannot connect"):
        cache.retrieve_into_cache(node, sample_study_uid())
    assert cache.stats().instances == 0


def test_the_limit_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(PacsError, match="size limit must be positive"):
        PacsCache(tmp_path, limit_bytes=0)


def test_a_cache_folder_is_named_after_its_patient_and_date(tmp_path: Path) -> None:
    """Folders named after UIDs tell the user nothing: the names proposed for a study from the
    PACS are its patient ID and study date; any other folder keeps its own name."""
    cache = PacsCache(tmp_path / "cache")
    uids = []
    for source in sorted(SAMPLE_CASE.rglob("*.dcm"))[:2]:
        copy = tmp_path / source.name
        shutil.copyfile(source, copy)
        uid = str(pydicom.dcmread(copy, stop_before_pixels=True).SOPInstanceUID)
        cache.add(copy, uid)
        uids.append(uid)
    folder = cache.view(sample_study_uid(), "", uids)
    assert folder.name == "study" and in_pacs_cache(folder)
    assert study_folder_name(folder) == "SPL-0002_20240417"
    assert study_folder_name(SAMPLE_CASE) == "case2" and not in_pacs_cache(SAMPLE_CASE)
    lookalike = tmp_path / "elsewhere" / "studies" / "1.2.3" / "study"  # no instances/ beside
    lookalike.mkdir(parents=True)
    assert study_folder_name(lookalike) == "study"
