"""Models that allocate demand to facilities: p-median (minimise demand-weighted travel time) and capacitated coverage
(people within the threshold are served only up to each facility's capacity). See :mod:`svcov.siting.models`
for the shared conventions (plans, rules, reduction and merging of demand rows).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, InfeasibleError, Problem
from .base import FromFrames, ModelInputs, SitingModel, plan_of, prepare
from .instance import Plan, SiteRules, argument_error, group_rows, select_rows
from .radius import BendersPMedian
from .solve import MipBuilder, greedy_swap, run_highs

__all__ = ["PMedian", "CapacitatedCoverage", "FORMULATIONS"]

log = logging.getLogger(__name__)

#: Formulations of :class:`PMedian`.
FORMULATIONS = ("radius", "assignment")
#: Rounds of swaps of the plan the exact p-median starts from.
START_SWAP_PASSES = 1
#: Sites × demand-candidate pairs above which a one-round p-median starts from its rounded relaxation instead.
START_WORK = 20_000_000


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

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules, candidate_zones, merge: bool, where: str,
                 formulation: str = "radius"):
        if formulation not in FORMULATIONS:
            raise argument_error(where, "formulation 应是 radius (半径模型, 默认) 或 assignment (经典分配模型)。",
                                 "formulation must be radius or assignment", value=formulation)
        self.formulation = formulation
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
                         merge: bool = True, formulation: str = "radius"):
        """Build the model from arrays (see :meth:`MaximalCovering.from_cost_matrix` for the common arguments).

        Parameters
        ----------
        max_time_s
            Times above it count as it (default: the largest finite time in the matrices).
        threshold_s
            Coverage threshold used only when reporting coverage (default ``max_time_s``).
        formulation
            ``"radius"`` (default: the radius formulation, solved by truncation, :mod:`svcov.siting.radius`) or
            ``"assignment"`` (the classic strong formulation: one variable per demand × candidate pair).
        """
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan_of(plan, k, where)
        cap = float(max_time_s) if max_time_s is not None else _max_finite(cost_s, existing_cost_s)
        inputs = prepare(where, cost_s, weights, max_time_s=cap,
                         threshold_s=cap if threshold_s is None else threshold_s,
                         existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where,
                   formulation=formulation)

    times_beyond_threshold = True

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

    def nearest_time(self, open_year: np.ndarray, y: int) -> np.ndarray:
        """Time (seconds, capped at the row's base) from every model row to its nearest open facility in year
        index ``y``."""
        t = np.where(self.open_mask(open_year, y)[self.T.indices], self.T.data, np.inf)
        return _row_min(t, self.T.indptr, self.B[:, y])

    def start_solution(self) -> np.ndarray | None:
        """The first incumbent of the exact solve: greedy with one round of swaps (the branch and bound finds better
        plans faster than more swaps do). A one-round plan without zone rules whose greedy would be slow (more
        than :data:`START_WORK` sites × pairs) starts from the root relaxation rounded to its ``p`` largest sites
        instead (:mod:`svcov.siting.radius`), which is as good for many sites and far quicker to get."""
        if self.formulation == "radius" and self.simple_plan() \
                and self.plan.min_new[0] * self.T.nnz > START_WORK:
            return None
        return greedy_swap(self, max_passes=START_SWAP_PASSES)

    def simple_plan(self) -> bool:
        """One round of exactly ``p`` sites and no zone rules."""
        big = np.iinfo(np.int64).max // 4
        return (self.plan.n_years == 1 and self.plan.min_new[0] == self.plan.max_new[0]
                and not (self.zone_min > 0).any() and not (self.zone_max < big).any())

    def dominated_candidates(self) -> np.ndarray:
        """Candidates another candidate of the same zone dominates: at least as near to every row the first one
        serves (ties: the lower position is kept). Closing them never makes a plan worse — swap each for its
        dominator, or, if that is open already, for any unused candidate of the zone — so they are closed where
        every zone keeps as many candidates as it can take sites (its maximum, or the plan's total)."""
        T, J = self.T, self.n_candidates
        Tc = sp.csc_array(T)
        out = np.zeros(J, dtype=bool)
        for j in range(J):
            rows, times = Tc.indices[Tc.indptr[j]:Tc.indptr[j + 1]], Tc.data[Tc.indptr[j]:Tc.indptr[j + 1]]
            if len(rows) == 0:
                out[j] = True  # serves no row better than its base: never useful
                continue
            g = rows[int(np.argmin(times))]
            a, b = T.indptr[g], T.indptr[g + 1]
            near = T.indices[a:b][(T.data[a:b] <= times.min()) & (T.indices[a:b] != j)]
            for k in near[self.zone_of[near] == self.zone_of[j]]:
                if out[k]:
                    continue
                theirs = Tc.indices[Tc.indptr[k]:Tc.indptr[k + 1]]
                pos = np.searchsorted(theirs, rows)
                if np.any(pos >= len(theirs)) or np.any(theirs[np.minimum(pos, len(theirs) - 1)] != rows):
                    continue
                t_k = Tc.data[Tc.indptr[k]:Tc.indptr[k + 1]][pos]
                if np.all(t_k <= times) and (np.any(t_k < times) or k < j):
                    out[j] = True
                    break
        return self._keep_enough(out)

    def _keep_enough(self, closed: np.ndarray) -> np.ndarray:
        total = int(sum(self.plan.max_new))
        for z in range(len(self.zone_codes)):
            members = self.zone_of == z
            need = min(int(self.zone_max[z]), total)
            if int((members & ~closed).sum()) < need:
                closed = closed & ~members
        return closed

    def trivial_bound(self) -> float:
        """A lower bound without solving: every row at its nearest candidate (or its base), in child-minutes."""
        best = _row_min(self.T.data, self.T.indptr, self.B.min(axis=1))
        return float(sum(self.const[y] + (self.w * (np.minimum(best, self.B[:, y]) - self.B[:, y])).sum()
                         for y in range(self.plan.n_years))) / 60.0

    def _solve_mip(self, start: float, time_limit_s: float, gap: float, threads, initial=None) -> None:
        if self.formulation == "assignment":
            super()._solve_mip(start, time_limit_s, gap, threads, initial)
            return
        self._solve_radius(start, time_limit_s, gap, threads, initial)

    def _solve_radius(self, start: float, time_limit_s: float, gap: float, threads, initial) -> None:
        """The exact solve of :class:`~svcov.siting.radius.BendersPMedian` (radius formulation projected onto the
        sites, branch and bound, the heuristic's plan as the first incumbent)."""
        run = BendersPMedian(self, start, time_limit_s, gap, threads)
        run.solve(initial)
        if run.best is None:
            raise InfeasibleError(f"{time_limit_s:.0f} 秒内没有找到可行解; 请增加 time_limit_s 或用 method='heuristic' "
                                  f"(no feasible solution within the time limit)")
        self.open_year_, self.objective_ = run.best, float(run.best_value)
        b = run.size()
        note = "; ".join(["半径模型 (radius formulation, 按需添加的割平面)", *run.notes, *self._notes])
        self.result_ = self._result("mip", "optimal", run.best_value, run.bound, np.nan, start, run.build_s,
                                    run.solver_s, b, time_limit_s, gap, note=note)


    def time_by_year(self, open_year: np.ndarray) -> np.ndarray:
        """Child-weighted time (child-minutes) in each plan year for a choice of sites."""
        return np.array([(self.const[y] + (self.w * (self.nearest_time(open_year, y) - self.B[:, y])).sum()) / 60.0
                         for y in range(self.plan.n_years)])

    def evaluate(self, open_year: np.ndarray) -> float:
        return float(self.time_by_year(open_year).sum())

    def gains(self, open_year: np.ndarray, y: int) -> np.ndarray:
        """Time saved (child-minutes) by opening each candidate in year index ``y``."""
        g = np.zeros(self.n_candidates)
        for t in range(y, self.plan.n_years):
            d = self.nearest_time(open_year, t)
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
