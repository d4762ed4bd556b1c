"""Beam models for the two machines spineplan plans for: Co-60 (1.25 MV) and 6 MV photons.

A :class:`BeamModel` answers the questions a hand calculation and the 3D engine ask:

* central-axis percentage depth dose at the table's reference SSD, for any depth and any
  equivalent square (:meth:`BeamModel.pdd_percent`), from the published table shipped in
  ``resources/beam_data`` (see its README for every source);
* the same with the inverse-square factor taken out (:meth:`BeamModel.attenuation`), which the
  engine multiplies by the inverse-square factor of the actual geometry -- this is the classical
  Mayneord F-factor conversion between SSDs (Khan, *The Physics of Radiation Therapy*, 4th ed.,
  section 9.3.B);
* the off-axis edge spread (penumbra) at a depth (:meth:`BeamModel.penumbra_sigma_cm`,
  :meth:`BeamModel.edge_shift_cm`), from measured profiles where the machine names a profile
  table (:attr:`Machine.profile_table`, the 6 MV TrueBeam golden beam data; with the horns and
  shoulders of :mod:`planning.dose.beam_profiles`), else from the source geometry (Co-60);
* collimator and phantom scatter factors and tissue-maximum ratios where published data exist.

Model choices are documented where they are made; every number that is not from a table names
where it comes from or says that it is an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from planning.case.settings import DEFAULT_SSD_CM, SAD_CM, parse_energy
from planning.dose.beam_data import (
    BeamDataError,
    Table2D,
    interpolate_log_depth,
    load_columns,
    load_table_2d,
    resolve_table_name,
)
from planning.dose.beam_profiles import ProfileModel, profile_model
from planning.dose.tpr_depth_dose import pdd_table_from_tpr, total_scatter_factor

#: 80 %-20 % width of an error-function edge is 2 * 0.8416 sigma.
EDGE_80_20_PER_SIGMA = 2.0 * 0.8416212335729143


@dataclass(frozen=True)
class Machine:
    """Geometry and data files of one treatment machine.

    Attributes
    ----------
    key : str
        ``"Co60"`` or ``"6MV"``.
    description : str
        Human-readable name.
    sad_cm : float
        Source-axis distance in cm; jaw positions are given in the plane at this distance.
    default_ssd_cm : float
        SSD of the default SSD set-up in cm.
    reference_ssd_cm : float
        SSD at which the depth-dose table was measured, in cm.
    dmax_cm : float
        Depth of dose maximum on the central axis in cm (the first row of the PDD table).
    pdd_table : str or None
        CSV file name of the PDD table, None when no published table is shipped.
    surface_dose_points : tuple or None
        Published ``(side_cm, surface dose %)`` pairs for the build-up model, None if unknown.
    tpr_table, scatter_table : str or None
        CSV files of TPR(d; 10 cm) and of Sc/Sp, None when not shipped.
    source_diameter_cm : float
        Diameter of the source (Co-60) in cm; 0 for a linac focal spot (neglected).
    source_to_diaphragm_cm : float
        Distance from the source to the field-defining collimator edge, in cm.
    """

    key: str
    description: str
    sad_cm: float
    default_ssd_cm: float
    reference_ssd_cm: float
    dmax_cm: float
    pdd_table: str | None
    surface_dose_points: tuple[tuple[float, float], ...] | None
    tpr_table: str | None
    scatter_table: str | None
    source_diameter_cm: float
    source_to_diaphragm_cm: float
    #: Extra edge blur (1 sigma, cm, in the plane at depth) for collimator-edge transmission and
    #: head scatter; see :data:`MACHINES` for where each value comes from.
    edge_blur_sigma_cm: float
    #: CSV of the total scatter factor Scp against the equivalent square (when Sc and Sp are not
    #: measured apart); with :attr:`tpr_table` it gives the PDD when no PDD table is present.
    total_scatter_table: str | None = None
    #: What the beam data are, said in every result computed from them ("" for the 6 MV set,
    #: whose source is in ``resources/beam_data/README.md``).
    data_statement: str = ""
    #: CSV of measured off-axis profiles (``field_cm,depth_cm,off_axis_cm,dose_percent``, square
    #: fields at :attr:`reference_ssd_cm`) from which the engine's penumbra, edge position,
    #: shoulders and horns are derived (:mod:`planning.dose.beam_profiles`); None: erf edges from
    #: the source geometry (:meth:`BeamModel.penumbra_sigma_cm`) and no horns. A clinic's own
    #: measured profiles plug in here.
    profile_table: str | None = None
    #: Name of a commissioned machine (:mod:`planning.dose.machine_store`); None for the
    #: reference beams shipped with spineplan. Its tables are absolute paths in its folder.
    machine_name: str | None = None


# 6 MV penumbra (scatter part), published: 80-20 % width of a 1 x 20 cm^2 field, 6 MV:
# 0.17 cm at 1.5 cm depth and 0.37-0.39 cm (mean 0.38) at 10 cm depth. J. Appl. Clin. Med. Phys.
# 12(3):142-160 (2011), doi:10.1120/jacmp.v12i3.3475, Table 2. Linear in depth between and
# beyond these two points (no other depth was published there). Used only as the scatter part
# of the edge of a machine WITHOUT measured profiles (Co-60); the 6 MV edge itself comes from
# the measured TrueBeam profiles (Machine.profile_table).
PENUMBRA_6MV_POINTS_CM = ((1.5, 0.17), (10.0, 0.38))

# 6 MV surface dose, published: "The surface dose of square field increased linearly from
# approximately 10% to 28% as the side of the square field increased from 5 to 20 cm" (6 MV,
# SSD 100). Apipunyasopon L. et al., J. Appl. Clin. Med. Phys. 14(5), 2013 (abstract).
SURFACE_DOSE_6MV_POINTS = ((5.0, 10.0), (20.0, 28.0))


#: Said in every Co-60 result: the beam data are a reference beam, not the treating unit.
CO60_REFERENCE_BEAM = (
    "Co-60 beam data: the REFERENCE Co-60 beam -- measured TPR and total scatter factors of a "
    "ViewRay MRIdian Co-60 head (public repository mwgeurts/viewray_handcalc, see "
    "resources/beam_data/README.md), not the treating unit's data; PDD derived from them"
)


#: The machines. Every number is either from a cited table/publication or labelled an assumption.
MACHINES: dict[str, Machine] = {
    "6MV": Machine(
        key="6MV",
        description="6 MV photons (linear accelerator)",
        sad_cm=SAD_CM["6MV"],
        default_ssd_cm=DEFAULT_SSD_CM["6MV"],
        reference_ssd_cm=100.0,
        dmax_cm=1.5,  # first row of the TG-71 table = depth of maximum
        pdd_table="6mv_pdd_ssd100_tg71.csv",
        surface_dose_points=SURFACE_DOSE_6MV_POINTS,
        tpr_table="6mv_tpr_tg71.csv",
        scatter_table="6mv_scatter_factors_tg71.csv",
        source_diameter_cm=0.0,  # focal spot ~1-2 mm: its blur is inside the measured penumbra
        source_to_diaphragm_cm=0.0,
        edge_blur_sigma_cm=0.0,
        # Measured TrueBeam 6 MV profiles (golden beam data, resources/beam_data/README.md).
        profile_table="6mv_profiles_truebeam_gbd.csv",
    ),
    "Co60": Machine(
        key="Co60",
        description="Cobalt-60 teletherapy (1.25 MV mean photon energy)",
        sad_cm=SAD_CM["Co60"],
        default_ssd_cm=DEFAULT_SSD_CM["Co60"],
        reference_ssd_cm=80.0,
        dmax_cm=0.5,  # Co-60 d_max 0.5 cm (BJR Supplement 25 tabulates Co-60 from 0.5 cm)
        # No published Co-60 depth-dose table could be located and copied for this release
        # (resources/beam_data/README.md, two documented searches); a physicist adds one as
        # co60_pdd_ssd80.csv or co60_pdd_ssd80_<source>.csv (beam_data.resolve_table_name).
        # A unit's own PDD table (co60_pdd_ssd80.csv or co60_pdd_ssd80_<source>.csv) takes
        # precedence; otherwise the PDD is derived from the measured TPR and Scp of the
        # reference Co-60 beam (planning.dose.tpr_depth_dose).
        pdd_table="co60_pdd_ssd80.csv",
        surface_dose_points=None,  # no published Co-60 build-up data located
        tpr_table="co60_tpr_viewray.csv",
        scatter_table=None,
        total_scatter_table="co60_scp_viewray.csv",
        data_statement=CO60_REFERENCE_BEAM,
        # ASSUMPTIONS (typical teletherapy head; replace with the unit's data): source diameter
        # 2.0 cm (Khan, ch. 4: Co-60 teletherapy sources are 1.0-2.0 cm across) and
        # source-to-diaphragm (penumbra trimmer) distance 55 cm.
        source_diameter_cm=2.0,
        source_to_diaphragm_cm=55.0,
        # ASSUMPTION: transmission through the collimator edge and head scatter widen a Co-60
        # penumbra well beyond the purely geometric one; no published width for a specific unit
        # was located, so this blur is set such that the 80-20 % width for 10 x 10 cm at SSD
        # 80 cm, 5 cm depth is ~1.0 cm, the lower end of the 1.0-1.5 cm usually quoted.
        edge_blur_sigma_cm=0.50,
    ),
}


def geometric_penumbra_cm(
    source_diameter_cm: float, ssd_cm: float, depth_cm: ArrayLike, sdd_cm: float
) -> np.ndarray:
    """Geometric penumbra width ``P = s (SSD + d - SDD) / SDD`` in cm.

    Khan, *The Physics of Radiation Therapy*, 4th ed., section 4.4 (Co-60 unit, penumbra):
    ``s`` source diameter, ``SDD`` source-to-diaphragm distance.
    """
    if sdd_cm <= 0:
        return np.zeros_like(np.asarray(depth_cm, dtype=float))
    return source_diameter_cm * (ssd_cm + np.asarray(depth_cm, dtype=float) - sdd_cm) / sdd_cm


@dataclass(frozen=True)
class BeamModel:
    """Depth dose, penumbra and scatter factors of one machine.

    Parameters
    ----------
    machine : Machine
        The machine (see :data:`MACHINES`).
    pdd_table : Table2D or None
        Override of the shipped PDD table (same layout); used by tests and by physicists who
        load their own commissioning data. None: the shipped table.
    """

    machine: Machine
    pdd_table_override: Table2D | None = None

    # -- data ------------------------------------------------------------------------------
    @property
    def pdd_table(self) -> Table2D:
        """The central-axis depth-dose table at :attr:`Machine.reference_ssd_cm`."""
        if self.pdd_table_override is not None:
            return self.pdd_table_override
        machine = self.machine
        name = machine.pdd_table
        if name is None:
            missing = f"no depth-dose table is configured for {machine.key}"
        else:
            name = resolve_table_name(name)  # an ambiguous folder is reported as such
            try:
                return load_table_2d(name)
            except BeamDataError as error:
                missing = str(error)
        if machine.tpr_table and machine.total_scatter_table:
            try:
                return pdd_table_from_tpr(
                    machine.tpr_table, machine.total_scatter_table, machine.reference_ssd_cm
                )
            except BeamDataError as error:
                missing += f", and the TPR path failed: {error}"
        raise BeamDataError(
            f"{machine.key}: {missing}. No {machine.key} depth-dose data is available; see "
            "resources/beam_data/README.md for the file formats and add a PDD table, or a TPR "
            "and a total-scatter table, to enable this energy"
        )

    @property
    def has_depth_dose(self) -> bool:
        """Whether a depth-dose table is available for this machine."""
        try:
            _ = self.pdd_table
        except BeamDataError:
            return False
        return True

    def _normalisation(self, side_cm: ArrayLike) -> np.ndarray:
        """Table value at d_max for each side (the table may be normalised elsewhere)."""
        table = self.pdd_table
        side = np.asarray(side_cm, dtype=float)
        return interpolate_log_depth(table, np.full_like(side, table.rows[0]), side)

    # -- depth dose ------------------------------------------------------------------------
    def surface_dose_percent(self, side_cm: ArrayLike) -> np.ndarray | None:
        """Published surface dose in % of the maximum (linear in side), None when unknown."""
        points = self.machine.surface_dose_points
        if points is None:
            return None
        sides, doses = zip(*points, strict=True)
        return np.interp(np.asarray(side_cm, dtype=float), sides, doses)

    def pdd_percent(self, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
        """Central-axis PDD (% of the maximum) at the table's reference SSD.

        Parameters
        ----------
        depth_cm : array_like
            Water-equivalent depth in cm (>= 0).
        side_cm : array_like
            Equivalent-square side of the field at the phantom surface, in cm.

        Notes
        -----
        From ``d_max`` on: the published table, log-linear in depth and linear in side
        (:func:`planning.dose.beam_data.interpolate_log_depth`), renormalised to 100 at ``d_max``.
        Shallower than ``d_max`` (not tabulated): MODEL ``P(d) = S + (100 - S)(1 - (1 - d /
        d_max)^2)`` rising from the published surface dose ``S`` to 100 with zero slope at
        ``d_max``; for a machine without published surface dose, 100 (no skin sparing).
        Deeper than the last row: EXTRAPOLATED log-linearly with the slope of the last two rows
        (callers reporting deep points should check :attr:`max_depth_cm`).
        """
        depth = np.maximum(np.asarray(depth_cm, dtype=float), 0.0)
        side = np.asarray(side_cm, dtype=float)
        depth, side = np.broadcast_arrays(depth, side)
        table = self.pdd_table
        dmax = float(table.rows[0])
        tabulated = 100.0 * interpolate_log_depth(table, depth, side) / self._normalisation(side)
        deepest = float(table.rows[-1])
        if np.any(depth > deepest):
            # EXTRAPOLATION beyond the table: log-linear with the slope of the last two rows.
            last = interpolate_log_depth(table, np.full_like(depth, deepest), side)
            before = interpolate_log_depth(table, np.full_like(depth, table.rows[-2]), side)
            mu_per_cm = np.log(before / last) / (deepest - float(table.rows[-2]))
            extrapolated = (
                100.0 * last * np.exp(-mu_per_cm * (depth - deepest)) / self._normalisation(side)
            )
            tabulated = np.where(depth > deepest, extrapolated, tabulated)
        surface = self.surface_dose_percent(side)
        if surface is None:
            # No published build-up data: the d_max dose is used above d_max (no skin sparing;
            # overestimates the skin dose, never underestimates it).
            return np.where(depth < dmax, 100.0, tabulated)
        x = np.clip(depth / dmax, 0.0, 1.0)
        buildup = surface + (100.0 - surface) * (1.0 - (1.0 - x) ** 2)
        return np.where(depth < dmax, buildup, tabulated)

    @property
    def max_depth_cm(self) -> float:
        """Deepest tabulated depth in cm."""
        return float(self.pdd_table.rows[-1])

    @property
    def dmax_cm(self) -> float:
        """Depth of maximum dose in cm (the first tabulated row)."""
        return float(self.pdd_table.rows[0])

    def attenuation(self, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
        """PDD/100 with the reference SSD's inverse-square factor removed (1 at d_max).

        ``A(d) = PDD_ref(d)/100 * ((SSD_ref + d) / (SSD_ref + d_max))^2``. Multiplying ``A`` by
        ``((SSD + d_max) / (SSD + d))^2`` gives the PDD at another SSD: the Mayneord F-factor.
        """
        ssd = self.machine.reference_ssd_cm
        depth = np.maximum(np.asarray(depth_cm, dtype=float), 0.0)
        dmax = self.dmax_cm
        return self.pdd_percent(depth, side_cm) / 100.0 * ((ssd + depth) / (ssd + dmax)) ** 2

    def pdd_at_ssd_percent(
        self, depth_cm: ArrayLike, side_surface_cm: ArrayLike, ssd_cm: float
    ) -> np.ndarray:
        """PDD (%) at any SSD through the Mayneord F-factor (field side at the surface)."""
        depth = np.maximum(np.asarray(depth_cm, dtype=float), 0.0)
        dmax = self.dmax_cm
        return (
            100.0
            * self.attenuation(depth, side_surface_cm)
            * ((ssd_cm + dmax) / (ssd_cm + depth)) ** 2
        )

    # -- penumbra --------------------------------------------------------------------------
    @property
    def profile_model(self) -> ProfileModel | None:
        """Edge, shoulder and horn tables from the machine's measured profiles (None: none)."""
        name = self.machine.profile_table
        if name is None:
            return None
        return profile_model(name, self.machine.reference_ssd_cm)

    def penumbra_sigma_cm(
        self, depth_cm: ArrayLike, ssd_cm: float, side_cm: ArrayLike = 10.0
    ) -> np.ndarray:
        """One-sigma edge spread (cm) in the plane at ``depth_cm``, for a field edge.

        Parameters
        ----------
        depth_cm : array_like
            Depth below the skin plane, cm.
        ssd_cm : float
            Source-skin distance, cm (the geometric penumbra of a machine without profiles).
        side_cm : array_like
            Equivalent-square side of the field at the skin, cm (used by a machine with measured
            profiles, whose penumbra widens with the field; default 10 x 10 cm).

        Notes
        -----
        6 MV (a machine with :attr:`Machine.profile_table`): the erf width whose 80-20 % width,
        with the measured dose just inside the edge, is the measured one at this depth and field
        size (:mod:`planning.dose.beam_profiles`; linear between tabulated depths and fields,
        clamped outside 1.5-30 cm and 3-40 cm). Co-60: the geometric penumbra ``P`` of a uniform
        disc source (whose edge spread has a standard deviation of a quarter of ``P``: the
        projected radius over 2), in quadrature with the published 6 MV scatter width
        (``PENUMBRA_6MV_POINTS_CM``) at the same depth and the collimator-edge blur
        (:attr:`Machine.edge_blur_sigma_cm`).
        """
        depth = np.maximum(np.asarray(depth_cm, dtype=float), 0.0)
        profiles = self.profile_model
        if profiles is not None:
            return profiles.sigma_at(depth, side_cm)
        (d0, w0), (d1, w1) = PENUMBRA_6MV_POINTS_CM
        scatter_width = np.maximum(w0 + (w1 - w0) * (depth - d0) / (d1 - d0), 0.10)
        sigma_scatter = scatter_width / EDGE_80_20_PER_SIGMA
        machine = self.machine
        geometric = geometric_penumbra_cm(
            machine.source_diameter_cm, ssd_cm, depth, machine.source_to_diaphragm_cm
        )
        sigma_geometric = np.maximum(geometric, 0.0) / 4.0
        return np.sqrt(sigma_scatter**2 + sigma_geometric**2 + machine.edge_blur_sigma_cm**2)

    def edge_shift_cm(self, depth_cm: ArrayLike, side_cm: ArrayLike = 10.0) -> np.ndarray:
        """Outward shift (cm, plane at depth) of the erf edge centre from the geometric edge.

        From the measured 50 % points for a machine with profiles (e.g. +0.05 cm for 10 x 10 cm
        at 10 cm depth); 0 for a machine without (the edge centred on the geometric edge).
        """
        depth = np.maximum(np.asarray(depth_cm, dtype=float), 0.0)
        profiles = self.profile_model
        if profiles is None:
            return np.zeros(np.broadcast_shapes(depth.shape, np.shape(side_cm)))
        return profiles.shift_at(depth, side_cm)

    # -- hand-calculation factors ------------------------------------------------------------
    def _scatter_column(self, column: str, side_cm: ArrayLike) -> np.ndarray:
        if self.machine.scatter_table is None:
            raise BeamDataError(f"no published scatter factors are shipped for {self.machine.key}")
        _, columns = load_columns(self.machine.scatter_table)
        side = np.asarray(side_cm, dtype=float)
        return np.interp(side, columns["side_cm"], columns[column])

    def collimator_scatter(self, collimator_side_cm: ArrayLike) -> np.ndarray:
        """Collimator-scatter factor S_c (1 at 10 x 10), by equivalent square at the isocentre."""
        return self._scatter_column("s_c", collimator_side_cm)

    def phantom_scatter(self, phantom_side_cm: ArrayLike) -> np.ndarray:
        """Phantom-scatter factor S_p (1 at 10 x 10), by equivalent square at the point."""
        return self._scatter_column("s_p", phantom_side_cm)

    def total_scatter(self, side_cm: ArrayLike) -> np.ndarray:
        """Measured total scatter factor ``S_cp`` (1 at 10 x 10), by equivalent square."""
        if self.machine.total_scatter_table is None:
            raise BeamDataError(f"no total scatter factors are shipped for {self.machine.key}")
        return total_scatter_factor(self.machine.total_scatter_table, side_cm)

    def output_factor(self, collimator_side_cm: float, phantom_side_cm: float) -> float:
        """Total scatter factor ``S_cp = S_c S_p`` (the output factor relative to 10 x 10)."""
        return float(
            self.collimator_scatter(collimator_side_cm) * self.phantom_scatter(phantom_side_cm)
        )

    def tmr(self, depth_cm: ArrayLike, side_cm: ArrayLike) -> np.ndarray:
        """Tissue-maximum ratio from the published TPR table: ``TPR(d) / TPR(d_max)``.

        Depths shallower than d_max return 1 scaled by the build-up model; use for MU at depths
        at or beyond d_max.
        """
        if self.machine.tpr_table is None:
            raise BeamDataError(f"no published TPR/TMR table is shipped for {self.machine.key}")
        table = load_table_2d(self.machine.tpr_table)
        depth = np.asarray(depth_cm, dtype=float)
        side = np.asarray(side_cm, dtype=float)
        depth, side = np.broadcast_arrays(depth, side)
        at_dmax = interpolate_log_depth(table, np.full_like(depth, table.rows[0]), side)
        return interpolate_log_depth(table, depth, side) / at_dmax

    def tmr_from_pdd(self, depth_cm: ArrayLike, side_at_depth_cm: ArrayLike) -> np.ndarray:
        """DERIVED TMR from the PDD table (for machines without a published TMR/TPR table).

        ``TMR(d, r_d) = PDD(d, r, f)/100 * ((f + d)/(f + d_m))^2 * S_p(r_dm)/S_p(r_d)`` with
        ``r = r_d f/(f + d)`` (Khan, 4th ed., eq. 10.8). The ratio of phantom-scatter factors
        needs S_p; where none is published it is taken as 1 (an approximation that slightly
        underestimates TMR for depths beyond d_max) -- label results accordingly.
        """
        f = self.machine.reference_ssd_cm
        depth = np.asarray(depth_cm, dtype=float)
        side_d = np.asarray(side_at_depth_cm, dtype=float)
        side_surface = side_d * f / (f + depth)
        dmax = self.dmax_cm
        side_dmax = side_surface * (f + dmax) / f
        value = self.attenuation(depth, side_surface)
        if self.machine.scatter_table is not None:
            value = value * self.phantom_scatter(side_dmax) / self.phantom_scatter(side_d)
        return value


def beam_model(energy: str) -> BeamModel:
    """The beam model of a machine by energy name (any spelling :func:`parse_energy` accepts)."""
    return BeamModel(MACHINES[parse_energy(energy)])
