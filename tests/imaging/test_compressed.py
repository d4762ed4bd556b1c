"""Every compressed transfer syntax decodes to the known array (lossless exactly, lossy closely)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

import imaging
from tests.data.make_dcmtk_samples import OUTPUT as DCMTK_SAMPLES
from tests.data.make_dcmtk_samples import SAMPLES as DCMTK_RECIPES
from tests.dicom_builders import write_series

#: syntax -> (encoder options, largest allowed |error| in stored units)
PYDICOM_ENCODED = {
    ImplicitVRLittleEndian: ({}, 0),
    DeflatedExplicitVRLittleEndian: ({}, 0),
    RLELossless: ({}, 0),
    JPEGLSLossless: ({}, 0),
    JPEGLSNearLossless: ({"jls_error": 3}, 3),
    JPEG2000Lossless: ({}, 0),
    JPEG2000: ({"j2k_cr": [5]}, 20),
}


@pytest.mark.parametrize("syntax", list(PYDICOM_ENCODED), ids=lambda uid: uid.name)
def test_pydicom_encoded_syntax_decodes(tmp_path: Path, syntax: pydicom.uid.UID) -> None:
    options, tolerance = PYDICOM_ENCODED[syntax]
    built = write_series(
        tmp_path,
        shape=(3, 32, 32),
        orientation="sagittal",
        transfer_syntax_uid=syntax,
        compress_options=options,
        instance_numbers=[2, 3, 1],
    )
    assert pydicom.dcmread(built.paths[0]).file_meta.TransferSyntaxUID == syntax
    volume = imaging.load_series(tmp_path)
    np.testing.assert_allclose(volume.affine, built.affine, atol=1e-5)
    error = np.abs(volume.array.astype(float) - built.array)
    assert error.max() <= tolerance
    if tolerance:
        assert error.mean() < tolerance


@pytest.mark.parametrize("name", list(DCMTK_RECIPES))
def test_dcmtk_jpeg_sample_decodes(tmp_path: Path, name: str) -> None:
    _, syntax, keywords = DCMTK_RECIPES[name]
    reference = write_series(tmp_path, **keywords)  # type: ignore[arg-type]
    folder = DCMTK_SAMPLES / name
    assert pydicom.dcmread(next(folder.iterdir())).file_meta.TransferSyntaxUID == syntax

    volume = imaging.load_series(folder)
    np.testing.assert_allclose(volume.affine, reference.affine, atol=1e-5)
    error = np.abs(volume.array.astype(float) - reference.array)
    if name == "jpeg_baseline":  # lossy, 8 bit
        assert error.max() <= 8 and error.mean() < 2
    else:
        assert error.max() == 0


def test_multiframe_compressed(tmp_path: Path) -> None:
    from tests.dicom_builders import write_enhanced_mr

    built = write_enhanced_mr(tmp_path / "mf.dcm", shape=(4, 12, 10), frame_order=[2, 0, 3, 1])
    ds = pydicom.dcmread(built.paths[0])
    ds.compress(RLELossless, generate_instance_uid=False)
    ds.save_as(tmp_path / "mf.dcm", enforce_file_format=True)
    volume = imaging.load_series(tmp_path / "mf.dcm")
    np.testing.assert_array_equal(volume.array, built.array)
