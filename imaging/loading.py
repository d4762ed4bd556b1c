"""Load one DICOM series into a `Volume`: voxels decoded in parallel into one preallocated array.

Output values are the modality values (rescale slope/intercept applied, e.g. HU for CT). The
array dtype is the smallest integer type that holds every value the header allows
(``BitsStored``, ``PixelRepresentation``, slope, intercept) when all slopes and intercepts are
whole numbers -- e.g. ``int16`` for a CT stored in 12 bits, ``int32`` for one stored in 16 bits,
``uint16`` for MR -- and ``float32`` otherwise. Voxel values are never clipped.

Uncompressed little-endian files are read straight from disk into their slice of the output
array (``readinto``, no intermediate copy); compressed transfer syntaxes (JPEG baseline and
lossless, JPEG-LS, JPEG 2000, RLE, deflate) are decoded by pydicom with pylibjpeg/pyjpegls.
Work runs in a thread pool: file reads and the C decoders release the GIL.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
import pydicom.pixels
from pydicom.uid import (
    UID,
    DeflatedExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

from imaging.dicom_headers import NATIVE_LITTLE_ENDIAN, SliceHeader
from imaging.discovery import Discovery, PathLike, ProgressCallback, SeriesInfo, discover
from imaging.errors import LoadCancelled, SeriesError, UnreadableFileError
from imaging.volume import Volume

#: should_cancel() -> True to abandon a load; polled between slices.
CancelCallback = Callable[[], bool]

_PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
_INTEGER_TYPES = (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32)


def load_series(
    source: PathLike | Sequence[PathLike] | SeriesInfo,
    *,
    series_instance_uid: str | None = None,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> Volume:
    """Load one series as a `Volume` (array ``(slices, rows, columns)``, affine to LPS mm).

    Parameters
    ----------
    source : a folder, DICOMDIR, file or list of files, or a `SeriesInfo` from `discover`.
    series_instance_uid : which series to load when ``source`` holds several; a sub-series
        ``key`` (UID plus ``.1``...) also works. Without it ``source`` must hold one series.
    progress : ``progress(done, total)``, called from the calling thread. For a `SeriesInfo`
        it counts slices; for a path, header reading and decoding share one 0..1000 scale.
    should_cancel : ``should_cancel() -> bool``, polled between files and slices.

    Raises
    ------
    NoDicomError, UnreadableFileError
        No DICOM under ``source``, or a file that cannot be parsed or decoded.
    SeriesError
        The series is ambiguous or absent, or cannot form a volume (missing geometry tags,
        mixed matrix sizes, no pixel data, colour images).
    LoadCancelled
        ``should_cancel`` returned True.
    """
    if isinstance(source, SeriesInfo):
        info = source
        voxel_progress = progress
    else:
        found = discover(source, progress=_scaled(progress, 0, 2), should_cancel=should_cancel)
        info = select_series(found, series_instance_uid, source)
        voxel_progress = _scaled(progress, 1, 2)
    if info.error or info.geometry is None:
        raise SeriesError(info.error or f"series {info.label} forms no grid")
    if should_cancel is not None and should_cancel():
        raise LoadCancelled(f"loading series {info.label} was cancelled")
    array = read_voxels(
        info.slices,
        info.label,
        progress=voxel_progress,
        should_cancel=should_cancel,
    )
    return Volume(
        array=array, geometry=info.geometry, metadata=info.metadata, warnings=info.warnings
    )


def select_series(
    found: Discovery, series_instance_uid: str | None, source: object = "the input"
) -> SeriesInfo:
    """The series to load from ``found``: by key/UID, or the only one present.

    When one SeriesInstanceUID was split into sub-series (mixed orientations or matrix sizes)
    the largest part is chosen; its warnings say so.
    """
    where = source if isinstance(source, str | os.PathLike) else "the given files"
    if series_instance_uid is not None:
        matches = found.find(series_instance_uid)
        if not matches:
            raise SeriesError(
                f"{where}: no series {series_instance_uid}; found {_listing(found.series)}"
            )
        return matches[0]
    uids = {s.series_instance_uid for s in found.series}
    if len(uids) > 1:
        raise SeriesError(
            f"{where} holds {len(uids)} series, choose one with series_instance_uid: "
            f"{_listing(found.series)}"
        )
    return found.find(uids.pop())[0]


def _listing(series: Sequence[SeriesInfo]) -> str:
    return "; ".join(f"{s.label} {s.number_of_images} images" for s in series)


def output_dtype(slices: Sequence[SliceHeader]) -> np.dtype:
    """The dtype that holds every rescaled value the slices' headers allow (see module doc)."""
    low, high = 0.0, 0.0
    integral = True
    for item in slices:
        bits = max(1, min(item.bits_stored, item.bits_allocated))
        if item.pixel_representation:
            stored = (-(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1)
        else:
            stored = (0.0, 2.0**bits - 1)
        slope, intercept = item.rescale_slope, item.rescale_intercept
        integral &= float(slope).is_integer() and float(intercept).is_integer()
        values = (*stored, *(v * slope for v in stored), *(v * slope + intercept for v in stored))
        low, high = min(low, *values), max(high, *values)
    if integral:
        for candidate in _INTEGER_TYPES:
            info = np.iinfo(candidate)
            if info.min <= low and high <= info.max:
                return np.dtype(candidate)
    return np.dtype(np.float32)


def read_voxels(
    slices: Sequence[SliceHeader],
    series_label: str,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
    max_workers: int | None = None,
) -> np.ndarray:
    """Decode ``slices`` (in grid order) into one new ``(slices, rows, columns)`` array.

    Raises
    ------
    SeriesError, UnreadableFileError, LoadCancelled
        As for `load_series`.
    """
    if not slices:
        raise SeriesError(f"series {series_label}: no images")
    first = slices[0]
    colour = [s for s in slices if s.samples_per_pixel != 1]
    if colour:
        raise SeriesError(
            f"series {series_label}: {colour[0].label} is a colour image "
            f"(SamplesPerPixel={colour[0].samples_per_pixel}); only grey-level series form volumes"
        )
    shape = (len(slices), first.rows, first.columns)
    dtype = output_dtype(slices)
    require_memory(series_label, shape, dtype)
    out = np.empty(shape, dtype=dtype)

    by_file: dict[str, list[tuple[int, SliceHeader]]] = {}
    for k, item in enumerate(slices):
        by_file.setdefault(str(item.path), []).append((k, item))
    jobs = list(by_file.values())
    cancelled = threading.Event()

    def run(job: list[tuple[int, SliceHeader]]) -> int:
        if cancelled.is_set():
            return 0
        _decode_file(job, out, series_label)
        return len(job)

    total = len(slices)
    done = 0
    workers = max_workers or min(8, max(2, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: set[Future[int]] = {pool.submit(run, job) for job in jobs}
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in finished:
                    done += future.result()
                if finished and progress is not None:
                    progress(done, total)
                if should_cancel is not None and should_cancel():
                    raise LoadCancelled(f"loading series {series_label} was cancelled")
        except BaseException:
            cancelled.set()
            for future in pending:
                future.cancel()
            raise
    return out


def _decode_file(job: list[tuple[int, SliceHeader]], out: np.ndarray, series_label: str) -> None:
    first = job[0][1]
    if first.number_of_frames == 1 and _read_native(first, out[job[0][0]]):
        return
    try:
        if first.transfer_syntax_uid == DeflatedExplicitVRLittleEndian:
            # pixel_array(path) reads the file raw; a deflated data set must be inflated first.
            pixels = pydicom.pixels.pixel_array(pydicom.dcmread(first.path))
        else:
            pixels = pydicom.pixels.pixel_array(
                str(first.path), decoding_plugin=_preferred_plugin(first.transfer_syntax_uid)
            )
    except (AttributeError, KeyError) as error:
        raise SeriesError(
            f"series {series_label}: {first.path} has no pixel data ({error})"
        ) from error
    except Exception as error:  # decoders raise many types for corrupt or truncated data
        syntax = UID(first.transfer_syntax_uid)
        name = syntax.name if syntax.is_valid else first.transfer_syntax_uid
        raise UnreadableFileError(
            f"{first.path}: cannot decode pixel data ({name}): {error}"
        ) from error
    if pixels.ndim == 2:
        pixels = pixels[np.newaxis]
    expected = (first.number_of_frames, first.rows, first.columns)
    if pixels.shape != expected:
        raise UnreadableFileError(
            f"{first.path}: pixel data decodes to shape {pixels.shape}, header says {expected}"
        )
    for k, item in job:
        _store(out[k], pixels[item.frame], item)


def _preferred_plugin(syntax: str) -> str:
    """The faster decoder where pydicom's default is its own pure-Python one (RLE)."""
    if syntax != RLELossless:
        return ""
    try:
        available = pydicom.pixels.get_decoder(UID(syntax)).available_plugins
    except Exception:  # no decoder registered: let pydicom raise its own message
        return ""
    return "pylibjpeg" if "pylibjpeg" in available else ""


def _read_native(item: SliceHeader, target: np.ndarray) -> bool:
    """Read uncompressed little-endian pixels straight into ``target``; False to fall back."""
    if (
        item.transfer_syntax_uid not in NATIVE_LITTLE_ENDIAN
        or item.pixel_data_offset is None
        or item.bits_allocated not in (8, 16, 32)
        or sys.byteorder != "little"
    ):
        return False
    stored = np.dtype(f"{'i' if item.pixel_representation else 'u'}{item.bits_allocated // 8}")
    expected = item.rows * item.columns * stored.itemsize
    header_length = 8 if item.transfer_syntax_uid == ImplicitVRLittleEndian else 12
    direct = (
        target.dtype == stored
        and item.rescale_slope == 1
        and item.rescale_intercept == 0
        and target.flags.c_contiguous
    )
    buffer = target if direct else _scratch(target.shape, stored)
    try:
        with open(item.path, "rb") as file:
            file.seek(item.pixel_data_offset)
            element = file.read(header_length)
            if len(element) != header_length or element[:4] != _PIXEL_DATA_TAG:
                return False
            (length,) = struct.unpack("<I", element[-4:])
            if length == 0xFFFFFFFF or length < expected:
                return False
            read = file.readinto(memoryview(buffer).cast("B"))  # type: ignore[arg-type]
    except OSError as error:
        raise UnreadableFileError(f"{item.path}: cannot read pixel data ({error})") from error
    if read != expected:
        raise UnreadableFileError(
            f"{item.path}: truncated file, pixel data is {expected - read} bytes short"
        )
    _fix_stored_bits(buffer, item)
    if not direct:
        _store(target, buffer, item)
    return True


#: Fraction of the available memory one volume may take (the viewer, dose and masks need room).
MEMORY_SHARE = 0.6


def available_memory_bytes() -> int | None:
    """Memory the system can give without swapping (Linux MemAvailable), None when unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(label: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Refuse, before allocating, a volume larger than the memory available can hold.

    Raises
    ------
    SeriesError
        The headers claim a volume (e.g. a huge Rows x Columns x frames) that would not fit in
        :data:`MEMORY_SHARE` of the available memory: loading it would swap or fail.
    """
    needed = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
    available = available_memory_bytes()
    if available is not None and needed > MEMORY_SHARE * available:
        raise SeriesError(
            f"series {label}: {' x '.join(str(n) for n in shape)} voxels need "
            f"{needed / 2**30:.1f} GiB of memory and {available / 2**30:.1f} GiB is available; "
            "not loaded (check the images' Rows, Columns and number of frames)"
        )


_THREAD_SCRATCH = threading.local()


def _scratch(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A per-thread reusable buffer: no fresh allocation (and page faults) per slice."""
    buffer: np.ndarray | None = getattr(_THREAD_SCRATCH, "buffer", None)
    if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
        buffer = np.empty(shape, dtype)
        _THREAD_SCRATCH.buffer = buffer
    return buffer


def _fix_stored_bits(pixels: np.ndarray, item: SliceHeader) -> None:
    """Sign-extend or mask values stored in fewer bits than allocated (in place)."""
    unused = item.bits_allocated - item.bits_stored
    if unused <= 0:
        return
    if item.pixel_representation:
        np.left_shift(pixels, unused, out=pixels)
        np.right_shift(pixels, unused, out=pixels)
    else:
        np.bitwise_and(pixels, (1 << item.bits_stored) - 1, out=pixels)


def _store(target: np.ndarray, pixels: np.ndarray, item: SliceHeader) -> None:
    """Write ``pixels * slope + intercept`` into ``target`` without a temporary array."""
    slope, intercept = item.rescale_slope, item.rescale_intercept
    if target.dtype.kind == "f":
        np.multiply(pixels, np.float32(slope), out=target, casting="unsafe")
        if intercept:
            target += np.float32(intercept)
        return
    np.copyto(target, pixels, casting="unsafe")
    if slope != 1:
        target *= target.dtype.type(int(slope))
    if intercept:
        target += target.dtype.type(int(intercept))


def _scaled(progress: ProgressCallback | None, phase: int, phases: int) -> ProgressCallback | None:
    """Map one phase's progress onto a 0..1000 scale shared by ``phases`` equal phases."""
    if progress is None:
        return None

    def report(done: int, total: int) -> None:
        fraction = (phase + (done / total if total else 1.0)) / phases
        progress(round(1000 * fraction), 1000)

    return report
