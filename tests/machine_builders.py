"""Builders of commissioning files for the machine tests: CSV templates and PTW mcc exports.

The values are the reference beams' own tables (resources/beam_data), rewritten in the template
and mcc formats, so each test knows what the commissioned machine must reproduce.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planning.dose.beam_data import load_columns, load_table_2d
from planning.dose.beam_profiles import load_profiles


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def co60_reference_copy(folder: Path) -> list[Path]:
    """The reference Co-60 TPR and Scp as commissioning templates (tpr_sq_*, side_cm,scp)."""
    tpr = load_table_2d("co60_tpr_viewray.csv")
    header = "depth_cm," + ",".join(f"tpr_sq_{s:g}" for s in tpr.columns)
    rows = [
        ",".join([f"{d:g}", *(f"{v:g}" for v in row)])
        for d, row in zip(tpr.rows, tpr.values, strict=True)
    ]
    _, scp = load_columns("co60_scp_viewray.csv")
    scp_rows = [f"{s:g},{v:g}" for s, v in zip(scp["eqsq_cm"], scp["Scp"], strict=True)]
    return [
        write(folder / "co60_tpr.csv", "# copy of the reference\n" + "\n".join([header, *rows])),
        write(folder / "co60_scp.csv", "\n".join(["side_cm,scp", *scp_rows])),
    ]


def six_mv_pdd_rows() -> tuple[list[float], list[float], np.ndarray]:
    """TG-71 6 MV PDD renormalised to 100 at d_max (1.5 cm), sides 4-30 cm."""
    table = load_table_2d("6mv_pdd_ssd100_tg71.csv")
    keep = [j for j, s in enumerate(table.columns) if s in (4, 5, 6, 8, 10, 12, 15, 20, 25, 30)]
    values = 100.0 * table.values[:, keep] / table.values[0, keep]
    return list(table.rows), [float(table.columns[j]) for j in keep], values


def six_mv_pdd_csv(folder: Path, name: str = "pdd.csv") -> Path:
    depths, sides, values = six_mv_pdd_rows()
    header = "depth_cm," + ",".join(f"pdd_sq_{s:g}" for s in sides)
    rows = [
        ",".join([f"{d:g}", *(f"{v:.2f}" for v in row)])
        for d, row in zip(depths, values, strict=True)
    ]
    return write(folder / name, "\n".join(["# 6 MV unit", header, *rows]) + "\n")


def six_mv_scatter_csv(folder: Path) -> Path:
    _, columns = load_columns("6mv_scatter_factors_tg71.csv")
    rows = [
        f"{s:g},{c:g},{p:g}"
        for s, c, p in zip(columns["side_cm"], columns["s_c"], columns["s_p"], strict=True)
    ]
    return write(folder / "scatter.csv", "\n".join(["side_cm,sc,sp", *rows]) + "\n")


def _scan(number: int, curve: str, side_cm: float, depth_mm: float | None, data: str) -> str:
    depth = f"\t\tSCAN_DEPTH={depth_mm:.2f}\n" if depth_mm is not None else ""
    return (
        f"\tBEGIN_SCAN  {number}\n"
        "\t\tTASK_NAME=spineplan test\n"
        "\t\tMODALITY=X\n"
        "\t\tISOCENTER=1000.00\n"
        "\t\tENERGY=6.00\n"
        "\t\tSSD=1000.00\n"
        f"\t\tFIELD_INPLANE={10 * side_cm:.2f}\n"
        f"\t\tFIELD_CROSSPLANE={10 * side_cm:.2f}\n"
        f"\t\tSCAN_CURVETYPE={curve}\n"
        f"{depth}"
        "\t\tMEAS_UNIT=A.U.\n"
        "\t\tBEGIN_DATA\n"
        f"{data}"
        "\t\tEND_DATA\n"
        f"\tEND_SCAN  {number}\n"
    )


def six_mv_mcc(folder: Path, *, rise_line_depth_cm: float | None = None) -> Path:
    """A MEPHYSTO mc2 export: PDD scans (readings, not %) and crossplane profiles of 6 MV.

    ``rise_line_depth_cm``: make the 10 cm PDD rise at that depth (a broken scan).
    """
    depths, sides, values = six_mv_pdd_rows()
    scans = []
    number = 0
    for j, side in enumerate(sides):
        if side not in (5, 10, 20):
            continue
        number += 1
        points = values[:, j] * 0.0123  # chamber readings, nA: normalised on import
        if rise_line_depth_cm is not None and side == 10:
            k = depths.index(rise_line_depth_cm)
            points = points.copy()
            points[k] = points[k - 1] * 1.05
        data = "".join(
            f"\t\t\t{10 * d:.2f}\t\t{v:.4E}\t\t3.6648E+00\n"
            for d, v in zip(depths, points, strict=True)
        )
        scans.append(_scan(number, "PDD", side, None, data))
    profiles = load_profiles("6mv_profiles_truebeam_gbd.csv")
    for i, depth in enumerate(profiles.depths_cm):
        if depth not in (5.0, 10.0, 20.0):
            continue
        for j, side in enumerate(profiles.fields_cm):
            if side not in (4.0, 10.0, 20.0):
                continue
            half = profiles.percent[i, j]
            x = profiles.off_axis_cm[~np.isnan(half)]
            y = half[~np.isnan(half)]
            full_x = np.concatenate([-x[:0:-1], x])
            full_y = np.concatenate([y[:0:-1], y]) * 0.05
            number += 1
            data = "".join(
                f"\t\t\t{10 * a:.2f}\t\t{b:.4E}\n" for a, b in zip(full_x, full_y, strict=True)
            )
            scans.append(_scan(number, "CROSSPLANE_PROFILE", side, 10 * depth, data))
    text = (
        "BEGIN_SCAN_DATA\n\tFORMAT=MEPHYSTO mc2\n\tFILE_CREATION_DATE=04-Dec-2026 10:00:00\n"
        + "".join(scans)
        + "END_SCAN_DATA\n"
    )
    return write(folder / "unit6x.mcc", text)
