"""DICOM Segmentation (SEG) of binary masks, through highdicom."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from imaging.errors import GeometryError, UnreadableFileError, malformed
from imaging.resample import resample_to
from imaging.rt_common import save_atomically
from imaging.volume import Volume

#: Index of a voxel centre may miss an image's plane by this fraction of a voxel.
_ON_GRID_TOLERANCE = 0.05


@dataclass(frozen=True)
class SegmentSpec:
    """One binary segment: its label, mask and what it depicts."""

    label: str
    mask: Volume
    #: The segmented property: a neoplasm for lesions, a morphologically altered structure
    #: (oedema) otherwise.
    is_tumour: bool = True


def _frames_for(mask: Volume, source_images: Sequence[Dataset]) -> np.ndarray:
    """The mask's slices in the order of ``source_images`` (each must sit on a mask slice)."""
    frames = np.zeros((len(source_images), mask.shape[1], mask.shape[2]), dtype=np.uint8)
    for n, image in enumerate(source_images):
        i, j, k = mask.patient_to_index(np.asarray(image.ImagePositionPatient, float))
        k_index = round(float(k))
        if (
            abs(i) > _ON_GRID_TOLERANCE
            or abs(j) > _ON_GRID_TOLERANCE
            or abs(k - k_index) > _ON_GRID_TOLERANCE
            or not 0 <= k_index < mask.shape[0]
            or (int(image.Rows), int(image.Columns)) != mask.shape[1:]
        ):
            raise GeometryError(
                f"image {image.SOPInstanceUID} is not a slice of the mask's grid: "
                "a SEG is written on the grid of the series it segments"
            )
        frames[n] = np.asarray(mask.array[k_index], dtype=bool)
    return frames


#: Type 2 patient/study attributes highdicom copies from the source images; some writers omit
#: them, which the standard allows to be empty but not absent.
_TYPE2_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "ReferringPhysicianName",
)


def _with_type2_study_attributes(images: Sequence[Dataset]) -> list[Dataset]:
    """The images, copied where an attribute must be added empty (the caller's stay as they are)."""
    completed = []
    for image in images:
        missing = [k for k in _TYPE2_KEYWORDS if k not in image]
        if missing:
            image = copy.deepcopy(image)
            for keyword in missing:
                setattr(image, keyword, "")
        completed.append(image)
    return completed


def build_seg(
    segments: Sequence[SegmentSpec],
    source_images: Sequence[Dataset],
    *,
    series_number: int = 902,
    series_description: str = "spineplan segmentation",
) -> hd.seg.Segmentation:
    """A binary DICOM SEG of ``segments`` on the grid of ``source_images`` (full datasets)."""
    if not segments:
        raise GeometryError("a segmentation needs at least one segment")
    pixel_array = np.stack(
        [_frames_for(segment.mask, source_images) for segment in segments], axis=-1
    )
    descriptions = []
    for number, segment in enumerate(segments, start=1):
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=segment.label,
                segmented_property_category=(codes.SCT.MorphologicallyAbnormalStructure),
                segmented_property_type=(
                    codes.SCT.Neoplasm if segment.is_tumour else codes.SCT.Edema
                ),
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
            )
        )
    seg = hd.seg.Segmentation(
        source_images=_with_type2_study_attributes(source_images),
        pixel_array=pixel_array,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=generate_uid(),
        series_number=series_number,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="spineplan",
        manufacturer_model_name="spineplan",
        software_versions="0.1",
        device_serial_number="0",
        omit_empty_frames=False,
    )
    seg.SeriesDescription = series_description
    return seg


def write_seg(
    path: str | Path, segments: Sequence[SegmentSpec], source_images: Sequence[Dataset]
) -> Path:
    """Write a SEG (see `build_seg`) to ``path`` atomically."""
    return save_atomically(build_seg(segments, source_images), path)


def read_seg(path: str | Path, grid: Volume) -> dict[str, Volume]:
    """Each segment of a SEG file as a boolean mask resampled onto ``grid``, keyed by label."""
    with malformed(path, "DICOM SEG"):
        return _read_seg(path, grid)


def _read_seg(path: str | Path, grid: Volume) -> dict[str, Volume]:
    try:
        seg = hd.seg.segread(path)
    except Exception as error:  # highdicom/pydicom raise several types for a broken file
        raise UnreadableFileError(f"{path}: not a readable DICOM SEG ({error})") from error
    masks = {}
    for number in seg.get_segment_numbers():
        label = str(seg.get_segment_description(number).segment_label)
        volume = seg.get_volume(segment_numbers=[number], combine_segments=True)
        # highdicom indexes (slice, row, column); our affine takes (column, row, slice).
        affine = np.asarray(volume.affine, float)[:, [2, 1, 0, 3]]
        array = np.asarray(volume.array).reshape(volume.spatial_shape).astype(np.uint8)
        native = Volume(array=array, affine=affine)
        on_grid = resample_to(native, grid, interpolator="nearest", default_value=0)
        masks[label] = grid.with_array(np.asarray(on_grid.array) > 0)
    return masks
