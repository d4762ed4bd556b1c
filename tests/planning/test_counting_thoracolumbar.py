"""The counting check without C2 or S1 in view (issue 16, item 9): the lowest rib-bearing and
first lumbar bodies anchor it, the conus tip cross-checks it, and every result says how sure
the count is."""

from __future__ import annotations

from dataclasses import replace

from planning.anatomy.counting import CountingAnchors, anchors_at, counting_check
from planning.anatomy.levels import renumber_from
from planning.case import load_case
from planning.case.writing import case_to_dict, save_case
from tests.planning.plan_fixtures import SAMPLES
from tests.planning.synthetic_spine import by_name, spine

THORACOLUMBAR = spine([f"T{n}" for n in range(8, 13)] + ["L1", "L2", "L3"])


def test_rib_anchor_alone_is_unconfirmed() -> None:
    check = counting_check(THORACOLUMBAR, anchors_at(THORACOLUMBAR, lowest_rib="T12"))
    assert check.status == "thoracolumbar"
    assert check.confidence == "unconfirmed"
    assert "Counted without C2 or S1 in view." in check.sentence
    assert "The lowest rib-bearing body is labelled T12." in check.sentence
    assert "Confidence in the count: unconfirmed (a single anchor" in check.sentence


def test_rib_and_lumbar_anchors_that_agree_are_probable() -> None:
    anchors = anchors_at(THORACOLUMBAR, lowest_rib="T12", first_lumbar="L1")
    check = counting_check(THORACOLUMBAR, anchors)
    assert check.confidence == "probable"
    assert not check.explanations


def test_the_conus_tip_cross_checks_a_single_anchor() -> None:
    usual = anchors_at(THORACOLUMBAR, first_lumbar="L1", conus_tip="L1")
    check = counting_check(THORACOLUMBAR, usual)
    assert check.confidence == "probable"
    assert "The conus tip lies opposite the L1 body. That is its usual place" in check.sentence
    low = anchors_at(THORACOLUMBAR, first_lumbar="L1", conus_tip="L3")
    doubtful = counting_check(THORACOLUMBAR, low)
    assert doubtful.confidence == "in doubt"
    assert "outside its usual T12 to L2" in doubtful.sentence


def test_labels_shifted_by_one_are_in_doubt() -> None:
    # the user counted one too high: every body named one level up
    shifted = renumber_from(THORACOLUMBAR, "T8", "T7")
    names = [lv.name for lv in shifted]
    assert names[:2] == ["T7", "T8"]
    # the body with the lowest rib (truly T12) is now labelled T11
    true_t12 = by_name(THORACOLUMBAR)["T12"].middle_z_mm
    check = counting_check(shifted, CountingAnchors(lowest_rib_z_mm=true_t12))
    assert check.confidence == "in doubt"
    assert "The lowest rib-bearing body is labelled T11 (usually T12)." in check.sentence
    assert any("do not follow the count from the lowest rib-bearing body" in e
               for e in check.explanations)  # fmt: skip


def test_rib_and_lumbar_anchors_apart_are_in_doubt() -> None:
    anchors = anchors_at(THORACOLUMBAR, lowest_rib="T11", first_lumbar="L1")
    check = counting_check(THORACOLUMBAR, anchors)
    assert check.confidence == "in doubt"
    assert "2 bodies below the lowest rib-bearing one" in check.sentence


def test_end_anchors_agreeing_are_confirmed() -> None:
    whole = spine()
    check = counting_check(whole, anchors_at(whole, c2="C2", s1="S1"))
    assert check.status == "agree" and check.confidence == "confirmed"
    assert check.sentence.endswith("(the counts from C2 and from S1 agree).")
    single = counting_check(whole, anchors_at(whole, c2="C2"))
    assert single.confidence == "unconfirmed"


def test_new_anchors_round_trip_and_are_written_only_when_set(tmp_path) -> None:
    source = load_case(SAMPLES / "case3" / "reference.spineplan.json")
    t12 = next(lv for lv in source.levels if lv.name == "T12")
    anchors = CountingAnchors(lowest_rib_z_mm=t12.middle_z_mm, conus_tip_z_mm=t12.middle_z_mm - 30)
    path = tmp_path / "a.spineplan.json"
    save_case(replace(source, counting_anchors=anchors), path)
    assert load_case(path).counting_anchors == anchors
    written = case_to_dict(
        replace(source, counting_anchors=CountingAnchors(s1_z_mm=t12.middle_z_mm))
    )
    assert set(written["counting_check"]["anchors"]) == {"c2_z_mm", "s1_z_mm", "lowest_rib_z_mm"}
    assert "confidence" not in written["counting_check"]  # older readers refuse unknown fields
