"""Benchmark of the access engine (svcov.access): nearest-facility times, 15-minute catchments, service areas.

Runs on (a) the real Jing'an OSM street network (tests/data) and (b) a synthetic street-like network of at least
200,000 junctions, each with 500 facilities and 50,000 demand points, and prints, from one run:

- our wall times (the median of 5 calls for nearest, 3 for snapping, the first call included; one call for
  catchments);
- peak memory (the process's peak resident set before any baseline graph is built, and the tracemalloc peak of
  each of our steps);
- the ratio against ``networkx.multi_source_dijkstra_path_length`` on the *same augmented graph* (every facility
  and demand point inserted as a junction where it snaps, access legs as edges), checking that the times agree to
  1e-6 s; and against the osmnx-example approach (one ``networkx.ego_graph`` per facility) for the catchments,
  checking that the reached sets agree;
- pandana's time on the same inputs (it snaps points to the nearest junction, not the nearest edge, so its
  times differ: the mean difference is printed);
- the measured circuity of the Jing'an network (network / straight-line distance, junction pairs 300-1,500 m apart).

Targets (2-core machine): nearest times for 50,000 points incl. snapping < 0.5 s once the graph is built and
≥ 15× faster than networkx multi-source on the same job; 15-minute catchments of 500 facilities < 5 s; peak
memory < 2 GB.

**City scale** (``--city``): ``street_network(1_000_000)``, 5,000 facilities, 200,000 demand points, 15 minutes.
Targets: catchments ≤ 5 s and ≥ 15× scipy's dense bounded Dijkstra (the engine's own scipy backend, timed on a sample
of facilities and scaled — the output says so), identical to it to 1e-6 s; nearest facility ≤ 1 s; dissolved and
per-facility service areas of all 5,000 (5/10/15 minutes) within 60 s; snapping 200,000 points ≤ 1 s; peak memory
≤ 4 GB. Run it on its own (``--city`` skips the district cases) so that the peak memory is the city run's.

    python benchmarks/bench_service_areas.py            # both networks, all baselines (a few minutes)
    python benchmarks/bench_service_areas.py --quick    # 20,000-junction synthetic network, for a smoke test
    python benchmarks/bench_service_areas.py --city     # the city-scale section (about 3 minutes)
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _machine import load_average, peak_rss_mb  # noqa: E402

from svcov.access.engine import NetworkTravelModel  # noqa: E402
from svcov.access.reference import augmented_graph  # noqa: E402
from svcov.access.service_areas import facility_service_areas, service_area  # noqa: E402
from svcov.network.build import travel_time_csr  # noqa: E402
from svcov.network.sources import load_network  # noqa: E402
from svcov.network.synthetic import random_points, street_network  # noqa: E402

CRS = "EPSG:32651"
JINGAN = ROOT / "tests" / "data" / "shanghai_jingan_drive_osm.osm"
CATCHMENT_S = 15 * 60.0


def rss_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    return peak_rss_mb()


def timed(fn, repeat: int = 3):
    """(result of the last call, median wall time over ``repeat`` calls)."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def traced_peak_mb(fn) -> float:
    """tracemalloc peak of one call (MB): Python and NumPy allocations of the step."""
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def line(label: str, value: str) -> None:
    print(f"  {label:<62} {value}")


