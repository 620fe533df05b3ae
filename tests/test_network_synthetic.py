"""svcov.network.synthetic: hand-checkable grids and the street-like benchmark network."""

import numpy as np
import pytest

from svcov.network.synthetic import DEFAULT_ORIGIN, grid_network, random_points, street_network


def test_grid_layout():
    net = grid_network(3, 2, 100.0)
    x0, y0 = DEFAULT_ORIGIN
    assert (net.node_x - x0).tolist() == [0, 100, 200, 0, 100, 200]
    assert (net.node_y - y0).tolist() == [0, 0, 0, 100, 100, 100]
    assert list(zip(net.edge_u.tolist(), net.edge_v.tolist())) == [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4),
                                                                   (2, 5)]
    assert net.edge_length_m.tolist() == [100.0] * 7


def test_grid_with_a_missing_street():
    net = grid_network(3, 2, 100.0, remove=((4, 1),))
    assert net.n_edges == 6
    assert (1, 4) not in set(zip(net.edge_u.tolist(), net.edge_v.tolist()))


def test_grid_needs_two_junctions():
    with pytest.raises(ValueError, match="at least two"):
        grid_network(1, 1)


def test_street_network_is_reproducible_and_street_like():
    a = street_network(2_500, seed=7)
    b = street_network(2_500, seed=7)
    assert a.n_nodes == 2_500
    assert np.array_equal(a.edge_u, b.edge_u) and np.allclose(a.node_x, b.node_x)
    full = 2 * 50 * 49
    assert 0.80 * full < a.n_edges < 0.95 * full  # about 12 % of streets missing
    bends = np.array([len(g.coords) for g in a.edge_geometry])
    assert set(bends.tolist()) == {2, 4}
    assert 0.15 < (bends == 4).mean() < 0.35
    assert 60 < np.median(a.edge_length_m) < 100
    assert street_network(2_500, seed=8).edge_u.tolist() != a.edge_u.tolist()


def test_random_points_cover_the_network_extent():
    net = grid_network(5, 5, 100.0)
    pts = random_points(net, 200, seed=3, prefix="d")
    assert pts["point_id"].iloc[0] == "d0" and len(pts) == 200
    xy = np.c_[pts.geometry.x, pts.geometry.y]
    assert xy[:, 0].min() >= net.node_x.min() and xy[:, 0].max() <= net.node_x.max()
    assert random_points(net, 200, seed=3).geometry.equals(pts.geometry)
