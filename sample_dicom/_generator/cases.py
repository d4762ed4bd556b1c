"""The four sample cases: patient identity, anatomy variation and where the disease is."""

from __future__ import annotations

from dataclasses import dataclass

from .phantom import Ellipsoid, Pathology, Phantom
from .planning_ct_spec import PlanningCtSpec
from .spine import LEVEL_NAMES, SpineModel

#: Lesions keep at least this distance (mm) from the boundary of any segment they do not touch.
SEGMENT_MARGIN_MM = 3.0


@dataclass(frozen=True)
class CaseSpec:
    """Fixed inputs of one sample case."""

    number: int
    patient_birth_date: str
    patient_age: str
    patient_weight_kg: str
    patient_size_m: str
    study_date: str
    study_time: str
    accession_number: str
    dens_tip_z_mm: float
    x_mid_mm: float
    c2_y_mm: float
    height_scale: float
    #: Levels whose segments the lesion must overlap (and no other).
    lesion_levels: tuple[str, ...]
    #: Lesion semi-axes left-right and antero-posterior (mm); the SI one follows the levels.
    lesion_radii_xy_mm: tuple[float, float]
    lesion_offset_x_mm: float
    has_ct: bool = False
    kyphosis_apex_depth_mm: float = 265.0
    bone_metastasis_level: str | None = None
    #: A planning CT in another study and frame of reference (``planning_ct.PlanningCtSpec``).
    planning_ct: PlanningCtSpec | None = None

    @property
    def name(self) -> str:
        """Folder name, e.g. ``case1``."""
        return f"case{self.number}"


CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        1,
        "19640312",
        "060Y",
        "68",
        "1.65",
        "20240311",
        "091512",
        "SPL24031101",
        dens_tip_z_mm=318.4,
        x_mid_mm=0.0,
        c2_y_mm=12.0,
        height_scale=1.0,
        lesion_levels=("C4", "C5"),
        lesion_radii_xy_mm=(4.6, 3.6),
        lesion_offset_x_mm=0.8,
        has_ct=True,
    ),
    CaseSpec(
        2,
        "19710905",
        "053Y",
        "59",
        "1.61",
        "20240417",
        "143005",
        "SPL24041702",
        dens_tip_z_mm=301.7,
        x_mid_mm=-1.8,
        c2_y_mm=9.0,
        height_scale=0.98,
        lesion_levels=("T9",),
        lesion_radii_xy_mm=(3.6, 3.0),
        lesion_offset_x_mm=-0.7,
    ),
    CaseSpec(
        3,
        "19580121",
        "066Y",
        "74",
        "1.68",
        "20240522",
        "105740",
        "SPL24052203",
        dens_tip_z_mm=326.2,
        x_mid_mm=2.4,
        c2_y_mm=14.0,
        height_scale=1.02,
        lesion_levels=("T10", "T11"),
        lesion_radii_xy_mm=(4.0, 3.2),
        lesion_offset_x_mm=0.5,
    ),
    CaseSpec(
        4,
        "19670630",
        "057Y",
        "63",
        "1.63",
        "20240619",
        "081955",
        "SPL24061904",
        dens_tip_z_mm=309.9,
        x_mid_mm=0.9,
        c2_y_mm=10.0,
        height_scale=0.97,
        lesion_levels=("T4", "T5", "T6"),
        lesion_radii_xy_mm=(4.0, 3.1),
        lesion_offset_x_mm=0.0,
        bone_metastasis_level="L1",
        kyphosis_apex_depth_mm=205.0,
        planning_ct=PlanningCtSpec(
            rotation_deg=(2.5, -1.5, 3.0),
            fov_centre_ct_mm=(4.0, 95.0, -652.0),
            study_date="20240626",
            study_time="133010",
            accession_number="SPL24062605",
        ),
    ),
)


def r1(value: float) -> float:
    """Round to 0.1 mm, the precision of the reference annotation."""
    return round(float(value), 1)


@dataclass(frozen=True)
class CaseModel:
    """A case made concrete: its phantom and the reference numbers derived from it."""

    spec: CaseSpec
    phantom: Phantom
    #: (name, superior z, inferior z) per level, rounded to 0.1 mm.
    levels: tuple[tuple[str, float, float], ...]
    cervicomedullary_junction_z_mm: float

    @property
    def spine(self) -> SpineModel:
        """The phantom's spine."""
        return self.phantom.spine


