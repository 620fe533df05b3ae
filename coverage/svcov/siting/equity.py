"""Equity in phasing (``siting.phasing: equity``): the worst-served 街镇 first, solved lexicographically.

The efficiency phasing of :class:`~svcov.siting.models.MaximalCovering` maximises the children covered summed over
the plan years; it puts early sites where many children are uncovered, so a town at 0 % can wait until the last
year. The equity phasing solves two exact models in turn:

1. **No 街镇 left at 0 % for longer than needed.** Minimise the 街镇-years at 0 %: the number of 街镇 (with
   children that some candidate or facility can reach) whose coverage share is 0 in a plan year, summed over the
   years. Every later year keeps the earlier sites, so this brings each such town its first covered children as
   early as the yearly budgets and the zone rules allow.
2. **Then cover the most.** Among the plans with that fewest number, the one covering the most children over the
   plan years (the efficiency objective), so no child is given up unless an earlier first site needs it.

Why not "raise the lowest share" (maximin)? Tried on the bundled Songjiang data, maximin spent a second site of the
first year in the sparsest town for 62 more children (its share from 2.8 % to 5.5 %) while the efficiency plan
covers thousands with it: the lowest share is held down by how scattered a town's children are, not by whether
the town is served. A first site in each town at 0 % is what the plan's 「3个一」 and "15-minute circle in every
街镇" ask for; after that, coverage decides. The lowest 街镇 share of both phasings is reported
(:func:`min_share_by_year`, ``svcov.siting.plan_tables.phasing_comparison``).

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

__all__ = ["solve_equity", "add_zero_zones", "zero_zone_years", "min_share_by_year"]

log = logging.getLogger(__name__)


def add_zero_zones(b: MipBuilder, model, o: int, *, cost: float, lb: float = 0.0) -> tuple[int, int]:
    """Columns ``s[z, y]`` (0-1), ``s ≤ Σ o[j, y]`` over the candidates ``j`` within the threshold of some child
    of zone ``z``, for every zone and year where the zone is at 0 % without new sites (``cost`` on each; ``lb = 1``
    makes each such zone covered). Returns (first column, count)."""
    first, count, J = b.n_cols, 0, model.n_candidates
    for y in range(model.plan.n_years):
        active = np.flatnonzero(~model.P[:, y])
        zones = np.unique(model.group_zone[active])
        zones = zones[(model.zone_const[zones, y] <= 0) & (model.zone_weight[zones] > 0)]
        if len(zones) == 0:
            continue
        local = np.full(len(model.zone_weight), -1, dtype=np.int64)
        local[zones] = np.arange(len(zones))
        rows = active[local[model.group_zone[active]] >= 0]
        sub = model.C[rows].tocoo()
        pairs = np.unique(np.c_[local[model.group_zone[rows[sub.row]]], sub.col], axis=0)
        s = b.add_cols(len(zones), cost=cost, lb=lb, ub=1.0)
        b.add_rows(len(zones), np.r_[np.arange(len(zones)), pairs[:, 0]],
                   np.r_[s + np.arange(len(zones)), o + y * J + pairs[:, 1]],
                   np.r_[np.ones(len(zones)), -np.ones(len(pairs))], hi=0.0)
        count += len(zones)
    return first, count


def zero_zone_years(model, open_year: np.ndarray) -> int:
    """街镇-years at 0 % (zones with children that some candidate or facility reaches)."""
    shares = model.zone_shares(open_year)
    reachable = np.zeros(len(model.zone_weight), dtype=bool)
    reachable[np.unique(model.group_zone)] = True
    reachable |= model.zone_const.max(axis=1) > 0
    return int(np.sum((shares <= 0) & reachable[:, None] & (model.zone_weight[:, None] > 0)))


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
    """The model of stage 1 (``first is None``: the most zone-years served) or of stage 2 (keep at least
    ``first`` of them, cover the most)."""
    b = MipBuilder(sense="max")
    o = model._add_sites(b)
    model._add_cover_rows(b, o, with_cost=first is not None)
    every = first is not None and first >= _fixable(model) - 0.5
    s, n = add_zero_zones(b, model, o, cost=0.0 if first is not None else 1.0, lb=1.0 if every else 0.0)
    if first is not None:
        b.offset = float(model.const.sum())
        if n and not every:
            b.add_rows(1, np.zeros(n), s + np.arange(n), 1.0, lo=first - 0.5)
    return b, o, n


def _fixable(model) -> int:
    """Zone-years at 0 % without new sites that a new site could serve (the most stage 1 can reach)."""
    count = 0
    for y in range(model.plan.n_years):
        zones = np.unique(model.group_zone[~model.P[:, y]])
        count += int(np.sum((model.zone_const[zones, y] <= 0) & (model.zone_weight[zones] > 0)))
    return count


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
    """Both stages; sets ``open_year_``, ``objective_``, ``result_`` and ``equity_`` (stage-1 optimum and status,
    the 街镇-years at 0 %, the lowest share and its 街镇 per year) on ``model``."""
    t0 = time.perf_counter()
    b1, o1, n = _stage(model, first=None)
    # stage 1 gets at most half of the time, so stage 2 always has some
    one = _run(model, b1, o1, start, (t0 - start) + 0.5 * time_limit_s, gap, threads, initial)
    served = float(round(one.objective))
    found = model._decode(one.x, o1)
    built = time.perf_counter()
    b2, o2, _ = _stage(model, first=served)
    two = _run(model, b2, o2, start, time_limit_s, gap, threads, found)
    model.open_year_ = model._decode(two.x, o2)
    model.objective_ = float(model.evaluate(model.open_year_))
    shares, codes = min_share_by_year(model, model.open_year_)
    zero = zero_zone_years(model, model.open_year_)
    model.equity_ = {"zone_years_served": served, "zone_years_at_zero": zero, "stage1_status": one.status,
                     "min_share": shares, "min_zone": codes}
    note = (f"公平优先 (equity): 第一阶段使覆盖率为 0 的「街镇·年」最少 (共 {n} 个可补, 补上 {served:.0f} 个, 余 {zero} 个; "
            f"{one.status}); 第二阶段在此前提下覆盖最多 (lexicographic: fewest 街镇-years at 0 %, then coverage)")
    model.result_ = model._result("mip", two.status, model.objective_, two.bound, np.nan, start, built - t0,
                                  one.time_s + two.time_s, b2, time_limit_s, gap,
                                  note="; ".join([note, *model._notes]))
