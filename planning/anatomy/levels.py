"""Vertebral levels: names, the labelled bodies, disc spaces, segments and label checks.

Every position is a patient LPS ``z`` in millimetres; ``z`` increases towards the head, so a
body's superior endplate has the larger ``z``. Names are stored in one canonical spelling
(``C1``..``C7``, ``T1``..``T12``, ``L1``..``L5``, ``S1``..``S5``); thoracic levels are accepted
on input as ``T5``, ``D5`` (the dorsal naming used in many clinics) or ``Th5`` and shown with the
prefix the user prefers (``thoracic_prefix="T"`` or ``"D"``).

Words used throughout spineplan:

* a single level is ``"T9"``; a contiguous range is ``"C4-C5"``, ``"T4-T6"``, ``"C7-T1"``
  (:func:`level_range_words`), and its short form drops the repeated region letter,
  ``"C4-5"``, ``"T4-6"``, ``"C7-T1"`` (:func:`level_range_short`);
* a disc space is named after the two bodies it separates, ``"C4-5"``, ``"C7-T1"``,
  ``"L5-S1"`` (:func:`disc_name`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from planning.errors import LabelError

#: Canonical level names from the skull down, the order the count runs in.
LEVEL_SEQUENCE: tuple[str, ...] = (
    tuple(f"C{n}" for n in range(1, 8))
    + tuple(f"T{n}" for n in range(1, 13))
    + tuple(f"L{n}" for n in range(1, 6))
    + tuple(f"S{n}" for n in range(1, 6))
)
_INDEX = {name: i for i, name in enumerate(LEVEL_SEQUENCE)}
_REGION_NAMES = {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"}
_NAME_PATTERN = re.compile(r"^\s*(C|TH|T|D|L|S)\s*(\d{1,2})\s*$", re.IGNORECASE)

ThoracicPrefix = Literal["T", "D"]


def canonical_level_name(name: str) -> str:
    """The canonical spelling of a level name.

    Parameters
    ----------
    name : str
        ``"C4"``, ``"t10"``, ``"D5"``, ``"Th5"``, ``"L1"``, ``"S1"``...

    Returns
    -------
    str
        ``"C4"``, ``"T10"``, ``"T5"``, ``"T5"``, ``"L1"``, ``"S1"``.

    Raises
    ------
    LabelError
        When ``name`` is not a vertebral level (e.g. ``"C8"``, ``"T13"``, ``"X1"``).
    """
    match = _NAME_PATTERN.match(str(name))
    if match is not None:
        prefix = match.group(1).upper()
        prefix = "T" if prefix in ("TH", "D") else prefix
        candidate = f"{prefix}{int(match.group(2))}"
        if candidate in _INDEX:
            return candidate
    raise LabelError(
        f"{name!r} is not a vertebral level; expected C1-C7, T1-T12 (or D1-D12), L1-L5 or S1-S5"
    )


def level_index(name: str) -> int:
    """Position of a level in :data:`LEVEL_SEQUENCE` (C1 = 0, C2 = 1, ..., S5 = 28)."""
    return _INDEX[canonical_level_name(name)]


def level_at(index: int) -> str | None:
    """The canonical name at a sequence position, or ``None`` beyond C1 or S5."""
    if 0 <= index < len(LEVEL_SEQUENCE):
        return LEVEL_SEQUENCE[index]
    return None


def region_of(name: str) -> str:
    """``"cervical"``, ``"thoracic"``, ``"lumbar"`` or ``"sacral"``."""
    return _REGION_NAMES[canonical_level_name(name)[0]]


def display_name(name: str, thoracic_prefix: ThoracicPrefix = "T") -> str:
    """A level name as the user prefers to read it (``"T5"`` or ``"D5"``)."""
    canonical = canonical_level_name(name)
    if canonical[0] == "T" and thoracic_prefix == "D":
        return "D" + canonical[1:]
    return canonical


def disc_name(upper: str, lower: str, thoracic_prefix: ThoracicPrefix = "T") -> str:
    """The disc space between two bodies: ``"C4-5"``, ``"C7-T1"``, ``"T12-L1"``, ``"L5-S1"``."""
    up = display_name(upper, thoracic_prefix)
    low = display_name(lower, thoracic_prefix)
    if up[0] == low[0]:
        return f"{up}-{low[1:]}"
    return f"{up}-{low}"


def level_range_words(names: Sequence[str], thoracic_prefix: ThoracicPrefix = "T") -> str:
    """A contiguous run of levels in words: ``"T9"``, ``"C4-C5"``, ``"T4-T6"``, ``"C7-T1"``.

    The run is given from the top down (or in any order; it is sorted by sequence position).
    """
    ordered = sorted({canonical_level_name(n) for n in names}, key=_INDEX.__getitem__)
    if not ordered:
        return ""
    first = display_name(ordered[0], thoracic_prefix)
    if len(ordered) == 1:
        return first
    return f"{first}-{display_name(ordered[-1], thoracic_prefix)}"


def level_range_short(names: Sequence[str], thoracic_prefix: ThoracicPrefix = "T") -> str:
    """Short form of :func:`level_range_words`: ``"T9"``, ``"C4-5"``, ``"T4-6"``, ``"C7-T1"``."""
    ordered = sorted({canonical_level_name(n) for n in names}, key=_INDEX.__getitem__)
    if not ordered:
        return ""
    if len(ordered) == 1:
        return display_name(ordered[0], thoracic_prefix)
    return disc_name(ordered[0], ordered[-1], thoracic_prefix)


@dataclass(frozen=True)
class VertebralLevel:
    """One labelled vertebral body.

    Parameters
    ----------
    name : str
        Level name; any accepted spelling, stored canonically (``"D5"`` becomes ``"T5"``).
    superior_z_mm : float
        Patient z of the superior endplate, LPS mm.
    inferior_z_mm : float
        Patient z of the inferior endplate, LPS mm (smaller than ``superior_z_mm`` when sane;
        :func:`check_levels` flags it otherwise).
    center_mm : tuple of 3 float, optional
        Centre of the body in LPS mm, where the user clicked it.
    body_width_mm : float, optional
        Left-right width of the body in mm, when measured; used for the default field width.
    """

    name: str
    superior_z_mm: float
    inferior_z_mm: float
    center_mm: tuple[float, float, float] | None = None
    body_width_mm: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", canonical_level_name(self.name))
        object.__setattr__(self, "superior_z_mm", float(self.superior_z_mm))
        object.__setattr__(self, "inferior_z_mm", float(self.inferior_z_mm))
        if not (math.isfinite(self.superior_z_mm) and math.isfinite(self.inferior_z_mm)):
            raise LabelError(f"{self.name}: endplate positions must be finite numbers of mm")
        if self.center_mm is not None:
            object.__setattr__(self, "center_mm", tuple(float(v) for v in self.center_mm))
        if self.body_width_mm is not None:
            object.__setattr__(self, "body_width_mm", float(self.body_width_mm))

    @property
    def index(self) -> int:
        """Position in :data:`LEVEL_SEQUENCE`."""
        return _INDEX[self.name]

    @property
    def height_mm(self) -> float:
        """Body height, superior minus inferior endplate z, mm."""
        return self.superior_z_mm - self.inferior_z_mm

    @property
    def middle_z_mm(self) -> float:
        """Mid-body z, mm."""
        return 0.5 * (self.superior_z_mm + self.inferior_z_mm)

    def contains_z(self, z_mm: float) -> bool:
        """Whether ``z_mm`` lies between the two endplates (inclusive)."""
        low, high = sorted((self.inferior_z_mm, self.superior_z_mm))
        return low <= z_mm <= high


@dataclass(frozen=True)
class BodyMarks:
    """An unnamed body as clicked: its endplates (LPS z, mm) and optional centre (LPS mm)."""

    superior_z_mm: float
    inferior_z_mm: float
    center_mm: tuple[float, float, float] | None = None
    body_width_mm: float | None = None

    @property
    def middle_z_mm(self) -> float:
        return 0.5 * (float(self.superior_z_mm) + float(self.inferior_z_mm))


@dataclass(frozen=True)
class DiscSpace:
    """The disc space between two consecutively named, labelled bodies (z in LPS mm)."""

    upper: str
    lower: str
    superior_z_mm: float
    inferior_z_mm: float

    @property
    def middle_z_mm(self) -> float:
        """Middle of the disc: (inferior endplate of the upper + superior of the lower) / 2."""
        return 0.5 * (self.superior_z_mm + self.inferior_z_mm)

    @property
    def height_mm(self) -> float:
        return self.superior_z_mm - self.inferior_z_mm

    def name(self, thoracic_prefix: ThoracicPrefix = "T") -> str:
        """``"C4-5"``, ``"C7-T1"``..."""
        return disc_name(self.upper, self.lower, thoracic_prefix)


@dataclass(frozen=True)
class Segment:
    """A level's segment: from the middle of the disc above its body to the middle of the disc
    below it (z in LPS mm). Where the neighbour is not labelled, the body's own endplate is used
    and ``notes`` says so."""

    level: str
    superior_z_mm: float
    inferior_z_mm: float
    superior_at_disc: bool
    inferior_at_disc: bool
    notes: tuple[str, ...] = ()

    def overlaps(self, superior_z_mm: float, inferior_z_mm: float) -> bool:
        """Whether the open z-interval of the segment overlaps ``[inferior, superior]``."""
        return self.inferior_z_mm < superior_z_mm and inferior_z_mm < self.superior_z_mm


IssueKind = Literal["inverted_endplates", "duplicate", "out_of_order", "overlap", "skipped_level"]


@dataclass(frozen=True)
class LevelIssue:
    """One inconsistency in the labels, in words.

    ``severity`` is ``"error"`` for problems that make the labels unusable for planning
    (a field is not derived from them) and ``"warning"`` for ones to look at (a skipped level).
    """

    kind: IssueKind
    severity: Literal["error", "warning"]
    levels: tuple[str, ...]
    message: str


def sort_by_z(levels: Iterable[VertebralLevel]) -> tuple[VertebralLevel, ...]:
    """Levels from the head down (decreasing mid-body z)."""
    return tuple(sorted(levels, key=lambda lv: -lv.middle_z_mm))


def check_levels(
    levels: Sequence[VertebralLevel], thoracic_prefix: ThoracicPrefix = "T"
) -> tuple[LevelIssue, ...]:
    """Every inconsistency in a set of labels, each as a readable message.

    Checks: a superior endplate not above the inferior one; a name used twice; names not in
    the order of their bodies' z (out of order); a body's inferior endplate below the superior
    endplate of the next body down (overlap); a gap in the names between neighbouring bodies
    (skipped level -- a warning, since the user may simply not have labelled it).
    """

    def show(name: str) -> str:
        return display_name(name, thoracic_prefix)

    issues: list[LevelIssue] = []
    for lv in levels:
        if lv.superior_z_mm <= lv.inferior_z_mm:
            issues.append(
                LevelIssue(
                    "inverted_endplates",
                    "error",
                    (lv.name,),
                    f"{show(lv.name)}: the superior endplate (z {lv.superior_z_mm:.1f} mm) "
                    f"must lie above the inferior endplate (z {lv.inferior_z_mm:.1f} mm)",
                )
            )
    seen: dict[str, int] = {}
    for lv in levels:
        seen[lv.name] = seen.get(lv.name, 0) + 1
    for name, count in seen.items():
        if count > 1:
            issues.append(
                LevelIssue("duplicate", "error", (name,), f"{show(name)} is labelled {count} times")
            )
    ordered = sort_by_z(levels)
    for upper, lower in itertools.pairwise(ordered):
        if upper.name == lower.name:
            continue
        if upper.index > lower.index:
            issues.append(
                LevelIssue(
                    "out_of_order",
                    "error",
                    (upper.name, lower.name),
                    f"out of order: {show(upper.name)} (z {upper.middle_z_mm:.1f} mm) lies above "
                    f"{show(lower.name)} (z {lower.middle_z_mm:.1f} mm) but should lie below it",
                )
            )
        if upper.inferior_z_mm < lower.superior_z_mm:
            issues.append(
                LevelIssue(
                    "overlap",
                    "error",
                    (upper.name, lower.name),
                    f"overlapping bodies: the inferior endplate of {show(upper.name)} "
                    f"(z {upper.inferior_z_mm:.1f} mm) is below the superior endplate of "
                    f"{show(lower.name)} (z {lower.superior_z_mm:.1f} mm)",
                )
            )
        gap = lower.index - upper.index
        if gap > 1:
            missing = [LEVEL_SEQUENCE[i] for i in range(upper.index + 1, lower.index)]
            issues.append(
                LevelIssue(
                    "skipped_level",
                    "warning",
                    tuple(missing),
                    f"skipped level: {level_range_words(missing, thoracic_prefix)} "
                    f"{'is' if len(missing) == 1 else 'are'} not labelled between "
                    f"{show(upper.name)} and {show(lower.name)}",
                )
            )
    return tuple(issues)


def require_consistent(
    levels: Sequence[VertebralLevel], thoracic_prefix: ThoracicPrefix = "T"
) -> tuple[VertebralLevel, ...]:
    """The levels sorted from the head down, or :class:`LabelError` listing every error.

    Warnings (skipped levels) do not stop planning; they are reported by :func:`check_levels`.
    """
    if not levels:
        raise LabelError("no vertebral levels are labelled")
    errors = [i.message for i in check_levels(levels, thoracic_prefix) if i.severity == "error"]
    if errors:
        raise LabelError("inconsistent vertebral labels: " + "; ".join(errors))
    return sort_by_z(levels)


def find_level(levels: Iterable[VertebralLevel], name: str) -> VertebralLevel | None:
    """The labelled level called ``name`` (any spelling), or ``None``."""
    canonical = canonical_level_name(name)
    return next((lv for lv in levels if lv.name == canonical), None)


def neighbour(levels: Iterable[VertebralLevel], name: str, step: int) -> VertebralLevel | None:
    """The labelled level ``step`` positions down the sequence (``-1`` = the one above)."""
    target = level_at(level_index(name) + step)
    return None if target is None else find_level(levels, target)


def disc_space(levels: Sequence[VertebralLevel], upper: str, lower: str) -> DiscSpace | None:
    """The disc between two consecutively named levels when both are labelled, else ``None``."""
    up = find_level(levels, upper)
    low = find_level(levels, lower)
    if up is None or low is None or low.index != up.index + 1:
        return None
    return DiscSpace(up.name, low.name, up.inferior_z_mm, low.superior_z_mm)


def disc_spaces(levels: Sequence[VertebralLevel]) -> tuple[DiscSpace, ...]:
    """Every disc space between consecutively named labelled levels, from the head down."""
    discs = []
    for lv in sort_by_z(levels):
        below = level_at(lv.index + 1)
        disc = None if below is None else disc_space(levels, lv.name, below)
        if disc is not None:
            discs.append(disc)
    return tuple(discs)


def segment(
    levels: Sequence[VertebralLevel], name: str, thoracic_prefix: ThoracicPrefix = "T"
) -> Segment:
    """The segment of one labelled level (see :class:`Segment`).

    Raises
    ------
    LabelError
        When ``name`` is not labelled.
    """
    lv = find_level(levels, name)
    if lv is None:
        raise LabelError(f"{display_name(name, thoracic_prefix)} is not labelled")
    notes = []
    above = level_at(lv.index - 1)
    below = level_at(lv.index + 1)
    disc_above = None if above is None else disc_space(levels, above, lv.name)
    disc_below = None if below is None else disc_space(levels, lv.name, below)
    show = display_name(lv.name, thoracic_prefix)
    if disc_above is None:
        what = (
            "nothing above it"
            if above is None
            else (f"{display_name(above, thoracic_prefix)} is not labelled")
        )
        notes.append(f"{show} segment ends at its superior endplate ({what})")
    if disc_below is None:
        what = (
            "nothing below it"
            if below is None
            else (f"{display_name(below, thoracic_prefix)} is not labelled")
        )
        notes.append(f"{show} segment ends at its inferior endplate ({what})")
    return Segment(
        level=lv.name,
        superior_z_mm=lv.superior_z_mm if disc_above is None else disc_above.middle_z_mm,
        inferior_z_mm=lv.inferior_z_mm if disc_below is None else disc_below.middle_z_mm,
        superior_at_disc=disc_above is not None,
        inferior_at_disc=disc_below is not None,
        notes=tuple(notes),
    )


def z_location_words(
    levels: Sequence[VertebralLevel], z_mm: float, thoracic_prefix: ThoracicPrefix = "T"
) -> str:
    """Where a patient z lies among the labelled bodies, in words: ``"the T10 body"``,
    ``"the T8-9 disc space"``, ``"above C1, the highest labelled body"``, ``"between T9 and T11
    (T10 is not labelled)"``. An endplate counts as part of its body."""
    ordered = sort_by_z(levels)
    if not ordered:
        return "no level is labelled"
    for lv in ordered:
        if lv.contains_z(z_mm):
            return f"the {display_name(lv.name, thoracic_prefix)} body"
    top, bottom = ordered[0], ordered[-1]
    if z_mm > top.superior_z_mm:
        return f"above {display_name(top.name, thoracic_prefix)}, the highest labelled body"
    if z_mm < bottom.inferior_z_mm:
        return f"below {display_name(bottom.name, thoracic_prefix)}, the lowest labelled body"
    for upper, lower in itertools.pairwise(ordered):
        if lower.superior_z_mm < z_mm < upper.inferior_z_mm:
            if lower.index == upper.index + 1:
                return f"the {disc_name(upper.name, lower.name, thoracic_prefix)} disc space"
            return (
                f"between {display_name(upper.name, thoracic_prefix)} and "
                f"{display_name(lower.name, thoracic_prefix)} (the levels between are not "
                "labelled)"
            )
    return "between the labelled bodies"  # labels out of order; require_consistent refuses them


