"""Travel models: walking time from facilities to demand points, on the road network or, without one, by
straight-line distance × a circuity factor.

Both models answer the same three questions (the ``TravelModel`` contract of ``docs/DEVELOPING.md``):

- :meth:`~TravelModel.nearest`: every target's time to its nearest source (one multi-source shortest-path pass);
- :meth:`~TravelModel.catchments`: which targets each source reaches within a time (bounded searches);
- :meth:`~TravelModel.od_matrix_s`: the origin × destination time matrix.

**The network model** (:class:`NetworkTravelModel`). A point (facility or population cell) is placed at the nearest
point of the nearest road edge (see :mod:`svcov.access.snap`); the straight segment from the point to the road is
the *access leg*. The time between two points is

    (access leg of the first + shortest walk along the roads between the two snapped points
     + access leg of the second) / walking speed,

where the walk may run along part of an edge at each end, or directly along the edge both points lie on. Times are
exact for this model: they equal Dijkstra's algorithm on the network with every point inserted as a junction
(the benchmark checks this against networkx to 1e-6 s). Points farther than ``snap_max_m`` from every road are
never snapped: their time is infinite and they are listed in :attr:`TravelModel.unreachable`.

The searches run in numba-compiled kernels (:mod:`svcov.access.kernels`: bounded searches per source with sparse
output, threads over sources; one multi-source search for nearest times) when numba imports, else in
``scipy.sparse.csgraph.dijkstra`` (sources become extra graph nodes linked to both ends of their edge; the
reference, ``backend="scipy"``). Both give the same times.

**The straight-line model** (:class:`StraightLineTravelModel`): time = straight-line distance × circuity factor /
walking speed. It is an estimate, and its :attr:`~TravelModel.description_zh` says so for every table and map.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .. import settings
from ..errors import ArgumentError
from ..network.build import RoadNetwork, travel_time_csr
from . import kernels
from .snap import SegmentIndex, Snapped
from .travel import UNREACHABLE_COLUMNS, Points, StraightLineTravelModel, TravelModel, catchment_frame

__all__ = ["TravelModel", "NetworkTravelModel", "StraightLineTravelModel", "build_travel_model", "Points",
           "UNREACHABLE_COLUMNS"]

log = logging.getLogger(__name__)

#: Memory for one block of bounded shortest-path searches (bytes): small enough to be reused, not page-faulted.
_BLOCK_BYTES = 16e6


class NetworkTravelModel(TravelModel):
    """Walking times on a road network (see the module docstring).

    Parameters
    ----------
    network
        The road network (metric CRS).
    walk_speed_kph
        Walking speed (default :data:`svcov.settings.walk_speed_kph`).
    snap_max_m
        Points farther than this from every road are unreachable (default :data:`svcov.settings.snap_max_m`).
    min_component_nodes
        Points snap only onto pieces of the network with at least this many junctions, or the largest piece
        (default :data:`svcov.settings.snap_min_component_nodes`).
    edge_time_s
        Time to traverse each edge (seconds, finite, ≥ 0; default length ÷ speed): a profile may use per-edge
        speeds (road classes, slopes, crossings). A point part-way along an edge takes the same share of the edge's
        time; the access leg from the point to the road is walked at ``walk_speed_kph``.
    profile, profile_name_zh
        The travel profile's key and Chinese name (default 「步行」).
    snap_index
        A :class:`~svcov.access.snap.SegmentIndex` of the same network and snappable edges, shared by the profiles
        of a run (default: built here).
    backend
        ``"numba"`` (compiled kernels), ``"scipy"`` (the reference) or ``"auto"`` (numba if it imports); default
        :data:`svcov.settings.access_backend`.
    """

    mode = "network"
    is_fallback = False

    def __init__(self, network: RoadNetwork, *, walk_speed_kph: float = settings.walk_speed_kph,
                 snap_max_m: float = settings.snap_max_m, min_component_nodes: int | None = None,
                 edge_time_s: np.ndarray | None = None, profile: str = "walk", profile_name_zh: str = "步行",
                 snap_index: SegmentIndex | None = None, backend: str | None = None):
        super().__init__(network.crs, walk_speed_kph, profile=profile, profile_name_zh=profile_name_zh)
        if not snap_max_m > 0:
            raise ArgumentError(f"snap_max_m must be > 0, got {snap_max_m}")
        self.network = network
        self.snap_max_m = float(snap_max_m)
        if edge_time_s is None:
            self._edge_time_s = network.edge_length_m / self.speed_mps
            #: Metres of walking at ``walk_speed_kph`` that one metre of each edge is worth (1 unless per-edge times).
            self._edge_factor = np.ones(network.n_edges)
        else:
            self._edge_time_s = _checked_edge_times(edge_time_s, network.n_edges)
            length = network.edge_length_m
            self._edge_factor = np.where(length > 0, self._edge_time_s * self.speed_mps / np.maximum(length, 1e-300),
                                         1.0)
        self.backend = _backend(settings.access_backend if backend is None else backend)
        self.csr = travel_time_csr(network, walk_speed_kph, edge_time_s=None if edge_time_s is None
                                   else self._edge_time_s)
        self._kernel_csr = kernels.kernel_graph(self.csr) if self.backend == "numba" else None
        #: Edges points may snap onto (see ``min_component_nodes``).
        self.snappable = network.snappable_edges(min_component_nodes)
        self.index = SegmentIndex(network, self.snappable) if snap_index is None else snap_index

    @property
    def edge_time_s(self) -> np.ndarray:
        """Time to traverse each road edge (seconds): length ÷ speed, or the profile's per-edge times."""
        return self._edge_time_s

    @property
    def description_zh(self) -> str:
        name = self.profile_name_zh
        varies = "" if np.all(self._edge_factor == 1.0) else " (部分道路类别按配置的速度)"
        return (f"{name}时间沿路网计算 ({self.network.source_zh}), {name}速度 {self.walk_speed_kph:g} 公里/小时{varies}; "
                f"设施和人口点沿直线接入最近道路 (计入时间), 距道路超过 {self.snap_max_m:g} 米的点记为不可达。")

    @property
    def description_en(self) -> str:
        return (f"Walking time along the road network ({self.network.source_zh}) at {self.walk_speed_kph:g} km/h, "
                f"including the straight access leg to the nearest road; points more than {self.snap_max_m:g} m "
                f"from every road are unreachable.")

    def snap(self, points: Points, role: str = "points") -> Snapped:
        """Place points on the nearest point of the nearest road edge.

        Points farther than ``snap_max_m`` are not snapped (``ok`` False) and are added to :attr:`unreachable`.

        Returns
        -------
        Snapped
        """
        if isinstance(points, Snapped):
            if (points.ok & (points.edge < 0)).any():
                raise ArgumentError(f"{role}: these points were prepared by a straight-line model, not snapped to this "
                                 f"network; pass the GeoDataFrame instead")
            return points
        x, y, index = self._xy(points, role)
        cell = np.floor((y - y.min()) / 250.0) * 1e6 + np.floor((x - x.min()) / 250.0) if len(x) else x
        order = np.argsort(cell, kind="stable")  # nearby points together: faster tree queries
        edge, offset, dist = (np.empty(len(x), dtype=np.int64), np.empty(len(x)), np.empty(len(x)))
        edge[order], offset[order], dist[order] = self.index.query(x[order], y[order])
        ok = (edge >= 0) & (dist <= self.snap_max_m)
        if not ok.all():
            bad = ~ok
            self._record_unreachable(role, index[bad], x[bad], y[bad], dist[bad])
            log.warning("%d of %d %s are more than %.0f m from every road: unreachable", int(bad.sum()), len(x), role,
                        self.snap_max_m)
        return Snapped(index, x, y, np.where(ok, edge, -1), np.where(ok, offset, 0.0), dist, ok)

    prepare = snap

    # --- the augmented graph ----------------------------------------------------------------------------------

    def _with_sources(self, src: Snapped) -> tuple[sp.csr_array, np.ndarray]:
        """The CSR graph with one extra node per snapped source, linked to both ends of its edge.

        Only rows are added (edges *from* the source nodes), so no path can pass through a source node. Returns the
        graph and the source node numbers (``-1`` for sources that are not on the network).
        """
        n = self.network.n_nodes
        pos = np.flatnonzero(src.ok)
        e = src.edge[pos]
        u, v = self.network.edge_u[e], self.network.edge_v[e]
        acc, f = src.access_m[pos], self._edge_factor[e]
        wu = (acc + src.offset_m[pos] * f) / self.speed_mps
        wv = (acc + (self.network.edge_length_m[e] - src.offset_m[pos]) * f) / self.speed_mps
        loop = u == v
        wu = np.where(loop, np.minimum(wu, wv), wu)
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        w_lo, w_hi = np.where(u <= v, wu, wv), np.where(u <= v, wv, wu)
        counts = np.where(loop, 1, 2)
        cols = np.empty(int(counts.sum()), dtype=np.int32)
        data = np.empty(len(cols))
        start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        cols[start], data[start] = lo, w_lo
        two = start[~loop] + 1
        cols[two], data[two] = hi[~loop], w_hi[~loop]
        base = self.csr
        m = n + len(pos)
        indptr = np.r_[base.indptr, base.indptr[-1] + np.cumsum(counts)].astype(base.indptr.dtype)
        graph = sp.csr_array((np.r_[base.data, data], np.r_[base.indices, cols], indptr), shape=(m, m))
        nodes = np.full(len(src), -1, dtype=np.int64)
        nodes[pos] = n + np.arange(len(pos))
        return graph, nodes

    def _seeds(self, src: Snapped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seeds of the compiled searches: ``(seed_ptr, junction, time)``, the two ends of each source's edge with
        the walk to them (access leg, then along the edge); sources off the network have none."""
        pos = np.flatnonzero(src.ok)
        e = src.edge[pos]
        acc, f = src.access_m[pos], self._edge_factor[e]
        wu = (acc + src.offset_m[pos] * f) / self.speed_mps
        wv = (acc + (self.network.edge_length_m[e] - src.offset_m[pos]) * f) / self.speed_mps
        nodes = np.r_[self.network.edge_u[e], self.network.edge_v[e]]
        return kernels.csr_by_row(np.r_[pos, pos], len(src), nodes, np.r_[wu, wv])

    def _legs(self, tgt: Snapped) -> tuple[np.ndarray, ...]:
        """Targets on the network: positions, the two ends (u, v) of their edge, and the time from each end to the
        target (along the edge, then the access leg)."""
        pos = np.flatnonzero(tgt.ok)
        e = tgt.edge[pos]
        acc, off, f = tgt.access_m[pos], tgt.offset_m[pos], self._edge_factor[e]
        leg_u = (off * f + acc) / self.speed_mps
        leg_v = ((self.network.edge_length_m[e] - off) * f + acc) / self.speed_mps
        return pos, self.network.edge_u[e], self.network.edge_v[e], leg_u, leg_v

    def _times_at(self, dist: np.ndarray, tgt: Snapped) -> np.ndarray:
        """Times at all targets (dense) from node distances ``dist`` (``(..., n)``): the better end of each edge."""
        out = np.full(dist.shape[:-1] + (len(tgt),), np.inf)
        pos, u, v, leg_u, leg_v = self._legs(tgt)
        out[..., pos] = np.minimum(dist[..., u] + leg_u, dist[..., v] + leg_v)
        return out

    def _incidence(self, tgt: Snapped) -> tuple[np.ndarray, ...]:
        """Junction → targets on its edges: CSR start per junction, target positions and leg times."""
        pos, u, v, leg_u, leg_v = self._legs(tgt)
        ends = np.r_[u, v]
        order = np.argsort(ends, kind="stable")
        counts = np.bincount(ends, minlength=self.network.n_nodes)
        return np.cumsum(counts) - counts, counts, np.r_[pos, pos][order], np.r_[leg_u, leg_v][order]

    def _block_pairs(self, block: np.ndarray, dist: np.ndarray, tgt: Snapped, incidence: tuple, limit: float,
                     same: tuple[np.ndarray, ...]):
        """(source position, target position, time ≤ limit) from one block of bounded searches, sorted by source
        then target, each pair once.

        Sparse (reached junctions × the targets on their edges) when few junctions are reached, dense (every
        target of every source in the block) when most are, whichever touches fewer numbers.
        """
        start, counts, inc_target, inc_leg = incidence
        reached = dist[:, :self.network.n_nodes] <= limit
        s_same, t_same, time_same = same
        in_block = (s_same >= block[0]) & (s_same <= block[-1])
        row_of = np.full(block[-1] - block[0] + 1, -1)
        row_of[block - block[0]] = np.arange(len(block))
        rows_same = row_of[s_same[in_block] - block[0]]
        ok = rows_same >= 0
        rows_same, t_same, time_same = rows_same[ok], t_same[in_block][ok], time_same[in_block][ok]
        if np.count_nonzero(reached) * (len(inc_target) / max(len(counts), 1)) > 0.25 * len(block) * len(tgt):
            times = self._times_at(dist, tgt)
            np.minimum.at(times, (rows_same, t_same), time_same)
            r, c = np.nonzero(times <= limit)
            return block[r], c, times[r, c]
        rows, node = np.nonzero(reached)
        n = counts[node]
        rep = np.repeat(np.arange(len(rows)), n)
        k = np.repeat(start[node], n) + (np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n))
        r = np.r_[rows[rep], rows_same]
        t = np.r_[inc_target[k], t_same]
        time_s = np.r_[dist[rows[rep], node[rep]] + inc_leg[k], time_same]
        keep = time_s <= limit
        r, t, time_s = r[keep], t[keep], time_s[keep]
        order = np.lexsort((time_s, t, r))
        r, t, time_s = r[order], t[order], time_s[order]
        first = np.r_[True, (r[1:] != r[:-1]) | (t[1:] != t[:-1])] if len(r) else np.zeros(0, dtype=bool)
        return block[r[first]], t[first], time_s[first]

    def _same_edge_pairs(self, src: Snapped, tgt: Snapped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source position, target position, time) for sources and targets on the same edge, walking directly."""
        s_pos, t_pos = np.flatnonzero(src.ok), np.flatnonzero(tgt.ok)
        has_source = np.zeros(self.network.n_edges, dtype=bool)
        has_source[src.edge[s_pos]] = True
        t_pos = t_pos[has_source[tgt.edge[t_pos]]]
        if len(t_pos) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        pairs = pd.DataFrame({"edge": src.edge[s_pos], "s": s_pos}).merge(
            pd.DataFrame({"edge": tgt.edge[t_pos], "t": t_pos}), on="edge")
        s, t = pairs["s"].to_numpy(), pairs["t"].to_numpy()
        along = np.abs(src.offset_m[s] - tgt.offset_m[t]) * self._edge_factor[pairs["edge"].to_numpy()]
        metres = src.access_m[s] + along + tgt.access_m[t]
        return s, t, metres / self.speed_mps

    # --- the three questions ----------------------------------------------------------------------------------

    def nearest(self, sources: Points, targets: Points) -> pd.DataFrame:
        src, tgt = self.snap(sources, "sources"), self.snap(targets, "targets")
        time_s = np.full(len(tgt), np.inf)
        source_pos = np.full(len(tgt), -1, dtype=np.int64)
        if src.ok.any() and len(tgt):
            dist, node_source = self._nearest_nodes(src, np.inf)
            time_s, source_pos = self._nearest_at(dist, node_source, tgt)
            s, t, direct = self._same_edge_pairs(src, tgt)
            better = direct < time_s[t]
            if better.any():
                frame = pd.DataFrame({"t": t[better], "s": s[better], "time": direct[better]})
                best = frame.loc[frame.groupby("t")["time"].idxmin()]
                time_s[best["t"].to_numpy()] = best["time"].to_numpy()
                source_pos[best["t"].to_numpy()] = best["s"].to_numpy()
        return pd.DataFrame({"time_s": time_s, "source_pos": source_pos}, index=tgt.index)

    def _nearest_nodes(self, src: Snapped, limit: float) -> tuple[np.ndarray, np.ndarray]:
        """Time from the nearest source to every junction (inf beyond ``limit``) and that source's position."""
        if self.backend == "numba":
            ptr, node, time_s = self._seeds(src)
            label = np.repeat(np.arange(len(src)), np.diff(ptr))
            return kernels.multi_source(self._kernel_csr, node, time_s, label, limit)
        graph, nodes = self._with_sources(src)
        dist, _, origin = dijkstra(graph, directed=True, indices=nodes[nodes >= 0], min_only=True, limit=limit,
                                   return_predecessors=True)
        node_source = np.full(len(dist), -1, dtype=np.int64)
        reached = origin >= 0
        node_source[reached] = _source_of_node(nodes, origin[reached])
        return dist[:self.network.n_nodes], node_source[:self.network.n_nodes]

    def _nearest_at(self, dist: np.ndarray, node_source: np.ndarray, tgt: Snapped):
        time_s = np.full(len(tgt), np.inf)
        source_pos = np.full(len(tgt), -1, dtype=np.int64)
        pos, u, v, leg_u, leg_v = self._legs(tgt)
        via_u, via_v = dist[u] + leg_u, dist[v] + leg_v
        use_v = via_v < via_u
        time_s[pos] = np.where(use_v, via_v, via_u)
        source_pos[pos] = np.where(use_v, node_source[v], node_source[u])
        source_pos[~np.isfinite(time_s)] = -1
        return time_s, source_pos

    def _blocks(self, src: Snapped, n_targets: int, limit: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Bounded searches from blocks of sources: yields (source positions, node distances)."""
        graph, nodes = self._with_sources(src)
        on = np.flatnonzero(nodes >= 0)
        size = int(max(1, min(256, _BLOCK_BYTES // (8 * (graph.shape[0] + n_targets + 1)))))
        for start in range(0, len(on), size):
            block = on[start:start + size]
            dist = dijkstra(graph, directed=True, indices=nodes[block], limit=limit)
            yield block, dist.reshape(len(block), -1)

    def _pairs(self, src: Snapped, tgt: Snapped, limit: float,
               incidence: tuple | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (source, target) pair within ``limit`` with its time, once (the shortest), sorted
        (``incidence``: :meth:`_incidence` of the targets, when already at hand)."""
        incidence = self._incidence(tgt) if incidence is None else incidence
        same = self._same_edge_pairs(src, tgt)
        if self.backend == "numba":
            start, counts, inc_target, inc_leg = incidence
            inc = (np.r_[0, np.cumsum(counts)], inc_target, inc_leg)
            direct = kernels.csr_by_row(same[0], len(src), same[1], same[2])
            return kernels.bounded_pairs(self._kernel_csr, self._seeds(src), limit, inc, len(tgt), direct)
        parts = [self._block_pairs(block, dist, tgt, incidence, limit, same)
                 for block, dist in self._blocks(src, len(tgt), limit)]
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))

    def catchments(self, sources: Points, targets: Points, max_time_s: float) -> pd.DataFrame:
        src, tgt = self.snap(sources, "sources"), self.snap(targets, "targets")
        if not (np.isfinite(max_time_s) and max_time_s >= 0):
            raise ArgumentError(f"max_time_s must be a finite number ≥ 0, got {max_time_s}")
        return catchment_frame(*self._pairs(src, tgt, float(max_time_s)), sort=False)

    def od_matrix_s(self, origins: Points, destinations: Points, max_time_s: float | None = None) -> np.ndarray:
        src, tgt = self.snap(origins, "origins"), self.snap(destinations, "destinations")
        out = np.full((len(src), len(tgt)), np.inf)
        if (max_time_s is not None and np.isfinite(max_time_s)) or self.backend == "numba":
            s, t, time_s = self._pairs(src, tgt, np.inf if max_time_s is None else float(max_time_s))
            out[s, t] = time_s
            return out
        for block, dist in self._blocks(src, len(tgt), np.inf):
            out[block] = self._times_at(dist, tgt)
        s, t, direct = self._same_edge_pairs(src, tgt)
        np.minimum.at(out, (s, t), direct)
        return out

    def node_times(self, sources: Points, limit: float = np.inf) -> tuple[np.ndarray, Snapped]:
        """Time from the nearest source to every junction (seconds; inf beyond ``limit``) and the snapped sources.

        For service areas: a point part-way along an edge also needs the sources on that same edge (see
        :meth:`edge_point_times`).
        """
        src = self.snap(sources, "sources")
        if not src.ok.any():
            return np.full(self.network.n_nodes, np.inf), src
        return self._nearest_nodes(src, limit)[0], src

    def edge_point_times(self, node_time_s: np.ndarray, src: Snapped, edge: np.ndarray,
                         offset_m: np.ndarray) -> np.ndarray:
        """Time to points on edges (no access leg): the better end of the edge, or a source on the same edge."""
        t_off = offset_m * self._edge_factor[edge] / self.speed_mps
        u, v = self.network.edge_u[edge], self.network.edge_v[edge]
        out = np.minimum(node_time_s[u] + t_off, node_time_s[v] + (self._edge_time_s[edge] - t_off))
        pos = np.flatnonzero(src.ok)
        on_edge = np.isin(edge, src.edge[pos])
        if on_edge.any():
            pairs = pd.DataFrame({"edge": edge[on_edge], "p": np.flatnonzero(on_edge)}).merge(
                pd.DataFrame({"edge": src.edge[pos], "s": pos}), on="edge")
            p, s = pairs["p"].to_numpy(), pairs["s"].to_numpy()
            along = np.abs(src.offset_m[s] - offset_m[p]) * self._edge_factor[pairs["edge"].to_numpy()]
            direct = (src.access_m[s] + along) / self.speed_mps
            np.minimum.at(out, p, direct)
        return out


