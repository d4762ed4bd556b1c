"""``spineplan pdd`` / ``spineplan profile``: the engine in water against the published data.

Expected values are computed here independently of planning.dose.beam_data: the CSV is parsed with
plain Python and interpolated by this file's own code (linear in field side, log-linear in
depth, renormalised at d_max; the Mayneord factor for another SSD).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from app import cli

TABLE = Path(__file__).resolve().parents[2] / "resources" / "beam_data" / "6mv_pdd_ssd100_tg71.csv"


def published_pdd(depth_cm: float, side_cm: float, ssd_cm: float = 100.0) -> float:
    rows = [r for r in TABLE.read_text().splitlines() if r and not r.startswith("#")]
    sides = [float(h[3:]) for h in rows[0].split(",")[1:]]
    table = [[float(v) for v in r.split(",")] for r in rows[1:]]
    depths = [r[0] for r in table]

    def at_side(row: list[float]) -> float:
        j = max(k for k in range(len(sides) - 1) if sides[k] <= side_cm)
        u = (side_cm - sides[j]) / (sides[j + 1] - sides[j])
        return (1 - u) * row[1 + j] + u * row[2 + j]

    i = max(k for k in range(len(depths) - 1) if depths[k] <= depth_cm)
    t = (depth_cm - depths[i]) / (depths[i + 1] - depths[i])
    value = math.exp((1 - t) * math.log(at_side(table[i])) + t * math.log(at_side(table[i + 1])))
    pdd = 100.0 * value / at_side(table[0])
    dm = depths[0]
    mayneord = ((ssd_cm + dm) / (100.0 + dm)) ** 2 * ((100.0 + depth_cm) / (ssd_cm + depth_cm)) ** 2
    return pdd * mayneord


def run_json(capsys, *argv: str) -> dict:
    assert cli.main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("field_cm", "ssd_cm"), [(7.5, 100.0), (12.5, 100.0), (18.0, 90.0)])
def test_engine_pdd_matches_published_data_between_table_points(capsys, field_cm, ssd_cm):
    depths = [2.25, 3.7, 6.2, 9.3, 11.3, 14.2, 17.5, 22.5]
    data = run_json(
        capsys,
        "pdd",
        "--energy",
        "6MV",
        "--field-cm",
        str(field_cm),
        "--ssd-cm",
        str(ssd_cm),
        "--depth-cm",
        ",".join(str(d) for d in depths),
    )
    assert data["energy"] == "6MV" and data["field_cm"] == field_cm and data["ssd_cm"] == ssd_cm
    assert [p["depth_cm"] for p in data["points"]] == depths
    for point in data["points"]:
        expected = published_pdd(point["depth_cm"], field_cm, ssd_cm)
        assert point["pdd_percent"] == pytest.approx(expected, rel=0.01), point


def test_pdd_normalised_at_the_maximum_and_default_ssd(capsys):
    data = run_json(capsys, "pdd", "--energy", "6mv", "--field-cm", "10", "--depth-cm", "0,1.5,5")
    assert data["ssd_cm"] == 100.0
    values = [p["pdd_percent"] for p in data["points"]]
    assert values[1] == pytest.approx(100.0, abs=0.2)
    assert values[0] < 30.0  # skin sparing
    assert values[2] == pytest.approx(published_pdd(5.0, 10.0), rel=0.01)


def test_pdd_table_output_is_readable(capsys):
    assert cli.main(["pdd", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "1.5,10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "SSD 100 cm" in out[0] and "depth_cm" in out[1]
    assert out[2].split() == ["1.50", "100.0"]
    assert float(out[3].split()[1]) == pytest.approx(published_pdd(10.0, 10.0), abs=0.15)


def test_profile_penumbra_matches_measured_six_mv_widths(capsys):
    # 6 MV 80-20 % penumbra of a 10 x 10 cm field, SSD 100 cm, measured TrueBeam golden beam
    # data (resources/beam_data/6mv_profiles_truebeam_gbd.csv): 0.54 cm at 1.5 cm depth,
    # 0.69 cm at 10 cm depth (tests/planning/test_beam_model_profiles.py checks 9 cases to 1 mm).
    shallow = run_json(
        capsys, "profile", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "1.5"
    )
    deep = run_json(
        capsys,
        "profile",
        "--energy",
        "6MV",
        "--field-cm",
        "10",
        "--depth-cm",
        "10",
        "--step-cm",
        "0.1",
    )
    assert shallow["penumbra_80_20_cm"] == pytest.approx(0.54, abs=0.05)
    assert deep["penumbra_80_20_cm"] == pytest.approx(0.69, abs=0.05)
    assert deep["depth_cm"] == 10.0 and deep["ssd_cm"] == 100.0
    points = deep["points"]
    centre = min(points, key=lambda p: abs(p["off_axis_cm"]))
    assert centre["dose_percent"] == pytest.approx(100.0, abs=0.01)
    # Field edge near the divergent half-width 5 * 110/100 = 5.5 cm, where the measured profile
    # reads 52.4 % (its 50 % point is at 5.53 cm).
    edge = [p for p in points if abs(p["off_axis_cm"] - 5.5) < 1e-6]
    assert edge and edge[0]["dose_percent"] == pytest.approx(52.4, abs=2.0)
    outside = [p for p in points if abs(p["off_axis_cm"]) > 7.0]
    assert outside and all(p["dose_percent"] < 1.0 for p in outside)


def test_profile_table_output(capsys):
    argv = ["profile", "--energy", "6MV", "--field-cm", "5", "--depth-cm", "5", "--step-cm", "1"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert "penumbra 80-20 %" in out[1] and "off_axis_cm" in out[2]
    assert any(line.split() == ["0.00", "100.0"] for line in out[3:])


@pytest.mark.parametrize("energy", ["Co60", "Co-60", "1.25MV"])
def test_a_machine_without_depth_dose_data_is_a_one_line_error(capsys, energy, cobalt_without_data):
    status = cli.main(["pdd", "--energy", energy, "--field-cm", "10"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1
    assert "co60_pdd_ssd80.csv" in err[0] and "Traceback" not in err[0]


def test_cobalt_pdd_comes_from_the_reference_beam_and_says_so(capsys):
    argv = ["pdd", "--energy", "Co60", "--field-cm", "10", "--depth-cm", "0.5,5,10", "--json"]
    assert cli.main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    pdd = {point["depth_cm"]: point["pdd_percent"] for point in document["points"]}
    assert document["ssd_cm"] == 80.0 and 0.3 <= document["dmax_cm"] <= 0.7
    assert 55.0 <= pdd[10.0] <= 59.0  # published Co-60 range, 10 x 10 cm, SSD 80 cm
    notes = " ".join(document["assumptions"])
    assert "REFERENCE Co-60 beam" in notes and "not the treating unit" in notes


def test_cobalt_profile_is_wider_than_6mv(capsys):
    widths = {}
    for energy in ("Co60", "6MV"):
        argv = ["profile", "--energy", energy, "--field-cm", "10", "--depth-cm", "5", "--json"]
        assert cli.main(argv) == 0
        widths[energy] = json.loads(capsys.readouterr().out)["penumbra_80_20_cm"]
    assert widths["Co60"] > widths["6MV"] + 0.2


@pytest.mark.parametrize(
    "argv",
    [
        ["pdd", "--energy", "18MV", "--field-cm", "10"],
        ["pdd", "--energy", "6MV", "--field-cm", "ten"],
        ["pdd", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "1,x"],
        ["pdd", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "-1"],
        ["pdd", "--energy", "6MV", "--field-cm", "100"],
        ["pdd", "--energy", "6MV", "--field-cm", "10", "--ssd-cm", "nan"],
        ["profile", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "55"],
        ["profile", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "5", "--step-cm", "0"],
    ],
)
def test_bad_arguments_give_one_line_and_status_2(capsys, argv):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("spineplan: error:")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["pdd", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "1,,2"], ("empty entry",)),
        (["pdd", "--energy", "18MV", "--field-cm", "10"], ("--energy: ", "18MV")),
        (["profile", "--energy", "18MV", "--field-cm", "10", "--depth-cm", "5"], ("--energy: ",)),
        (["pdd", "--energy", "6MV", "--field-cm", "10", "--depth-cm", "1,-3"], ("depth -3 cm",)),
    ],
)
def test_bad_values_are_named_not_skipped(capsys, argv, words):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1
    for word in words:
        assert word in err[0]
