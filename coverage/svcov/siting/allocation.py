"""Models that allocate demand to facilities: p-median (minimise demand-weighted travel time) and capacitated coverage
(people within the threshold are served only up to each facility's capacity). See :mod:`svcov.siting.models`
for the shared conventions (plans, rules, reduction and merging of demand rows).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, Problem
from .base import FromFrames, ModelInputs, SitingModel, plan_of, prepare
from .instance import Plan, SiteRules, argument_error, group_rows, select_rows
from .solve import MipBuilder, run_highs

__all__ = ["PMedian", "CapacitatedCoverage"]

log = logging.getLogger(__name__)


def _row_min(values: np.ndarray, indptr: np.ndarray, default: np.ndarray) -> np.ndarray:
    """Minimum of each CSR row's ``values`` and ``default`` (rows without entries keep ``default``)."""
    out = np.array(default, dtype=float, copy=True)
    nonempty = np.diff(indptr) > 0
    if values.size:
        out[nonempty] = np.minimum(out[nonempty], np.minimum.reduceat(values, indptr[:-1][nonempty]))
    return out


def _max_finite(*matrices) -> float:
    best = 0.0
    for m in matrices:
        if m is None:
            continue
        data = m.data if sp.issparse(m) else np.asarray(m, dtype=float)
        finite = data[np.isfinite(data)] if np.size(data) else data
        if np.size(finite):
            best = max(best, float(finite.max()))
    return best


class PMedian(FromFrames, SitingModel):
    """p-median: the new sites that minimise the total child-weighted walking time to the nearest open facility
    (existing or new), summed over the plan years. Times beyond ``max_time_s`` (or unreachable) count as
    ``max_time_s``: a child who cannot walk to any facility within it adds that much, whatever is built.

    The objective is in child-minutes.
    """

    name = "p_median"
    sense = "min"
    warm_start_default = True

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules, candidate_zones, merge: bool, where: str):
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where)
        cap = inputs.max_time_s / 60
        self.objective_label_zh = (f"需求人口加权出行时间 (人·分钟{', 各年合计' if plan.n_years > 1 else ''}; "
                                   f"超过 {cap:.0f} 分钟或不可达按 {cap:.0f} 分钟计)")
        self._reduce()

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, k: int | None = None, plan: Plan | None = None,
                         max_time_s: float | None = None, threshold_s: float | None = None, existing_cost_s=None,
                         existing_open=None, rules: SiteRules | None = None, candidate_zones=None,
                         merge: bool = True):
        """Build the model from arrays (see :meth:`MaximalCovering.from_cost_matrix` for the common arguments).

        Parameters
        ----------
        max_time_s
            Times above it count as it (default: the largest finite time in the matrices).
        threshold_s
            Coverage threshold used only when reporting coverage (default ``max_time_s``).
        """
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan_of(plan, k, where)
        cap = float(max_time_s) if max_time_s is not None else _max_finite(cost_s, existing_cost_s)
        inputs = prepare(where, cost_s, weights, max_time_s=cap,
                         threshold_s=cap if threshold_s is None else threshold_s,
                         existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where)

    @classmethod
    def _query_time_s(cls, threshold_s: float, kwargs: dict) -> float:
        kwargs.setdefault("max_time_s", 2 * threshold_s)
        return float(kwargs["max_time_s"])

    def _reduce(self) -> None:
        inp, Y = self.inputs_, self.plan.n_years
        w, cap, n = inp.weights, inp.max_time_s, len(inp.weights)
        ex = inp.exist_times
        base = np.full((n, Y), cap)
        for y in range(Y):
            t = np.where(inp.existing_open[ex.indices, y], ex.data, cap) if ex.nnz else ex.data
            base[:, y] = _row_min(t, ex.indptr, base[:, y])
        cand = inp.cand_times
        rows_of = np.repeat(np.arange(n), np.diff(cand.indptr))
        useful = cand.data < base.max(axis=1)[rows_of]
        indptr = np.r_[0, np.cumsum(np.bincount(rows_of[useful], minlength=n))]
        arcs = sp.csr_array((cand.data[useful], cand.indices[useful], indptr), shape=cand.shape)
        self.const = (w[:, None] * base).sum(axis=0)
        rows = np.flatnonzero((np.diff(indptr) > 0) & (w > 0))
        sub = select_rows(arcs, rows)
        if self.merge:
            inverse, first = group_rows([(sub, True)], extra=base[rows])
        else:
            inverse, first = np.arange(len(rows)), np.arange(len(rows))
        self.T = select_rows(sub, first)
        self.B = base[rows][first]
        self.w = np.bincount(inverse, weights=w[rows], minlength=len(first))
        self._rows_of = np.repeat(np.arange(len(first)), np.diff(self.T.indptr))
        self.n_demand_in_model, self.n_groups = len(rows), len(first)
        self._nnz = (int(sub.nnz), int(self.T.nnz))

    def _coverage_nonzeros(self) -> tuple[int, int]:
        return self._nnz

    def _build(self, b: MipBuilder) -> int:
        o = self._add_sites(b)
        J, T = self.n_candidates, self.T
        for y in range(self.plan.n_years):
            ok = T.data < self.B[self._rows_of, y]
            g, j, t = self._rows_of[ok], T.indices[ok], T.data[ok]
            m = len(g)
            if m == 0:
                continue
            z = b.add_cols(m, cost=self.w[g] * (t - self.B[g, y]) / 60.0, ub=1.0)
            groups, local = np.unique(g, return_inverse=True)
            b.add_rows(len(groups), local, z + np.arange(m), 1.0, hi=1.0)
            b.add_rows(m, np.repeat(np.arange(m), 2), np.ravel(np.c_[z + np.arange(m), o + y * J + j]),
                       np.tile([1.0, -1.0], m), hi=0.0)
        b.offset = float(self.const.sum()) / 60.0
        return o

    def _nearest(self, open_year: np.ndarray, y: int) -> np.ndarray:
        t = np.where(self.open_mask(open_year, y)[self.T.indices], self.T.data, np.inf)
        return _row_min(t, self.T.indptr, self.B[:, y])

    def time_by_year(self, open_year: np.ndarray) -> np.ndarray:
        """Child-weighted time (child-minutes) in each plan year for a choice of sites."""
        return np.array([(self.const[y] + (self.w * (self._nearest(open_year, y) - self.B[:, y])).sum()) / 60.0
                         for y in range(self.plan.n_years)])

    def evaluate(self, open_year: np.ndarray) -> float:
        return float(self.time_by_year(open_year).sum())

    def gains(self, open_year: np.ndarray, y: int) -> np.ndarray:
        """Time saved (child-minutes) by opening each candidate in year index ``y``."""
        g = np.zeros(self.n_candidates)
        for t in range(y, self.plan.n_years):
            d = self._nearest(open_year, t)
            save = self.w[self._rows_of] * np.maximum(0.0, d[self._rows_of] - self.T.data) / 60.0
            g += np.bincount(self.T.indices, weights=save, minlength=self.n_candidates)
        return g


