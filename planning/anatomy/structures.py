"""Named structures besides the lesion: the cord, a bone metastasis, any other painted region.

A case may hold any number of extra structures (the case file's ``"structures"`` list). Each is
a mask on the study grid, given as a mask file (painted in spineplan and saved beside the case
as NRRD, or any image SimpleITK reads, or an ROI of a DICOM RT Structure Set / SEG of the same
name) or as an axis-aligned ellipsoid. A structure named "Cord" (any letter case) is the spinal
cord: the plan reports its dose (Dmax) and the exports call it an ORGAN.

:class:`CaseStructure` is the one structure type: the case file's entry (name, how its mask is
made, interpreted type) and, in the GUI's editing layer, the same record carrying its mask on the
reference grid (``mask``; ``shape`` None while it is painted and not yet saved).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imaging.volume import Volume
from planning.anatomy.lesion import EllipsoidLesion, MaskLesion, ellipsoid_mask, mask_from_file
from planning.display import palette
from planning.errors import CaseFileError, PlanningError

#: The preset structure the plan reports the dose of.
CORD_NAME = "Cord"
#: Names the user may pick from a list (others are typed in).
PRESET_NAMES = (CORD_NAME,)
#: Names already used for other regions of the exports (compared ignoring case).
RESERVED_NAMES = ("lesion", "field", "edema (cord segment)")
#: DICOM RTROIInterpretedType values a case file may give.
INTERPRETED_TYPES = (
    "ORGAN",
    "GTV",
    "CTV",
    "PTV",
    "AVOIDANCE",
    "CONTROL",
    "EXTERNAL",
    "MARKER",
    "CAVITY",
    "SUPPORT",
)
MAX_NAME_LENGTH = 64  # DICOM ROIName is an LO (64 characters)

_ORGAN_WORDS = (
    "cord",
    "cauda",
    "brainstem",
    "brain stem",
    "oesophag",
    "esophag",
    "kidney",
    "lung",
    "heart",
    "liver",
    "bowel",
    "thyroid",
    "larynx",
    "trachea",
    "parotid",
    "plexus",
    "nerve",
)

StructureShape = EllipsoidLesion | MaskLesion

#: Display colour of the cord (0-255 RGB), on the views and in the exports.
CORD_COLOUR = palette.CORD.rgb
#: Colours of the other structures, in the order of the case's list.
STRUCTURE_COLOURS = palette.STRUCTURE_COLOURS


@dataclass(frozen=True)
class CaseStructure:
    """One named structure (the cord, a bone metastasis...), in a case file or being edited.

    Attributes
    ----------
    name : str
        Unique within the case (ignoring case); not "Lesion", "Field" or "Edema (cord segment)".
    shape : EllipsoidLesion or MaskLesion or None
        How the mask is made (the lesion's own forms; a mask path is relative to the case file).
        None: painted by hand and not yet saved (``mask`` holds it).
    interpreted_type : str
        DICOM RTROIInterpretedType; "" means guessed from the name (:func:`interpreted_type_for`).
    mask : Volume, optional
        The boolean mask on the reference (post-contrast) grid once built or painted (the GUI
        holds it; a case read from a file has None). Not compared: two records of the same
        structure are equal whether or not their mask has been built.

    Raises
    ------
    PlanningError
        Neither a shape nor a mask.
    """

    name: str
    shape: StructureShape | None
    interpreted_type: str = ""
    mask: Volume | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.shape is None and self.mask is None:
            raise PlanningError(
                f"structure {self.name!r}: needs a shape (an ellipsoid, a mask file) or a mask"
            )

    @property
    def roi_type(self) -> str:
        """The RTROIInterpretedType written to DICOM."""
        return self.interpreted_type or interpreted_type_for(self.name)

    @property
    def is_cord(self) -> bool:
        return is_cord(self.name)


def is_cord(name: str) -> bool:
    """Whether ``name`` names the spinal cord ("Cord", "cord", "Spinal cord")."""
    return name.strip().lower() in ("cord", "spinal cord", "spinalcord", "spinal_cord")


def structure_colour(name: str, index: int) -> tuple[int, int, int]:
    """The display colour (0-255 RGB) of the ``index``-th extra structure, called ``name``."""
    return palette.structure_rgb(index, is_cord(name))


def interpreted_type_for(name: str) -> str:
    """The RTROIInterpretedType a structure of this name gets unless told: ORGAN for organs at
    risk (the cord, oesophagus, kidney...), else GTV (a bone metastasis, a second lesion)."""
    lower = name.lower()
    return "ORGAN" if any(word in lower for word in _ORGAN_WORDS) else "GTV"


def check_structure_name(name: str, existing: Sequence[str] = ()) -> str:
    """``name`` stripped, or a PlanningError saying why it cannot name a structure."""
    stripped = name.strip()
    if not stripped:
        raise PlanningError("a structure needs a name")
    if len(stripped) > MAX_NAME_LENGTH:
        raise PlanningError(f"a structure name has at most {MAX_NAME_LENGTH} characters")
    if stripped.lower() in RESERVED_NAMES:
        raise PlanningError(f"{stripped!r} is reserved (the lesion, the field or the edema)")
    if stripped.lower() in {other.strip().lower() for other in existing}:
        raise PlanningError(f"{stripped!r} is used twice (names are compared ignoring case)")
    return stripped


def file_slug(name: str) -> str:
    """A file-name part for a structure: ``"Bone metastasis"`` -> ``"bone-metastasis"``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "structure"


def find_structure(structures: Sequence[CaseStructure], name: str) -> CaseStructure | None:
    """The structure called ``name`` (ignoring case), if any."""
    wanted = name.strip().lower()
    return next((s for s in structures if s.name.lower() == wanted), None)


def build_structure_mask(
    structure: CaseStructure, reference: Volume, base_dir: str | Path | None = None
) -> Volume:
    """The structure's boolean mask on ``reference``'s grid.

    Raises
    ------
    CaseFileError
        A mask file that is missing, unreadable, in another frame, without the structure, or
        sharing no voxel with the grid (the message names the structure).
    PlanningError
        An ellipsoid that holds no voxel of the grid.
    """
    shape = structure.shape
    if shape is None:  # painted: the mask it carries is the structure
        assert structure.mask is not None  # the constructor refuses neither
        if not structure.mask.same_grid(reference):
            raise PlanningError(
                f"structure {structure.name!r}: painted on another grid; save it to a mask file"
            )
        return structure.mask
    if isinstance(shape, EllipsoidLesion):
        mask = ellipsoid_mask(reference, shape.center_mm, shape.radii_mm)
        if not mask.array.any():
            raise PlanningError(
                f"structure {structure.name!r}: the ellipsoid holds no voxel of the images"
            )
        return mask
    path = Path(shape.path)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    try:
        return mask_from_file(path, reference, structure_name=structure.name)
    except CaseFileError as error:
        raise CaseFileError(f"structure {structure.name!r}: {error}") from error
