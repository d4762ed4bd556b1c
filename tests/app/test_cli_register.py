"""``spineplan register``: exit statuses 0/1/2, JSON keys, point parsing, warnings, no debris."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app import cli
from imaging.spatial_registration import read_spatial_registration
from tests.registration_phantoms import PairSpec, PhantomPair, build_pair, write_pair

# The CT one level off the naive start, and one whose automatic result is ambiguous (the
# level above scores within the ambiguity gap).
CLEAR = PairSpec(
    "t10", case_number=3, rotation_deg=(2.0, -3.0, 1.5), table_offset_mm=(5, 120, -700)
)
AMBIGUOUS = PairSpec(
    "t9",
    case_number=2,
    rotation_deg=(-4.0, 2.0, -3.0),
    table_offset_mm=(-12, 60, 350),
    ct_centre_levels=-2,
)


class Written:
    def __init__(self, pair: PhantomPair, folder: Path) -> None:
        self.pair = pair
        self.folder = folder
        self.mr = folder / "MR"
        self.ct = folder / "CT"

    @property
    def region_option(self) -> str:
        low, high = self.pair.region.lower_mm, self.pair.region.upper_mm
        return "--region-mm=" + ":".join(",".join(f"{v:g}" for v in c) for c in (low, high))

    def point_option(self, off_mm: tuple[float, float, float] = (4.0, -3.0, 5.0)) -> str:
        moving = self.pair.body_centre_moving_mm
        fixed = self.pair.body_centre_fixed_mm + np.asarray(off_mm)
        return "--init-points=" + ":".join(",".join(f"{v:.2f}" for v in p) for p in (moving, fixed))


@pytest.fixture(scope="module")
def clear(tmp_path_factory: pytest.TempPathFactory) -> Written:
    folder = tmp_path_factory.mktemp("clear")
    pair = build_pair(CLEAR)
    write_pair(pair, folder)
    return Written(pair, folder)


@pytest.fixture(scope="module")
def other_patient(tmp_path_factory: pytest.TempPathFactory, clear: Written) -> Written:
    folder = tmp_path_factory.mktemp("other")
    write_pair(clear.pair, folder, ct_patient_id="SOMEONE_ELSE")
    return Written(clear.pair, folder)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_point_pair_registers_with_exit_0_and_json(
    clear: Written, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reg.dcm"
    argv = ["register", str(clear.mr), str(clear.ct), "--out", str(out), "--json"]
    status, stdout, stderr = run([*argv, clear.point_option(), clear.region_option], capsys)
    assert status == 0, stderr
    data = json.loads(stdout)
    for key in (
        "matrix_moving_to_fixed",
        "moving_frame_of_reference_uid",
        "fixed_frame_of_reference_uid",
        "metric",
        "ambiguous",
        "warnings",
        "quality",
        "alternatives",
    ):
        assert key in data
    matrix = np.array(data["matrix_moving_to_fixed"])
    assert matrix.shape == (4, 4)
    assert data["ambiguous"] is False
    assert data["warnings"] == []
    tre = clear.pair.tre_mm(matrix)
    print(f"CLI, one point pair: TRE {tre:.2f} mm")
    assert tre <= 2.0
    stored = read_spatial_registration(
        out,
        moving_frame_of_reference_uid=data["moving_frame_of_reference_uid"],
        fixed_frame_of_reference_uid=data["fixed_frame_of_reference_uid"],
    )
    assert np.allclose(stored, matrix, atol=1e-5)


def test_text_output(clear: Written, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reg.dcm"
    argv = ["register", str(clear.mr / "IM0000.dcm"), str(clear.ct), "--out", str(out)]
    status, stdout, _ = run([*argv, clear.point_option((0, 0, 0)), clear.region_option], capsys)
    assert status == 0
    assert stdout.startswith("matrix (MR LPS mm -> CT LPS mm):")
    assert f"wrote {out}" in stdout


def test_ambiguous_level_exits_1_with_alternatives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = Written(build_pair(AMBIGUOUS), tmp_path / "study")
    write_pair(written.pair, written.folder)
    out = tmp_path / "reg.dcm"
    argv = ["register", str(written.mr), str(written.ct), "--out", str(out), "--json"]
    status, stdout, stderr = run([*argv, written.region_option], capsys)
    data = json.loads(stdout)
    print(
        f"CLI automatic: TRE {written.pair.tre_mm(np.array(data['matrix_moving_to_fixed'])):.2f}"
        f" mm, ambiguous={data['ambiguous']}"
    )
    assert status == 1
    assert data["ambiguous"] is True
    assert data["alternatives"] and "offset_mm" in data["alternatives"][0]
    assert "ambiguous" in stderr
    assert out.exists()


@pytest.mark.parametrize(
    "points",
    ["1,2:3,4,5", "a,b,c:1,2,3", "1,2,3", "1,2,3:4,5,6:7,8,9", "1,2,nan:3,4,5", "1,2,inf:3,4,5"],
)
def test_bad_init_points_exit_2_with_one_line(
    clear: Written, tmp_path: Path, capsys: pytest.CaptureFixture[str], points: str
) -> None:
    out = tmp_path / "reg.dcm"
    argv = ["register", str(clear.mr), str(clear.ct), "--out", str(out)]
    status, _, stderr = run([*argv, f"--init-points={points}"], capsys)
    assert status == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "--init-points" in stderr
    assert not out.exists()


def test_several_series_need_a_number(
    clear: Written, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reg.dcm"
    status, _, stderr = run(
        ["register", str(clear.folder), str(clear.ct), "--out", str(out)], capsys
    )
    assert status == 2
    assert "--moving-series" in stderr and "#5" in stderr and "#101" in stderr
    argv = ["register", str(clear.folder), str(clear.folder), "--out", str(out)]
    status, _, stderr = run([*argv, "--moving-series", "5", "--fixed-series", "7"], capsys)
    assert status == 2
    assert "no series number 7" in stderr
    status, _, stderr = run(
        [
            *argv,
            "--moving-series",
            "5",
            "--fixed-series",
            "101",
            clear.point_option(),
            clear.region_option,
        ],
        capsys,
    )
    assert status == 0, stderr


def test_different_patient_id_warns(
    other_patient: Written, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reg.dcm"
    argv = ["register", str(other_patient.mr), str(other_patient.ct), "--out", str(out), "--json"]
    status, stdout, stderr = run(
        [*argv, other_patient.point_option(), other_patient.region_option], capsys
    )
    assert status == 0
    data = json.loads(stdout)
    assert any("PatientID" in w and "SOMEONE_ELSE" in w for w in data["warnings"])
    assert "PatientID" in stderr


def test_nothing_left_behind_on_error(
    clear: Written, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "reg.dcm"
    argv = ["register", str(clear.mr), str(clear.ct), "--out", str(out)]
    status, _, stderr = run([*argv, "--region-mm=-inf,-inf,9000:inf,inf,9100"], capsys)
    assert status == 2
    assert "region" in stderr
    assert list(folder.iterdir()) == []
    status, _, stderr = run(
        ["register", str(clear.mr), str(clear.ct), "--out", str(tmp_path / "no" / "r.dcm")],
        capsys,
    )
    assert status == 2 and "does not exist" in stderr
    status, _, stderr = run(["register", str(clear.mr), str(clear.mr), "--out", str(out)], capsys)
    assert status == 2 and "share the frame of reference" in stderr
    assert list(folder.iterdir()) == []
