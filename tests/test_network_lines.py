"""svcov.network.lines: noding road centre-line layers, with every join reported."""

import geopandas as gpd
import numpy as np
import pytest
import shapely

from svcov.errors import NetworkError
from svcov.network.lines import JOIN_COLUMNS, network_from_lines

CRS = "EPSG:32651"
X0, Y0 = 350_000.0, 3_460_000.0


def _layer(coords_list, **columns):
    lines = [shapely.LineString([(X0 + x, Y0 + y) for x, y in coords]) for coords in coords_list]
    return gpd.GeoDataFrame(columns, geometry=lines, crs=CRS)


def _edge_set(net):
    return sorted((round(min(a, b), 3), round(max(a, b), 3)) for a, b in zip(
        [tuple(np.round([net.node_x[u] - X0, net.node_y[u] - Y0], 3)) for u in net.edge_u],
        [tuple(np.round([net.node_x[v] - X0, net.node_y[v] - Y0], 3)) for v in net.edge_v]))


def test_crossing_tee_and_near_ends_are_joined_and_reported():
    layer = _layer([[(0, 0), (200, 0)],            # main street
                    [(100, -100), (100, 100)],     # crosses it with no shared vertex
                    [(50, -1), (50, -60)],         # a T-junction drawn 1 m short
                    [(200.5, 0), (300, 0)]])       # continues the main street, 0.5 m gap (end moved to 200)
    net = network_from_lines(layer, crs_metric=CRS, snap_tolerance_m=2.0)
    assert net.n_nodes == 8
    assert sorted(net.edge_length_m.round(3).tolist()) == [50.0, 50.0, 60.0, 100.0, 100.0, 100.0, 100.0]
    assert len(net.components()) == 1
    joins = net.joins
    assert list(joins.columns) == JOIN_COLUMNS
    assert joins["kind"].str.contains("ends joined").sum() == 1
    assert joins["kind"].str.contains("end joined to a line").sum() == 1
    assert sorted(joins["gap_m"].round(6).tolist()) == [0.5, 1.0]
    tee = joins[joins["kind"].str.contains("T")].iloc[0]
    assert (tee["x"] - X0, tee["y"] - Y0) == pytest.approx((50.0, 0.0))
    assert any("合并相近端点 1 处" in n and "接到邻近道路 1 处" in n for n in net.notes)


def test_without_tolerance_gaps_stay_open():
    layer = _layer([[(0, 0), (200, 0)], [(50, -1), (50, -60)], [(200.5, 0), (300, 0)]])
    net = network_from_lines(layer, crs_metric=CRS, snap_tolerance_m=0.0)
    assert len(net.components()) == 3
    assert net.joins.empty


def test_bridges_tunnels_and_layers_are_not_joined_at_crossings():
    layer = _layer([[(0, 0), (200, 0)], [(100, -100), (100, 100)], [(150, -100), (150, 100)],
                    [(50, -100), (50, 100)]], bridge=["F", "T", "no", "F"], layer=[0, 0, 1, 0])
    net = network_from_lines(layer, crs_metric=CRS)
    # only the 4th line (same level, not a bridge) is cut into the main street
    assert net.n_edges == 6
    assert len(net.components()) == 3


def test_split_crossings_off_keeps_crossings_apart_but_joins_shared_vertices():
    layer = _layer([[(0, 0), (100, 0), (200, 0)], [(100, -100), (100, 0), (100, 100)],
                    [(150, -100), (150, 100)]])
    net = network_from_lines(layer, crs_metric=CRS, split_crossings=False)
    assert net.n_edges == 5  # the first two cut at their shared vertex (100, 0), the third left alone
    assert len(net.components()) == 2
    assert any("split_crossings=false" in n for n in net.notes)


def test_a_street_drawn_twice_is_kept_once():
    layer = _layer([[(0, 0), (100, 0)], [(100, 0), (0, 0)], [(100, 0), (100, 80)]])
    net = network_from_lines(layer, crs_metric=CRS)
    assert net.n_edges == 2
    assert net.total_length_km == pytest.approx(0.18)
    assert any("删除重复或缩成一点的路段 1 条" in n for n in net.notes)


def test_a_stub_shorter_than_the_tolerance_disappears():
    layer = _layer([[(0, 0), (100, 0)], [(100.5, 0), (101, 0)], [(100, 0), (100, 50)]])
    net = network_from_lines(layer, crs_metric=CRS, snap_tolerance_m=2.0)
    assert net.n_edges == 2 and (net.edge_length_m > 0).all()
    assert net.joins["kind"].str.contains("ends joined").sum() == 1


def test_multilines_any_crs_and_attributes():
    multi = shapely.MultiLineString([[(0, 0), (100, 0)], [(100, 0), (100, 100)]])
    layer = gpd.GeoDataFrame({"name": ["甲路"], "highway": ["residential"]},
                             geometry=[shapely.affinity.translate(multi, X0, Y0)], crs=CRS).to_crs("EPSG:4326")
    net = network_from_lines(layer, crs_metric=CRS)
    assert net.n_edges == 2 and net.total_length_km == pytest.approx(0.2, abs=1e-6)
    assert net.edge_attrs["name"].tolist() == ["甲路", "甲路"]


def test_layer_without_crs_or_lines_is_refused():
    with pytest.raises(NetworkError, match="没有坐标参考系"):
        network_from_lines(gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 0)])]), crs_metric=CRS)
    with pytest.raises(NetworkError, match="没有可用的线要素"):
        network_from_lines(gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (0, 0)])], crs=CRS),
                           crs_metric=CRS)
