"""Benchmark: retrieving 500 images of 512 x 512 from a local Orthanc, spineplan vs dcmtk.

Run: ``cd /work/main && PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_pacs_retrieve.py``
(needs Debian's ``orthanc``, ``orthanc-dicomweb`` and dcmtk's ``getscu``).

Builds a study of 10 series x 50 MR images, 512 x 512, 16 bit (``tests/dicom_builders.py``),
stores it in a fresh Orthanc with spineplan's C-STORE (timed beside dcmtk's ``storescu``), then
times the retrieval of the whole study with ``imaging.pacs.retrieve.retrieve`` (C-GET; also
C-MOVE and WADO-RS) and with ``getscu`` (default 16 kB PDU, and its largest, 128 kB), best of
``RUNS`` each, and prints the ratio spineplan / getscu (target: <= 1, no slower).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from imaging.pacs.retrieve import retrieve
from imaging.pacs.send import send
from tests.dicom_builders import uid, write_series
from tests.pacs_server import OrthancServer, missing_reason

SERIES, PER_SERIES, MATRIX = 10, 50, 512
RUNS = 3


def build_study(folder: Path) -> str:
    study = uid("bench-pacs-study")
    frame = uid("bench-pacs-frame")
    rng = np.random.default_rng(0)
    for number in range(1, SERIES + 1):
        values = rng.integers(0, 4000, size=(PER_SERIES, MATRIX, MATRIX)).astype(np.float64)
        write_series(
            folder / f"S{number:02d}",
            shape=(PER_SERIES, MATRIX, MATRIX),
            values=values,
            study_instance_uid=study,
            frame_of_reference_uid=frame,
            series_number=number,
            series_description=f"bench {number}",
            origin_mm=(0.0, 0.0, 10.0 * number),
        )
    return study


def best_of(runs: int, action: Callable[[Path], int]) -> tuple[float, float, int]:
    """(best, median) seconds of ``action(out_dir)`` and the images it returned."""
    times: list[float] = []
    images = 0
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="bench-pacs-")) / "out"
        start = time.perf_counter()
        images = action(out)
        times.append(time.perf_counter() - start)
        shutil.rmtree(out.parent)
    return min(times), statistics.median(times), images


def getscu(
    server: OrthancServer, study: str, pdu: int, nodelay: bool = False
) -> Callable[[Path], int]:
    environment = dict(os.environ)
    if nodelay:
        environment["TCP_NODELAY"] = "1"  # dcmtk's switch for Nagle's algorithm

    def run(out: Path) -> int:
        out.mkdir(parents=True)
        subprocess.run(
            [
                "getscu",
                "-S",
                "-aet",
                "GETSCU",
                "-aec",
                "ORTHANC",
                "-pdu",
                str(pdu),
                "-k",
                "QueryRetrieveLevel=STUDY",
                "-k",
                f"StudyInstanceUID={study}",
                "-od",
                str(out),
                "127.0.0.1",
                str(server.dicom_port),
            ],
            check=True,
            capture_output=True,
            env=environment,
        )
        return len(list(out.iterdir()))

    return run


def main() -> int:
    reason = missing_reason() or ("" if shutil.which("getscu") else "dcmtk getscu missing")
    if reason:
        print(f"cannot run: {reason}")
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-pacs-"))
    try:
        start = time.perf_counter()
        study = build_study(work / "study")
        files = sorted((work / "study").rglob("*.dcm"))
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        print(
            f"study: {len(files)} images {MATRIX}x{MATRIX}, {size_mb:.0f} MB, built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        server = OrthancServer(work / "orthanc", tcp_nodelay=False).start()  # as Debian runs it
        try:
            node = server.dimse_node()
            start = time.perf_counter()
            outcomes = send(node, [work / "study"])
            spineplan_store = time.perf_counter() - start
            assert all(o.ok for o in outcomes) and len(outcomes) == len(files)
            server.clear()
            start = time.perf_counter()
            subprocess.run(
                [
                    "storescu",
                    "-aec",
                    "ORTHANC",
                    "+sd",
                    "+r",
                    "127.0.0.1",
                    str(server.dicom_port),
                    str(work / "study"),
                ],
                check=True,
                capture_output=True,
            )
            dcmtk_store = time.perf_counter() - start
            print(
                f"store (C-STORE): spineplan {spineplan_store:.2f} s, storescu "
                f"{dcmtk_store:.2f} s, ratio {spineplan_store / dcmtk_store:.2f}"
            )

            rows = [
                ("spineplan C-GET", lambda out: retrieve(node, study, out).images),
                (
                    "spineplan C-MOVE",
                    lambda out: retrieve(server.dimse_node(move_only=True), study, out).images,
                ),
                (
                    "spineplan WADO-RS",
                    lambda out: retrieve(server.dicomweb_node(), study, out).images,
                ),
                ("getscu -pdu 16384", getscu(server, study, 16384)),
                ("getscu -pdu 131072", getscu(server, study, 131072)),
                ("getscu TCP_NODELAY=1", getscu(server, study, 131072, nodelay=True)),
            ]
            results = {}
            for name, action in rows:
                best, median, images = best_of(RUNS, action)
                assert images == len(files), (name, images)
                results[name] = best
                print(
                    f"{name:<20} best {best:6.2f} s  median {median:6.2f} s  "
                    f"{images / best:6.0f} images/s"
                )
            reference = min(v for k, v in results.items() if k.startswith("getscu"))
            ratio = results["spineplan C-GET"] / reference
            print(f"ratio spineplan C-GET / best getscu: {ratio:.2f} (target <= 1)")
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
