"""The proposed-sites frame, coverage before/after and diagnostics (svcov.siting.proposals).

Demand at x = 0, 1000, 2000, 3000 m (0-3: 10, 20, 30, 40; 街镇 A, A, B, B); candidates at x = 0 (A), 1500 (B),
3000 (B); an existing kindergarten at x = 1000. Walking at 1 m/s with a 10-minute (600 m) threshold: candidate 0
covers demand 0, candidate 1 demand 1 and 2, candidate 2 demand 3; the kindergarten covers demand 1. 街镇 B must
get a site. The optimal two-year plan opens candidate 2 in 2021 and candidate 1 in 2022.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from _siting_travel import StraightLineTravel

from svcov.siting.instance import Plan, SiteRules
from svcov.siting.models import MaximalCovering
from svcov.siting.proposals import (
    PROPOSED_SITE_COLUMNS,
    SITING_LABELS_ZH,
    coverage_change,
    diagnostics_table,
    proposed_sites,
)

CRS = "EPSG:32651"
X0, Y0 = 340000.0, 3430000.0


def pts(xs):
    return gpd.points_from_xy(X0 + np.asarray(xs, dtype=float), np.full(len(xs), Y0), crs=CRS)


@pytest.fixture(scope="module")
def solved():
    demand = gpd.GeoDataFrame({"residents": [10.0, 20.0, 30.0, 40.0], "jiezhen_code": ["A", "A", "B", "B"],
                               "jiezhen_name": ["甲街道", "甲街道", "乙镇", "乙镇"]}, geometry=pts([0, 1000, 2000, 3000]),
                              crs=CRS)
    cands = gpd.GeoDataFrame({"candidate_id": ["c0", "c1", "c2"], "name": ["甲中心", "乙小区", "丙用房"],
                              "source_label": ["兴趣点", "兴趣点", "候选点文件"], "jiezhen_code": ["A", "B", "B"],
                              "jiezhen_name": ["甲街道", "乙镇", "乙镇"], "lon_wgs84": [121.1, 121.2, 121.3],
                              "lat_wgs84": [31.0, 31.0, 31.0]}, geometry=pts([0, 1500, 3000]), crs=CRS)
    existing = gpd.GeoDataFrame({"name": ["第一幼儿园"], "type": ["public_nursery_kindergarten"],
                                 "type_name_zh": ["公办托幼一体园"], "type_is_estimate": [True]}, geometry=pts([1000]),
                                crs=CRS)
    compounds = gpd.GeoDataFrame({"name": ["丙小区", "甲小区"]}, geometry=pts([3100, 0]), crs=CRS)
    travel = StraightLineTravel(walk_speed_kph=3.6, circuity_factor=1.0)
    rules = SiteRules(min_sites={"B": 1}, reasons_zh={"B": "缺普惠性托育点 (估算)"}, zone_names={"B": "乙镇"})
    model = MaximalCovering.from_geodataframe(demand, cands, travel=travel, threshold_min=10, existing=existing,
                                              plan=Plan.phased({2021: 1, 2022: 1}), rules=rules).solve()
    sites = proposed_sites(model, cands, demand, type_key="inclusive_childcare_point", type_name_zh="普惠性托育点",
                           existing=existing, compounds=compounds, travel=travel, n_nearest=1,
                           group_name_zh="0-3 岁儿童")
    return model, demand, sites


def test_sites_ranked_with_their_gains_and_shares(solved):
    _, _, sites = solved
    assert list(sites.columns) == PROPOSED_SITE_COLUMNS and sites.crs == CRS
    assert sites["site_id"].tolist() == ["S2021-01", "S2022-01"] and sites["rank"].tolist() == [1, 2]
    assert sites["year"].tolist() == [2021, 2022] and sites["candidate_id"].tolist() == ["c2", "c1"]
    assert sites["pop_newly_covered"].tolist() == [40, 30]
    assert sites["district_share_before"].tolist() == pytest.approx([0.2, 0.6])
    assert sites["district_share_after"].tolist() == pytest.approx([0.6, 0.9])
    assert sites["jiezhen_share_before"].tolist() == pytest.approx([0, 40 / 70])
    assert sites["jiezhen_share_after"].tolist() == pytest.approx([40 / 70, 1.0])
    assert sites["candidate_source"].tolist() == ["候选点文件", "兴趣点"]
    assert sites["threshold_min"].tolist() == [10, 10] and set(sites["model"]) == {"mclp"}


def test_memo_texts(solved):
    _, _, sites = solved
    assert sites["rule_gap_closed_zh"].tolist() == ["补上乙镇的缺口: 缺普惠性托育点 (估算)", ""]
    assert sites["nearest_facilities"].iloc[0] == "第一幼儿园 (类型为估算, 公办托幼一体园) 步行约 33 分钟"
    assert sites["nearest_compounds"].iloc[0] == "丙小区 步行约 2 分钟"
    assert sites["alternatives"].iloc[0] == ""  # the only other candidate of 乙镇 is chosen for 2022
    assert sites["alternatives"].iloc[1] == "甲中心 (甲街道, c0): 新增覆盖约 10 名 0-3 岁儿童, 本点为 30 名"


def test_coverage_before_and_after(solved):
    model, demand, _ = solved
    table = coverage_change(model, demand)
    district = table[table["jiezhen_code"] == "全区"]
    assert district["share_before"].tolist() == pytest.approx([0.2, 0.2])
    assert district["share_after"].tolist() == pytest.approx([0.6, 0.9])
    b2022 = table[(table["jiezhen_code"] == "B") & (table["year"] == 2022)].iloc[0]
    assert (b2022["pop"], b2022["pop_covered_after"], b2022["n_new_sites"], b2022["n_new_sites_in_year"]) \
        == (70, 70, 2, 1)
    assert table[table["jiezhen_code"] == "A"]["jiezhen_name"].iloc[0] == "甲街道"


def test_diagnostics_row(solved):
    model, _, _ = solved
    row = diagnostics_table(model, travel_mode="straight_line").iloc[0]
    assert row["plan_years"] == "2021、2022" and row["n_new_sites"] == 2 and row["status"] == "optimal"
    assert row["objective"] == pytest.approx(60 + 90) and row["travel_mode"] == "straight_line"
    assert row["n_demand"] == 4 and row["n_demand_in_model"] == 3
    assert set(SITING_LABELS_ZH) >= set(PROPOSED_SITE_COLUMNS) - {"jiezhen_code", "jiezhen_name", "lon_wgs84",
                                                                  "lat_wgs84", "geometry"}


def test_without_travel_model_the_nearest_lists_are_empty(solved):
    model, demand, _ = solved
    cands = gpd.GeoDataFrame({"candidate_id": ["c0", "c1", "c2"], "name": ["甲中心", "乙小区", "丙用房"],
                              "source_label": ["a", "b", "c"], "jiezhen_code": ["A", "B", "B"],
                              "jiezhen_name": ["甲街道", "乙镇", "乙镇"], "lon_wgs84": [0.0] * 3,
                              "lat_wgs84": [0.0] * 3}, geometry=pts([0, 1500, 3000]), crs=CRS)
    again = proposed_sites(model, cands, demand, type_key="x", type_name_zh="x")
    assert again["nearest_facilities"].tolist() == ["", ""] and again["nearest_compounds"].tolist() == ["", ""]
    assert again["candidate_id"].tolist() == ["c2", "c1"]
