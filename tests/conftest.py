"""Fixtures shared by every test folder."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planning.dose.beam_model import MACHINES


@pytest.fixture
def cobalt_without_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Co-60 as a machine with no depth-dose data at all (no PDD, TPR or scatter table).

    The shipped reference Co-60 beam gives dose; this is how a machine without any data looks,
    so the field-only path (field and set-up, no dose) stays tested.
    """
    bare = replace(MACHINES["Co60"], tpr_table=None, total_scatter_table=None, data_statement="")
    monkeypatch.setitem(MACHINES, "Co60", bare)
