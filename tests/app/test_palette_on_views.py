"""The colours the views really draw stay apart for colour-blind readers (issue 16, item 7).

After a practice Submit the window shows the most at once: the trainee's levels, lesion, edema
limits and field, the plan's isodoses, and the reference over them. Every colour an overlay item
draws in is collected from the items themselves (no palette involved), and any two different
colours shown together must be at least `MIN_CVD_DISTANCE` apart in CAM02-UCS under normal
vision and simulated deuteranopia, protanopia and tritanopia. Identical colours are one meaning
told apart by line style (the field's borders, outline and beam paths).
"""

from __future__ import annotations

from itertools import combinations

from planning.case import load_case
from planning.display.palette import MIN_CVD_DISTANCE
from tests.app.test_practice_session import CASE, delineate, start_from_the_menu
from tests.planning.test_palette import seen_distance


def _drawn_colours(window) -> dict[tuple[int, int, int], set[str]]:
    """Every colour of the visible overlay items, with the items drawing in it."""
    found: dict[tuple[int, int, int], set[str]] = {}
    for item in window.viewer.overlays.items():
        if not item.visible:
            continue
        colours = [item.color]
        colours += list(getattr(item, "colors", []))
        colours += [level.color for level in getattr(item, "levels", [])]
        for colour in colours:
            rgb = (colour.red(), colour.green(), colour.blue())
            found.setdefault(rgb, set()).add(item.name)
    return found


def test_the_colours_drawn_after_a_practice_submit_are_apart(qtbot, window):
    start_from_the_menu(qtbot, window)
    delineate(qtbot, window, load_case(CASE), zoom=1.0)
    with qtbot.waitSignal(window.practice.scored, timeout=90_000):
        window.practice.submit()
    assert window.plan_panel.wait_until_idle()
    drawn = _drawn_colours(window)
    names = [name for names in drawn.values() for name in names]
    # the check has something to check: the trainee's marks, the plan and the reference
    assert any(n.startswith("Isodose 107") for n in names)
    assert any(n.startswith("Reference: ") for n in names)
    assert any("field border" in n for n in names)
    too_close = [
        (sorted(drawn[a])[0], sorted(drawn[b])[0], round(seen_distance(a, b), 1))
        for a, b in combinations(drawn, 2)
        if seen_distance(a, b) < MIN_CVD_DISTANCE
    ]
    assert too_close == []
