"""The palette: roles drawn on one view stay apart for colour-blind readers (issue 16, item 7).

The distance is CAM02-UCS Delta E (colorspacious) between the two colours as seen with normal
vision and with simulated deuteranopia, protanopia and tritanopia (Machado 2009, severity 100),
the smallest of the four.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from planning.display import palette
from planning.display.palette import MIN_CVD_DISTANCE, VIEWS, Role

_DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")


def seen_distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """The smallest CAM02-UCS distance between ``a`` and ``b`` (0-255 sRGB) over normal vision
    and the three simulated dichromacies."""
    first, second = np.array(a) / 255.0, np.array(b) / 255.0
    distances = [float(deltaE(first, second, input_space="sRGB1"))]
    for kind in _DEFICIENCIES:
        space = {"name": "sRGB1+CVD", "cvd_type": kind, "severity": 100}
        seen = [np.clip(cspace_convert(c, space, "sRGB1"), 0, 1) for c in (first, second)]
        distances.append(float(deltaE(seen[0], seen[1], input_space="sRGB1")))
    return min(distances)


def _told_apart_by_style(a: Role, b: Role) -> bool:
    return bool(a.family) and a.family == b.family and a.style != b.style


def _too_close(roles: tuple[Role, ...]) -> list[str]:
    return [
        f"{a.key} / {b.key}: {seen_distance(a.rgb, b.rgb):.1f}"
        for a, b in combinations(roles, 2)
        if not _told_apart_by_style(a, b) and seen_distance(a.rgb, b.rgb) < MIN_CVD_DISTANCE
    ]


def _hex(text: str) -> tuple[int, int, int]:
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def test_the_distance_can_fail_and_the_old_colours_did():
    """Before this palette the practice reference (violet) sat next to the 107 % line
    (magenta), the sample reference (green) next to the field borders (yellow-green), and the
    field borders next to the level names (yellow) for a red-green deficient reader."""
    assert seen_distance((0, 0, 0), (255, 255, 255)) > 90
    old = {
        "practice reference / 107 %": (_hex("#d78cff"), _hex("#ff3cf0")),
        "sample reference / field": (_hex("#7cff7c"), _hex("#b4ff00")),
        "field / levels": (_hex("#b4ff00"), _hex("#ffd23f")),
    }
    for pair, (a, b) in old.items():
        assert seen_distance(a, b) < MIN_CVD_DISTANCE, pair


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_pair_of_roles_on_a_view_is_told_apart(view):
    assert _too_close(VIEWS[view]) == []


def test_roles_of_one_family_sharing_a_colour_differ_in_line_style():
    roles = [r for rs in VIEWS.values() for r in rs]
    for a, b in combinations(set(roles), 2):
        if a.rgb == b.rgb and a.family and a.family == b.family:
            assert a.style != b.style, (a.key, b.key)


def test_every_role_of_the_module_is_on_some_view_or_is_view_furniture():
    """A role added to the module but to no view would escape the distance check."""
    shown = {r.key for rs in VIEWS.values() for r in rs}
    roles = [v for v in vars(palette).values() if isinstance(v, Role)]
    furniture = {"plane_axial", "plane_sagittal", "plane_coronal", "brush", "lesion_preview"}
    assert {r.key for r in roles} - shown == furniture


def test_the_extra_structures_colours_are_apart_from_each_other():
    for a, b in combinations(palette.STRUCTURE_COLOURS, 2):
        assert seen_distance(a, b) >= MIN_CVD_DISTANCE / 2, (a, b)
