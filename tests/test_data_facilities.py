"""Facility loading: formats, encodings, coordinate systems, types, 街镇 assignment, and the bundled OSM data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from svcov.config import FacilityAttribute, FacilitySource, FacilityType, NameRule
from svcov.data.coords import wgs84_to_gcj02
from svcov.data.facilities import facility_columns, load_facilities, open_in_year
from svcov.errors import InputError, NoCrsError

GOOD = Path(__file__).parent / "data" / "good"
BROKEN = Path(__file__).parent / "data" / "broken"


def test_bundled_osm_kindergartens(songjiang_inputs, childcare_attributes):
    f = songjiang_inputs.facilities
    assert len(f) == 67
    assert list(f.columns) == facility_columns(childcare_attributes)
    assert [a.key for a in childcare_attributes] == ["capacity", "has_nursery_class", "is_demonstration"]
    assert f["facility_id"].is_unique
    assert f["jiezhen_code"].notna().all()
    assert f.crs.to_epsg() == 32651
    # every OSM record's type is inferred, and says how
    assert f["type_is_estimate"].all()
    assert f["type_source"].str.contains("估算").all()
    assert not f["complete_register"].any()
    named = f.set_index("name")
    assert named.loc["九亭中心幼儿园", "type"] == "public_nursery_kindergarten"
    assert named.loc["月亮船双语幼儿园", "type"] == "other_kindergarten"
    assert named.loc["海伦幼儿园", "type"] == "other_kindergarten"  # no pattern: the default


@pytest.mark.parametrize("name, kind", [
    ("石湖荡幼儿园(育新路)", "public_nursery_kindergarten"),      # named after its town
    ("小昆山幼儿园", "public_nursery_kindergarten"),
    ("松江区中山幼儿园", "public_nursery_kindergarten"),         # named after its 街道, with the district prefix
    ("泗泾镇中心幼儿园", "public_nursery_kindergarten"),
    ("泖港中心幼儿园", "public_nursery_kindergarten"),
    ("松江区绿洲艺术幼儿园", "other_kindergarten"),              # 「松江区」 alone is no evidence
    ("上海市松江区洞悦幼儿园", "other_kindergarten"),
    ("松江区民办彩虹幼儿园", "other_kindergarten"),
    ("佘山北大型居住社区 47A-02A地块幼儿园", "other_kindergarten"),   # a town name, but not the town's kindergarten
])
def test_bundled_name_rules(songjiang_inputs, name, kind):
    row = songjiang_inputs.facilities.set_index("name").loc[name]
    assert row["type"] == kind
    assert bool(row["type_is_estimate"]) and "估算" in row["type_source"]    # every inferred type stays labelled


def test_jiezhen_placeholder_in_name_rules(tmp_path, songjiang_boundaries, facility_types):
    from svcov.data.facilities import jiezhen_name_variants

    assert jiezhen_name_variants(["石湖荡镇", "方松街道", "镇"])[:4] == ["方松街道", "石湖荡镇", "石湖荡", "方松"]
    csv = tmp_path / "towns.csv"
    csv.write_text("名称,经度,纬度\n新浜幼儿园,121.10,30.95\n新浜镇幼儿园,121.10,30.951\n{jiezhen}幼儿园,121.10,30.952\n"
                   "新幼儿园,121.10,30.953\n", encoding="utf-8")
    source = FacilitySource(path=csv, label_zh="测试", default_type="other_kindergarten",
                            type_from_name=(NameRule("^{jiezhen}幼儿园", "public_nursery_kindergarten", "以街镇命名", ""),))
    f = load_facilities(source, facility_types, songjiang_boundaries)
    assert list(f["type"]) == ["public_nursery_kindergarten", "public_nursery_kindergarten", "other_kindergarten",
                               "other_kindergarten"]


def test_osm_jiezhen_matches_the_source_assignment(songjiang_inputs):
    import geopandas as gpd

    raw = gpd.read_file(Path(__file__).parents[1] / "data" / "facilities" / "songjiang_kindergartens_osm.geojson")
    ours = songjiang_inputs.facilities.set_index("facility_id")["jiezhen_code"]
    theirs = raw.set_index("osm")["jiezhen_code"]
    assert (ours.reindex(theirs.index) == theirs).mean() >= 0.97  # boundary overlaps may differ


@pytest.mark.parametrize("name", ["register_utf8.csv", "register_utf8_bom.csv", "register_gbk.csv"])
def test_csv_encodings(name, songjiang_boundaries, facility_types):
    f = load_facilities(GOOD / name, facility_types, songjiang_boundaries)
    assert f.loc[f.index[0], "jiezhen_name"] == "岳阳街道"
    assert not f["type_is_estimate"].any()
    assert f["type_source"].str.startswith("登记").all()


def test_gbk_register_reads_chinese_names(songjiang_boundaries, facility_types, childcare_attributes):
    f = load_facilities(GOOD / "register_gbk.csv", facility_types, songjiang_boundaries,
                        attributes=childcare_attributes)
    assert list(f["name"]) == ["岳阳街道普惠托育点", "九亭镇家庭科学育儿指导站"]
    assert list(f["type"]) == ["inclusive_childcare_point", "parenting_guidance_station"]
    assert f["capacity"].tolist()[0] == 40 and pd.isna(f["capacity"].tolist()[1])


def test_without_declared_attributes_only_the_built_in_columns_are_read(songjiang_boundaries, facility_types):
    f = load_facilities(GOOD / "register_utf8.csv", facility_types, songjiang_boundaries)
    assert list(f.columns) == facility_columns(())
    assert "capacity" not in f.columns and "has_nursery_class" not in f.columns
    unused = [w for w in f.attrs["problems"] if "没有读入" in w.message_zh]
    assert len(unused) == 1 and "托位数" in unused[0].message_zh and "开设托班" in unused[0].message_zh


ELDERLY_TYPES = (FacilityType("day_care_centre", "日间照料中心", "day care centre"),
                 FacilityType("elderly_canteen", "长者食堂", "community canteen for older people"))
ELDERLY_ATTRIBUTES = (FacilityAttribute("capacity", "number", "床位数", "beds", ("床位", "核定床位"), noun_zh="床位",
                                        unit_zh="张", integer=True, min=0.0, max=500.0),
                      FacilityAttribute("meal_seats", "number", "餐位数", "meal seats", ("餐位", "就餐座位"),
                                        noun_zh="餐位", integer=True),
                      FacilityAttribute("has_rehab_room", "flag", "设康复室", "rehabilitation room", ("康复室",),
                                        yes_zh="设康复室", no_zh="未设康复室"))


def test_declared_attributes_are_read_with_their_aliases_and_checks(tmp_path, songjiang_boundaries):
    csv = tmp_path / "elderly.csv"
    csv.write_text("编号,名称,类型,经度,纬度,核定床位,就餐座位,康复室,备注\n"
                   "E1,岳阳日照中心,日间照料中心,121.2270,31.0050,30,,是,\n"
                   "E2,方松长者食堂,长者食堂,121.2150,31.0330,,80,否,临街\n", encoding="utf-8")
    f = load_facilities(csv, ELDERLY_TYPES, songjiang_boundaries, attributes=ELDERLY_ATTRIBUTES)
    assert list(f.columns) == facility_columns(ELDERLY_ATTRIBUTES)
    assert f["capacity"].tolist()[0] == 30 and pd.isna(f["capacity"].tolist()[1])
    assert pd.isna(f["meal_seats"].tolist()[0]) and f["meal_seats"].tolist()[1] == 80
    assert f["has_rehab_room"].tolist() == [True, False]
    assert not [w for w in f.attrs["problems"] if "没有读入" in w.message_zh]   # 备注 is never reported


def test_declared_attribute_values_are_validated(tmp_path, songjiang_boundaries):
    csv = tmp_path / "bad.csv"
    csv.write_text("编号,名称,类型,经度,纬度,床位数,餐位数,设康复室\n"
                   "E1,甲,日间照料中心,121.2270,31.0050,800,12.5,也许\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_facilities(csv, ELDERLY_TYPES, songjiang_boundaries, attributes=ELDERLY_ATTRIBUTES)
    text = str(info.value)
    assert "列「床位数」" in text and "床位数超出范围 [0.0, 500.0]" in text
    assert "列「餐位数」" in text and "餐位数应是整数" in text
    assert "列「设康复室」" in text and "应填「是」或「否」" in text


def test_facility_just_across_the_border_is_kept_with_a_warning(tmp_path, songjiang_boundaries, facility_types):
    import geopandas as gpd
    from shapely.geometry import Point

    outline = songjiang_boundaries.geometry.union_all()
    x, y = min(outline.exterior.coords, key=lambda c: c[1])
    near, far = gpd.GeoSeries([Point(x, y - 1200), Point(x, y - 3000)], crs=songjiang_boundaries.crs).to_crs(4326)
    csv = tmp_path / "border.csv"
    csv.write_text(f"编号,名称,类型,经度,纬度\nB1,邻区托育点,普惠性托育点,{near.x:.7f},{near.y:.7f}\n", encoding="utf-8")
    f = load_facilities(csv, facility_types, songjiang_boundaries)
    assert f["jiezhen_code"].isna().all() and f["outside_district_m"].iloc[0] == pytest.approx(1200, abs=5)
    assert any("边界外 1.2 km" in w.message_zh and "保留" in w.message_zh for w in f.attrs["problems"])
    csv.write_text(f"编号,名称,类型,经度,纬度\nB2,远处托育点,普惠性托育点,{far.x:.7f},{far.y:.7f}\n", encoding="utf-8")
    with pytest.raises(InputError, match="距本区 3.0 km, 超过 2 km"):
        load_facilities(csv, facility_types, songjiang_boundaries)
    kept = load_facilities(FacilitySource(csv, "测试", outside_margin_m=5000), facility_types, songjiang_boundaries)
    assert kept["outside_district_m"].iloc[0] == pytest.approx(3000, abs=5)


def test_xlsx_gcj02_register_is_converted_to_wgs84(songjiang_boundaries, facility_types, childcare_attributes):
    f = load_facilities(GOOD / "register_gcj02.xlsx", facility_types, songjiang_boundaries, coord_system="gcj02",
                        attributes=childcare_attributes)
    assert f["lon_wgs84"].to_numpy() == pytest.approx([121.2270, 121.2150, 121.3200], abs=1e-6)
    assert f["lat_wgs84"].to_numpy() == pytest.approx([31.0050, 31.0330, 31.1300], abs=1e-6)
    assert list(f["jiezhen_name"]) == ["岳阳街道", "方松街道", "九亭镇"]
    assert list(f["opened_year"]) == [2022, 2019, 2021]  # "2022年", 2019, "2021-09"
    assert f["has_nursery_class"].tolist()[:2] == [True, True] and pd.isna(f["has_nursery_class"].tolist()[2])


def test_gcj02_read_as_wgs84_lands_hundreds_of_metres_off(songjiang_boundaries, facility_types):
    wrong = load_facilities(GOOD / "register_gcj02.xlsx", facility_types, songjiang_boundaries)
    right = load_facilities(GOOD / "register_gcj02.xlsx", facility_types, songjiang_boundaries, coord_system="gcj02")
    shift_m = wrong.geometry.distance(right.geometry)
    assert (shift_m > 300).all() and (shift_m < 800).all()


def test_vector_facilities_with_polygons_use_an_inside_point(tmp_path, songjiang_boundaries, facility_types):
    import geopandas as gpd
    from shapely.geometry import box

    square = box(121.226, 31.004, 121.228, 31.006)
    frame = gpd.GeoDataFrame({"id": ["P1"], "name": ["面状托育点"], "type": ["普惠性托育点"]}, geometry=[square],
                             crs="EPSG:4326")
    path = tmp_path / "polygons.gpkg"
    frame.to_file(path)
    f = load_facilities(path, facility_types, songjiang_boundaries)
    assert f.geometry.iloc[0].geom_type == "Point"
    assert square.contains(f.to_crs(4326).geometry.iloc[0])


def test_vector_gcj02_layer_is_converted(tmp_path, songjiang_boundaries, facility_types):
    import geopandas as gpd

    lon, lat = wgs84_to_gcj02(121.2270, 31.0050)
    frame = gpd.GeoDataFrame({"id": ["P1"], "name": ["点"], "type": ["普惠性托育点"]},
                             geometry=gpd.points_from_xy([lon], [lat]), crs="EPSG:4326")
    path = tmp_path / "gcj.geojson"
    frame.to_file(path)
    f = load_facilities(path, facility_types, songjiang_boundaries, coord_system="gcj02")
    assert (f["lon_wgs84"].iloc[0], f["lat_wgs84"].iloc[0]) == pytest.approx((121.2270, 31.0050), abs=1e-7)


def test_no_crs_is_its_own_error_class(songjiang_boundaries, facility_types):
    with pytest.raises(NoCrsError, match="没有坐标参考系"):
        load_facilities(BROKEN / "no_prj.shp", facility_types, songjiang_boundaries)


def test_all_problems_of_a_file_in_one_error(songjiang_boundaries, facility_types, childcare_attributes):
    with pytest.raises(InputError) as info:
        load_facilities(BROKEN / "register_many_problems.xlsx", facility_types, songjiang_boundaries,
                        attributes=childcare_attributes)
    rows = sorted(p.row for p in info.value.problems if p.severity == "error")
    assert rows == [3, 3, 4, 5]
    assert all(p.file.endswith("register_many_problems.xlsx") for p in info.value.problems)


def test_near_the_boundary_goes_to_nearest_with_a_warning(tmp_path, songjiang_boundaries, facility_types):
    # a point 100 m south of the district's southernmost boundary vertex
    import geopandas as gpd
    from shapely.geometry import Point

    outline = songjiang_boundaries.geometry.union_all()
    x, y = min(outline.exterior.coords, key=lambda c: c[1])
    pt = gpd.GeoSeries([Point(x, y - 100)], crs=songjiang_boundaries.crs).to_crs(4326)
    csv = tmp_path / "edge.csv"
    csv.write_text(f"编号,名称,类型,经度,纬度\nE1,边界外托育点,普惠性托育点,{pt.x[0]:.7f},{pt.y[0]:.7f}\n", encoding="utf-8")
    f = load_facilities(csv, facility_types, songjiang_boundaries)
    assert f["jiezhen_code"].notna().all()
    warnings = f.attrs["problems"]
    assert any("归入最近" in w.message_zh for w in warnings)


def test_name_rules_and_default_type(tmp_path, songjiang_boundaries, facility_types):
    csv = tmp_path / "names.csv"
    csv.write_text("名称,经度,纬度\n某某中心幼儿园,121.2270,31.0050\n某某双语幼儿园,121.2280,31.0060\n"
                   "不知道,121.2290,31.0070\n", encoding="utf-8")
    source = FacilitySource(path=csv, label_zh="测试", default_type="other_kindergarten",
                            type_from_name=(NameRule("中心幼儿园", "public_nursery_kindergarten", "中心园为公办", ""),))
    f = load_facilities(source, facility_types, songjiang_boundaries)
    assert list(f["type"]) == ["public_nursery_kindergarten", "other_kindergarten", "other_kindergarten"]
    assert f["type_is_estimate"].all()
    assert "中心园为公办" in f["type_source"].iloc[0]
    assert f["facility_id"].tolist() == ["names-2", "names-3", "names-4"]  # generated from the row


def test_same_name_close_together_is_warned(tmp_path, songjiang_boundaries, facility_types):
    csv = tmp_path / "dups.csv"
    csv.write_text("编号,名称,类型,经度,纬度\nD1,同名园,普惠性托育点,121.22700,31.00500\n"
                   "D2,同名园,普惠性托育点,121.22710,31.00505\n", encoding="utf-8")
    f = load_facilities(csv, facility_types, songjiang_boundaries)
    assert any("可能重复" in w.message_zh for w in f.attrs["problems"])


def test_inputs_are_not_modified(tmp_path, songjiang_boundaries, facility_types):
    import shutil

    path = tmp_path / "r.xlsx"
    shutil.copy(GOOD / "register_gcj02.xlsx", path)
    before = path.read_bytes()
    boundaries_before = songjiang_boundaries.copy()
    load_facilities(path, facility_types, songjiang_boundaries, coord_system="gcj02")
    assert path.read_bytes() == before
    pd.testing.assert_frame_equal(songjiang_boundaries, boundaries_before)


def test_open_in_year():
    frame = pd.DataFrame({"opened_year": pd.array([2020, 2022, pd.NA, 2019], dtype="Int64"),
                          "closed_year": pd.array([pd.NA, pd.NA, pd.NA, 2021], dtype="Int64")})
    assert open_in_year(frame, 2021).tolist() == [True, False, True, False]
    assert open_in_year(frame, 2020).tolist() == [True, False, True, True]
    assert open_in_year(frame, 2022).tolist() == [True, True, True, False]
    assert np.array_equal(open_in_year(frame, 2022).index, frame.index)
