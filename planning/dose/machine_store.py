"""Commissioned machines: stored in the user's settings folder, one folder per machine.

``<machines folder>/<name>/`` (:func:`imaging.user_folders.machines_dir`) holds

* ``machine.json``: the machine (name, energy, set-up, reference SSD, output and its reference
  conditions; for Co-60 the source diameter, the source-to-diaphragm distance and the
  calibration) and its provenance (who imported it, when, from which files, their SHA-256);
* the normalised tables in the formats of ``resources/beam_data`` (``pdd.csv`` or ``tpr.csv``,
  ``scatter.csv`` (``side_cm,s_c,s_p``) or ``scp.csv``, optionally ``profiles.csv``);
* ``sources/``: a copy of every imported file, as it was.

A machine is imported whole or not at all (a staged folder renamed into place), and read back as
a :class:`~planning.dose.beam_model.Machine` whose tables are these files, so the engine, the
hand calculation and ``spineplan pdd``/``profile`` use it exactly as they use the reference beams.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from imaging.atomic_write import staged_folder
from imaging.user_folders import machines_dir
from planning.case.settings import parse_energy
from planning.dose import beam_data, beam_profiles, tpr_depth_dose
from planning.dose.beam_model import MACHINES, BeamModel, Machine
from planning.dose.commissioning import MeasuredData, read_measured_data
from planning.errors import PlanningError

MACHINE_FILE = "machine.json"
MACHINE_FORMAT_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")


@dataclass(frozen=True)
class MachineSetup:
    """What the physicist states about the unit (the tables say the rest).

    Attributes
    ----------
    name : str
        The machine's name, as plans and outputs show it.
    energy : {"Co60", "6MV"}
    setup : {"SSD", "SAD"}
        The department's usual treatment set-up.
    reference_ssd_cm : float
        SSD of the PDD measurements and of the output calibration, cm.
    output_cgy_per_mu : float, optional
        6 MV: cGy/MU at d_max, 10 x 10 cm, reference SSD.
    dose_rate_cgy_per_min : float, optional
        Co-60: cGy/min at d_max, 10 x 10 cm, reference SSD, on ``calibration_date``.
    calibration_date : str, optional
        ISO date of the Co-60 dose rate.
    source_diameter_cm, source_to_diaphragm_cm : float, optional
        Co-60 source geometry (geometric penumbra).
    sad_cm : float, optional
        Source-axis distance, cm (the plane of the jaws and the isocentre); default: the
        energy's reference (Co-60 80 cm, 6 MV 100 cm). A Co-60 unit with an SAD of 100 cm
        states it here.
    physicist : str
        Who imported the data (default: the login name).
    """

    name: str
    energy: str
    setup: str = "SSD"
    reference_ssd_cm: float | None = None
    output_cgy_per_mu: float | None = None
    dose_rate_cgy_per_min: float | None = None
    calibration_date: str | None = None
    source_diameter_cm: float | None = None
    source_to_diaphragm_cm: float | None = None
    physicist: str = ""
    sad_cm: float | None = None

    def __post_init__(self) -> None:
        check_machine_name(self.name)
        object.__setattr__(self, "energy", parse_energy(self.energy))
        setup = str(self.setup).upper()
        if setup not in ("SSD", "SAD"):
            raise PlanningError(f"set-up: expected SSD or SAD, got {self.setup!r}")
        object.__setattr__(self, "setup", setup)
        for key in (
            "reference_ssd_cm",
            "output_cgy_per_mu",
            "dose_rate_cgy_per_min",
            "source_diameter_cm",
            "source_to_diaphragm_cm",
        ):
            value = getattr(self, key)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise PlanningError(f"{key}: must be a positive number, got {value!r}")
        if self.sad_cm is not None and not (np.isfinite(self.sad_cm) and 50 <= self.sad_cm <= 150):
            raise PlanningError(f"sad_cm: expected 50-150 cm, got {self.sad_cm!r}")
        if self.calibration_date is not None:
            try:
                _dt.date.fromisoformat(self.calibration_date)
            except ValueError:
                raise PlanningError(
                    f"calibration date: {self.calibration_date!r} is not a date YYYY-MM-DD"
                ) from None
        if self.energy == "Co60" and self.output_cgy_per_mu is not None:
            raise PlanningError("a Co-60 unit's output is a dose rate (cGy/min), not cGy/MU")
        if self.energy == "6MV" and (
            self.dose_rate_cgy_per_min is not None or self.calibration_date is not None
        ):
            raise PlanningError("a 6 MV machine's output is cGy/MU (no dose rate or decay date)")


@dataclass(frozen=True)
class StoredMachine:
    """A machine read from its folder: the set-up, the provenance and the beam model's Machine."""

    setup: MachineSetup
    folder: Path
    imported_at: str
    sources: tuple[dict[str, str], ...]
    tables: dict[str, str]
    machine: Machine

    @property
    def model(self) -> BeamModel:
        return BeamModel(self.machine)


