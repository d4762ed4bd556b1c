"""Regenerate the synthetic sample studies of ``sample_dicom/`` (byte-for-byte reproducible).

Usage::

    python sample_dicom/generate.py [--out DIR] [--case N ...]

Writes ``DIR/caseN/<SERIES>/IMnnnn.dcm`` and ``DIR/caseN/reference.spineplan.json`` for the four
cases (default ``DIR``: this file's folder). Needs numpy and pydicom only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _generator.cases import CASES, build_case
from _generator.dicom_io import write_series
from _generator.planning_ct import planning_ct_plan, render_planning_ct
from _generator.reference import write_reference
from _generator.series import ct_pixels, mr_pixels, plan_series, render_series


def generate_case(number: int, out_dir: Path) -> list[Path]:
    """Write every series and the reference annotation of case ``number`` under ``out_dir``."""
    case = build_case(CASES[number - 1])
    written = []
    plans = plan_series(case)
    sagittal = [p for p in plans if p.kind.endswith("SAG")]
    # Both sagittal series share one grid: render once, in both contrasts.
    images = render_series(case, sagittal[0], tuple(p.contrast for p in sagittal))
    for plan in sagittal:
        pixels = mr_pixels(images[plan.contrast], plan, case.phantom.table_y_mm)
        written += write_series(case, plan, pixels, out_dir)
    for plan in plans:
        if plan.kind.endswith("SAG"):
            continue
        image = render_series(case, plan, (plan.contrast,))[plan.contrast]
        if plan.contrast == "CT":
            pixels = ct_pixels(image, plan)
        else:
            pixels = mr_pixels(image, plan, case.phantom.table_y_mm)
        written += write_series(case, plan, pixels, out_dir)
    if case.spec.planning_ct is not None:
        # Another study and frame of reference, with a known rigid transform from the MR.
        plan = planning_ct_plan(case)
        pixels = ct_pixels(render_planning_ct(case, plan), plan)
        written += write_series(case, plan, pixels, out_dir)
    written.append(write_reference(case, out_dir))
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--case", type=int, action="append", choices=[c.number for c in CASES])
    args = parser.parse_args(argv)
    numbers = args.case or [c.number for c in CASES]
    total = 0
    for number in numbers:
        files = generate_case(number, args.out)
        total += len(files)
        print(f"case{number}: {len(files)} files")
    print(f"{total} files written under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
