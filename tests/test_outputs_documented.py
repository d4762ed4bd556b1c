"""Every key spineplan writes into field.json, the field limits and field.csv is documented in
docs/outputs.md (the golden outputs of the four sample cases are the keys written)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from planning.export.field_limits import CSV_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"
DOC = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")


def _key_paths(data: Any, prefix: str = "") -> set[str]:
    """``a``, ``a.b``, ``a[].c``: every key of a JSON document, list items under ``[]``."""
    paths: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else key
            paths |= {path, *_key_paths(value, path)}
    elif isinstance(data, list):
        for item in data:
            paths |= _key_paths(item, f"{prefix}[]")
    return paths


def _documented() -> set[str]:
    return set(re.findall(r"`([a-z_0-9]+(?:\[\])?(?:\.[a-z_0-9]+(?:\[\])?)*)`", DOC))


def test_every_key_of_field_json_and_the_field_limits_is_documented() -> None:
    written: set[str] = set()
    for path in sorted(GOLDEN.glob("*.field*.json")):
        written |= _key_paths(json.loads(path.read_text(encoding="utf-8")))
    assert len(written) > 100
    documented = _documented()

    def is_documented(key: str) -> bool:
        # a list item's keys may be named alone ("`kind`, `volume_percent` ..."); a group is
        # documented by its members ("`field.length_mm`" documents "field")
        return (
            key in documented
            or key.rsplit(".", 1)[-1] in documented
            or any(d.startswith((f"{key}.", f"{key}[]")) for d in documented)
        )

    missing = sorted(key for key in written if not is_documented(key))
    assert missing == []


def test_every_field_csv_column_is_documented_in_order() -> None:
    with (GOLDEN / "case4.field.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == CSV_COLUMNS
    section = DOC[DOC.index("## field.csv") : DOC.index("## Other machine-readable")]
    positions = [section.index(f"`{column}`") for column in header]
    assert positions == sorted(positions)
