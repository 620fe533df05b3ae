"""Benchmark of the siting models: svcov (HiGHS, vectorised model building, merged demand) against spopt's MCLP
(pulp + CBC) on the same cost matrix, in the same run.

Instances
---------
- ``songjiang``: the bundled default: the estimated 0-3 surface (9,645 cells of 250 m), the configured candidates
  (OSM community centres and residential compounds, a 1 km grid, 300 m spacing) and the 45 existing facilities of
  the group ``inclusive_childcare``. Times are straight-line distance × 1.3 / 4 km/h (the fallback of the access
  stage without a road network), built directly as a dense matrix. Plain MCLP with k = 18 new sites (the plan's
  6 + 6 + 6), existing facilities fixed (spopt: ``predefined_facilities_arr``); then the default phased plan with
  the 街镇 rules, which spopt cannot express.
- ``synthetic``: 20,000 demand points × 2,000 candidates (+ 150 existing) in a 24 km × 24 km square: 300
  neighbourhood centres drawn uniformly, points drawn around them (σ 800 m for demand, 1,500 m for candidates and
  existing) and moved onto a 150 m street grid along one axis ("street-like"); children per point ~ Gamma(2, 3);
  Euclidean times × 1.3 at 4 km/h; 15-minute threshold; k = 50.

Targets (issue 5): the same optimal objective as spopt; at least 20× faster end to end (model building included);
proven optimal (gap ≤ 0.01 %) on the synthetic instance in under 60 s.

Usage::

    python benchmarks/bench_siting.py                # both instances, with spopt (synthetic spopt run: ~10 min)
    python benchmarks/bench_siting.py --skip-spopt   # svcov only
    python benchmarks/bench_siting.py --only songjiang
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from svcov.siting.models import MaximalCovering  # noqa: E402

WALK_MPS = 4.0 / 3.6
CIRCUITY = 1.3
THRESHOLD_S = 15 * 60.0


def times_s(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cdist(a, b) * CIRCUITY / WALK_MPS


def xy(frame) -> np.ndarray:
    return np.c_[frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()]


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
                  zones=cands["jiezhen_code"].astype(str).to_numpy())
    return inst, phased


def synthetic(n_demand=20_000, n_cand=2_000, n_exist=150, seed=0, size_m=24_000.0, block_m=150.0):
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


def run_svcov(inst, method="mip"):
    start = time.perf_counter()
    model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=THRESHOLD_S, k=inst["k"],
                                             existing_cost_s=inst["exist"])
    model.solve(method=method, time_limit_s=600)
    return model, time.perf_counter() - start


def run_spopt(inst):
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


def report(inst, with_spopt: bool) -> None:
    n, J = inst["cost"].shape
    print(f"[{inst['name']}] {n:,} demand × {J:,} candidates (+{inst['exist'].shape[1]} existing fixed), "
          f"k = {inst['k']}, 15 min at 4 km/h, straight-line × {CIRCUITY}", flush=True)
    model, total = run_svcov(inst)
    r = model.result_
    print(f"  svcov MCLP (HiGHS): {total:.2f} s end to end (model building: threshold, reduction, merging, arrays "
          f"{total - r.solver_time_s:.2f} s; HiGHS {r.solver_time_s:.2f} s); objective {r.objective:,.4f}, bound "
          f"{r.best_bound:,.4f}, gap {r.gap:.4%}, status {r.status}; demand rows {r.n_demand_in_model:,} → "
          f"{r.n_demand_merged:,} merged, pairs {r.n_coverage_nonzeros:,} → {r.n_coverage_nonzeros_merged:,}; model "
          f"{r.n_rows:,} rows × {r.n_cols:,} columns, {r.n_nonzeros:,} non-zeros", flush=True)
    heur, htotal = run_svcov(inst, method="heuristic")
    h = heur.result_
    print(f"  svcov greedy + swap: {htotal:.2f} s; objective {h.objective:,.4f}, LP bound {h.best_bound:,.4f}, gap "
          f"{h.gap:.4%} (optimum {r.objective:,.4f}: {100 * (r.objective - h.objective) / r.objective:.4f}% below)",
          flush=True)
    if with_spopt:
        objective, stotal, sbuild, ssolve = run_spopt(inst)
        same = abs(objective - r.objective) <= 1e-6 * max(1.0, abs(objective))
        print(f"  spopt MCLP (pulp + CBC): {stotal:.2f} s end to end (build {sbuild:.2f} s, solve {ssolve:.2f} s); "
              f"objective {objective:,.4f}", flush=True)
        print(f"  same objective: {'yes' if same else 'NO'} (Δ = {r.objective - objective:+.6f}); svcov is "
              f"{stotal / total:.0f}× faster end to end", flush=True)


def report_phased(inst, phased) -> None:
    start = time.perf_counter()
    model = MaximalCovering.from_cost_matrix(inst["cost"], inst["weights"], threshold_s=THRESHOLD_S,
                                             existing_cost_s=inst["exist"], plan=phased["plan"], rules=phased["rules"],
                                             candidate_zones=phased["zones"]).solve(time_limit_s=60)
    r = model.result_
    zones = len(set(model.selected_["zone"]))
    print(f"  svcov default plan ({'+'.join(map(str, phased['plan'].min_new))} sites in {phased['plan'].label()}, "
          f"every 街镇 without a 普惠性托育点 gets one: {len(phased['rules'].min_sites)} 街镇): "
          f"{time.perf_counter() - start:.2f} s, objective {r.objective:,.1f}, gap {r.gap:.4%}, status {r.status}; "
          f"sites in {zones} 街镇; coverage by year "
          + ", ".join(f"{v / inst['weights'].sum():.1%}" for v in model.coverage_by_year(model.open_year_)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-spopt", action="store_true", help="do not run spopt (pulp + CBC)")
    parser.add_argument("--only", choices=["songjiang", "synthetic"], help="run one instance")
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    print(f"bench_siting: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load[0]}, "
          f"python {platform.python_version()}", flush=True)
    if args.only in (None, "songjiang"):
        inst, phased = songjiang()
        report(inst, not args.skip_spopt)
        report_phased(inst, phased)
    if args.only in (None, "synthetic"):
        report(synthetic(), not args.skip_spopt)


if __name__ == "__main__":
    main()
