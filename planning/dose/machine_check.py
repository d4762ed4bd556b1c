"""The commissioning check of a stored machine: its data re-checked, compared with the reference.

:func:`check_machine` re-reads the imported source files (their SHA-256 against the record, then
every check of :mod:`planning.dose.commissioning`) and compares the machine's beam model with
the reference beam of its energy, point by point:

* PDD at the machine's reference SSD, 5, 10 and 20 cm fields, depths d_max to 20 cm: the
  difference in % of the reference value (what a physicist compares); with a measured TPR, the
  TMR (TPR renormalised at d_max) the same way;
* with measured profiles: the 80-20 % penumbra and the 50 % field width at each measured depth
  and field, in cm (differences in mm are what matter at an edge).

:func:`write_check_report` writes the text table (``check.txt``) and the plots (``pdd.png``,
``profiles.png``; matplotlib's Agg canvas, no pyplot, no Qt) for the physicist's sign-off.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from planning.dose.beam_model import EDGE_80_20_PER_SIGMA, MACHINES, BeamModel
from planning.dose.commissioning import read_measured_data
from planning.dose.machine_store import StoredMachine
from planning.errors import PlanningError

CHECK_SIDES_CM = (5.0, 10.0, 20.0)
CHECK_DEPTHS_CM = (2.0, 5.0, 10.0, 15.0, 20.0)


@dataclass(frozen=True)
class PddDifference:
    side_cm: float
    depth_cm: float
    machine_percent: float
    reference_percent: float

    @property
    def difference_percent(self) -> float:
        """(machine - reference) / reference, in %."""
        return 100.0 * (self.machine_percent - self.reference_percent) / self.reference_percent


@dataclass(frozen=True)
class EdgeDifference:
    side_cm: float
    depth_cm: float
    machine_penumbra_cm: float
    reference_penumbra_cm: float
    machine_width_50_cm: float
    reference_width_50_cm: float


@dataclass(frozen=True)
class MachineCheck:
    """The result of :func:`check_machine`."""

    name: str
    energy: str
    reference_ssd_cm: float
    problems: tuple[str, ...]
    pdd: tuple[PddDifference, ...]
    edges: tuple[EdgeDifference, ...]
    statement: str
    #: With a commissioned TPR: TMR x 100 (the TPR renormalised at d_max) against the reference
    #: TPR, same sides (at depth) and depths.
    tmr: tuple[PddDifference, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems


def check_machine(stored: StoredMachine) -> MachineCheck:
    """Validate ``stored`` again and compare it with the reference beam of its energy."""
    problems: list[str] = []
    sources: list[Path] = []
    for source in stored.sources:
        copy = stored.folder / "sources" / Path(source["file"]).name
        if not copy.is_file():
            problems.append(f"{copy}: the imported copy is missing")
            continue
        digest = hashlib.sha256(copy.read_bytes()).hexdigest()
        if digest != source["sha256"]:
            problems.append(f"{copy}: changed since import (SHA-256 differs from machine.json)")
        sources.append(copy)
    if not problems:
        try:
            read_measured_data(sources, stored.setup.energy)
        except PlanningError as error:
            problems.append(str(error))
    model = stored.model
    reference = BeamModel(MACHINES[stored.setup.energy])
    ssd = model.machine.reference_ssd_cm
    pdd = []
    for side in CHECK_SIDES_CM:
        depths = (model.dmax_cm, *CHECK_DEPTHS_CM)
        ours = model.pdd_at_ssd_percent(np.asarray(depths), side, ssd)
        theirs = reference.pdd_at_ssd_percent(np.asarray(depths), side, ssd)
        pdd += [
            PddDifference(side, float(d), float(a), float(b))
            for d, a, b in zip(depths, ours, theirs, strict=True)
        ]
    tmr = []
    if "tpr" in stored.tables:
        for side in CHECK_SIDES_CM:
            at = np.asarray(CHECK_DEPTHS_CM)
            ours = 100.0 * model.tmr(at, side)
            theirs = 100.0 * reference.tmr(at, side)
            tmr += [
                PddDifference(side, float(d), float(a), float(b))
                for d, a, b in zip(at, ours, theirs, strict=True)
            ]
    edges = []
    profiles = model.profile_model
    if profiles is not None and "profiles" in stored.tables:
        for depth in profiles.depths_cm:
            for side in profiles.fields_cm:
                edges.append(_edge_difference(model, reference, float(side), float(depth), ssd))
    return MachineCheck(
        name=stored.setup.name,
        energy=stored.setup.energy,
        reference_ssd_cm=ssd,
        problems=tuple(problems),
        pdd=tuple(pdd),
        edges=tuple(edges),
        statement=model.machine.data_statement,
        tmr=tuple(tmr),
    )


def _edge_difference(
    model: BeamModel, reference: BeamModel, side: float, depth: float, ssd: float
) -> EdgeDifference:
    scale = (ssd + depth) / ssd

    def edge(m: BeamModel) -> tuple[float, float]:
        sigma = float(m.penumbra_sigma_cm(depth, ssd, side))
        shift = float(m.edge_shift_cm(depth, side))
        return EDGE_80_20_PER_SIGMA * sigma, side * scale + 2.0 * shift

    (p1, w1), (p2, w2) = edge(model), edge(reference)
    return EdgeDifference(side, depth, p1, p2, w1, w2)


def _tidy(value: float) -> float:
    """``value`` rounded to 0.1 without a negative zero (-0.0 reads as a difference)."""
    return round(value, 1) + 0.0


def check_text(check: MachineCheck) -> str:
    """The comparison as a text table, with the verdict of the re-validation."""
    lines = [
        f"machine {check.name} ({check.energy}): commissioning check against the reference "
        f"{check.energy} beam shipped with spineplan",
        f"data: {check.statement}",
        "validation: "
        + ("passed (source files unchanged, every table check passed)" if check.passed else ""),
    ]
    lines += [f"  PROBLEM: {p}" for p in check.problems]
    lines += [
        "",
        f"PDD at SSD {check.reference_ssd_cm:g} cm (% of d_max); difference in % of the reference",
        f"{'side_cm':>8} {'depth_cm':>9} {'machine':>9} {'reference':>10} {'diff_%':>8}",
    ]
    lines += [
        f"{p.side_cm:>8g} {p.depth_cm:>9.2f} {p.machine_percent:>9.1f} "
        f"{p.reference_percent:>10.1f} {_tidy(p.difference_percent):>+8.1f}"
        for p in check.pdd
    ]
    if check.tmr:
        lines += [
            "",
            "TMR x 100 (the measured TPR renormalised at d_max; side at depth); difference in %",
            f"{'side_cm':>8} {'depth_cm':>9} {'machine':>9} {'reference':>10} {'diff_%':>8}",
        ]
        lines += [
            f"{p.side_cm:>8g} {p.depth_cm:>9.2f} {p.machine_percent:>9.1f} "
            f"{p.reference_percent:>10.1f} {_tidy(p.difference_percent):>+8.1f}"
            for p in check.tmr
        ]
    if check.edges:
        lines += [
            "",
            "profiles: 80-20 % penumbra and 50 % width (cm, plane at depth); difference in mm",
            f"{'side_cm':>8} {'depth_cm':>9} {'pen':>6} {'ref':>6} {'d_mm':>6} "
            f"{'w50':>7} {'ref':>7} {'d_mm':>6}",
        ]
        lines += [
            f"{e.side_cm:>8g} {e.depth_cm:>9g} {e.machine_penumbra_cm:>6.2f} "
            f"{e.reference_penumbra_cm:>6.2f} "
            f"{_tidy(10 * (e.machine_penumbra_cm - e.reference_penumbra_cm)):>+6.1f} "
            f"{e.machine_width_50_cm:>7.2f} {e.reference_width_50_cm:>7.2f} "
            f"{_tidy(10 * (e.machine_width_50_cm - e.reference_width_50_cm)):>+6.1f}"
            for e in check.edges
        ]
    else:
        lines += ["", "profiles: none commissioned (no comparison)"]
    lines += ["", "checked by: ____________________   date: ____________   signature: __________"]
    return "\n".join(lines) + "\n"


def write_check_report(check: MachineCheck, stored: StoredMachine, folder: Path) -> list[Path]:
    """Write ``check.txt``, ``pdd.png`` and (with profiles) ``profiles.png`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "check.txt"]
    written[0].write_text(check_text(check), encoding="utf-8")
    model = stored.model
    reference = BeamModel(MACHINES[stored.setup.energy])
    ssd = check.reference_ssd_cm
    depths = np.linspace(0.0, 25.0, 101)
    figure = Figure(figsize=(8, 6))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
    for side in CHECK_SIDES_CM:
        ours = model.pdd_at_ssd_percent(depths, side, ssd)
        theirs = reference.pdd_at_ssd_percent(depths, side, ssd)
        (line,) = top.plot(depths, ours, label=f"{check.name} {side:g} cm")
        top.plot(depths, theirs, "--", color=line.get_color(), label=f"reference {side:g} cm")
        bottom.plot(depths, 100.0 * (ours - theirs) / theirs, color=line.get_color())
    top.set_ylabel("PDD (%)")
    top.set_title(f"{check.name} ({check.energy}) against the reference beam, SSD {ssd:g} cm")
    top.legend(fontsize=7)
    top.grid(alpha=0.3)
    low, high = bottom.get_ylim()
    bottom.set_ylim(min(low, -1.0), max(high, 1.0))  # at least +-1 %: noise must not look large
    bottom.set_xlabel("depth (cm)")
    bottom.set_ylabel("difference (%)")
    bottom.grid(alpha=0.3)
    FigureCanvasAgg(figure).print_png(str(folder / "pdd.png"))
    written.append(folder / "pdd.png")
    if check.edges:
        figure = Figure(figsize=(8, 4))
        axes = figure.subplots()
        for depth in sorted({e.depth_cm for e in check.edges}):
            rows = [e for e in check.edges if e.depth_cm == depth]
            sides = [e.side_cm for e in rows]
            (line,) = axes.plot(
                sides, [e.machine_penumbra_cm for e in rows], "o-", label=f"depth {depth:g} cm"
            )
            axes.plot(sides, [e.reference_penumbra_cm for e in rows], "x--", color=line.get_color())
        axes.set_xlabel("field side (cm)")
        axes.set_ylabel("80-20 % penumbra (cm)")
        axes.set_title(f"{check.name}: penumbra (o machine, x reference) by depth")
        axes.legend(fontsize=7)
        axes.grid(alpha=0.3)
        FigureCanvasAgg(figure).print_png(str(folder / "profiles.png"))
        written.append(folder / "profiles.png")
    return written
