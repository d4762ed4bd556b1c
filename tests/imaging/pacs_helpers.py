"""What the PACS tests share: the sample study they store, and a way to compare folders."""

from __future__ import annotations

from pathlib import Path

import pydicom

from tests.planning.plan_fixtures import SAMPLES

#: The study the round trip stores in Orthanc: sample case 2 (three MR series, 42 images).
SAMPLE_CASE = SAMPLES / "case2"


def sample_files() -> list[Path]:
    return sorted(SAMPLE_CASE.rglob("*.dcm"))


def sample_study_uid() -> str:
    return str(pydicom.dcmread(sample_files()[0], stop_before_pixels=True).StudyInstanceUID)


def sop_instance_uids(folder: Path) -> set[str]:
    return {
        str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)
        for path in folder.rglob("*")
        if path.is_file() and path.suffix != ".json"
    }
