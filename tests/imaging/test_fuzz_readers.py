"""Mutated RT Structure Sets, RT Doses, SEGs, REGs and case files never give a traceback, a
crash or a hang: each is read or refused in one clear line (issue 14, "fuzzing beyond images").
CI runs a few hundred inputs; tests/benchmarks/bench_fuzz.py runs a thousand per reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz_readers import fuzz
from tests.fuzz_seeds import build_targets

INPUTS_PER_READER = 100


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    return {t.name: t for t in build_targets(tmp_path_factory.mktemp("seeds"))}


@pytest.mark.parametrize("name", ["RT Structure Set", "RT Dose", "SEG", "REG", "case file"])
def test_mutated_inputs_are_read_or_refused_in_one_line(targets, tmp_path: Path, name) -> None:
    target = targets[name]
    report = fuzz(
        target.reader, target.seed_file, tmp_path, INPUTS_PER_READER, seed=11, kind=target.kind
    )
    print(report.line(name))
    assert not report.failures, "\n".join(report.failures[:5])
    assert report.counts["refused"] > 0  # the mutations do reach the readers' checks
