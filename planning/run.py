"""One plan to compute from a case as it is being edited: `PlanJob` and `run_plan_or_geometry`.

The GUI's background planner and its export both run a `PlanJob`: the case as it stands, the
settings, and the structures painted by hand that exist only in memory (written to NRRD files in
a scratch folder before planning, so the planner reads them like any other mask). A machine
without a depth-dose table (Co-60 in this release) has no dose: for it the field and beam set-up
(`planning.dose.plan_geometry.PlanGeometry`) are computed instead of a plan.

Blocking and Qt-free: the caller chooses the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from imaging.volume import Volume
from planning.anatomy.lesion import MaskLesion
from planning.case import Case
from planning.case.prescription import DEFAULT_ALPHA_BETA_GY
from planning.case.settings import PlanSettings
from planning.dose.grid import DEFAULT_GRID_SPACING_MM
from planning.dose.images import PlanImages
from planning.dose.machine_store import beam_model_for
from planning.dose.plan_geometry import PlanGeometry, plan_geometry
from planning.errors import CaseFileError, PlanningError
from planning.plan import PlanResult, plan_case


@dataclass(frozen=True, eq=False)
class PlanJob:
    """One plan to compute.

    Attributes
    ----------
    case : Case
        The case (levels, lesion, study) as it is now.
    settings : PlanSettings
    painted_mask : Volume, optional
        A lesion painted by hand that exists only in memory: written to a temporary NRRD in
        the scratch folder and used as the case's mask lesion.
    grid_spacing_mm : float
        Dose grid spacing, mm.
    alpha_beta_gy : float
        alpha/beta for BED and EQD2, Gy.
    separation_cm : float, optional
        Patient separation where the skin is not imaged, cm.
    painted_structures : tuple of (name, Volume)
        Structures painted by hand that exist only in memory (the cord...): written to
        temporary NRRD files in the scratch folder and used as the case's structures of those
        names.
    """

    case: Case
    settings: PlanSettings
    painted_mask: Volume | None = None
    grid_spacing_mm: float = DEFAULT_GRID_SPACING_MM
    alpha_beta_gy: float = DEFAULT_ALPHA_BETA_GY
    separation_cm: float | None = None
    painted_structures: tuple[tuple[str, Volume], ...] = ()


def has_dose_data(job: PlanJob) -> bool:
    """Whether the job's machine has a depth-dose table (else only its geometry is planned)."""
    try:
        return beam_model_for(job.settings.energy, job.settings.machine).has_depth_dose
    except PlanningError:
        return True  # an unknown machine: the plan itself stops and says which machines exist


def run_plan_or_geometry(
    job: PlanJob,
    images: PlanImages | None,
    scratch: Path,
    should_stop: Callable[[], bool] | None = None,
) -> PlanResult | PlanGeometry:
    """The plan of ``job``, or only its field and beam set-up when the machine has no
    depth-dose table (blocking).

    Parameters
    ----------
    job : PlanJob
    images : PlanImages, optional
        The study's images when already loaded (else they are loaded).
    scratch : Path
        A private folder that receives the painted masks.
    should_stop : callable, optional
        Asked before each beam's dose; True stops the plan with `PlanCancelled`.
    """
    case = job_case(job, scratch)
    if not has_dose_data(job):
        return plan_geometry(
            case,
            job.settings,
            images=images,
            separation_cm=job.separation_cm,
            grid_spacing_mm=job.grid_spacing_mm,
        )
    return plan_case(
        case,
        job.settings,
        images=images,
        grid_spacing_mm=job.grid_spacing_mm,
        separation_cm=job.separation_cm,
        alpha_beta_gy=job.alpha_beta_gy,
        should_stop=should_stop,
    )


def job_case(job: PlanJob, scratch: Path) -> Case:
    """The job's case with its painted masks written into ``scratch`` and referenced."""
    case = job.case
    if job.painted_mask is not None:
        path = _write_scratch_mask(job.painted_mask, scratch / "painted_lesion.nrrd")
        case = replace(case, lesion=MaskLesion(str(path.resolve()), "painted"))
    if job.painted_structures:
        paths = {
            name.lower(): _write_scratch_mask(
                mask, scratch / f"painted_structure_{n}.nrrd"
            ).resolve()
            for n, (name, mask) in enumerate(job.painted_structures)
        }
        case = replace(
            case,
            structures=tuple(
                replace(s, shape=MaskLesion(str(paths[s.name.lower()]), "painted"))
                if s.name.lower() in paths
                else s
                for s in case.structures
            ),
        )
    return case


def _write_scratch_mask(mask: Volume, path: Path) -> Path:
    """A painted mask as NRRD in the private scratch folder (read back by the planner)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sitk.WriteImage(mask.with_array(mask.array.astype(np.uint8)).to_sitk(), str(path), True)
    except (RuntimeError, OSError) as exc:
        raise CaseFileError(f"{path}: cannot write the painted mask ({exc})") from exc
    return path
