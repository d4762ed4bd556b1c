"""``spineplan machine`` import/list/check, and ``--machine`` on plan, field, pdd and profile."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest

from tests.app.cli_runner import run
from tests.machine_builders import (
    co60_reference_copy,
    six_mv_mcc,
    six_mv_pdd_csv,
    six_mv_scatter_csv,
    write,
)
from tests.planning.plan_fixtures import SAMPLES

CASE3 = SAMPLES / "case3" / "reference.spineplan.json"


@pytest.fixture(autouse=True)
def machines_folder(tmp_path, monkeypatch):
    folder = tmp_path / "machines"
    monkeypatch.setenv("SPINEPLAN_MACHINES_DIR", str(folder))
    return folder


def import_six_mv_csv(tmp_path: Path, name: str = "Linac 2") -> None:
    status, stdout, stderr = run(
        "machine", "import", str(six_mv_pdd_csv(tmp_path)), str(six_mv_scatter_csv(tmp_path)),
        "--name", name, "--energy", "6MV", "--output-cgy-per-mu", "0.98",
        "--physicist", "A. Physicist",
    )  # fmt: skip
    assert (status, stderr) == (0, ""), stderr
    assert f"imported machine {name} (6MV)" in stdout


def test_import_list_and_check(tmp_path, machines_folder):
    import_six_mv_csv(tmp_path)
    status, stdout, _ = run("machine", "list")
    assert status == 0
    assert "Linac 2: 6MV, SSD set-up, SAD 100 cm, reference SSD 100 cm" in stdout
    assert "by A. Physicist from pdd.csv, scatter.csv" in stdout
    out = tmp_path / "check"
    status, stdout, stderr = run("machine", "check", "Linac 2", "--out", str(out))
    assert (status, stderr) == (0, ""), stderr
    assert "validation: passed" in stdout
    # a copy of the reference data: the PDD differences are zero
    rows = [line.split() for line in stdout.splitlines() if line.startswith("      10 ")]
    assert rows and all(abs(float(r[-1])) < 0.1 for r in rows)
    assert (out / "check.txt").read_text() in stdout
    assert (out / "pdd.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_check_reports_a_changed_source_file(tmp_path, machines_folder):
    import_six_mv_csv(tmp_path)
    source = machines_folder / "Linac 2" / "sources" / "pdd.csv"
    source.write_text(source.read_text() + "# edited\n")
    status, stdout, _ = run("machine", "check", "Linac 2", "--out", str(tmp_path / "c"))
    assert status == 1
    assert "PROBLEM:" in stdout and "changed since import" in stdout


def test_a_broken_table_is_one_line_naming_file_and_line(tmp_path, machines_folder):
    lines = six_mv_pdd_csv(tmp_path).read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]  # the last field size missing on line 4
    broken = write(tmp_path / "broken.csv", "\n".join(lines))
    status, _, stderr = run(
        "machine", "import", str(broken), str(six_mv_scatter_csv(tmp_path)),
        "--name", "Bad", "--energy", "6MV",
    )  # fmt: skip
    assert status == 2
    assert stderr.count("\n") == 1
    assert "broken.csv, line 4: no value for pdd_sq_30" in stderr
    assert not machines_folder.exists() or not any(machines_folder.iterdir())


def test_list_without_machines(tmp_path):
    status, stdout, _ = run("machine", "list")
    assert status == 0 and "no commissioned machines" in stdout


def test_pdd_and_profile_with_a_machine(tmp_path):
    run(
        "machine", "import", *map(str, co60_reference_copy(tmp_path)), "--name", "Cobalt A",
        "--energy", "Co60", "--source-diameter-cm", "1.5", "--source-to-diaphragm-cm", "60",
    )  # fmt: skip
    status, stdout, stderr = run("pdd", "--machine", "Cobalt A", "--field-cm", "10", "--json")
    assert (status, stderr) == (0, "")
    document = json.loads(stdout)
    assert document["machine"] == "Cobalt A" and document["energy"] == "Co60"
    at_10 = next(p for p in document["points"] if p["depth_cm"] == 10)
    _, reference, _ = run("pdd", "--energy", "Co60", "--field-cm", "10", "--json")
    same = next(p for p in json.loads(reference)["points"] if p["depth_cm"] == 10)
    assert at_10["pdd_percent"] == pytest.approx(same["pdd_percent"], abs=0.05)
    assert any("machine Cobalt A (Co60" in a for a in document["assumptions"])
    status, stdout, _ = run(
        "profile", "--machine", "Cobalt A", "--field-cm", "10", "--depth-cm", "5", "--json"
    )
    profile = json.loads(stdout)
    _, stdout, _ = run(
        "profile", "--energy", "Co60", "--field-cm", "10", "--depth-cm", "5", "--json"
    )
    # a smaller source further from the diaphragm: a narrower geometric penumbra
    assert profile["machine"] == "Cobalt A"
    assert profile["penumbra_80_20_cm"] < json.loads(stdout)["penumbra_80_20_cm"]
    status, _, stderr = run("pdd", "--machine", "Cobalt A", "--energy", "6MV", "--field-cm", "10")
    assert status == 2 and "is a Co60 unit" in stderr
    status, _, stderr = run("pdd", "--machine", "Nope", "--field-cm", "10")
    assert status == 2 and "--machine: no commissioned machine 'Nope'" in stderr
    status, _, stderr = run("pdd", "--field-cm", "10")
    assert status == 2 and "give --energy" in stderr


def _plan_with(machine: str, out: Path) -> dict:
    status, stdout, stderr = run("plan", str(CASE3), "--out", str(out), "--machine", machine)
    assert status in (0, 1) and stderr == "", stderr
    assert f"machine {machine} (6MV" in stdout
    assert f"6MV on machine {machine}," in stdout
    document = json.loads((out / "field.json").read_text())
    assert any(f"machine {machine} (6MV" in a for a in document["assumptions"])
    # the record-and-verify system matches the plan to the treating unit by this name
    rtplan = pydicom.dcmread(next(out.rglob("rtplan.dcm")))
    assert {b.TreatmentMachineName for b in rtplan.BeamSequence} == {machine}
    return document


def test_a_case_planned_with_a_csv_machine_and_an_mcc_machine(tmp_path):
    import_six_mv_csv(tmp_path)
    status, stdout, stderr = run(
        "machine", "import", str(six_mv_mcc(tmp_path)), str(six_mv_scatter_csv(tmp_path)),
        "--name", "Linac mcc", "--energy", "6MV",
    )  # fmt: skip
    assert (status, stderr) == (0, ""), stderr
    csv_plan = _plan_with("Linac 2", tmp_path / "csv")
    mcc_plan = _plan_with("Linac mcc", tmp_path / "mcc")
    _, _, _ = run("plan", str(CASE3), "--out", str(tmp_path / "ref"))
    reference = json.loads((tmp_path / "ref" / "field.json").read_text())
    # the machine's output (0.98 cGy/MU) is used, not the assumed 1.000
    (calc,) = csv_plan["monitor_units"]
    assert calc["output"] == 0.98
    (ref_calc,) = reference["monitor_units"]
    assert calc["meterset"] == pytest.approx(ref_calc["meterset"] / 0.98, rel=0.01)
    for plan in (csv_plan, mcc_plan):
        assert plan["coverage"]["pass"] == reference["coverage"]["pass"]
    status, stdout, _ = run("field", str(CASE3), "--machine", "Linac mcc")
    assert status == 0 and "machine Linac mcc (6MV" in stdout


def test_a_cobalt_unit_with_an_sad_of_100_cm_sets_its_jaws_at_100_cm(tmp_path):
    # Co-60 units are built with an SAD of 80 cm or 100 cm: the jaws (and the RT Plan's SAD)
    # are the unit's, the field in the patient stays the derived one.
    status, stdout, stderr = run(
        "machine", "import", *map(str, co60_reference_copy(tmp_path)), "--name", "Cobalt 100",
        "--energy", "Co60", "--sad-cm", "100", "--dose-rate-cgy-per-min", "150",
    )  # fmt: skip
    assert (status, stderr) == (0, ""), stderr
    assert "SAD 100 cm;" in stdout
    assert "SAD 100 cm" in run("machine", "list")[1]
    status, _, stderr = run(
        "plan", str(CASE3), "--out", str(tmp_path / "m"), "--machine", "Cobalt 100"
    )  # fmt: skip
    assert status == 0, stderr
    status, _, stderr = run(
        "plan", str(CASE3), "--out", str(tmp_path / "r"), "--energy", "Co60",
        "--dose-rate-cgy-per-min", "150",
    )  # fmt: skip
    assert status == 0, stderr
    machine, reference = (
        json.loads((tmp_path / name / "field.json").read_text()) for name in ("m", "r")
    )
    (beam,), (ref_beam,) = machine["beams"], reference["beams"]
    assert (beam["source_axis_distance_cm"], ref_beam["source_axis_distance_cm"]) == (100, 80)
    # the same field in the isocentre plane: jaws scaled by the SAD ratio
    for jaw in ("jaw_x1_cm", "jaw_x2_cm", "jaw_y1_cm", "jaw_y2_cm"):
        assert beam[jaw] == pytest.approx(ref_beam[jaw] * 100 / 80, abs=0.011)
    assert machine["field"] == reference["field"]
    assert machine["coverage"]["pass"] is True
    rtplan = pydicom.dcmread(next((tmp_path / "m").rglob("rtplan.dcm")))
    (plan_beam,) = rtplan.BeamSequence
    assert float(plan_beam.SourceAxisDistance) == 1000.0
    assert plan_beam.TreatmentMachineName == "Cobalt 100"
    status, _, stderr = run(
        "machine", "import", *map(str, co60_reference_copy(tmp_path)), "--name", "Cobalt X",
        "--energy", "Co60", "--sad-cm", "300",
    )  # fmt: skip
    assert status == 2 and "sad_cm: expected 50-150 cm" in stderr
