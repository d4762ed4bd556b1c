"""MR/CT pairs of one synthetic spine, in different frames, with a known rigid transform.

The anatomy is the sample generator's phantom (``sample_dicom/_generator``: vertebral bodies
whose heights vary by level, discs, canal, cord, lesion, lungs in the thorax). The MR frame is the
anatomy's own frame: a sagittal T1+C slab centred on the spine. The planning CT is axial, in its
own frame of reference: the anatomy is rotated by a few degrees and moved by an arbitrary table
offset, the CT's field of view is centred one or two vertebrae away from the lesion, a couch lies
under the patient and lungs fill the thorax. Each pair states its truth:
``matrix_moving_to_fixed`` maps MR LPS mm to CT LPS mm.

Tests use coarse voxels (2 mm MR, 3.2 mm CT) so a pair builds in about a second;
`benchmark_spec` gives the full-size pair of the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from imaging.registration import RegionBox
from imaging.volume import SeriesMetadata, Volume
from sample_dicom._generator.cases import CASES, build_case
from sample_dicom._generator.phantom import Phantom
from sample_dicom._generator.planning_ct import rotation_matrix
from tests.dicom_builders import BuiltSeries, uid, write_series

SAGITTAL_ROW = np.array([0.0, 1.0, 0.0])  # columns run posterior
SAGITTAL_COLUMN = np.array([0.0, 0.0, -1.0])  # rows run inferior
SAGITTAL_NORMAL = np.cross(SAGITTAL_ROW, SAGITTAL_COLUMN)  # (-1, 0, 0): slices run right


@dataclass(frozen=True)
class PairSpec:
    """How one MR/CT pair is made.

    Attributes
    ----------
    case_number : which sample case's anatomy (1: C4-5 lesion, 2: T9, 3: T10-11, 4: T4-6).
    rotation_deg : rotation of the CT frame relative to the MR frame about the LPS x, y, z axes.
    table_offset_mm : the CT frame position of the CT field-of-view centre (any numbers).
    ct_centre_levels : the CT field of view is centred this many vertebral pitches from the
        lesion centre (so that aligning the MR region's centre with the CT's centre is that many
        levels off); positive = caudal, negative = cranial.
    """

    name: str
    case_number: int = 3
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    table_offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    ct_centre_levels: int = 1
    mr_pixel_mm: float = 2.0
    mr_rows: int = 150
    mr_columns: int = 100
    mr_slices: int = 9
    mr_slice_mm: float = 4.0
    ct_pixel_mm: float = 3.2
    ct_matrix: int = 125
    ct_slice_mm: float = 4.0
    ct_slices: int = 66
    seed: int = 1


def benchmark_spec() -> PairSpec:
    """The full-size pair: CT 256 x 256 x 110 (1.6 x 1.6 x 3 mm), MR 9 x 450 x 210 (1 mm)."""
    return PairSpec(
        "benchmark",
        case_number=3,
        rotation_deg=(3.0, -2.0, 2.5),
        table_offset_mm=(4.0, 130.0, -612.0),
        ct_centre_levels=2,
        mr_pixel_mm=1.0,
        mr_rows=450,
        mr_columns=210,
        ct_pixel_mm=1.6,
        ct_matrix=256,
        ct_slice_mm=3.0,
        ct_slices=110,
    )


@dataclass(frozen=True, eq=False)
class PhantomPair:
    """A built pair and its truth."""

    spec: PairSpec
    moving: Volume  # the sagittal MR
    fixed: Volume  # the axial CT
    matrix_moving_to_fixed: np.ndarray
    lesion_centre_moving_mm: np.ndarray
    #: Lesion levels +/- 2 vertebrae, the vertebral column's AP extent, in the MR frame.
    region: RegionBox
    #: Centre of the lesion's vertebral body in each frame (where a user would click).
    body_centre_moving_mm: np.ndarray
    body_centre_fixed_mm: np.ndarray
    #: Mean body height + disc of the levels in the region (mm).
    pitch_mm: float

    def tre_mm(self, matrix_moving_to_fixed: np.ndarray) -> float:
        """Target registration error at the lesion centre (mm) of an estimated matrix."""
        point = np.append(self.lesion_centre_moving_mm, 1.0)
        truth = self.matrix_moving_to_fixed @ point
        return float(np.linalg.norm((np.asarray(matrix_moving_to_fixed) @ point - truth)[:3]))


def build_pair(spec: PairSpec) -> PhantomPair:
    """Render the MR and the CT of ``spec`` (about a second at the test sizes)."""
    case = build_case(CASES[spec.case_number - 1])
    phantom = case.phantom
    spine = phantom.spine
    names = [lv.name for lv in spine.levels]
    lesion = np.array(phantom.pathology.lesion.center_mm, float)
    first = names.index(case.spec.lesion_levels[0])
    last = names.index(case.spec.lesion_levels[-1])
    top = spine.levels[max(first - 2, 0)]
    bottom = spine.levels[min(last + 2, len(names) - 1)]
    region_top_z = float(spine.z_at_s(top.top_s)) + 5.0
    region_bottom_z = float(spine.z_at_s(bottom.bottom_s)) - 5.0
    pitch = (region_top_z - region_bottom_z - 10.0) / (last - first + 5)

    body = spine.levels[first]
    body_y, body_z = spine.point(body.center_s, 0.0)
    body_moving = np.array([spine.x_mid_mm, body_y, body_z])

    moving = _render_mr(spec, phantom, lesion)
    rotation = rotation_matrix(spec.rotation_deg)
    region_centre_z = 0.5 * (region_top_z + region_bottom_z)
    centre_z = region_centre_z - spec.ct_centre_levels * pitch
    centre_y = float(spine.axis_y(centre_z))
    front, back = phantom._habitus(np.array([centre_z]))[:2]
    # The FOV centre: mid-sagittal plane, the middle of the body's AP extent at that level.
    anatomy_centre = np.array([spine.x_mid_mm, centre_y + 0.5 * (back[0] - front[0]), centre_z])
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = np.asarray(spec.table_offset_mm) - rotation @ anatomy_centre
    fixed = _render_ct(spec, phantom, matrix)
    # What planning passes: the levels' z range, the vertebral column from just in front of the
    # bodies to the laminae.
    axis_y = float(spine.axis_y(lesion[2]))
    region = RegionBox(
        (-np.inf, axis_y - 30.0, region_bottom_z), (np.inf, axis_y + 45.0, region_top_z)
    )
    return PhantomPair(
        spec=spec,
        moving=moving,
        fixed=fixed,
        matrix_moving_to_fixed=matrix,
        lesion_centre_moving_mm=lesion,
        region=region,
        body_centre_moving_mm=body_moving,
        body_centre_fixed_mm=(matrix @ np.append(body_moving, 1.0))[:3],
        pitch_mm=pitch,
    )


def _metadata(modality: str, spec: PairSpec, description: str) -> SeriesMetadata:
    return SeriesMetadata(
        series_instance_uid=uid(),
        study_instance_uid=uid(),
        frame_of_reference_uid=uid(),
        modality=modality,
        series_description=description,
        series_number=5 if modality == "MR" else 101,
        patient_id="REGPHANTOM",
        units="HU" if modality == "CT" else "",
    )


def _render_mr(spec: PairSpec, phantom: Phantom, lesion: np.ndarray) -> Volume:
    spine = phantom.spine
    half_rows = 0.5 * (spec.mr_rows - 1) * spec.mr_pixel_mm
    z_first = float(lesion[2]) + half_rows - 12.0  # the lesion a little below the middle
    y_first = float(spine.axis_y(lesion[2])) - 0.55 * spec.mr_columns * spec.mr_pixel_mm
    x_first = spine.x_mid_mm + 0.5 * (spec.mr_slices - 1) * spec.mr_slice_mm
    zs = z_first - spec.mr_pixel_mm * np.arange(spec.mr_rows)
    ys = y_first + spec.mr_pixel_mm * np.arange(spec.mr_columns)
    xs_slices = x_first - spec.mr_slice_mm * np.arange(spec.mr_slices)
    offsets = spec.mr_slice_mm * np.array([-0.25, 0.25])
    xs = np.sort((xs_slices[:, None] + offsets[None, :]).ravel())
    image = phantom.render(xs, ys, zs, ("T1C",), 0.9 * spec.mr_pixel_mm)["T1C"]
    # (z, y, x ascending) -> (slice k along -x, row j along -z, column i along +y)
    image = image.reshape(len(zs), len(ys), spec.mr_slices, 2).mean(axis=3)
    image = np.moveaxis(image, 2, 0)[::-1]
    rng = np.random.default_rng(spec.seed)
    back_y = phantom.table_y_mm
    shading = 0.55 + 0.5 * np.exp(-np.maximum(back_y - ys, 0.0) / 120.0)
    signal = image * shading[None, None, :]
    real = signal + rng.normal(0.0, 14.0, size=image.shape)
    imaginary = rng.normal(0.0, 14.0, size=image.shape)
    pixels = np.clip(np.rint(np.hypot(real, imaginary)), 0, 4095).astype(np.int16)
    affine = np.eye(4)
    affine[:3, 0] = SAGITTAL_ROW * spec.mr_pixel_mm
    affine[:3, 1] = SAGITTAL_COLUMN * spec.mr_pixel_mm
    affine[:3, 2] = SAGITTAL_NORMAL * spec.mr_slice_mm
    affine[:3, 3] = (x_first, y_first, z_first)
    return Volume(pixels, affine, _metadata("MR", spec, "T1 SE SAG +C"))


def _render_ct(spec: PairSpec, phantom: Phantom, matrix: np.ndarray) -> Volume:
    n, p, dz = spec.ct_matrix, spec.ct_pixel_mm, spec.ct_slice_mm
    centre = np.asarray(spec.table_offset_mm, float)
    origin = centre - np.array(
        [0.5 * (n - 1) * p, 0.5 * (n - 1) * p, 0.5 * (spec.ct_slices - 1) * dz]
    )
    affine = np.diag([p, p, dz, 1.0])
    affine[:3, 3] = origin
    # Render the anatomy on an axis-aligned grid covering the CT's field of view, then resample
    # it into the CT frame through the known transform.
    inverse = np.linalg.inv(matrix)
    extent = np.array([(n - 1) * p, (n - 1) * p, (spec.ct_slices - 1) * dz])
    corners = origin + np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T * extent
    anatomy = corners @ inverse[:3, :3].T + inverse[:3, 3]
    low, high = anatomy.min(axis=0) - 2 * p, anatomy.max(axis=0) + 2 * p
    xs = np.arange(low[0], high[0], p)
    ys = np.arange(low[1], high[1], p)
    zs = np.arange(low[2], high[2], dz)
    rendered = phantom.render(xs, ys, zs, ("CT",), 0.9 * p)["CT"]
    source = sitk.GetImageFromArray(rendered.astype(np.float32))
    source.SetOrigin((float(xs[0]), float(ys[0]), float(zs[0])))
    source.SetSpacing((p, p, dz))
    reference = sitk.Image(n, n, spec.ct_slices, sitk.sitkFloat32)
    reference.SetOrigin(tuple(float(v) for v in origin))
    reference.SetSpacing((p, p, dz))
    to_anatomy = sitk.AffineTransform(3)
    to_anatomy.SetMatrix(tuple(float(v) for v in inverse[:3, :3].ravel()))
    to_anatomy.SetTranslation(tuple(float(v) for v in inverse[:3, 3]))
    hu = sitk.GetArrayFromImage(
        sitk.Resample(source, reference, to_anatomy, sitk.sitkLinear, -1000.0)
    ).astype(float)
    # The couch: flat in the CT frame, just behind the patient's back (carbon shell, foam core).
    back = np.array([0.0, phantom.table_y_mm + 1.0, 0.0])
    back[0] = phantom.spine.x_mid_mm
    back[2] = float(np.mean(zs))
    couch_top = float((matrix @ np.append(back, 1.0))[1]) + 2.0
    ys_ct = origin[1] + p * np.arange(n)
    xs_ct = origin[0] + p * np.arange(n)
    across = np.abs(xs_ct - centre[0]) < 0.45 * n * p
    shell = ((ys_ct >= couch_top) & (ys_ct < couch_top + 4.0)) | (
        (ys_ct >= couch_top + 40.0) & (ys_ct < couch_top + 44.0)
    )
    core = (ys_ct >= couch_top + 4.0) & (ys_ct < couch_top + 40.0)
    hu[:, core[:, None] & across[None, :]] = -880.0
    hu[:, shell[:, None] & across[None, :]] = 250.0
    rng = np.random.default_rng(spec.seed + 100)
    hu += rng.normal(0.0, 8.0, size=hu.shape) * (hu > -950.0)
    pixels = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
    return Volume(pixels, affine, _metadata("CT", spec, "PLANNING CT"))


def write_pair(
    pair: PhantomPair, folder: Path, *, ct_patient_id: str = "REGPHANTOM"
) -> tuple[BuiltSeries, BuiltSeries]:
    """Write the MR to ``folder/MR`` and the CT to ``folder/CT`` as DICOM; (mr, ct) built."""
    mr, ct = pair.moving, pair.fixed
    mr_built = write_series(
        folder / "MR",
        shape=mr.shape,
        orientation="sagittal",
        pixel_spacing_mm=(mr.spacing_mm[1], mr.spacing_mm[0]),
        slice_spacing_mm=mr.spacing_mm[2],
        origin_mm=mr.origin_mm,
        modality="MR",
        values=mr.array.astype(np.int64),
        series_number=5,
        series_description="T1 SE SAG +C",
        PatientID="REGPHANTOM",
    )
    ct_built = write_series(
        folder / "CT",
        shape=ct.shape,
        orientation="axial",
        pixel_spacing_mm=(ct.spacing_mm[1], ct.spacing_mm[0]),
        slice_spacing_mm=ct.spacing_mm[2],
        origin_mm=ct.origin_mm,
        modality="CT",
        values=ct.array.astype(np.int64),
        series_number=101,
        series_description="PLANNING CT",
        PatientID=ct_patient_id,
    )
    return mr_built, ct_built
