"""Boundary loading, validation and point-in-街镇 assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from svcov.config import BoundarySource
from svcov.data.boundaries import assign_jiezhen, boundary_overlaps, load_boundaries, resolve_overlaps
from svcov.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_songjiang_boundaries(songjiang_boundaries):
    b = songjiang_boundaries
    assert len(b) == 17
    assert list(b.columns) == ["jiezhen_code", "name", "area_km2", "geometry"]
    assert b["jiezhen_code"].str.match(r"^310117\d{3}$").all()
    assert b.crs.to_epsg() == 32651
    # SOURCES.md: 603.6 km² in this simplified OSM layer vs 605.64 km² official
    assert b["area_km2"].sum() == pytest.approx(604, abs=2)
    assert set(b["name"]) >= {"方松街道", "叶榭镇", "九里亭街道"}


def test_shanghai_file_filtered_to_a_district_without_codes():
    source = BoundarySource(path=ROOT / "data" / "boundaries" / "shanghai_jiezhen_217_osm.geojson", label_zh="上海",
                            code_column=None, filter={"district": "闵行"})
    b = load_boundaries(source)
    assert 10 <= len(b) <= 20
    assert (b["jiezhen_code"] == b["name"]).all()  # names stand in for codes when there are none


def test_filter_with_unknown_column_is_reported():
    source = BoundarySource(path=ROOT / "data" / "boundaries" / "shanghai_jiezhen_217_osm.geojson", label_zh="x",
                            filter={"区": "闵行"})
    with pytest.raises(InputError, match="筛选列「区」不在文件中"):
        load_boundaries(source)


def test_filter_matching_nothing_lists_the_values_present():
    source = BoundarySource(path=ROOT / "data" / "boundaries" / "shanghai_jiezhen_217_osm.geojson", label_zh="x",
                            code_column=None, filter={"district": "静安区"})
    with pytest.raises(InputError, match=r"列「district」中没有「静安区」。是不是「静安」\? 该列的值有: .*黄浦") as info:
        load_boundaries(source)
    assert "Values present:" in str(info.value)
    source = BoundarySource(path=source.path, label_zh="x", code_column=None, filter={"district": "火星"})
    with pytest.raises(InputError, match="没有「火星」。该列的值有"):
        load_boundaries(source)


SHANGHAI = ROOT / "data" / "boundaries" / "shanghai_jiezhen_217_osm.geojson"


def test_overlapping_and_nested_units_are_an_error_listing_every_pair():
    with pytest.raises(InputError) as info:
        load_boundaries(BoundarySource(path=SHANGHAI, label_zh="上海", code_column=None))
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert len(errors) == 5                                   # pairs ≥ 1 % of the smaller unit and ≥ 0.1 km²
    text = str(info.value)
    assert "东明路街道 位于 三林镇 之内: 4.90 平方公里, 占东明路街道面积的 100%" in text
    assert "东平镇 与 陈家镇 重叠: 18.84 平方公里" in text and "boundaries.overlaps: resolve" in text


def test_overlaps_resolved_take_the_overlap_out_of_the_larger_unit():
    b = load_boundaries(BoundarySource(path=SHANGHAI, label_zh="上海", code_column=None, overlaps="resolve"))
    pairs = boundary_overlaps(b)
    assert ((pairs["share_of_smaller"] < 0.01) | (pairs["overlap_km2"] < 0.1)).all()
    named = b.set_index("name")
    assert named.loc["东明路街道", "geometry"].intersection(named.loc["三林镇", "geometry"]).area < 1.0   # m²
    warnings = b.attrs["problems"]
    assert len(warnings) == 5 and all("已处理街镇重叠" in w.message_zh for w in warnings)
    assert any("重叠部分从三林镇中去掉" in n for n in b.attrs["notes"])


def test_slivers_of_simplified_outlines_are_one_note(songjiang_boundaries):
    pairs = boundary_overlaps(songjiang_boundaries)
    assert len(pairs) == 26 and pairs["overlap_km2"].sum() == pytest.approx(0.476, abs=0.01)
    assert songjiang_boundaries.attrs["notes"] == [
        "街镇边界有 26 处细小重叠 (合计 0.48 平方公里; 每处不到较小街镇面积的 1% 或不到 0.1 平方公里), 来自简化的边界线; "
        "落在重叠处的点归入代码较小的街镇。"]


def test_overlap_by_hand(tmp_path):
    frame = gpd.GeoDataFrame({"jiezhen_code": ["A", "B", "C"], "name": ["大镇", "小街道", "邻镇"]},
                             geometry=[box(0, 0, 3000, 3000), box(1000, 1000, 2000, 2000), box(3000, 0, 6000, 3000)],
                             crs="EPSG:32651")
    pairs = boundary_overlaps(frame)
    assert len(pairs) == 1                                      # touching units do not overlap
    row = pairs.iloc[0]
    assert (row["name_a"], row["name_b"], row["overlap_km2"], row["contained"]) == ("小街道", "大镇", 1.0, True)
    resolved = resolve_overlaps(frame, pairs)
    assert resolved.geometry.iloc[0].area == pytest.approx(8e6) and resolved.geometry.iloc[1].area == 1e6


def test_empty_name_is_reported(tmp_path):
    frame = gpd.GeoDataFrame({"code": ["1", "2"], "name": ["甲镇", None]},
                             geometry=[box(121.2, 31.0, 121.25, 31.05), box(121.3, 31.0, 121.35, 31.05)],
                             crs="EPSG:4326")
    path = tmp_path / "b.gpkg"
    frame.to_file(path)
    with pytest.raises(InputError, match="第 2 个要素.*街镇名称为空"):
        load_boundaries(path)


def _squares():
    return gpd.GeoDataFrame({"jiezhen_code": ["B", "A"], "name": ["乙", "甲"]},
                            geometry=[box(100, 0, 200, 100), box(0, 0, 110, 100)], crs="EPSG:32651")


def test_assign_inside_overlap_nearest_and_outside():
    points = gpd.GeoSeries([Point(50, 50), Point(105, 50), Point(150, 50), Point(250, 50), Point(1000, 50)],
                           index=[10, 11, 12, 13, 14], crs="EPSG:32651")
    where = assign_jiezhen(points, _squares(), tolerance_m=60)
    assert list(where.index) == [10, 11, 12, 13, 14]
    assert list(where["jiezhen_code"][:4]) == ["A", "A", "B", "B"]  # 105 is in both: the first code wins
    assert where["jiezhen_code"].isna().tolist() == [False] * 4 + [True]
    assert list(where["how"]) == ["inside", "inside", "inside", "nearest", "outside"]
    assert where["distance_m"].tolist() == pytest.approx([0, 0, 0, 50, 800])


def test_point_on_the_border_is_inside():
    where = assign_jiezhen(gpd.GeoSeries([Point(0, 50)], crs="EPSG:32651"), _squares(), tolerance_m=0)
    assert where["how"].iloc[0] == "inside"
