"""Malformed input reaches the user as the documented error, naming the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.uid import RLELossless

import imaging
from imaging.errors import NoDicomError, SeriesError, UnreadableFileError
from tests.dicom_builders import (
    write_garbage_file,
    write_series,
    write_text_file,
    write_truncated_copy,
    write_without,
)


def test_truncated_file_named_explicitly(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(1, 32, 32))
    broken = write_truncated_copy(built.paths[0], tmp_path / "broken.dcm", keep_fraction=0.8)
    with pytest.raises(UnreadableFileError, match=r"broken\.dcm: truncated file"):
        imaging.load_series(broken)


def test_truncated_header_named_explicitly(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(1, 8, 8))
    broken = write_truncated_copy(built.paths[0], tmp_path / "cut.dcm", keep_fraction=0.2)
    with pytest.raises(UnreadableFileError, match=r"cut\.dcm"):
        imaging.load_series(broken)


def test_truncated_compressed_pixel_data(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(1, 32, 32), transfer_syntax_uid=RLELossless)
    broken = write_truncated_copy(built.paths[0], tmp_path / "rle.dcm", keep_fraction=0.9)
    with pytest.raises(UnreadableFileError, match=r"rle\.dcm"):
        imaging.load_series(broken)


def test_garbage_and_text_files_named_explicitly(tmp_path: Path) -> None:
    for path in (write_garbage_file(tmp_path / "x.dcm"), write_text_file(tmp_path / "y.txt")):
        with pytest.raises(UnreadableFileError, match=rf"{path.name}: not a DICOM file"):
            imaging.load_series(path)


def test_folder_of_corrupt_files(tmp_path: Path) -> None:
    built = write_series(tmp_path / "src", shape=(2, 16, 16))
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for index, path in enumerate(built.paths):
        write_truncated_copy(path, corrupt / f"{index}.dcm", keep_fraction=0.1)
    write_garbage_file(corrupt / "junk")
    with pytest.raises(NoDicomError, match=r"corrupt: no DICOM images found \(3 files skipped"):
        imaging.load_series(corrupt)


@pytest.mark.parametrize(
    "missing", ["ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"]
)
def test_missing_geometry_tag(tmp_path: Path, missing: str) -> None:
    built = write_series(tmp_path, shape=(3, 8, 8), series_description="T2 SAG")
    write_without(built.paths[1], built.paths[1], missing)
    info = imaging.discover(tmp_path).series[0]
    assert missing in info.error
    # no grid, but the matrix it holds is still known (and written as before in --json)
    assert info.geometry is None and info.shape == (3, 8, 8)
    assert info.to_json()["spacing_mm"] == [0.0, 0.0, 0.0]
    with pytest.raises(SeriesError, match=rf"'T2 SAG'.*IM0001\.dcm lacks {missing}"):
        imaging.load_series(tmp_path)


def test_missing_pixel_data(tmp_path: Path) -> None:
    built = write_series(tmp_path, shape=(2, 8, 8))
    write_without(built.paths[0], built.paths[0], "PixelData")
    with pytest.raises(SeriesError, match=r"IM0000\.dcm lacks PixelData"):
        imaging.load_series(tmp_path)


def test_mixed_matrix_sizes_in_explicit_file_list(tmp_path: Path) -> None:
    # Files named explicitly with one UID but two matrix sizes: discovery splits them;
    # the largest part loads and its warning names the problem.
    big = write_series(tmp_path, shape=(3, 8, 8), file_prefix="A")
    small = write_series(
        tmp_path,
        shape=(1, 6, 6),
        file_prefix="B",
        series_instance_uid=big.series_instance_uid,
        study_instance_uid=big.study_instance_uid,
    )
    volume = imaging.load_series([*big.paths, *small.paths])
    assert volume.shape == (3, 8, 8)
    assert any("matrix sizes" in w for w in volume.warnings)


def test_colour_images_are_refused(tmp_path: Path) -> None:
    import numpy as np

    built = write_series(tmp_path, shape=(1, 4, 4))
    ds = pydicom.dcmread(built.paths[0])
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelData = np.zeros((4, 4, 3), np.uint8).tobytes()
    ds.save_as(built.paths[0], enforce_file_format=True)
    with pytest.raises(SeriesError, match="colour image"):
        imaging.load_series(tmp_path)


def test_discovery_reads_headers_only_and_decoding_names_the_file(tmp_path: Path) -> None:
    built = write_series(tmp_path, shape=(3, 32, 32), transfer_syntax_uid=RLELossless)
    # Corrupt the compressed stream of one file, keeping its length: headers stay valid.
    data = bytearray(built.paths[1].read_bytes())
    data[-200:-8] = bytes(192)
    built.paths[1].write_bytes(bytes(data))

    info = imaging.discover(tmp_path).series[0]  # pixel data is never decoded here
    assert info.shape == (3, 32, 32) and not info.error
    with pytest.raises(UnreadableFileError, match=r"IM0001\.dcm: cannot decode pixel data \(RLE"):
        imaging.load_series(info)
