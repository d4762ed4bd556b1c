"""The counting check: count the vertebrae from C2 (dens) down and from S1 up, and compare.

Miscounting is the classic error of level labelling. The user anchors the count at the body
of C2 (recognised by the dens) and/or at S1 (the first sacral body). Between C2 and S1 a usual
spine has 22 bodies (C3-C7, T1-T12, L1-L5). When both anchors are set, the number of marked
bodies between them tells whether the two counts agree; when they do not, the difference and,
if the user marked the lowest rib-bearing body, the rib and lumbar counts say where a
transitional or missing vertebra may be (11 or 13 rib-bearing levels, a lumbarised S1 or a
sacralised L5).

A thoracolumbar study shows neither C2 nor S1: the count is then anchored at the bodies that
are visible, the lowest rib-bearing body (normally T12) and the first lumbar body (normally
L1), with the tip of the conus medullaris (usually opposite T12 to L2) as a cross-check. Every
result says how sure the count is (:attr:`CountingCheck.confidence`): ``confirmed`` (C2 and
S1 agree), ``probable`` (two anchors that agree, or one end anchor with a rib or lumbar anchor
that agrees), ``unconfirmed`` (a single anchor: nothing to check it against) or ``in doubt``
(anchors or the conus disagree with each other or with the labels).

Anchors are stored as a z inside the anchored body (LPS mm), so renaming levels does not move
them. The count needs every body between the anchors marked; a gap larger than the bodies on
either side is reported as a possibly unmarked body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from planning.anatomy.levels import (
    ThoracicPrefix,
    VertebralLevel,
    display_name,
    find_level,
    level_at,
    level_index,
    sort_by_z,
    z_location_words,
)
from planning.errors import LabelError

#: Bodies strictly between C2 and S1 in the usual spine: C3-C7, T1-T12, L1-L5.
EXPECTED_BODIES_BETWEEN_C2_AND_S1 = 22
USUAL_RIB_BEARING = 12
USUAL_LUMBAR = 5

CountingStatus = Literal["agree", "disagree", "c2_only", "s1_only", "thoracolumbar", "no_anchor"]
Confidence = Literal["confirmed", "probable", "unconfirmed", "in doubt", "none"]

#: Where the conus medullaris usually ends in adults: from the T12 body to the L2 body (its
#: tip is most often opposite L1-L2).
CONUS_USUAL_LEVELS = ("T12", "L1", "L2")


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
    first_lumbar_z_mm : float, optional
        A z inside the first lumbar (first non-rib-bearing) body, normally L1.
    conus_tip_z_mm : float, optional
        The z of the conus medullaris tip (a cross-check, not an anchor of the count).
    """

    c2_z_mm: float | None = None
    s1_z_mm: float | None = None
    lowest_rib_z_mm: float | None = None
    first_lumbar_z_mm: float | None = None
    conus_tip_z_mm: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {
            "c2_z_mm": self.c2_z_mm,
            "s1_z_mm": self.s1_z_mm,
            "lowest_rib_z_mm": self.lowest_rib_z_mm,
            "first_lumbar_z_mm": self.first_lumbar_z_mm,
            "conus_tip_z_mm": self.conus_tip_z_mm,
        }

    def to_file_dict(self) -> dict[str, float | None]:
        """:meth:`to_dict` without the thoracolumbar anchors that are not set, so that a case
        file without them reads in older spineplan versions."""
        data = self.to_dict()
        for key in ("first_lumbar_z_mm", "conus_tip_z_mm"):
            if data[key] is None:
                del data[key]
        return data


