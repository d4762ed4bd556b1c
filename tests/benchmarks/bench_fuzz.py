"""Fuzz the readers beyond images with a thousand inputs each and print the counts.

Run on demand: ``python tests/benchmarks/bench_fuzz.py [INPUTS_PER_READER]``. Exit status 1 when
any input ended in a traceback, a crash or a hang (the first ones are printed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz_readers import fuzz
from tests.fuzz_seeds import build_targets


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for target in build_targets(Path(folder) / "seeds"):
            start = time.perf_counter()
            report = fuzz(
                target.reader, target.seed_file, Path(folder) / "work", count, seed=2026,
                kind=target.kind,
            )  # fmt: skip
            elapsed = time.perf_counter() - start
            print(f"{report.line(target.name)} in {elapsed:.0f} s")
            for failure in report.failures[:3]:
                print("   ", failure.splitlines()[0])
            failed |= bool(report.failures)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
