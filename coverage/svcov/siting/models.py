"""Facility-location models on a cost matrix, with existing facilities fixed and counted:

- :class:`MaximalCovering` (MCLP): choose the new sites that cover the most children within the threshold;
- :class:`SetCovering` (LSCP): the fewest new sites that cover a target share of the children;
- :class:`PMedian`: the new sites that minimise the total child-weighted travel time;
- :class:`CapacitatedCoverage`: children count as served within the threshold only up to each facility's places.

Every model takes a :class:`~svcov.siting.instance.Plan` (one round of ``k`` sites, or several years that build
on each other) and optional :class:`~svcov.siting.instance.SiteRules` (per-街镇 minimums and maximums). Build
with ``from_cost_matrix`` (arrays) or ``from_geodataframe`` (frames + a travel model), then ``solve()``.

Before building, demand rows the new sites cannot change are folded into a constant (already covered by an
existing facility in every year, or out of reach of every candidate), and rows the model cannot tell apart
(same candidates within reach, same existing cover) are merged, their weights summed: the optimum is the same
and the model far smaller.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from ..vocabulary import SITING_PHASINGS
from .base import FromFrames, ModelInputs, SitingModel, catchment_matrix, existing_open_by_year, plan_of, prepare
from .instance import Plan, SiteRules, argument_error, group_rows, select_rows
from .solve import MipBuilder

__all__ = ["MaximalCovering", "SetCovering", "PMedian", "CapacitatedCoverage", "PCenter", "MODELS", "catchment_matrix",
           "existing_open_by_year", "PHASINGS"]

log = logging.getLogger(__name__)

#: How a phased coverage plan orders its sites over the years (``siting.phasing``, :mod:`svcov.vocabulary`).
PHASINGS = tuple(SITING_PHASINGS)


class MaximalCovering(FromFrames, SitingModel):
    """Maximal covering (MCLP): the new sites that cover the most weight (people of the served group) within the
    threshold.

    The objective counts, for every plan year, the weight within ``threshold_s`` of an open facility (existing
    or new), summed over the years: a phased plan is rewarded for covering people early.
    """

    name = "mclp"
    sense = "max"
    uses_demand_zones = True

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules, candidate_zones, merge: bool, where: str,
                 demand_zones=None, phasing: str = "efficiency"):
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where)
        if phasing not in PHASINGS:
            raise argument_error(where, f"phasing 应是 {' 或 '.join(PHASINGS)}。", f"phasing must be one of {PHASINGS}",
                                 value=phasing)
        if phasing == "equity" and demand_zones is None:
            raise argument_error(where, "phasing='equity' 需要每个需求点所在的街镇 (demand_zones)。",
                                 "phasing='equity' needs demand_zones (the zone of every demand row)")
        self.phasing = phasing
        years = "各年合计" if plan.n_years > 1 else ""
        self.objective_label_zh = (f"{inputs.threshold_s / 60:.0f} 分钟内覆盖的需求人口"
                                   + (f", {years}" if years else ""))
        self._demand_zone_codes(demand_zones)
        self._reduce()

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, threshold_s: float, k: int | None = None, plan: Plan | None = None,
                         existing_cost_s=None, existing_open=None, rules: SiteRules | None = None,
                         candidate_zones=None, merge: bool = True, demand_zones=None, phasing: str = "efficiency"):
        """Build the model from arrays.

        Parameters
        ----------
        cost_s
            Demand × candidate times in seconds: a dense array (``np.inf`` = unreachable) or a scipy sparse matrix
            whose stored entries are the reachable pairs.
        weights
            Demand weight of every row (e.g. the served group's people).
        threshold_s
            A demand point is covered by a facility within this many seconds.
        k, plan
            Exactly ``k`` new sites, or a :class:`Plan` (years and budgets).
        existing_cost_s
            Demand × existing-facility times (same forms as ``cost_s``); existing facilities are fixed.
        existing_open
            Existing facilities (× plan years) that are open; default all.
        rules
            Per-zone minimums and maximums; needs ``candidate_zones``.
        candidate_zones
            Zone code (街镇) of every candidate.
        merge
            Merge demand rows with identical coverage (same optimum, smaller model).
        demand_zones
            Zone code (街镇) of every demand row: rows of different zones are never merged, so coverage per zone
            is known (needed by ``phasing="equity"``).
        phasing
            ``"efficiency"`` (default: the most children covered, summed over the plan years) or ``"equity"``
            (worst-served zones first: :mod:`svcov.siting.equity`).

        Returns
        -------
        MaximalCovering

        Raises
        ------
        ConfigError
            For malformed arrays or arguments.
        """
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan_of(plan, k, where)
        inputs = prepare(where, cost_s, weights, max_time_s=threshold_s, threshold_s=threshold_s,
                          existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where,
                   demand_zones=demand_zones, phasing=phasing)

    # --- reduction ----------------------------------------------------------------------------------------

    def _reduce(self) -> None:
        inp = self.inputs_
        w, cover = inp.weights, inp.cand_times
        exist = sp.csr_array((np.ones(inp.exist_times.nnz), inp.exist_times.indices, inp.exist_times.indptr),
                             shape=inp.exist_times.shape)
        pre = (exist @ inp.existing_open.astype(float)) > 0 if exist.shape[1] else \
            np.zeros((len(w), self.plan.n_years), dtype=bool)
        self.pre_covered = np.asarray(pre, dtype=bool).reshape(len(w), self.plan.n_years)
        self.total_weight = float(w.sum())
        self.const = (w[:, None] * self.pre_covered).sum(axis=0)
        keep = (np.diff(cover.indptr) > 0) & (w > 0) & ~self.pre_covered.all(axis=1)
        rows = np.flatnonzero(keep)
        sub = select_rows(cover, rows)
        pre_rows = self.pre_covered[rows]
        if self.merge:
            inverse, first = group_rows([(sub, False)], extra=np.c_[pre_rows, self.demand_zone[rows]])
        else:
            inverse, first = np.arange(len(rows)), np.arange(len(rows))
        merged = select_rows(sub, first)
        self.C = sp.csr_array((np.ones(merged.nnz), merged.indices, merged.indptr), shape=merged.shape)
        self.P = pre_rows[first]
        self.w = np.bincount(inverse, weights=w[rows], minlength=len(first))
        self.group_zone = self.demand_zone[rows][first]
        Z = len(self.demand_zone_codes)
        self.zone_weight = np.bincount(self.demand_zone, weights=w, minlength=Z)
        self.zone_const = np.stack([np.bincount(self.demand_zone, weights=w * self.pre_covered[:, y], minlength=Z)
                                    for y in range(self.plan.n_years)], axis=1)
        self.n_demand_in_model, self.n_groups = len(rows), len(first)
        self._nnz = (int(sub.nnz), int(self.C.nnz))

    def _demand_zone_codes(self, demand_zones) -> None:
        if demand_zones is None:
            self.demand_zone_codes = [""]
            self.demand_zone = np.zeros(self.n_demand, dtype=np.int64)
            return
        zones = np.asarray(demand_zones, dtype=object).astype(str)
        if zones.shape != (self.n_demand,):
            raise argument_error(self._where, f"demand_zones 应有 {self.n_demand} 个值 (每个需求点一个)。",
                                 f"demand_zones must have {self.n_demand} values", value=zones.shape)
        codes, inverse = np.unique(zones, return_inverse=True)
        self.demand_zone_codes = [str(c) for c in codes]
        self.demand_zone = inverse.astype(np.int64)

    def _coverage_nonzeros(self) -> tuple[int, int]:
        return self._nnz

    def zone_shares(self, open_year: np.ndarray) -> np.ndarray:
        """Share (0-1) of each demand zone's weight covered, zones × plan years (NaN for zones without weight)."""
        out = self.zone_const.copy()
        for y in range(self.plan.n_years):
            hit = ((self.C @ self.open_mask(open_year, y).astype(float)) > 0) & ~self.P[:, y]
            out[:, y] += np.bincount(self.group_zone[hit], weights=self.w[hit], minlength=len(out))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.zone_weight[:, None] > 0, out / self.zone_weight[:, None], np.nan)

    def _solve_mip(self, start: float, time_limit_s: float, gap: float, threads, initial=None) -> None:
        if self.phasing == "equity":
            from .equity import solve_equity

            solve_equity(self, start, time_limit_s, gap, threads, initial)
            return
        super()._solve_mip(start, time_limit_s, gap, threads, initial)

    # --- model --------------------------------------------------------------------------------------------

    def _add_cover_rows(self, b: MipBuilder, o: int, *, with_cost: bool, years=None
                        ) -> list[tuple[int, np.ndarray, int]]:
        """``y[g, t] <= sum of o[j, t]`` over the candidates covering group ``g``; returns (year, groups, first y)."""
        J, out = self.n_candidates, []
        for y in (range(self.plan.n_years) if years is None else years):
            active = np.flatnonzero(~self.P[:, y])
            if len(active) == 0:
                continue
            yv = b.add_cols(len(active), cost=self.w[active] if with_cost else 0.0, ub=1.0)
            sub = select_rows(self.C, active)
            n = len(active)
            rows = np.r_[np.arange(n), np.repeat(np.arange(n), np.diff(sub.indptr))]
            cols = np.r_[yv + np.arange(n), o + y * J + sub.indices]
            vals = np.r_[np.ones(n), -np.ones(sub.nnz)]
            b.add_rows(n, rows, cols, vals, hi=0.0)
            out.append((y, active, yv))
        return out

    def _build(self, b: MipBuilder) -> int:
        o = self._add_sites(b)
        self._add_cover_rows(b, o, with_cost=True)
        b.offset = float(self.const.sum())
        return o

    # --- evaluation and heuristic -------------------------------------------------------------------------

    def coverage_by_year(self, open_year: np.ndarray) -> np.ndarray:
        """Weight covered in each plan year (existing and new facilities) for a choice of sites."""
        out = np.zeros(self.plan.n_years)
        for y in range(self.plan.n_years):
            hit = (self.C @ self.open_mask(open_year, y).astype(float)) > 0
            out[y] = self.const[y] + self.w[hit & ~self.P[:, y]].sum()
        return out

    def evaluate(self, open_year: np.ndarray) -> float:
        """Objective of a choice of sites (``open_year``: year index per candidate, -1 = not chosen)."""
        return float(self.coverage_by_year(open_year).sum())

    def gains(self, open_year: np.ndarray, y: int) -> np.ndarray:
        """Objective gain of opening each candidate in year index ``y`` (covering from ``y`` to the last year)."""
        g = np.zeros(self.n_candidates)
        for t in range(y, self.plan.n_years):
            uncovered = ~self.P[:, t] & ((self.C @ self.open_mask(open_year, t).astype(float)) == 0)
            g += self.C.T @ (self.w * uncovered)
        return g

    def best_by_year(self) -> np.ndarray:
        """Weight covered in each plan year if every candidate were built (the most any plan can cover)."""
        return np.array([self.const[y] + self.w[~self.P[:, y]].sum() for y in range(self.plan.n_years)])

    def trivial_bound(self) -> float:
        """Every candidate built: no plan covers more."""
        return float(self.best_by_year().sum())


from .allocation import CapacitatedCoverage, PMedian  # noqa: E402  (registry below)
from .center import PCenter  # noqa: E402
from .covering import SetCovering  # noqa: E402

#: Model name (as in the configuration's ``siting.model``) → class.
MODELS = {cls.name: cls for cls in (MaximalCovering, SetCovering, PMedian, CapacitatedCoverage, PCenter)}
