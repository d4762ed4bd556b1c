"""The report's cumulative DVH plot: the lesion and the case's other structures."""

from __future__ import annotations

import numpy as np

from planning.anatomy.structures import is_cord
from planning.display import palette
from planning.export.report.page import Document, line_height_mm, wrap_text
from planning.export.report.plane_drawing import LINESTYLES
from planning.plan import PlanResult

_TITLE_MM = 5.0
#: Width kept right of the plot for its key and the lesion's V95 / D95, mm.
_KEY_MM = 48.0
#: Longest structure name in the key (the title names each in full).
_KEY_LABEL_CHARACTERS = 24


def draw_dvh(
    document: Document, result: PlanResult, x_mm: float, y_mm: float, w_mm: float, h_mm: float
) -> float:
    """The cumulative DVH of the lesion and other structures in the box at (x_mm, y_mm), mm.

    Dose in % of the prescription along x, volume in % along y; the 95 % criterion dashed; the
    key and the lesion's V95 / D95 right of the plot. Returns the height used (``h_mm``, more
    when the title of many structures wraps), mm.
    """
    page = document.page
    dvh = result.dvh
    prescription = result.prescription.dose_gy
    curves = [("Lesion", 100.0 * dvh.dose_gy / prescription, dvh.volume_percent, palette.LESION)]
    curves += [
        (
            s.dvh.structure,
            100.0 * s.dvh.dose_gy / prescription,
            s.dvh.volume_percent,
            palette.structure_role(s.name, index, is_cord(s.name)),
        )
        for index, s in enumerate(result.structure_doses)
        if s.dvh is not None
    ]
    title = wrap_text("Cumulative DVH: " + ", ".join(c[0] for c in curves), w_mm, 8.5, True)
    for n, line in enumerate(title):
        page.put(x_mm, y_mm + n * line_height_mm(8.5), line, 8.5, bold=True)
    below_title = (len(title) - 1) * line_height_mm(8.5)
    highest = max(float(np.max(percent)) for _, percent, _, _ in curves)
    x_max = max(120.0, float(np.ceil(highest / 10.0) * 10.0))
    # room for the tick labels and axis titles at the left and bottom, for the key at the right
    axes = page.add_axes_mm(
        x_mm + 13.0, y_mm + below_title + _TITLE_MM + 1.0, w_mm - 13.0 - _KEY_MM, h_mm - 17.0
    )
    criterion = palette.CRITERION_95
    axes.axvline(
        95.0,
        color=criterion.rgb01,
        linewidth=0.9,
        linestyle=LINESTYLES[criterion.style],
        label=criterion.words,
    )
    for name, percent, volume, role in curves:
        axes.plot(
            percent, volume, color=role.rgb01, linewidth=1.4, label=name[:_KEY_LABEL_CHARACTERS]
        )
    axes.set_xlim(0.0, x_max)
    axes.set_ylim(0.0, 100.0)
    axes.set_xticks(np.arange(0.0, x_max + 1.0, 20.0))
    axes.set_yticks(np.arange(0.0, 101.0, 20.0))
    axes.grid(color=palette.rgb01(palette.REPORT_GRID), linewidth=0.4)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=7.0, width=0.5, length=2.5)
    for spine in axes.spines.values():
        spine.set_linewidth(0.6)
    axes.set_xlabel(f"dose, % of {prescription:g} Gy", fontsize=7.5)
    axes.set_ylabel("volume, %", fontsize=7.5)
    # the key and the numbers beside the plot, where no curve can run under them
    axes.legend(
        loc="upper left",
        bbox_to_anchor=(1.03, 1.0),
        borderaxespad=0.0,
        fontsize=7.0,
        frameon=False,
    )
    stats = result.lesion_stats
    axes.text(
        1.04,
        0.0,
        f"Lesion V95 {stats.v95_percent:.1f} %\nLesion D95 {stats.d95_percent:.1f} %",
        transform=axes.transAxes,
        fontsize=7.5,
        va="bottom",
        parse_math=False,
        bbox={
            "boxstyle": "round,pad=0.4",
            "facecolor": palette.rgb01(palette.WHITE),
            "edgecolor": palette.rgb01(palette.REPORT_RULE),
        },
    )
    return h_mm + below_title
