"""Cobalt-60 beam model: refusal without published data, table discovery, engine vs. table.

No published Co-60 depth-dose table is shipped (resources/beam_data/README.md records both
searches). Until one is, the engine must refuse Co-60 dose; the tests that exercise the Co-60
geometry (SSD/SAD 80 cm, Mayneord conversion, divergence) run on a clearly labelled STAND-IN
table -- the shipped 6 MV numbers -- which checks the code path only, never the physics of a
cobalt beam. When a real ``co60_pdd_ssd80*.csv`` is added, the same comparisons run on it.
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
from planning.errors import PlanningError

STAND_IN = "6mv_pdd_ssd100_tg71.csv"
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "resources" / "beam_data"
COBALT_SHIPPED = any(SHIPPED_DIR.glob("co60_pdd_ssd80*.csv"))


def cobalt_model() -> BeamModel:
    """The shipped Co-60 model when a table exists, else Co-60 geometry on the stand-in table."""
    if COBALT_SHIPPED:
        return beam_model("Co60")
    return BeamModel(MACHINES["Co60"], pdd_table_override=load_table_2d(STAND_IN))


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
    load_table_2d.cache_clear()
    yield tmp_path
    load_table_2d.cache_clear()


@pytest.mark.skipif(COBALT_SHIPPED, reason="a Co-60 depth-dose table is shipped")
def test_cobalt_dose_is_refused_while_no_published_table_is_shipped() -> None:
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
