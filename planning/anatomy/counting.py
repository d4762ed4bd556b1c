"""The counting check: count the vertebrae from C2 (dens) down and from S1 up, and compare.

Miscounting is the classic error of level labelling. The user anchors the count at the body
of C2 (recognised by the dens) and/or at S1 (the first sacral body). Between C2 and S1 a usual
spine has 22 bodies (C3-C7, T1-T12, L1-L5). When both anchors are set, the number of marked
bodies between them tells whether the two counts agree; when they do not, the difference and,
if the user marked the lowest rib-bearing body, the rib and lumbar counts say where a
transitional or missing vertebra may be (11 or 13 rib-bearing levels, a lumbarised S1 or a
sacralised L5).

Anchors are stored as a z inside the anchored body (LPS mm), so renaming levels does not move
them. The count needs every body between the anchors marked; a gap larger than the bodies on
either side is reported as a possibly unmarked body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    display_name,
    find_level,
    level_at,
    level_index,
    sort_by_z,
)
from planning.errors import LabelError

#: Bodies strictly between C2 and S1 in the usual spine: C3-C7, T1-T12, L1-L5.
EXPECTED_BODIES_BETWEEN_C2_AND_S1 = 22
USUAL_RIB_BEARING = 12
USUAL_LUMBAR = 5

CountingStatus = Literal["agree", "disagree", "c2_only", "s1_only", "no_anchor"]


@dataclass(frozen=True)
class CountingAnchors:
    """Where the user anchored the count (each a z inside the anchored body, LPS mm).

    Parameters
    ----------
    c2_z_mm : float, optional
        A z inside the body recognised as C2 (the dens).
    s1_z_mm : float, optional
        A z inside the body recognised as S1.
    lowest_rib_z_mm : float, optional
        A z inside the lowest rib-bearing body (normally T12), when the user checked the ribs.
    """

    c2_z_mm: float | None = None
    s1_z_mm: float | None = None
    lowest_rib_z_mm: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "c2_z_mm": self.c2_z_mm,
            "s1_z_mm": self.s1_z_mm,
            "lowest_rib_z_mm": self.lowest_rib_z_mm,
        }


def anchors_at(
    levels: Sequence[VertebralLevel],
    c2: str | None = None,
    s1: str | None = None,
    lowest_rib: str | None = None,
) -> CountingAnchors:
    """Anchors at the mid-body z of labelled levels, e.g. ``anchors_at(levels, "C2", "S1")``.

    The names say which labelled body the user anchored, whatever its true identity: anchoring
    the body currently called ``"C2"`` means "this body is the one with the dens".

    Raises
    ------
    LabelError
        When a named level is not labelled.
    """

    def middle(name: str | None) -> float | None:
        if name is None:
            return None
        level = find_level(levels, name)
        if level is None:
            raise LabelError(f"cannot anchor the count at {name}: it is not labelled")
        return level.middle_z_mm

    return CountingAnchors(middle(c2), middle(s1), middle(lowest_rib))


@dataclass(frozen=True)
class CountingCheck:
    """The result of the counting check, with a sentence for the panel and the report.

    Attributes
    ----------
    status : str
        ``"agree"``, ``"disagree"``, ``"c2_only"``, ``"s1_only"`` or ``"no_anchor"``.
    bodies_between : int or None
        Marked bodies strictly between the C2 and S1 anchors (both anchors set).
    difference_levels : int or None
        ``bodies_between`` minus the usual 22: +1 is one vertebra more than usual.
    labels_match_c2, labels_match_s1 : bool or None
        Whether the current labels equal the names counted from that anchor.
    rib_bearing_count, lumbar_count : int or None
        Counted when the lowest rib-bearing body is marked (and C2, resp. S1, anchored).
    explanations : tuple of str
        Where a transitional or missing vertebra may be, or why the count may be unreliable.
    sentence : str
        The whole result in words.
    """

    anchors: CountingAnchors
    status: CountingStatus
    sentence: str
    bodies_between: int | None = None
    difference_levels: int | None = None
    labels_match_c2: bool | None = None
    labels_match_s1: bool | None = None
    rib_bearing_count: int | None = None
    lumbar_count: int | None = None
    explanations: tuple[str, ...] = ()
    expected_between: int = EXPECTED_BODIES_BETWEEN_C2_AND_S1

    @property
    def agree(self) -> bool | None:
        """True/False when both anchors are set, else ``None``."""
        if self.status in ("agree", "disagree"):
            return self.status == "agree"
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the case file's ``counting_check``)."""
        return {
            "anchors": self.anchors.to_dict(),
            "status": self.status,
            "sentence": self.sentence,
            "bodies_between": self.bodies_between,
            "expected_between": self.expected_between,
            "difference_levels": self.difference_levels,
            "labels_match_c2": self.labels_match_c2,
            "labels_match_s1": self.labels_match_s1,
            "rib_bearing_count": self.rib_bearing_count,
            "lumbar_count": self.lumbar_count,
            "explanations": list(self.explanations),
        }


