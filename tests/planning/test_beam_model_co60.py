"""Cobalt-60 beam model: the reference beam's TPR-derived depth dose, table discovery, engine.

The shipped Co-60 data are measured TPR and total scatter factors of a reference Co-60 head
(resources/beam_data/README.md). The depth dose derived from them is checked against an
independent hand computation of Khan's relation from the CSV files themselves, against the
published range for Co-60 (PDD(10 cm) of about 55-59 % for 10 x 10 cm at SSD 80 cm), and the
engine against the derived table between its points.
"""

from __future__ import annotations

import itertools
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from planning.dose import beam_data
from planning.dose.beam_data import BeamDataError, load_table_2d
from planning.dose.beam_model import MACHINES, BeamModel, beam_model, geometric_penumbra_cm
from planning.dose.phantom import engine_depth_dose, engine_profile
from planning.dose.tpr_depth_dose import pdd_table_from_tpr
from planning.errors import PlanningError

STAND_IN = "6mv_pdd_ssd100_tg71.csv"
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "resources" / "beam_data"


def cobalt_model() -> BeamModel:
    """The shipped Co-60 model: the reference beam."""
    return beam_model("Co60")


def read_csv(name: str) -> tuple[list[str], list[list[float]]]:
    rows = [
        line.split(",")
        for line in (SHIPPED_DIR / name).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return rows[0], [[float(v) for v in row] for row in rows[1:]]


def hand_pdd(depth_cm: float, side_cm: float, ssd_cm: float = 80.0) -> float:
    """Khan's PDD from TPR, computed here from the CSV files at tabulated depths (no table
    interpolation in depth): PDD = 100 TMR(d, r_d) Scp(r_d)/Scp(r_dm) ((f + d_m)/(f + d))^2."""
    header, tpr = read_csv("co60_tpr_viewray.csv")
    sides = [float(h[2:]) for h in header[1:]]
    by_depth = {row[0]: row[1:] for row in tpr}
    dmax = tpr[0][0]
    _, scp = read_csv("co60_scp_viewray.csv")
    scp_sides, scp_values = [r[0] for r in scp], [r[1] for r in scp]
    side_d = side_cm * (ssd_cm + depth_cm) / ssd_cm
    side_m = side_cm * (ssd_cm + dmax) / ssd_cm
    tmr = float(np.interp(side_d, sides, by_depth[depth_cm])) / float(
        np.interp(side_d, sides, by_depth[dmax])
    )
    ratio = float(np.interp(side_d, scp_sides, scp_values)) / float(
        np.interp(side_m, scp_sides, scp_values)
    )
    return 100.0 * tmr * ratio * ((ssd_cm + dmax) / (ssd_cm + depth_cm)) ** 2


def expected_pdd(model: BeamModel, depth_cm: float, side_cm: float, ssd_cm: float) -> float:
    """Independent hand interpolation of the model's table (linear in side, log-linear in depth,
    renormalised at the first row) with the Mayneord factor from the table's SSD (80 cm)."""
    table = model.pdd_table
    rows, sides, values = list(table.rows), list(table.columns), table.values

    def at_side(i: int) -> float:
        j = max(k for k in range(len(sides) - 1) if sides[k] <= side_cm)
        u = (side_cm - sides[j]) / (sides[j + 1] - sides[j])
        return (1 - u) * float(values[i, j]) + u * float(values[i, j + 1])

    i = max(k for k in range(len(rows) - 1) if rows[k] <= depth_cm)
    t = (depth_cm - rows[i]) / (rows[i + 1] - rows[i])
    value = math.exp((1 - t) * math.log(at_side(i)) + t * math.log(at_side(i + 1)))
    f, dm = model.machine.reference_ssd_cm, rows[0]
    mayneord = ((ssd_cm + dm) / (f + dm)) ** 2 * ((f + depth_cm) / (ssd_cm + depth_cm)) ** 2
    return 100.0 * value / at_side(0) * mayneord


@pytest.fixture
def beam_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty beam-data folder in place of resources/beam_data (tables cached per name)."""
    monkeypatch.setattr(beam_data, "BEAM_DATA_DIR", tmp_path)
    caches = (load_table_2d, beam_data.load_columns, pdd_table_from_tpr)
    for cached in caches:
        cached.cache_clear()
    yield tmp_path
    for cached in caches:
        cached.cache_clear()


@pytest.mark.parametrize("side_cm", [5.0, 10.0, 20.0])
@pytest.mark.parametrize("depth_cm", [2.0, 5.0, 10.0, 20.0])
def test_cobalt_pdd_is_khans_relation_on_the_measured_data(depth_cm: float, side_cm: float) -> None:
    model = cobalt_model()
    assert model.has_depth_dose and model.dmax_cm == 0.5
    value = float(model.pdd_percent(depth_cm, side_cm))
    assert value == pytest.approx(hand_pdd(depth_cm, side_cm), rel=0.003)


def test_cobalt_depth_dose_is_in_the_published_range_and_deeper_for_larger_fields() -> None:
    curves = {
        side: engine_depth_dose("Co60", side, 80.0, [0.2, 0.5, 1.0, 10.0]) for side in (5, 10, 20)
    }
    ten = curves[10]
    assert 0.3 <= ten.dmax_cm <= 0.7
    assert 55.0 <= ten.pdd_percent[3] <= 59.0
    assert curves[5].pdd_percent[3] < ten.pdd_percent[3] < curves[20].pdd_percent[3]
    assert any("REFERENCE Co-60 beam" in note for note in ten.assumptions)


def test_cobalt_penumbra_is_wider_than_6mv() -> None:
    cobalt = engine_profile("Co60", 10.0, 80.0, 5.0)
    linac = engine_profile("6MV", 10.0, 100.0, 5.0)
    assert cobalt.penumbra_80_20_cm > linac.penumbra_80_20_cm + 0.2


def test_the_phantom_scatter_assumption_moves_pdd_by_little() -> None:
    """Sp(r_d)/Sp(r_dm) is taken from Scp; with the ratio set to 1 instead (the other bound)."""
    table = cobalt_model().pdd_table
    i, j = list(table.rows).index(10.0), list(table.columns).index(10.0)
    without_ratio = hand_pdd(10.0, 10.0) / (
        float(np.interp(11.25, *zip(*read_csv("co60_scp_viewray.csv")[1], strict=True)))
        / float(np.interp(10.0625, *zip(*read_csv("co60_scp_viewray.csv")[1], strict=True)))
    )
    assert abs(table.values[i, j] - without_ratio) / without_ratio < 0.015


def test_a_machine_without_any_data_refuses_dose(cobalt_without_data) -> None:
    model = beam_model("Co60")
    assert not model.has_depth_dose
    with pytest.raises(BeamDataError, match=r"co60_pdd_ssd80\.csv.*README"):
        model.pdd_percent(5.0, 10.0)
    with pytest.raises(PlanningError, match=r"co60_pdd_ssd80\.csv"):
        engine_depth_dose("Co60", 10.0, 80.0, [5.0])
    with pytest.raises(PlanningError, match=r"co60_pdd_ssd80\.csv"):
        engine_profile("Co60", 10.0, 80.0, 5.0)


def test_a_table_named_after_its_source_is_found(beam_data_dir: Path) -> None:
    shutil.copy(SHIPPED_DIR / STAND_IN, beam_data_dir / "co60_pdd_ssd80_standin.csv")
    model = beam_model("Co-60")
    assert model.has_depth_dose
    assert model.pdd_table.path.name == "co60_pdd_ssd80_standin.csv"
    assert beam_data.resolve_table_name("co60_pdd_ssd80.csv") == "co60_pdd_ssd80_standin.csv"
    # The exact configured name wins over a source-suffixed one.
    shutil.copy(beam_data_dir / "co60_pdd_ssd80_standin.csv", beam_data_dir / "co60_pdd_ssd80.csv")
    assert beam_data.resolve_table_name("co60_pdd_ssd80.csv") == "co60_pdd_ssd80.csv"


def test_two_source_named_tables_are_refused_as_ambiguous(beam_data_dir: Path) -> None:
    for name in ("co60_pdd_ssd80_a.csv", "co60_pdd_ssd80_b.csv"):
        (beam_data_dir / name).write_text("# Source: test\ndepth_cm,sq_5\n0.5,100\n5,80\n")
    with pytest.raises(BeamDataError, match=r"several tables.*co60_pdd_ssd80_a\.csv"):
        _ = beam_model("Co60").pdd_table
    assert beam_model("6MV").machine.pdd_table == "6mv_pdd_ssd100_tg71.csv"


def test_missing_table_keeps_naming_the_configured_file(beam_data_dir: Path) -> None:
    with pytest.raises(BeamDataError, match=r"co60_pdd_ssd80\.csv is missing"):
        _ = beam_model("Co60").pdd_table


@pytest.mark.parametrize(("side_cm", "ssd_cm"), [(7.5, 80.0), (12.5, 80.0), (9.0, 100.0)])
def test_engine_reproduces_the_cobalt_table_between_points(side_cm: float, ssd_cm: float) -> None:
    model = cobalt_model()
    rows = model.pdd_table.rows
    # Midway between tabulated depths, down to 20 cm.
    depths = [float(a + b) / 2.0 for a, b in itertools.pairwise(rows) if b <= 20.0]
    curve = engine_depth_dose("Co60", side_cm, ssd_cm, depths, model=model)
    assert curve.energy == "Co60" and curve.ssd_cm == ssd_cm
    for depth, value in zip(depths, curve.pdd_percent, strict=True):
        assert value == pytest.approx(expected_pdd(model, depth, side_cm, ssd_cm), rel=0.01), depth


def test_cobalt_profile_edge_follows_divergence_from_the_80_cm_source() -> None:
    profile = engine_profile("Co60", 10.0, 80.0, 5.0, model=cobalt_model())
    # 50 % width = field at the surface projected to 5 cm depth: 10 x 85 / 80 cm.
    assert profile.field_width_50_cm == pytest.approx(10.0 * 85.0 / 80.0, abs=0.1)
    centre = int(np.argmin(np.abs(profile.off_axis_cm)))
    assert profile.dose_percent[centre] == pytest.approx(100.0)
    # The modelled edge is never sharper than the geometric penumbra of the configured source
    # (Khan's P = s (SSD + d - SDD) / SDD; a uniform disc source's edge spread rises from 20 % to
    # 80 % over 0.49 P -- the chord-length distribution of a disc, computed for this test).
    machine = MACHINES["Co60"]
    geometric = float(
        geometric_penumbra_cm(machine.source_diameter_cm, 80.0, 5.0, machine.source_to_diaphragm_cm)
    )
    assert profile.penumbra_80_20_cm > 0.49 * geometric
