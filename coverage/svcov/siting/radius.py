"""The exact p-median solve: the radius formulation (Elloumi 2010; García, Labbé & Marín 2011) projected onto the
site variables (Benders cuts, as in Fischetti, Ljubić & Sinnl 2017), with branch and bound.

For a demand row ``g`` in a plan year, sort its times to the candidates nearer than its base ``B`` (the nearest
existing facility, or the cap): ``D¹ < D² < … < Dᴷ``, ``Dᴷ⁺¹ = B``. In the radius formulation the row's time is
``D¹ + Σₖ (Dᵏ⁺¹ − Dᵏ) zᵏ`` with ``zᵏ ≥ 1 − Σ (sites within Dᵏ)``; for given site values ``x`` the best ``z`` makes
it the largest of the affine functions ::

    f_g(x) = max over k of  w_g · (Dᵏ − Σ_j (Dᵏ − t_gj)⁺ x_j)

so the linear relaxation of the radius formulation (equal to that of the classic strong formulation) is
``min Σ_g θ_g`` over the plan's site constraints with ``θ_g ≥`` those pieces. The pieces are added only where a
solution violates them (the level ``k`` at which the sites within reach first sum to one): a few thousand rows
instead of one variable per demand × candidate pair, and no level is ever left out, so every node bound is the
full relaxation's.

Candidates dominated by another of their zone (at least as near to every row they serve) are closed first
(:meth:`~svcov.siting.allocation.PMedian.dominated_candidates`). Branch and bound, best bound first, on the site
variables; each node's relaxation is re-solved from the last basis with the cuts re-separated; candidates whose
reduced cost at the root lifts the bound past the incumbent are fixed
(reduced-cost fixing). The heuristic's plan (greedy + swap) is the first incumbent; rounding each node's solution
(the ``p`` largest sites) gives others; a one-round plan without zone rules starts from the rounded root. The gap is
``(incumbent − bound) / incumbent`` with the bound the lowest open node's; it is proven ``≤ mip_rel_gap`` unless the
time runs out.
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass

import numpy as np

from .solve import MipBuilder, _new_highs, set_threads

__all__ = ["YearArcs", "year_arcs", "BendersPMedian"]

log = logging.getLogger(__name__)

#: Cut rounds per node relaxation before it is taken as solved (each adds the violated pieces).
MAX_CUT_ROUNDS = 200
#: A piece counts as violated when it exceeds θ by this share of its value (plus a tiny absolute amount).
CUT_TOLERANCE = 1e-7


@dataclass(frozen=True)
class YearArcs:
    """The demand rows' candidates of one plan year, sorted by (row, time): ``g``, ``j``, ``t`` (seconds), with
    only the pairs nearer than the row's base ``base``."""

    g: np.ndarray
    j: np.ndarray
    t: np.ndarray
    base: np.ndarray
    first_time: np.ndarray
    start: np.ndarray


def year_arcs(T, rows_of: np.ndarray, base: np.ndarray) -> YearArcs:
    """The sorted pairs of one year (``T``: rows × candidates CSR of times; ``base``: each row's base time)."""
    ok = T.data < base[rows_of]
    g, j, t = rows_of[ok], T.indices[ok], T.data[ok]
    order = np.lexsort((t, g))
    g, j, t = g[order], j[order], t[order]
    n = np.bincount(g, minlength=len(base))
    start = np.r_[0, np.cumsum(n)[:-1]]
    first_time = base.astype(float).copy()
    first_time[n > 0] = t[start[n > 0]]
    return YearArcs(g, j.astype(np.int64), t, base.astype(float), first_time, start)


