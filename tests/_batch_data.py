"""Three small synthetic districts (A | B | C in a row, two 街镇 each) for the batch tests: boundaries, a facility
register and population points shared by every district, a template run configuration and a batch file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from svcov.network.synthetic import grid_network

UTM = "EPSG:32651"
X0, Y0 = 350_000.0, 3_440_000.0
SIDE_M = 1_500.0   # each 街镇 is a 1.5 km square; a district is two of them side by side (3 km × 1.5 km)
DISTRICTS = ("A", "B", "C")
TYPES = ("public_nursery_kindergarten", "inclusive_childcare_point", "public_nursery_kindergarten")
FACILITY_TYPES = """service: {name_zh: 托育服务, circle: inclusive_childcare}
attributes:
  capacity: {kind: number, label_zh: 托位数, noun_zh: 托位, unit_zh: 个, integer: true, min: 0}
types:
  - {key: public_nursery_kindergarten, name_zh: 公办托幼一体园, groups: [inclusive_childcare]}
  - {key: inclusive_childcare_point, name_zh: 普惠性托育点, groups: [inclusive_childcare]}
groups:
  inclusive_childcare: {name_zh: 普惠性托育服务}
"""


def write_case(folder: Path, *, network: bool = False, margin_m: float = 100.0) -> dict[str, Path]:
    """Write the case into ``folder``; returns the paths (``batch``, ``template``, ``union``, ``facilities``)."""
    folder.mkdir(parents=True, exist_ok=True)
    squares, names, codes, districts = [], [], [], []
    for d, key in enumerate(DISTRICTS):
        for j in range(2):
            x = X0 + (2 * d + j) * SIDE_M
            squares.append(shapely.box(x, Y0, x + SIDE_M, Y0 + SIDE_M))
            names.append(f"{key}区{j + 1}街道")
            codes.append(f"9{d}{j}")
            districts.append(key)
    bounds = gpd.GeoDataFrame({"name": names, "code": codes, "district": districts}, geometry=squares, crs=UTM)
    bounds.to_crs("EPSG:4326").to_file(folder / "jiezhen.geojson", driver="GeoJSON")
    rng = np.random.default_rng(7)
    n = 30
    fx = rng.uniform(X0 + 100, X0 + 6 * SIDE_M - 100, n)
    fy = rng.uniform(Y0 + 100, Y0 + SIDE_M - 100, n)
    lon, lat = _lonlat(fx, fy)
    pd.DataFrame({"编号": [f"F{i}" for i in range(n)], "名称": [f"幼儿园{i}" for i in range(n)],
                  "类型": [TYPES[i % 3] for i in range(n)], "经度": lon, "纬度": lat,
                  "托位数": [40 + 5 * (i % 4) if i % 5 else None for i in range(n)]}).to_csv(
        folder / "facilities.csv", index=False, encoding="utf-8-sig")
    gx, gy = np.meshgrid(np.arange(X0 + 75, X0 + 6 * SIDE_M, 150.0), np.arange(Y0 + 75, Y0 + SIDE_M, 150.0))
    lon, lat = _lonlat(gx.ravel(), gy.ravel())
    pd.DataFrame({"经度": lon, "纬度": lat, "0-3岁人口": rng.uniform(0, 20, gx.size).round(2),
                  "常住人口": rng.uniform(100, 600, gx.size).round(1)}).to_csv(folder / "population.csv", index=False,
                                                                              encoding="utf-8-sig")
    source = "none"
    if network:
        net = grid_network(46, 12, 200.0, origin=(X0 - 10.0, Y0 - 20.0), crs=UTM)
        net.edges_frame()[["edge", "geometry"]].to_file(folder / "roads.gpkg", driver="GPKG")
        source = "roads.gpkg"
    (folder / "types.yaml").write_text(FACILITY_TYPES, encoding="utf-8")
    template = folder / "template.yaml"
    template.write_text(_TEMPLATE.format(network=source, name="template"), encoding="utf-8")
    union = folder / "union.yaml"
    union.write_text(_TEMPLATE.format(network=source, name="union"), encoding="utf-8")
    batch = folder / "batch.yaml"
    batch.write_text(_BATCH.format(margin=margin_m), encoding="utf-8")
    return {"batch": batch, "template": template, "union": union, "facilities": folder / "facilities.csv"}


def _lonlat(x, y):
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=UTM).to_crs("EPSG:4326")
    return points.x.to_numpy().round(7), points.y.to_numpy().round(7)


_TEMPLATE = """run_name: {name}
district: {{name_zh: 合成市, code: "990000"}}
boundaries: {{path: jiezhen.geojson, code_column: code, name_column: name}}
facility_types: types.yaml
facilities:
  - path: facilities.csv
    label_zh: 合成设施名册 (synthetic)
population:
  kind: points
  path: population.csv
  label_zh: 合成人口点 (synthetic)
  is_estimate: true
  groups:
    - {{key: children_0_3, name_zh: 0-3 岁儿童, short_zh: 儿童, column: 0-3岁人口}}
    - {{key: residents, name_zh: 常住人口, short_zh: 居民, column: 常住人口}}
  served_group: children_0_3
travel: {{thresholds_min: [10, 15]}}
network: {{source: {network}}}
years: [2023]
report_year: 2023
outputs: {{dir: out}}
"""

_BATCH = """batch_name: three
title_zh: 测试市
template: template.yaml
halo_margin_m: {margin}
districts:
  - {{key: a, name_zh: A区, code: "9900", boundary_filter: {{district: A}}}}
  - {{key: b, name_zh: B区, code: "9901", boundary_filter: {{district: B}}}}
  - {{key: c, name_zh: C区, code: "9902", boundary_filter: {{district: C}}}}
outputs: {{dir: out}}
"""
