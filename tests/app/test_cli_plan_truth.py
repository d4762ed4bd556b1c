"""``spineplan plan --margin-mm -38`` on sample case 3 (issue 16, item 4): the words follow the
borders and a warning names the rule and the levels the borders reach, in the summary, in
``field.json`` and in the report."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess

from app import cli
from tests.planning.plan_fixtures import SAMPLES


def test_a_margin_that_leaves_the_rule_warns_everywhere(tmp_path) -> None:
    out = tmp_path / "m38"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        cli.main(
            ["plan", str(SAMPLES / "case3" / "reference.spineplan.json"), "--out", str(out),
             "--margin-mm", "-38"]
        )  # fmt: skip
    text = stdout.getvalue()
    assert "field T10-T11 PA" in text
    warning = next(line for line in text.splitlines() if "no longer covers" in line)
    assert warning.startswith("warning: the field no longer covers one vertebra above and below")
    assert "lies in the T10 body" in warning and "lies in the T11 body" in warning
    assert "T9 and T12 are not wholly inside the field" in warning
    field = json.loads((out / "field.json").read_text())["field"]
    assert field["levels_words"] == "T10-T11" and field["rule_levels_words"] == "T9-T12"
    assert (field["superior_level"], field["inferior_level"]) == ("T10", "T11")
    assert field["covers_one_vertebra_each_side"] is False
    assert field["superior_border_lies_in"] == "the T10 body"
    assert any(
        "no longer covers" in w for w in json.loads((out / "field.json").read_text())["warnings"]
    )
    pdf = subprocess.run(
        ["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(pdf.split())
    assert "T10-T11 (the borders reach only these" in flat
    assert "no longer covers one vertebra" in flat


def test_default_plan_keeps_the_rule_words(tmp_path) -> None:
    out = tmp_path / "default"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        cli.main(["plan", str(SAMPLES / "case3" / "reference.spineplan.json"), "--out", str(out)])
    assert "field T9-T12 PA" in stdout.getvalue()
    assert "no longer covers" not in stdout.getvalue()
    assert "length x width 4.0" not in stdout.getvalue()


def test_a_lesion_reaching_c1_is_planned_to_the_skull_base(tmp_path) -> None:
    """Sample case 1 with C1 labelled and the lesion moved up to C1-C2: the field is derived
    (not refused), with the skull-base margin from the command line and a warning."""
    data = json.loads((SAMPLES / "case1" / "reference.spineplan.json").read_text())
    data["study"]["path"] = str(SAMPLES / "case1")
    data["levels"].insert(0, {"name": "C1", "superior_z_mm": 330.0, "inferior_z_mm": 321.0})
    data["lesion"] = {"type": "ellipsoid", "center_mm": [0.8, 24.5, 318.0],
                      "radii_mm": [4.0, 3.6, 8.0]}  # fmt: skip
    case = tmp_path / "c1.spineplan.json"
    case.write_text(json.dumps(data))
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(["field", str(case), "--json", "--skull-base-margin-mm", "15"])
    assert status == 0, stderr.getvalue()
    document = json.loads(stdout.getvalue())
    field = document["field"]
    assert field["superior_border_z_mm"] == 345.0  # the top of C1 + 15 mm
    assert field["superior_landmark"] == "skull base: top of the C1 ring"
    assert field["superior_level"] == "C1"
    assert any("there is no vertebra above it" in w for w in document["warnings"])
