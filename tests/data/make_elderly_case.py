"""Make the inputs of the elderly-care test case in ``tests/data/elderly/`` (deterministic; run from the repository
root with ``.venv/bin/python tests/data/make_elderly_case.py``).

- ``huangpu_jiezhen_in_network.geojson``: the real OSM 街镇 of the bundled 217-街镇 file (data/boundaries/) that the
  real Jing'an/Huangpu OSM street network in tests/data covers, **clipped** to the network's outline shrunk by
  300 m (so the network covers the whole test district); pieces under 0.1 km² are left out. Real outlines,
  clipped: not the 街镇's full area.
- ``elderly_facilities_synthetic.csv``: **synthetic** elderly-care facilities (made-up names, beds, meal seats,
  years), placed at junctions of the real network; one lies 200-300 m outside the test district (kept for access,
  with a warning).
- ``population_60plus_synthetic.csv``: **synthetic** population points every 150 m with a 60+ count and a
  resident count (made-up numbers), for the test only.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "elderly"
CRS = "EPSG:32651"
TYPES = ("综合为老服务中心", "日间照料中心", "长者食堂")


def main() -> None:
    from svcov.network.sources import load_network

    net = load_network(ROOT / "tests" / "data" / "shanghai_jingan_drive_osm.osm", crs_metric=CRS)
    hull = shapely.convex_hull(shapely.multipoints(np.c_[net.node_x, net.node_y]))
    inner = hull.buffer(-300)
    units = gpd.read_file(ROOT / "data" / "boundaries" / "shanghai_jiezhen_217_osm.geojson").to_crs(CRS)
    units = units.assign(geometry=units.geometry.intersection(inner))
    units = units[units.area > 0.1e6].reset_index(drop=True)
    units = units.assign(code=[f"HP{i + 1:02d}" for i in range(len(units))], area_km2=units.area / 1e6)
    units[["code", "name", "district", "area_km2", "geometry"]].to_crs(4326).to_file(
        OUT / "huangpu_jiezhen_in_network.geojson", driver="GeoJSON")
    district = units.geometry.union_all()
    rng = np.random.default_rng(11)
    nodes = gpd.GeoSeries(gpd.points_from_xy(net.node_x, net.node_y), crs=CRS)
    inside = nodes[nodes.within(district.buffer(-80))]
    picks = inside.iloc[rng.choice(len(inside), 9, replace=False)]
    band = nodes[(nodes.distance(district) > 220) & (nodes.distance(district) < 290)]
    outside = band.iloc[[int(rng.integers(len(band)))]]
    points = pd.concat([picks, outside]).to_crs(4326)
    rows = []
    for i, p in enumerate(points):
        kind = TYPES[i % 3] if i < 9 else "日间照料中心"
        beds = "" if kind == "长者食堂" else int(rng.integers(10, 60))
        seats = int(rng.integers(40, 120)) if kind != "综合为老服务中心" or i % 2 else ""
        rows.append({"编号": f"Y{i + 1:02d}", "名称": f"测试{kind}{i + 1}号 (虚构)", "类型": kind,
                     "经度": round(p.x, 6), "纬度": round(p.y, 6), "床位数": beds, "餐位数": seats,
                     "开办年份": 2025 if i in (2, 5) else 2018 + i % 5, "设康复室": "是" if i % 3 == 1 else "否"})
    pd.DataFrame(rows).to_csv(OUT / "elderly_facilities_synthetic.csv", index=False, encoding="utf-8-sig")
    xmin, ymin, xmax, ymax = district.bounds
    gx, gy = np.meshgrid(np.arange(xmin + 75, xmax, 150), np.arange(ymin + 75, ymax, 150))
    grid = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=CRS)
    grid = grid[grid.within(district)].to_crs(4326)
    residents = rng.integers(300, 1500, len(grid))
    elderly = np.round(residents * rng.uniform(0.25, 0.4, len(grid))).astype(int)
    pd.DataFrame({"经度": np.round(grid.x, 6), "纬度": np.round(grid.y, 6), "60岁及以上人口": elderly,
                  "常住人口": residents}).to_csv(OUT / "population_60plus_synthetic.csv", index=False,
                                              encoding="utf-8-sig")
    print(f"{len(units)} units ({units['area_km2'].sum():.2f} km²), {len(rows)} facilities, {len(grid)} points")


if __name__ == "__main__":
    main()