def pieces(arcs: YearArcs, w: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For site values ``x`` (one year), every row's binding level time ``D*`` and value ``f_g(x)`` (weight ×
    seconds)."""
    G = len(arcs.base)
    xs = x[arcs.j]
    cum = np.cumsum(xs)
    before = np.r_[0.0, cum][arcs.start]
    reached = (cum - before[arcs.g]) >= 1 - 1e-9
    first = np.full(G, len(arcs.g))
    np.minimum.at(first, arcs.g[reached], np.flatnonzero(reached))
    d_star = arcs.base.copy()
    has = first < len(arcs.g)
    d_star[has] = arcs.t[first[has]]
    gain = np.maximum(0.0, d_star[arcs.g] - arcs.t) * xs
    return d_star, w * (d_star - np.bincount(arcs.g, weights=gain, minlength=G))


class BendersPMedian:
    """Exact solve of a :class:`~svcov.siting.allocation.PMedian` (see the module docstring)."""

    def __init__(self, model, start: float, time_limit_s: float, gap: float, threads):
        self.m, self.start, self.limit, self.gap, self.threads = model, start, time_limit_s, gap, threads
        J, Y = model.n_candidates, model.plan.n_years
        self.arcs = [year_arcs(model.T, model._rows_of, model.B[:, y]) for y in range(Y)]
        self.G = model.T.shape[0]
        self.best, self.best_value = None, np.inf
        self.bound = model.trivial_bound()
        self.nodes = self.cut_rounds = self.n_cuts = 0
        self.solver_s = 0.0
        self.build_s = 0.0
        self.notes: list[str] = []
        self.n_sites = J * Y
        self.n_fixed = self.n_dropped = self.n_dominated = 0
        t0 = time.perf_counter()
        self.builder = self._master()
        self.build_s = time.perf_counter() - t0

    # --- the master relaxation --------------------------------------------------------------------------------

    def _master(self) -> MipBuilder:
        m, Y = self.m, self.m.plan.n_years
        b = MipBuilder(sense="min")
        self.o = m._add_sites(b)
        self.theta = []
        offset = 0.0
        for y, arcs in enumerate(self.arcs):
            self.theta.append(b.add_cols(self.G, cost=1.0 / 60.0, lb=m.w * arcs.first_time, ub=np.inf))
            offset += (m.const[y] - float((m.w * m.B[:, y]).sum())) / 60.0
        b.offset = offset
        self.Y = Y
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        set_threads(h, self.threads)
        cost, lb, ub, _ = b.column_arrays()
        rlo, rhi = b.row_bounds()
        a = b.matrix()
        a.sort_indices()
        import highspy

        h.passModel(b.n_cols, b.n_rows, int(a.nnz), int(highspy.MatrixFormat.kRowwise),
                    int(highspy.ObjSense.kMinimize), float(b.offset), cost, lb, ub, rlo, rhi,
                    a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(float),
                    np.zeros(b.n_cols, dtype=np.int32))
        self.h, self.lb0, self.ub0 = h, lb[:self.n_sites].copy(), ub[:self.n_sites].copy()
        return b

    def _add_cuts(self, x: np.ndarray) -> int:
        """Add the violated pieces at ``x`` (all columns); returns how many."""
        m, J, added = self.m, self.m.n_candidates, 0
        for y, arcs in enumerate(self.arcs):
            sites = x[self.o + y * J:self.o + (y + 1) * J]
            theta = x[self.theta[y]:self.theta[y] + self.G]
            d_star, value = pieces(arcs, m.w, sites)
            viol = value - theta > CUT_TOLERANCE * np.maximum(value, 1.0)
            rows = np.flatnonzero(viol)
            if len(rows):
                self._write(arcs, rows, d_star, y)
                added += len(rows)
        self.n_cuts += added
        return added

    def _write(self, arcs: YearArcs, rows: np.ndarray, d_star: np.ndarray, y: int) -> None:
        import highspy

        w, J = self.m.w, self.m.n_candidates
        mark = np.zeros(self.G, dtype=bool)
        mark[rows] = True
        sel = mark[arcs.g] & (arcs.t < d_star[arcs.g])
        g, j, coef = arcs.g[sel], arcs.j[sel], (w[arcs.g[sel]] * (d_star[arcs.g[sel]] - arcs.t[sel]))
        local = np.full(self.G, -1, dtype=np.int64)
        local[rows] = np.arange(len(rows))
        count = np.bincount(local[g], minlength=len(rows)) + 1
        starts = np.r_[0, np.cumsum(count)[:-1]]
        index = np.empty(int(count.sum()), dtype=np.int32)
        value = np.empty(int(count.sum()))
        index[starts] = self.theta[y] + rows
        value[starts] = 1.0
        rest = np.ones(len(index), dtype=bool)
        rest[starts] = False
        order = np.argsort(local[g], kind="stable")
        index[rest] = (self.o + y * J + j[order]).astype(np.int32)
        value[rest] = coef[order]
        self.h.addRows(len(rows), w[rows] * d_star[rows], np.full(len(rows), highspy.kHighsInf),
                       len(index), starts.astype(np.int32), index, value)

    def relax(self, lo: np.ndarray, hi: np.ndarray):
        """The node relaxation with site bounds ``lo``/``hi``: (status, bound, column values or None)."""
        import highspy

        h = self.h
        h.changeColsBounds(self.n_sites, np.arange(self.n_sites, dtype=np.int32), lo, hi)
        x = None
        for _ in range(MAX_CUT_ROUNDS):
            h.setOptionValue("time_limit", h.getRunTime() + max(0.0, self.left()))
            t0 = time.perf_counter()
            h.run()
            self.solver_s += time.perf_counter() - t0
            self.cut_rounds += 1
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return "infeasible", np.inf, None
            if status != highspy.HighsModelStatus.kOptimal:
                return "time_limit", -np.inf, None
            x = np.asarray(h.getSolution().col_value, dtype=float)
            if self._add_cuts(x) == 0:
                return "optimal", float(h.getInfo().objective_function_value), x
        return "optimal", float(h.getInfo().objective_function_value), x

    def size(self):
        """The master as solved last (rows include the cuts), for the diagnostics."""
        from types import SimpleNamespace

        h = self.h
        return SimpleNamespace(n_rows=int(h.getNumRow()), n_cols=int(h.getNumCol()), n_nonzeros=int(h.getNumNz()))

    # --- incumbents ------------------------------------------------------------------------------------------

    def left(self) -> float:
        return self.limit - (time.perf_counter() - self.start)

    def offer(self, open_year: np.ndarray | None) -> None:
        if open_year is not None and self.m.rules_met(open_year):
            value = float(self.m.evaluate(open_year))
            if value < self.best_value - 1e-12 * max(1.0, abs(value)):
                self.best, self.best_value = open_year.copy(), value

    def _decode(self, x: np.ndarray) -> np.ndarray:
        return self.m._decode(x, self.o)

    def _rounded(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
        """The ``p`` largest site values of a one-year plan without zone rules (inside the node's bounds)."""
        m = self.m
        if not m.simple_plan():
            return None
        sites = x[:self.n_sites] + 2.0 * lo - 2.0 * (hi < 0.5)
        p = int(m.plan.min_new[0])
        out = np.full(m.n_candidates, -1, dtype=np.int64)
        out[np.argsort(-sites, kind="stable")[:p]] = 0
        return out

    def done(self) -> bool:
        return self.best is not None and self.bound >= self.best_value * (1 - self.gap) - 1e-12

    # --- branch and bound ------------------------------------------------------------------------------------

    def _fix_by_reduced_cost(self, value: float, lo: np.ndarray, hi: np.ndarray, x: np.ndarray) -> int:
        """Close sites whose opening alone would lift the node's bound past the incumbent (and open the reverse):
        valid in the node's subtree (at the root: everywhere). Returns how many were fixed."""
        if not np.isfinite(self.best_value):
            return 0
        rc = np.asarray(self.h.getSolution().col_dual, dtype=float)[:self.n_sites]
        sites = x[:self.n_sites]
        limit = self.best_value * (1 - self.gap) + 1e-9 * max(1.0, abs(self.best_value))
        close = (sites < 1e-9) & (value + rc > limit) & (hi > 0.5) & (lo < 0.5)
        open_ = (sites > 1 - 1e-9) & (value - rc > limit) & (lo < 0.5) & (hi > 0.5)
        hi[close] = 0.0
        lo[open_] = 1.0
        return int(close.sum() + open_.sum())

    def _drop_closed(self, hi: np.ndarray) -> None:
        """Forget the pairs of candidates closed everywhere (root fixing): later cuts leave them out (a cut is then
        valid wherever they are closed, i.e. in the whole search) and are cheaper to find and to solve."""
        J = self.m.n_candidates
        for y, arcs in enumerate(self.arcs):
            shut = hi[y * J:(y + 1) * J] < 0.5
            if not shut.any():
                continue
            keep = ~shut[arcs.j]
            g, j, t = arcs.g[keep], arcs.j[keep], arcs.t[keep]
            n = np.bincount(g, minlength=len(arcs.base))
            self.arcs[y] = YearArcs(g, j, t, arcs.base, arcs.first_time, np.r_[0, np.cumsum(n)[:-1]])

    def _drop_slack_cuts(self) -> None:
        """Delete the cuts that are slack at the root's solution (they are found again if a node needs them)."""
        h = self.h
        first = self.builder.n_rows
        values = np.asarray(h.getSolution().row_value, dtype=float)[first:]
        lower = np.asarray(h.getLp().row_lower_, dtype=float)[first:]
        slack = np.flatnonzero(values - lower > 1e-6 * np.maximum(1.0, np.abs(lower)))
        if len(slack):
            h.deleteRows(len(slack), (first + slack).astype(np.int32))
            self.n_dropped = len(slack)

    def _branch_column(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> int | None:
        sites = x[:self.n_sites]
        frac = np.abs(sites - np.round(sites))
        frac[(lo == hi)] = 0.0
        k = int(np.argmax(frac))
        return k if frac[k] > 1e-6 else None

    def _cutoff(self) -> float:
        return self.best_value * (1 - self.gap) - 1e-12

    def _node(self, node) -> tuple | None:
        """Solve (if needed) and branch one node: returns its children ``(up, down)``, or None if it is pruned or
        integral, or ``"stop"`` if the time ran out (the node is then put back)."""
        value, _, lo, hi, x = node
        if x is None:
            status, found, x = self.relax(lo, hi)
            if status == "time_limit":
                return "stop"
            if status != "optimal" or found >= self._cutoff():
                return None
            value = found
        self.nodes += 1
        self.offer(self._rounded(x, lo, hi))
        lo, hi = lo.copy(), hi.copy()
        self._fix_by_reduced_cost(value, lo, hi, x)
        k = self._branch_column(x, lo, hi)
        if k is None:
            self.offer(self._decode(x))
            return None
        children = []
        for side in (1.0, 0.0):
            clo, chi = lo.copy(), hi.copy()
            clo[k] = chi[k] = side
            children.append((value, 0, clo, chi, None))
        return tuple(children)

    def _search(self, root) -> None:
        """Best bound first, plunging down the "open" branch of each node (its relaxation starts from the
        parent's basis, so it is re-solved in few iterations)."""
        heap, counter, current = [root], 1, None
        while (current is not None or heap) and not self.done() and self.left() > 0:
            if current is None:
                node = heapq.heappop(heap)
                self.bound = max(self.bound, min(node[0], self.best_value))
            else:
                node, current = current, None
            if node[0] >= self._cutoff():
                continue
            out = self._node(node)
            if out == "stop":
                heapq.heappush(heap, node)
                break
            if out is None:
                continue
            up, down = out
            heapq.heappush(heap, (down[0], counter, *down[2:]))
            counter += 1
            current = (up[0], counter, *up[2:])
            counter += 1
        left = [v for v, *_ in heap] + ([current[0]] if current is not None else [])
        if left and not self.done():
            self.bound = max(self.bound, min(min(left), self.best_value))
        elif not left and np.isfinite(self.best_value):
            self.bound = max(self.bound, self.best_value)

    def solve(self, initial: np.ndarray | None) -> None:
        """Branch and bound until proven within the gap or out of time (sets ``best``, ``best_value``, ``bound``)."""
        self.offer(initial)
        if initial is not None:
            x0 = np.zeros(self.builder.n_cols)
            x0[:self.n_sites] = np.concatenate([self.m.open_mask(initial, y) for y in range(self.Y)])
            self._add_cuts(x0)
        lo, hi = self.lb0.copy(), self.ub0.copy()
        dominated = self.m.dominated_candidates()
        self.n_dominated = int(dominated.sum())
        hi[np.tile(dominated, self.Y) & (lo < 0.5)] = 0.0
        self._drop_closed(hi)
        status, value, x = self.relax(lo, hi)
        if status == "infeasible":
            self.m._raise_if_infeasible("HiGHS 判定模型无解 (线性松弛): " + self.m._infeasible_hint())
        if x is None:
            return
        self.offer(self._rounded(x, lo, hi))
        self.bound = max(self.bound, min(value, self.best_value))
        self.n_fixed = self._fix_by_reduced_cost(value, lo, hi, x)
        self._drop_closed(hi)
        self._drop_slack_cuts()
        self._search((value, 0, lo, hi, x))
        self.notes.append(f"分支定界 {self.nodes} 个节点, 割平面 {self.n_cuts} 条 ({self.cut_rounds} 次线性松弛), "
                          f"去掉被支配的候选点 {self.n_dominated} 个, 按降低成本固定 {self.n_fixed} 个 (branch and bound: "
                          f"{self.nodes} nodes, {self.n_cuts} cuts, {self.n_dominated} dominated candidates)")