def check_machine_name(name: str) -> str:
    """``name`` when it can name a machine folder; an energy name is refused (ambiguous)."""
    if not isinstance(name, str) or not _NAME.match(name) or name.strip() != name:
        raise PlanningError(
            f"machine name {name!r}: use 1-40 letters, digits, spaces, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    try:
        parse_energy(name)
    except PlanningError:
        return name
    raise PlanningError(
        f"machine name {name!r} is an energy; name the unit (e.g. 'Theratron A' or 'Linac 2')"
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_table(path: Path, header: str, comment: str, rows: np.ndarray) -> None:
    lines = [f"# {line}" for line in comment.splitlines()] + [header]
    lines += [",".join(f"{v:.6g}" for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _depth_table_rows(depths: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.column_stack([depths, values])


def import_machine(
    paths: list[str | Path], setup: MachineSetup, *, replace_existing: bool = False
) -> StoredMachine:
    """Read, check and store a machine; returns it as read back from its folder.

    Raises
    ------
    BeamDataError, PlanningError
        A file that fails a check (the message names it and its line), a name already used
        (unless ``replace_existing``), a set-up the data contradict.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise PlanningError("no files to import")
    data = read_measured_data(files, setup.energy)
    reference_ssd = setup.reference_ssd_cm or data.reference_ssd_cm
    if reference_ssd is None:
        reference_ssd = MACHINES[setup.energy].reference_ssd_cm
    if data.reference_ssd_cm is not None and abs(data.reference_ssd_cm - reference_ssd) > 0.05:
        raise PlanningError(
            f"the mcc file was measured at SSD {data.reference_ssd_cm:g} cm but the reference "
            f"SSD given is {reference_ssd:g} cm"
        )
    setup = replace(setup, reference_ssd_cm=reference_ssd, physicist=setup.physicist or _user())
    target = machines_dir() / setup.name
    if target.exists() and not replace_existing:
        raise PlanningError(
            f"a machine {setup.name!r} already exists in {target.parent} (use --replace)"
        )
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    # A replaced machine stays whole until the new one is: staged beside it, then swapped.
    staged = target.parent / f".{target.name}.new" if target.exists() else target
    if staged != target and staged.exists():
        shutil.rmtree(staged)
    with staged_folder(staged) as staging:
        tables = _write_tables(staging, data, setup, now)
        (staging / "sources").mkdir()
        sources = []
        for path in files:
            shutil.copy2(path, staging / "sources" / path.name)
            sources.append({"file": str(path.resolve()), "sha256": _sha256(path)})
        record = {
            "format_version": MACHINE_FORMAT_VERSION,
            "machine": asdict(setup),
            "imported_at": now,
            "imported_by": setup.physicist,
            "sources": sources,
            "tables": tables,
        }
        (staging / MACHINE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if staged != target:
        old = target.parent / f".{target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        os.replace(target, old)
        os.replace(staged, target)
        shutil.rmtree(old)
    _clear_table_caches()
    return load_machine(setup.name)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown user"


def _write_tables(
    folder: Path, data: MeasuredData, setup: MachineSetup, now: str
) -> dict[str, str]:
    note = f"Machine {setup.name} ({setup.energy}), imported {now} by {setup.physicist}."
    tables: dict[str, str] = {}
    sides_header = ",".join
    if data.pdd is not None:
        pdd = data.pdd
        # The stored table starts at d_max of the 10 x 10 cm field (the beam model's first row);
        # shallower measured points give the surface dose of each field.
        ref = int(np.argmin(np.abs(pdd.sides_cm - 10.0)))
        k = int(np.argmax(pdd.values[:, ref]))
        header = "depth_cm," + sides_header(f"sq_{s:g}" for s in pdd.sides_cm)
        _write_table(
            folder / "pdd.csv",
            header,
            f"{note}\nPDD in % at SSD {setup.reference_ssd_cm:g} cm from {pdd.source}; "
            "rows from d_max of the 10 x 10 cm field.",
            _depth_table_rows(pdd.depths_cm[k:], pdd.values[k:]),
        )
        tables["pdd"] = "pdd.csv"
        if pdd.depths_cm[0] == 0.0:
            surface = np.column_stack([pdd.sides_cm, pdd.values[0]])
            _write_table(
                folder / "surface_dose.csv",
                "side_cm,surface_percent",
                f"{note}\nMeasured surface dose (depth 0) from {pdd.source}.",
                surface,
            )
            tables["surface_dose"] = "surface_dose.csv"
    if data.tpr is not None:
        tpr = data.tpr
        header = "depth_cm," + sides_header(f"sq_{s:g}" for s in tpr.sides_cm)
        start = int(np.argmax(tpr.values[:, -1]))  # first row = d_max, as the model reads it
        _write_table(
            folder / "tpr.csv",
            header,
            f"{note}\nTPR from {tpr.source}; rows from d_max.",
            _depth_table_rows(tpr.depths_cm[start:], tpr.values[start:]),
        )
        tables["tpr"] = "tpr.csv"
    scatter = data.scatter
    assert scatter is not None
    if scatter.sc is not None and scatter.sp is not None:
        _write_table(
            folder / "scatter.csv",
            "side_cm,s_c,s_p",
            f"{note}\nSc and Sp from {scatter.source}.",
            np.column_stack([scatter.sides_cm, scatter.sc, scatter.sp]),
        )
        tables["scatter"] = "scatter.csv"
        # The TPR path of the model needs a total scatter factor: Sc x Sp.
        scp = scatter.sc * scatter.sp
    else:
        assert scatter.scp is not None
        scp = scatter.scp
    _write_table(
        folder / "scp.csv",
        "side_cm,scp",
        f"{note}\nTotal scatter factor Scp from {scatter.source}.",
        np.column_stack([scatter.sides_cm, scp]),
    )
    tables["scp"] = "scp.csv"
    if data.profiles is not None:
        p = data.profiles
        _write_table(
            folder / "profiles.csv",
            "field_cm,depth_cm,off_axis_cm,dose_percent",
            f"{note}\nProfiles from {p.source}.",
            np.column_stack([p.field_cm, p.depth_cm, p.off_axis_cm, p.dose_percent]),
        )
        tables["profiles"] = "profiles.csv"
    return tables


def _clear_table_caches() -> None:
    """Tables are cached by path: a replaced machine must be read afresh."""
    beam_data.load_table_2d.cache_clear()
    beam_data.load_columns.cache_clear()
    beam_profiles.load_profiles.cache_clear()
    beam_profiles.profile_model.cache_clear()
    tpr_depth_dose.pdd_table_from_tpr.cache_clear()


def machine_names() -> list[str]:
    """Names of the stored machines (folders holding a machine.json), sorted."""
    folder = machines_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / MACHINE_FILE).is_file()
    )


def load_machine(name: str) -> StoredMachine:
    """The stored machine ``name``; a clear error when there is none."""
    folder = machines_dir() / name
    path = folder / MACHINE_FILE
    if not path.is_file():
        known = ", ".join(machine_names()) or "none"
        raise PlanningError(
            f"no commissioned machine {name!r} in {machines_dir()} (stored: {known}; import one "
            "with spineplan machine import)"
        )
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        setup = MachineSetup(**record["machine"])
        tables: dict[str, str] = dict(record["tables"])
        sources = tuple(dict(s) for s in record["sources"])
        imported_at = str(record["imported_at"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PlanningError(f"{path}: not a valid machine record ({error})") from None
    for key, file in tables.items():
        if not (folder / file).is_file():
            raise PlanningError(f"{path}: its {key} table {file} is missing")
    return StoredMachine(
        setup=setup,
        folder=folder,
        imported_at=imported_at,
        sources=sources,
        tables=tables,
        machine=_machine(setup, folder, tables, sources, imported_at),
    )


def _machine(
    setup: MachineSetup,
    folder: Path,
    tables: dict[str, str],
    sources: tuple[dict[str, str], ...],
    imported_at: str,
) -> Machine:
    reference = MACHINES[setup.energy]

    def table(key: str) -> str | None:
        return str(folder / tables[key]) if key in tables else None

    surface = None
    if "surface_dose" in tables:
        _, columns = beam_data.load_columns(str(folder / tables["surface_dose"]))
        surface = tuple(
            (float(s), float(v))
            for s, v in zip(columns["side_cm"], columns["surface_percent"], strict=True)
        )
    files = ", ".join(Path(s["file"]).name for s in sources)
    depth = "measured PDD" if "pdd" in tables else "PDD derived from the measured TPR and Scp"
    if "profiles" in tables:
        edges = "measured profiles"
    elif reference.profile_table is not None:
        edges = f"NO profiles commissioned: the reference {setup.energy} profiles are used"
    else:
        edges = "NO profiles commissioned: penumbra from the source geometry" + (
            f" (source {setup.source_diameter_cm:g} cm, source-diaphragm "
            f"{setup.source_to_diaphragm_cm:g} cm)"
            if setup.source_diameter_cm and setup.source_to_diaphragm_cm
            else " (reference ASSUMPTIONS: source diameter and distance not given)"
        )
        if reference.edge_blur_sigma_cm:
            edges += f", with the reference's ASSUMED edge blur {reference.edge_blur_sigma_cm:g} cm"
    if surface is None and reference.surface_dose_points is not None:
        edges += "; no surface dose measured: the reference build-up is used"
    statement = (
        f"machine {setup.name} ({setup.energy}, {setup.setup} set-up): the unit's commissioning "
        f"data, imported {imported_at} by {setup.physicist} from {files} "
        f"({folder / MACHINE_FILE}); {depth} at SSD {setup.reference_ssd_cm:g} cm; "
        + (
            f"SAD {setup.sad_cm:g} cm; "
            if setup.sad_cm
            else f"SAD {reference.sad_cm:g} cm (the {setup.energy} reference: not stated); "
        )
        + edges
    )
    return replace(
        reference,
        description=f"{setup.name} ({reference.description}, commissioned)",
        reference_ssd_cm=float(setup.reference_ssd_cm or reference.reference_ssd_cm),
        pdd_table=table("pdd"),
        surface_dose_points=surface if surface is not None else reference.surface_dose_points,
        tpr_table=table("tpr"),
        scatter_table=table("scatter"),
        total_scatter_table=table("scp"),
        data_statement=statement,
        profile_table=table("profiles") or reference.profile_table,
        source_diameter_cm=setup.source_diameter_cm or reference.source_diameter_cm,
        source_to_diaphragm_cm=setup.source_to_diaphragm_cm or reference.source_to_diaphragm_cm,
        machine_name=setup.name,
        sad_cm=setup.sad_cm or reference.sad_cm,
    )


def beam_model_for(energy: str, machine: str | None) -> BeamModel:
    """The beam model of a plan: the commissioned machine ``machine``, else the reference beam.

    A machine of another energy than the plan's is refused (the field geometry follows the
    energy).
    """
    if machine is None:
        return BeamModel(MACHINES[parse_energy(energy)])
    stored = load_machine(machine)
    if stored.setup.energy != parse_energy(energy):
        raise PlanningError(
            f"machine {machine!r} is a {stored.setup.energy} unit, but the plan's energy is "
            f"{parse_energy(energy)}: set the energy to {stored.setup.energy}"
        )
    return stored.model