def _capacities(values, n: int, what: str, where: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(values, dtype=float), (n,)).copy() if values is not None else np.full(n, np.nan)
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if len(bad):
        shown = ", ".join(str(i) for i in bad[:20]) + (" ..." if len(bad) > 20 else "")
        raise ConfigError(where, [Problem(where, f"{what}的容量未知或无效 (第 {shown} 个, 共 {len(bad)} 个)。容量约束模型"
                                                 f"需要每个设施的容量: 请在名册中补充容量列 (类型文件的 capacity), "
                                                 f"或给出 siting.capacity_places_unknown。",
                                          f"{what}: {len(bad)} capacities unknown or invalid (positions {shown}); the "
                                          f"capacitated model needs every facility's places")])
    return arr


class CapacitatedCoverage(FromFrames, SitingModel):
    """Capacitated coverage: people within the threshold of a facility are served up to the facility's capacity
    (places, beds ...); maximise the people served, summed over the plan years. Existing facilities keep theirs.
    """

    name = "capacitated"
    sense = "max"

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules, candidate_zones, merge: bool, where: str,
                 capacity_new: np.ndarray, existing_capacity: np.ndarray):
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where)
        self.capacity_new = capacity_new
        self.existing_capacity = existing_capacity
        self.objective_label_zh = (f"{inputs.threshold_s / 60:.0f} 分钟内获得服务容量的需求人口"
                                   f"{' (各年合计)' if plan.n_years > 1 else ''}")
        self._reduce()

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, threshold_s: float, capacity_new, k: int | None = None,
                         plan: Plan | None = None, existing_cost_s=None, existing_capacity=None, existing_open=None,
                         rules: SiteRules | None = None, candidate_zones=None, merge: bool = True):
        """Build the model from arrays (see :meth:`MaximalCovering.from_cost_matrix` for the common arguments).

        Parameters
        ----------
        capacity_new
            Places of a new site (one number, or one per candidate).
        existing_capacity
            Places of every existing facility (required when there are existing facilities).

        Raises
        ------
        ConfigError
            If a capacity is unknown (NaN) or negative, naming how many and which.
        """
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan_of(plan, k, where)
        inputs = prepare(where, cost_s, weights, max_time_s=threshold_s, threshold_s=threshold_s,
                         existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        cap_new = _capacities(capacity_new, inputs.cand_times.shape[1], "新增点", where)
        cap_exist = _capacities(existing_capacity, inputs.exist_times.shape[1], "现有设施", where)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where,
                   capacity_new=cap_new, existing_capacity=cap_exist)

    def _reduce(self) -> None:
        inp = self.inputs_
        w = inp.weights
        ones = (lambda m: sp.csr_array((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape))
        cand, exist = ones(inp.cand_times), ones(inp.exist_times)
        rows = np.flatnonzero(((np.diff(cand.indptr) + np.diff(exist.indptr)) > 0) & (w > 0))
        sc, sx = select_rows(cand, rows), select_rows(exist, rows)
        if self.merge:
            inverse, first = group_rows([(sc, False), (sx, False)])
        else:
            inverse, first = np.arange(len(rows)), np.arange(len(rows))
        self.C, self.X = select_rows(sc, first), select_rows(sx, first)
        self.w = np.bincount(inverse, weights=w[rows], minlength=len(first))
        self.const = np.zeros(self.plan.n_years)
        self.n_demand_in_model, self.n_groups = len(rows), len(first)
        self._nnz = (int(sc.nnz + sx.nnz), int(self.C.nnz + self.X.nnz))

    def _coverage_nonzeros(self) -> tuple[int, int]:
        return self._nnz

    def _build(self, b: MipBuilder) -> int:
        o = self._add_sites(b)
        J, G = self.n_candidates, self.n_groups
        gc_all = np.repeat(np.arange(G), np.diff(self.C.indptr))
        gx_all = np.repeat(np.arange(G), np.diff(self.X.indptr))
        self._flow_blocks = []
        for y in range(self.plan.n_years):
            okx = self.inputs_.existing_open[self.X.indices, y]
            gx, ex = gx_all[okx], self.X.indices[okx]
            gc, jc = gc_all, self.C.indices
            nc, nx = len(gc), len(gx)
            fc = b.add_cols(nc, cost=1.0, ub=self.w[gc])
            fx = b.add_cols(nx, cost=1.0, ub=self.w[gx])
            self._flow_blocks.append((fc, nc + nx))
            groups, local = np.unique(np.r_[gc, gx], return_inverse=True)
            b.add_rows(len(groups), local, np.r_[fc + np.arange(nc), fx + np.arange(nx)], 1.0, hi=self.w[groups])
            eu, einv = np.unique(ex, return_inverse=True)
            b.add_rows(len(eu), einv, fx + np.arange(nx), 1.0, hi=self.existing_capacity[eu])
            ju, jinv = np.unique(jc, return_inverse=True)
            b.add_rows(len(ju), np.r_[jinv, np.arange(len(ju))], np.r_[fc + np.arange(nc), o + y * J + ju],
                       np.r_[np.ones(nc), -self.capacity_new[ju]], hi=0.0)
            b.add_rows(nc, np.repeat(np.arange(nc), 2), np.ravel(np.c_[fc + np.arange(nc), o + y * J + jc]),
                       np.ravel(np.c_[np.ones(nc), -self.w[gc]]), hi=0.0)
        return o

    def served_by_year(self, open_year: np.ndarray) -> np.ndarray:
        """Children served in each plan year for a choice of sites (a linear program with the sites fixed)."""
        b = MipBuilder(sense="max")
        o = self._build(b)
        Y = self.plan.n_years
        fixed = np.concatenate([self.open_mask(open_year, y) for y in range(Y)]).astype(float)
        b.fix_cols(o, fixed)
        out = run_highs(b, relax=True)
        if out.x is None:
            return np.full(Y, np.nan)
        return np.array([out.x[first:first + n].sum() for first, n in self._flow_blocks])

    def evaluate(self, open_year: np.ndarray) -> float:
        return float(self.served_by_year(open_year).sum())

    def heuristic_solution(self) -> np.ndarray:
        raise argument_error(f"{type(self).__name__}.solve", "容量约束模型没有启发式算法, 请用 method='mip'。",
                             "the capacitated model has no heuristic; use method='mip'")
