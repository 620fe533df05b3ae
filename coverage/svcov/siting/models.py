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
import time

import numpy as np
import scipy.sparse as sp

from .base import FromFrames, ModelInputs, SitingModel, catchment_matrix, existing_open_by_year, plan_of, prepare
from .instance import Plan, SiteRules, argument_error, group_rows, select_rows
from .solve import MipBuilder, greedy_cover, relative_gap, run_highs

__all__ = ["MaximalCovering", "SetCovering", "PMedian", "CapacitatedCoverage", "MODELS", "catchment_matrix",
           "existing_open_by_year"]

log = logging.getLogger(__name__)


class MaximalCovering(FromFrames, SitingModel):
    """Maximal covering (MCLP): the new sites that cover the most weight (people of the served group) within the
    threshold.

    The objective counts, for every plan year, the weight within ``threshold_s`` of an open facility (existing
    or new), summed over the years: a phased plan is rewarded for covering people early.
    """

    name = "mclp"
    sense = "max"

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules, candidate_zones, merge: bool, where: str):
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where)
        years = "各年合计" if plan.n_years > 1 else ""
        self.objective_label_zh = (f"{inputs.threshold_s / 60:.0f} 分钟内覆盖的需求人口"
                                   + (f", {years}" if years else ""))
        self._reduce()

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, threshold_s: float, k: int | None = None, plan: Plan | None = None,
                         existing_cost_s=None, existing_open=None, rules: SiteRules | None = None,
                         candidate_zones=None, merge: bool = True):
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
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where)

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
            inverse, first = group_rows([(sub, False)], extra=pre_rows)
        else:
            inverse, first = np.arange(len(rows)), np.arange(len(rows))
        merged = select_rows(sub, first)
        self.C = sp.csr_array((np.ones(merged.nnz), merged.indices, merged.indptr), shape=merged.shape)
        self.P = pre_rows[first]
        self.w = np.bincount(inverse, weights=w[rows], minlength=len(first))
        self.n_demand_in_model, self.n_groups = len(rows), len(first)
        self._nnz = (int(sub.nnz), int(self.C.nnz))

    def _coverage_nonzeros(self) -> tuple[int, int]:
        return self._nnz

    # --- model --------------------------------------------------------------------------------------------

    def _add_cover_rows(self, b: MipBuilder, o: int, *, with_cost: bool) -> list[tuple[int, np.ndarray, int]]:
        """``y[g, t] <= sum of o[j, t]`` over the candidates covering group ``g``; returns (year, groups, first y)."""
        J, out = self.n_candidates, []
        for y in range(self.plan.n_years):
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


