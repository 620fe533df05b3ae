"""svcov.access.snap: the KD-tree snapping equals a brute-force nearest-edge search."""

import numpy as np
import pytest
import shapely

import svcov.access.snap as snap
from svcov.access.snap import SegmentIndex
from svcov.network.synthetic import random_points, street_network


@pytest.fixture(scope="module")
def case():
    net = street_network(900, seed=4, curved_share=0.5)
    pts = random_points(net, 3000, seed=9).geometry.to_numpy()
    return net, pts


def _brute_force(net, pts):
    tree = shapely.STRtree(net.edge_geometry)
    (_, edge), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    return edge, dist


def _check(net, pts, index):
    xy = shapely.get_coordinates(pts)
    edge, offset, dist = index.query(xy[:, 0], xy[:, 1])
    ref_edge, ref_dist = _brute_force(net, pts)
    assert np.abs(dist - ref_dist).max() < 1e-9
    # ties (a point nearest to a junction) may pick another edge at the same distance; the point snapped to is the same
    snapped = shapely.line_interpolate_point(net.edge_geometry[edge], offset)
    ref_point = shapely.line_interpolate_point(net.edge_geometry[ref_edge],
                                               shapely.line_locate_point(net.edge_geometry[ref_edge], pts))
    assert shapely.distance(snapped, ref_point).max() < 1e-6
    assert np.abs(shapely.distance(snapped, pts) - dist).max() < 1e-6
    return edge


def test_same_as_brute_force(case):
    net, pts = case
    edge = _check(net, pts, SegmentIndex(net))
    assert (edge >= 0).all()


def test_radius_search_when_candidates_cannot_prove_it(case, monkeypatch):
    net, pts = case
    monkeypatch.setattr(snap, "K_CANDIDATES", 2)
    monkeypatch.setattr(snap, "GRID_MIN_POINTS", 10**9)  # the KD-tree path only
    calls = []
    original = SegmentIndex._requery
    monkeypatch.setattr(SegmentIndex, "_requery", lambda self, *a: calls.append(len(a[2])) or original(self, *a))
    _check(net, pts, SegmentIndex(net))
    assert calls and calls[0] > 100  # many points needed the radius search, and still got the exact answer


def test_only_allowed_edges_and_empty_index(case):
    net, pts = case
    allowed = np.zeros(net.n_edges, dtype=bool)
    allowed[::3] = True
    xy = shapely.get_coordinates(pts)
    edge, _, dist = SegmentIndex(net, allowed).query(xy[:, 0], xy[:, 1])
    assert allowed[edge].all()
    tree = shapely.STRtree(net.edge_geometry[allowed])
    assert np.abs(dist - tree.query_nearest(pts, return_distance=True, all_matches=False)[1]).max() < 1e-9
    edge, _, dist = SegmentIndex(net, np.zeros(net.n_edges, dtype=bool)).query(xy[:5, 0], xy[:5, 1])
    assert (edge == -1).all() and np.isinf(dist).all()


def test_offsets_run_from_the_u_end(case):
    net, pts = case
    xy = shapely.get_coordinates(pts)
    edge, offset, _ = SegmentIndex(net).query(xy[:, 0], xy[:, 1])
    ref = shapely.line_locate_point(net.edge_geometry[edge], pts)
    assert np.abs(offset - ref).max() < 1e-6
    assert (offset >= 0).all() and (offset <= net.edge_length_m[edge]).all()


def test_certified_grid_answers_most_points_exactly(case, monkeypatch):
    net, pts = case
    index = SegmentIndex(net)
    assert index.grid is not None and index.grid[7].mean() > 0.9  # nearly every cell certified
    xy = shapely.get_coordinates(pts)
    n = len(xy)
    best = np.zeros(n, dtype=np.int64), np.full(n, np.inf), np.zeros(n)
    left = index._grid_query(xy[:, 0], xy[:, 1], *best)
    assert len(left) < 0.1 * n
    _check(net, pts, index)  # grid + KD together equal the brute force


def test_grid_falls_back_for_uncertified_cells_and_far_points(case, monkeypatch):
    net, pts = case
    monkeypatch.setattr(snap, "K_CELL", 3)  # few candidates per cell: many cells cannot be certified
    index = SegmentIndex(net)
    assert 0 < index.grid[7].mean() < 0.9
    x0, y0, nx, ny = index.grid[:4]
    far = shapely.points([x0 - 5_000, x0 + nx * snap.CELL_M + 800], [y0 + 100, y0 + ny * snap.CELL_M / 2])
    _check(net, np.r_[pts, far], index)


def test_small_queries_skip_the_grid(case, monkeypatch):
    net, pts = case
    index = SegmentIndex(net)
    calls = []
    monkeypatch.setattr(SegmentIndex, "_grid_query", lambda self, *a: calls.append(1) or np.arange(len(a[0])))
    xy = shapely.get_coordinates(pts[:10])
    index.query(xy[:, 0], xy[:, 1])
    assert calls == []
