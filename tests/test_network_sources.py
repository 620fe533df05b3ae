"""svcov.network.sources: every network format, the walk rule, and the cached osmnx download (no internet:
osmnx is replaced at its call boundary)."""

import bz2
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx
import pytest
import shapely

from svcov.access.engine import NetworkTravelModel
from svcov.errors import NetworkError
from svcov.network.sources import is_walkable, load_network
from svcov.network.synthetic import random_points

DATA = Path(__file__).parent / "data"
OSM = DATA / "shanghai_jingan_drive_osm.osm"
PBF = DATA / "shanghai_jingan_drive_osm.osm.pbf"
CRS = "EPSG:32651"


@pytest.fixture(scope="module")
def jingan():
    return load_network(OSM, crs_metric=CRS)


@pytest.fixture(scope="module")
def probe(jingan):
    """20 facilities and 400 demand points over the Jing'an network."""
    return random_points(jingan, 20, seed=11), random_points(jingan, 400, seed=12)


def _times(network, probe):
    facilities, demand = probe
    return NetworkTravelModel(network).nearest(facilities, demand)["time_s"].to_numpy()


@pytest.mark.parametrize("tags, walkable", [
    ({"highway": "residential"}, True),
    ({"highway": "trunk", "name": "延安西路"}, True),
    ({"highway": "motorway"}, False),
    ({"highway": ["motorway_link", "motorway"]}, False),
    ({"highway": ["trunk_link", "motorway_link"]}, True),
    ({"highway": "cycleway"}, False),
    ({"highway": "footway", "foot": "no"}, False),
    ({"highway": "service", "access": "private"}, False),
    ({"highway": "service", "access": "private", "foot": "yes"}, True),
    ({"highway": "service", "service": "private"}, False),
    ({"highway": "pedestrian", "area": "yes"}, False),
    ({"highway": "primary", "motorroad": "yes"}, False),
    ({"highway": "trunk", "name": "南北高架路", "bridge": "yes"}, False),
    ({"highway": "primary", "name": "某某路桥", "bridge": "yes"}, True),
    ({"highway": None}, False),
])
def test_walk_rule(tags, walkable):
    assert is_walkable(tags) is walkable


def test_osm_xml(jingan):
    assert jingan.crs.to_epsg() == 32651
    assert 700 < jingan.n_nodes < 900 and 800 < jingan.n_edges < 1000
    names = jingan.edge_attrs["name"].fillna("")
    assert not names.str.contains("高架").any()  # elevated expressways are left out...
    assert any("按步行规则排除" in n for n in jingan.notes)  # ...and that is said
    table = jingan.components()
    assert len(table) > 10  # the extract is cut at its bounding box: fragments are kept and listed
    assert 0.85 < table["share_length"].iloc[0] < 0.95
    assert "OpenStreetMap" in jingan.source_zh


def test_osm_xml_bz2_gives_the_same_network(tmp_path, jingan):
    target = tmp_path / "jingan.osm.bz2"
    target.write_bytes(bz2.compress(OSM.read_bytes()))
    net = load_network(target, crs_metric=CRS)
    assert (net.n_nodes, net.n_edges) == (jingan.n_nodes, jingan.n_edges)


def test_pbf_gives_the_same_times_as_xml(jingan, probe):
    net = load_network(PBF, crs_metric=CRS)
    assert PBF.name in net.source_zh
    a, b = _times(jingan, probe), _times(net, probe)
    assert np.isfinite(a).sum() > 300
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    assert np.abs(a[np.isfinite(a)] - b[np.isfinite(b)]).max() < 1e-6


def test_pbf_cut_to_a_boundary(jingan):
    corner = gpd.GeoDataFrame(geometry=[shapely.box(121.461, 31.220, 121.468, 31.226)], crs="EPSG:4326")
    net = load_network(PBF, crs_metric=CRS, boundary=corner)
    assert 0 < net.n_edges < jingan.n_edges


def test_graphml_written_by_osmnx(tmp_path, jingan, probe):
    path = tmp_path / "jingan.graphml"
    osmnx.save_graphml(_osm_graph(), path)
    net = load_network(path, crs_metric=CRS)
    assert np.allclose(_times(net, probe), _times(jingan, probe), rtol=0, atol=1e-6, equal_nan=True)


def test_road_centre_line_file(tmp_path):
    x0, y0 = 350_000.0, 3_460_000.0
    lines = [shapely.LineString([(x0, y0), (x0 + 200, y0)]), shapely.LineString([(x0 + 100, y0 - 100),
                                                                                  (x0 + 100, y0 + 100)]),
             shapely.LineString([(x0 + 200.8, y0), (x0 + 300, y0)]),
             shapely.LineString([(x0, y0 + 50), (x0 + 300, y0 + 50)])]
    layer = gpd.GeoDataFrame({"fclass": ["residential", "residential", "tertiary", "motorway"],
                              "name": ["甲路", "乙路", "甲路", "外环高速"]}, geometry=lines, crs=CRS)
    path = tmp_path / "roads.gpkg"
    layer.to_crs("EPSG:4326").to_file(path, engine="pyogrio")
    net = load_network(path, crs_metric=CRS)
    assert net.n_edges == 5 and len(net.components()) == 1
    assert net.joins["gap_m"].round(3).tolist() == [0.8]
    assert any("排除 1 条" in n for n in net.notes)


