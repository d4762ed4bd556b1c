"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from planning.dose.beam_model import MACHINES
from tests.pacs_server import OrthancServer, missing_reason


@pytest.fixture
def cobalt_without_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Co-60 as a machine with no depth-dose data at all (no PDD, TPR or scatter table).

    The shipped reference Co-60 beam gives dose; this is how a machine without any data looks,
    so the field-only path (field and set-up, no dose) stays tested.
    """
    bare = replace(MACHINES["Co60"], tpr_table=None, total_scatter_table=None, data_statement="")
    monkeypatch.setitem(MACHINES, "Co60", bare)


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
