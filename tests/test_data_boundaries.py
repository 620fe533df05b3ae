"""Boundary loading, validation and point-in-街镇 assignment."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from svcov.config import BoundarySource
from svcov.data.boundaries import assign_jiezhen, load_boundaries
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


def test_filter_matching_nothing_is_reported():
    source = BoundarySource(path=ROOT / "data" / "boundaries" / "shanghai_jiezhen_217_osm.geojson", label_zh="x",
                            filter={"district": "火星"})
    with pytest.raises(InputError, match="筛选后没有街镇"):
        load_boundaries(source)


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
