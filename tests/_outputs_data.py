"""Inputs for the tests of the renderers (tests/test_outputs_*.py).

The real bundled Songjiang boundaries, facilities and demand (loaded with the project's loaders), and small
hand-made coverage, rule-status, site and service-area frames that follow the contracts of docs/DEVELOPING.md.
The hand-made numbers are test fixtures only: made up so that every year, service and threshold differs (a
renderer that picks the wrong row shows the wrong number), never results.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from svcov.config import load_config
from svcov.outputs.context import RunInfo
from svcov.pipeline import data_notes, load_inputs

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "config" / "songjiang.yaml"
YEARS = (2021, 2022, 2023)
XSS = "<script>alert(1)</script>"
XSS_TEMPLATE = "${alert(2)}<img src=x onerror=alert(3)>"
TRAVEL_ZH = "直线距离 × 1.3 绕行系数估算 (未加载路网)"
LAYOUT_RULE = "layout_3_ones"


@lru_cache(maxsize=1)
def songjiang():
    """(config, LoadedInputs) of the bundled run; loaded once per test session."""
    config = load_config(CONFIG)
    return config, load_inputs(config)


def run_info(**kwargs) -> RunInfo:
    config, inputs = songjiang()
    kwargs.setdefault("created", "2024-01-15")
    kwargs.setdefault("layout_rule_id", LAYOUT_RULE)
    kwargs.setdefault("layout_name_zh", "「3个一」")
    return RunInfo.from_config(config, travel_description_zh=TRAVEL_ZH, travel_is_fallback=True,
                               population_is_estimate=True, notes=data_notes(inputs), **kwargs)


def with_xss_facility(facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The facilities plus one whose name and address are script injections."""
    extra = facilities.iloc[[0]].copy()
    extra.index = [facilities.index.max() + 1]
    extra["facility_id"] = "xss-1"
    extra["name"] = XSS
    extra["address"] = XSS_TEMPLATE
    extra["type"] = "public_nursery_kindergarten"
    extra["type_name_zh"] = "公办托幼一体园"
    point = extra.geometry.iloc[0]
    extra = extra.set_geometry([shapely.Point(point.x + 400, point.y + 300)], crs=facilities.crs)
    lonlat = extra.geometry.to_crs("EPSG:4326").iloc[0]
    extra["lon_wgs84"], extra["lat_wgs84"] = lonlat.x, lonlat.y
    return pd.concat([facilities, extra])


def share(i: int, year: int, service: str, threshold: int) -> float:
    """Made-up covered share of 街镇 number ``i``: differs by year, service and threshold."""
    base = ((i * 7) % 17) / 25 + 0.05 * (year - 2021) + threshold / 100 + (0.1 if service == "kindergarten" else 0)
    return float(min(base, 1.0))


def coverage_table(boundaries, demand, years=YEARS, profiles=(("walk", "步行"),)) -> pd.DataFrame:
    """A coverage table (contract columns, long form) for two services, two groups (children_0_3, residents), the
    given profiles and three thresholds, with district rows. Slower profiles get lower made-up shares."""
    rows = []
    for k, (profile, profile_zh) in enumerate(profiles):
        for group, group_zh in (("children_0_3", "0-3 岁儿童"), ("residents", "常住人口")):
            pop = demand.groupby("jiezhen_code")[group].sum()
            for year in years:
                for service, name in (("inclusive_childcare", "普惠性托育服务"), ("kindergarten", "幼儿园 (全部)")):
                    for threshold in (5, 10, 15):
                        rows += _coverage_block(boundaries, pop, year, service, name, threshold, group, group_zh,
                                                profile, profile_zh, 0.1 * k)
    return pd.DataFrame(rows)


def _coverage_block(boundaries, pop, year, service, name, threshold, group, group_zh, profile, profile_zh, less):
    block = []
    for i, (code, jz) in enumerate(zip(boundaries["jiezhen_code"], boundaries["name"])):
        s = max(share(i, year, service, threshold) - less, 0.0)
        p = float(pop.get(code, 0.0))
        block.append({"year": year, "jiezhen_code": code, "jiezhen_name": jz, "service": service,
                      "service_name_zh": name, "service_kind": "group", "group": group, "group_name_zh": group_zh,
                      "profile": profile, "profile_name_zh": profile_zh, "threshold_min": threshold, "pop": p,
                      "pop_covered": p * s, "share_covered": s, "mean_time_min": 30 * (1 - s) + i % 3,
                      "median_time_min": 28 * (1 - s), "p95_time_min": 60 * (1 - s) + 5, "pop_no_access": 0.0,
                      "n_facilities": i % 4, "population_is_estimate": True, "travel_mode": "straight_line"})
    district = pd.DataFrame(block)
    p, c = district["pop"].sum(), district["pop_covered"].sum()
    block.append({**block[0], "jiezhen_code": "全区", "jiezhen_name": "全区", "pop": p, "pop_covered": c,
                  "share_covered": c / p, "mean_time_min": 17.25, "median_time_min": 15.5, "p95_time_min": 41.0,
                  "n_facilities": int(district["n_facilities"].sum())})
    return block


STATUS_CYCLE = ("达标", "未达标", "数据不足")