def highest_reached(levels: Sequence[VertebralLevel], superior_z_mm: float) -> VertebralLevel:
    """The highest labelled body at least partly below ``superior_z_mm`` (a superior border):
    the top vertebra a field with that border reaches."""
    below = [lv for lv in sort_by_z(levels) if lv.inferior_z_mm < superior_z_mm]
    return below[0] if below else sort_by_z(levels)[0]


def lowest_reached(levels: Sequence[VertebralLevel], inferior_z_mm: float) -> VertebralLevel:
    """The lowest labelled body at least partly above ``inferior_z_mm`` (an inferior border)."""
    above = [lv for lv in sort_by_z(levels) if lv.superior_z_mm > inferior_z_mm]
    return above[-1] if above else sort_by_z(levels)[-1]


def segments(
    levels: Sequence[VertebralLevel], thoracic_prefix: ThoracicPrefix = "T"
) -> tuple[Segment, ...]:
    """The segment of every labelled level, from the head down."""
    return tuple(segment(levels, lv.name, thoracic_prefix) for lv in sort_by_z(levels))


# -- naming -------------------------------------------------------------------------------
def name_bodies(
    bodies: Sequence[BodyMarks | VertebralLevel], anchor: int, anchor_name: str
) -> tuple[VertebralLevel, ...]:
    """Name clicked bodies in sequence from an anchor.

    Bodies are ordered by z (not by click order); the anchor body gets ``anchor_name``, the
    bodies below it the following names (C2 -> C3, C4, ...) and those above it the preceding
    ones.

    Parameters
    ----------
    bodies : sequence of BodyMarks or VertebralLevel
        The bodies, in any order (existing names are ignored).
    anchor : int
        Index into ``bodies`` of the body the user named.
    anchor_name : str
        Its name, e.g. ``"C2"``.

    Returns
    -------
    tuple of VertebralLevel
        From the head down.

    Raises
    ------
    LabelError
        When the count runs past C1 or S5, or ``anchor`` is not a body index.
    """
    if not 0 <= anchor < len(bodies):
        raise LabelError(f"anchor body {anchor} does not exist ({len(bodies)} bodies marked)")
    start = level_index(anchor_name)
    order = sorted(range(len(bodies)), key=lambda i: -bodies[i].middle_z_mm)
    position = order.index(anchor)
    named = []
    for rank, i in enumerate(order):
        name = level_at(start + rank - position)
        if name is None:
            raise LabelError(
                f"counting from {canonical_level_name(anchor_name)} runs past "
                f"{'C1' if start + rank - position < 0 else 'S5'}: "
                f"{len(bodies)} bodies cannot all be named"
            )
        body = bodies[i]
        named.append(
            VertebralLevel(
                name, body.superior_z_mm, body.inferior_z_mm, body.center_mm, body.body_width_mm
            )
        )
    return tuple(named)


