"""Benchmark of the siting models, each against named baselines measured in the same run (the machines are shared
and noisy: compare the ratios, not the seconds).

Tables
------
1. **p-median** (``--only pmedian``): random connected graphs (synthetic) of n = 100 … 900 nodes, 2n to 20n edges
   (a random spanning tree plus random edges), integer edge costs 1-100, all-pairs shortest paths (scipy), every
   node both demand and candidate, unit weights; p from 5 to n/3 (five per size). svcov's exact p-median (radius
   formulation projected onto the sites, branch and bound; :mod:`svcov.siting.radius`) against the current
   formulation before issue 13 (``formulation="assignment"``: one variable per demand × candidate pair, HiGHS) and
   spopt's ``PMedian`` (pulp + CBC) on the instances it can build (n ≤ ``--spopt-max-n``). Target: every instance
   proven optimal (gap ≤ 0.01 %) within 60 s. Then the Songjiang instance (below) with k = 18, and the default
   phased plan (6 + 6 + 6 with the 街镇 rules).
2. **MCLP** (``--only mclp``): the Songjiang instance and a synthetic 20,000 × 2,000 instance, svcov against spopt's
   ``MCLP`` (pulp + CBC) on the same cost matrix: the same objective, and the ratio of the times.
3. **LSCP** (``--only lscp``): random instances (synthetic: uniform points in a square, 200 demand × 30 candidates
   and 20 × 10; radius between the largest nearest-candidate distance and 1.5 times it; weights whole numbers,
   fractional and ones) with ``target_share = 1``: svcov against spopt's ``LSCP`` (pulp + CBC) — the same number of
   sites — and, for the small ones, brute force over all subsets.

The Songjiang instance is the bundled default: the estimated 0-3 surface (9,645 cells of 250 m), the configured
candidates (OSM community centres and residential compounds, a 1 km grid, 300 m spacing) and the 45 existing
facilities of the group ``inclusive_childcare``; times are straight-line distance × 1.3 / 4 km/h (the access
stage's fallback without a road network), built as a dense matrix.

Usage::

    python benchmarks/bench_siting.py                      # everything (the spopt MCLP on 20k × 2k: ~10 min)
    python benchmarks/bench_siting.py --only pmedian
    python benchmarks/bench_siting.py --skip-spopt          # svcov and its own baselines only
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path
from scipy.spatial.distance import cdist

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "coverage"))

from svcov.siting.allocation import PMedian  # noqa: E402
from svcov.siting.models import MaximalCovering, SetCovering  # noqa: E402

WALK_MPS = 4.0 / 3.6
CIRCUITY = 1.3
THRESHOLD_S = 15 * 60.0
LIMIT_S = 60.0


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


def times_s(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cdist(a, b) * CIRCUITY / WALK_MPS


def xy(frame) -> np.ndarray:
    return np.c_[frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()]


# --- instances ----------------------------------------------------------------------------------------------


def random_graph(n: int, edges: int, seed: int) -> np.ndarray:
    """All-pairs shortest path lengths of a random connected graph (synthetic): a random spanning tree plus random
    edges up to ``edges``, integer costs 1-100."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    a, b = order[1:], order[rng.integers(0, np.arange(1, n))]
    extra = edges - (n - 1)
    u, v = rng.integers(0, n, 2 * extra), rng.integers(0, n, 2 * extra)
    keep = u != v
    rows, cols = np.r_[a, u[keep][:extra]], np.r_[b, v[keep][:extra]]
    costs = rng.integers(1, 101, len(rows)).astype(float)
    graph = sp.coo_array((costs, (rows, cols)), shape=(n, n)).tocsr()
    return shortest_path(graph, directed=False)


