"""Benchmark: the fast header reader (`imaging.raw_header`) against pydicom on the same tags.

Discovery reads some thirty top-level attributes (`imaging.dicom_headers.HEADER_KEYWORDS`) of
every file in a folder. This times, best of 3 with a warm file cache, per file:

- ``raw``: ``read_raw_header(file, size, tags)``, the hand-written reader;
- ``pydicom``: ``pydicom.dcmread(path, stop_before_pixels=True, specific_tags=[same tags])``,
  the library call that would replace it;
- ``header fast`` / ``header pydicom``: the whole `read_image_header` (values decoded into an
  `ImageFileHeader`) with ``fast=True`` and ``fast=False``, the end-to-end effect on discovery.

on the bundled sample studies (``sample_dicom/``) and on a synthetic folder of ``--files``
single-frame MR slices with a scanner-like header (nested reference sequences, long text),
written once into the system temp folder. It prints figures and ratios; it asserts nothing.

Run from the repository root::

    PYTHONPATH=. python tests/benchmarks/bench_headers.py [--files 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from imaging.dicom_headers import _HEADER_TAGS, HEADER_KEYWORDS, looks_like_dicom, read_image_header
from imaging.raw_header import read_raw_header
from tests.dicom_builders import uid, write_series

REPEATS = 3


def sample_files(root: Path) -> list[Path]:
    """Every DICOM file under ``root`` (the readers' input in discovery)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and looks_like_dicom(p))


def synthetic_folder(count: int) -> Path:
    """``count`` MR slices with scanner-like headers, written once and reused."""
    folder = Path(tempfile.gettempdir()) / f"spineplan_bench_headers_{count}"
    done = folder / ".complete"
    if done.exists():
        return folder
    print(f"writing {count} files into {folder} ...", flush=True)
    references = []
    for _ in range(3):
        item = Dataset()
        item.ReferencedSOPClassUID = pydicom.uid.MRImageStorage
        item.ReferencedSOPInstanceUID = uid()
        references.append(item)
    code = Dataset()
    code.CodeValue = "MRSPINE"
    code.CodingSchemeDesignator = "L"
    code.CodeMeaning = "MRI whole spine with contrast"
    write_series(
        folder,
        shape=(count, 64, 64),
        orientation="sagittal",
        modality="MR",
        pixel_spacing_mm=(1.0, 1.0),
        slice_spacing_mm=0.5,
        ReferencedImageSequence=DicomSequence(references),
        ProcedureCodeSequence=DicomSequence([code]),
        ImageComments="synthetic benchmark slice " + "x" * 200,
        ProtocolName="t1_tse_sag_post",
        SequenceName="*tse2d1_3",
    )
    done.touch()
    return folder


def best_time(action: Callable[[], object]) -> float:
    """Best wall time of ``REPEATS`` runs, in seconds."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def raw_all(paths: Sequence[Path]) -> None:
    for path in paths:
        with open(path, "rb") as file:
            read_raw_header(file, os.fstat(file.fileno()).st_size, _HEADER_TAGS)


def pydicom_all(paths: Sequence[Path]) -> None:
    for path in paths:
        pydicom.dcmread(path, stop_before_pixels=True, specific_tags=list(HEADER_KEYWORDS))


def header_all(paths: Sequence[Path], fast: bool) -> None:
    for path in paths:
        # non-image objects (RT, SEG without geometry) raise on both paths
        with contextlib.suppress(Exception):
            read_image_header(path, fast=fast)


def report(name: str, paths: Sequence[Path]) -> None:
    """Print per-file times and the pydicom / raw ratios for one set of files."""
    count = len(paths)
    header_all(paths, True)  # warm the file cache
    raw = best_time(lambda: raw_all(paths))
    library = best_time(lambda: pydicom_all(paths))
    fast = best_time(lambda: header_all(paths, True))
    slow = best_time(lambda: header_all(paths, False))
    print(f"\n{name}: {count} files")
    print(f"  raw reader                   {1000 * raw / count:7.3f} ms/file")
    print(f"  pydicom specific_tags        {1000 * library / count:7.3f} ms/file")
    print(f"  read_image_header fast=True  {1000 * fast / count:7.3f} ms/file")
    print(f"  read_image_header fast=False {1000 * slow / count:7.3f} ms/file")
    print(f"  ratio pydicom / raw (reader)          {library / raw:5.2f}x")
    print(f"  ratio fast=False / fast=True (header) {slow / fast:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="synthetic folder size")
    parser.add_argument("--samples", type=Path, default=Path("sample_dicom"))
    args = parser.parse_args()
    print(f"pydicom {pydicom.__version__}, numpy {np.__version__}, best of {REPEATS}")
    if args.samples.is_dir():
        report(f"sample studies ({args.samples})", sample_files(args.samples))
    report("synthetic folder", sample_files(synthetic_folder(args.files)))


if __name__ == "__main__":
    main()