def test_polygon_layer_is_not_a_road_layer(tmp_path):
    path = tmp_path / "areas.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=CRS).to_file(path, engine="pyogrio")
    with pytest.raises(NetworkError, match="不是线图层"):
        load_network(path, crs_metric=CRS)


def test_unknown_missing_and_broken_files(tmp_path):
    with pytest.raises(NetworkError, match="找不到路网文件"):
        load_network(tmp_path / "none.osm", crs_metric=CRS)
    odd = tmp_path / "network.dwg"
    odd.write_text("x")
    with pytest.raises(NetworkError, match="不支持的路网文件格式"):
        load_network(odd, crs_metric=CRS)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way id='1'>")
    with pytest.raises(NetworkError, match="无法读取 OSM 文件"):
        load_network(broken, crs_metric=CRS)
    bad_pbf = tmp_path / "broken.osm.pbf"
    bad_pbf.write_bytes(b"\x00\x00\x00\x0dnot a pbf file at all")
    with pytest.raises(NetworkError, match="无法读取 PBF 文件"):
        load_network(bad_pbf, crs_metric=CRS)


# --- the osmnx download, tested at the osmnx call boundary ---------------------------------------------------------

@pytest.fixture()
def jingan_boundary():
    return gpd.GeoDataFrame({"jiezhen_code": ["x"]}, geometry=[shapely.box(121.465, 31.224, 121.482, 31.237)],
                            crs="EPSG:4326")


_GRAPH = []


def _osm_graph():
    """What osmnx would return (a fresh copy each call: the loader removes unwalkable edges from it)."""
    if not _GRAPH:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            _GRAPH.append(osmnx.graph_from_xml(OSM, bidirectional=True, retain_all=True))
    return _GRAPH[0].copy()


def test_download_is_cached_and_reused_offline(tmp_path, monkeypatch, jingan_boundary, jingan):
    calls = []

    def fake_download(polygon, *, network_type, retain_all):
        calls.append((polygon, network_type, list(osmnx.settings.useful_tags_way), osmnx.settings.cache_folder))
        return _osm_graph()

    monkeypatch.setattr(osmnx, "graph_from_polygon", fake_download)
    tags_before, cache_before = list(osmnx.settings.useful_tags_way), osmnx.settings.cache_folder
    first = load_network("osm_download", crs_metric=CRS, boundary=jingan_boundary, cache_dir=tmp_path)
    polygon, network_type, tags, http_cache = calls[0]
    assert network_type == "walk"
    assert polygon.contains(jingan_boundary.geometry.iloc[0])  # the boundary plus a margin
    assert {"foot", "motorroad", "bridge"} <= set(tags)
    assert Path(http_cache) == tmp_path / "osmnx_http"
    assert osmnx.settings.useful_tags_way == tags_before and osmnx.settings.cache_folder == cache_before
    cached = list(tmp_path.glob("osm_walk_*.graphml"))
    assert len(cached) == 1 and not list(tmp_path.glob(".tmp-*"))
    assert first.n_edges == jingan.n_edges

    def offline(*args, **kwargs):
        raise AssertionError("must not download again")

    monkeypatch.setattr(osmnx, "graph_from_polygon", offline)
    again = load_network("osm_download", crs_metric=CRS, boundary=jingan_boundary, cache_dir=tmp_path)
    assert again.n_edges == first.n_edges and cached[0].name in again.source_zh


def test_download_by_place_name(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(osmnx, "graph_from_place",
                        lambda place, *, network_type, retain_all: asked.append(place) or _osm_graph())
    net = load_network("osm_download", crs_metric=CRS, place="上海市静安区", cache_dir=tmp_path)
    assert asked == ["上海市静安区"] and net.n_edges > 0


def test_download_failure_says_what_to_do(tmp_path, monkeypatch, jingan_boundary):
    def no_internet(*args, **kwargs):
        raise ConnectionError("Max retries exceeded with url: overpass-api.de")

    monkeypatch.setattr(osmnx, "graph_from_polygon", no_internet)
    with pytest.raises(NetworkError, match="无法下载 OpenStreetMap 路网.*network.source"):
        load_network("osm_download", crs_metric=CRS, boundary=jingan_boundary, cache_dir=tmp_path)
    assert not list(tmp_path.glob("*.graphml"))
    with pytest.raises(NetworkError, match="街镇边界或地名"):
        load_network("osm_download", crs_metric=CRS, cache_dir=tmp_path)


def test_copied_cache_file_is_found(tmp_path, monkeypatch, jingan_boundary):
    """A bureau PC without internet: the cache made elsewhere is copied into data/network/."""
    monkeypatch.setattr(osmnx, "graph_from_polygon", lambda *a, **k: _osm_graph())
    online, offline = tmp_path / "online", tmp_path / "offline"
    load_network("osm_download", crs_metric=CRS, boundary=jingan_boundary, cache_dir=online)
    offline.mkdir()
    for f in online.glob("*.graphml"):
        shutil.copy(f, offline / f.name)
    monkeypatch.setattr(osmnx, "graph_from_polygon", lambda *a, **k: (_ for _ in ()).throw(ConnectionError()))
    assert load_network("osm_download", crs_metric=CRS, boundary=jingan_boundary, cache_dir=offline).n_edges > 0
