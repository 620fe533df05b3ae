"""p-center: the equity model — the new sites that make the longest walk of any child who can reach a facility as
short as possible.

A child "can reach a facility" when an existing facility or a candidate is within ``max_time_s`` (default twice the
coverage threshold); the others are left out (no plan helps them) and counted in the note. In each plan year the
*radius* is the longest time, over those children, to the nearest open facility (existing, or new by that year;
at most ``max_time_s``).

Solved exactly, year by year (lexicographically: the first year's radius as small as possible, then the second's
given that, ...), by bisection over the distinct times: "can every child be within R?" is a covering problem with
the plan's budgets and zone rules, solved by HiGHS (an "infeasible" answer is checked again without presolve).
Among the plans with those radii the one covering the most children within the threshold (summed over the years)
is returned. The objective is the sum of the yearly radii, in minutes.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from ..errors import InfeasibleError
from .base import FromFrames, ModelInputs, SitingModel, plan_of, prepare
from .instance import Plan, SiteRules, argument_error, group_rows, select_rows
from .solve import MipBuilder, run_highs

__all__ = ["PCenter"]

log = logging.getLogger(__name__)


def _row_min(values: np.ndarray, indptr: np.ndarray, default: np.ndarray) -> np.ndarray:
    out = np.array(default, dtype=float, copy=True)
    nonempty = np.diff(indptr) > 0
    if values.size:
        out[nonempty] = np.minimum(out[nonempty], np.minimum.reduceat(values, indptr[:-1][nonempty]))
    return out


class PCenter(FromFrames, SitingModel):
    """p-center (see the module docstring). Build with ``from_cost_matrix`` or ``from_geodataframe``."""

    name = "p_center"
    sense = "min"
    warm_start_default = True

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules, candidate_zones, merge: bool, where: str):
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where)
        cap = inputs.max_time_s / 60
        self.objective_label_zh = (f"能在 {cap:.0f} 分钟内到达设施的需求人口中最远者的出行时间 (分钟"
                                   f"{', 各年之和, 逐年依次最小' if plan.n_years > 1 else ''})")
        self._reduce()

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, threshold_s: float, k: int | None = None,
                         plan: Plan | None = None, max_time_s: float | None = None, existing_cost_s=None,
                         existing_open=None, rules: SiteRules | None = None, candidate_zones=None,
                         merge: bool = True):
        """Build the model from arrays (see :meth:`MaximalCovering.from_cost_matrix` for the common arguments).

        Parameters
        ----------
        threshold_s
            Coverage threshold, for the tie-break among plans with the same radii (children within it).
        max_time_s
            Children farther than this from every facility and candidate are left out; radii are at most this
            (default twice ``threshold_s``).
        """
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan_of(plan, k, where)
        cap = 2.0 * float(threshold_s) if max_time_s is None else float(max_time_s)
        if not cap >= threshold_s:
            raise argument_error(where, "max_time_s 不应小于 threshold_s。", "max_time_s must be at least threshold_s",
                                 value=(max_time_s, threshold_s))
        inputs = prepare(where, cost_s, weights, max_time_s=cap, threshold_s=threshold_s,
                         existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where)

    times_beyond_threshold = True

    # --- reduction -----------------------------------------------------------------------------------------

    def _reduce(self) -> None:
        inp, Y = self.inputs_, self.plan.n_years
        w, cap, n = inp.weights, inp.max_time_s, len(inp.weights)
        ex = inp.exist_times
        base = np.full((n, Y), cap)
        nearest_existing = np.full((n, Y), np.inf)
        for y in range(Y):
            t = np.where(inp.existing_open[ex.indices, y], ex.data, np.inf) if ex.nnz else ex.data
            nearest_existing[:, y] = _row_min(t, ex.indptr, nearest_existing[:, y])
            base[:, y] = np.minimum(nearest_existing[:, y], cap)
        pre = nearest_existing <= inp.threshold_s
        cand = inp.cand_times
        reach = (np.diff(cand.indptr) > 0) | (nearest_existing <= cap).any(axis=1)
        rows = np.flatnonzero((w > 0) & reach)
        sub = select_rows(cand, rows)
        if self.merge:
            inverse, first = group_rows([(sub, True)], extra=base[rows])
        else:
            inverse, first = np.arange(len(rows)), np.arange(len(rows))
        self.T = select_rows(sub, first)
        self.B = base[rows][first]
        self.P = pre[rows][first]
        self.w = np.bincount(inverse, weights=w[rows], minlength=len(first))
        self.cap = float(cap)
        self.total_weight = float(w.sum())
        self.outside = float(w[(w > 0) & ~reach].sum())
        # coverage within the threshold of the rows folded away (reached only by existing facilities or not at all)
        self.const = (w[:, None] * (pre & ~np.isin(np.arange(n), rows)[:, None])).sum(axis=0)
        self.n_demand_in_model, self.n_groups = len(rows), len(first)
        self._nnz = (int(sub.nnz), int(self.T.nnz))

    def _coverage_nonzeros(self) -> tuple[int, int]:
        return self._nnz

    # --- evaluation ------------------------------------------------------------------------------------------

    def nearest_time(self, open_year: np.ndarray, y: int) -> np.ndarray:
        t = np.where(self.open_mask(open_year, y)[self.T.indices], self.T.data, np.inf)
        return _row_min(t, self.T.indptr, self.B[:, y])

    def radius_by_year(self, open_year: np.ndarray) -> np.ndarray:
        """The longest walk (seconds) of any child who can reach a facility, per plan year."""
        return np.array([float(self.nearest_time(open_year, y).max(initial=0.0)) for y in range(self.plan.n_years)])

    def coverage_by_year(self, open_year: np.ndarray) -> np.ndarray:
        """Children within the threshold in each plan year."""
        s, out = self.inputs_.threshold_s, []
        for y in range(self.plan.n_years):
            t = np.where(self.open_mask(open_year, y)[self.T.indices], self.T.data, np.inf)
            near = (_row_min(t, self.T.indptr, np.full(len(self.w), np.inf)) <= s) | self.P[:, y]
            out.append(self.const[y] + float(self.w[near].sum()))
        return np.array(out)

    def evaluate(self, open_year: np.ndarray) -> float:
        return float(self.radius_by_year(open_year).sum()) / 60.0

    def trivial_bound(self) -> float:
        """Every row at its nearest candidate or facility: no radius is shorter than the largest of those."""
        best = _row_min(self.T.data, self.T.indptr, self.B.min(axis=1))
        low = np.minimum(best[:, None], self.B).max(axis=0, initial=0.0)
        return float(low.sum()) / 60.0

    # --- heuristic ------------------------------------------------------------------------------------------

    def heuristic_solution(self) -> np.ndarray:
        """Farthest first: in each year open the allowed candidate nearest to the worst-served row — the year's
        minimum, then more (up to its maximum) while that shortens the longest walk or the rules need it."""
        plan = self.plan
        open_year = np.full(self.n_candidates, -1, dtype=np.int64)
        best = _row_min(self.T.data, self.T.indptr, self.B.min(axis=1))
        for y in range(plan.n_years):
            for n in range(plan.max_new[y]):
                times = self.nearest_time(open_year, y)
                order = np.argsort(-times, kind="stable")
                optional = n >= plan.min_new[y] and not self.rules_need_more(open_year, y)
                if optional and (len(order) == 0 or times[order[0]] <= min(best[order[0]], self.B[order[0], y])):
                    break
                allowed = self.allowed_mask(open_year, y)
                j = self._nearest_allowed(order, allowed)
                if j is None:
                    if optional or not allowed.any():
                        break
                    j = int(np.flatnonzero(allowed)[0])
                open_year[j] = y
        if not self.rules_met(open_year):
            raise InfeasibleError("p-center 启发式算法找不到符合规则的方案 (the p-center heuristic found no plan)")
        return open_year

    def _nearest_allowed(self, order: np.ndarray, allowed: np.ndarray) -> int | None:
        for g in order[:50]:
            a, b = self.T.indptr[g], self.T.indptr[g + 1]
            cols, times = self.T.indices[a:b], self.T.data[a:b]
            ok = allowed[cols]
            if ok.any():
                return int(cols[ok][np.argmin(times[ok])])
        return None

    # --- exact solve ----------------------------------------------------------------------------------------

    def _cover_rows(self, b: MipBuilder, o: int, y: int, radius: float) -> bool:
        """Every row whose base is beyond ``radius`` gets an open site within it; False if some row has none."""
        J = self.n_candidates
        need = np.flatnonzero(self.B[:, y] > radius)
        sub = select_rows(self.T, need)
        near = sub.data <= radius
        rows = np.repeat(np.arange(len(need)), np.diff(sub.indptr))[near]
        if len(np.unique(rows)) < len(need):
            return False
        if len(need):
            b.add_rows(len(need), rows, o + y * J + sub.indices[near], 1.0, lo=1.0)
        return True

    def _feasible(self, radii: list[float], deadline: float, threads) -> tuple[str, np.ndarray | None]:
        b = MipBuilder(sense="min")
        o = self._add_sites(b)
        for y, r in enumerate(radii):
            if not self._cover_rows(b, o, y, r):
                return "infeasible", None
        out = run_highs(b, time_limit_s=max(0.0, deadline - time.perf_counter()), threads=threads)
        if out.status == "infeasible":
            out = run_highs(b, time_limit_s=max(1.0, deadline - time.perf_counter()), threads=threads, presolve=False)
        if out.x is not None:
            return "feasible", self._decode(out.x, o)
        return ("infeasible" if out.status == "infeasible" else "unknown"), None

    def _levels(self, y: int, incumbent: np.ndarray | None) -> np.ndarray:
        best = _row_min(self.T.data, self.T.indptr, self.B[:, y])
        low = float(best.max(initial=0.0))
        high = float(self.nearest_time(incumbent, y).max(initial=0.0)) if incumbent is not None else self.cap
        values = np.unique(np.r_[self.T.data, self.B[:, y], high])
        return values[(values >= low) & (values <= high)]

    def _bisect(self, radii: list[float], y: int, incumbent, deadline: float, threads):
        """Smallest radius of year ``y`` (earlier years fixed at ``radii``): (radius, plan, proven lower bound)."""
        levels = self._levels(y, incumbent)
        lo, hi, plan, low_bound = 0, len(levels) - 1, incumbent, float(levels[0])
        if plan is None:
            status, plan = self._feasible(radii + [float(levels[hi])], deadline, threads)
            if plan is None:
                raise InfeasibleError("p-center: 没有符合计划和规则的方案 (no plan meets the budgets and rules)")
        while lo < hi:
            mid = (lo + hi) // 2
            status, found = self._feasible(radii + [float(levels[mid])], deadline, threads)
            if status == "feasible":
                hi, plan = mid, found
            elif status == "infeasible":
                lo = mid + 1
                low_bound = float(levels[lo])
            else:  # no answer in time: the radius found so far stands, unproven
                break
        return float(self.nearest_time(plan, y).max(initial=0.0)), plan, low_bound

    def _solve_mip(self, start: float, time_limit_s: float, gap: float, threads, initial=None) -> None:
        deadline = start + time_limit_s
        radii, bounds, plan = [], [], initial
        for y in range(self.plan.n_years):
            r, plan, low = self._bisect(radii, y, plan if plan is not None and self._keeps(plan, radii) else None,
                                        deadline, threads)
            radii.append(r)
            bounds.append(low)
        built = time.perf_counter()
        plan, tie = self._most_covered(radii, plan, deadline, threads)
        self.open_year_ = plan
        self.objective_ = self.evaluate(plan)
        self.radii_s = np.array(radii)
        note = ("逐年依次最小化最长出行时间 (二分法, 每步为覆盖可行性问题); 各年半径 "
                + "、".join(f"{r / 60:.1f}" for r in radii) + f" 分钟; 在此前提下覆盖最多 (第二阶段 {tie})"
                + (f"; {self.outside:,.0f} 人在 {self.cap / 60:.0f} 分钟内没有任何设施或候选点, 不计入"
                   if self.outside > 0 else ""))
        self.result_ = self._result("mip", "optimal", self.objective_, float(np.sum(bounds)) / 60.0, np.nan, start,
                                    0.0, built - start, MipBuilder(), time_limit_s, gap,
                                    note="; ".join([note, *self._notes]))

    def _keeps(self, plan: np.ndarray, radii: list[float]) -> bool:
        return all(self.nearest_time(plan, y).max(initial=0.0) <= r + 1e-9 for y, r in enumerate(radii))

    def _most_covered(self, radii: list[float], plan: np.ndarray, deadline: float, threads):
        """Among the plans with the radii, the one covering the most children within the threshold."""
        b = MipBuilder(sense="max")
        o = self._add_sites(b)
        J, s = self.n_candidates, self.inputs_.threshold_s
        for y, r in enumerate(radii):
            self._cover_rows(b, o, y, r)
            active = np.flatnonzero(~self.P[:, y])
            sub = select_rows(self.T, active)
            near = sub.data <= s
            counts = np.bincount(np.repeat(np.arange(len(active)), np.diff(sub.indptr))[near], minlength=len(active))
            rows_ok = np.flatnonzero(counts > 0)
            yv = b.add_cols(len(rows_ok), cost=self.w[active[rows_ok]], ub=1.0)
            local = np.full(len(active), -1)
            local[rows_ok] = np.arange(len(rows_ok))
            r_idx = np.repeat(np.arange(len(active)), np.diff(sub.indptr))[near]
            b.add_rows(len(rows_ok), np.r_[np.arange(len(rows_ok)), local[r_idx]],
                       np.r_[yv + np.arange(len(rows_ok)), o + y * J + sub.indices[near]],
                       np.r_[np.ones(len(rows_ok)), -np.ones(int(near.sum()))], hi=0.0)
            b.offset += float(self.const[y] + self.w[self.P[:, y]].sum())
        Y = self.plan.n_years
        warm = (o + np.arange(J * Y), np.concatenate([self.open_mask(plan, y) for y in range(Y)]).astype(float))
        out = run_highs(b, time_limit_s=max(1.0, deadline - time.perf_counter()), threads=threads, start=warm)
        if out.x is None:
            return plan, out.status
        found = self._decode(out.x, o)
        return (found if self._keeps(found, radii) else plan), out.status

    def _solve_heuristic(self, start: float, time_limit_s: float, threads) -> None:
        self.open_year_ = self.heuristic_solution()
        self.objective_ = self.evaluate(self.open_year_)
        self.radii_s = self.radius_by_year(self.open_year_)
        self.result_ = self._result("heuristic", "heuristic", self.objective_, np.nan, np.nan, start, 0.0, 0.0,
                                    MipBuilder(), time_limit_s, 0.0, note="启发式 (最远点优先); 界为各点到最近候选点的时间")
