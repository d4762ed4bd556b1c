"""Every shipped beam data file states its source's licence, and the licence texts it needs
are shipped and named in the package metadata."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEAM_DATA = ROOT / "resources" / "beam_data"


def _licence_table() -> str:
    text = (BEAM_DATA / "README.md").read_text(encoding="utf-8")
    return text[text.index("## Licences of the shipped data") :]


def test_every_beam_data_file_has_a_row_in_the_licence_table() -> None:
    table = _licence_table()
    shipped = sorted(p.name for p in BEAM_DATA.glob("*.csv"))
    assert shipped
    assert [name for name in shipped if f"`{name}`" not in table] == []


def test_the_licence_texts_named_are_shipped_and_in_the_metadata() -> None:
    named = set(re.findall(r"`(LICENSES/[^`]+)`", _licence_table()))
    assert named == {"LICENSES/Apache-2.0.txt", "LICENSES/GPL-3.0.txt"}
    for relative in named:
        assert (BEAM_DATA / relative).stat().st_size > 10_000  # the whole text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    globbed = {p for pattern in project["license-files"] for p in ROOT.glob(pattern)}
    assert {BEAM_DATA / r for r in named} | {ROOT / "LICENSE"} <= globbed
    assert project["license"] == "BSD-3-Clause AND Apache-2.0 AND GPL-3.0-only"
