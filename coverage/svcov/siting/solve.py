"""Solving siting models: exact mixed-integer programming with HiGHS (highspy, the model passed as CSR arrays in
one call), the LP-relaxation bound, and a greedy + swap heuristic for instances too big to prove.

Every solve reports the objective, the best bound, the relative optimality gap, the time and the status in a
:class:`SolveResult`, which the report and the manifest show as one table row.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import InfeasibleError, SvcovError

__all__ = ["MipBuilder", "HighsOutcome", "SolveResult", "run_highs", "check_solution", "set_threads", "greedy_swap",
           "greedy_cover", "DEFAULT_MIP_REL_GAP", "relative_gap", "settle"]

log = logging.getLogger(__name__)

#: Relative optimality gap at which HiGHS stops: 0.01 %, the issue's "proven optimal".
DEFAULT_MIP_REL_GAP = 1e-4

_banner_suppressed = False


@dataclass
class MipBuilder:
    """A mixed-integer program assembled from vectorised blocks (no per-variable Python loops).

    Columns are added in blocks with :meth:`add_cols`; constraint rows in blocks with :meth:`add_rows` as COO
    triplets with block-local row numbers. ``sense`` is ``"max"`` or ``"min"``; ``offset`` is a constant added to
    the objective (demand already covered by existing facilities, for example).
    """

    sense: str = "max"
    offset: float = 0.0
    n_cols: int = 0
    n_rows: int = 0
    _cost: list = field(default_factory=list)
    _lb: list = field(default_factory=list)
    _ub: list = field(default_factory=list)
    _int: list = field(default_factory=list)
    _rlo: list = field(default_factory=list)
    _rhi: list = field(default_factory=list)
    _coo: list = field(default_factory=list)
    _fixed: list = field(default_factory=list)
    _bounds: list = field(default_factory=list)

    def fix_cols(self, first: int, values) -> None:
        """Fix columns ``first, first + 1, ...`` to ``values`` (lower = upper bound)."""
        self._fixed.append((int(first), np.asarray(values, dtype=float)))

    def bound_cols(self, first: int, lb, ub) -> None:
        """Set the bounds of columns ``first, first + 1, ...`` (arrays of equal length)."""
        lb, ub = np.asarray(lb, dtype=float), np.asarray(ub, dtype=float)
        self._bounds.append((int(first), lb, ub))

    def add_cols(self, n: int, *, cost=0.0, lb=0.0, ub=1.0, integer: bool = False) -> int:
        """Add ``n`` columns; returns the index of the first."""
        first = self.n_cols
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)))
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)))
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)))
        self._int.append(np.full(n, 1 if integer else 0, dtype=np.int32))
        self.n_cols += n
        return first

    def add_rows(self, n: int, rows, cols, vals, *, lo=-np.inf, hi=np.inf) -> int:
        """Add ``n`` rows ``lo <= A x <= hi`` given as triplets (``rows`` numbered 0..n-1); returns the first."""
        first = self.n_rows
        rows = np.asarray(rows, dtype=np.int64)
        self._coo.append((rows + first, np.asarray(cols, dtype=np.int64),
                          np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)))
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)))
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)))
        self.n_rows += n
        return first

    def matrix(self) -> sp.csr_array:
        if self._coo:
            rows = np.concatenate([c[0] for c in self._coo])
            cols = np.concatenate([c[1] for c in self._coo])
            vals = np.concatenate([c[2] for c in self._coo])
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            vals = np.zeros(0)
        return sp.csr_array((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))

    def column_arrays(self) -> tuple[np.ndarray, ...]:
        cat = (lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype))
        lb, ub = cat(self._lb, float), cat(self._ub, float)
        for first, low, high in self._bounds:
            lb[first:first + len(low)] = low
            ub[first:first + len(high)] = high
        for first, values in self._fixed:
            lb[first:first + len(values)] = values
            ub[first:first + len(values)] = values
        return cat(self._cost, float), lb, ub, cat(self._int, np.int32)

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        cat = (lambda parts: np.concatenate(parts).astype(float) if parts else np.zeros(0))
        return cat(self._rlo), cat(self._rhi)

    @property
    def n_nonzeros(self) -> int:
        return int(sum(len(c[0]) for c in self._coo))


@dataclass(frozen=True)
class HighsOutcome:
    """What HiGHS returned: ``x`` (None if no solution), status text, objective, bound, gap, solver time."""

    x: np.ndarray | None
    status: str
    objective: float
    bound: float
    gap: float
    time_s: float
    n_rows: int
    n_cols: int
    n_nonzeros: int


@dataclass(frozen=True)
class SolveResult:
    """Diagnostics of one solve, for the report and the manifest.

    Attributes
    ----------
    model, method
        Model name (``mclp``, ``lscp``, ``p_median``, ``capacitated``) and ``mip`` or ``heuristic``.
    status
        ``optimal`` (gap ≤ the tolerance ``mip_rel_gap``), ``time_limit`` (a feasible solution, stopped before the
        gap closed; the gap says how far it may be from the optimum) or ``heuristic``.
    objective, best_bound, gap
        Objective of the solution, best bound (MIP dual bound, or the LP relaxation for the heuristic, tightened by
        the model's bound without solving), both in the objective's units, and the relative gap
        ``|objective − bound| / max(|objective|, |bound|)`` (:func:`relative_gap`: 0-1 whenever a solution exists).
    objective_label_zh
        What the objective counts (e.g. 「15 分钟内覆盖的需求人口 (各年合计)」).
    time_s, build_time_s, solver_time_s
        End to end (reduction, model building and solving), model building, solver.
    n_demand, n_demand_in_model, n_demand_merged
        Demand points given, left after removing those the new sites cannot change, and after merging identical
        ones (the model's demand rows).
    n_candidates, n_years
    n_rows, n_cols, n_nonzeros
        Size of the model solved.
    n_coverage_nonzeros, n_coverage_nonzeros_merged
        Demand × candidate pairs before and after merging.
    """

    model: str
    method: str
    status: str
    objective: float
    best_bound: float
    gap: float
    objective_label_zh: str
    time_s: float
    build_time_s: float
    solver_time_s: float
    n_demand: int
    n_demand_in_model: int
    n_demand_merged: int
    n_candidates: int
    n_years: int
    n_rows: int
    n_cols: int
    n_nonzeros: int
    n_coverage_nonzeros: int
    n_coverage_nonzeros_merged: int
    mip_rel_gap: float = DEFAULT_MIP_REL_GAP
    time_limit_s: float = 60.0
    note_zh: str = ""

    def as_row(self) -> dict:
        return asdict(self)


#: Objective and bound this close (in the objective's units) count as equal: HiGHS's own ``mip_abs_gap``. Without it
#: an objective of 4e-17 (rounding of a zero) against a bound of 0 would be a 100 % gap.
ABS_GAP = 1e-6


def relative_gap(objective: float, bound: float) -> float:
    """``|objective − bound| / max(|objective|, |bound|)``: both in the objective's units, so at most 1 (100 %)
    whenever they have the same sign (every model here has a non-negative objective and bound); 0 when they differ
    by at most :data:`ABS_GAP`, infinite when either is not finite. For a minimisation this is
    ``(objective − bound) / objective``, the share of the objective that a better solution could still save; for a
    maximisation ``(bound − objective) / bound``, the share of the best possible value that the solution may miss."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    diff = abs(bound - objective)
    if diff <= ABS_GAP:
        return 0.0
    return diff / max(abs(objective), abs(bound))


def settle(sense: str, objective: float, bound: float, trivial: float | None, tolerance: float, method: str
           ) -> tuple[float, float, str]:
    """The bound, gap and status a solve reports.

    The solver's bound is replaced by the model's bound without solving (``trivial``, e.g. "every child at its
    nearest candidate") when that is tighter or the solver gave none, and never lies beyond the objective (a
    solver's tolerance can put it a hair past). The status is ``optimal`` when the gap is within ``tolerance``,
    else ``time_limit`` (a feasible solution, stopped early); a heuristic keeps ``heuristic``.

    Returns
    -------
    (bound, gap, status)
    """
    b = float(bound) if bound is not None and np.isfinite(bound) else float("nan")
    if trivial is not None and np.isfinite(trivial):
        if not np.isfinite(b):
            b = float(trivial)
        b = max(b, trivial) if sense == "min" else min(b, trivial)
    if np.isfinite(b) and np.isfinite(objective):
        b = min(b, objective) if sense == "min" else max(b, objective)
    gap = relative_gap(objective, b)
    if method == "heuristic":
        return b, gap, "heuristic"
    return b, gap, "optimal" if gap <= tolerance * (1 + 1e-9) + 1e-12 else "time_limit"


def _new_highs():
    """A silent ``highspy.Highs`` (the first construction prints a banner to stdout: sent to the null device)."""
    global _banner_suppressed
    import highspy

    if _banner_suppressed:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
        _banner_suppressed = True
    return h


def run_highs(builder: MipBuilder, *, time_limit_s: float = 60.0, mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
              relax: bool = False, threads: int | None = None,
              start: tuple[np.ndarray, np.ndarray] | None = None, presolve: bool = True) -> HighsOutcome:
    """Solve the assembled program with HiGHS.

    Parameters
    ----------
    builder
        The program.
    time_limit_s
        Wall-clock limit of the solver; on reaching it the best solution found and the bound are returned.
    mip_rel_gap
        Stop when the relative gap is at most this (1e-4 = 0.01 %).
    relax
        Solve the LP relaxation (all columns continuous): its objective is a bound for the integer program.
    threads
        Solver threads (default: HiGHS's choice).
    start
        A known solution of some columns (``indices``, ``values``), e.g. the heuristic's sites; HiGHS completes it
        and starts from it, so a time-limited solve is never worse than it.
    presolve
        Run HiGHS's presolve (default). Off, a second opinion when presolve declares a model infeasible.

    Returns
    -------
    HighsOutcome
        ``x`` is None when no feasible solution was found (status ``infeasible``, ``time_limit``...).

    Every answer is checked (:func:`check_solution`); one that does not check out is solved again without the
    start, then without presolve (each attempt with the whole time limit: this is rare, and a right answer matters
    more than the time).

    Raises
    ------
    SvcovError
        If HiGHS rejects the model, or no way of solving it gives an answer that checks out.
    """
    program = Program.of(builder)
    has_int = (not relax) and bool(program.integrality.any())
    attempts = [(start, presolve)]
    if start is not None and has_int:
        attempts.append((None, presolve))
    if presolve:
        attempts.append((None, False))
    problem = None
    for i, (first, pre) in enumerate(attempts):
        out, problem = _run_once(builder, program, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                                 has_int=has_int, threads=threads, start=first, presolve=pre)
        if problem is None:
            return out
        log.info("HiGHS 返回的解与其报告不符 (%s); %s (HiGHS's answer does not check out: %s)", problem,
                 "换一种方式重新求解" if i + 1 < len(attempts) else "已无其他求解方式", problem)
    raise SvcovError(f"HiGHS 的解未通过核对 ({problem}); 请报告此问题并附上配置 "
                     f"(HiGHS's solution failed the check: {problem}; please report it with the configuration)")


@dataclass(frozen=True)
class Program:
    """The arrays of an assembled program, made once for every HiGHS run of it and the check of each answer."""

    cost: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integrality: np.ndarray
    rlo: np.ndarray
    rhi: np.ndarray
    a: sp.csr_array

    @classmethod
    def of(cls, builder: MipBuilder) -> Program:
        a = builder.matrix()
        a.sort_indices()
        return cls(*builder.column_arrays(), *builder.row_bounds(), a)


def _run_once(builder: MipBuilder, program: Program, *, time_limit_s: float, mip_rel_gap: float, has_int: bool,
              threads: int | None, start, presolve: bool) -> tuple[HighsOutcome, str | None]:
    """One HiGHS run and what is wrong with its answer (None when it checks out)."""
    import highspy

    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    set_threads(h, threads)
    if not presolve:
        h.setOptionValue("presolve", "off")
    g, a = program, program.a
    sense = highspy.ObjSense.kMaximize if builder.sense == "max" else highspy.ObjSense.kMinimize
    args = [builder.n_cols, builder.n_rows, int(a.nnz), int(highspy.MatrixFormat.kRowwise), int(sense),
            float(builder.offset), g.cost, g.lb, g.ub, g.rlo, g.rhi, a.indptr.astype(np.int32),
            a.indices.astype(np.int32), a.data.astype(float)]
    status = h.passModel(*args, g.integrality if has_int else np.zeros_like(g.integrality))
    if status == highspy.HighsStatus.kError:
        raise SvcovError("HiGHS 拒绝了模型 (HiGHS rejected the model)")
    if start is not None and has_int:
        idx, val = start
        h.setSolution(len(idx), np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=float))
    t0 = time.perf_counter()
    h.run()
    out = _outcome(h, builder, int(a.nnz), has_int, time.perf_counter() - t0)
    problem = None if out.x is None else check_solution(builder, out.x, out.objective, integer=has_int,
                                                        program=program)
    return out, problem


#: Tolerances of :func:`check_solution`, relative to the size of each quantity (HiGHS's own are 1e-6 to 1e-7).
CHECK_TOLERANCE = 1e-6


def check_solution(builder: MipBuilder, x: np.ndarray, objective: float, *, integer: bool,
                   program: Program | None = None) -> str | None:
    """What is wrong with a solver's answer ``x`` for the program (None if nothing): its objective differs from
    ``cost · x + offset``, a column is outside its bounds or not whole where it must be, or a row is violated.

    HiGHS 1.16 can return, from a partial start solution, columns whose objective is not the one it reports (seen
    on a 16-column set-covering tie-break: reported 35, the columns give 32, the optimum is 34); every answer is
    therefore checked before it is used. ``program`` is the builder's arrays when the caller has them already."""
    g = Program.of(builder) if program is None else program
    cost, lb, ub, integrality, rlo, rhi = g.cost, g.lb, g.ub, g.integrality, g.rlo, g.rhi
    tol = CHECK_TOLERANCE
    value = float(cost @ x) + float(builder.offset)
    if abs(value - objective) > tol * max(1.0, abs(value), float(np.abs(cost) @ np.abs(x))):
        return f"objective {objective:.10g} ≠ cost·x {value:.10g}"
    scale = np.maximum(1.0, np.abs(x))
    if np.any(x < lb - tol * scale) or np.any(x > ub + tol * scale):
        return "a column is outside its bounds"
    if integer and len(x):
        whole = integrality.astype(bool)
        if np.any(np.abs(x[whole] - np.round(x[whole])) > 1e-5):
            return "an integer column is fractional"
    if builder.n_rows:
        a = g.a
        act = a @ x
        size = np.maximum(1.0, abs(a) @ np.abs(x))
        if np.any(act < rlo - tol * size) or np.any(act > rhi + tol * size):
            return "a row is violated"
    return None


_threads_in_use: int | None = None


def set_threads(h, threads: int | None) -> None:
    """Ask for ``threads`` solver threads (None = HiGHS's default).

    HiGHS runs every model of the process on one global thread pool, made at the first run: a later run asking for
    another number fails (status "Not Set"). The pool is remade (``resetGlobalScheduler``) when the number asked
    for changes; solves are not run concurrently in one process (the batch runs districts in processes)."""
    global _threads_in_use
    import highspy

    want = int(threads) if threads else 0
    if _threads_in_use is not None and want != _threads_in_use:
        highspy.Highs.resetGlobalScheduler(True)
    if want:
        h.setOptionValue("threads", want)
    _threads_in_use = want


def _outcome(h, builder: MipBuilder, nnz: int, has_int: bool, elapsed: float) -> HighsOutcome:
    import highspy

    model_status = h.getModelStatus()
    info = h.getInfo()
    names = {highspy.HighsModelStatus.kOptimal: "optimal", highspy.HighsModelStatus.kInfeasible: "infeasible",
             highspy.HighsModelStatus.kTimeLimit: "time_limit",
             highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
             highspy.HighsModelStatus.kUnbounded: "unbounded", highspy.HighsModelStatus.kInterrupt: "interrupted"}
    status = names.get(model_status, h.modelStatusToString(model_status))
    has_solution = info.primal_solution_status == 2
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else float("nan")
    if has_int:
        bound = float(info.mip_dual_bound)
    else:
        bound = objective if status == "optimal" else float("nan")
    gap = relative_gap(objective, bound) if has_solution else float("inf")
    return HighsOutcome(x, status, objective, bound, gap, elapsed, builder.n_rows, builder.n_cols, nnz)


# --- heuristic ---------------------------------------------------------------------------------------------


def _best(model, open_year: np.ndarray, yr: int) -> tuple[int, np.ndarray]:
    gains = np.asarray(model.gains(open_year, yr), dtype=float).copy()
    gains[~model.allowed_mask(open_year, yr)] = -np.inf
    j = int(np.argmax(gains))
    return j, gains


def _greedy(model, open_year: np.ndarray, yr: int, count: int) -> None:
    for _ in range(count):
        j, gains = _best(model, open_year, yr)
        if not np.isfinite(gains[j]):
            raise InfeasibleError(f"启发式算法在 {model.plan.years[yr]} 年找不到符合规则的候选点 "
                                  f"(heuristic found no allowed candidate in year {model.plan.years[yr]})")
        open_year[j] = yr


def greedy_swap(model, *, max_passes: int = 20) -> np.ndarray:
    """Greedy year by year (each year takes its ``min_new`` best sites, then more while they gain and the year's
    ``max_new`` allows), then swaps: each chosen site is taken out and the best allowed candidate of the same year
    is put in its place when that gains, until no swap gains.

    Parameters
    ----------
    model
        A siting model: ``plan``, ``n_candidates``, ``gains(open_year, yr)`` (objective gain of opening each
        candidate in year index ``yr``), ``allowed_mask(open_year, yr)`` (rules), ``evaluate(open_year)``.
    max_passes
        Bound on the rounds of swaps.

    Returns
    -------
    ndarray of int
        ``open_year``: year index in which each candidate opens, -1 if not chosen.
    """
    plan = model.plan
    open_year = np.full(model.n_candidates, -1, dtype=np.int64)
    for yr in range(plan.n_years):
        _greedy(model, open_year, yr, plan.min_new[yr])
        for _ in range(plan.max_new[yr] - plan.min_new[yr]):
            j, gains = _best(model, open_year, yr)
            if not (gains[j] > 1e-9 or (np.isfinite(gains[j]) and model.rules_need_more(open_year, yr))):
                break
            open_year[j] = yr
    for _ in range(max_passes):
        if not _swap_pass(model, open_year):
            break
    return open_year


def _swap_pass(model, open_year: np.ndarray) -> bool:
    improved = False
    for j in np.flatnonzero(open_year >= 0):
        yr = int(open_year[j])
        open_year[j] = -1
        best, gains = _best(model, open_year, yr)
        own = gains[j] if np.isfinite(gains[j]) else -np.inf
        if best != j and gains[best] > own + 1e-9 * max(1.0, abs(own)):
            open_year[best] = yr
            improved = True
        else:
            open_year[j] = yr
    return improved


def greedy_cover(model) -> np.ndarray:
    """Greedy for set covering: in each year add the best allowed candidate until the year's coverage target is
    met (the year's ``min_new`` first), then drop any site whose removal keeps every target and rule met."""
    plan = model.plan
    open_year = np.full(model.n_candidates, -1, dtype=np.int64)
    for yr in range(plan.n_years):
        _greedy(model, open_year, yr, plan.min_new[yr])
        added = plan.min_new[yr]
        while not model.target_met(open_year, yr) or model.rules_need_more(open_year, yr):
            if added >= plan.max_new[yr]:
                raise InfeasibleError(f"启发式算法在 {plan.years[yr]} 年用完 {plan.max_new[yr]} 个新增名额仍未达到覆盖目标 "
                                      f"(heuristic used the year's {plan.max_new[yr]} sites without reaching "
                                      f"the target)")
            _greedy(model, open_year, yr, 1)
            added += 1
    for j in sorted(np.flatnonzero(open_year >= 0), key=lambda j: -int(open_year[j])):
        yr = int(open_year[j])
        open_year[j] = -1
        if not model.is_feasible(open_year):
            open_year[j] = yr
    return open_year
