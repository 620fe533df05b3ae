"""svcov.access.engine: travel times worked out by hand on a small grid, the straight-line fallback, and
agreement with networkx on the graph with every point inserted."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from svcov.access.engine import NetworkTravelModel, StraightLineTravelModel, build_travel_model
from svcov.access.reference import augmented_graph, reference_nearest_s
from svcov.config import TravelConfig
from svcov.errors import InputError
from svcov.network.build import network_from_arrays
from svcov.network.synthetic import DEFAULT_ORIGIN, grid_network, random_points, street_network

X0, Y0 = DEFAULT_ORIGIN
CRS = "EPSG:32651"
ONE_MPS = 3.6  # km/h: times in seconds equal distances in metres


def _points(xy, index=None):
    return gpd.GeoDataFrame(index=index, geometry=gpd.points_from_xy([X0 + x for x, _ in xy], [Y0 + y for _, y in xy]),
                            crs=CRS)


# The grid (100 m streets):   3 --- 4 --- 5        F: 10 m below street 0-1, 30 m from 0
#                             |     |     |        G: on junction 5
#                             0 --- 1 --- 2
FAC = _points([(30, -10), (200, 100)], index=["F", "G"])
DEM = _points([(170, 5), (60, 2), (100, 150), (100, 800), (140, 50)], index=["d1", "d2", "d3", "d4", "d5"])
# By hand: d1 on street 1-2, 70 m from 1, 5 m off. F: 10+70 (to 1) +70+5 = 155; G: 100 (5->2) +30+5 = 135.
#          d2 on F's own street: 10 + (60-30) + 2 = 42 straight along the street (via a junction: 102).
#          d3 50 m above junction 4: F 10+70+100+50 = 230; G 100+50 = 150.
#          d4 700 m from every road: unreachable.
#          d5 on street 1-4, 50 m from 1, 40 m off: F 80+50+40 = 170; G 100 (5->4) +50+40 = 190.
BY_HAND = np.array([[155.0, 42.0, 230.0, np.inf, 170.0],
                    [135.0, 242.0, 150.0, np.inf, 190.0]])


@pytest.fixture()
def grid_model():
    return NetworkTravelModel(grid_network(3, 2, 100.0), walk_speed_kph=ONE_MPS, snap_max_m=500.0,
                              min_component_nodes=1)


def test_snap_to_the_nearest_point_of_the_nearest_edge(grid_model):
    snapped = grid_model.snap(DEM, "demand")
    net = grid_model.network
    assert (net.edge_u[snapped.edge[0]], net.edge_v[snapped.edge[0]]) == (1, 2)
    assert snapped.offset_m[0] == pytest.approx(70.0)
    assert snapped.access_m.tolist()[:3] == pytest.approx([5.0, 2.0, 50.0])
    assert snapped.ok.tolist() == [True, True, True, False, True]
    assert snapped.access_m[3] == pytest.approx(700.0)


def test_nearest_by_hand(grid_model):
    result = grid_model.nearest(FAC, DEM)
    assert result.index.tolist() == ["d1", "d2", "d3", "d4", "d5"]
    assert result["time_s"].tolist() == pytest.approx(BY_HAND.min(axis=0).tolist())
    assert result["source_pos"].tolist() == [1, 0, 1, -1, 0]


def test_unreachable_points_are_reported_not_snapped(grid_model):
    grid_model.nearest(FAC, DEM)
    report = grid_model.unreachable
    assert report[["role", "id"]].values.tolist() == [["targets", "d4"]]
    assert report["distance_m"].iloc[0] == pytest.approx(700.0)


def test_od_matrix_by_hand(grid_model):
    assert grid_model.od_matrix_s(FAC, DEM) == pytest.approx(BY_HAND)
    within = grid_model.od_matrix_s(FAC, DEM, max_time_s=150.0)
    assert np.isfinite(within).tolist() == [[False, True, False, False, False], [True, False, True, False, False]]


def test_catchments_by_hand(grid_model):
    table = grid_model.catchments(FAC, DEM, 170.0)
    assert table[["source_pos", "target_pos"]].values.tolist() == [[0, 0], [0, 1], [0, 4], [1, 0], [1, 2]]
    assert table["time_s"].tolist() == pytest.approx([155.0, 42.0, 170.0, 135.0, 150.0])
    assert grid_model.catchments(FAC, DEM, 10.0).empty


def test_walking_speed_scales_times():
    slow = NetworkTravelModel(grid_network(3, 2, 100.0), walk_speed_kph=ONE_MPS / 2, min_component_nodes=1)
    assert slow.nearest(FAC, DEM)["time_s"].iloc[1] == pytest.approx(84.0)


def test_no_sources_and_points_in_another_crs(grid_model):
    empty = grid_model.nearest(FAC.iloc[[]], DEM)
    assert np.isinf(empty["time_s"]).all() and (empty["source_pos"] == -1).all()
    lonlat = grid_model.nearest(FAC.to_crs("EPSG:4326"), DEM.to_crs("EPSG:4326"))
    assert lonlat["time_s"].iloc[:3].tolist() == pytest.approx([135.0, 42.0, 150.0], abs=1e-6)


def test_same_edge_both_ways_and_a_loop():
    """Two sources and two targets on one street, and a point on a loop street."""
    net = grid_network(2, 1, 100.0)
    model = NetworkTravelModel(net, walk_speed_kph=ONE_MPS, min_component_nodes=1)
    src = _points([(20, 0), (90, 3)])
    tgt = _points([(50, 4), (95, -1)])
    # target 0: from source 0: 30 + 4 = 34; from source 1: 3 + 40 + 4 = 47. target 1: 3 + 5 + 1 = 9 from source 1.
    result = model.nearest(src, tgt)
    assert result["time_s"].tolist() == pytest.approx([34.0, 9.0])
    assert result["source_pos"].tolist() == [0, 1]
    assert model.od_matrix_s(src, tgt) == pytest.approx(np.array([[34.0, 76.0], [47.0, 9.0]]))
    # a loop street from junction 1 round a 50 m square and back (200 m): a point part-way walks the shorter side
    loop = shapely.LineString([(X0 + 100, Y0), (X0 + 150, Y0), (X0 + 150, Y0 + 50), (X0 + 100, Y0 + 50),
                               (X0 + 100, Y0)])
    net = network_from_arrays(net.node_x, net.node_y, [0, 1], [1, 1], crs=CRS,
                              edge_geometry=[net.edge_geometry[0], loop])
    model = NetworkTravelModel(net, walk_speed_kph=ONE_MPS, min_component_nodes=1)
    on_loop = model.nearest(_points([(0, 0)]), _points([(152, 25), (125, 55)]))
    assert on_loop["time_s"].tolist() == pytest.approx([100 + 75 + 2, 100 + 75 + 5])


def test_straight_line_model_by_hand():
    model = StraightLineTravelModel(CRS, walk_speed_kph=ONE_MPS, circuity_factor=1.3)
    src = _points([(0, 0), (1000, 0)])
    tgt = _points([(30, 40), (900, 0), (500, 0)])
    result = model.nearest(src, tgt)
    assert result["time_s"].tolist() == pytest.approx([65.0, 130.0, 650.0])
    assert result["source_pos"].tolist() == [0, 1, 0]
    assert model.od_matrix_s(src, tgt, max_time_s=200.0) == pytest.approx(
        np.array([[65.0, np.inf, np.inf], [np.inf, 130.0, np.inf]]))
    table = model.catchments(src, tgt, 650.0)
    assert table[["source_pos", "target_pos"]].values.tolist() == [[0, 0], [0, 2], [1, 1], [1, 2]]
    assert model.is_fallback and "估算" in model.description_zh and "1.3" in model.description_zh
    assert model.unreachable.empty


def test_build_travel_model_from_config():
    fallback = build_travel_model(CRS, TravelConfig(walk_speed_kph=3.2, circuity_factor=1.4))
    assert fallback.mode == "straight_line" and fallback.radius_m(900) == pytest.approx(800 / 1.4)
    model = build_travel_model(CRS, TravelConfig(snap_max_m=50.0), grid_network(2, 2, 100.0))
    assert model.mode == "network" and not model.is_fallback and model.snap_max_m == 50.0
    assert "路网" in model.description_zh and "4 公里/小时" in model.description_zh


def test_bad_points_are_reported_together(grid_model):
    bad = gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_wkt(["POINT (350000 3460000)", "LINESTRING (0 0, 1 1)",
                                                            "POINT EMPTY"]), crs=CRS)
    with pytest.raises(InputError, match="(?s)第 2 行.*第 3 行"):
        grid_model.nearest(FAC, bad)
    with pytest.raises(InputError, match="没有坐标参考系"):
        grid_model.nearest(FAC, DEM.set_crs(None, allow_override=True))
    with pytest.raises(TypeError, match="GeoDataFrame or GeoSeries"):
        grid_model.nearest(FAC, pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="walk_speed_kph"):
        StraightLineTravelModel(CRS, walk_speed_kph=0)
    with pytest.raises(ValueError, match="circuity_factor"):
        StraightLineTravelModel(CRS, circuity_factor=0.9)
    with pytest.raises(ValueError, match="prepared by a straight-line model"):
        grid_model.nearest(StraightLineTravelModel(CRS).prepare(FAC), DEM)


@pytest.fixture(scope="module")
def street():
    net = street_network(1_600, seed=5, removal_share=0.2)
    model = NetworkTravelModel(net, walk_speed_kph=4.0, min_component_nodes=1)
    sources = model.snap(random_points(net, 25, seed=1))
    targets = random_points(net, 600, seed=2)
    # move 40 targets onto the sources' own streets, on both sides of the source
    geoms = targets.geometry.to_numpy().copy()
    for i in range(40):
        street_line = net.edge_geometry[sources.edge[i % 25]]
        geoms[i] = street_line.interpolate((0.2 + 0.6 * (i % 2)) * street_line.length)
    return model, sources, model.snap(targets.set_geometry(gpd.GeoSeries(geoms, crs=CRS)))


def test_nearest_agrees_with_networkx_on_the_augmented_graph(street):
    model, sources, targets = street
    assert np.isin(targets.edge, sources.edge).sum() >= 40  # same-street pairs are covered
    ours = model.nearest(sources, targets)["time_s"].to_numpy()
    ref = reference_nearest_s(model, sources, targets)
    assert np.array_equal(np.isinf(ours), np.isinf(ref))
    assert np.abs(ours[np.isfinite(ref)] - ref[np.isfinite(ref)]).max() < 1e-6


def test_od_and_catchments_agree_with_networkx(street):
    import networkx as nx

    model, sources, targets = street
    graph = augmented_graph(model, {"src": sources, "tgt": targets})
    od = model.od_matrix_s(sources, targets)
    bounded = model.od_matrix_s(sources, targets, max_time_s=600.0)
    table = model.catchments(sources, targets, 600.0)
    for i in (0, 7, 19):
        lengths = nx.single_source_dijkstra_path_length(graph, ("p", "src", i), weight="weight")
        ref = np.array([lengths.get(("p", "tgt", j), np.inf) for j in range(len(targets))])
        finite = np.isfinite(ref)
        assert np.array_equal(np.isfinite(od[i]), finite)
        assert np.abs(od[i][finite] - ref[finite]).max() < 1e-6
        assert np.array_equal(np.isfinite(bounded[i]), ref <= 600.0)
        mine = table[table["source_pos"] == i]
        assert mine["target_pos"].tolist() == np.flatnonzero(ref <= 600.0).tolist()
        assert np.abs(mine["time_s"].to_numpy() - ref[ref <= 600.0]).max() < 1e-6
    assert (od.min(axis=0) == pytest.approx(model.nearest(sources, targets)["time_s"].to_numpy()))


def test_per_edge_times_agree_with_networkx(street):
    """A profile with its own time per edge (here: a random factor 1-3 per street) gives the Dijkstra times of the
    augmented graph whose edge pieces take their share of the edge's time."""
    import networkx as nx

    base, sources, targets = street
    factor = np.random.default_rng(3).uniform(1.0, 3.0, base.network.n_edges)
    model = NetworkTravelModel(base.network, walk_speed_kph=4.0, min_component_nodes=1,
                               edge_time_s=base.network.edge_length_m / base.speed_mps * factor,
                               snap_index=base.index, profile="slow", profile_name_zh="慢行")
    assert model.index is base.index and "部分道路类别按配置的速度" in model.description_zh
    ours = model.nearest(sources, targets)["time_s"].to_numpy()
    ref = reference_nearest_s(model, sources, targets)
    assert np.abs(ours[np.isfinite(ref)] - ref[np.isfinite(ref)]).max() < 1e-6
    assert (ours >= base.nearest(sources, targets)["time_s"].to_numpy() - 1e-9).all()   # never faster
    graph = augmented_graph(model, {"src": sources, "tgt": targets})
    lengths = nx.single_source_dijkstra_path_length(graph, ("p", "src", 3), weight="weight")
    want = np.array([lengths.get(("p", "tgt", j), np.inf) for j in range(len(targets))])
    got = model.od_matrix_s(sources, targets)[3]
    assert np.abs(got[np.isfinite(want)] - want[np.isfinite(want)]).max() < 1e-6
    with pytest.raises(ValueError, match="edge_time_s"):
        NetworkTravelModel(base.network, edge_time_s=np.full(3, 1.0))


def test_profiles_of_a_config_share_the_snapping():
    from svcov.access.profiles import build_travel_models
    from svcov.config import TravelConfig, TravelProfile

    net = grid_network(5, 5, 100.0, crs=CRS)
    travel = TravelConfig(profiles=(TravelProfile("walk", "一般步行", 4.0), TravelProfile("bike", "骑行", 12.0,
                                                                                      speed_by_highway={"road": 4.0})))
    models = build_travel_models(CRS, travel, net)
    assert list(models) == ["walk", "bike"] and models["bike"].index is models["walk"].index
    assert models["bike"].profile_name_zh == "骑行" and "骑行速度 12 公里/小时" in models["bike"].description_zh
    fallback = build_travel_models(CRS, travel, None)
    assert fallback["bike"].is_fallback and "骑行时间按直线距离" in fallback["bike"].description_zh
    walk = models["walk"].nearest(FAC, DEM)["time_s"].to_numpy()
    bike = models["bike"].nearest(FAC, DEM)["time_s"].to_numpy()
    assert (bike <= walk + 1e-9).all() and (bike < walk).any()