def anchors_at(
    levels: Sequence[VertebralLevel],
    c2: str | None = None,
    s1: str | None = None,
    lowest_rib: str | None = None,
    first_lumbar: str | None = None,
    conus_tip: str | None = None,
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

    return CountingAnchors(
        middle(c2), middle(s1), middle(lowest_rib), middle(first_lumbar), middle(conus_tip)
    )


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
        The whole result in words, ending with how sure the count is.
    confidence : str
        ``"confirmed"``, ``"probable"``, ``"unconfirmed"``, ``"in doubt"`` or ``"none"``.
    confidence_reason : str
        Why, in words.
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
    confidence: Confidence = "none"
    confidence_reason: str = ""

    @property
    def agree(self) -> bool | None:
        """True/False when both anchors are set, else ``None``."""
        if self.status in ("agree", "disagree"):
            return self.status == "agree"
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the case file's ``counting_check``)."""
        return {
            "anchors": self.anchors.to_file_dict(),
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


def _end_anchor_check(
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


def _thoracolumbar_check(
    ordered: Sequence[VertebralLevel],
    anchors: CountingAnchors,
    prefix: ThoracicPrefix,
    names_from_them: bool,
) -> tuple[list[str], list[str], bool | None]:
    """Sentences of the rib and lumbar anchors, the disagreements among them, and whether the
    labels follow them (None without either anchor). ``names_from_them``: no C2 or S1 anchor,
    so the rib and lumbar anchors name the levels (else they count transitional anatomy)."""
    rib = (
        None
        if anchors.lowest_rib_z_mm is None
        else _body_rank(ordered, anchors.lowest_rib_z_mm, "lowest rib-bearing body")
    )
    lumbar = (
        None
        if anchors.first_lumbar_z_mm is None
        else _body_rank(ordered, anchors.first_lumbar_z_mm, "first lumbar body")
    )
    current = [lv.name for lv in ordered]
    said: list[str] = []
    doubts: list[str] = []
    follows: bool | None = None
    for rank, name, what in (
        (rib, "T12", "lowest rib-bearing body"),
        (lumbar, "L1", "first lumbar body"),
    ):
        if rank is None:
            continue
        match = _names_from(ordered, rank, name) == current
        follows = match if follows is None else follows and match
        shown = display_name(ordered[rank].name, prefix)
        if names_from_them or ordered[rank].name != name:
            said.append(
                f"The {what} is labelled {shown}"
                + ("" if ordered[rank].name == name else f" (usually {display_name(name, prefix)})")
                + "."
            )
        if not match and names_from_them:
            doubts.append(
                f"the labels do not follow the count from the {what} as "
                f"{display_name(name, prefix)}"
            )
    if rib is not None and lumbar is not None and lumbar != rib + 1:
        doubts.append(
            f"the first lumbar body is {lumbar - rib} bodies below the lowest rib-bearing one "
            "instead of directly below it: check the ribs and the marks between"
        )
    return said, doubts, follows


def _conus_check(
    ordered: Sequence[VertebralLevel], z_mm: float, prefix: ThoracicPrefix
) -> tuple[str, str | None]:
    """Where the conus tip lies by the current labels, and a doubt when that is unusual."""
    where = z_location_words(ordered, z_mm, prefix)
    opposite = [lv.name for lv in ordered if lv.contains_z(z_mm)]
    if not opposite:  # in a disc space: the bodies above and below
        above = [lv.name for lv in ordered if lv.inferior_z_mm > z_mm]
        below = [lv.name for lv in ordered if lv.superior_z_mm < z_mm]
        opposite = ([above[-1]] if above else []) + ([below[0]] if below else [])
    usual = any(name in CONUS_USUAL_LEVELS for name in opposite)
    sentence = f"The conus tip lies opposite {where}."
    if usual:
        return sentence + " That is its usual place (T12 to L2).", None
    return sentence, (
        f"the conus tip lies opposite {where}, outside its usual T12 to L2: the count may be "
        "off, or the cord is low-lying; check"
    )


def counting_check(
    levels: Sequence[VertebralLevel],
    anchors: CountingAnchors,
    thoracic_prefix: ThoracicPrefix = "T",
) -> CountingCheck:
    """The counting check from every anchor set, and how sure the count is.

    C2 and S1 compare the two counts (:func:`_end_anchor_check`); the lowest rib-bearing and
    the first lumbar body anchor the count where neither end is in view; the conus tip is a
    cross-check. The sentence ends with the confidence and why.

    Raises
    ------
    LabelError
        When an anchor is not inside a marked body, or S1 is anchored above C2.
    """
    ordered = sort_by_z(levels)
    end = _end_anchor_check(levels, anchors, thoracic_prefix)
    said, doubts, follows = _thoracolumbar_check(
        ordered, anchors, thoracic_prefix, names_from_them=end.status == "no_anchor"
    )
    if anchors.conus_tip_z_mm is not None:
        conus_words, conus_doubt = _conus_check(ordered, anchors.conus_tip_z_mm, thoracic_prefix)
        said.append(conus_words)
        if conus_doubt:
            doubts.append(conus_doubt)
    has_end = end.status != "no_anchor"
    has_mid = anchors.lowest_rib_z_mm is not None or anchors.first_lumbar_z_mm is not None
    if not has_end and not has_mid and anchors.conus_tip_z_mm is None:
        return end
    status: CountingStatus = end.status if has_end else "thoracolumbar"
    sentence = end.sentence if has_end else "Counted without C2 or S1 in view."
    if said:
        sentence += " " + " ".join(said)
    transitional = bool(end.explanations) and end.status in ("c2_only", "s1_only")
    if end.status == "disagree" or (
        has_end and False in (end.labels_match_c2, end.labels_match_s1)
    ):
        confidence: Confidence = "in doubt"
        reason = "the anchors or the labels disagree"
    elif doubts or transitional:
        confidence = "in doubt"
        reason = "; ".join(doubts) if doubts else "possible transitional anatomy"
    elif end.status == "agree":
        confidence, reason = "confirmed", "the counts from C2 and from S1 agree"
    elif (has_end and has_mid) or (
        anchors.lowest_rib_z_mm is not None and anchors.first_lumbar_z_mm is not None
    ):
        confidence, reason = "probable", "two anchors agree, but not C2 with S1"
    elif (has_end or has_mid) and anchors.conus_tip_z_mm is not None and follows is not False:
        confidence, reason = "probable", "one anchor, and the conus tip lies where it usually does"
    elif has_end or has_mid:
        confidence = "unconfirmed"
        reason = (
            "a single anchor, nothing to check it against (a transitional vertebra cannot be "
            "ruled out); add another anchor or the conus tip"
        )
    else:
        confidence = "unconfirmed"
        reason = "only the conus tip is set: anchor the lowest rib or the first lumbar body"
    sentence += f" Confidence in the count: {confidence} ({reason})."
    return replace(
        end,
        status=status,
        sentence=sentence,
        explanations=end.explanations + tuple(doubts),
        confidence=confidence,
        confidence_reason=reason,
    )
