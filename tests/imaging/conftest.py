"""Fixtures of the imaging tests: a real Orthanc for the PACS tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pacs_server import OrthancServer, missing_reason


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """An Orthanc for one test module (DIMSE, DICOMweb; AE ORTHANC), stopped afterwards."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = OrthancServer(tmp_path_factory.mktemp("orthanc")).start()
    try:
        yield server
    finally:
        server.stop()
