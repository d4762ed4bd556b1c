"""Valid seed files for the reader fuzzing: an RT Structure Set, RT Dose, SEG, REG, case file."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imaging import discover
from imaging.rtdose import read_rtdose, write_rtdose
from imaging.rtstruct import Structure, read_rtstruct, write_rtstruct
from imaging.seg import SegmentSpec, read_seg, write_seg
from imaging.spatial_registration import (
    read_spatial_registration,
    registered_series,
    write_spatial_registration,
)
from imaging.volume import Volume
from planning.case import load_case
from tests.imaging.test_rtstruct import _ellipsoid, _sagittal_series
from tests.imaging.test_seg import _full_images

SAMPLES = Path(__file__).resolve().parents[1] / "sample_dicom"


@dataclass(frozen=True)
class Target:
    """A reader, the valid file its mutations start from, and how to mutate it."""

    name: str
    seed_file: Path
    reader: object
    kind: str = "dicom"


def _dose() -> Volume:
    affine = np.array([[2.0, 0, 0, -30.0], [0, 2.0, 0, -30.0], [0, 0, 2.5, -50.0], [0, 0, 0, 1.0]])
    k, j, _ = np.indices((12, 16, 16))
    return Volume(array=(20.0 - j * 0.2 + 0 * k).astype(np.float32), affine=affine)


def build_targets(folder: Path) -> list[Target]:
    """Write one valid file per reader into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    headers, volume = _sagittal_series()
    lesion = _ellipsoid(volume, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))
    rtstruct = write_rtstruct(folder / "rtstruct.dcm", [Structure("Lesion", lesion)], headers)
    rtdose = write_rtdose(folder / "rtdose.dcm", _dose(), headers, referenced_plan_uid="1.2.3")
    images, grid = _full_images()
    seg_lesion = _ellipsoid(grid, np.array([0.0, -5.0, 0.0]), np.array([8.0, 12.0, 25.0]))
    seg = write_seg(folder / "seg.dcm", [SegmentSpec("Lesion", seg_lesion)], images)
    mr = next(s for s in discover(SAMPLES / "case4").series if s.modality == "MR")
    ct = next(s for s in discover(SAMPLES / "case4" / "PLANNING_CT").series)
    matrix = load_case(SAMPLES / "case4" / "reference.spineplan.json").planning_ct.matrix
    reg = write_spatial_registration(
        folder / "reg.dcm", matrix, fixed=registered_series(ct), moving=registered_series(mr)
    )
    case = shutil.copy(SAMPLES / "case4" / "reference.spineplan.json", folder / "case.json")

    def read_reg(path: Path) -> object:
        return read_spatial_registration(
            path,
            moving_frame_of_reference_uid=mr.frame_of_reference_uid,
            fixed_frame_of_reference_uid=ct.frame_of_reference_uid,
        )

    return [
        Target("RT Structure Set", rtstruct, read_rtstruct),
        Target("RT Dose", rtdose, read_rtdose),
        Target("SEG", seg, lambda path: read_seg(path, grid)),
        Target("REG", reg, read_reg),
        Target("case file", Path(case), load_case, kind="json"),
    ]
