"""Compiled shortest-path kernels of the access engine (numba), with scipy's Dijkstra as reference and fallback.

The kernels work on a graph in compressed sparse-row (CSR) form — ``indptr``, ``indices`` and one weight per stored
entry (seconds) — so any travel profile that gives a time per edge plugs in: build its CSR (e.g. with
:func:`svcov.network.build.travel_time_csr`) and pass it. A *seed* is a junction with the time already spent to
reach it (the two ends of the edge a point is snapped to, with the walk to each end).

- :func:`bounded_pairs`: for every source, a Dijkstra search from its seeds that stops at ``limit``; the targets on
  the edges of each settled junction are read off as the search goes, so the output is sparse (only the pairs
  within the limit, each once with its shortest time, sorted by source then target) and memory does not grow with
  the size of the network. Blocks of sources run on threads (the kernel releases the GIL; plain threads work the
  same on Windows, Linux and macOS and need no numba threading layer).
- :func:`multi_source`: one search from all seeds at once: the time from the nearest seed to every junction and the
  label (source) it came from — nearest facility, service areas.

A 4-ary heap with lazy deletion, and a reset list (only the junctions a search touched are reset), keep each
search proportional to the part of the network it reaches. Without numba the engine uses
``scipy.sparse.csgraph.dijkstra`` (dense rows of the whole network per source); the two agree to floating-point
rounding (the tests and ``benchmarks/bench_service_areas.py`` check 1e-6 s).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import settings

__all__ = ["AVAILABLE", "bounded_pairs", "multi_source", "thread_count", "csr_by_row", "kernel_graph"]

log = logging.getLogger(__name__)

try:  # numba is a dependency, but a broken llvmlite (e.g. a missing MSVC runtime on Windows) must not stop a run
    import numba

    AVAILABLE = True
except Exception as exc:  # pragma: no cover - depends on the environment
    numba = None
    AVAILABLE = False
    log.warning("numba is not available (%s): the access engine uses scipy (same results, slower at city scale)",
                exc)


def _jit(fn):
    return numba.njit(nogil=True, cache=True)(fn) if AVAILABLE else fn


def thread_count(threads: int | None = None) -> int:
    """Threads for the kernels: ``threads``, else :data:`svcov.settings.access_threads`, else every core."""
    value = threads if threads is not None else settings.access_threads
    return max(1, int(value if value is not None else (os.cpu_count() or 1)))


def csr_by_row(rows: np.ndarray, n_rows: int, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Group entries by row: (indptr of length ``n_rows + 1``, then each column reordered by row, stable)."""
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return (indptr, *(np.ascontiguousarray(c[order]) for c in columns))


@_jit
def _push(heap, size, key, node):
    """Add (key, node) to the 4-ary heap ``heap[:size]`` (rows: key, node; room for it is there); new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if heap[parent, 0] <= key:
            break
        heap[i, 0] = heap[parent, 0]
        heap[i, 1] = heap[parent, 1]
        i = parent
    heap[i, 0] = key
    heap[i, 1] = node
    return size + 1


@_jit
def _pop(heap, size):
    """Remove the smallest entry of the heap; returns (key, node, new size)."""
    key, node = heap[0, 0], heap[0, 1]
    size -= 1
    if size > 0:
        last_key, last_node = heap[size, 0], heap[size, 1]
        i = 0
        while True:
            child = 4 * i + 1
            if child >= size:
                break
            best, best_key = child, heap[child, 0]
            for j in range(child + 1, min(child + 4, size)):
                if heap[j, 0] < best_key:
                    best, best_key = j, heap[j, 0]
            if best_key >= last_key:
                break
            heap[i, 0] = best_key
            heap[i, 1] = heap[best, 1]
            i = best
        heap[i, 0] = last_key
        heap[i, 1] = last_node
    return key, np.int64(node), size


@_jit
def _reach(best, touched, n_touch, t, tt):
    """Record time ``tt`` at target ``t`` if it is better; returns the new count of touched targets."""
    if tt < best[t]:
        if best[t] == np.inf:
            touched[n_touch] = t
            n_touch += 1
        best[t] = tt
    return n_touch


@_jit
def _search(indptr, indices, weights, seed_lo, seed_hi, seed_node, seed_time, limit, inc_ptr, inc_target, inc_leg,
            dist, best, visited, touched, heap):
    """One bounded search from seeds ``seed_lo..seed_hi-1``: settles junctions (``dist``, listed in ``visited``)
    and records target times (``best``, listed in ``touched``); returns the two list lengths."""
    n_vis, n_touch, size = 0, 0, 0
    for k in range(seed_lo, seed_hi):
        if seed_time[k] <= limit and seed_time[k] < dist[seed_node[k]]:
            n_vis, size = _visit(dist, visited, n_vis, heap, size, seed_node[k], seed_time[k])
    while size > 0:
        d, node, size = _pop(heap, size)
        if d > dist[node]:
            continue
        for k in range(inc_ptr[node], inc_ptr[node + 1]):
            if d + inc_leg[k] <= limit:
                n_touch = _reach(best, touched, n_touch, inc_target[k], d + inc_leg[k])
        for k in range(indptr[node], indptr[node + 1]):
            nb, nd = indices[k], d + weights[k]
            if nd <= limit and nd < dist[nb]:
                n_vis, size = _visit(dist, visited, n_vis, heap, size, nb, nd)
    return n_vis, n_touch


@_jit
def _visit(dist, visited, n_vis, heap, size, node, time_s):
    """Set a junction's (better) time, list it if new, queue it; returns the new list length and heap size."""
    if dist[node] == np.inf:
        visited[n_vis] = node
        n_vis += 1
    dist[node] = time_s
    return n_vis, _push(heap, size, time_s, node)