def _body_rank(ordered: Sequence[VertebralLevel], z_mm: float, what: str) -> int:
    for rank, lv in enumerate(ordered):
        if lv.contains_z(z_mm):
            return rank
    raise LabelError(f"the {what} at z {z_mm:.1f} mm is not inside any marked vertebral body")


def _names_from(ordered: Sequence[VertebralLevel], anchor_rank: int, anchor_name: str) -> list:
    start = level_index(anchor_name)
    return [level_at(start + rank - anchor_rank) for rank in range(len(ordered))]


def _unmarked_gaps(
    ordered: Sequence[VertebralLevel], first: int, last: int, thoracic_prefix: ThoracicPrefix
) -> list[str]:
    gaps = []
    for upper, lower in zip(ordered[first:last], ordered[first + 1 : last + 1], strict=False):
        gap = upper.inferior_z_mm - lower.superior_z_mm
        if gap > max(upper.height_mm, lower.height_mm):
            gaps.append(
                f"a {gap:.0f} mm gap between {display_name(upper.name, thoracic_prefix)} and "
                f"{display_name(lower.name, thoracic_prefix)}: a body may not be marked there, "
                "which makes the count unreliable"
            )
    return gaps


def _difference_explanations(difference: int) -> list[str]:
    if difference == 1:
        return [
            "one vertebra more than usual: a 13th rib-bearing level, or a lumbarised S1 "
            "(6 lumbar-type vertebrae); check the lowest rib and the lumbosacral junction"
        ]
    if difference == -1:
        return [
            "one vertebra fewer than usual: 11 rib-bearing levels, or a sacralised L5 "
            "(4 lumbar-type vertebrae); check the lowest rib and the lumbosacral junction"
        ]
    return [
        f"{abs(difference)} levels apart: more likely a body missed or marked twice than "
        "anatomy; check the marks between the anchors"
    ]