def _checked_edge_times(edge_time_s: np.ndarray, n_edges: int) -> np.ndarray:
    times = np.asarray(edge_time_s, dtype=np.float64)
    if times.shape != (n_edges,) or not (np.isfinite(times).all() and (times >= 0).all()):
        raise ArgumentError(f"edge_time_s 应是每条路段一个有限、非负的秒数 ({n_edges} 条) (edge_time_s must hold one finite "
                            f"time ≥ 0 per edge; got shape {times.shape})")
    return times


def _backend(name: str) -> str:
    """The shortest-path backend to use for ``name`` (``auto``, ``numba`` or ``scipy``)."""
    if name not in ("auto", "numba", "scipy"):
        raise ArgumentError(f"backend must be 'auto', 'numba' or 'scipy', got {name!r}")
    if name == "numba" and not kernels.AVAILABLE:  # pragma: no cover - numba is installed where tests run
        raise ImportError("backend='numba' needs numba: pip install numba (或改用 backend='scipy')")
    return "numba" if name == "auto" and kernels.AVAILABLE else ("scipy" if name == "auto" else name)


def _source_of_node(nodes: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Source position of each origin node number (nodes: per source, -1 if not on the network)."""
    lookup = np.full(int(nodes.max()) + 1, -1, dtype=np.int64)
    on = np.flatnonzero(nodes >= 0)
    lookup[nodes[on]] = on
    return lookup[origin]


def build_travel_model(crs: Any, travel: Any = None, network: RoadNetwork | None = None) -> TravelModel:
    """The run's travel model: on ``network`` if given, else the straight-line fallback.

    One speed (``travel.walk_speed_kph``); for the configured profiles (several speeds, per-edge speeds) use
    :func:`svcov.access.profiles.build_travel_models`.

    Parameters
    ----------
    crs
        The run's metric CRS (used by the fallback; a network keeps its own).
    travel
        A :class:`svcov.config.TravelConfig` (or anything with ``walk_speed_kph``, ``circuity_factor``,
        ``snap_max_m``); default the settings.
    network
        The road network, or None.

    Returns
    -------
    TravelModel
    """
    speed = getattr(travel, "walk_speed_kph", settings.walk_speed_kph)
    if network is None:
        model: TravelModel = StraightLineTravelModel(crs, walk_speed_kph=speed,
                                                     circuity_factor=getattr(travel, "circuity_factor",
                                                                             settings.circuity_factor))
        log.warning("no road network: travel times are straight-line distance × %.2f (an estimate)",
                    model.circuity_factor)
    else:
        model = NetworkTravelModel(network, walk_speed_kph=speed,
                                   snap_max_m=getattr(travel, "snap_max_m", settings.snap_max_m))
        log.info("travel model: %s", network.summary_zh())
    return model