def ours(model, facilities, demand):
    """Our engine: nearest (snapping included) and 15-minute catchments."""
    nearest, t_nearest = timed(lambda: model.nearest(facilities, demand), repeat=5)
    line("nearest facility for every demand point, snapping included", f"{t_nearest:8.3f} s  (median of 5)")
    snapped_f, snapped_d = model.snap(facilities, "facilities"), model.snap(demand, "demand")
    _, t_snap = timed(lambda: (model.snap(facilities, "f"), model.snap(demand, "d")))
    line(f"  of which snapping {len(facilities):,} + {len(demand):,} points", f"{t_snap:8.3f} s")
    catch, t_catch = timed(lambda: model.catchments(snapped_f, snapped_d, CATCHMENT_S), repeat=1)
    line(f"15-minute catchments of all {len(facilities)} facilities", f"{t_catch:8.3f} s  ({len(catch):,} pairs)")
    mem_nearest = traced_peak_mb(lambda: model.nearest(facilities, demand))
    mem_catch = traced_peak_mb(lambda: model.catchments(snapped_f, snapped_d, CATCHMENT_S))
    line("tracemalloc peak: nearest / catchments", f"{mem_nearest:8.1f} MB / {mem_catch:.1f} MB")
    line("peak resident memory of the process so far", f"{rss_mb():8.1f} MB")
    return nearest["time_s"].to_numpy(), t_nearest, catch, t_catch, snapped_f, snapped_d


def networkx_baselines(model, snapped_f, snapped_d, our_times, t_nearest, catch, t_catch, ego_sample: int):
    """networkx multi-source and one ego_graph per facility, on the same augmented graph."""
    import networkx as nx

    start = time.perf_counter()
    graph = augmented_graph(model, {"src": snapped_f, "tgt": snapped_d})
    line("networkx: build the augmented graph (not in the ratios)",
         f"{time.perf_counter() - start:8.3f} s  ({graph.number_of_nodes():,} nodes)")
    sources = [("p", "src", int(i)) for i in np.flatnonzero(snapped_f.ok)]
    start = time.perf_counter()
    lengths = nx.multi_source_dijkstra_path_length(graph, sources, weight="weight")
    t_nx = time.perf_counter() - start
    ref = np.array([lengths.get(("p", "tgt", j), np.inf) for j in range(len(snapped_d))])
    agree = np.array_equal(np.isinf(ref), np.isinf(our_times))
    diff = float(np.abs(ref[np.isfinite(ref)] - our_times[np.isfinite(ref)]).max()) if np.isfinite(ref).any() else 0
    line("networkx.multi_source_dijkstra_path_length (same job)",
         f"{t_nx:8.3f} s  → ours is {t_nx / t_nearest:.1f}× faster")
    line("  times agree with networkx", f"max |Δ| = {diff:.2e} s, same unreachable set: {agree}"
         f"  {'OK' if agree and diff < 1e-6 else 'MISMATCH'}")
    del lengths
    n_ego = min(ego_sample, len(sources))
    start = time.perf_counter()
    mismatches = 0
    for i in range(n_ego):
        ego = nx.ego_graph(graph, sources[i], radius=CATCHMENT_S, distance="weight")
        reached = sorted(j for kind, *rest in ego.nodes if kind == "p" and rest[0] == "tgt" for j in [rest[1]])
        mine = catch.loc[catch["source_pos"] == int(np.flatnonzero(snapped_f.ok)[i]), "target_pos"].tolist()
        mismatches += reached != mine
    t_ego = (time.perf_counter() - start) * len(sources) / n_ego
    scaled = "" if n_ego == len(sources) else f" (timed on {n_ego}, scaled to {len(sources)})"
    line("osmnx example: one networkx.ego_graph per facility" + scaled,
         f"{t_ego:8.3f} s  → ours is {t_ego / t_catch:.1f}× faster")
    line("  catchments agree with ego_graph", f"{n_ego - mismatches} of {n_ego} facilities identical"
         f"  {'OK' if mismatches == 0 else 'MISMATCH'}")
    del graph
    gc.collect()


