"""mm <-> cm (imaging.units): the same bits as the bare arithmetic it replaced."""

from __future__ import annotations

import numpy as np

from imaging.units import cm_to_mm, mm_to_cm


def test_conversions_are_bit_identical_to_dividing_and_multiplying_by_ten():
    values = np.random.default_rng(0).uniform(-500.0, 500.0, 10_000)
    np.testing.assert_array_equal(mm_to_cm(values), values / 10.0)
    np.testing.assert_array_equal(cm_to_mm(values), values * 10.0)
    # x / 10.0 is not x * 0.1: the helper must keep the division
    assert any(v / 10.0 != v * 0.1 for v in values.tolist())
    assert all(mm_to_cm(v) == v / 10.0 for v in values.tolist())
    assert mm_to_cm(1000.0) == 100.0 and cm_to_mm(6.6) == 66.0


def test_scalars_and_arrays_keep_their_type():
    assert isinstance(mm_to_cm(5.0), float)
    single = np.arange(4, dtype=np.float32)
    assert mm_to_cm(single).dtype == np.float32
    assert cm_to_mm(np.float32(2.5)).dtype == np.float32
    np.testing.assert_array_equal(mm_to_cm(cm_to_mm(single)), single)
