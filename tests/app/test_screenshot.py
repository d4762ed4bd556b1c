"""`spineplan PATH --screenshot OUT.png` renders the window headless and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from app.gui import sample_case_path
from tests.app.conftest import write_study

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def test_screenshot_of_a_study_shows_the_images(tmp_path):
    study = write_study(tmp_path / "study")
    out = tmp_path / "shot.png"
    result = run_cli(str(study.folder), "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)
    # the image area holds bright pixels (the phantom's cord), not just the dark theme
    bright = sum(
        QColor(image.pixel(x, y)).lightness() > 200
        for x in range(300, 1300, 10)
        for y in range(100, 900, 10)
    )
    assert bright > 100


def test_screenshot_of_a_bad_path_is_one_line_and_status_2(tmp_path):
    result = run_cli(str(tmp_path / "missing"), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"spineplan: error: {tmp_path / 'missing'}: no such file or folder"
    ]
    assert not (tmp_path / "x.png").exists()


def test_screenshot_of_a_folder_without_images_says_why(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not dicom")
    result = run_cli(str(empty), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spineplan: error:")


def test_sample_case_is_found_next_to_the_package():
    assert sample_case_path() == REPO / "sample_dicom" / "case1"


def test_without_a_path_the_sample_case_opens(tmp_path):
    out = tmp_path / "sample.png"
    result = run_cli("--screenshot", str(out))
    if sample_case_path().exists():
        assert result.returncode == 0, result.stderr
        assert QImage(str(out)).width() == 1600
    else:
        assert result.returncode == 2
        assert "sample case was not found" in result.stderr


def test_screenshot_of_series_that_cannot_form_a_volume_names_the_file(tmp_path):
    import pydicom

    study = write_study(tmp_path / "study")
    for path in Path(study.folder).rglob("*"):
        if path.is_file():
            ds = pydicom.dcmread(path)
            del ds.ImagePositionPatient
            ds.save_as(path)
    out = tmp_path / "x.png"
    result = run_cli(str(study.folder), "--screenshot", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "lacks ImagePositionPatient" in lines[0], result.stderr
    assert "see Messages" not in lines[0]
    assert not out.exists()


def test_screenshot_of_a_case_on_other_images_is_written_but_fails(tmp_path):
    import json

    case_file = REPO / "sample_dicom" / "case2" / "reference.spineplan.json"
    case = json.loads(case_file.read_text())
    case["study"]["path"] = str(case_file.parent)
    case["study"]["frame_of_reference_uid"] = "1.2.3.4"
    edited = tmp_path / "other.spineplan.json"
    edited.write_text(json.dumps(case))
    out = tmp_path / "x.png"
    result = run_cli(str(edited), "--screenshot", str(out))
    assert result.returncode == 1
    assert "study.frame_of_reference_uid: 1.2.3.4 does not match the images" in result.stderr
    assert QImage(str(out)).width() == 1600
