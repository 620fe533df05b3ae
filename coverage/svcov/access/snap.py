"""Snapping: the nearest point on the nearest road edge (not merely the nearest junction), exactly.

Each edge is cut into short straight pieces (at most :data:`PIECE_M` long) whose midpoints go into a KD-tree. For
a point, the ``k`` nearest midpoints give candidate pieces; the exact point-to-piece distance picks the best.
The answer is certain when it is no farther than the ``k``-th midpoint minus half the longest piece (no other
piece can then be nearer); points where that test fails are searched again with 4k candidates, and the few left
after that with a radius query. So the
result equals a brute-force search over every edge, at KD-tree speed.

Points farther than the snap distance from every road are *not* snapped: they are marked unreachable and
reported by the travel model (see :class:`svcov.access.engine.NetworkTravelModel`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..network.build import RoadNetwork
from . import kernels

__all__ = ["Snapped", "SegmentIndex", "PIECE_M"]

log = logging.getLogger(__name__)

#: Longest straight piece in the KD-tree index (m). Shorter pieces make the certainty test pass more often.
PIECE_M = 40.0
#: Candidate pieces examined per point before the certainty test.
K_CANDIDATES = 8
#: Side of the certified-candidate grid cells (m).
CELL_M = 40.0
#: Pieces examined per cell centre when building the grid (cells needing more are not certified).
K_CELL = 40
#: No grid for networks whose bounding box would need more cells than this (memory).
MAX_GRID_CELLS = 4_000_000
#: Queries with fewer points than this use the KD-tree directly (the grid pays off on large batches).
GRID_MIN_POINTS = 2_000


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points placed on the network.

    Attributes
    ----------
    index
        Index of the points' frame (ids are reported by it).
    x, y
        The points (m, the network's CRS).
    edge
        Edge each point snapped to (-1 if farther than the snap distance from every road).
    offset_m
        Distance along the edge from its ``u`` end to the snapped point.
    access_m
        Straight-line distance from the point to the snapped point (the access leg), or to the nearest road if
        not snapped.
    ok
        True where the point is on the network (``access_m`` within the snap distance).
    """

    index: pd.Index
    x: np.ndarray
    y: np.ndarray
    edge: np.ndarray
    offset_m: np.ndarray
    access_m: np.ndarray
    ok: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)

    def take(self, positions: Any) -> Snapped:
        """The points at ``positions`` (integer positions or a boolean mask), in that order."""
        pos = np.flatnonzero(positions) if np.asarray(positions).dtype == bool else np.asarray(positions, dtype=int)
        return Snapped(self.index[pos], self.x[pos], self.y[pos], self.edge[pos], self.offset_m[pos],
                       self.access_m[pos], self.ok[pos])


