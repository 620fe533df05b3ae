"""svcov.access.summary: coverage per 街镇 × service × threshold and 2SFCA, against numbers worked out by hand.

Four cells on a line (x in metres) and two facilities; straight-line model at 1 m/s with circuity 1, so times in
seconds equal the distances:

    cell          c0     c1      c2      c3       facilities: f1 (type t1) at x=0, open throughout
    x             0      1000    2000    5000                 f2 (type t2) at x=2000, opened 2022
    街镇          A      A       B       B
    elderly_60    10     30      20      40       (the served group)
    residents     100    300     200     400
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from svcov.access.engine import StraightLineTravelModel
from svcov.access.summary import (
    CAPACITY_COLUMNS,
    COVERAGE_COLUMNS,
    DISTRICT_CODE,
    Service,
    access_labels,
    capacity_table,
    coverage_table,
    nearest_by_service,
    services_from_config,
    two_step_fca,
)
from svcov.config import DemandGroup, FacilityType, TypeGroup

CRS = "EPSG:32651"
X0, Y0 = 350_000.0, 3_460_000.0
SERVICES = [Service("t1", "类型一", ("t1",), "type"), Service("t2", "类型二", ("t2",), "type"),
            Service("g", "组", ("t1", "t2"), "group")]
ELDERLY = DemandGroup("elderly_60", "60 岁及以上老人")
GROUPS = (ELDERLY, DemandGroup("residents", "常住人口"))


@pytest.fixture()
def demand():
    return gpd.GeoDataFrame({"cell_id": ["c0", "c1", "c2", "c3"], "elderly_60": [10.0, 30.0, 20.0, 40.0],
                             "residents": [100.0, 300.0, 200.0, 400.0], "jiezhen_code": ["A", "A", "B", "B"],
                             "jiezhen_name": ["甲街道", "甲街道", "乙镇", "乙镇"], "is_estimate": True},
                            geometry=gpd.points_from_xy(X0 + np.array([0, 1000, 2000, 5000]), [Y0] * 4), crs=CRS)


@pytest.fixture()
def facilities():
    return gpd.GeoDataFrame({"facility_id": ["f1", "f2"], "type": ["t1", "t2"],
                             "opened_year": pd.array([pd.NA, 2022], dtype="Int64"),
                             "closed_year": pd.array([pd.NA, pd.NA], dtype="Int64"), "jiezhen_code": ["A", "B"],
                             "capacity": pd.array([50, 30], dtype="Int64")},
                            geometry=gpd.points_from_xy([X0, X0 + 2000], [Y0, Y0]), crs=CRS)


@pytest.fixture()
def model():
    return StraightLineTravelModel(CRS, walk_speed_kph=3.6, circuity_factor=1.0)


def test_services_from_config():
    types = (FacilityType("a", "甲", "A", ("g",)), FacilityType("b", "乙", "B", ("g",)))
    out = services_from_config(types, (TypeGroup("g", "组", "G", ("a", "b")),))
    assert [(s.key, s.types, s.kind) for s in out] == [("a", ("a",), "type"), ("b", ("b",), "type"),
                                                        ("g", ("a", "b"), "group")]


def test_nearest_by_year_type_and_group(model, demand, facilities):
    near = nearest_by_service(model, facilities, demand, years=[2021, 2022], services=SERVICES)
    get = lambda y, s: near[(near["year"] == y) & (near["service"] == s)]  # noqa: E731
    assert get(2021, "t1")["time_s"].tolist() == [0, 1000, 2000, 5000]
    assert np.isinf(get(2021, "t2")["time_s"]).all() and get(2021, "t2")["nearest_facility_id"].isna().all()
    assert get(2022, "g")["time_s"].tolist() == [0, 1000, 0, 3000]
    assert get(2022, "g")["nearest_facility_id"].tolist()[2:] == ["f2", "f2"]
    assert get(2021, "g")["nearest_facility_id"].tolist() == ["f1"] * 4


def test_coverage_table_by_hand(model, demand, facilities):
    near = nearest_by_service(model, facilities, demand, years=[2021, 2022], services=SERVICES)
    table = coverage_table(near, demand, facilities, services=SERVICES, groups=GROUPS, thresholds_min=[15, 20],
                           travel_mode=model.mode, district_name_zh="测试区", profile_names_zh={"walk": "步行"})
    assert len(table) == 2 * 3 * 2 * 3 * 2  # years × services × groups × (2 街镇 + district) × thresholds
    assert list(table.columns) == COVERAGE_COLUMNS
    row = table.set_index(["year", "service", "group", "jiezhen_code", "threshold_min"])
    a15, a20 = row.loc[(2022, "g", "elderly_60", "A", 15)], row.loc[(2022, "g", "elderly_60", "A", 20)]
    assert (a15["pop_covered"], a15["share_covered"]) == (10, 0.25)
    assert (a20["pop_covered"], a20["share_covered"]) == (40, 1.0)
    r15 = row.loc[(2022, "g", "residents", "A", 15)]
    assert (r15["pop_covered"], r15["share_covered"]) == (100, 0.25) and r15["group_name_zh"] == "常住人口"
    assert a15["mean_time_min"] == pytest.approx(12.5) and a15["group_name_zh"] == "60 岁及以上老人"
    assert a15["median_time_min"] == pytest.approx(1000 / 60) and a15["p95_time_min"] == pytest.approx(1000 / 60)
    assert row.loc[(2022, "g", "elderly_60", "B", 15), "share_covered"] == pytest.approx(1 / 3)
    district = row.loc[(2022, "g", "elderly_60", DISTRICT_CODE, 15)]
    assert district["jiezhen_name"] == "测试区" and district["share_covered"] == pytest.approx(0.3)
    assert district["mean_time_min"] == pytest.approx(25.0)
    assert district["median_time_min"] == pytest.approx(1000 / 60) and district["p95_time_min"] == pytest.approx(50.0)
    assert district["n_facilities"] == 2 and row.loc[(2021, "g", "elderly_60", DISTRICT_CODE, 15), "n_facilities"] == 1
    none = row.loc[(2021, "t2", "elderly_60", DISTRICT_CODE, 15)]
    assert none["pop_covered"] == 0 and none["pop_no_access"] == 100 and np.isnan(none["mean_time_min"])
    assert table["population_is_estimate"].all() and set(table["travel_mode"]) == {"straight_line"}
    assert set(table["travel_mode_zh"]) == {"直线距离估算 (未加载路网)"}
    assert set(table["profile"]) == {"walk"} and set(table["profile_name_zh"]) == {"步行"}
    assert table["service_kind"].tolist().count("group") == 2 * 2 * 3 * 2


def test_profiles_side_by_side_and_a_derived_group_is_an_estimate(demand, facilities):
    slow = StraightLineTravelModel(CRS, walk_speed_kph=1.8, circuity_factor=1.0, profile="slow",
                                   profile_name_zh="慢行")
    fast = StraightLineTravelModel(CRS, walk_speed_kph=3.6, circuity_factor=1.0)
    near = pd.concat([nearest_by_service(m, facilities, demand, years=[2022], services=SERVICES[2:])
                      for m in (fast, slow)])
    derived = DemandGroup("elderly_60", "60 岁及以上老人", share_of="residents", share=0.1)
    table = coverage_table(near, demand.assign(is_estimate=False), facilities, services=SERVICES[2:],
                           groups=(derived, GROUPS[1]), thresholds_min=[15], travel_mode="straight_line")
    row = table.set_index(["profile", "group", "jiezhen_code"])
    # at half the speed 15 minutes reach 450 m: only c0 and c2 (at a facility) are covered
    assert row.loc[("walk", "elderly_60", DISTRICT_CODE), "share_covered"] == pytest.approx(0.3)
    assert row.loc[("slow", "elderly_60", DISTRICT_CODE), "share_covered"] == pytest.approx(0.3)
    assert row.loc[("slow", "elderly_60", "A"), "mean_time_min"] == pytest.approx(25.0)
    assert row.loc[("walk", "elderly_60", "A"), "population_is_estimate"]
    assert not row.loc[("walk", "residents", "A"), "population_is_estimate"]


def test_jiezhen_without_cells_still_get_rows(model, demand, facilities):
    near = nearest_by_service(model, facilities, demand, years=[2022], services=SERVICES[:1])
    jiezhen = pd.DataFrame({"jiezhen_code": ["A", "B", "C"], "name": ["甲街道", "乙镇", "丙镇"]})
    table = coverage_table(near, demand, facilities, services=SERVICES[:1], groups=GROUPS, thresholds_min=[15],
                           travel_mode="network", jiezhen=jiezhen)
    c = table[table["jiezhen_code"] == "C"].iloc[0]
    assert c["jiezhen_name"] == "丙镇" and c["pop"] == 0 and np.isnan(c["share_covered"])


def test_two_step_fca_by_hand(model, demand, facilities):
    # 20 minutes: f1 reaches c0, c1 (40 people): 50/40 = 1.25; f2 reaches c1, c2 (50 people): 30/50 = 0.6
    access, ratio = two_step_fca(model, facilities, demand, 20, weight_column="elderly_60")
    assert ratio.tolist() == pytest.approx([1.25, 0.6])
    assert access.tolist() == pytest.approx([1.25, 1.85, 0.6, 0.0])
    assert (access * demand["elderly_60"]).sum() == pytest.approx(80.0)  # every bed counted once
    table = capacity_table(access, demand, facilities, year=2022, service=SERVICES[2], group=ELDERLY,
                           threshold_min=20, travel_mode=model.mode).set_index("jiezhen_code")
    assert set(table.reset_index().columns) == set(CAPACITY_COLUMNS)
    assert table.loc["A", "capacity_per_person_2sfca"] == pytest.approx(1.7)
    assert table.loc["B", "capacity_per_person_2sfca"] == pytest.approx(0.2)
    assert table.loc[DISTRICT_CODE, "capacity_per_person_2sfca"] == pytest.approx(0.8)
    assert table.loc[DISTRICT_CODE, "capacity_per_100_2sfca"] == pytest.approx(80.0)
    assert table.loc[DISTRICT_CODE, "capacity"] == 80 and not table["is_lower_bound"].any()
    assert set(table["group"]) == {"elderly_60"}


def test_unknown_capacity_gives_a_lower_bound_or_nothing(model, demand, facilities):
    part = facilities.assign(capacity=pd.array([50, pd.NA], dtype="Int64"))
    access, ratio = two_step_fca(model, part, demand, 20, weight_column="elderly_60")
    assert access.tolist() == pytest.approx([1.25, 1.25, 0.0, 0.0]) and np.isnan(ratio.iloc[1])
    table = capacity_table(access, demand, part, year=2022, service=SERVICES[2], group=ELDERLY, threshold_min=20,
                           travel_mode="network").set_index("jiezhen_code")
    assert table["is_lower_bound"].all() and table.loc["B", "n_capacity_unknown"] == 1
    none = facilities.assign(capacity=pd.array([pd.NA, pd.NA], dtype="Int64"))
    access, _ = two_step_fca(model, none, demand, 20, weight_column="elderly_60")
    assert (access == 0).all()
    table = capacity_table(access, demand, none, year=2022, service=SERVICES[2], group=ELDERLY, threshold_min=20,
                           travel_mode="network")
    assert table["capacity_per_person_2sfca"].isna().all()


def test_labels_of_the_2sfca_use_the_services_words():
    labels = access_labels("60 岁及以上老人", "床位", "床位数")
    assert labels["capacity_per_100_2sfca"] == "每百名60岁及以上老人可达床位(2SFCA)"
    assert labels["capacity"] == "床位数(已知)" and labels["group_name_zh"] == "人群"
