"""What every siting model shares: the site variables of a (phased) plan, the rule constraints per zone (街镇),
checks that explain infeasibility in numbers, the solve driver (HiGHS or the heuristic) and the adapter that
builds the cost matrices from a travel model.

Site variables are cumulative: ``o[j, y] = 1`` if candidate ``j`` is open in plan year ``y`` (opened in ``y`` or
before), with ``o[j, y-1] <= o[j, y]``; the sites new in year ``y`` are ``o[:, y] - o[:, y-1]``. A one-year plan is
the special case ``Y = 1``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InfeasibleError, MissingColumnError, ProblemList
from .instance import Plan, SiteRules, argument_error, sparse_within
from .solve import DEFAULT_MIP_REL_GAP, MipBuilder, SolveResult, greedy_swap, run_highs, settle

__all__ = ["SitingModel", "ModelInputs", "FromFrames", "plan_of", "prepare", "catchment_matrix",
           "existing_open_by_year"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInputs:
    """The unreduced inputs of a model, kept for reporting (proposals, coverage before/after).

    ``cand_times`` (demand × candidates) and ``exist_times`` (demand × existing) are CSR arrays of times in
    seconds whose stored entries are the pairs within ``max_time_s``; ``existing_open`` is existing × plan years.
    """

    weights: np.ndarray
    cand_times: sp.csr_array
    exist_times: sp.csr_array
    existing_open: np.ndarray
    threshold_s: float
    max_time_s: float


class SitingModel:
    """Base class of the location models. Build one with a subclass's ``from_cost_matrix`` (arrays) or
    ``from_geodataframe`` (frames and a travel model); ``solve()`` returns the model with ``open_year_``,
    ``selected_``, ``objective_`` and ``result_`` set.
    """

    name = "base"
    sense = "max"
    objective_label_zh = ""
    warm_start_default = False
    #: The model takes ``demand_zones`` (the 街镇 of every demand row; ``from_geodataframe`` passes them).
    uses_demand_zones = False

    def __init__(self, *, inputs: ModelInputs, plan: Plan, rules: SiteRules | None, candidate_zones, merge: bool,
                 where: str):
        self.inputs_ = inputs
        self.plan = plan
        self.rules = rules or SiteRules()
        self.merge = bool(merge)
        self.n_demand = len(inputs.weights)
        self.n_candidates = inputs.cand_times.shape[1]
        self._where = where
        self._zones(candidate_zones)
        self.open_year_: np.ndarray | None = None
        self._notes: list[str] = []
        self.result_: SolveResult | None = None
        self.objective_: float | None = None

    # --- zones and rules ----------------------------------------------------------------------------------

    def _zones(self, candidate_zones) -> None:
        rules = self.rules
        if candidate_zones is None:
            if rules.min_sites or rules.max_sites or rules.default_max_sites is not None:
                raise argument_error(self._where, "有街镇规则 (下限/上限) 时必须给出每个候选点所在的街镇 (candidate_zones)。",
                                     "zone rules need candidate_zones (the zone of every candidate)")
            candidate_zones = np.full(self.n_candidates, "", dtype=object)
        zones = np.asarray(candidate_zones, dtype=object)
        if zones.shape != (self.n_candidates,):
            raise argument_error(self._where, f"candidate_zones 应有 {self.n_candidates} 个值 (每个候选点一个)。",
                                 f"candidate_zones must have {self.n_candidates} values", value=zones.shape)
        codes = sorted(set(map(str, zones)) | set(map(str, rules.min_sites)) | set(map(str, rules.max_sites)))
        self.zone_codes = codes
        lookup = {c: i for i, c in enumerate(codes)}
        self.zone_of = np.array([lookup[str(z)] for z in zones], dtype=np.int64)
        self.zone_min = np.array([int(rules.min_sites.get(c, 0)) for c in codes], dtype=np.int64)
        big = np.iinfo(np.int64).max // 4
        self.zone_max = np.array([big if rules.max_for(c) is None else int(rules.max_for(c)) for c in codes])
        self.zone_n_candidates = np.bincount(self.zone_of, minlength=len(codes))
        self.deadline = self.plan.deadline_index(rules.deadline_year)
        has_cand = (self.zone_min > 0) & (self.zone_n_candidates > 0)
        self.progress_needed = 0
        if self.deadline is None and self.zone_min.any():
            self.progress_needed = int(min(sum(self.plan.min_new), has_cand.sum()))

    def infeasibility_reasons(self) -> list[str]:
        """Why the plan and rules cannot all hold, in numbers (empty if no simple reason is found)."""
        r, plan, t = self.rules, self.plan, self.rules.type_name_zh
        out = []
        for z in np.flatnonzero(self.zone_min > 0):
            code = self.zone_codes[z]
            if self.deadline is not None and self.zone_n_candidates[z] < self.zone_min[z]:
                why = r.reasons_zh.get(code, "")
                out.append(f"街镇 {r.zone_label(code)} 需要至少 {self.zone_min[z]} 个新增{t}"
                           f"{f' ({why})' if why else ''}, 但其边界内只有 {self.zone_n_candidates[z]} 个候选点。"
                           f"请补充该街镇的候选点 (候选文件) 或调整规则 (zone {code} needs {self.zone_min[z]} new "
                           f"{t} but has {self.zone_n_candidates[z]} candidates within its boundary)")
            if self.zone_min[z] > self.zone_max[z]:
                out.append(f"街镇 {r.zone_label(code)} 的新增下限 {self.zone_min[z]} 大于上限 {self.zone_max[z]} "
                           f"(zone minimum exceeds its maximum)")
        if self.deadline is not None:
            need, slots = int(self.zone_min.sum()), int(sum(plan.max_new[:self.deadline + 1]))
            if need > slots:
                n_zones = int((self.zone_min > 0).sum())
                years = "、".join(str(y) for y in plan.years[:self.deadline + 1] if y is not None) or "本轮"
                out.append(f"{n_zones} 个街镇共需新增至少 {need} 个{t}, 但 {years} 的新增名额合计只有 {slots} 个。"
                           f"请增加新增点数, 或按多年计划 (siting.sites_per_year) 分期安排 ({n_zones} zones need "
                           f"{need} new sites but the plan allows {slots})")
        capacity = int(np.minimum(self.zone_max, self.zone_n_candidates).sum())
        total = int(sum(plan.min_new))
        if total > capacity:
            out.append(f"计划新增 {total} 个{t}, 但候选点只有 {self.n_candidates} 个"
                       + (f", 考虑各街镇上限后最多可选 {capacity} 个" if capacity < self.n_candidates else "")
                       + f" (the plan needs {total} sites but at most {capacity} candidates can be chosen)")
        return out + self._model_infeasibility()

    def _model_infeasibility(self) -> list[str]:
        return []

    def _infeasible_hint(self) -> str:
        return "各街镇的下限、上限与每年新增名额不能同时满足。请放宽街镇上限、调整名额或增加候选点。"

    def _raise_if_infeasible(self, extra: str = "") -> None:
        reasons = self.infeasibility_reasons()
        if reasons or extra:
            lines = reasons or [extra]
            raise InfeasibleError("选址模型无解 (the siting model is infeasible):\n" + "\n".join(f"  - {x}" for x in lines))

    # --- model building -----------------------------------------------------------------------------------

    def _add_sites(self, b: MipBuilder, cost_last_year: float = 0.0) -> int:
        """Site variables ``o[j, y]`` (index ``o + y * J + j``), monotonicity, budgets and rules; returns ``o``."""
        J, Y, plan = self.n_candidates, self.plan.n_years, self.plan
        costs = np.zeros(J * Y)
        costs[(Y - 1) * J:] = cost_last_year
        o = b.add_cols(J * Y, cost=costs, ub=1.0, integer=True)
        jj = np.arange(J)
        if Y > 1:
            n = J * (Y - 1)
            rows = np.repeat(np.arange(n), 2)
            prev = o + np.arange(n)
            cols = np.ravel(np.c_[prev, prev + J])
            b.add_rows(n, rows, cols, np.tile([1.0, -1.0], n), hi=0.0)
        for y in range(Y):
            cols = o + y * J + jj
            if y == 0:
                b.add_rows(1, np.zeros(J), cols, 1.0, lo=plan.min_new[0], hi=plan.max_new[0])
            else:
                b.add_rows(1, np.zeros(2 * J), np.r_[cols, cols - J], np.r_[np.ones(J), -np.ones(J)],
                           lo=plan.min_new[y], hi=plan.max_new[y])
        self._add_rule_rows(b, o)
        return o

    def _zone_rows(self, b: MipBuilder, zones: np.ndarray, y: int, o: int, *, lo=None, hi=None) -> None:
        if len(zones) == 0:
            return
        local = {int(z): i for i, z in enumerate(zones)}
        members = np.flatnonzero(np.isin(self.zone_of, zones))
        rows = np.array([local[int(z)] for z in self.zone_of[members]], dtype=np.int64)
        b.add_rows(len(zones), rows, o + y * self.n_candidates + members, 1.0,
                   lo=-np.inf if lo is None else lo, hi=np.inf if hi is None else hi)

    def _add_rule_rows(self, b: MipBuilder, o: int) -> None:
        Y, big = self.plan.n_years, np.iinfo(np.int64).max // 4
        capped = np.flatnonzero(self.zone_max < big)
        self._zone_rows(b, capped, Y - 1, o, hi=self.zone_max[capped])
        needy = np.flatnonzero(self.zone_min > 0)
        if self.deadline is not None:
            self._zone_rows(b, needy, self.deadline, o, lo=self.zone_min[needy])
        elif self.progress_needed > 0:
            served = needy[self.zone_n_candidates[needy] > 0]
            u = b.add_cols(len(served), ub=1.0)
            members = np.flatnonzero(np.isin(self.zone_of, served))
            local = {int(z): i for i, z in enumerate(served)}
            rows = np.r_[np.arange(len(served)), [local[int(z)] for z in self.zone_of[members]]]
            cols = np.r_[u + np.arange(len(served)), o + (Y - 1) * self.n_candidates + members]
            vals = np.r_[np.ones(len(served)), -np.ones(len(members))]
            b.add_rows(len(served), rows, cols, vals, hi=0.0)
            b.add_rows(1, np.zeros(len(served)), u + np.arange(len(served)), 1.0, lo=self.progress_needed)

    def _build(self, b: MipBuilder) -> int:  # pragma: no cover - every model defines it
        raise NotImplementedError

    def _decode(self, x: np.ndarray, o: int) -> np.ndarray:
        J, Y = self.n_candidates, self.plan.n_years
        opened = x[o:o + J * Y].reshape(Y, J) > 0.5
        first = np.argmax(opened, axis=0)
        return np.where(opened.any(axis=0), first, -1).astype(np.int64)

    # --- heuristic support --------------------------------------------------------------------------------

    def open_mask(self, open_year: np.ndarray, y: int) -> np.ndarray:
        return (open_year >= 0) & (open_year <= y)

    def allowed_mask(self, open_year: np.ndarray, y: int) -> np.ndarray:
        """Candidates that may open in year index ``y`` without breaking a zone maximum, and, when the remaining
        places are only just enough for the zones that still need a site, only those zones."""
        mask = open_year < 0
        counts = np.bincount(self.zone_of[open_year >= 0], minlength=len(self.zone_codes))
        mask &= counts[self.zone_of] < self.zone_max[self.zone_of]
        if self.deadline is not None and y <= self.deadline:
            need = int(np.maximum(0, self.zone_min - counts).sum())
            slots = self.free_slots(open_year, y, self.deadline)
        elif self.deadline is None and self.progress_needed:
            need = self.progress_needed - int(((self.zone_min > 0) & (counts > 0)).sum())
            slots = self.free_slots(open_year, y, self.plan.n_years - 1)
        else:
            need, slots = 0, 1
        if need > 0 and need >= slots:
            mask &= self.short_zones(open_year)[self.zone_of]
        return mask

    def free_slots(self, open_year: np.ndarray, first: int, last: int) -> int:
        """New sites still allowed in year indices ``first`` to ``last`` (their ``max_new`` minus those chosen)."""
        return int(sum(self.plan.max_new[y] - int((open_year == y).sum()) for y in range(first, last + 1)))

    def short_zones(self, open_year: np.ndarray) -> np.ndarray:
        """Zones that still need a site: below their minimum (or, when the minimums are only worked towards,
        with a minimum and no site yet)."""
        counts = np.bincount(self.zone_of[open_year >= 0], minlength=len(self.zone_codes))
        if self.deadline is not None:
            return counts < self.zone_min
        return (self.zone_min > 0) & (counts == 0)

    def rules_need_more(self, open_year: np.ndarray, y: int) -> bool:
        """The zone rules cannot be met unless another site opens in year index ``y`` (the later years' places
        are too few for the zones still short)."""
        counts = np.bincount(self.zone_of[open_year >= 0], minlength=len(self.zone_codes))
        if self.deadline is not None:
            if y > self.deadline:
                return False
            need = int(np.maximum(0, self.zone_min - counts).sum())
            return need > self.free_slots(open_year, y + 1, self.deadline)
        need = self.progress_needed - int(((self.zone_min > 0) & (counts > 0)).sum())
        return need > self.free_slots(open_year, y + 1, self.plan.n_years - 1)

    def rules_met(self, open_year: np.ndarray) -> bool:
        """Plan budgets and zone rules hold for ``open_year``."""
        for y in range(self.plan.n_years):
            n = int((open_year == y).sum())
            if not self.plan.min_new[y] <= n <= self.plan.max_new[y]:
                return False
        counts = np.bincount(self.zone_of[open_year >= 0], minlength=len(self.zone_codes))
        if (counts > self.zone_max).any():
            return False
        if self.deadline is not None:
            by = np.bincount(self.zone_of[self.open_mask(open_year, self.deadline)], minlength=len(self.zone_codes))
            return bool((by >= self.zone_min).all())
        served = int(((self.zone_min > 0) & (counts > 0)).sum())
        return served >= self.progress_needed

    # --- solving ------------------------------------------------------------------------------------------

    def solve(self, *, method: str = "mip", time_limit_s: float = 60.0, mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
              threads: int | None = None, warm_start: bool | None = None,
              initial: np.ndarray | None = None) -> SitingModel:
        """Solve the model.

        Parameters
        ----------
        method
            ``"mip"`` (exact, HiGHS), ``"heuristic"`` (greedy + swap, gap against the LP bound) or ``"auto"``
            (the heuristic when the model has more than 20 million non-zeros, else exact).
        time_limit_s
            Solver time limit; when reached the best solution found is kept and its gap reported.
        mip_rel_gap
            Relative gap at which the solution counts as optimal (1e-4 = 0.01 %).
        threads
            HiGHS threads.
        warm_start
            Start HiGHS from the heuristic's solution (default: the model's ``warm_start_default``: on for p-median,
            whose exact model is the hardest, off for the coverage models that HiGHS proves quickly).
        initial
            A plan to start from instead (``open_year``: year index per candidate, -1 = not chosen), e.g. the
            solution with one site fewer; used only if it meets the plan and the rules.

        Returns
        -------
        self

        Raises
        ------
        InfeasibleError
            With the numbers that explain it (e.g. a 街镇 with no candidate for a required type).
        ConfigError
            For an unknown ``method``.
        """
        if method not in {"mip", "heuristic", "auto"}:
            raise argument_error(f"{type(self).__name__}.solve", "method 应是 mip、heuristic 或 auto。",
                                 "method must be mip, heuristic or auto", value=method)
        start = time.perf_counter()
        self._raise_if_infeasible()
        if method == "auto":
            method = "heuristic" if self._estimated_nonzeros() > 20_000_000 else "mip"
        if method == "heuristic":
            self._solve_heuristic(start, time_limit_s, threads)
        else:
            warm = self.warm_start_default if warm_start is None else warm_start
            if initial is not None and self.rules_met(np.asarray(initial)):
                first = np.asarray(initial, dtype=np.int64)
            else:
                first = self._warm_start() if warm else None
            self._solve_mip(start, time_limit_s, mip_rel_gap, threads, first)
        self.selected_ = self._selected()
        log.info("%s: %s, objective %.6g, gap %.4g%%, %.2f s (%d sites)", self.name, self.result_.status,
                 self.result_.objective, 100 * self.result_.gap, self.result_.time_s, len(self.selected_))
        return self

    def heuristic_solution(self) -> np.ndarray:
        """The heuristic's ``open_year`` (greedy + swap; see :func:`svcov.siting.solve.greedy_swap`)."""
        return greedy_swap(self)

    def start_solution(self) -> np.ndarray:
        """The plan an exact solve starts from (default: the heuristic's)."""
        return self.heuristic_solution()

    def _warm_start(self) -> np.ndarray | None:
        try:
            return self.start_solution()
        except InfeasibleError:
            log.info("%s: the heuristic found no start; HiGHS starts from scratch", self.name)
            return None

    def _estimated_nonzeros(self) -> int:
        return int(self._coverage_nonzeros()[1] * self.plan.n_years * 2)

    def _solve_mip(self, start: float, time_limit_s: float, gap: float, threads, initial=None) -> None:
        b = MipBuilder(sense=self.sense)
        o = self._build(b)
        built = time.perf_counter()
        first = None
        if initial is not None:
            J, Y = self.n_candidates, self.plan.n_years
            values = np.concatenate([self.open_mask(initial, y) for y in range(Y)]).astype(float)
            first = (o + np.arange(J * Y), values)
        out = run_highs(b, time_limit_s=max(0.0, time_limit_s - (built - start)), mip_rel_gap=gap, threads=threads,
                        start=first)
        if out.status == "infeasible":
            out = self._second_opinion(b, out, start, time_limit_s, gap, threads, first)
        if out.x is None and initial is not None and out.status != "infeasible" and self.rules_met(initial):
            self._keep_start(initial, out, b, start, built, time_limit_s, gap)
            return
        if out.x is None:
            if out.status == "infeasible":
                self._raise_if_infeasible(f"HiGHS 判定模型无解 ({b.n_rows} 行 × {b.n_cols} 列): {self._infeasible_hint()} "
                                          f"(HiGHS: infeasible)")
            raise InfeasibleError(f"{time_limit_s:.0f} 秒内没有找到可行解 (status {out.status}); 请增加 time_limit_s 或用 "
                                  f"method='heuristic' (no feasible solution within the time limit)")
        self.open_year_ = self._decode(out.x, o)
        self._after_mip(out, b, o, start, built, time_limit_s, gap, threads)

    def _keep_start(self, initial: np.ndarray, out, b: MipBuilder, start: float, built: float, time_limit_s: float,
                    gap: float) -> None:
        """HiGHS stopped (time) before returning a solution: the plan it was started from is the answer, with the
        solver's bound if it has one (else the model's own)."""
        self.open_year_ = np.asarray(initial, dtype=np.int64)
        self.objective_ = float(self.evaluate(self.open_year_))
        self.result_ = self._result("mip", "time_limit", self.objective_, out.bound, np.nan, start, built - start,
                                    out.time_s, b, time_limit_s, gap,
                                    note="; ".join(["时限内求解器未给出解: 采用起始方案 (启发式) (no solution from the solver "
                                                    "in time: the start plan is kept)", *self._notes]))

    def _second_opinion(self, b: MipBuilder, out, start: float, time_limit_s: float, gap: float, threads, first):
        """HiGHS's presolve said "infeasible": solve again without presolve before believing it (presolve has
        declared feasible covering models infeasible, issue 13)."""
        remaining = max(1.0, time_limit_s - (time.perf_counter() - start))
        again = run_highs(b, time_limit_s=remaining, mip_rel_gap=gap, threads=threads, start=first, presolve=False)
        if again.status != "infeasible":
            log.warning("%s: HiGHS presolve declared the model infeasible; without presolve: %s", self.name,
                        again.status)
            self._notes.append(f"HiGHS 预处理判定无解, 关闭预处理重新求解: {again.status} (presolve said infeasible; "
                               f"re-solved without presolve)")
        return again

    def _after_mip(self, out, b, o, start, built, time_limit_s, gap, threads) -> None:
        self.objective_ = float(out.objective)
        self.result_ = self._result("mip", out.status, out.objective, out.bound, out.gap, start, built - start,
                                    out.time_s, b, time_limit_s, gap, note="; ".join(self._notes))

    def _solve_heuristic(self, start: float, time_limit_s: float, threads) -> None:
        self.open_year_ = self.heuristic_solution()
        self.objective_ = float(self.evaluate(self.open_year_))
        b = MipBuilder(sense=self.sense)
        self._build(b)
        built = time.perf_counter()
        lp = run_highs(b, time_limit_s=time_limit_s, relax=True, threads=threads)
        bound = lp.objective if lp.status == "optimal" else float("nan")
        self.result_ = self._result("heuristic", "heuristic", self.objective_, bound, np.nan, start, built - start,
                                    lp.time_s, b, time_limit_s, 0.0,
                                    note="启发式 (贪心 + 交换); 界为线性松弛 (LP relaxation bound)")

    def trivial_bound(self) -> float | None:
        """A bound on the objective known without solving (``None``: none); every model with one defines it."""
        return None

    def _result(self, method, status, objective, bound, gap, start, build_s, solver_s, b, time_limit_s, rel_gap,
                note: str = "") -> SolveResult:
        """The solve's diagnostics. ``status`` and ``gap`` from the solver are not used: the bound is tightened
        by :meth:`trivial_bound`, and the gap and status follow from objective and bound (:func:`settle`)."""
        bound, gap, status = settle(self.sense, float(objective), bound, self.trivial_bound(),
                                    DEFAULT_MIP_REL_GAP if method == "heuristic" else rel_gap, method)
        before, after = self._coverage_nonzeros()
        return SolveResult(
            model=self.name, method=method, status=status, objective=float(objective), best_bound=float(bound),
            gap=float(gap), objective_label_zh=self.objective_label_zh, time_s=time.perf_counter() - start,
            build_time_s=float(build_s), solver_time_s=float(solver_s), n_demand=self.n_demand,
            n_demand_in_model=self.n_demand_in_model, n_demand_merged=self.n_groups,
            n_candidates=self.n_candidates, n_years=self.plan.n_years, n_rows=b.n_rows, n_cols=b.n_cols,
            n_nonzeros=b.n_nonzeros, n_coverage_nonzeros=before, n_coverage_nonzeros_merged=after,
            mip_rel_gap=rel_gap, time_limit_s=time_limit_s, note_zh=note)

    def _coverage_nonzeros(self) -> tuple[int, int]:  # pragma: no cover - every model defines it
        raise NotImplementedError

    def _selected(self) -> pd.DataFrame:
        chosen = np.flatnonzero(self.open_year_ >= 0)
        years = [self.plan.years[int(y)] for y in self.open_year_[chosen]]
        out = pd.DataFrame({"candidate_pos": chosen, "year_index": self.open_year_[chosen], "year": years,
                            "zone": [self.zone_codes[self.zone_of[j]] for j in chosen]})
        return out.sort_values(["year_index", "candidate_pos"]).reset_index(drop=True)


