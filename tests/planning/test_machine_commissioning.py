"""Commissioned machines: the templates and mcc files, the checks, the store, the physics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planning.dose.beam_data import BeamDataError
from planning.dose.beam_model import beam_model
from planning.dose.machine_store import (
    MachineSetup,
    beam_model_for,
    import_machine,
    load_machine,
    machine_names,
)
from planning.dose.mcc_reader import read_mcc
from planning.errors import PlanningError
from tests.machine_builders import (
    co60_reference_copy,
    six_mv_mcc,
    six_mv_pdd_csv,
    six_mv_scatter_csv,
    write,
)


@pytest.fixture(autouse=True)
def machines_folder(tmp_path, monkeypatch):
    folder = tmp_path / "machines"
    monkeypatch.setenv("SPINEPLAN_MACHINES_DIR", str(folder))
    return folder


def test_a_commissioned_copy_of_the_reference_cobalt_gives_the_reference_pdd(tmp_path):
    stored = import_machine(
        co60_reference_copy(tmp_path), MachineSetup("Cobalt A", "Co60", reference_ssd_cm=80.0)
    )
    depths = np.array([0.5, 1.0, 3.0, 5.0, 10.0, 15.0, 20.0, 25.0])
    for side in (5.0, 10.0, 15.0):
        np.testing.assert_allclose(
            stored.model.pdd_percent(depths, side),
            beam_model("Co60").pdd_percent(depths, side),
            rtol=1e-6,
        )
    # and the published Co-60 range of the acceptance test: PDD(10 cm) 55-59 % at SSD 80 cm
    assert 55.0 <= float(stored.model.pdd_percent(10.0, 10.0)) <= 59.0


def test_the_machine_folder_holds_tables_and_provenance(tmp_path, machines_folder):
    files = co60_reference_copy(tmp_path)
    import_machine(
        files,
        MachineSetup(
            "Cobalt A",
            "Co60",
            reference_ssd_cm=80.0,
            dose_rate_cgy_per_min=150.0,
            calibration_date="2026-01-15",
            source_diameter_cm=1.5,
            source_to_diaphragm_cm=60.0,
            physicist="A. Physicist",
        ),
    )
    folder = machines_folder / "Cobalt A"
    record = json.loads((folder / "machine.json").read_text())
    assert record["imported_by"] == "A. Physicist"
    assert record["machine"]["dose_rate_cgy_per_min"] == 150.0
    assert record["machine"]["calibration_date"] == "2026-01-15"
    assert [Path(s["file"]).name for s in record["sources"]] == ["co60_tpr.csv", "co60_scp.csv"]
    assert all(len(s["sha256"]) == 64 for s in record["sources"])
    assert sorted(record["tables"]) == ["scp", "tpr"]
    assert (folder / "sources" / "co60_tpr.csv").read_bytes() == files[0].read_bytes()
    assert machine_names() == ["Cobalt A"]
    machine = load_machine("Cobalt A").machine
    assert machine.source_diameter_cm == 1.5 and machine.source_to_diaphragm_cm == 60.0
    assert "machine Cobalt A (Co60" in machine.data_statement
    assert "co60_tpr.csv" in machine.data_statement


def test_a_six_mv_machine_from_the_csv_templates_matches_its_tables(tmp_path):
    stored = import_machine(
        [six_mv_pdd_csv(tmp_path), six_mv_scatter_csv(tmp_path)],
        MachineSetup("Linac 2", "6MV", output_cgy_per_mu=0.98),
    )
    assert stored.setup.reference_ssd_cm == 100.0
    depths = np.array([1.5, 5.0, 10.0, 20.0])
    np.testing.assert_allclose(
        stored.model.pdd_percent(depths, 10.0),
        beam_model("6MV").pdd_percent(depths, 10.0),
        atol=0.01,
    )
    assert float(stored.model.collimator_scatter(5.0)) == pytest.approx(0.968)


def test_an_mcc_export_is_read_normalised_and_gives_profiles(tmp_path):
    path = six_mv_mcc(tmp_path)
    scans = read_mcc(path)
    assert [s.curve_type for s in scans[:3]] == ["PDD"] * 3
    stored = import_machine([path, six_mv_scatter_csv(tmp_path)], MachineSetup("Linac mcc", "6MV"))
    assert sorted(stored.tables) == ["pdd", "profiles", "scatter", "scp"]
    assert stored.setup.reference_ssd_cm == 100.0  # from the mcc header (SSD=1000.00 mm)
    # readings normalised to 100 at d_max: the reference PDD back (between the scanned fields
    # the table is linear in side, as the reference table is between its own columns)
    for depth in (5.0, 10.0, 20.0):
        assert float(stored.model.pdd_percent(depth, 10.0)) == pytest.approx(
            float(beam_model("6MV").pdd_percent(depth, 10.0)), abs=0.05
        )
    # the penumbra comes from the mcc profiles: the golden-beam profiles it was made of
    assert float(stored.model.penumbra_sigma_cm(10.0, 100.0, 10.0)) == pytest.approx(
        float(beam_model("6MV").penumbra_sigma_cm(10.0, 100.0, 10.0)), abs=0.005
    )


def _pdd_lines(tmp_path: Path) -> list[str]:
    return six_mv_pdd_csv(tmp_path).read_text().splitlines()


def test_a_missing_field_value_is_refused_with_its_line(tmp_path):
    lines = _pdd_lines(tmp_path)
    cells = lines[5].split(",")
    cells[3] = ""  # the 6 cm field at the fourth depth
    lines[5] = ",".join(cells)
    path = write(tmp_path / "broken.csv", "\n".join(lines))
    with pytest.raises(BeamDataError, match=r"broken\.csv, line 6: no value for pdd_sq_6"):
        import_machine([path, six_mv_scatter_csv(tmp_path)], MachineSetup("X", "6MV"))


def test_a_missing_reference_field_size_is_refused(tmp_path):
    lines = _pdd_lines(tmp_path)
    header = lines[1].split(",")
    drop = header.index("pdd_sq_10")
    lines = [lines[0]] + [
        ",".join(c for k, c in enumerate(line.split(",")) if k != drop) for line in lines[1:]
    ]
    path = write(tmp_path / "no10.csv", "\n".join(lines))
    with pytest.raises(BeamDataError, match=r"no10\.csv, line 2: no 10 x 10 cm column"):
        import_machine([path, six_mv_scatter_csv(tmp_path)], MachineSetup("X", "6MV"))


def test_a_rising_fall_off_is_refused_with_its_line(tmp_path):
    lines = _pdd_lines(tmp_path)
    cells = lines[12].split(",")
    cells[5] = f"{float(cells[5]) + 3:.2f}"
    lines[12] = ",".join(cells)
    path = write(tmp_path / "rise.csv", "\n".join(lines))
    with pytest.raises(BeamDataError, match=r"rise\.csv, line 13: the 10 cm field rises"):
        import_machine([path, six_mv_scatter_csv(tmp_path)], MachineSetup("X", "6MV"))


def test_cgy_where_percent_is_expected_is_refused(tmp_path):
    lines = _pdd_lines(tmp_path)
    scaled = [lines[0], lines[1]] + [
        ",".join([line.split(",")[0], *(f"{2 * float(v):.1f}" for v in line.split(",")[1:])])
        for line in lines[2:]
    ]
    path = write(tmp_path / "cgy.csv", "\n".join(scaled))
    with pytest.raises(BeamDataError, match=r"cgy\.csv, line 3: PDD 200 .* looks like cGy"):
        import_machine([path, six_mv_scatter_csv(tmp_path)], MachineSetup("X", "6MV"))


def test_a_cobalt_table_under_a_six_mv_name_fails_the_dmax_check(tmp_path):
    files = co60_reference_copy(tmp_path)
    with pytest.raises(BeamDataError, match=r"peaks at 0.5 cm; d_max of a 6MV beam"):
        import_machine(files, MachineSetup("X", "6MV"))


def test_a_rising_mcc_scan_is_refused_with_its_line(tmp_path):
    path = six_mv_mcc(tmp_path, rise_line_depth_cm=8.0)
    text = path.read_text().splitlines()
    with pytest.raises(BeamDataError, match=r"unit6x\.mcc, line (\d+): the 10 cm PDD rises") as e:
        import_machine([path, six_mv_scatter_csv(tmp_path)], MachineSetup("X", "6MV"))
    line = int(str(e.value).split("line ")[1].split(":")[0])
    assert text[line - 1].strip().startswith("80.00")


def test_nothing_is_stored_when_a_file_is_refused(tmp_path, machines_folder):
    broken = write(tmp_path / "s.csv", "side_cm,scp\n5,0.9\n10,1\n")
    with pytest.raises(BeamDataError, match="do not cover 5-20 cm"):
        import_machine([six_mv_pdd_csv(tmp_path), broken], MachineSetup("X", "6MV"))
    assert machine_names() == []


def test_names_energies_and_duplicates(tmp_path):
    with pytest.raises(PlanningError, match="is an energy"):
        MachineSetup("6MV", "6MV")
    with pytest.raises(PlanningError, match="machine name"):
        MachineSetup("../evil", "6MV")
    files = co60_reference_copy(tmp_path)
    import_machine(files, MachineSetup("Cobalt A", "Co60"))
    with pytest.raises(PlanningError, match="already exists"):
        import_machine(files, MachineSetup("Cobalt A", "Co60"))
    with pytest.raises(PlanningError, match="is a Co60 unit, but the plan's energy is 6MV"):
        beam_model_for("6MV", "Cobalt A")
    with pytest.raises(PlanningError, match="no commissioned machine 'Nope'"):
        beam_model_for("6MV", "Nope")


def test_the_case_file_keeps_the_machine_and_omits_it_when_unset(tmp_path):
    from dataclasses import replace

    from planning.case import load_case
    from planning.case.writing import case_to_dict, save_case
    from tests.planning.plan_fixtures import SAMPLES

    case = load_case(SAMPLES / "case3" / "reference.spineplan.json")
    assert "machine" not in case_to_dict(case)["plan"]
    chosen = replace(case, plan=replace(case.plan, machine="Linac 2"))
    saved = save_case(chosen, tmp_path / "x.spineplan.json")
    assert load_case(tmp_path / "x.spineplan.json").plan.machine == "Linac 2"
    assert saved.plan.machine == "Linac 2"
    data = json.loads((tmp_path / "x.spineplan.json").read_text())
    assert data["plan"]["machine"] == "Linac 2" and data["schema_version"] == 1


def test_a_job_naming_an_unknown_machine_is_planned_and_stopped_with_the_reason(tmp_path):
    from dataclasses import replace

    from planning.case import load_case
    from planning.run import PlanJob, has_dose_data, run_plan_or_geometry
    from tests.planning.plan_fixtures import SAMPLES

    case = load_case(SAMPLES / "case3" / "reference.spineplan.json")
    job = PlanJob(case=case, settings=replace(case.plan, machine="Gone"))
    assert has_dose_data(job)  # no exception in the GUI thread: the plan says it
    with pytest.raises(PlanningError, match="no commissioned machine 'Gone'"):
        run_plan_or_geometry(job, None, tmp_path)


def test_the_machine_output_and_calibration_date_feed_the_treatment_time(tmp_path):
    import datetime as dt

    from planning.evaluation.monitor_units import Calibration, machine_calibration

    stored = import_machine(
        co60_reference_copy(tmp_path),
        MachineSetup(
            "Cobalt A", "Co60", dose_rate_cgy_per_min=150.0, calibration_date="2026-01-15"
        ),
    )
    calibration = machine_calibration(stored.model, None)
    assert calibration is not None
    assert calibration.dose_rate_cgy_per_min == 150.0
    assert calibration.calibration_date == dt.date(2026, 1, 15)
    # a rate given for the plan wins, and the machine's date does not attach to it
    given = machine_calibration(stored.model, Calibration(dose_rate_cgy_per_min=120.0))
    assert given is not None
    assert (given.dose_rate_cgy_per_min, given.calibration_date) == (120.0, None)
    # the reference beam keeps what the plan gives
    assert machine_calibration(beam_model("Co60"), None) is None


def test_the_check_compares_a_tpr_machine_and_writes_its_report(tmp_path):
    from planning.dose.machine_check import check_machine, check_text, write_check_report

    stored = import_machine(co60_reference_copy(tmp_path), MachineSetup("Cobalt A", "Co60"))
    check = check_machine(stored)
    assert check.passed and check.tmr and not check.edges
    # the reference copy: no difference anywhere
    assert max(abs(p.difference_percent) for p in (*check.pdd, *check.tmr)) < 1e-6
    text = check_text(check)
    assert "TMR x 100" in text and "profiles: none commissioned" in text
    written = write_check_report(check, stored, tmp_path / "report")
    assert [p.name for p in written] == ["check.txt", "pdd.png"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("pdd_template.csv", r"pdd_template\.csv, line 13: a gap from 0\.5 to 5 cm"),
        ("tpr_template.csv", r"tpr_template\.csv, line \d+: a gap from 0\.5 to 5 cm"),
        ("profiles_template.csv", "at least two depths and two field sizes"),
    ],
)
def test_the_templates_are_read_but_their_example_rows_are_too_few_to_import(template, message):
    from planning.dose.beam_data import BEAM_DATA_DIR
    from planning.dose.commissioning import read_measured_data

    path = BEAM_DATA_DIR / "templates" / template
    with pytest.raises(BeamDataError, match=message):
        read_measured_data([path], "Co60")


def test_the_scatter_templates_pass_their_own_checks():
    from planning.dose.beam_data import BEAM_DATA_DIR
    from planning.dose.commissioning import read_measured_data

    folder = BEAM_DATA_DIR / "templates"
    for name in ("scatter_template.csv", "scp_template.csv"):
        with pytest.raises(BeamDataError, match="no depth dose"):
            read_measured_data([folder / name], "6MV")


def test_replace_swaps_the_machine_whole(tmp_path, machines_folder):
    import_machine(co60_reference_copy(tmp_path), MachineSetup("Unit", "Co60"))
    files = [six_mv_pdd_csv(tmp_path), six_mv_scatter_csv(tmp_path)]
    with pytest.raises(BeamDataError):  # a refused replacement leaves the old machine
        import_machine([files[0]], MachineSetup("Unit", "6MV"), replace_existing=True)
    assert load_machine("Unit").setup.energy == "Co60"
    stored = import_machine(files, MachineSetup("Unit", "6MV"), replace_existing=True)
    assert stored.setup.energy == "6MV" and load_machine("Unit").setup.energy == "6MV"
    assert sorted(p.name for p in machines_folder.iterdir()) == ["Unit"]
    assert float(stored.model.pdd_percent(10.0, 10.0)) == pytest.approx(66.6, abs=0.1)
