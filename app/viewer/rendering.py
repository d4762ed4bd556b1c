"""Grey-scale slice to 8-bit display pixels: vectorised window/level, no per-pixel Python.

Integer voxels (the usual int16/uint16 of DICOM) go through a 65536-entry look-up table rebuilt
only when the window changes, so a slice costs one gather; anything else is scaled in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QImage


@dataclass(frozen=True)
class Window:
    """A display window in the voxel's output units (HU for CT, signal for MR)."""

    center: float
    width: float
    invert: bool = False

    @property
    def low(self) -> float:
        return self.center - self.width / 2.0

    @property
    def high(self) -> float:
        return self.center + self.width / 2.0


class WindowLut:
    """Maps voxel values to display grey levels for one window; cached per (dtype, window)."""

    def __init__(self) -> None:
        self._key: tuple[str, Window] | None = None
        self._table: np.ndarray | None = None

    def apply(self, pixels: np.ndarray, window: Window) -> np.ndarray:
        """Window ``pixels`` (any 2D numeric array, any strides) into C-contiguous uint8."""
        width = max(float(window.width), 1e-6)
        dtype = pixels.dtype
        if (dtype.kind in "iu" and dtype.itemsize <= 2) or dtype == np.bool_:
            table = self._table_for(dtype, window, width)
            if dtype == np.bool_:
                index = pixels.view(np.uint8)
            elif dtype.itemsize == 2:
                index = pixels.view(np.uint16)
            else:
                index = pixels.view(np.uint8)
            return np.ascontiguousarray(table[index])
        # multiply before dividing so a value at the window top maps to exactly 255
        scaled = (pixels.astype(np.float32, copy=False) - np.float32(window.low)) * np.float32(255)
        scaled /= np.float32(width)
        np.clip(scaled, 0.0, 255.0, out=scaled)
        out = scaled.astype(np.uint8)
        if window.invert:
            np.subtract(255, out, out=out)
        return np.ascontiguousarray(out)

    def apply_rgb32(self, pixels: np.ndarray, window: Window) -> np.ndarray:
        """Window ``pixels`` into C-contiguous uint32 ``0xffRRGGBB`` grey (QImage RGB32).

        Qt scales RGB32 images without first converting them, so views draw these faster
        than 8-bit grey.
        """
        grey = self.apply(pixels, window)
        return _GREY_TO_RGB32[grey]

    def _table_for(self, dtype: np.dtype, window: Window, width: float) -> np.ndarray:
        key = (dtype.str, window)
        if self._key == key and self._table is not None:
            return self._table
        if dtype == np.bool_:
            values = np.arange(256, dtype=np.float64)
        else:
            unsigned = np.dtype(f"u{dtype.itemsize}")
            values = np.arange(2 ** (8 * dtype.itemsize), dtype=np.int64).astype(unsigned)
            values = values.view(dtype).astype(np.float64)
        table = np.clip((values - window.low) * 255.0 / width, 0.0, 255.0).astype(np.uint8)
        if window.invert:
            table = 255 - table
        self._key, self._table = key, table
        return table


_GREY_TO_RGB32 = (np.arange(256, dtype=np.uint32) * 0x010101) | np.uint32(0xFF000000)


def rgb32_image(pixels_u32: np.ndarray) -> QImage:
    """A QImage sharing ``pixels_u32`` (2D, C-contiguous uint32 0xffRRGGBB)."""
    height, width = pixels_u32.shape
    return QImage(pixels_u32.data, width, height, pixels_u32.strides[0], QImage.Format.Format_RGB32)


def gray_image(pixels_u8: np.ndarray) -> QImage:
    """A QImage sharing ``pixels_u8`` (2D, C-contiguous uint8); keep the array alive with it."""
    height, width = pixels_u8.shape
    image = QImage(
        pixels_u8.data, width, height, pixels_u8.strides[0], QImage.Format.Format_Grayscale8
    )
    return image


def rgba_image(rgba: np.ndarray) -> QImage:
    """A QImage sharing ``rgba`` (``(h, w, 4)`` C-contiguous uint8, premultiplied RGBA)."""
    height, width, _ = rgba.shape
    return QImage(
        rgba.data, width, height, rgba.strides[0], QImage.Format.Format_RGBA8888_Premultiplied
    )