def segment_bounds(levels: tuple[tuple[str, float, float], ...]) -> dict[str, tuple[float, float]]:
    """Level name -> (upper z, lower z) of its segment: mid disc above to mid disc below (mm)."""
    bounds = {}
    for i, (name, sup, inf) in enumerate(levels):
        upper = sup if i == 0 else 0.5 * (levels[i - 1][2] + sup)
        lower = inf if i == len(levels) - 1 else 0.5 * (inf + levels[i + 1][1])
        bounds[name] = (upper, lower)
    return bounds


def levels_overlapping(
    levels: tuple[tuple[str, float, float], ...], top_z: float, bottom_z: float
) -> list[str]:
    """Names of the levels whose segment overlaps the z interval [bottom_z, top_z] (mm)."""
    return [
        name
        for name, (upper, lower) in segment_bounds(levels).items()
        if bottom_z < upper and top_z > lower
    ]


def build_case(spec: CaseSpec) -> CaseModel:
    """Place the lesion, edema and findings of ``spec`` on its spine.

    Raises
    ------
    AssertionError
        If the placement does not give exactly the intended lesion levels (a generator bug).
    """
    spine = SpineModel(
        spec.dens_tip_z_mm,
        spec.x_mid_mm,
        spec.c2_y_mm,
        spec.height_scale,
        spec.kyphosis_apex_depth_mm,
    )
    levels = tuple((n, r1(sup), r1(inf)) for n, sup, inf in spine.endplates_z())
    bounds = segment_bounds(levels)
    z_level_mid = {n: r1(0.5 * (sup + inf)) for n, sup, inf in levels}
    first, last = spec.lesion_levels[0], spec.lesion_levels[-1]
    top_z = bounds[first][0] - SEGMENT_MARGIN_MM - 2.0
    bottom_z = bounds[last][1] + SEGMENT_MARGIN_MM + 2.0
    center_z = r1(0.5 * (top_z + bottom_z))
    # Short lesions stay nodular (about 1.5 cm), long ones fill the levels they must span.
    half_length = 0.5 * (top_z - bottom_z)
    if len(spec.lesion_levels) == 1:
        half_length = min(half_length, 6.5)
    elif len(spec.lesion_levels) == 2:
        half_length = min(half_length, 8.0 if first.startswith("C") else 11.0)
    rz = r1(half_length)
    cord_x, cord_y = spine.cord_center(center_z)
    lesion = Ellipsoid(
        (r1(cord_x + spec.lesion_offset_x_mm), r1(cord_y), center_z),
        (spec.lesion_radii_xy_mm[0], spec.lesion_radii_xy_mm[1], rz),
    )
    found = levels_overlapping(levels, center_z + rz, center_z - rz)
    assert tuple(found) == spec.lesion_levels, (spec.name, found)
    for name, (upper, lower) in bounds.items():
        if name not in spec.lesion_levels:
            above = center_z + rz <= lower - SEGMENT_MARGIN_MM
            below = center_z - rz >= upper + SEGMENT_MARGIN_MM
            assert above or below, (spec.name, name)

    cmj = r1(spine.z_at_s(spine.foramen_magnum_s))
    lesion_bottom = center_z - rz
    if spec.number == 1:
        edema = (cmj, z_level_mid["T5"])
    elif spec.number == 2:
        # "Edema at T4-5": upper limit in the T4-5 disc space (1 mm below its middle, inside the
        # T5 segment), extending down to just below the nodule.
        edema = (r1(bounds["T5"][0] - 1.0), r1(lesion_bottom - 6.0))
    elif spec.number == 3:
        edema = (z_level_mid["T8"], z_level_mid["T12"])
    else:
        edema = (z_level_mid["T3"], z_level_mid["T7"])

    met = None
    if spec.bone_metastasis_level is not None:
        lv = spine.level(spec.bone_metastasis_level)
        y, z = spine.point(lv.center_s, 1.5)
        met = Ellipsoid((r1(spec.x_mid_mm + 4.0), r1(y), r1(z - 1.0)), (8.0, 6.5, 7.5))
    pathology = Pathology(lesion, edema[0], edema[1], met)
    assert all(n in LEVEL_NAMES for n in spec.lesion_levels)
    return CaseModel(spec, Phantom(spine, pathology), levels, cmj)