def pmedian_instances():
    """(n, edges, p, seed) for n = 100 … 900: p in {5, 10, n/10, n/5, n/3}, edge counts cycling 2n, 5n, 10n, 20n."""
    out = []
    for n in range(100, 1000, 100):
        for i, p in enumerate(sorted({5, 10, n // 10, n // 5, n // 3})):
            factor = (2, 5, 10, 20)[(i + n // 100) % 4]
            out.append((n, factor * n, p, n * 1000 + p))
    return out


def songjiang():
    """Matrices of the bundled default, plus what the phased run needs."""
    from svcov.config import default_config_path, load_config
    from svcov.pipeline import load_inputs
    from svcov.siting.candidates import build_candidates
    from svcov.siting.stage import _rules, existing_facilities, siting_plan

    config = load_config(default_config_path())
    inputs = load_inputs(config)
    s = config.siting
    existing, _ = existing_facilities(config, inputs.facilities)
    cands = build_candidates(inputs.boundaries, s.candidates, type_key=s.facility_type,
                             facility_types=config.facility_types, demand=inputs.demand, existing=existing,
                             min_spacing_m=s.min_spacing_m)
    d = xy(inputs.demand)
    inst = dict(name="songjiang", cost=times_s(d, xy(cands)), exist=times_s(d, xy(existing)),
                weights=inputs.demand[config.served_group.key].to_numpy(), k=18)
    rules = _rules(config, inputs.boundaries, inputs.facilities, None, "普惠性托育点")
    phased = dict(plan=siting_plan(config, model="mclp"), rules=rules,
                  zones=cands["jiezhen_code"].astype(str).to_numpy(),
                  demand_zones=inputs.demand["jiezhen_code"].astype(str).to_numpy())
    return inst, phased


def synthetic(n_demand=20_000, n_cand=2_000, n_exist=150, seed=0, size_m=24_000.0, block_m=150.0):
    """Synthetic street-like instance: 300 neighbourhood centres, points around them on a 150 m street grid."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, size_m, (300, 2))

    def points(n, sigma):
        p = np.clip(centres[rng.integers(0, len(centres), n)] + rng.normal(0, sigma, (n, 2)), 0, size_m)
        axis = rng.integers(0, 2, n)
        p[np.arange(n), axis] = np.round(p[np.arange(n), axis] / block_m) * block_m
        return p

    d, c, e = points(n_demand, 800), points(n_cand, 1500), points(n_exist, 1500)
    w = rng.gamma(2.0, 3.0, n_demand)
    return dict(name="synthetic", cost=times_s(d, c), exist=times_s(d, e), weights=w, k=50)


# --- p-median ----------------------------------------------------------------------------------------------


def svcov_pmedian(cost, weights, p, formulation, exist=None, limit=LIMIT_S, max_time_s=None, **kw):
    start = time.perf_counter()
    model = PMedian.from_cost_matrix(cost, weights, k=p, existing_cost_s=exist, formulation=formulation,
                                     max_time_s=max_time_s if max_time_s is not None else float(cost.max()) + 1,
                                     **kw)
    model.solve(time_limit_s=limit)
    return model.result_, time.perf_counter() - start


def spopt_pmedian(cost, p, limit=LIMIT_S):
    import pulp
    from spopt.locate import PMedian as SpoptPMedian

    start = time.perf_counter()
    model = SpoptPMedian.from_cost_matrix(cost, np.ones(len(cost)), p_facilities=p)
    try:
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=limit), results=False)
    except RuntimeError:  # spopt raises when CBC stops without a solution
        return float("nan"), f"no solution in {limit:.0f} s", time.perf_counter() - start
    status = pulp.LpStatus[model.problem.status]
    value = pulp.value(model.problem.objective)
    return float("nan" if value is None else value), status, time.perf_counter() - start


def pmedian_table(with_spopt: bool, spopt_max_n: int, compare_assignment: bool) -> None:
    print(f"\n## p-median on random graphs (synthetic), unit weights; time limit {LIMIT_S:.0f} s; load {load()}")
    print("| n | edges | p | radius: s | status | gap | objective | assignment: s | status | gap | ratio "
          "| spopt (CBC): s | objective | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst, all_proven = 0.0, True
    for n, edges, p, seed in pmedian_instances():
        d = random_graph(n, edges, seed)
        r, t = svcov_pmedian(d, np.ones(n), p, "radius")
        objective = r.objective * 60  # PMedian reports child-minutes; the graph's costs are "seconds"
        worst = max(worst, t)
        all_proven &= r.status == "optimal" and r.gap <= 1e-4 and t <= LIMIT_S
        cells = [str(n), str(edges), str(p), f"{t:.1f}", r.status, f"{r.gap:.2e}", f"{objective:,.0f}"]
        if compare_assignment:
            a, ta = svcov_pmedian(d, np.ones(n), p, "assignment")
            worse = (a.objective - r.objective) / r.objective
            cells += [f"{ta:.1f}", a.status + (f" (+{worse:.2%})" if worse > 1e-9 else ""), f"{a.gap:.2e}",
                      f"{ta / t:.1f}×"]
        else:
            cells += ["—"] * 4
        if with_spopt and n <= spopt_max_n:
            so, status, ts = spopt_pmedian(d, p)
            if not np.isfinite(so):
                cells += [f"{ts:.1f}", status, "—"]
            else:
                same = abs(so - objective) <= 1e-6 * objective
                cells += [f"{ts:.1f}", f"{so:,.0f}" + ("" if same else f" ({status}; NOT equal)"), f"{ts / t:.1f}×"]
        else:
            cells += ["—"] * 3
        print("| " + " | ".join(cells) + " |", flush=True)
    print(f"\nall proven optimal (gap ≤ 0.01 %) within {LIMIT_S:.0f} s: {'yes' if all_proven else 'NO'}; "
          f"slowest {worst:.1f} s; load {load()}")


def pmedian_songjiang(inst, phased, compare_assignment: bool) -> None:
    print(f"\n## p-median on the Songjiang instance (load {load()})")
    n, J = inst["cost"].shape
    cap = 2 * THRESHOLD_S
    args = dict(exist=inst["exist"], max_time_s=cap)
    for formulation in ("radius", "assignment") if compare_assignment else ("radius",):
        r, t = svcov_pmedian(inst["cost"], inst["weights"], inst["k"], formulation, **args)
        print(f"  {formulation}: k = {inst['k']}, {n:,} demand × {J:,} candidates (+{inst['exist'].shape[1]} "
              f"existing), times capped at {cap / 60:.0f} min: {t:.1f} s, {r.status}, objective {r.objective:,.2f} "
              f"child-minutes, bound {r.best_bound:,.2f}, gap {r.gap:.2e}; {r.note_zh}", flush=True)
    start = time.perf_counter()
    model = PMedian.from_cost_matrix(inst["cost"], inst["weights"], plan=phased["plan"], rules=phased["rules"],
                                     candidate_zones=phased["zones"], existing_cost_s=inst["exist"],
                                     max_time_s=cap).solve(time_limit_s=LIMIT_S)
    r = model.result_
    print(f"  radius, default phased plan ({'+'.join(map(str, phased['plan'].min_new))} in {phased['plan'].label()}, "
          f"{len(phased['rules'].min_sites)} 街镇 need a site): {time.perf_counter() - start:.1f} s, {r.status}, "
          f"objective {r.objective:,.2f}, gap {r.gap:.2e}; {r.note_zh}", flush=True)


# --- MCLP --------------------------------------------------------------------------------------------------


def run_mclp(inst, method="mip"):
    start = time.perf_counter()
    model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=THRESHOLD_S, k=inst["k"],
                                             existing_cost_s=inst["exist"])
    model.solve(method=method, time_limit_s=600)
    return model, time.perf_counter() - start


def spopt_mclp(inst):
    import pulp
    from spopt.locate import MCLP

    matrix = np.c_[inst["cost"], inst["exist"]]
    predefined = np.r_[np.zeros(inst["cost"].shape[1]), np.ones(inst["exist"].shape[1])].astype(int)
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(matrix, inst["weights"], service_radius=THRESHOLD_S,
                                  p_facilities=inst["k"] + inst["exist"].shape[1],
                                  predefined_facilities_arr=predefined)
    built = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    done = time.perf_counter()
    return float(pulp.value(model.problem.objective)), done - start, built - start, done - built


def mclp_report(inst, with_spopt: bool) -> None:
    n, J = inst["cost"].shape
    print(f"\n## MCLP [{inst['name']}] {n:,} demand × {J:,} candidates (+{inst['exist'].shape[1]} existing fixed), "
          f"k = {inst['k']}, 15 min at 4 km/h, straight-line × {CIRCUITY}; load {load()}", flush=True)
    model, total = run_mclp(inst)
    r = model.result_
    print(f"  svcov MCLP (HiGHS): {total:.2f} s end to end (HiGHS {r.solver_time_s:.2f} s); objective "
          f"{r.objective:,.4f}, bound {r.best_bound:,.4f}, gap {r.gap:.4%}, status {r.status}; demand rows "
          f"{r.n_demand_in_model:,} → {r.n_demand_merged:,} merged; model {r.n_rows:,} rows × {r.n_cols:,} columns",
          flush=True)
    heur, htotal = run_mclp(inst, method="heuristic")
    h = heur.result_
    print(f"  svcov greedy + swap: {htotal:.2f} s; objective {h.objective:,.4f}, LP bound {h.best_bound:,.4f}, gap "
          f"{h.gap:.4%} ({100 * (r.objective - h.objective) / r.objective:.4f} % below the optimum)", flush=True)
    if with_spopt:
        objective, stotal, sbuild, ssolve = spopt_mclp(inst)
        same = abs(objective - r.objective) <= 1e-6 * max(1.0, abs(objective))
        print(f"  spopt MCLP (pulp + CBC): {stotal:.2f} s end to end (build {sbuild:.2f} s, solve {ssolve:.2f} s); "
              f"objective {objective:,.4f}", flush=True)
        print(f"  same objective: {'yes' if same else 'NO'} (Δ = {r.objective - objective:+.6f}); time ratio spopt "
              f"/ svcov = {stotal / total:.1f}×", flush=True)


def mclp_phased(inst, phased) -> None:
    for phasing in ("efficiency", "equity"):
        start = time.perf_counter()
        model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=THRESHOLD_S,
                                                 existing_cost_s=inst["exist"], plan=phased["plan"],
                                                 rules=phased["rules"], candidate_zones=phased["zones"],
                                                 demand_zones=phased["demand_zones"], phasing=phasing)
        model.solve(time_limit_s=LIMIT_S)
        r = model.result_
        shares = model.zone_shares(model.open_year_)
        print(f"  svcov default plan, phasing {phasing}: {time.perf_counter() - start:.2f} s, {r.status}, gap "
              f"{r.gap:.2e}; children covered by year "
              + ", ".join(f"{v:,.0f}" for v in model.coverage_by_year(model.open_year_))
              + "; lowest 街镇 share by year " + ", ".join(f"{np.nanmin(shares[:, y]):.1%}" for y in
                                                        range(shares.shape[1])), flush=True)


# --- LSCP --------------------------------------------------------------------------------------------------


def lscp_instances():
    """(name, cost, weights, radius) of random synthetic instances."""
    out = []
    for size, seeds in (((200, 30), range(8)), ((20, 10), range(24))):
        n, J = size
        for seed in seeds:
            rng = np.random.default_rng(seed)
            d, c = rng.uniform(0, 10, (n, 2)), rng.uniform(0, 10, (J, 2))
            cost = cdist(d, c)
            radius = float(np.sort(cost, axis=1)[:, 0].max() * rng.uniform(1.0, 1.5))
            kind = ("whole", "fractional", "ones")[seed % 3]
            w = {"whole": rng.integers(1, 50, n).astype(float), "fractional": rng.uniform(0.1, 10, n),
                 "ones": np.ones(n)}[kind]
            out.append((f"{n}×{J} #{seed} ({kind})", cost, w, radius))
    return out


def brute_force_cover(cost, radius) -> int:
    cover = cost <= radius
    J = cover.shape[1]
    for k in range(1, J + 1):
        for chosen in itertools.combinations(range(J), k):
            if cover[:, chosen].any(axis=1).all():
                return k
    return -1


def spopt_lscp(cost, radius) -> int:
    import pulp
    from spopt.locate import LSCP

    model = LSCP.from_cost_matrix(cost, service_radius=radius)
    model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    return int(round(pulp.value(model.problem.objective)))


def lscp_table(with_spopt: bool) -> None:
    print(f"\n## LSCP, target_share = 1 (every child within the radius), random instances (synthetic); load {load()}")
    print("| instance | svcov sites | status | s | spopt (CBC) sites | brute force | same |")
    print("|---|---|---|---|---|---|---|")
    agree = total = 0
    for name, cost, w, radius in lscp_instances():
        start = time.perf_counter()
        model = SetCovering.from_cost_matrix(cost, w, threshold_s=radius, target_share=1.0).solve()
        t = time.perf_counter() - start
        ours = int(model.objective_)
        theirs = spopt_lscp(cost, radius) if with_spopt else None
        brute = brute_force_cover(cost, radius) if cost.shape[1] <= 10 else None
        same = all(v is None or v == ours for v in (theirs, brute))
        agree += same
        total += 1
        print(f"| {name} | {ours} | {model.result_.status} | {t:.2f} | {'—' if theirs is None else theirs} | "
              f"{'—' if brute is None else brute} | {'yes' if same else 'NO'} |", flush=True)
    print(f"\nsame number of sites on {agree} of {total} instances")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-spopt", action="store_true", help="do not run spopt (pulp + CBC)")
    parser.add_argument("--skip-assignment", action="store_true", help="do not run the assignment formulation")
    parser.add_argument("--skip-synthetic-mclp", action="store_true", help="no 20,000 × 2,000 MCLP instance")
    parser.add_argument("--spopt-max-n", type=int, default=300, help="largest graph given to spopt's PMedian")
    parser.add_argument("--only", choices=["pmedian", "mclp", "lscp"], help="run one table")
    args = parser.parse_args()
    print(f"bench_siting: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load()}, "
          f"python {platform.python_version()}", flush=True)
    spopt = not args.skip_spopt
    if args.only in (None, "pmedian", "mclp"):
        inst, phased = songjiang()
    if args.only in (None, "pmedian"):
        pmedian_table(spopt, args.spopt_max_n, not args.skip_assignment)
        pmedian_songjiang(inst, phased, not args.skip_assignment)
    if args.only in (None, "mclp"):
        mclp_report(inst, spopt)
        mclp_phased(inst, phased)
        if not args.skip_synthetic_mclp:
            mclp_report(synthetic(), spopt)
    if args.only in (None, "lscp"):
        lscp_table(spopt)
    print(f"\ndone; load {load()}")


if __name__ == "__main__":
    main()
