"""A numeric attribute that does not read as a number is refused, naming file and attribute.

Issue 14, item 1: ``RescaleIntercept = -1O24`` (letter O) used to be dropped silently, so a CT
loaded 1024 HU too high with its units still "HU". No clinical number may be guessed.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.dataelem import RawDataElement

import imaging
from imaging.dicom_headers import read_image_header
from imaging.errors import UnreadableFileError
from tests.dicom_builders import write_series


def _with_raw_value(path: Path, keyword: str, text: str) -> None:
    """Store ``text`` as the attribute's value bytes, as a broken writer would (pydicom itself
    refuses to encode it, so the element is written raw)."""
    ds = pydicom.dcmread(path)
    tag = ds[keyword].tag
    value = text.encode("ascii")
    value += b" " * (len(value) % 2)
    ds[tag] = RawDataElement(tag, "DS", len(value), value, 0, False, True)
    ds.save_as(path, enforce_file_format=True)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("RescaleIntercept", "-1O24"),
        ("RescaleSlope", "1,0"),
        ("PixelSpacing", "0.8\\O.7"),
        ("ImagePositionPatient", "-10\\2O\\30"),
        ("SliceThickness", "3mm"),
    ],
)
@pytest.mark.parametrize("fast", [True, False])
def test_a_value_that_is_not_a_number_names_file_and_attribute(
    tmp_path: Path, keyword: str, text: str, fast: bool
) -> None:
    built = write_series(
        tmp_path / "ct", shape=(3, 8, 8), modality="CT", rescale_slope=1.0,
        rescale_intercept=-1024.0, SliceThickness="3",
    )  # fmt: skip
    broken = built.paths[1]
    _with_raw_value(broken, keyword, text)
    with pytest.raises(UnreadableFileError) as raised:
        read_image_header(broken, fast=fast)
    message = str(raised.value)
    assert broken.name in message and keyword in message and text in message


def test_a_study_with_a_bad_intercept_does_not_load_shifted(tmp_path: Path) -> None:
    built = write_series(
        tmp_path / "ct", shape=(3, 8, 8), modality="CT", rescale_slope=1.0,
        rescale_intercept=-1024.0,
    )  # fmt: skip
    for path in built.paths:
        _with_raw_value(path, "RescaleIntercept", "-1O24")
    with pytest.raises(imaging.errors.SpineplanError, match=r"RescaleIntercept.*-1O24"):
        imaging.load_series(tmp_path / "ct")


def test_a_bad_window_preset_is_only_a_display_loss(tmp_path: Path) -> None:
    built = write_series(tmp_path / "mr", shape=(2, 8, 8), window=(300.0, 600.0))
    for path in built.paths:
        _with_raw_value(path, "WindowCenter", "3OO")
    volume = imaging.load_series(tmp_path / "mr")
    assert volume.array.shape == (2, 8, 8)