# --- building inputs -----------------------------------------------------------------------------------------


def plan_of(plan: Plan | None, k: int | None, where: str) -> Plan:
    if plan is not None and k is not None:
        raise argument_error(where, "k 和 plan 只能给一个。", "give either k or plan, not both")
    if plan is None:
        if k is None or int(k) != k or k < 0:
            raise argument_error(where, "请给出新增点数 k (非负整数) 或计划 plan。", "give k (a count) or a plan", value=k)
        return Plan.single(int(k))
    return plan


def prepare(where: str, cost_s, weights, *, max_time_s: float, threshold_s: float, existing_cost_s, existing_open,
             plan: Plan) -> ModelInputs:
    w = np.asarray(weights, dtype=float).ravel()
    if not np.isfinite(w).all() or (w < 0).any():
        raise argument_error(where, "需求权重 (服务人群的人数) 应是非负有限数。", "weights must be finite and non-negative")
    if not (np.isfinite(max_time_s) and max_time_s >= 0):
        raise argument_error(where, "时间阈值应是非负有限秒数。", "the time threshold must be finite seconds >= 0",
                             value=max_time_s)
    cand = sparse_within(cost_s, max_time_s, where=where)
    exist = (sp.csr_array((len(w), 0)) if existing_cost_s is None
             else sparse_within(existing_cost_s, max_time_s, where=where))
    if cand.shape[0] != len(w) or exist.shape[0] != len(w):
        raise argument_error(where, f"矩阵的行数 ({cand.shape[0]}, {exist.shape[0]}) 应等于需求点数 ({len(w)})。",
                             "matrices need one row per demand point", value=(cand.shape, exist.shape, len(w)))
    n_exist, n_years = exist.shape[1], plan.n_years
    opened = np.ones((n_exist, n_years), dtype=bool) if existing_open is None else np.asarray(existing_open, bool)
    if opened.ndim == 1:
        opened = np.repeat(opened[:, None], n_years, axis=1)
    if opened.shape != (n_exist, n_years):
        raise argument_error(where, f"existing_open 应是 {n_exist} 个现有设施 × {n_years} 个年份。",
                             "existing_open must be existing facilities × plan years", value=opened.shape)
    return ModelInputs(w, cand, exist, opened, float(threshold_s), float(max_time_s))