def rename_level(
    levels: Sequence[VertebralLevel], old_name: str, new_name: str
) -> tuple[VertebralLevel, ...]:
    """The same levels with one renamed (the others untouched; check the result).

    Raises
    ------
    LabelError
        When ``old_name`` is not labelled.
    """
    old = canonical_level_name(old_name)
    if find_level(levels, old) is None:
        raise LabelError(f"cannot rename {old}: it is not labelled")
    return tuple(replace(lv, name=new_name) if lv.name == old else lv for lv in levels)


def renumber_from(
    levels: Sequence[VertebralLevel], anchor_old_name: str, anchor_new_name: str
) -> tuple[VertebralLevel, ...]:
    """Rename one level and every other one in sequence from it (fixing a miscount)."""
    anchor = find_level(levels, anchor_old_name)
    if anchor is None:
        raise LabelError(f"cannot renumber from {anchor_old_name}: it is not labelled")
    return name_bodies(list(levels), list(levels).index(anchor), anchor_new_name)


def levels_between(
    levels: Sequence[VertebralLevel],
    superior_z_mm: float,
    inferior_z_mm: float,
    thoracic_prefix: ThoracicPrefix = "T",
) -> tuple[str, ...]:
    """Names of the levels whose segment overlaps ``[inferior_z_mm, superior_z_mm]``, head down."""
    high, low = max(superior_z_mm, inferior_z_mm), min(superior_z_mm, inferior_z_mm)
    return tuple(s.level for s in segments(levels, thoracic_prefix) if s.overlaps(high, low))
