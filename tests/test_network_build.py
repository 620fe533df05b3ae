"""svcov.network.build: arrays, orientation, components, CSR times, networkx/osmnx graphs."""

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

from svcov.errors import NetworkError
from svcov.network.build import network_from_arrays, network_from_graph, speed_mps, travel_time_csr

CRS = "EPSG:32651"


def test_lengths_come_from_geometry_and_straight_lines_by_default():
    net = network_from_arrays([0, 300, 300], [0, 0, 400], [0, 1], [1, 2], crs=CRS)
    assert net.edge_length_m.tolist() == [300.0, 400.0]
    assert net.n_nodes == 3 and net.n_edges == 2
    assert net.total_length_km == pytest.approx(0.7)


def test_geometry_drawn_backwards_is_reversed_and_bends_count():
    bent = shapely.LineString([(100, 0), (50, 50), (0, 0)])  # drawn from v to u
    net = network_from_arrays([0, 100], [0, 0], [0], [1], crs=CRS, edge_geometry=[bent])
    assert net.edge_geometry[0].coords[0] == (0.0, 0.0)
    assert net.edge_length_m[0] == pytest.approx(2 * np.hypot(50, 50))


def test_components_are_ranked_largest_first_and_small_ones_not_snappable():
    # a 3-edge path (4 junctions) and a separate single edge (2 junctions)
    net = network_from_arrays([0, 1, 2, 3, 10, 11], [0] * 6, [4, 0, 1, 2], [5, 1, 2, 3], crs=CRS)
    assert net.component.tolist() == [0, 0, 0, 0, 1, 1]
    table = net.components(min_nodes=3)
    assert table["n_nodes"].tolist() == [4, 2]
    assert table["n_edges"].tolist() == [3, 1]
    assert table["snappable"].tolist() == [True, False]
    assert table["share_length"].tolist() == pytest.approx([0.75, 0.25])
    assert net.snappable_edges(min_nodes=3).tolist() == [False, True, True, True]
    assert net.snappable_edges(min_nodes=2).all()
    assert "2 个互不连通的部分" in net.summary_zh()


def test_travel_time_csr_keeps_shortest_parallel_edge_and_drops_loops():
    long_way = shapely.LineString([(0, 0), (50, 100), (100, 0)])
    loop = shapely.LineString([(100, 0), (150, 50), (150, -50), (100, 0)])
    net = network_from_arrays([0, 100], [0, 0], [0, 0, 1], [1, 1, 1], crs=CRS,
                              edge_geometry=[shapely.LineString([(0, 0), (100, 0)]), long_way, loop])
    csr = travel_time_csr(net, 3.6)  # 1 m/s: seconds = metres
    assert csr.shape == (2, 2)
    assert csr.toarray().tolist() == [[0.0, 100.0], [100.0, 0.0]]
    assert csr.nnz == 2


def test_zero_length_edge_is_an_edge():
    net = network_from_arrays([0, 0, 50], [0, 0, 0], [0, 1], [1, 2], crs=CRS)
    csr = travel_time_csr(net, 3.6)
    assert csr.nnz == 4
    assert csr[[0], [1]][0] == 0.0


def test_speed():
    assert speed_mps(4.0) == pytest.approx(1.1111111)


@pytest.mark.parametrize("kwargs, match", [
    (dict(crs="EPSG:4326"), "投影坐标系"),
    (dict(crs=None), "投影坐标系"),
    (dict(crs=CRS, edge_v=[5]), "不存在的路口"),
    (dict(crs=CRS, edge_geometry=[shapely.LineString([(0, 0), (90, 0)])]), "端点不在其路口上"),
    (dict(crs=CRS, edge_geometry=[shapely.Point(0, 0)]), "LineString"),
    (dict(crs=CRS, node_x=[0, np.nan]), "有空值"),
])
def test_bad_arrays_are_refused(kwargs, match):
    args = dict(node_x=[0, 100], node_y=[0, 0], edge_u=[0], edge_v=[1])
    args.update(kwargs)
    with pytest.raises(NetworkError, match=match):
        network_from_arrays(args.pop("node_x"), args.pop("node_y"), args.pop("edge_u"), args.pop("edge_v"), **args)


def _lonlat_graph():
    """An osmnx-like graph in EPSG:4326: a two-way street (both directions), a bent one-way street."""
    to_ll = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    xy = {1: (350_000.0, 3_460_000.0), 2: (350_100.0, 3_460_000.0), 3: (350_100.0, 3_460_100.0)}
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for n, (x, y) in xy.items():
        lon, lat = to_ll.transform(x, y)
        graph.add_node(n, x=lon, y=lat)
    graph.add_edge(1, 2, highway="residential", name="甲路", osmid=11)
    graph.add_edge(2, 1, highway="residential", name="甲路", osmid=11)
    bend = [to_ll.transform(*p) for p in [(350_100.0, 3_460_100.0), (350_150.0, 3_460_050.0), (350_100.0, 3_460_000.0)]]
    graph.add_edge(3, 2, highway=["tertiary", "residential"], osmid=[12, 13], geometry=shapely.LineString(bend))
    return graph


def test_network_from_graph_projects_and_merges_directions():
    net = network_from_graph(_lonlat_graph(), crs_metric=CRS, source_zh="测试")
    assert net.n_nodes == 3
    assert net.n_edges == 2  # 1-2 and 2-1 are one walkable street
    assert sorted(net.edge_length_m.round(3).tolist()) == [100.0, round(2 * np.hypot(50, 50), 3)]
    assert net.node_x.round(3).tolist() == [350_000.0, 350_100.0, 350_100.0]
    assert set(net.edge_attrs["highway"]) == {"residential", "residential;tertiary"}
    assert net.node_id.tolist() == [1, 2, 3]


def test_network_from_graph_without_edges_is_refused():
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=121.0, y=31.0)
    with pytest.raises(NetworkError, match="没有可步行的路段"):
        network_from_graph(graph, crs_metric=CRS)


def test_frames_for_qgis():
    net = network_from_arrays([0, 100, 100], [0, 0, 100], [0, 1], [1, 2], crs=CRS)
    edges, nodes = net.edges_frame(), net.nodes_frame()
    assert edges["length_m"].tolist() == [100.0, 100.0]
    assert nodes["degree"].tolist() == [1, 2, 1]
    assert edges.crs == nodes.crs == pyproj.CRS(CRS)


def test_profile_edge_times_by_highway_class():
    import pandas as pd

    from svcov.network.build import profile_edge_times

    net = network_from_arrays([0, 100, 200, 300], [0, 0, 0, 0], [0, 1, 2], [1, 2, 3], crs="EPSG:32651",
                              edge_attrs=pd.DataFrame({"highway": ["primary", "footway;steps", None]}))
    times = profile_edge_times(net, 12.0, {"footway": 4.0, "steps": 2.0})
    assert times.tolist() == pytest.approx([30.0, 180.0, 30.0])  # 100 m at 12 km/h; the slowest class (steps) wins
    assert profile_edge_times(net, 4.0).tolist() == pytest.approx([90.0] * 3)