@_jit
def _search_block(indptr, indices, weights, seed_ptr, seed_node, seed_time, first, last, limit, inc_ptr,
                  inc_target, inc_leg, n_targets, dir_ptr, dir_target, dir_time):
    """Bounded searches from sources ``first..last-1``: (source, target, time) within ``limit``, sorted."""
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    best = np.full(n_targets, np.inf)
    visited = np.empty(n, dtype=np.int64)
    touched = np.empty(n_targets, dtype=np.int64)
    # one push per relaxation at most; key and junction side by side (one cache line per heap step)
    heap = np.empty((len(indices) + np.max(np.diff(seed_ptr[first:last + 1])) + 1, 2))
    out_s = np.empty(1024, dtype=np.int64)
    out_t = np.empty(1024, dtype=np.int64)
    out_time = np.empty(1024, dtype=np.float64)
    n_out = 0
    for s in range(first, last):
        n_vis, n_touch = _search(indptr, indices, weights, seed_ptr[s], seed_ptr[s + 1], seed_node, seed_time,
                                 limit, inc_ptr, inc_target, inc_leg, dist, best, visited, touched, heap)
        for k in range(dir_ptr[s], dir_ptr[s + 1]):  # targets on the source's own edge, walked to directly
            if dir_time[k] <= limit:
                n_touch = _reach(best, touched, n_touch, dir_target[k], dir_time[k])
        if n_out + n_touch > len(out_s):
            out_s, out_t, out_time = _grown(out_s, out_t, out_time, n_out + n_touch)
        for t in np.sort(touched[:n_touch]):
            out_s[n_out], out_t[n_out], out_time[n_out] = s, t, best[t]
            best[t] = np.inf
            n_out += 1
        dist[visited[:n_vis]] = np.inf
    return out_s[:n_out], out_t[:n_out], out_time[:n_out]


@_jit
def _grown(out_s, out_t, out_time, need):
    size = max(need, 2 * len(out_s))
    s, t, time_s = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64), np.empty(size, dtype=np.float64)
    s[:len(out_s)], t[:len(out_t)], time_s[:len(out_time)] = out_s, out_t, out_time
    return s, t, time_s


@_jit
def _multi_source(indptr, indices, weights, seed_node, seed_time, seed_label, limit):
    """One search from every seed: (time from the nearest seed, that seed's label) per junction."""
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    label = np.full(n, -1, dtype=np.int64)
    heap = np.empty((len(indices) + len(seed_node) + 1, 2))
    size = 0
    for k in range(len(seed_node)):
        node, t0 = seed_node[k], seed_time[k]
        if t0 <= limit and t0 < dist[node]:
            dist[node] = t0
            label[node] = seed_label[k]
            size = _push(heap, size, t0, node)
    while size > 0:
        d, node, size = _pop(heap, size)
        if d > dist[node]:
            continue
        for k in range(indptr[node], indptr[node + 1]):
            nb = indices[k]
            nd = d + weights[k]
            if nd <= limit and nd < dist[nb]:
                dist[nb] = nd
                label[nb] = label[node]
                size = _push(heap, size, nd, nb)
    return dist, label