def pandana_baseline(model, facilities, demand, our_times) -> None:
    """pandana (contraction hierarchies) on the same network and points; it snaps to junctions, not edges."""
    try:
        import pandas as pd
        from pandana.network import Network
    except ImportError as exc:  # optional: `pip install pandana`
        line("pandana", f"not available ({exc})")
        return
    net = model.network
    keep = net.edge_u != net.edge_v
    start = time.perf_counter()
    pnet = Network(pd.Series(net.node_x), pd.Series(net.node_y), pd.Series(net.edge_u[keep]),
                   pd.Series(net.edge_v[keep]),
                   pd.DataFrame({"time_s": net.edge_length_m[keep] / model.speed_mps}), twoway=True)
    pnet.precompute(CATCHMENT_S + 1)
    t_init = time.perf_counter() - start
    fx, fy = pd.Series(facilities.geometry.x.to_numpy()), pd.Series(facilities.geometry.y.to_numpy())
    dx, dy = pd.Series(demand.geometry.x.to_numpy()), pd.Series(demand.geometry.y.to_numpy())
    start = time.perf_counter()
    pnet.set_pois("facilities", 3 * CATCHMENT_S, 1, fx, fy)
    per_node = pnet.nearest_pois(3 * CATCHMENT_S, "facilities", num_pois=1)[1]
    times = per_node.reindex(pnet.get_node_ids(dx, dy).to_numpy()).to_numpy()
    t_query = time.perf_counter() - start
    both = (times < 3 * CATCHMENT_S) & np.isfinite(our_times)
    line("pandana: build + contraction hierarchies (not in the ratio)", f"{t_init:8.3f} s")
    line("pandana: nearest facility for every demand point (node snapping)", f"{t_query:8.3f} s")
    line("  pandana vs ours (junction snapping, no access leg)",
         f"mean |Δ| = {np.abs(times[both] - our_times[both]).mean():.1f} s over {both.sum():,} points")


def circuity(network) -> None:
    """Network / straight-line distance between junction pairs 300-1,500 m apart in the largest piece."""
    from scipy.sparse.csgraph import dijkstra

    main = np.flatnonzero(network.component == 0)
    dist = dijkstra(travel_time_csr(network, 3.6), indices=main)[:, main]  # 1 m/s: seconds = metres
    x, y = network.node_x[main], network.node_y[main]
    iu = np.triu_indices(len(main), 1)
    straight = np.hypot(x[iu[0]] - x[iu[1]], y[iu[0]] - y[iu[1]])
    along = dist[iu]
    pick = (straight >= 300) & (straight <= 1500) & np.isfinite(along)
    ratio = along[pick] / straight[pick]
    line("measured circuity, junction pairs 300-1,500 m apart",
         f"mean {ratio.mean():.2f}, median {np.median(ratio):.2f}, p10-p90 {np.percentile(ratio, 10):.2f}-"
         f"{np.percentile(ratio, 90):.2f} ({pick.sum():,} pairs)")


def run_case(title, network, n_facilities, n_points, args, seed, ego_sample):
    print(f"\n{title}: {network.n_nodes:,} junctions, {network.n_edges:,} edges, {network.total_length_km:,.0f} km; "
          f"{n_facilities} facilities, {n_points:,} demand points")
    start = time.perf_counter()
    model = NetworkTravelModel(network)
    line("build the travel model (CSR graph, snapping index; not in the targets)",
         f"{time.perf_counter() - start:8.3f} s")
    facilities = random_points(network, n_facilities, seed=seed, prefix="f")
    demand = random_points(network, n_points, seed=seed + 1, prefix="d")
    times, t_nearest, catch, t_catch, snapped_f, snapped_d = ours(model, facilities, demand)
    line("demand points off the network (more than 500 m from a road)", f"{int((~snapped_d.ok).sum()):8d}")
    if not args.skip_baselines:
        networkx_baselines(model, snapped_f, snapped_d, times, t_nearest, catch, t_catch, ego_sample)
        if not args.skip_pandana:
            pandana_baseline(model, facilities, demand, times)
    return model, facilities


def service_areas(model, facilities) -> None:
    (_, t_one) = timed(lambda: service_area(model, facilities, 15), repeat=1)
    line(f"dissolved 15-minute service area of {len(facilities)} facilities", f"{t_one:8.3f} s")
    subset = facilities.iloc[:50].assign(facility_id=lambda f: f["point_id"], name="", type="")
    (_, t_each) = timed(lambda: facility_service_areas(model, subset, (5, 10, 15)), repeat=1)
    line("per-facility service areas, 50 facilities × 3 thresholds", f"{t_each:8.3f} s")