def catchment_matrix(travel, sources, targets, max_time_s: float) -> sp.coo_array:
    """Times from ``sources`` to ``targets`` within ``max_time_s`` as a sparse targets × sources matrix.

    Uses the travel model's ``catchments(sources, targets, max_time_s)`` (long form: ``source_pos``,
    ``target_pos``, ``time_s``), so network and straight-line models are handled alike.
    """
    shape = (len(targets), len(sources))
    if len(sources) == 0 or len(targets) == 0:
        return sp.coo_array(shape)
    long = travel.catchments(sources, targets, max_time_s)
    t = long["time_s"].to_numpy(dtype=float)
    ok = np.isfinite(t) & (t <= max_time_s)
    return sp.coo_array((t[ok], (long["target_pos"].to_numpy()[ok], long["source_pos"].to_numpy()[ok])), shape=shape)


def existing_open_by_year(existing: pd.DataFrame, plan: Plan) -> np.ndarray:
    """Existing facilities × plan years: open in that year (``opened_year``/``closed_year``; unknown = open)."""
    from ..data.facilities import open_in_year

    cols = []
    for year in plan.years:
        if year is None or not {"opened_year", "closed_year"} <= set(existing.columns):
            cols.append(np.ones(len(existing), dtype=bool))
        else:
            cols.append(open_in_year(existing, year).to_numpy())
    return np.column_stack(cols) if cols else np.zeros((len(existing), 0), dtype=bool)


