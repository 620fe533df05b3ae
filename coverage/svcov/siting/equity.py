"""Equity in phasing (``siting.phasing: equity``): the worst-served 街镇 first, solved lexicographically.

The efficiency phasing of :class:`~svcov.siting.models.MaximalCovering` maximises the children covered summed over
the plan years; it puts early sites where many children are uncovered, so a town at 0 % can wait until the last
year. The equity phasing solves two exact models in turn:

1. **Raise the minimum.** Maximise ``Σ_y m_y``, where ``m_y`` is the lowest coverage share (0-1) of any 街镇 with
   children in plan year ``y``: ``m_y × children(z) ≤ covered(z, y)`` for every 街镇 ``z``. Because every later
   year keeps the earlier sites, the sum rewards raising the minimum early.
2. **Then cover the most.** Among the plans whose minimum shares sum to that optimum, the one covering the most
   children over the plan years (the efficiency objective) — so no child is given up unless the minimum needs it.

Both stages have the same plan budgets and zone rules; the second starts from the first's sites. The reported
objective, bound and gap are the second stage's (children covered, summed over the years); the note gives the
first stage's optimum and status.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from ..errors import InfeasibleError
from .solve import MipBuilder, run_highs

__all__ = ["solve_equity", "add_min_share", "min_share_by_year"]

log = logging.getLogger(__name__)

#: Stage 2 keeps the stage-1 optimum up to this relative slack (solver tolerances).
KEEP_SLACK = 1e-7


def add_min_share(b: MipBuilder, model, blocks, *, cost: float) -> int:
    """Columns ``m_y`` (0-1) with ``m_y × children(z) − covered(z, y) ≤ 0`` for every zone with children; returns
    the first ``m`` column. ``blocks`` are the cover blocks of ``model._add_cover_rows`` (year, groups, first y)."""
    Y = model.plan.n_years
    m = b.add_cols(Y, cost=cost, ub=1.0)
    zones = np.flatnonzero(model.zone_weight > 0)
    local = np.full(len(model.zone_weight), -1, dtype=np.int64)
    local[zones] = np.arange(len(zones))
    by_year = {y: (active, yv) for y, active, yv in blocks}
    for y in range(Y):
        active, yv = by_year.get(y, (np.zeros(0, dtype=np.int64), 0))
        keep = local[model.group_zone[active]] >= 0
        rows = np.r_[np.arange(len(zones)), local[model.group_zone[active[keep]]]]
        cols = np.r_[np.full(len(zones), m + y), yv + np.flatnonzero(keep)]
        vals = np.r_[model.zone_weight[zones], -model.w[active[keep]]]
        b.add_rows(len(zones), rows, cols, vals, hi=model.zone_const[zones, y])
    return m


def min_share_by_year(model, open_year: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The lowest 街镇 share in each plan year and the 街镇 code that has it."""
    shares = model.zone_shares(open_year)
    out, codes = np.full(model.plan.n_years, np.nan), []
    for y in range(model.plan.n_years):
        col = shares[:, y]
        if np.isfinite(col).any():
            z = int(np.nanargmin(col))
            out[y] = col[z]
            codes.append(model.demand_zone_codes[z])
        else:
            codes.append("")
    return out, codes


def _start(model, o: int, open_year: np.ndarray | None):
    if open_year is None:
        return None
    J, Y = model.n_candidates, model.plan.n_years
    return o + np.arange(J * Y), np.concatenate([model.open_mask(open_year, y) for y in range(Y)]).astype(float)


def _stage(model, *, first: float | None):
    """The model of stage 1 (``first is None``) or of stage 2 (keep ``Σ m ≥ first``)."""
    b = MipBuilder(sense="max")
    o = model._add_sites(b)
    blocks = model._add_cover_rows(b, o, with_cost=first is not None)
    m = add_min_share(b, model, blocks, cost=0.0 if first is not None else 1.0)
    if first is not None:
        Y = model.plan.n_years
        b.add_rows(1, np.zeros(Y), m + np.arange(Y), 1.0, lo=first - KEEP_SLACK * max(1.0, abs(first)))
        b.offset = float(model.const.sum())
    return b, o


def _run(model, b, o, start: float, time_limit_s: float, gap: float, threads, initial):
    remaining = max(0.0, time_limit_s - (time.perf_counter() - start))
    out = run_highs(b, time_limit_s=remaining, mip_rel_gap=gap, threads=threads, start=_start(model, o, initial))
    if out.status == "infeasible":
        out = model._second_opinion(b, out, start, time_limit_s, gap, threads, _start(model, o, initial))
    if out.x is None:
        if out.status == "infeasible":
            model._raise_if_infeasible(f"HiGHS 判定模型无解 ({b.n_rows} 行 × {b.n_cols} 列): {model._infeasible_hint()}")
        raise InfeasibleError(f"{time_limit_s:.0f} 秒内没有找到可行解 (status {out.status}); 请增加 time_limit_s "
                              f"(no feasible solution within the time limit)")
    return out


def solve_equity(model, start: float, time_limit_s: float, gap: float, threads, initial=None) -> None:
    """Both stages; sets ``open_year_``, ``objective_``, ``result_`` and ``equity_`` (stage-1 optimum, status, the
    minimum share and its 街镇 per year) on ``model``."""
    t0 = time.perf_counter()
    b1, o1 = _stage(model, first=None)
    # stage 1 gets at most half of the time, so stage 2 always has some
    one = _run(model, b1, o1, start, (t0 - start) + 0.5 * time_limit_s, gap, threads, initial)
    found = model._decode(one.x, o1)
    built = time.perf_counter()
    b2, o2 = _stage(model, first=float(one.objective))
    two = _run(model, b2, o2, start, time_limit_s, gap, threads, found)
    model.open_year_ = model._decode(two.x, o2)
    model.objective_ = float(model.evaluate(model.open_year_))
    shares, codes = min_share_by_year(model, model.open_year_)
    model.equity_ = {"sum_min_share": float(one.objective), "stage1_status": one.status,
                     "stage1_bound": float(one.bound), "min_share": shares, "min_zone": codes}
    note = (f"公平优先 (equity): 第一阶段使各年最低街镇覆盖率之和最大 (= {one.objective:.4f}, {one.status}); "
            f"第二阶段在此前提下覆盖最多 (lexicographic: min 街镇 share first, then coverage)")
    model.result_ = model._result("mip", two.status, model.objective_, two.bound, np.nan, start, built - t0,
                                  one.time_s + two.time_s, b2, time_limit_s, gap,
                                  note="; ".join([note, *model._notes]))
