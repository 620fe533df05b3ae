"""svcov.access.kernels: the compiled searches by hand on a path, their pure-Python bodies equal to the compiled
code, and the numba backend equal to the scipy reference on a street-like network."""

import numpy as np
import pytest
import scipy.sparse as sp

from svcov import settings
from svcov.access import kernels
from svcov.access.engine import NetworkTravelModel
from svcov.network.synthetic import random_points, street_network

# path 0 -(10)- 1 -(20)- 2 -(30)- 3, both ways
PATH = sp.csr_array((np.array([10.0, 10, 20, 20, 30, 30]),
                     (np.array([0, 1, 1, 2, 2, 3]), np.array([1, 0, 2, 1, 3, 2]))), shape=(4, 4))
# two sources: A seeded at junction 0 (time 1) and 1 (time 9); B at junction 3 (time 0)
SEEDS = (np.array([0, 2, 3]), np.array([0, 1, 3]), np.array([1.0, 9.0, 0.0]))
# targets: t0 at junction 1 (+2 s), t1 at junction 2 (+5 s) and junction 3 (+1 s), t2 at junction 3 (+4 s)
INCIDENCE = (np.array([0, 0, 1, 2, 4]), np.array([0, 1, 1, 2]), np.array([2.0, 5.0, 1.0, 4.0]))
NO_DIRECT = (np.zeros(3, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def test_bounded_pairs_by_hand():
    # A: junction 1 at 9 (seed beats 1 + 10 = 11), 2 at 29, 3 at 59; t0 = 11, t1 = min(34, 60), t2 = 63
    s, t, time_s = kernels.bounded_pairs(PATH, SEEDS, 40.0, INCIDENCE, 3, NO_DIRECT)
    assert list(zip(s, t)) == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert time_s.tolist() == pytest.approx([11.0, 34.0, 1.0, 4.0])
    s, t, time_s = kernels.bounded_pairs(PATH, SEEDS, np.inf, INCIDENCE, 3, NO_DIRECT, threads=1)
    assert list(zip(s, t)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert time_s.tolist() == pytest.approx([11.0, 34.0, 63.0, 52.0, 1.0, 4.0])


def test_direct_targets_and_the_limit():
    direct = (np.array([0, 1, 1]), np.array([2]), np.array([3.0]))  # A walks straight to t2 in 3 s
    s, t, time_s = kernels.bounded_pairs(PATH, SEEDS, 11.0, INCIDENCE, 3, direct)
    assert list(zip(s, t, time_s)) == [(0, 0, 11.0), (0, 2, 3.0), (1, 1, 1.0), (1, 2, 4.0)]
    empty = kernels.bounded_pairs(PATH, (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)),
                                  10.0, INCIDENCE, 3, (np.zeros(1, dtype=np.int64),) + NO_DIRECT[1:])
    assert [len(a) for a in empty] == [0, 0, 0]


def test_multi_source_by_hand():
    dist, label = kernels.multi_source(PATH, np.array([0, 1, 3]), np.array([1.0, 9.0, 0.0]), np.array([0, 0, 1]))
    assert dist.tolist() == [1.0, 9.0, 29.0, 0.0]
    assert label.tolist() == [0, 0, 0, 1]
    dist, label = kernels.multi_source(PATH, np.array([3]), np.array([0.0]), np.array([7]), limit=35.0)
    assert dist.tolist() == [np.inf, np.inf, 30.0, 0.0] and label.tolist() == [-1, -1, 7, 7]


@pytest.fixture(scope="module")
def street():
    net = street_network(3000, seed=5)
    fac, dem = random_points(net, 60, seed=1), random_points(net, 900, seed=2)
    numba_model = NetworkTravelModel(net, backend="numba")
    return numba_model, NetworkTravelModel(net, backend="scipy"), numba_model.snap(fac), numba_model.snap(dem)


def test_python_bodies_equal_the_compiled_kernels(street, monkeypatch):
    """Run the kernels' Python source (as numba compiles it) and compare: the logic, not only the compiler."""
    model, _, src, tgt = street
    compiled = model.catchments(src, tgt, 600.0)
    for name in ("_push", "_pop", "_reach", "_visit", "_search", "_search_block", "_grown", "_multi_source"):
        monkeypatch.setattr(kernels, name, getattr(kernels, name).py_func)
    few = src.take(np.arange(6))
    python = model.catchments(few, tgt, 600.0)
    points = random_points(model.network, 2500, seed=9)  # enough points for the snapping grid
    compiled_snap = model.index.query(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    monkeypatch.setattr(kernels, "_grid_nearest", kernels._grid_nearest.py_func)
    python_snap = model.index.query(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    assert all(np.array_equal(a, b) for a, b in zip(compiled_snap, python_snap))
    expected = compiled[compiled["source_pos"] < 6].reset_index(drop=True)
    assert python.equals(expected)
    assert model.nearest(few, tgt.take(np.arange(50)))["time_s"].notna().all()


@pytest.mark.parametrize("limit", [120.0, 900.0])
def test_numba_equals_scipy(street, limit):
    fast, ref, src, tgt = street
    a, b = fast.catchments(src, tgt, limit), ref.catchments(src, tgt, limit)
    assert len(a) > 40 and a[["source_pos", "target_pos"]].equals(b[["source_pos", "target_pos"]])
    assert np.abs(a["time_s"] - b["time_s"]).max() < 1e-6
    na, nb = fast.nearest(src, tgt), ref.nearest(src, tgt)
    assert np.array_equal(np.isinf(na["time_s"]), np.isinf(nb["time_s"]))
    finite = np.isfinite(nb["time_s"])
    assert np.abs(na["time_s"][finite] - nb["time_s"][finite]).max() < 1e-6
    for bound in (limit, None):
        few = src.take(np.arange(8))
        oa, ob = fast.od_matrix_s(few, tgt, bound), ref.od_matrix_s(few, tgt, bound)
        assert np.array_equal(np.isinf(oa), np.isinf(ob))
        assert np.abs(oa[np.isfinite(oa)] - ob[np.isfinite(ob)]).max() < 1e-6
    ta, tb = fast.node_times(src, limit)[0], ref.node_times(src, limit)[0]
    assert np.array_equal(np.isinf(ta), np.isinf(tb)) and np.abs(ta[np.isfinite(ta)] - tb[np.isfinite(tb)]).max() < 1e-6


def test_thread_count_does_not_change_results(street, monkeypatch):
    model, _, src, tgt = street
    monkeypatch.setattr(settings, "access_threads", 1)
    one = model.catchments(src, tgt, 600.0)
    assert kernels.thread_count() == 1 and kernels.thread_count(3) == 3
    monkeypatch.setattr(settings, "access_threads", 4)
    assert model.catchments(src, tgt, 600.0).equals(one)


def test_snapping_grid_kernel_equals_numpy(street, monkeypatch):
    model = street[0]
    points = random_points(model.network, 3000, seed=4)
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    fast = model.index.query(x, y)
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    slow = model.index.query(x, y)
    assert model.index.grid is not None and all(np.array_equal(a, b) for a, b in zip(fast, slow))


def test_backend_choice(street, monkeypatch):
    net = street[0].network
    assert NetworkTravelModel(net).backend == "numba"
    monkeypatch.setattr(settings, "access_backend", "scipy")
    assert NetworkTravelModel(net).backend == "scipy"
    with pytest.raises(ValueError, match="backend"):
        NetworkTravelModel(net, backend="gpu")