def check(label: str, value: float, limit: float, unit: str = "s", *, at_least: bool = False, cpu_s=None) -> None:
    ok = value >= limit if at_least else value <= limit
    cpu = f"; CPU {cpu_s:.3f} s" if cpu_s is not None else ""
    line(label, f"{value:8.3f} {unit}  (target {'≥' if at_least else '≤'} {limit:g} {unit}: "
                f"{'OK' if ok else 'MISSED'}{cpu})")


def timed_cpu(fn, repeat: int = 3):
    """(result, median wall time, median CPU time of this process) over ``repeat`` calls: on a shared machine the
    CPU time shows what a call costs when the wall time is stretched by other processes."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return result, statistics.median(walls), statistics.median(cpus)


def city_scale(n_nodes: int, n_facilities: int, n_points: int, scipy_sample: int) -> None:
    """The city-scale figures of the access engine (see the module docstring)."""
    from svcov.access.area_grid import road_grid

    print(f"\n(c) city scale: street_network({n_nodes:,}), {n_facilities:,} facilities, {n_points:,} demand points; "
          f"load average {load_average()} at the start")
    start = time.perf_counter()
    network = street_network(n_nodes, seed=0)
    line("generate the network (not in the targets)", f"{time.perf_counter() - start:8.3f} s  ({network.n_nodes:,} "
         f"junctions, {network.n_edges:,} edges, {network.total_length_km:,.0f} km)")
    start = time.perf_counter()
    model = NetworkTravelModel(network)
    line(f"build the travel model (CSR, snapping index; backend {model.backend})",
         f"{time.perf_counter() - start:8.3f} s")
    facilities = random_points(network, n_facilities, seed=3, prefix="f")
    demand = random_points(network, n_points, seed=4, prefix="d")
    model.snap(demand.iloc[:10], "warm-up")  # not in the timings: first call of the index
    snapped_d, t_snap, c_snap = timed_cpu(lambda: model.snap(demand, "demand"), repeat=3)
    check(f"snap {n_points:,} demand points (median of 3)", t_snap, 1.0, cpu_s=c_snap)
    snapped_f = model.snap(facilities, "facilities")
    model.catchments(snapped_f.take(np.arange(2)), snapped_d, CATCHMENT_S)  # compiled kernels loaded (cache)
    _, t_near, c_near = timed_cpu(lambda: model.nearest(snapped_f, snapped_d), repeat=3)
    check(f"nearest facility for {n_points:,} points (snapped; median of 3)", t_near, 1.0, cpu_s=c_near)
    catch, t_catch, c_catch = timed_cpu(lambda: model.catchments(snapped_f, snapped_d, CATCHMENT_S), repeat=3)
    check(f"15-minute catchments of all {n_facilities:,} facilities (median of 3)", t_catch, 5.0, cpu_s=c_catch)
    line("  pairs within 15 minutes", f"{len(catch):8,d}")
    sample = np.linspace(0, n_facilities - 1, scipy_sample).astype(int)
    model.backend = "scipy"  # the engine's scipy path: dijkstra(limit=) in dense blocks of sources
    start = time.perf_counter()
    ref = model.catchments(snapped_f.take(sample), snapped_d, CATCHMENT_S)
    t_ref = (time.perf_counter() - start) * n_facilities / len(sample)
    model.backend = "numba"
    line(f"scipy dense bounded Dijkstra (timed on {len(sample)} facilities, scaled to {n_facilities:,})",
         f"{t_ref:8.3f} s")
    check("  → compiled kernels are faster by", t_ref / t_catch, 15.0, "×", at_least=True)
    mine = model.catchments(snapped_f.take(sample), snapped_d, CATCHMENT_S)
    same = mine[["source_pos", "target_pos"]].equals(ref[["source_pos", "target_pos"]])
    diff = float(np.abs(mine["time_s"] - ref["time_s"]).max()) if same and len(ref) else np.inf
    line("  identical to scipy on the sample", f"same pairs: {same}, max |Δ| = {diff:.2e} s  "
         f"{'OK' if same and diff <= 1e-6 else 'MISMATCH'}")
    gc.collect()
    start = time.perf_counter()
    grid = road_grid(model)
    t_grid = time.perf_counter() - start
    subset = facilities.assign(facility_id=facilities["point_id"], name="", type="")
    (_, t_dissolved) = timed(lambda: service_areas_of(model, snapped_f, (5, 10, 15)), repeat=1)
    (layer, t_each) = timed(lambda: facility_service_areas(model, subset, (5, 10, 15)), repeat=1)
    line(f"  grid of nearest road samples ({grid.shape[0]:,} × {grid.shape[1]:,} pixels of {grid.pixel_m:g} m)",
         f"{t_grid:8.3f} s")
    line(f"  dissolved 5/10/15-minute areas of all {n_facilities:,}", f"{t_dissolved:8.3f} s")
    line(f"  per-facility areas, {n_facilities:,} × 3 thresholds ({len(layer):,} polygons)", f"{t_each:8.3f} s")
    check("service areas in all (grid + dissolved + per facility)", t_grid + t_dissolved + t_each, 60.0)
    check("peak resident memory of the city run", rss_mb() / 1024, 4.0, "GB")
    print(f"  load average at the end: {load_average()} (1, 5, 15 min)")


def service_areas_of(model, sources, thresholds):
    from svcov.access.service_areas import service_areas as dissolved

    return dissolved(model, sources, thresholds)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small synthetic network (smoke test)")
    parser.add_argument("--nodes", type=int, default=200_000, help="junctions of the synthetic network")
    parser.add_argument("--facilities", type=int, default=500)
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--ego-sample", type=int, default=500,
                        help="facilities timed with ego_graph on the synthetic network (at most 50 on Jing'an)")
    parser.add_argument("--skip-baselines", action="store_true", help="only our engine")
    parser.add_argument("--skip-pandana", action="store_true",
                        help="leave out pandana (its contraction hierarchies take minutes on 200,000 junctions)")
    parser.add_argument("--only", choices=("jingan", "synthetic"), help="run one of the two networks")
    parser.add_argument("--city", action="store_true", help="only the city-scale section (1M junctions)")
    parser.add_argument("--city-nodes", type=int, default=1_000_000)
    parser.add_argument("--city-facilities", type=int, default=5_000)
    parser.add_argument("--city-points", type=int, default=200_000)
    parser.add_argument("--scipy-sample", type=int, default=160,
                        help="facilities on which scipy's dense bounded Dijkstra is timed and scaled")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.points, args.ego_sample = 20_000, 5_000, 50
    import platform

    print(f"svcov access benchmark; Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    if args.city:
        city_scale(args.city_nodes, args.city_facilities, args.city_points, args.scipy_sample)
        return 0
    if args.only != "synthetic":
        jingan = load_network(JINGAN, crs_metric=CRS)
        # on the small, dense Jing'an graph every ego_graph holds most of the graph: time 50 and scale
        model, facilities = run_case("(a) real Jing'an OSM street network", jingan, args.facilities, args.points,
                                     args, 1, min(args.ego_sample, 50))
        circuity(jingan)
        service_areas(model, facilities)
    if args.only == "jingan":
        return 0
    start = time.perf_counter()
    synthetic = street_network(args.nodes, seed=0)
    line("\n  generate the synthetic street network", f"{time.perf_counter() - start:8.3f} s")
    run_case("(b) synthetic street-like network", synthetic, args.facilities, args.points, args, 3, args.ego_sample)
    print(f"\npeak resident memory of the whole run (networkx graphs included): {rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
