"""``spineplan field``: field limits and beam set-up without dose (also for Co-60)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from app import cli
from tests.planning.plan_fixtures import SAMPLES

FIELD_KEYS = {
    "superior_level",
    "inferior_level",
    "superior_border_z_mm",
    "inferior_border_z_mm",
    "width_mm",
    "length_mm",
    "isocentre_mm",
    "ssd_cm",
    "superior_border_description",
    "inferior_border_description",
}
BEAM_KEYS = {
    "name",
    "gantry_angle_deg",
    "jaw_x1_cm",
    "jaw_x2_cm",
    "jaw_y1_cm",
    "jaw_y2_cm",
    "ssd_cm",
    "field_at_skin_x_cm",
    "field_at_skin_y_cm",
    "isocentre_depth_cm",
    "skin_entry_mm",
}


def _case(number: int) -> Path:
    return SAMPLES / f"case{number}" / "reference.spineplan.json"


def _field(*arguments: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(["field", *arguments])
    return status, stdout.getvalue(), stderr.getvalue()


def test_case1_lateral_pair_in_words() -> None:
    status, out, err = _field(str(_case(1)))
    assert (status, err) == (0, "")
    assert "lesion levels: C4-C5" in out
    assert "field levels: C3-C6" in out
    assert "arrangement: lateral_pair" in out
    assert "beam left lateral: gantry 90 deg" in out
    assert "beam right lateral: gantry 270 deg" in out
    assert "superior border: z " in out
    assert "mm, middle of the C2-3 disc, in the C2-3 disc space (C3)" in out
    assert any(line.startswith("assumption: ") for line in out.splitlines())
    assert out.rstrip().splitlines()[-1].startswith("no dose was computed")


def test_case1_json_has_the_lateral_pair() -> None:
    status, out, _ = _field(str(_case(1)), "--json")
    assert status == 0
    data = json.loads(out)
    assert data["format"] == "spineplan-field-limits"
    assert (data["field"]["superior_level"], data["field"]["inferior_level"]) == ("C3", "C6")
    assert [b["gantry_angle_deg"] for b in data["beams"]] == [90.0, 270.0]
    assert data["dose_computed"] is False


def test_case2_co60_json() -> None:
    status, out, err = _field(str(_case(2)), "--energy", "Co60", "--json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["format"] == "spineplan-field-limits"
    assert data["format_version"] == 1
    assert data["coordinates"] == "DICOM patient LPS, mm; z increases towards the head"
    assert data["lesion_levels"] == ["T9"]
    assert (data["field"]["superior_level"], data["field"]["inferior_level"]) == ("T8", "T10")
    assert data["arrangement"] == "PA"
    assert data["energy"] == "Co60"
    assert data["dose_computed"] is False
    assert set(data["field"]) >= FIELD_KEYS
    assert data["field"]["ssd_cm"] == pytest.approx(80.0)
    assert isinstance(data["assumptions"], list) and data["assumptions"]
    assert isinstance(data["warnings"], list)
    (beam,) = data["beams"]
    assert set(beam) >= BEAM_KEYS
    assert beam["gantry_angle_deg"] == 180.0
    assert beam["ssd_cm"] == pytest.approx(80.0)
    # Jaws at SAD 80 cm scaled to the isocentre plane give the width and the borders; each jaw
    # is rounded to 0.01 cm, so allow that rounding on top of 0.1 mm.
    scale = (beam["ssd_cm"] + beam["isocentre_depth_cm"]) / 80.0
    rounding_mm = 2 * 0.005 * 10.0 * scale
    width_mm = (beam["jaw_x2_cm"] - beam["jaw_x1_cm"]) * 10.0 * scale
    assert width_mm == pytest.approx(data["field"]["width_mm"], abs=0.1 + rounding_mm)
    iso_z = data["field"]["isocentre_mm"][2]
    top = iso_z + beam["jaw_y2_cm"] * 10.0 * scale
    bottom = iso_z + beam["jaw_y1_cm"] * 10.0 * scale
    assert top == pytest.approx(data["field"]["superior_border_z_mm"], abs=0.1 + rounding_mm)
    assert bottom == pytest.approx(data["field"]["inferior_border_z_mm"], abs=0.1 + rounding_mm)
    # On the skin the divergent field is smaller by SSD / (SSD + depth).
    assert beam["field_at_skin_x_cm"] == pytest.approx(
        width_mm / 10.0 * beam["ssd_cm"] / (beam["ssd_cm"] + beam["isocentre_depth_cm"]),
        abs=0.02,
    )


def test_bad_case_path_is_one_line_and_status_2(tmp_path) -> None:
    status, out, err = _field(str(tmp_path / "missing.spineplan.json"))
    assert status == cli.EXIT_BAD_INPUT
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "missing.spineplan.json" in err


def test_bad_option_is_one_line_and_status_2() -> None:
    status, _, err = _field(str(_case(2)), "--margin-mm", "lots")
    assert status == cli.EXIT_BAD_INPUT
    assert err.strip() == "spineplan: error: --margin-mm: 'lots' is not a number"
