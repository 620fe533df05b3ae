"""coverage.access.snap: the KD-tree snapping equals a brute-force nearest-edge search."""

import numpy as np
import pytest
import shapely

import coverage.access.snap as snap
from coverage.access.snap import SegmentIndex
from coverage.network.synthetic import random_points, street_network


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
