"""The one palette: every colour the views and the report draw marks in, with its line style.

Each *role* (the lesion, the edema limits, a field border, an isodose line, the reference...)
has one colour and one line style, on the screen, in the PDF report and in the exports alike,
so a colour means the same thing everywhere.

The colours come from published colour-blind-safe palettes:

* Okabe M, Ito K. *Color Universal Design (CUD): how to make figures and presentations that are
  friendly to colorblind people* (2002/2008), https://jfly.uni-koeln.de/color/ - the eight
  colours orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple (and black).
* Tol P. *Colour Schemes*, SRON/EPS/TN/09-002 issue 3.2 (2021), https://personal.sron.nl/~pault/
  - the "light" scheme: its light cyan for the reference annotation (apart from every
  Okabe-Ito colour and, unlike Tol's pale colours, from the grey of the images), four others
  for extra structures.

Seven chromatic colours and white are not enough for every role drawn on one view, so roles of
one family share a colour and differ by line style (the field: dashed borders, a solid outline,
a dash-dot landmark; the edema limits are dashed lines of the cord's colour, the edema being a
segment of the cord). ``tests/planning/test_palette.py`` checks that any two roles drawn on the
same view differ by at least `MIN_CVD_DISTANCE` in CAM02-UCS under simulated deuteranopia,
protanopia and tritanopia, unless they are of one family and their line styles differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RGB = tuple[int, int, int]
#: How a role is drawn: a line style, a filled area (mask, with its outline) or text alone.
LineStyle = Literal["solid", "dashed", "dashdot", "dotted", "area", "text"]

# Okabe & Ito (2008), the colour-universal-design palette.
OKABE_ORANGE: RGB = (230, 159, 0)  # E69F00
OKABE_SKY_BLUE: RGB = (86, 180, 233)  # 56B4E9
OKABE_BLUISH_GREEN: RGB = (0, 158, 115)  # 009E73
OKABE_YELLOW: RGB = (240, 228, 66)  # F0E442
OKABE_BLUE: RGB = (0, 114, 178)  # 0072B2
OKABE_VERMILLION: RGB = (213, 94, 0)  # D55E00
OKABE_REDDISH_PURPLE: RGB = (204, 121, 167)  # CC79A7
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
# Tol (2021), "light" scheme: light cyan (the reference), and the four used for extra structures.
TOL_LIGHT_CYAN: RGB = (153, 221, 255)  # 99DDFF
TOL_LIGHT: tuple[RGB, ...] = ((119, 170, 221), (238, 136, 102), (255, 170, 187), (187, 204, 51))

#: The smallest CAM02-UCS distance between two roles told apart by colour on one view, under
#: normal vision and simulated deuteranopia, protanopia and tritanopia (severity 100).
MIN_CVD_DISTANCE = 10.0


@dataclass(frozen=True)
class Role:
    """What one kind of mark is drawn in.

    Attributes
    ----------
    key : str
        Identifier (``"isodose_95"``).
    words : str
        The legend's words for it (``"95 % isodose"``).
    rgb : tuple of int
        Colour, 0-255 sRGB.
    style : str
        "solid", "dashed", "dashdot", "dotted" (lines), "area" (a filled mask with its
        outline) or "text".
    family : str
        Roles of one family may share a colour when their styles differ.
    """

    key: str
    words: str
    rgb: RGB
    style: LineStyle
    family: str = ""

    @property
    def hex(self) -> str:
        """``"#rrggbb"``."""
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)

    @property
    def rgb01(self) -> tuple[float, float, float]:
        """Colour as 0-1 floats (matplotlib)."""
        r, g, b = self.rgb
        return (r / 255.0, g / 255.0, b / 255.0)


# --- the user's annotation -------------------------------------------------------------------
LEVELS = Role("levels", "levels", OKABE_YELLOW, "text", "levels")
ENDPLATES = Role("endplates", "endplates", OKABE_YELLOW, "solid", "levels")
LEVEL_SELECTED = Role("level_selected", "level selected", WHITE, "text")
LESION = Role("lesion", "lesion", OKABE_VERMILLION, "area")
EDEMA = Role("edema", "edema limits", OKABE_SKY_BLUE, "dashed", "cord")
CORD = Role("cord", "cord", OKABE_SKY_BLUE, "area", "cord")
#: A lesion ellipsoid being placed (a preview of the lesion).
LESION_PREVIEW = Role("lesion_preview", "lesion being placed", OKABE_VERMILLION, "dashed")
#: The brush's outline while painting.
BRUSH = Role("brush", "brush", WHITE, "solid")

# --- the plan --------------------------------------------------------------------------------
FIELD_BORDER = Role("field_border", "field border", OKABE_BLUISH_GREEN, "dashed", "field")
FIELD_EDGE = Role("field_edge", "field edge", OKABE_BLUISH_GREEN, "solid", "field")
BEAM_EDGE = Role("beam_edge", "beam edges", OKABE_BLUISH_GREEN, "dotted", "field")
LANDMARK = Role("landmark", "skull base / sacral landmark", OKABE_BLUISH_GREEN, "dashdot", "field")
ISODOSE_107 = Role("isodose_107", "107 % isodose", OKABE_REDDISH_PURPLE, "solid")
ISODOSE_95 = Role("isodose_95", "95 % isodose", OKABE_ORANGE, "solid")
ISODOSE_50 = Role("isodose_50", "50 % isodose", OKABE_BLUE, "solid")
#: Isodose roles by percent of the prescription, drawn in this order (lowest first).
ISODOSES: tuple[tuple[float, Role], ...] = (
    (50.0, ISODOSE_50),
    (95.0, ISODOSE_95),
    (107.0, ISODOSE_107),
)
#: The 95 % criterion line in DVH plots.
CRITERION_95 = Role("criterion_95", "95 % (criterion)", OKABE_ORANGE, "dashed")

# --- the reference (the sample's bundled answer, or the practice reference after submit) ----
REFERENCE_LEVELS = Role("reference_levels", "reference levels", TOL_LIGHT_CYAN, "text", "ref")
REFERENCE_LESION = Role("reference_lesion", "reference lesion", TOL_LIGHT_CYAN, "area", "ref")
REFERENCE_EDEMA = Role("reference_edema", "reference edema limits", TOL_LIGHT_CYAN, "dotted", "ref")
REFERENCE_BORDER = Role(
    "reference_border", "reference field borders", TOL_LIGHT_CYAN, "solid", "ref"
)

# --- registration: the MR's marks carried onto the CT -------------------------------------
MAPPED = Role("mapped", "MR levels and lesion on the CT", OKABE_SKY_BLUE, "solid")

# --- view furniture (Slicer's plane colours, approximated in Okabe-Ito) ---------------------
PLANE_AXIAL = Role("plane_axial", "axial plane", OKABE_VERMILLION, "solid", "plane")
PLANE_SAGITTAL = Role("plane_sagittal", "sagittal plane", OKABE_YELLOW, "solid", "plane")
PLANE_CORONAL = Role("plane_coronal", "coronal plane", OKABE_BLUISH_GREEN, "solid", "plane")
#: The dark halo under text and thin lines, so they read on any grey level (alpha 0-255).
HALO = BLACK
HALO_ALPHA = 210
#: Text written on the images (corner text, the legend's words).
TEXT_ON_IMAGE: RGB = (230, 230, 230)
#: Dim text on the images (secondary corner text).
DIM_TEXT_ON_IMAGE: RGB = (168, 176, 184)
#: Behind the images (outside the slice).
IMAGE_SURROUND = BLACK
#: The frame of a view that is not the active one.
INACTIVE_FRAME: RGB = (48, 54, 61)
#: The Plan panel's DVH plot: background, grid lines and text (on screen).
PLOT_BACKGROUND: RGB = (30, 31, 34)
PLOT_GRID: RGB = (58, 60, 64)
PLOT_TEXT: RGB = (200, 200, 200)
#: The orientation letters at the views' edges.
ORIENTATION_LETTERS: RGB = (240, 208, 128)

# --- verdicts and statuses (a PASS must not rely on green against red) ----------------------
VERDICT_PASS: RGB = (0, 190, 140)  # Okabe-Ito bluish green, lightened for text on the dark theme
VERDICT_FAIL: RGB = OKABE_VERMILLION
VERDICT_PASS_DARK: RGB = (0, 120, 88)  # for white text on it, and printed
VERDICT_FAIL_DARK: RGB = (170, 60, 0)
STATUS_NO_PLAN: RGB = OKABE_ORANGE
STATUS_FIELD_ONLY: RGB = OKABE_YELLOW
STATUS_EMPTY: RGB = (158, 158, 158)
#: Practice history: one colour per case, in turn.
HISTORY_CASE_COLOURS: tuple[RGB, ...] = (
    OKABE_SKY_BLUE,
    OKABE_ORANGE,
    OKABE_REDDISH_PURPLE,
    OKABE_BLUISH_GREEN,
    OKABE_YELLOW,
    OKABE_VERMILLION,
    WHITE,
)

# --- the workstation's dark theme (widgets, not marks) ---------------------------------------
THEME_BACKGROUND: RGB = (27, 31, 36)
THEME_PANEL: RGB = (34, 39, 46)
THEME_BASE: RGB = (20, 23, 27)
THEME_TEXT: RGB = (215, 221, 227)
THEME_DIM: RGB = (139, 148, 158)
THEME_DISABLED: RGB = (92, 102, 112)
THEME_ACCENT: RGB = (61, 139, 253)
THEME_SELECTED: RGB = (47, 74, 109)
THEME_HOVER: RGB = (45, 51, 59)
THEME_BUTTON: RGB = (42, 48, 56)
THEME_BUTTON_HOVER: RGB = (51, 59, 69)
THEME_BORDER: RGB = (58, 65, 74)
THEME_GRIDLINE: RGB = (48, 54, 61)
THEME_MESSAGE: RGB = (13, 16, 20)
THEME_BRIGHT_TEXT: RGB = (255, 107, 107)

# --- the printed report's text and tables (on white paper) ---------------------------------
REPORT_TITLE: RGB = (20, 40, 90)
REPORT_TEXT: RGB = (0, 0, 0)
REPORT_NOTE: RGB = (60, 60, 60)
REPORT_GREY_TEXT: RGB = (80, 80, 80)
REPORT_WARNING: RGB = (160, 30, 30)
REPORT_HEADER_FILL: RGB = (232, 236, 242)
REPORT_RULE: RGB = (170, 170, 170)
REPORT_GRID: RGB = (217, 217, 217)
REPORT_PASS_FILL: RGB = (225, 245, 228)
REPORT_FAIL_FILL: RGB = (252, 228, 228)
REPORT_PASS_TEXT: RGB = VERDICT_PASS_DARK
REPORT_FAIL_TEXT: RGB = VERDICT_FAIL_DARK

#: Extra structures (neither the lesion nor the cord), in the order of the case's list.
STRUCTURE_COLOURS: tuple[RGB, ...] = TOL_LIGHT

#: Families a view's legend names in one row (their roles share one colour; the line styles
#: are told in the Practice panel's legend and the user guide).
LEGEND_FAMILIES: dict[str, str] = {
    "ref": "reference",
    "field": "field borders, edges",
}

#: The compact legend's words (a narrow view with no corner free of the body for the full
#: legend), keyed by the full words; words not listed are short already.
LEGEND_SHORT_WORDS: dict[str, str] = {
    "edema limits": "edema",
    "level selected": "selected",
    "lesion being placed": "new lesion",
    "field borders, edges": "field",
    "skull base / sacral landmark": "landmark",
    "107 % isodose": "107 %",
    "95 % isodose": "95 %",
    "50 % isodose": "50 %",
    "reference": "ref.",
    "MR levels and lesion on the CT": "MR marks",
}

#: Which roles one view (or one report image) draws together. Two roles of a view must be
#: told apart by colour (`MIN_CVD_DISTANCE`) unless they share a family and differ in style.
VIEWS: dict[str, tuple[Role, ...]] = {
    "annotation and plan": (
        LEVELS,
        ENDPLATES,
        LEVEL_SELECTED,
        LESION,
        EDEMA,
        CORD,
        FIELD_BORDER,
        FIELD_EDGE,
        BEAM_EDGE,
        LANDMARK,
        ISODOSE_107,
        ISODOSE_95,
        ISODOSE_50,
        REFERENCE_LEVELS,
        REFERENCE_LESION,
        REFERENCE_EDEMA,
        REFERENCE_BORDER,
    ),
    "registration": (LEVELS, ENDPLATES, LESION, MAPPED),
    "report plane": (LESION, CORD, BEAM_EDGE, ISODOSE_107, ISODOSE_95, ISODOSE_50),
    "report DVH": (LESION, CORD, CRITERION_95),
}


def hex_of(colour: RGB) -> str:
    """``"#rrggbb"`` of a 0-255 colour (style sheets)."""
    return "#{:02x}{:02x}{:02x}".format(*colour)


def rgb01(colour: RGB) -> tuple[float, float, float]:
    """A 0-255 colour as matplotlib's 0-1 floats."""
    return (colour[0] / 255.0, colour[1] / 255.0, colour[2] / 255.0)


def structure_rgb(index: int, is_cord: bool) -> RGB:
    """The colour of the ``index``-th extra structure: the cord's own, else Tol's light
    scheme in turn."""
    if is_cord:
        return CORD.rgb
    return STRUCTURE_COLOURS[index % len(STRUCTURE_COLOURS)]


def structure_role(name: str, index: int, is_cord: bool) -> Role:
    """The role of the ``index``-th extra structure: the cord's, or one named after it."""
    if is_cord:
        return CORD
    return Role(f"structure:{name.lower()}", name, structure_rgb(index, False), "area")
