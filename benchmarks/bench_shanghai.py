"""All of Shanghai end to end, as a **simulation** (synthetic network and facilities; estimated population).

- network: ``street_network(~1M)`` laid over Shanghai's extent (junctions every ~120 m: a synthetic grid of
  streets, over water too — not Shanghai's streets);
- 街镇: the bundled 217 街镇 boundaries (OpenStreetMap);
- population: each district's 2020 census totals spread evenly over its 250 m cells (an estimate, labelled 估算);
- facilities: ~5,000 synthetic childcare facilities (types and places drawn at random), written as a register;
- the whole pipeline (``svcov.pipeline.run``): data summary, coverage and 2SFCA, service areas, the layout rules,
  siting with at most one new 普惠性托育点 per 街镇 (MCLP, up to 217 sites), map, memos and reports.

Prints the time and peak memory (resident set, sampled) of every stage and of the whole run; target ≤ 10 min and
≤ 8 GB on this 2-core machine; and the size of ``map.html``.

    python benchmarks/bench_shanghai.py                 # ~1M junctions, 5,000 facilities
    python benchmarks/bench_shanghai.py --nodes 100000 --facilities 500    # a smoke test
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "coverage"))

from _machine import load_average  # noqa: E402

from svcov.batch import district_config, load_batch_config  # noqa: E402
from svcov.data.boundaries import load_boundaries  # noqa: E402
from svcov.data.facilities import combine_facilities, load_facilities  # noqa: E402
from svcov.data.population import load_population  # noqa: E402
from svcov.network.synthetic import street_network  # noqa: E402
from svcov.pipeline import LoadedInputs, run  # noqa: E402

TYPES = ("public_nursery_kindergarten", "private_inclusive_nursery_kindergarten", "inclusive_childcare_point",
         "other_kindergarten")


class Peaks:
    """Samples the resident set every 0.2 s and keeps the peak of each stage (stages named by the progress calls)."""

    def __init__(self):
        self.stage, self.peaks, self.starts = "setup", {}, {"setup": time.perf_counter()}
        self.process, self.done = psutil.Process(), threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self):
        while not self.done.wait(0.2):
            self.mark_peak()

    def mark_peak(self):
        rss = self.process.memory_info().rss
        self.peaks[self.stage] = max(self.peaks.get(self.stage, 0), rss)

    def enter(self, stage: str):
        self.mark_peak()
        self.stage = stage
        self.starts[stage] = time.perf_counter()
        print(f"  [{time.perf_counter() - self.starts['setup']:6.0f} s] {stage}", flush=True)

    def stop(self):
        self.mark_peak()
        self.done.set()


def synthetic_register(boundaries: gpd.GeoDataFrame, n: int, path: Path, seed: int = 11) -> Path:
    """``n`` facilities at random points inside the 街镇 (a synthetic register, WGS-84 CSV)."""
    rng = np.random.default_rng(seed)
    area = boundaries.geometry.area.to_numpy()
    which = rng.choice(len(boundaries), size=n, p=area / area.sum())
    points = []
    for i in which:
        geom = boundaries.geometry.iloc[i]
        x0, y0, x1, y1 = geom.bounds
        while True:
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if geom.contains(gpd.points_from_xy([x], [y])[0]):
                points.append((x, y))
                break
    wgs = gpd.GeoSeries(gpd.points_from_xy(*zip(*points)), crs=boundaries.crs).to_crs("EPSG:4326")
    pd.DataFrame({"编号": [f"S{i:05d}" for i in range(n)], "名称": [f"合成托育机构{i}" for i in range(n)],
                  "类型": rng.choice(TYPES, size=n, p=(0.3, 0.2, 0.3, 0.2)), "经度": wgs.x.round(7), "纬度": wgs.y.round(7),
                  "托位数": rng.integers(20, 200, size=n)}).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def build(args):
    """(config, inputs, network) of the simulation."""
    start = time.perf_counter()
    batch = load_batch_config(ROOT / "data" / "batch" / "shanghai_16.yaml")
    template = batch.template
    print(f"All-Shanghai simulation: street_network({args.nodes:,}) over Shanghai's extent, 217 街镇, census "
          f"estimates, {args.facilities:,} synthetic facilities; {os.cpu_count()} CPUs, load average "
          f"{load_average()}")
    boundaries = load_boundaries(template.boundaries, crs_metric=template.crs_metric)
    tmp = Path(tempfile.mkdtemp(prefix="svcov-shanghai-"))
    register = synthetic_register(boundaries, args.facilities, tmp / "synthetic_register.csv")
    demand = pd.concat([load_population(district_config(batch, s).population,
                                        load_boundaries(district_config(batch, s).boundaries,
                                                        crs_metric=template.crs_metric))
                        for s in batch.districts], ignore_index=True)
    demand = gpd.GeoDataFrame(demand, geometry="geometry", crs=boundaries.crs)
    source = dataclasses.replace(template.facilities[0], path=register, label_zh="合成设施名册 (模拟, 非真实数据)",
                                 columns={}, default_type=None, type_from_name=(), complete_register=True)
    facilities = combine_facilities([load_facilities(source, template.facility_types, boundaries,
                                                     attributes=template.attributes)])
    facilities.attrs.clear()
    x0, y0, x1, y1 = boundaries.total_bounds
    side = int(np.ceil(np.sqrt(args.nodes)))
    block = float(max(x1 - x0, y1 - y0) / side)
    t0 = time.perf_counter()
    network = street_network(args.nodes, block_m=block, jitter_m=block * 0.15, seed=0, origin=(x0, y0),
                             crs=boundaries.crs)
    print(f"  setup: {len(demand):,} population cells, {len(facilities):,} facilities; network {network.n_nodes:,} "
          f"junctions, {network.n_edges:,} edges, blocks of {block:.0f} m ({time.perf_counter() - t0:.0f} s) "
          f"— setup {time.perf_counter() - start:.0f} s")
    # one new 普惠性托育点 per 街镇 at most (up to 217: MCLP places them where they add most coverage); every 街镇
    # gets a synthetic candidate at an inner point (the 1 km grid misses the smallest 街镇). Requiring one in every
    # 街镇 fails where OSM's overlapping outlines put a small 街镇's only candidate into its neighbour.
    inner = boundaries.geometry.representative_point().to_crs("EPSG:4326")
    pd.DataFrame({"编号": [f"C{i:03d}" for i in range(len(inner))], "名称": [f"模拟候选用房{i}" for i in range(len(inner))],
                  "经度": inner.x.round(7), "纬度": inner.y.round(7)}).to_csv(tmp / "candidates.csv", index=False,
                                                                          encoding="utf-8-sig")
    candidates = ({"kind": "file", "path": tmp / "candidates.csv", "label_zh": "模拟候选点 (每街镇一个)",
                   "coord_system": "wgs84"},) + tuple(template.siting.candidates)  # first: kept by the spacing rule
    siting = dataclasses.replace(template.siting, sites_per_year={template.report_year: [1, len(boundaries)]},
                                 max_per_jiezhen=1, require_in_each_jiezhen=False, time_limit_s=120.0,
                                 candidates=candidates)
    config = dataclasses.replace(template, run_name="shanghai_simulation", district_name_zh="上海市 (模拟)",
                                 district_name_en="Shanghai (simulation)", siting=siting,
                                 network=dataclasses.replace(template.network, source=None),
                                 output=dataclasses.replace(template.output, dir=args.out or tmp))
    return config, LoadedInputs(config, boundaries, facilities, demand), network


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--facilities", type=int, default=5_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    peaks = Peaks()
    config, inputs, network = build(args)
    run_start = time.perf_counter()
    result = run(config, inputs=inputs, network=network, progress=peaks.enter)
    total = time.perf_counter() - run_start
    peaks.stop()
    print_stages(result.out_dir, peaks, total)
    size = (result.out_dir / "map.html").stat().st_size / 1e6
    print(f"  map.html: {size:.1f} MB; outputs in {result.out_dir}")
    return 0


def print_stages(out_dir: Path, peaks: Peaks, total: float) -> None:
    import json

    timings = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))["timings_s"]
    print(f"\n  {'stage':<16} {'time (s)':>9} {'peak memory (GB)':>18}")
    names = {"读取": "load_inputs", "数据汇总": "data_summary", "可达性": "access", "布局": "rules", "地图": "documents",
             "选址": "siting"}  # first match wins: the documents stage's name also says 选址
    for stage, peak in peaks.peaks.items():
        key = next((v for k, v in names.items() if k in stage), stage)
        print(f"  {key:<16} {timings.get(key, float('nan')):>9.1f} {peak / 2**30:>18.2f}")
    peak = max(peaks.peaks.values()) / 2**30
    print(f"  {'whole run':<16} {total:>9.1f} {peak:>18.2f}   (targets ≤ 600 s: "
          f"{'OK' if total <= 600 else 'MISSED'}; ≤ 8 GB: {'OK' if peak <= 8 else 'MISSED'})")


if __name__ == "__main__":
    sys.exit(main())