def _argmin_segments(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Position of the (first) minimum of each segment ``values[start:start + length]`` (segments back to back,
    lengths ≥ 1), in linear time."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    minima = np.minimum.reduceat(values, starts)
    hits = np.flatnonzero(values == np.repeat(minima, lengths))
    segment = np.searchsorted(starts, hits, side="right") - 1
    return hits[np.r_[True, segment[1:] != segment[:-1]]]


class SegmentIndex:
    """Nearest-point queries on a set of network edges.

    Parameters
    ----------
    network
        The network.
    edge_mask
        Edges that may be snapped to (default all).
    """

    def __init__(self, network: RoadNetwork, edge_mask: np.ndarray | None = None):
        mask = np.ones(network.n_edges, dtype=bool) if edge_mask is None else np.asarray(edge_mask, dtype=bool)
        edges = np.flatnonzero(mask)
        self.n_edges = network.n_edges
        self._pieces(network.edge_geometry[edges], edges)
        self.half_max = float(self.length.max() / 2.0) if len(self.length) else 0.0
        self.tree = cKDTree(np.c_[(self.ax + self.bx) / 2.0, (self.ay + self.by) / 2.0]) if len(self.ax) else None
        self.edge_length = network.edge_length_m
        self.grid = self._certified_grid() if self.tree is not None else None

    def _certified_grid(self):
        """(x0, y0, nx, ny, start, count, candidates, certified) of the certified-candidate grid, or None."""
        mid = self.tree.data
        x0, y0 = mid[:, 0].min() - CELL_M, mid[:, 1].min() - CELL_M
        nx = int(np.ceil((mid[:, 0].max() - x0) / CELL_M)) + 2
        ny = int(np.ceil((mid[:, 1].max() - y0) / CELL_M)) + 2
        if nx * ny > MAX_GRID_CELLS or len(mid) < K_CELL:
            return None
        two_h = CELL_M * np.sqrt(2.0)
        counts, lists, certified = [], [], np.zeros(nx * ny, dtype=bool)
        for first in range(0, nx * ny, 50_000):  # in chunks: bounded memory (~130 MB of temporaries)
            cells = np.arange(first, min(first + 50_000, nx * ny))
            cx, cy = x0 + (cells % nx + 0.5) * CELL_M, y0 + (cells // nx + 0.5) * CELL_M
            dk, ik = self.tree.query(np.c_[cx, cy], k=K_CELL, workers=-1)
            dist, _ = self._project(cx[:, None], cy[:, None], ik)
            need = dist.min(axis=1) + two_h + 1e-9
            ok = dk[:, -1] - self.half_max > need
            keep = (dist <= need[:, None]) & ok[:, None]
            certified[cells] = ok
            counts.append(keep.sum(axis=1))
            lists.append(ik[keep])
        count = np.concatenate(counts)
        return x0, y0, nx, ny, np.cumsum(count) - count, count, np.concatenate(lists).astype(np.int32), certified

    def _pieces(self, geoms: np.ndarray, edges: np.ndarray) -> None:
        coords, which = shapely.get_coordinates(geoms, return_index=True)
        same = which[1:] == which[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        seg_edge = edges[which[:-1][same]]
        seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
        # distance along the edge at each segment's start: cumulative length within the edge
        cum = np.cumsum(seg_len)
        first = np.r_[True, seg_edge[1:] != seg_edge[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(seg_len)), 0))
        seg_off = cum - seg_len - (cum[group_start] - seg_len[group_start])
        keep = seg_len > 0
        a, b, seg_edge, seg_len, seg_off = a[keep], b[keep], seg_edge[keep], seg_len[keep], seg_off[keep]
        n_sub = np.maximum(np.ceil(seg_len / PIECE_M).astype(np.int64), 1)
        rep = np.repeat(np.arange(len(seg_len)), n_sub)
        j = np.arange(len(rep)) - np.repeat(np.cumsum(n_sub) - n_sub, n_sub)
        t0, t1 = j / n_sub[rep], (j + 1) / n_sub[rep]
        d = b[rep] - a[rep]
        self.ax, self.ay = a[rep, 0] + t0 * d[:, 0], a[rep, 1] + t0 * d[:, 1]
        self.bx, self.by = a[rep, 0] + t1 * d[:, 0], a[rep, 1] + t1 * d[:, 1]
        self.edge = seg_edge[rep]
        self.offset0 = seg_off[rep] + t0 * seg_len[rep]
        self.length = seg_len[rep] / n_sub[rep]

    def _project(self, px: np.ndarray, py: np.ndarray, piece: np.ndarray):
        """Distance (and along-piece fraction) from points to pieces, element-wise (broadcasts)."""
        ax, ay = self.ax[piece], self.ay[piece]
        dx, dy = self.bx[piece] - ax, self.by[piece] - ay
        rx, ry = px - ax, py - ay
        t = np.clip((rx * dx + ry * dy) / np.maximum(dx * dx + dy * dy, 1e-300), 0.0, 1.0)
        ex, ey = rx - t * dx, ry - t * dy
        return np.sqrt(ex * ex + ey * ey), t

    def query(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest edge, offset along it (m from ``u``) and distance (m) for each point.

        Returns ``edge = -1`` and ``distance = inf`` for every point if no edge may be snapped to.
        """
        n = len(x)
        if self.tree is None or n == 0:
            return np.full(n, -1, dtype=np.int64), np.zeros(n), np.full(n, np.inf)
        best_piece, best_dist, best_t = np.zeros(n, dtype=np.int64), np.full(n, np.inf), np.zeros(n)
        todo = self._grid_query(x, y, best_piece, best_dist, best_t) if n >= GRID_MIN_POINTS else np.arange(n)
        if len(todo) == 0:
            return self._result(best_piece, best_dist, best_t)
        for k in (K_CANDIDATES, 4 * K_CANDIDATES):
            k = min(k, len(self.ax))
            dk, ik = self.tree.query(np.c_[x[todo], y[todo]], k=k, workers=-1)
            dk, ik = dk.reshape(len(todo), k), ik.reshape(len(todo), k)
            dist, t = self._project(x[todo, None], y[todo, None], ik)
            j = dist.argmin(axis=1)
            rows = np.arange(len(todo))
            best_piece[todo], best_dist[todo], best_t[todo] = ik[rows, j], dist[rows, j], t[rows, j]
            if k == len(self.ax):
                return self._result(best_piece, best_dist, best_t)
            todo = todo[best_dist[todo] > dk[:, -1] - self.half_max]  # not proven nearest: look further
            if len(todo) == 0:
                return self._result(best_piece, best_dist, best_t)
        self._requery(x, y, todo, best_piece, best_dist, best_t)
        return self._result(best_piece, best_dist, best_t)

    def _grid_query(self, x: np.ndarray, y: np.ndarray, best_piece, best_dist, best_t) -> np.ndarray:
        """Exact nearest piece for points in certified cells (in place); returns the other points' positions."""
        if self.grid is None:
            return np.arange(len(x))
        if kernels.AVAILABLE:
            piece, dist, t, done = kernels.grid_nearest(x, y, self.grid, self.ax, self.ay, self.bx, self.by)
            best_piece[done], best_dist[done], best_t[done] = piece[done], dist[done], t[done]
            return np.flatnonzero(~done)
        x0, y0, nx, ny, start, count, candidates, certified = self.grid
        ix, iy = np.floor((x - x0) / CELL_M), np.floor((y - y0) / CELL_M)
        inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        cell = np.where(inside, iy * nx + ix, 0).astype(np.int64)
        done = inside & certified[cell]
        pts = np.flatnonzero(done)
        n_cand = count[cell[pts]]
        owner = np.repeat(np.arange(len(pts)), n_cand)
        offsets = np.arange(len(owner)) - np.repeat(np.cumsum(n_cand) - n_cand, n_cand)
        k = np.repeat(start[cell[pts]], n_cand) + offsets
        piece = candidates[k]
        dist, t = self._project(x[pts][owner], y[pts][owner], piece)
        pick = _argmin_segments(dist, np.cumsum(n_cand) - n_cand, n_cand)
        best_piece[pts], best_dist[pts], best_t[pts] = piece[pick], dist[pick], t[pick]
        return np.flatnonzero(~done)

    def _result(self, piece: np.ndarray, dist: np.ndarray, t: np.ndarray):
        offset = np.minimum(self.offset0[piece] + t * self.length[piece], self.edge_length[self.edge[piece]])
        return self.edge[piece].astype(np.int64), offset, dist

    def _requery(self, x, y, unsure, best_piece, best_dist, best_t) -> None:
        """Radius search for the points whose k candidates could not prove the nearest piece (in place)."""
        found = self.tree.query_ball_point(np.c_[x[unsure], y[unsure]], r=best_dist[unsure] + self.half_max + 1e-9)
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        pieces = np.fromiter((p for f in found for p in f), dtype=np.int64, count=int(counts.sum()))
        owner = np.repeat(np.arange(len(unsure)), counts)
        dist, t = self._project(x[unsure][owner], y[unsure][owner], pieces)
        order = np.lexsort((dist, owner))
        first = np.r_[True, owner[order][1:] != owner[order][:-1]]
        pick = order[first]
        better = dist[pick] < best_dist[unsure[owner[pick]]]
        target = unsure[owner[pick][better]]
        best_piece[target], best_dist[target], best_t[target] = pieces[pick][better], dist[pick][better], \
            t[pick][better]
        log.debug("snapping: %d of %d points needed a radius search", len(unsure), len(x))
