"""Every colour the views and the report draw in comes from `planning.display.palette`.

Scans the source of ``app`` and ``planning`` for colour literals (``"#rrggbb"``, ``QColor(...)``
with numbers or a name, Qt's named colours, matplotlib colour names, RGB triples given to a
colour) outside the palette module. The few modules left are widget text in the dark theme's
status colours (a panel's warning line, the series browser's failed thumbnail), listed here
with the reason; none draws on an image or a report page.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PALETTE = ROOT / "planning" / "display" / "palette.py"

_LITERALS = [
    re.compile(r"""["']#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?\b"""),
    re.compile(r"#[0-9a-fA-F]{6}\b(?=[;'\"} ])"),
    re.compile(r"QColor\(\s*(?:\d|[\"'])"),
    re.compile(r"Qt\.(?:GlobalColor\.)?(?:red|green|blue|yellow|magenta|cyan|white|black|gray)\b"),
    re.compile(r"""(?:colou?rs?|facecolor|edgecolor|foreground)\s*=\s*["'](?!none)[a-z]+["']"""),
    re.compile(
        r"colou?r\w*\s*[:=][^=\n]*\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)", re.IGNORECASE
    ),
    # an ROI's display colour: Structure(name, mask, (r, g, b), "GTV")
    re.compile(r"\(\s*\d{1,3}\s*,\s*\d{1,3}\s*,\s*\d{1,3}\s*\)\s*,\s*[\"'][A-Z]+[\"']"),
]

#: Widget text colours of status lines (not marks on the images or the report), by module.
STATUS_TEXT = {
    "app/annotation/edema_panel.py": "the extent line's warning colour",
    "app/annotation/lesion_panel.py": "the levels line's warning colour",
    "app/annotation/levels_panel.py": "the counting check's error / warning / fine colours",
    "app/messages_indicator.py": "the status bar's message count",
    "app/series_browser.py": "thumbnail placeholders of series that cannot be shown",
    "app/registration/panel.py": "the ambiguity warning",
    "app/plan_panel/export_record.py": "the stale-export line",
    "app/practice/controller.py": "the practice toolbar",
    "app/practice/dialog.py": "the dialog's error line",
    "app/viewer/viewer.py": "the panel header's warning span",
}


def colour_literals(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if any(pattern.search(line) for pattern in _LITERALS):
            found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_the_scan_finds_colour_literals(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'A = QColor("#ff3b3b")\nB = QColor(0, 0, 0, 200)\nC = dict(color="white")\n'
        "LESION_COLOUR = (255, 60, 255)\npainter.setPen(Qt.red)\nD = (0, 0, 1)\n"
        'Structure("Lesion", mask, (255, 59, 59), "GTV")\n'
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(colour_literals(sample)) == 6  # not the direction (0, 0, 1)
    finally:
        ROOT = saved


def test_no_colour_literal_outside_the_palette():
    found = []
    for package in ("app", "planning"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if path == PALETTE or relative in STATUS_TEXT:
                continue
            found += colour_literals(path)
    assert found == []
