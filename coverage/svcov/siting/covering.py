"""Set covering (LSCP): the fewest new sites that bring a target share of the children within the threshold.

The target is exact. With whole-number weights (children counted in people, or unit weights) it is counted in
whole people: covering at least ``ceil(target_share × total)`` (a product within 1e-9 of a whole number counts as
that number), written as ``≥ target − 0.5`` so that no solver tolerance can move it. With fractional weights the
row is relaxed by ``1e-9 × total`` only. When the target leaves no child out (e.g. ``target_share = 1``, or any
target above "everyone but the lightest row"), the model is the classic covering one: every reachable row needs an
open site within the threshold, with no weighted row at all.

An "infeasible" verdict is checked twice before it reaches a user: HiGHS is run again without its presolve, and
the message gives the numbers (children no candidate or existing facility can reach, the fewest sites the target
needs without the plan's yearly caps).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .base import prepare
from .instance import UNLIMITED, Plan, SiteRules, argument_error, select_rows
from .models import MaximalCovering
from .solve import MipBuilder, greedy_cover, run_highs

__all__ = ["SetCovering", "exact_target"]

log = logging.getLogger(__name__)

#: Seconds spent finding the fewest sites without the yearly caps, for the message of an infeasible plan.
EXPLAIN_TIME_S = 10.0


def exact_target(share: float, total: float, integral: bool) -> tuple[float, float]:
    """The weight to cover and the slack of its row.

    With whole-number weights: ``ceil(share × total)`` (snapped to the nearest whole number when within 1e-9 of
    it, so ``0.9 × 1000`` is 900, not 901) and slack 0.5; otherwise ``share × total`` and slack ``1e-9 × total``.
    """
    raw = float(share) * float(total)
    if integral:
        near = round(raw)
        return (float(near) if abs(raw - near) <= 1e-9 * max(1.0, abs(raw)) else float(math.ceil(raw))), 0.5
    return raw, 1e-9 * max(1.0, float(total))


def _year_label(year) -> str:
    return "" if year is None else f"{year} 年"


def _caps_text(plan: Plan) -> str:
    return "、".join(f"{_year_label(y)}{'不限' if m >= UNLIMITED else f'{m} 个'}"
                     for y, m in zip(plan.years, plan.max_new))


class SetCovering(MaximalCovering):
    """Set covering (LSCP): the fewest new sites such that at least ``target_share`` of all the weight (children)
    is within the threshold of a facility in every plan year. Among the solutions with that fewest number, the
    one covering the most is returned (a second, exact solve)."""

    name = "lscp"
    sense = "min"

    def __init__(self, *, inputs, plan, rules, candidate_zones, merge, where, target_share: float,
                 tie_break: bool = True, **kwargs):
        if not 0 <= target_share <= 1:
            raise argument_error(where, "target_share 应在 0 和 1 之间 (例如 0.9 = 90%)。",
                                 "target_share must be between 0 and 1", value=target_share)
        self.target_share = float(target_share)
        #: Among the plans with the fewest sites, look for the one covering the most (a second solve); off when only
        #: the number matters (the coverage curve's fewest sites for a share).
        self.tie_break = bool(tie_break)
        super().__init__(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge,
                         where=where, **kwargs)
        self.objective_label_zh = (f"新增点数 (使 {inputs.threshold_s / 60:.0f} 分钟内覆盖率 ≥ "
                                   f"{self.target_share:.1%})")
        w = inputs.weights
        self.integral = bool(np.all(w == np.round(w)))
        self.target_weight, self.slack = exact_target(self.target_share, self.total_weight, self.integral)
        best = self.best_by_year()
        self.full_cover = np.zeros(plan.n_years, dtype=bool)
        for y in range(plan.n_years):
            active = ~self.P[:, y]
            lightest = float(self.w[active].min()) if active.any() else np.inf
            self.full_cover[y] = best[y] - lightest < self.target_weight - self.slack

    @classmethod
    def from_cost_matrix(cls, cost_s, weights, *, threshold_s: float, target_share: float = 1.0,
                         plan: Plan | None = None, k_max: int | None = None, existing_cost_s=None,
                         existing_open=None, rules: SiteRules | None = None, candidate_zones=None,
                         merge: bool = True, demand_zones=None, tie_break: bool = True):
        """As :meth:`MaximalCovering.from_cost_matrix`, with ``target_share`` (0-1) of all the weight to cover and
        at most ``k_max`` new sites (or the budgets of ``plan``, read as maximums and minimums); ``tie_break``
        off skips the second solve (the plan covering the most among those with the fewest sites)."""
        where = f"{cls.__name__}.from_cost_matrix"
        plan = plan or Plan.single(None, k_max=k_max)
        inputs = prepare(where, cost_s, weights, max_time_s=threshold_s, threshold_s=threshold_s,
                         existing_cost_s=existing_cost_s, existing_open=existing_open, plan=plan)
        return cls(inputs=inputs, plan=plan, rules=rules, candidate_zones=candidate_zones, merge=merge, where=where,
                   target_share=target_share, demand_zones=demand_zones, tie_break=tie_break)

    # --- infeasibility in numbers -------------------------------------------------------------------------------

    def _model_infeasibility(self) -> list[str]:
        out, total = [], max(self.total_weight, 1e-12)
        for y, best in enumerate(self.best_by_year()):
            if self.target_weight - self.slack > best:
                year = _year_label(self.plan.years[y])
                out.append(f"{year}目标覆盖率 {self.target_share:.1%} (至少 {self.target_weight:,.0f} 人) 无法达到: 即使全部 "
                           f"{self.n_candidates} 个候选点都建成, 最多覆盖 {best:,.0f} 人 ({best / total:.1%}); 有 "
                           f"{self.total_weight - best:,.0f} 人在任何候选点和现有设施的可达范围之外。请降低 target_share "
                           f"(最高 {math.floor(1000 * best / total) / 1000:.1%}) 或补充候选点 (target share "
                           f"unreachable: at most {best / total:.1%}; {self.total_weight - best:,.0f} people beyond "
                           f"every candidate and existing facility)")
        return out

    def fewest_without_caps(self, time_limit_s: float = EXPLAIN_TIME_S) -> tuple[float, str]:
        """The fewest new sites the target needs without the plan's yearly caps (rules kept): (number, status);
        NaN if even that is infeasible or no answer came within the time."""
        relaxed = Plan(self.plan.years, self.plan.min_new, tuple(UNLIMITED for _ in self.plan.years))
        saved = self.plan
        try:
            self.plan = relaxed
            b = MipBuilder(sense="min")
            self._build(b)
        finally:
            self.plan = saved
        out = run_highs(b, time_limit_s=time_limit_s)
        if out.x is None and out.status == "infeasible":
            out = run_highs(b, time_limit_s=time_limit_s, presolve=False)
        if out.x is None:
            return float("nan"), out.status
        return float(round(out.objective)), out.status

    def _infeasible_hint(self) -> str:
        need, status = self.fewest_without_caps()
        caps = _caps_text(self.plan)
        if not np.isfinite(need):
            return (f"在每年新增上限 ({caps}) 内达不到 {self.target_share:.1%} 的覆盖目标; 即使不限点数也无解, "
                    f"说明与街镇规则冲突, 请放宽街镇上限或补充候选点 (infeasible even without the yearly caps: the zone "
                    f"rules conflict with the target)")
        exact = "" if status == "optimal" else " (未在时限内证明最少, 为找到的方案)"
        return (f"达到 {self.target_share:.1%} 的覆盖目标 (至少 {self.target_weight:,.0f} 人) 至少需要 {need:.0f} 个新增点"
                f"{exact}, 而计划每年新增上限为 {caps}。请提高每年的新增上限 (sites_per_year) 或降低 target_share "
                f"(the target needs at least {need:.0f} new sites; the plan's caps are {caps})")

    # --- model -----------------------------------------------------------------------------------------------

    def _add_target_rows(self, b: MipBuilder, o: int, *, with_cost: bool) -> float:
        """Rows that make every year reach the target; returns the constant coverage of fully covered years."""
        J, constant, partial = self.n_candidates, 0.0, []
        for y in range(self.plan.n_years):
            active = np.flatnonzero(~self.P[:, y])
            if not self.full_cover[y]:
                partial.append(y)
                continue
            if len(active) == 0:
                continue
            sub = select_rows(self.C, active)
            rows = np.repeat(np.arange(len(active)), np.diff(sub.indptr))
            b.add_rows(len(active), rows, o + y * J + sub.indices, 1.0, lo=1.0)
            constant += float(self.w[active].sum())
        for y, active, yv in self._add_cover_rows(b, o, with_cost=with_cost, years=partial):
            b.add_rows(1, np.zeros(len(active)), yv + np.arange(len(active)), self.w[active],
                       lo=self.target_weight - self.const[y] - self.slack)
        return constant

    def _build(self, b: MipBuilder) -> int:
        o = self._add_sites(b, cost_last_year=1.0)
        self._add_target_rows(b, o, with_cost=False)
        return o

    def trivial_bound(self) -> float:
        """At least the plan's minimums."""
        return float(sum(self.plan.min_new))

    def _after_mip(self, out, b, o, start, built, time_limit_s, gap, threads) -> None:
        n_sites = int(round(out.objective))
        tie_status, tie_time = "—", 0.0
        if self.tie_break and not self.full_cover.all():
            second = MipBuilder(sense="max")
            o2 = self._add_sites(second)
            constant = self._add_target_rows(second, o2, with_cost=True)
            J, Y = self.n_candidates, self.plan.n_years
            second.add_rows(1, np.zeros(J), o2 + (Y - 1) * J + np.arange(J), 1.0, lo=n_sites, hi=n_sites)
            second.offset = float(self.const.sum()) + constant
            remaining = max(1.0, time_limit_s - (time.perf_counter() - start))
            start_values = (o2 + np.arange(J * Y), np.concatenate(
                [self.open_mask(self.open_year_, y) for y in range(Y)]).astype(float))
            tie = run_highs(second, time_limit_s=remaining, mip_rel_gap=gap, threads=threads, start=start_values)
            if tie.x is not None:
                self.open_year_ = self._decode(tie.x, o2)
            tie_status, tie_time = tie.status, tie.time_s
        self.objective_ = float((self.open_year_ >= 0).sum())
        bound = float(np.ceil(out.bound - 1e-6)) if np.isfinite(out.bound) else out.bound
        how = "每个可达的需求点都须覆盖 (集合覆盖约束)" if self.full_cover.all() else \
            f"覆盖目标按{'整数人数' if self.integral else '实数'}计 (至少 {self.target_weight:,.0f})"
        tie = (f"在 {n_sites} 个点的方案中取覆盖最多者 (第二次求解 {tie_status}, 覆盖 {self.evaluate_cover():,.0f})"
               if self.tie_break else f"只求最少点数 (覆盖 {self.evaluate_cover():,.0f})")
        note = "; ".join([how, tie, *self._notes])
        self.result_ = self._result("mip", out.status, self.objective_, bound, np.nan, start, built - start,
                                    out.time_s + tie_time, b, time_limit_s, gap, note=note)

    # --- evaluation and heuristic ------------------------------------------------------------------------------

    def evaluate_cover(self) -> float:
        return float(self.coverage_by_year(self.open_year_).sum())

    def evaluate(self, open_year: np.ndarray) -> float:
        return float((open_year >= 0).sum())

    def target_met(self, open_year: np.ndarray, y: int) -> bool:
        return bool(self.coverage_by_year(open_year)[y] >= self.target_weight - self.slack)

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
        self.result_ = self._result("heuristic", "heuristic", self.objective_, bound, np.nan, start, built - start,
                                    lp.time_s, b, time_limit_s, 0.0, note="启发式 (贪心 + 删点); 界为线性松弛向上取整")

