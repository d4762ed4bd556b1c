"""Window/level look-up and presets: the numpy parts of the views."""

from __future__ import annotations

import numpy as np
import pytest

from app.viewer.rendering import Window, WindowLut
from app.viewer.window_presets import PRESETS, default_preset
from imaging.volume import SeriesMetadata, Volume


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.uint8, np.float32, np.int32])
def test_lut_and_float_paths_agree_with_the_linear_window(dtype):
    values = np.arange(0, 200, dtype=dtype).reshape(10, 20)[:, ::-1]  # negative strides too
    window = Window(center=100.0, width=100.0)
    out = WindowLut().apply(values, window)
    expected = np.clip((values.astype(float) - 50.0) * 255.0 / 100.0, 0, 255).astype(np.uint8)
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    exact = np.dtype(dtype).kind in "iu" and np.dtype(dtype).itemsize <= 2  # table path
    tolerance = 0 if exact else 1  # float32 arithmetic may round 254.99998 down
    np.testing.assert_allclose(out.astype(int), expected, atol=tolerance)
    inverted = WindowLut().apply(values, Window(100.0, 100.0, invert=True))
    np.testing.assert_allclose(inverted.astype(int), 255 - expected.astype(int), atol=tolerance)


def test_negative_hounsfield_values_use_the_signed_table():
    values = np.array([[-1000, -160, 40, 240, 3000]], dtype=np.int16)
    out = WindowLut().apply(values, PRESETS["CT soft tissue"](None))
    np.testing.assert_array_equal(out, [[0, 0, 127, 255, 255]])


def test_default_presets_per_series_type():
    array = np.zeros((2, 2, 2), np.int16)
    ct = Volume(array, np.eye(4), SeriesMetadata(modality="CT"))
    t2 = Volume(array, np.eye(4), SeriesMetadata(modality="MR", series_description="SAG T2 TSE"))
    t1 = Volume(array, np.eye(4), SeriesMetadata(modality="MR", series_description="SAG T1 +C"))
    assert default_preset(ct) == "CT soft tissue"
    assert default_preset(t2) == "MR T2"
    assert default_preset(t1) == "MR T1"


def test_histogram_presets_span_the_tissue_and_ignore_the_background():
    rng = np.random.default_rng(0)
    array = np.zeros((20, 64, 64), dtype=np.int16)  # air
    array[:, 16:48, 16:48] = rng.normal(400, 40, size=(20, 32, 32)).astype(np.int16)
    array[:, 30:34, 30:34] = 1200  # CSF, bright on T2
    volume = Volume(array, np.eye(4), SeriesMetadata(modality="MR"))
    t1 = PRESETS["MR T1"](volume)
    t2 = PRESETS["MR T2"](volume)
    assert t1.low == pytest.approx(0.0, abs=1.0)  # air black
    assert 450 < t1.high <= 1200
    assert t2.high >= t1.high
    auto = PRESETS["Auto (histogram)"](volume)
    assert auto.low <= 0 and auto.high >= 400
