"""The fast header reader gives exactly what pydicom gives, or steps aside for pydicom."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from imaging.dicom_headers import HEADER_KEYWORDS, ImageFileHeader, read_image_header
from imaging.errors import ImagingError
from imaging.raw_header import read_raw_header
from tests.dicom_builders import write_enhanced_mr, write_raw_dataset, write_series

PYDICOM_TEST_FILES = Path(pydicom.data.__file__).parent / "test_files"


def both_ways(path: Path) -> tuple[ImageFileHeader | str, ImageFileHeader | str]:
    """The header read fast and with pydicom (or the error type each raised)."""

    def read(fast: bool) -> ImageFileHeader | str:
        try:
            return read_image_header(path, fast=fast)
        except ImagingError as error:
            return type(error).__name__

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the odd test file
        return read(True), read(False)


def used_fast_reader(path: Path) -> bool:
    with open(path, "rb") as file:
        return read_raw_header(file, os.path.getsize(path), []) is not None


@pytest.fixture(scope="module")
def built_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("raw_header")
    files = {}
    for name, options in {
        "explicit": {},
        "implicit": {"transfer_syntax_uid": ImplicitVRLittleEndian},
        "rle": {"transfer_syntax_uid": RLELossless},
        "jpeg_ls": {"transfer_syntax_uid": JPEGLSLossless},
        "jpeg_2000": {"transfer_syntax_uid": JPEG2000Lossless},
        "deflated": {"transfer_syntax_uid": DeflatedExplicitVRLittleEndian},
        "no_preamble": {"preamble": False},
        "ct_window": {"modality": "CT", "rescale_intercept": -1024.0, "window": (40.0, 400.0)},
        "utf8": {"SpecificCharacterSet": "ISO_IR 192", "PatientName": "Müller^Jürgen"},
    }.items():
        built = write_series(root / name, shape=(1, 32, 32), orientation="sagittal", **options)
        files[name] = built.paths[0]
    raw = root / "raw_no_meta"
    write_raw_dataset(pydicom.dcmread(files["explicit"]), raw)
    files["raw_no_meta"] = raw
    files["enhanced"] = write_enhanced_mr(root / "enhanced.dcm", shape=(3, 8, 8)).paths[0]
    return files


FAST = [
    "explicit",
    "implicit",
    "rle",
    "jpeg_ls",
    "jpeg_2000",
    "no_preamble",
    "ct_window",
    "utf8",
    "raw_no_meta",
]
PYDICOM_ONLY = ["deflated", "enhanced"]


@pytest.mark.parametrize("name", FAST + PYDICOM_ONLY)
def test_same_header_as_pydicom(built_files: dict[str, Path], name: str) -> None:
    fast, slow = both_ways(built_files[name])
    assert isinstance(fast, ImageFileHeader)
    assert fast == slow
    assert used_fast_reader(built_files[name]) == (name in FAST)


def test_header_keywords_are_all_known() -> None:
    from pydicom.datadict import tag_for_keyword

    assert all(tag_for_keyword(keyword) for keyword in HEADER_KEYWORDS)


@pytest.mark.skipif(not PYDICOM_TEST_FILES.is_dir(), reason="pydicom's test files not installed")
def test_same_as_pydicom_on_pydicom_test_files() -> None:
    """pydicom's own collection of odd files: every outcome matches, header or error type."""
    files = sorted(p for p in PYDICOM_TEST_FILES.rglob("*") if p.is_file())
    assert len(files) > 50
    mismatches = []
    for path in files:
        fast, slow = both_ways(path)
        if fast != slow:
            mismatches.append(path.name)
    assert mismatches == []
