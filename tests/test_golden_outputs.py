"""Golden outputs: what the command line writes for the four bundled sample cases, byte for byte.

Each command runs in-process (``app.cli.main``, as ``spineplan ...`` would) and its outputs are
compared with the files checked in under ``tests/data/golden/``:

* ``spineplan plan CASE --out DIR`` on each sample's reference case: ``field.json``,
  ``field.csv`` and the summary printed on stdout;
* ``spineplan field CASE --json`` on each case, and once more with ``--energy Co60``;
* ``spineplan score REFERENCE ATTEMPT --json`` on each case, the attempt being the reference
  with its edema's superior limit 15 mm higher and a 5 mm field margin (so the sheet has
  differences and the attempt's plan is dosed on the reference lesion);
* ``spineplan pdd --json`` and ``spineplan profile --json`` for 6 MV and Co-60.

What legitimately varies is removed before comparing, and only that: the absolute path of this
checkout (written as ``<repo>``) and of the test's temporary folder (``<tmp>``). These outputs
hold no timestamps and no generated UIDs (the study and frame-of-reference UIDs they carry come
from the case files); the DICOM exports and the PDF, which do hold both, are not compared here.

A deliberate change of an output is recorded by running this file with
``SPINEPLAN_UPDATE_GOLDEN=1`` and committing the rewritten files with the change.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import replace
from pathlib import Path

import pytest

from app import cli
from planning.anatomy.edema import EdemaLimits
from planning.case import load_case, save_case

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "golden"
CASES = ("case1", "case2", "case3", "case4")
KINDS = ("plan.stdout.txt", "field.json", "field.csv", "field-command.json", "score.json")
UPDATE = os.environ.get("SPINEPLAN_UPDATE_GOLDEN") == "1"


def _reference(case: str) -> Path:
    return REPO / "sample_dicom" / case / "reference.spineplan.json"


def _attempt(case: str, folder: Path) -> Path:
    """The reference with the edema's superior limit 15 mm higher and a 5 mm margin."""
    reference = load_case(_reference(case))
    assert reference.edema is not None, f"{case}: the sample reference has no edema"
    edema = reference.edema
    attempt = replace(
        reference,
        study=replace(reference.study, path=str(_reference(case).parent)),
        reference=False,
        edema=EdemaLimits(edema.superior_z_mm + 15.0, edema.inferior_z_mm, edema.centreline_mm),
        plan=replace(reference.plan, margin_mm=5.0),
    )
    saved = save_case(attempt, folder / f"{case}.attempt.spineplan.json")
    assert saved.source_path is not None
    return Path(saved.source_path)


def _run(*argv: str) -> str:
    """stdout of ``spineplan *argv``; exit status 1 (failing coverage, outputs written) is fine."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(list(argv))
    assert status in (0, 1), f"spineplan {' '.join(argv)} exited {status}"
    return out.getvalue()


def _without_varying(text: str, tmp: Path) -> str:
    text = text.replace(str(tmp), "<tmp>")
    return text.replace(str(REPO), "<repo>")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every compared output by its golden file name, with what varies removed."""
    tmp = tmp_path_factory.mktemp("golden")
    found: dict[str, str] = {}
    for case in CASES:
        reference = str(_reference(case))
        out = tmp / case
        found[f"{case}.plan.stdout.txt"] = _run("plan", reference, "--out", str(out))
        found[f"{case}.field.json"] = (out / "field.json").read_bytes().decode("utf-8")
        found[f"{case}.field.csv"] = (out / "field.csv").read_bytes().decode("utf-8")
        found[f"{case}.field-command.json"] = _run("field", reference, "--json")
        attempt = str(_attempt(case, tmp))
        found[f"{case}.score.json"] = _run("score", reference, attempt, "--json")
    found["case2.field-command-co60.json"] = _run(
        "field", str(_reference("case2")), "--energy", "Co60", "--json"
    )
    for energy, ssd_cm, depths in (("6MV", "100", "0,1.5,5,10,20"), ("Co60", "80", "0,0.5,5,10")):
        water = ("--energy", energy, "--field-cm", "10", "--ssd-cm", ssd_cm)
        found[f"pdd-{energy}.json"] = _run("pdd", *water, "--depth-cm", depths, "--json")
        found[f"profile-{energy}.json"] = _run("profile", *water, "--depth-cm", "5", "--json")
    return {name: _without_varying(text, tmp) for name, text in found.items()}


def _golden_names() -> list[str]:
    names = [f"{case}.{kind}" for case in CASES for kind in KINDS]
    names.append("case2.field-command-co60.json")
    names += [f"{kind}-{energy}.json" for kind in ("pdd", "profile") for energy in ("6MV", "Co60")]
    return names


@pytest.mark.parametrize("name", _golden_names())
def test_output_is_the_golden_one(outputs: dict[str, str], name: str) -> None:
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(outputs[name].encode("utf-8"))
    assert golden.exists(), f"{golden} is missing: run with SPINEPLAN_UPDATE_GOLDEN=1"
    assert outputs[name] == golden.read_bytes().decode("utf-8"), (
        f"{name} differs from its golden file {golden.relative_to(REPO)}"
    )


def test_every_output_has_a_golden_file_and_no_golden_file_is_stale(
    outputs: dict[str, str],
) -> None:
    assert set(outputs) == set(_golden_names())
    assert {p.name for p in GOLDEN.iterdir()} == set(outputs)


def test_the_comparison_sees_a_one_digit_change(outputs: dict[str, str]) -> None:
    """The golden comparison is byte for byte: one changed digit is a difference."""
    golden = (GOLDEN / "case1.field.json").read_bytes().decode("utf-8")
    changed = golden.replace('"superior_border_z_mm": 286.15', '"superior_border_z_mm": 286.16')
    assert changed != golden
    assert outputs["case1.field.json"] != changed