def rule_status(boundaries, years=YEARS, gap_text: str | None = None) -> pd.DataFrame:
    """A rule status table: the 「3个一」 rule per 街镇, a guidance-station rule per 街镇, a district rule."""
    rows = []
    for year in years:
        for i, (code, jz) in enumerate(zip(boundaries["jiezhen_code"], boundaries["name"])):
            status = STATUS_CYCLE[(i + year) % 3]
            present = {"达标": 3, "未达标": 1, "数据不足": np.nan}[status]
            gap = {"达标": "", "未达标": "缺普惠性民办托幼一体园 1 所、普惠性托育点 1 个",
                   "数据不足": "缺少托育点名册, 无法判断"}[status]
            rows.append({"rule_id": LAYOUT_RULE, "label_zh": "各街镇「3个一」普惠性托育布局", "clause": "二(二)1",
                         "scope": "jiezhen", "year": year, "jiezhen_code": code, "jiezhen_name": jz,
                         "measure": "types_present", "value": present,
                         "target_zh": "公办托幼一体园、普惠性民办托幼一体园、普惠性托育点各至少 1 个", "status": status,
                         "gap_zh": gap_text if gap_text is not None and status != "达标" else gap,
                         "missing_fields": "" if status != "数据不足" else "type",
                         "based_on_estimate": True})
            rows.append({"rule_id": "guidance_station", "label_zh": "每个街镇 1-2 个家庭科学育儿指导站",
                         "clause": "二(二)1", "scope": "jiezhen", "year": year, "jiezhen_code": code,
                         "jiezhen_name": jz, "measure": "count", "value": np.nan, "target_zh": "1-2 个",
                         "status": "数据不足", "gap_zh": "没有指导站名册", "missing_fields": "facilities",
                         "based_on_estimate": False})
        rows.append({"rule_id": "new_points_per_year", "label_zh": "每年新增 5-7 个普惠性托育点", "clause": "二(二)1",
                     "scope": "district", "year": year, "jiezhen_code": "全区", "jiezhen_name": "全区",
                     "measure": "new_count", "value": year - 2019, "target_zh": "5-7 个",
                     "status": "未达标", "gap_zh": f"还差 {5 - (year - 2019)} 个", "missing_fields": "",
                     "based_on_estimate": False})
    return pd.DataFrame(rows)


def service_areas(facilities) -> gpd.GeoDataFrame:
    """Service areas by buffering (a stand-in for the access engine): 5/10/15 minutes ≈ 333/667/1000 m."""
    rows = []
    groups = {"inclusive_childcare": ["public_nursery_kindergarten"],
              "kindergarten": ["public_nursery_kindergarten", "other_kindergarten"]}
    for service, types in groups.items():
        members = facilities[facilities["type"].isin(types)]
        for minutes in (5, 10, 15):
            rows.append({"service": service, "threshold_min": minutes,
                         "geometry": members.buffer(minutes * 1000 / 15).union_all()})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=facilities.crs)


def uncovered(demand, areas, years=YEARS) -> gpd.GeoDataFrame:
    """Demand cells outside the 15-minute inclusive area, one copy per year."""
    area = areas[(areas["service"] == "inclusive_childcare") & (areas["threshold_min"] == 15)].geometry.iloc[0]
    outside = demand[~demand.within(area) & (demand["children_0_3"] > 0)]
    return pd.concat([outside.assign(year=y) for y in years])


def sites(boundaries, names=("叶榭镇", "新浜镇", "泖港镇"), candidate_names=None) -> gpd.GeoDataFrame:
    """Three proposed sites (contract columns) at the representative points of three 街镇."""
    rows = []
    for k, jz in enumerate(names):
        b = boundaries[boundaries["name"] == jz].iloc[0]
        point = b.geometry.representative_point()
        year = 2022 if k == 0 else 2023
        rows.append({"site_id": f"S{year}-{k + 1}", "rank": 1 if k < 2 else 2, "year": year,
                     "type": "inclusive_childcare_point", "jiezhen_code": b["jiezhen_code"], "jiezhen_name": jz,
                     "candidate_id": f"poi-{100 + k}",
                     "candidate_name": (candidate_names or {}).get(k, f"{jz}社区服务中心"),
                     "candidate_source": "OpenStreetMap 社区中心 (community_centre)",
                     "pop_newly_covered": 312.4 + 100 * k,
                     "district_share_before": 0.4123 + 0.01 * k, "district_share_after": 0.4175 + 0.01 * k,
                     "jiezhen_share_before": 0.2 + 0.1 * k, "jiezhen_share_after": 0.35 + 0.1 * k,
                     "nearest_facilities": f"{jz}中心幼儿园 (公办托幼一体园): 步行 17.5 分钟\n另一所幼儿园: 步行 22.0 分钟",
                     "nearest_compounds": "阳光小区；绿地小区",
                     "rule_gap_closed_zh": "补上本街镇「3个一」中缺少的普惠性托育点" if k != 1 else "",
                     "alternatives": f"候选点 poi-{200 + k}: 新增覆盖 150 人, 少于本点\n网格点 g-{k}: 新增覆盖 90 人",
                     "geometry": point})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=boundaries.crs)
    lonlat = frame.geometry.to_crs("EPSG:4326")
    frame["lon_wgs84"], frame["lat_wgs84"] = lonlat.x, lonlat.y
    return frame
