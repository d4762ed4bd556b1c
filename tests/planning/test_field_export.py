"""field.json and field.csv: the keys planners and scripts rely on, consistent with the plan."""

from __future__ import annotations

import csv
import io
import json

import pytest

from planning.export.field_limits import (
    CSV_COLUMNS,
    field_csv_text,
    field_dict,
    write_field_csv,
    write_field_json,
)
from tests.planning.plan_fixtures import EXPECTED, default_plan


@pytest.mark.parametrize("number", [1, 2])
def test_field_json_keys_and_values(tmp_path, number: int) -> None:
    result = default_plan(number)
    data = json.loads(write_field_json(tmp_path / "field.json", result).read_text())
    lesion, top, bottom, arrangement = EXPECTED[number]
    assert data["lesion_levels"] == list(lesion)
    assert data["arrangement"] == arrangement
    field = data["field"]
    assert (field["superior_level"], field["inferior_level"]) == (top, bottom)
    assert field["superior_border_z_mm"] == pytest.approx(
        result.field.superior_border_z_mm, abs=0.01
    )
    assert field["inferior_border_z_mm"] == pytest.approx(
        result.field.inferior_border_z_mm, abs=0.01
    )
    assert field["width_mm"] == pytest.approx(result.field.width_mm)
    assert field["isocentre_mm"] == pytest.approx(list(result.field.isocentre_mm), abs=0.01)
    assert [b["gantry_angle_deg"] for b in data["beams"]] == [
        b.gantry_angle_deg for b in result.field.beams
    ]
    for beam, geometry in zip(data["beams"], result.beams, strict=True):
        assert beam["jaw_x1_cm"] == pytest.approx(geometry.jaw_x_sad_cm[0], abs=0.01)
        assert beam["jaw_y2_cm"] == pytest.approx(geometry.jaw_y_sad_cm[1], abs=0.01)
        assert beam["ssd_cm"] == pytest.approx(geometry.ssd_cm, abs=0.01)
        assert beam["meterset"] > 0 and beam["meterset_unit"] in ("MU", "min")
    prescription = data["prescription"]
    assert prescription["dose_gy"] == result.prescription.dose_gy
    assert prescription["fractions"] == result.prescription.fractions
    assert prescription["bed_gy"] == pytest.approx(result.prescription.bed_gy(2.0), abs=0.01)
    assert prescription["eqd2_gy"] == pytest.approx(result.prescription.eqd2_gy(2.0), abs=0.01)
    coverage = data["coverage"]
    assert coverage["pass"] is True
    assert coverage["lesion"]["v95_percent"] == pytest.approx(result.lesion_stats.v95_percent)
    assert coverage["lesion"]["d95_percent"] == pytest.approx(
        result.lesion_stats.d95_percent, abs=0.01
    )
    assert coverage["verdict"]["result"] == "PASS"
    assert len(data["monitor_units"]) == len(data["beams"])
    assert data["assumptions"] and isinstance(data["warnings"], list)


def test_field_csv_rows_match_the_json(tmp_path) -> None:
    result = default_plan(1)
    path = write_field_csv(tmp_path / "field.csv", result)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    # Every header of a number names its unit.
    words = {"beam", "energy", "arrangement", "superior_level", "inferior_level", "fractions"}
    units = ("_deg", "_mm", "_cm", "_gy", "_mu", "_min", "_percent")
    assert all(c.endswith(units) for c in CSV_COLUMNS if c not in words | {"coverage_pass"})
    data = field_dict(result)
    assert [r["beam"] for r in rows] == [b["name"] for b in data["beams"]]
    for row, beam in zip(rows, data["beams"], strict=True):
        assert float(row["gantry_angle_deg"]) == beam["gantry_angle_deg"]
        assert float(row["superior_border_z_mm"]) == data["field"]["superior_border_z_mm"]
        assert float(row["inferior_border_z_mm"]) == data["field"]["inferior_border_z_mm"]
        assert float(row["jaw_x1_cm"]) == beam["jaw_x1_cm"]
        assert float(row["meterset_mu"] or row["time_min"]) == beam["meterset"]
        assert row["coverage_pass"] == "PASS"
    assert field_csv_text(result) == path.read_text()