def kernel_graph(csr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(indptr, indices, weights)`` as the kernels take them (int64, int64, float64), from a scipy CSR array or
    such a tuple (returned as it is when its types already fit)."""
    indptr, indices, data = csr if isinstance(csr, tuple) else (csr.indptr, csr.indices, csr.data)
    return (np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64),
            np.asarray(data, dtype=np.float64))


def bounded_pairs(csr, seeds: tuple[np.ndarray, np.ndarray, np.ndarray], limit: float,
                  incidence: tuple[np.ndarray, np.ndarray, np.ndarray], n_targets: int,
                  direct: tuple[np.ndarray, np.ndarray, np.ndarray], *, threads: int | None = None):
    """Every (source, target) pair within ``limit``, once with its shortest time, sorted by source then target.

    Parameters
    ----------
    csr
        The graph: a scipy CSR array (seconds per stored entry) or :func:`kernel_graph` of one.
    seeds
        ``(seed_ptr, seed_node, seed_time)``: the seeds of source ``s`` are entries ``seed_ptr[s]:seed_ptr[s+1]``.
    limit
        Seconds (``np.inf`` for no bound).
    incidence
        ``(inc_ptr, inc_target, inc_leg)``: the targets reached from junction ``j`` are entries
        ``inc_ptr[j]:inc_ptr[j+1]``, with the time from the junction to the target.
    n_targets
        Number of targets.
    direct
        ``(dir_ptr, dir_target, dir_time)`` per source: targets reached without passing a junction (same edge).
    threads
        Threads over blocks of sources (default :func:`thread_count`).

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Source positions, target positions (int64) and times (float64 seconds).
    """
    indptr, indices, weights = kernel_graph(csr)
    seed_ptr, seed_node, seed_time = (np.asarray(a) for a in seeds)
    inc_ptr, inc_target, inc_leg = (np.asarray(a) for a in incidence)
    dir_ptr, dir_target, dir_time = (np.asarray(a) for a in direct)
    n_sources = len(seed_ptr) - 1
    workers = thread_count(threads)
    size = max(16, -(-n_sources // (8 * workers)))
    bounds = [(a, min(a + size, n_sources)) for a in range(0, n_sources, size)]

    def block(span):
        return _search_block(indptr, indices, weights, seed_ptr, seed_node, seed_time, span[0], span[1],
                             float(limit), inc_ptr, inc_target, inc_leg, int(n_targets), dir_ptr, dir_target, dir_time)

    if workers == 1 or len(bounds) <= 1:
        parts = [block(b) for b in bounds]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="svcov-kernel") as pool:
            parts = list(pool.map(block, bounds))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))


def multi_source(csr, seed_node: np.ndarray, seed_time: np.ndarray, seed_label: np.ndarray,
                 limit: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Time from the nearest seed to every junction (inf beyond ``limit``) and that seed's label (-1 if none)."""
    indptr, indices, weights = kernel_graph(csr)
    return _multi_source(indptr, indices, weights, np.asarray(seed_node, dtype=np.int64),
                         np.asarray(seed_time, dtype=np.float64), np.asarray(seed_label, dtype=np.int64),
                         float(limit))


@_jit
def _grid_nearest(x, y, first, last, x0, y0, cell_m, nx, ny, start, count, candidates, certified, ax, ay, bx, by,
                  piece, dist, frac, done):
    """Nearest piece of the certified-candidate grid for points ``first..last-1`` (in place; see
    :meth:`svcov.access.snap.SegmentIndex._grid_query`, whose arithmetic this repeats exactly)."""
    for i in range(first, last):
        ix, iy = np.floor((x[i] - x0) / cell_m), np.floor((y[i] - y0) / cell_m)
        if not (0 <= ix < nx and 0 <= iy < ny):
            continue
        cell = np.int64(iy * nx + ix)
        if not certified[cell]:
            continue
        best, best_d, best_t = -1, np.inf, 0.0
        for k in range(start[cell], start[cell] + count[cell]):
            p = candidates[k]
            dx, dy = bx[p] - ax[p], by[p] - ay[p]
            rx, ry = x[i] - ax[p], y[i] - ay[p]
            t = min(max((rx * dx + ry * dy) / max(dx * dx + dy * dy, 1e-300), 0.0), 1.0)
            ex, ey = rx - t * dx, ry - t * dy
            d = np.sqrt(ex * ex + ey * ey)
            if d < best_d:
                best, best_d, best_t = p, d, t
        piece[i], dist[i], frac[i], done[i] = best, best_d, best_t, True


def grid_nearest(x: np.ndarray, y: np.ndarray, grid: tuple, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray,
                 by: np.ndarray, *, threads: int | None = None):
    """Nearest road piece of every point in a certified cell of the snapping grid, on threads.

    Returns ``(piece, distance, fraction along the piece, done)``; ``done`` is False where the point is outside the
    grid or its cell is not certified (those are searched with the KD-tree)."""
    x0, y0, nx, ny, start, count, candidates, certified = grid
    from .snap import CELL_M

    n = len(x)
    piece, dist = np.zeros(n, dtype=np.int64), np.full(n, np.inf)
    frac, done = np.zeros(n), np.zeros(n, dtype=bool)
    workers = thread_count(threads)
    size = max(4096, -(-n // workers))

    def block(a):
        _grid_nearest(x, y, a, min(a + size, n), float(x0), float(y0), float(CELL_M), int(nx), int(ny), start, count,
                      candidates, certified, ax, ay, bx, by, piece, dist, frac, done)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="svcov-snap") as pool:
        list(pool.map(block, range(0, n, size)))
    return piece, dist, frac, done