class FromFrames:
    """The adapter shared by the models: frames + travel model → cost matrices → ``from_cost_matrix``."""

    @classmethod
    def from_geodataframe(cls, demand, candidates, *, travel, threshold_min: float, existing=None,
                          weight_column: str = "residents", zone_column: str | None = "jiezhen_code",
                          plan: Plan | None = None, k: int | None = None, rules: SiteRules | None = None,
                          merge: bool = True, **model_kwargs):
        """Build the model from frames: times come from ``travel`` (a TravelModel: network or straight line).

        Parameters
        ----------
        demand
            Demand points (metric CRS) with ``weight_column`` (the served population group, e.g.
            ``children_0_3`` or ``elderly_60``; default ``residents``).
        candidates
            Candidate sites (metric CRS); ``zone_column`` (default ``jiezhen_code``) gives their 街镇 for rules.
        travel
            Object with ``catchments(sources, targets, max_time_s)`` (see ``svcov.access.engine.TravelModel``).
        threshold_min
            Travel time within which a person counts as covered, in minutes.
        existing
            Existing facilities (fixed, counted); ``opened_year``/``closed_year`` decide the years they count in.
        plan, k, rules, merge
            As in ``from_cost_matrix``.
        **model_kwargs
            Model-specific arguments (``target_share``, ``max_time_s``, ``capacity_new``, ``existing_capacity``).

        Raises
        ------
        MissingColumnError
            If a named column is missing.
        """
        where = f"{cls.__name__}.from_geodataframe"
        p = ProblemList(where)
        for frame, column, what in ((demand, weight_column, "demand"), (candidates, zone_column, "candidates")):
            if column is not None and column not in frame.columns:
                p.add(f"{what} 缺少列「{column}」。", f"{what} has no column {column!r}", column=column)
        p.raise_if_errors(MissingColumnError)
        plan = plan_of(plan, k, where)
        threshold_s = float(threshold_min) * 60.0
        max_time_s = cls._query_time_s(threshold_s, model_kwargs)
        existing = existing if existing is not None and len(existing) else None
        cand = catchment_matrix(travel, candidates, demand, max_time_s)
        exist = None if existing is None else catchment_matrix(travel, existing, demand, max_time_s)
        opened = None if existing is None else existing_open_by_year(existing, plan)
        zones = None if zone_column is None else candidates[zone_column].astype(str).to_numpy()
        if cls.uses_demand_zones and zone_column is not None and zone_column in demand.columns:
            model_kwargs.setdefault("demand_zones", demand[zone_column].astype(str).to_numpy())
        return cls.from_cost_matrix(cand, demand[weight_column].to_numpy(dtype=float), threshold_s=threshold_s,
                                    existing_cost_s=exist, existing_open=opened, plan=plan, rules=rules,
                                    candidate_zones=zones, merge=merge, **model_kwargs)

    #: Models whose cost grows with time beyond the threshold (p-median, p-center) read times up to ``max_time_s``
    #: (default twice the threshold); covering models need times within the threshold only.
    times_beyond_threshold = False

    @classmethod
    def _query_time_s(cls, threshold_s: float, kwargs: dict) -> float:
        if not cls.times_beyond_threshold:
            return threshold_s
        kwargs.setdefault("max_time_s", 2 * threshold_s)
        return float(kwargs["max_time_s"])