class SetCovering(MaximalCovering):
    """Set covering (LSCP): the fewest new sites such that at least ``target_share`` of all the weight (people)
    is within the threshold of a facility in every plan year. Among the solutions with that fewest number, the
    one covering the most is returned (a second, exact solve)."""

    name = "lscp"
    sense = "min"

    def __init__(self, *, inputs, plan, rules, candidate_zones, merge, where, target_share: float):
        if not 0 <= target_share <= 1:
            raise argument_error(where, "target_share 应在 0 和 1 之间 (例如 0.9 = 90%)。",
                                 "target_share must be between 0 and 1", value=target_share)
        self.target_share = float(target_share)
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where)
        self.objective_label_zh = (f"新增点数 (使 {inputs.threshold_s / 60:.0f} 分钟内覆盖率 ≥ "
                                   f"{self.target_share:.1%})")
        self.target_weight = self.target_share * self.total_weight

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, threshold_s: float, target_share: float = 1.0,
                         plan: Plan | None = None, k_max: int | None = None, existing_cost_s=None,
                         existing_open=None, rules: SiteRules | None = None, candidate_zones=None,
                         merge: bool = True):
        """As :meth:`MaximalCovering.from_cost_matrix`, with ``target_share`` (0-1) of all the weight to cover and
        at most ``k_max`` new sites (or the budgets of ``plan``, read as maximums and minimums)."""
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan or Plan.single(None, k_max=k_max)
        inputs = prepare(where, cost_s, weights, max_time_s=threshold_s, threshold_s=threshold_s,
                          existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where,
                   target_share=target_share)

    def _model_infeasibility(self) -> list[str]:
        out = []
        for y in range(self.plan.n_years):
            best = self.const[y] + self.w[~self.P[:, y]].sum()
            if self.target_weight > best * (1 + 1e-12) + 1e-9:
                short = self.total_weight - best
                year = self.plan.years[y]
                out.append(f"{'' if year is None else f'{year} 年'}目标覆盖率 {self.target_share:.1%} 无法达到: 即使全部 "
                           f"{self.n_candidates} 个候选点都建成, 最多覆盖 {best / max(self.total_weight, 1e-12):.1%}; "
                           f"有 {short:,.0f} 人在任何候选点和现有设施的可达范围之外 (target share unreachable: "
                           f"at most {best / max(self.total_weight, 1e-12):.1%})")
        return out

    def _infeasible_hint(self) -> str:
        caps = "、".join(f"{'' if y is None else f'{y} 年'}{m}" for y, m in zip(self.plan.years, self.plan.max_new))
        return (f"在每年新增上限 ({caps} 个) 内达不到 {self.target_share:.1%} 的覆盖目标, 或与街镇规则冲突。"
                f"请提高每年的新增上限 (sites_per_year) 或降低 target_share。")

    def _add_targets(self, b: MipBuilder, blocks) -> None:
        for y, active, yv in blocks:
            b.add_rows(1, np.zeros(len(active)), yv + np.arange(len(active)), self.w[active],
                       lo=self.target_weight - self.const[y] - 1e-9 * max(1.0, self.total_weight))

    def _build(self, b: MipBuilder) -> int:
        o = self._add_sites(b, cost_last_year=1.0)
        self._add_targets(b, self._add_cover_rows(b, o, with_cost=False))
        return o

    def _after_mip(self, out, b, o, start, built, time_limit_s, gap, threads) -> None:
        n_sites = int(round(out.objective))
        second = MipBuilder(sense="max")
        o2 = self._add_sites(second)
        blocks = self._add_cover_rows(second, o2, with_cost=True)
        self._add_targets(second, blocks)
        J, Y = self.n_candidates, self.plan.n_years
        second.add_rows(1, np.zeros(J), o2 + (Y - 1) * J + np.arange(J), 1.0, lo=n_sites, hi=n_sites)
        second.offset = float(self.const.sum())
        remaining = max(1.0, time_limit_s - (time.perf_counter() - start))
        tie = run_highs(second, time_limit_s=remaining, mip_rel_gap=gap, threads=threads)
        if tie.x is not None:
            self.open_year_ = self._decode(tie.x, o2)
        self.objective_ = float((self.open_year_ >= 0).sum())
        note = (f"在 {n_sites} 个点的方案中取覆盖最多者 (第二次求解 {tie.status}, 覆盖 {self.evaluate_cover():,.0f})")
        self.result_ = self._result("mip", "optimal" if out.status == "optimal" else out.status, self.objective_,
                                    out.bound, out.gap, start, built - start, out.time_s + tie.time_s, b,
                                    time_limit_s, gap, note=note)

    def evaluate_cover(self) -> float:
        return float(self.coverage_by_year(self.open_year_).sum())

    def evaluate(self, open_year: np.ndarray) -> float:
        return float((open_year >= 0).sum())

    def target_met(self, open_year: np.ndarray, y: int) -> bool:
        tol = 1e-9 * max(1.0, self.total_weight)
        return bool(self.coverage_by_year(open_year)[y] >= self.target_weight - tol)

    def allowed_mask(self, open_year: np.ndarray, y: int) -> np.ndarray:
        mask = super().allowed_mask(open_year, y)
        if self.target_met(open_year, y) and self.rules_need_more(open_year, y):
            mask &= self.short_zones(open_year)[self.zone_of]
        return mask

    def is_feasible(self, open_year: np.ndarray) -> bool:
        return self.rules_met(open_year) and all(self.target_met(open_year, y) for y in range(self.plan.n_years))

    def heuristic_solution(self) -> np.ndarray:
        """Greedy until every year's target is met, then drop unneeded sites (:func:`greedy_cover`)."""
        return greedy_cover(self)

    def _solve_heuristic(self, start: float, time_limit_s: float, threads) -> None:
        self.open_year_ = self.heuristic_solution()
        self.objective_ = self.evaluate(self.open_year_)
        b = MipBuilder(sense="min")
        self._build(b)
        built = time.perf_counter()
        lp = run_highs(b, time_limit_s=time_limit_s, relax=True, threads=threads)
        bound = float(np.ceil(lp.objective - 1e-6)) if lp.status == "optimal" else float("nan")
        self.result_ = self._result("heuristic", "heuristic", self.objective_, bound,
                                    relative_gap(self.objective_, bound), start, built - start, lp.time_s, b,
                                    time_limit_s, 0.0, note="启发式 (贪心 + 删点); 界为线性松弛向上取整")

from .allocation import CapacitatedCoverage, PMedian  # noqa: E402  (registry below)

#: Model name (as in the configuration's ``siting.model``) → class.
MODELS = {cls.name: cls for cls in (MaximalCovering, SetCovering, PMedian, CapacitatedCoverage)}
