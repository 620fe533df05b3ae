"""Candidate sites (svcov.siting.candidates).

Two square 街镇 side by side in EPSG:32651 (UTM 51N, Shanghai): A = [340000, 341000] × [3430000, 3431000] and
B = [341000, 342000] × [3430000, 3431000]. A 500 m grid has its centres at 250 and 750 m into every square.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from svcov.config import FacilityAttribute, FacilityType
from svcov.data.coords import wgs84_to_gcj02
from svcov.errors import ConfigError, InputError
from svcov.siting.candidates import (
    CANDIDATE_COLUMNS,
    CandidateSpec,
    build_candidates,
    cluster_candidates,
    thin_by_spacing,
)

CRS = "EPSG:32651"
X0, Y0 = 340000.0, 3430000.0
TYPES = (FacilityType("inclusive_childcare_point", "普惠性托育点", "inclusive childcare point"),)
#: The capacity the type file declares: the candidates of the user's file get theirs from its column.
ATTRIBUTES = (FacilityAttribute("capacity", "number", "托位数", integer=True),)


@pytest.fixture
def boundaries():
    return gpd.GeoDataFrame({"jiezhen_code": ["A", "B"], "name": ["甲街道", "乙镇"]},
                            geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
                                      shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=CRS)


def points(xy, crs=CRS):
    xy = np.asarray(xy, dtype=float)
    return gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1], crs=crs)


def build(boundaries, specs, **kw):
    kw.setdefault("attributes", ATTRIBUTES)
    return build_candidates(boundaries, specs, type_key="inclusive_childcare_point", facility_types=TYPES, **kw)


def test_grid_candidates_with_their_jiezhen(boundaries):
    out = build(boundaries, [{"kind": "grid", "spacing_m": 500}])
    assert list(out.columns) == CANDIDATE_COLUMNS and len(out) == 8
    assert out["jiezhen_code"].value_counts().to_dict() == {"A": 4, "B": 4}
    assert sorted(set(np.round(out.geometry.x - X0))) == [250, 750, 1250, 1750]
    assert out["name"].str.contains("网格点").all() and out["source"].eq("grid").all()
    assert out["lon_wgs84"].between(121, 122).all() and out["lat_wgs84"].between(30, 32).all()
    assert out.attrs["counts"]["kept_grid"] == 8


def test_poi_candidates_filtered_by_fclass(boundaries, tmp_path):
    pois = gpd.GeoDataFrame({"osm_id": [1, 2, 3], "fclass": ["residential", "school", "community_centre"],
                             "name": ["仓城六村", "某小学", None]},
                            geometry=points([[100, 100], [200, 200], [1500, 500]]), crs=CRS).to_crs("EPSG:4326")
    path = tmp_path / "pois.geojson"
    pois.to_file(path)
    out = build(boundaries, [{"kind": "pois", "path": path, "fclass": ["residential", "community_centre"]}])
    assert out["candidate_id"].tolist() == ["poi-1", "poi-3"]
    assert out["name"].tolist() == ["仓城六村", "未命名 community_centre 3"]
    assert out["jiezhen_code"].tolist() == ["A", "B"]
    assert out.geometry.x.sub(X0).round().tolist() == [100, 1500]


def test_poi_layer_without_the_fclass_column(boundaries, tmp_path):
    path = tmp_path / "pois.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=points([[1, 1]]), crs=CRS).to_file(path)
    with pytest.raises(InputError, match="POI 图层缺少列「fclass」"):
        build(boundaries, [{"kind": "pois", "path": path, "fclass": ["residential"]}])


def _candidate_csv(tmp_path, rows):
    lonlat = gpd.GeoSeries(points([[r[1], r[2]] for r in rows]), crs=CRS).to_crs("EPSG:4326")
    lon, lat = wgs84_to_gcj02(lonlat.x.to_numpy(), lonlat.y.to_numpy())
    table = pd.DataFrame({"编号": [r[0] for r in rows], "名称": [r[3] for r in rows], "经度": lon, "纬度": lat,
                          "托位数": [r[4] for r in rows]})
    path = tmp_path / "候选用房.csv"
    table.to_csv(path, index=False, encoding="gb18030")
    return path


def test_users_file_in_gcj02_is_read_like_a_register(boundaries, tmp_path):
    path = _candidate_csv(tmp_path, [("R1", 300, 400, "社区中心空置用房", 25), ("R2", 5000, 400, "边界外", 10)])
    out = build(boundaries, [{"kind": "file", "path": path, "coord_system": "gcj02", "label_zh": "街镇提供的用房"}])
    assert out["candidate_id"].tolist() == ["R1"] and out["source_label"].tolist() == ["街镇提供的用房"]
    assert out.geometry.x.iloc[0] - X0 == pytest.approx(300, abs=1.0)  # GCJ-02 converted back to WGS-84
    assert out["capacity"].tolist() == [25]
    warning = out.attrs["problems"][0]
    assert warning.row == 3 and warning.severity == "warning" and "不在任何街镇边界内" in warning.message_zh


def test_users_file_with_errors_lists_every_row(boundaries, tmp_path):
    path = tmp_path / "候选.csv"
    path.write_text("名称,经度,纬度\n甲,121.3,\n乙,abc,31.0\n", encoding="utf-8")
    with pytest.raises(InputError, match="(?s)第 2 行, 列「纬度」: 缺少经纬度.*第 3 行, 列「经度」.*无法识别为经度"):
        build(boundaries, [{"kind": "file", "path": path}])


def test_spacing_prefers_the_users_and_poi_candidates(boundaries, tmp_path):
    pois = gpd.GeoDataFrame({"osm_id": [7], "fclass": ["residential"], "name": ["近网格点小区"]},
                            geometry=points([[350, 250]]), crs=CRS)
    path = tmp_path / "pois.gpkg"
    pois.to_file(path)
    out = build(boundaries, [{"kind": "grid", "spacing_m": 500}, {"kind": "pois", "path": path}], min_spacing_m=300)
    assert "poi-7" in out["candidate_id"].tolist()
    assert len(out) == 8 and out.attrs["counts"]["closer_than_spacing"] == 1  # the grid point at (250, 250)
    xy = np.c_[out.geometry.x, out.geometry.y]
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() >= 300


def test_exclusions_and_distance_to_existing(boundaries, tmp_path):
    zone = gpd.GeoDataFrame(geometry=[shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 500)], crs=CRS)
    path = tmp_path / "禁建区.geojson"
    zone.to_crs("EPSG:4326").to_file(path)
    existing = gpd.GeoDataFrame(geometry=points([[250, 750]]), crs=CRS)
    out = build(boundaries, [{"kind": "grid", "spacing_m": 500}], exclusions=[path], existing=existing,
                min_distance_to_existing_m=100)
    counts = out.attrs["counts"]
    assert counts["in_exclusion_area"] == 2 and counts["near_existing"] == 1 and len(out) == 5


def test_clusters_follow_the_children(boundaries):
    xy = np.r_[np.full((5, 2), [200.0, 200.0]) + np.arange(5)[:, None], np.full((5, 2), [1800.0, 800.0])
               + np.arange(5)[:, None]]
    demand = gpd.GeoDataFrame({"residents": np.r_[np.ones(5) * 10, np.ones(5)]}, geometry=points(xy), crs=CRS)
    out = cluster_candidates(CandidateSpec(kind="clusters", n_clusters=2, label_zh="聚类"), demand, "residents")
    got = sorted(np.round(out.geometry.x - X0).tolist())
    assert len(out) == 2 and 200 <= got[0] <= 204 and 1800 <= got[1] <= 1804
    with_boundary = build(boundaries, [{"kind": "clusters", "n_clusters": 2}], demand=demand)
    assert sorted(with_boundary["jiezhen_code"]) == ["A", "B"]


def test_thin_by_spacing():
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [250.0, 0.0], [400.0, 0.0]])
    assert thin_by_spacing(xy, np.zeros(4), 200).tolist() == [True, False, True, False]
    assert thin_by_spacing(xy, np.array([1, 0, 1, 1]), 200).tolist() == [False, True, False, True]
    assert thin_by_spacing(xy, np.zeros(4), 0).all()


@pytest.mark.parametrize("specs, kwargs, error, match", [
    ([{"kind": "parcels"}], {}, ConfigError, "候选点来源 kind「parcels」未知"),
    ([], {}, ConfigError, "没有配置候选点来源"),
    ([{"kind": "clusters"}], {}, ConfigError, "clusters 候选点需要需求点"),
    ([{"kind": "grid", "spacing_m": 0}], {}, ConfigError, "spacing_m 应大于 0"),
    ([{"kind": "grid", "spacing_m": 500}], {"exclusions": [gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1e7, 1e7)],
                                                                            crs=CRS)]},
     InputError, "没有可用的候选点"),
])
def test_candidate_errors(boundaries, specs, kwargs, error, match):
    with pytest.raises(error, match=match):
        build(boundaries, specs, **kwargs)
