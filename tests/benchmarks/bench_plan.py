"""Benchmark: the whole ``spineplan plan`` on the sample cases (target: under 5 s per case).

Run: ``cd /work/main && PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_plan.py [N ...]``
(default: all four cases, the default plan settings, 2 mm dose grid).

Prints, per case: the cold command as a user runs it (a new Python process, imports included),
then the stages in one warm process -- loading the images, planning (field, dose, coverage,
monitor units), field.json/csv, the DICOM exports and the PDF report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from planning.case import load_case  # noqa: E402
from planning.dose.images import load_plan_images  # noqa: E402
from planning.export.field_limits import write_field_csv, write_field_json  # noqa: E402
from planning.export.plan_dicom import write_plan_dicom  # noqa: E402
from planning.export.report import write_report_pdf  # noqa: E402
from planning.plan import plan_case  # noqa: E402


def _cold(case: Path, out: Path) -> tuple[float, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "plan", str(case), "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - start, done.returncode


def main(numbers: list[int]) -> None:
    print("default plan settings, dose grid 2 mm")
    with tempfile.TemporaryDirectory() as folder:
        for number in numbers:
            case_path = ROOT / "sample_dicom" / f"case{number}" / "reference.spineplan.json"
            cold, status = _cold(case_path, Path(folder) / f"cold{number}")
            case = load_case(case_path)
            times = {}
            start = time.perf_counter()
            images = load_plan_images(case)
            times["images"] = time.perf_counter() - start
            start = time.perf_counter()
            result = plan_case(case, images=images)
            times["plan"] = time.perf_counter() - start
            out = Path(folder) / f"warm{number}"
            out.mkdir()
            start = time.perf_counter()
            write_field_json(out / "field.json", result)
            write_field_csv(out / "field.csv", result)
            times["field.json/csv"] = time.perf_counter() - start
            start = time.perf_counter()
            write_plan_dicom(result, out)
            times["dicom"] = time.perf_counter() - start
            start = time.perf_counter()
            write_report_pdf(out / "report.pdf", result)
            times["pdf"] = time.perf_counter() - start
            stages = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
            print(
                f"case{number}: cold command {cold:.2f} s (exit {status}); warm total "
                f"{sum(times.values()):.2f} s ({stages}); dose grid {result.dose_gy.shape} "
                f"({result.dose_gy.array.size / 1e6:.2f} M voxels, {len(result.beams)} beam(s))"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 2, 3, 4])
