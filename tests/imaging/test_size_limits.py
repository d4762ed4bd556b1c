"""A volume larger than the memory available is refused before any allocation (issue 14)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

import imaging
from imaging import loading
from imaging.errors import SeriesError
from tests.dicom_builders import write_series


def test_a_series_larger_than_the_memory_available_says_so(tmp_path: Path, monkeypatch) -> None:
    write_series(tmp_path / "s", shape=(4, 64, 64))
    monkeypatch.setattr(loading, "available_memory_bytes", lambda: 40_000)
    allocated: list[tuple] = []
    real_empty = np.empty
    monkeypatch.setattr(
        loading.np,
        "empty",
        lambda shape, *a, **k: allocated.append(shape) or real_empty(shape, *a, **k),
    )
    with pytest.raises(SeriesError, match=r"4 x 64 x 64 voxels need .* GiB of memory"):
        imaging.load_series(tmp_path / "s")
    assert (4, 64, 64) not in allocated


def test_a_header_claiming_a_huge_matrix_is_refused_before_allocation(tmp_path: Path) -> None:
    built = write_series(tmp_path / "s", shape=(2, 8, 8))
    for path in built.paths:
        ds = pydicom.dcmread(path)
        ds.Rows = ds.Columns = 65535
        ds.save_as(path, enforce_file_format=True)
    # the header's claim is checked against the file's length, before any pixel is read
    with pytest.raises(imaging.errors.NoDicomError, match=r"pixel data is \d+ bytes short"):
        imaging.load_series(tmp_path / "s")