def counting_check(
    levels: Sequence[VertebralLevel],
    anchors: CountingAnchors,
    thoracic_prefix: ThoracicPrefix = "T",
) -> CountingCheck:
    """Compare the counts from C2 and from S1 with each other and with the current labels.

    Parameters
    ----------
    levels : sequence of VertebralLevel
        Every marked body (the count uses their z order, not their names).
    anchors : CountingAnchors
        The anchored bodies.
    thoracic_prefix : {"T", "D"}
        Naming in the sentence.

    Raises
    ------
    LabelError
        When an anchor is not inside a marked body, or S1 is anchored above C2.
    """
    ordered = sort_by_z(levels)
    c2 = None if anchors.c2_z_mm is None else _body_rank(ordered, anchors.c2_z_mm, "C2 anchor")
    s1 = None if anchors.s1_z_mm is None else _body_rank(ordered, anchors.s1_z_mm, "S1 anchor")
    rib = (
        None
        if anchors.lowest_rib_z_mm is None
        else _body_rank(ordered, anchors.lowest_rib_z_mm, "lowest rib-bearing body")
    )
    current = [lv.name for lv in ordered]

    def matches(rank: int | None, name: str) -> bool | None:
        return None if rank is None else _names_from(ordered, rank, name) == current

    match_c2, match_s1 = matches(c2, "C2"), matches(s1, "S1")
    rib_count = None if c2 is None or rib is None else rib - c2 - 5
    lumbar_count = None if s1 is None or rib is None else s1 - rib - 1
    explanations: list[str] = []
    if rib_count is not None and rib_count != USUAL_RIB_BEARING:
        explanations.append(f"{rib_count} rib-bearing (thoracic) levels instead of 12")
    if lumbar_count is not None and lumbar_count != USUAL_LUMBAR:
        kind = {6: " (lumbarised S1)", 4: " (sacralised L5)"}.get(lumbar_count, "")
        explanations.append(f"{lumbar_count} lumbar-type vertebrae instead of 5{kind}")

    def follows(match: bool | None, anchor: str) -> str:
        if match is None:
            return ""
        return (
            f" The current labels follow the count from {anchor}."
            if match
            else f" The current labels do not follow the count from {anchor}."
        )

    if c2 is None and s1 is None:
        return CountingCheck(
            anchors,
            "no_anchor",
            "No counting anchor is set: anchor the count at C2 (dens) and at S1 to check it.",
        )
    if c2 is None or s1 is None:
        which = "C2" if c2 is not None else "S1"
        other = "S1" if which == "C2" else "C2"
        sentence = f"Counted from {which} only ({other} anchor not set)." + follows(
            match_c2 if which == "C2" else match_s1, which
        )
        if explanations:
            sentence += " Possible transitional anatomy: " + "; ".join(explanations) + "."
        return CountingCheck(
            anchors,
            "c2_only" if which == "C2" else "s1_only",
            sentence,
            labels_match_c2=match_c2,
            labels_match_s1=match_s1,
            rib_bearing_count=rib_count,
            lumbar_count=lumbar_count,
            explanations=tuple(explanations),
        )
    if s1 <= c2:
        raise LabelError("the S1 anchor must lie below the C2 anchor")
    between = s1 - c2 - 1
    difference = between - EXPECTED_BODIES_BETWEEN_C2_AND_S1
    explanations = _unmarked_gaps(ordered, c2, s1, thoracic_prefix) + explanations
    if difference == 0:
        sentence = f"The counts from C2 and from S1 agree: {between} bodies lie between them."
        sentence += (
            " The current labels follow them."
            if match_c2
            else " The current labels do not follow them: rename from C2 or S1."
        )
        if explanations:
            sentence += " Note: " + "; ".join(explanations) + "."
        status: CountingStatus = "agree"
    else:
        if not any("rib-bearing (thoracic)" in e or "lumbar-type" in e for e in explanations):
            explanations.extend(_difference_explanations(difference))
        from_c2 = _names_from(ordered, c2, "C2")[s1]
        from_s1 = _names_from(ordered, s1, "S1")[c2]
        sacral_words = display_name(from_c2, thoracic_prefix) if from_c2 else "beyond S5"
        dens_words = display_name(from_s1, thoracic_prefix) if from_s1 else "above C1"
        sentence = (
            f"The counts from C2 and from S1 disagree by {abs(difference)} "
            f"level{'s' if abs(difference) != 1 else ''}: {between} bodies lie between them "
            f"instead of {EXPECTED_BODIES_BETWEEN_C2_AND_S1}. Counting down from C2 the sacral "
            f"anchor would be {sacral_words}; counting up from S1 the dens would be "
            f"{dens_words}."
            + follows(match_c2, "C2")
            + follows(match_s1, "S1")
            + " Possible cause: "
            + "; ".join(explanations)
            + "."
        )
        status = "disagree"
    return CountingCheck(
        anchors,
        status,
        sentence,
        bodies_between=between,
        difference_levels=difference,
        labels_match_c2=match_c2,
        labels_match_s1=match_s1,
        rib_bearing_count=rib_count,
        lumbar_count=lumbar_count,
        explanations=tuple(explanations),
    )
