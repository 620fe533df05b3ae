"""A road network as arrays: junctions, edges with their geometry and length, connected pieces, and the
compressed sparse-row (CSR) matrix of walking times that the access engine routes on.

Every source (an osmnx download, OSM XML/PBF, GraphML, a road centre-line layer, the synthetic generator) ends
in :func:`network_from_arrays` or :func:`network_from_graph`, which give one :class:`RoadNetwork`:

- junctions ("nodes") ``0..n_nodes-1`` with coordinates in a metric CRS;
- undirected edges ``(edge_u, edge_v)`` with a LineString geometry running from ``u`` to ``v`` and its length in
  metres (the geometry's own length, so a point snapped part-way along an edge splits it exactly);
- the connected piece ("component") of every junction. Pieces are kept and reported, never silently dropped.

Walking is two-way: one-way tags for vehicles are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from .. import settings
from ..errors import NetworkError

__all__ = ["RoadNetwork", "network_from_arrays", "network_from_graph", "travel_time_csr", "speed_mps",
           "profile_edge_times", "clip_network"]

log = logging.getLogger(__name__)

#: Geometry ends farther than this from their junction are an error in the caller's arrays.
_END_TOLERANCE_M = 1e-6


def speed_mps(walk_speed_kph: float) -> float:
    """Walking speed in metres per second."""
    return float(walk_speed_kph) / 3.6


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A walk network in a metric CRS, as arrays (build it with :func:`network_from_arrays`).

    Attributes
    ----------
    crs
        The metric CRS of all coordinates.
    node_x, node_y
        Junction coordinates (m), float64.
    edge_u, edge_v
        Junction positions of each edge's ends (int64); the geometry runs from ``u`` to ``v``.
    edge_geometry
        LineStrings (shapely array).
    edge_length_m
        Length of each geometry (m).
    node_id
        The junctions' ids in the source (OSM node ids, or positions).
    edge_attrs
        One row per edge (index ``0..n_edges-1``): ``highway``, ``name`` ... where the source has them.
    source_zh
        One phrase naming the source, for documents (e.g. 「OpenStreetMap 路网 (shanghai.osm)」).
    notes
        What was done on loading (edges left out and why, joins made), in Chinese.
    joins
        For road centre-line layers: one row per join (``kind``, ``gap_m``, ``x``, ``y``, ``detail_zh``).
    component
        Connected piece of each junction (0 = the largest), computed on construction.
    """

    crs: Any
    node_x: np.ndarray
    node_y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_geometry: np.ndarray
    edge_length_m: np.ndarray
    node_id: np.ndarray
    edge_attrs: pd.DataFrame
    source_zh: str = ""
    notes: tuple[str, ...] = ()
    joins: pd.DataFrame | None = None
    component: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "component", _components(self.n_nodes, self.edge_u, self.edge_v))

    @property
    def n_nodes(self) -> int:
        return len(self.node_x)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @property
    def total_length_km(self) -> float:
        return float(self.edge_length_m.sum() / 1000.0)

    def components(self, min_nodes: int | None = None) -> pd.DataFrame:
        """The connected pieces, largest first.

        Parameters
        ----------
        min_nodes
            Pieces with at least this many junctions (and the largest) accept snapped points; default
            :data:`svcov.settings.snap_min_component_nodes`.

        Returns
        -------
        DataFrame
            ``component``, ``n_nodes``, ``n_edges``, ``length_km``, ``share_length`` (0-1), ``snappable`` (bool).
        """
        min_nodes = settings.snap_min_component_nodes if min_nodes is None else min_nodes
        n_comp = int(self.component.max()) + 1 if self.n_nodes else 0
        nodes = np.bincount(self.component, minlength=n_comp)
        edge_comp = self.component[self.edge_u]
        edges = np.bincount(edge_comp, minlength=n_comp)
        length = np.bincount(edge_comp, weights=self.edge_length_m, minlength=n_comp)
        total = max(float(length.sum()), 1e-12)
        return pd.DataFrame({"component": np.arange(n_comp), "n_nodes": nodes, "n_edges": edges,
                             "length_km": length / 1000.0, "share_length": length / total,
                             "snappable": (nodes >= min_nodes) | (np.arange(n_comp) == 0)})

    def snappable_edges(self, min_nodes: int | None = None) -> np.ndarray:
        """Boolean mask of the edges that points may snap onto (see :meth:`components`)."""
        table = self.components(min_nodes)
        return table["snappable"].to_numpy()[self.component[self.edge_u]]

    def edges_frame(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame (``edge``, ``u``, ``v``, ``length_m``, ``component``, attributes)."""
        frame = pd.DataFrame({"edge": np.arange(self.n_edges), "u": self.edge_u, "v": self.edge_v,
                              "length_m": self.edge_length_m, "component": self.component[self.edge_u]})
        frame = pd.concat([frame, self.edge_attrs.reset_index(drop=True)], axis=1)
        return gpd.GeoDataFrame(frame, geometry=self.edge_geometry, crs=self.crs)

    def nodes_frame(self) -> gpd.GeoDataFrame:
        """The junctions as a GeoDataFrame (``node``, ``node_id``, ``component``, ``degree``)."""
        degree = np.bincount(np.r_[self.edge_u, self.edge_v], minlength=self.n_nodes)
        return gpd.GeoDataFrame({"node": np.arange(self.n_nodes), "node_id": self.node_id,
                                 "component": self.component, "degree": degree},
                                geometry=gpd.points_from_xy(self.node_x, self.node_y), crs=self.crs)

    def summary_zh(self) -> str:
        """One sentence: junctions, edges, length, pieces."""
        table = self.components()
        small = table[~table["snappable"]]
        text = (f"{self.source_zh}: {self.n_nodes:,} 个路口/端点, {self.n_edges:,} 条路段, 总长 "
                f"{self.total_length_km:,.1f} 公里, {len(table)} 个互不连通的部分 (最大部分占总长 "
                f"{table['share_length'].iloc[0]:.1%})" if len(table) else f"{self.source_zh}: 空路网")
        if len(small):
            text += (f"; {len(small)} 个小块 (共 {small['length_km'].sum():.1f} 公里, 少于 "
                     f"{settings.snap_min_component_nodes} 个路口) 保留在路网中但不接收吸附点")
        return text + "。"


def _components(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Connected piece of each node, renumbered so that 0 is the largest (by node count)."""
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    adj = sp.csr_array((np.ones(len(u)), (u, v)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(adj, directed=False)
    sizes = np.bincount(labels)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels].astype(np.int64)


def network_from_arrays(node_x: Sequence[float], node_y: Sequence[float], edge_u: Sequence[int],
                        edge_v: Sequence[int], *, crs: Any, edge_geometry: Sequence | None = None,
                        node_id: Sequence | None = None, edge_attrs: pd.DataFrame | None = None,
                        source_zh: str = "路网", notes: Sequence[str] = (),
                        joins: pd.DataFrame | None = None) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from junction coordinates and edges.

    Parameters
    ----------
    node_x, node_y
        Junction coordinates in ``crs`` (m).
    edge_u, edge_v
        Junction positions of each edge's ends.
    crs
        A projected (metric) CRS.
    edge_geometry
        LineStrings from ``u`` to ``v`` (or from ``v`` to ``u``: reversed here); default straight lines.
    node_id, edge_attrs, source_zh, notes, joins
        See :class:`RoadNetwork`.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        If the CRS is geographic, an edge refers to a missing junction, a geometry is not a LineString or its ends
        are not at its junctions, or coordinates are not finite.
    """
    x = np.asarray(node_x, dtype=np.float64)
    y = np.asarray(node_y, dtype=np.float64)
    u = np.asarray(edge_u, dtype=np.int64)
    v = np.asarray(edge_v, dtype=np.int64)
    _check_arrays(x, y, u, v, crs)
    if edge_geometry is None:
        geoms = shapely.linestrings(np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1)) if len(u) else \
            np.empty(0, dtype=object)
    else:
        geoms = _oriented(np.asarray(edge_geometry, dtype=object), x, y, u, v)
    attrs = edge_attrs.reset_index(drop=True) if edge_attrs is not None else pd.DataFrame(index=range(len(u)))
    if len(attrs) != len(u):
        raise NetworkError(f"edge_attrs 有 {len(attrs)} 行, 但有 {len(u)} 条边 (edge_attrs has {len(attrs)} rows "
                           f"for {len(u)} edges)")
    ids = np.arange(len(x)) if node_id is None else np.asarray(node_id)
    return RoadNetwork(crs=pyproj.CRS.from_user_input(crs), node_x=x, node_y=y, edge_u=u, edge_v=v,
                       edge_geometry=geoms, edge_length_m=shapely.length(geoms).astype(np.float64), node_id=ids,
                       edge_attrs=attrs, source_zh=source_zh, notes=tuple(notes), joins=joins)


def _check_arrays(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, crs: Any) -> None:
    if crs is None or pyproj.CRS.from_user_input(crs).is_geographic:
        raise NetworkError(f"路网必须使用以米为单位的投影坐标系, 而不是 {crs} (the network needs a metric CRS, "
                           f"not {crs}); 请先投影 (project it first)")
    if len(x) != len(y) or len(u) != len(v):
        raise NetworkError("node_x/node_y 或 edge_u/edge_v 长度不一致 (arrays of different lengths)")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise NetworkError("路口坐标中有空值或无穷大 (node coordinates must be finite)")
    if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= len(x)):
        raise NetworkError("边引用了不存在的路口 (an edge refers to a junction that does not exist)")


def _oriented(geoms: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Check that each geometry joins its two junctions; reverse the ones drawn from ``v`` to ``u``."""
    if len(geoms) != len(u):
        raise NetworkError(f"edge_geometry 有 {len(geoms)} 个, 但有 {len(u)} 条边 (one geometry per edge)")
    kinds = shapely.get_type_id(geoms)
    if len(geoms) and (kinds != shapely.GeometryType.LINESTRING).any():
        raise NetworkError("路段几何必须是 LineString (edge geometries must be LineStrings)")
    first = shapely.get_coordinates(shapely.get_point(geoms, 0))
    last = shapely.get_coordinates(shapely.get_point(geoms, -1))
    forward = (np.hypot(first[:, 0] - x[u], first[:, 1] - y[u]) <= _END_TOLERANCE_M) & \
              (np.hypot(last[:, 0] - x[v], last[:, 1] - y[v]) <= _END_TOLERANCE_M)
    backward = (np.hypot(first[:, 0] - x[v], first[:, 1] - y[v]) <= _END_TOLERANCE_M) & \
               (np.hypot(last[:, 0] - x[u], last[:, 1] - y[u]) <= _END_TOLERANCE_M)
    bad = ~(forward | backward)
    if bad.any():
        raise NetworkError(f"{int(bad.sum())} 条路段的几何端点不在其路口上 (first: 第 {int(np.flatnonzero(bad)[0])} "
                           f"条) (edge geometries must start and end at their junctions)")
    out = geoms.copy()
    flip = ~forward
    out[flip] = shapely.reverse(geoms[flip])
    return out


def travel_time_csr(network: RoadNetwork, walk_speed_kph: float, *,
                    edge_time_s: np.ndarray | None = None) -> sp.csr_array:
    """Travel times between adjacent junctions as a symmetric CSR matrix (seconds).

    Each edge takes ``edge_time_s`` (one time per edge, e.g. a profile's per-edge speeds) or, by default, its
    length at ``walk_speed_kph``. Parallel edges keep the shortest; loops (an edge from a junction to itself) are
    left out because they never shorten a path (they stay in the network for snapping).

    Returns
    -------
    scipy.sparse.csr_array
        ``n_nodes × n_nodes``, float64 seconds; explicit zeros (edges of length 0) are edges.
    """
    n = network.n_nodes
    keep = network.edge_u != network.edge_v
    u, v = network.edge_u[keep], network.edge_v[keep]
    t = (network.edge_length_m[keep] / speed_mps(walk_speed_kph) if edge_time_s is None
         else np.asarray(edge_time_s, dtype=np.float64)[keep])
    rows, cols, data = np.r_[u, v], np.r_[v, u], np.r_[t, t]
    order = np.lexsort((data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, data = rows[first], cols[first], data[first]
    indptr = np.zeros(n + 1, dtype=np.int32 if len(rows) < 2**31 - 1 else np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_array((data, cols.astype(np.int32), indptr), shape=(n, n))


def profile_edge_times(network: RoadNetwork, speed_kph: float,
                       speed_by_highway: dict[str, float] | None = None) -> np.ndarray:
    """Time to traverse each edge (seconds) at ``speed_kph``, or at ``speed_by_highway[highway]`` on edges of that
    OSM ``highway`` class (the slowest listed class wins on an edge with several, e.g. ``footway;steps``)."""
    speed = np.full(network.n_edges, float(speed_kph))
    if speed_by_highway and "highway" in network.edge_attrs.columns:
        for i, value in enumerate(network.edge_attrs["highway"].to_numpy()):
            classes = _highway_classes(value)
            found = [float(speed_by_highway[c]) for c in classes if c in speed_by_highway]
            if found:
                speed[i] = min(found)
    return network.edge_length_m / (speed / 3.6)


def _highway_classes(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip().lower() for v in value]
    return [v.strip().lower() for v in str(value).strip("[]").replace("'", "").replace(",", ";").split(";")]


def network_from_graph(graph: nx.MultiDiGraph | nx.Graph, *, crs_metric: Any, source_zh: str = "路网",
                       notes: Sequence[str] = ()) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from a networkx graph as osmnx makes it (nodes with ``x``/``y``, edges with
    an optional ``geometry``, ``graph.graph["crs"]``).

    Directed edges in both directions along the same line become one undirected edge. Node coordinates are
    projected to ``crs_metric``; edge geometries are projected and their ends set exactly on their junctions.

    Parameters
    ----------
    graph
        The graph (any CRS named in ``graph.graph["crs"]``; EPSG:4326 if absent).
    crs_metric
        Metric CRS of the result.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        If the graph has no edges or nodes lack coordinates.
    """
    if graph.number_of_edges() == 0:
        raise NetworkError(f"路网中没有可步行的路段 ({source_zh}) (the network has no walkable edges)")
    nodes = list(graph.nodes)
    try:
        lon = np.array([graph.nodes[n]["x"] for n in nodes], dtype=np.float64)
        lat = np.array([graph.nodes[n]["y"] for n in nodes], dtype=np.float64)
    except KeyError:
        raise NetworkError("路网的节点缺少 x/y 坐标 (graph nodes need x and y attributes)") from None
    to_metric = pyproj.Transformer.from_crs(graph.graph.get("crs", settings.wgs84), crs_metric, always_xy=True)
    x, y = to_metric.transform(lon, lat)
    pos = {n: i for i, n in enumerate(nodes)}
    coords, index, u, v, attrs = _graph_edge_coords(graph, pos, x, y, to_metric)
    u, v, coords, index, attrs = _dedupe_undirected(u, v, coords, index, attrs)
    geoms = shapely.linestrings(coords, indices=index)
    return network_from_arrays(x, y, u, v, crs=crs_metric, edge_geometry=geoms, node_id=np.array(nodes),
                               edge_attrs=attrs, source_zh=source_zh, notes=notes)


def _graph_edge_coords(graph, pos: dict, x: np.ndarray, y: np.ndarray, to_metric: pyproj.Transformer):
    """Coordinates of every directed edge (projected; ends exactly on the junctions) and its attributes."""
    us, vs, records = [], [], []
    curved_coords, curved_edges = [], []
    edges = graph.edges(keys=True, data=True) if graph.is_multigraph() else \
        ((a, b, 0, d) for a, b, d in graph.edges(data=True))
    for i, (a, b, _, data) in enumerate(edges):
        us.append(pos[a])
        vs.append(pos[b])
        records.append({k: _plain(data.get(k)) for k in ("highway", "name", "osmid", "bridge", "tunnel")})
        geom = data.get("geometry")
        if geom is not None and len(geom.coords) > 2:
            curved_coords.append(np.asarray(geom.coords, dtype=np.float64)[:, :2])
            curved_edges.append(i)
    u, v = np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)
    n_points = np.full(len(u), 2, dtype=np.int64)
    for i, c in zip(curved_edges, curved_coords):
        n_points[i] = len(c)
    index = np.repeat(np.arange(len(u)), n_points)
    coords = np.empty((int(n_points.sum()), 2))
    start = np.r_[0, np.cumsum(n_points)[:-1]]
    if curved_coords:
        stacked = np.concatenate(curved_coords)
        px, py = to_metric.transform(stacked[:, 0], stacked[:, 1])
        offsets = np.r_[0, np.cumsum([len(c) for c in curved_coords])]
        for j, i in enumerate(curved_edges):
            coords[start[i]:start[i] + n_points[i]] = np.c_[px[offsets[j]:offsets[j + 1]],
                                                            py[offsets[j]:offsets[j + 1]]]
    coords[start] = np.c_[x[u], y[u]]
    coords[start + n_points - 1] = np.c_[x[v], y[v]]
    return coords, index, u, v, pd.DataFrame.from_records(records, columns=["highway", "name", "osmid", "bridge",
                                                                            "tunnel"])


def _plain(value: object) -> object:
    """Edge attribute as plain text (osmnx keeps lists where it merged ways)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (list, tuple, set)):
        return ";".join(sorted({str(v) for v in value}))
    return str(value)


def _dedupe_undirected(u, v, coords, index, attrs):
    """Turn directed edges into undirected ones: orient each from the lower junction position, drop repeats."""
    n_points = np.bincount(index, minlength=len(u))
    start = np.r_[0, np.cumsum(n_points)[:-1]]
    flip = u > v
    coords = coords.copy()
    for i in np.flatnonzero(flip):
        coords[start[i]:start[i] + n_points[i]] = coords[start[i]:start[i] + n_points[i]][::-1]
    u2, v2 = np.where(flip, v, u), np.where(flip, u, v)
    rounded = np.round(coords, 3)
    keys = [(int(a), int(b), rounded[s:s + n].tobytes()) for a, b, s, n in zip(u2, v2, start, n_points)]
    keep = ~pd.Series(keys).duplicated().to_numpy()
    kept = np.flatnonzero(keep)
    point_keep = np.repeat(keep, n_points)
    new_index = np.repeat(np.arange(len(kept)), n_points[kept])
    return u2[kept], v2[kept], coords[point_keep], new_index, attrs.iloc[kept].reset_index(drop=True)


def clip_network(network: RoadNetwork, area: Any, *, note_zh: str = "") -> RoadNetwork:
    """The part of ``network`` whose edges touch ``area`` (a shapely geometry in the network's CRS); edges that
    cross the border of ``area`` are kept whole, so every walk that stays inside ``area`` is kept exactly.

    Used by :mod:`svcov.batch` to give each district the network within its halo.
    """
    shapely.prepare(area)
    keep = np.flatnonzero(shapely.intersects(network.edge_geometry, area))
    nodes = np.unique(np.r_[network.edge_u[keep], network.edge_v[keep]])
    new = np.full(network.n_nodes, -1, dtype=np.int64)
    new[nodes] = np.arange(len(nodes))
    return network_from_arrays(network.node_x[nodes], network.node_y[nodes], new[network.edge_u[keep]],
                               new[network.edge_v[keep]], crs=network.crs, edge_geometry=network.edge_geometry[keep],
                               node_id=network.node_id[nodes], edge_attrs=network.edge_attrs.iloc[keep],
                               source_zh=network.source_zh, notes=network.notes + ((note_zh,) if note_zh else ()))
