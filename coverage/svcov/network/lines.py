"""Road centre-line layers (Shapefile, GeoPackage, GeoJSON lines, as bureaus keep them) → a routable network.

Centre-line layers are rarely noded: a road may run through several junctions as one line, two lines may cross
without a shared vertex, and line ends that should meet may stop a metre short. :func:`network_from_lines`

1. cuts lines where they share a vertex (as OSM ways do at junctions);
2. cuts lines where they cross (``split_crossings``), except where either line is a bridge or tunnel, or the two
   lie on different ``layer`` values: an overpass is not a junction;
3. joins line ends closer than ``snap_tolerance_m`` into one junction;
4. joins a loose line end to a line passing within ``snap_tolerance_m`` (a T-junction drawn short or long),
   cutting that line there.

Every join of steps 3 and 4 is reported (``RoadNetwork.joins``: kind, gap, place), and the counts go into the
network's notes, so a planner can check them in QGIS.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from .. import settings
from ..errors import NetworkError
from .build import RoadNetwork, network_from_arrays

__all__ = ["network_from_lines", "JOIN_COLUMNS"]

log = logging.getLogger(__name__)

JOIN_COLUMNS = ["kind", "gap_m", "x", "y", "detail_zh"]
_KEY_DIGITS = 3  # coordinates equal to the millimetre are the same point
_TRUE = {"t", "true", "yes", "y", "1", "viaduct", "culvert", "building_passage", "是"}


def network_from_lines(lines: gpd.GeoDataFrame | gpd.GeoSeries, *, crs_metric: Any,
                       snap_tolerance_m: float = settings.line_snap_tolerance_m, split_crossings: bool = True,
                       source_zh: str = "道路中心线", notes: tuple[str, ...] = ()) -> RoadNetwork:
    """Node a layer of road centre-lines into a :class:`RoadNetwork`.

    Parameters
    ----------
    lines
        LineStrings or MultiLineStrings in any CRS (reprojected to ``crs_metric``). Optional columns ``bridge``,
        ``tunnel`` (``T``/``yes``/``1`` = true) and ``layer`` keep overpasses from being joined to the roads below.
    crs_metric
        Metric CRS of the network.
    snap_tolerance_m
        Line ends this close are joined (see the module docstring); 0 joins only exact matches.
    split_crossings
        Cut lines where they cross without a shared vertex.

    Returns
    -------
    RoadNetwork
        With ``joins`` listing every join made.

    Raises
    ------
    NetworkError
        If the layer has no CRS or no usable lines.
    """
    frame = lines.to_frame("geometry") if isinstance(lines, gpd.GeoSeries) else lines
    if frame.crs is None:
        raise NetworkError("道路中心线图层没有坐标参考系 (CRS)。请在 QGIS 中指定后另存 (the line layer has no CRS)。")
    frame = frame.to_crs(crs_metric).explode(index_parts=False)
    geoms = shapely.remove_repeated_points(frame.geometry.to_numpy())
    usable = (shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING) & (shapely.length(geoms) > 0)
    n_dropped = int((~usable).sum())
    geoms, frame = geoms[usable], frame[usable]
    if len(geoms) == 0:
        raise NetworkError(f"{source_zh}: 没有可用的线要素 (no usable line features)")
    level = _levels(frame)
    pieces, owner, _ = _split(geoms, _shared_vertex_cuts(geoms))
    n_crossings = 0
    if split_crossings:
        pieces, owner, n_crossings = _split(pieces, _crossing_cuts(pieces, level[owner]), owner)
    pieces, joins_ends = _join_ends(pieces, snap_tolerance_m)
    pieces, owner, joins_t = _join_tees(pieces, owner, snap_tolerance_m)
    pieces, owner, n_repeated = _drop_repeats(pieces, owner)
    joins = pd.DataFrame(joins_ends + joins_t, columns=JOIN_COLUMNS)
    x, y, u, v = _nodes(pieces)
    attrs = frame.drop(columns=frame.geometry.name).iloc[owner].reset_index(drop=True)
    attrs = attrs[[c for c in attrs.columns if c in ("highway", "fclass", "name", "osm_id", "bridge", "tunnel")]]
    text = list(notes) + [
        f"{len(frame):,} 条线切分为 {len(pieces):,} 条路段" + (f"; {n_dropped} 个空或零长度要素未用" if n_dropped else "")
        + (f"; 删除重复或缩成一点的路段 {n_repeated:,} 条 (同一段路画了两次, 如上下行各一条; 或端点合并后长度为 0)"
           if n_repeated else ""),
        f"在无共用节点的交叉处切断 {n_crossings:,} 次 (桥梁/隧道/不同 layer 除外)" if split_crossings
        else "未在交叉处切断 (split_crossings=false): 只有共用节点的线相连",
        f"端点容差 {snap_tolerance_m:g} 米: 合并相近端点 {len(joins_ends):,} 处, 端点接到邻近道路 {len(joins_t):,} 处"
        " (详见 joins 表)"]
    log.info("line layer: %s", "; ".join(text[-3:]))
    return network_from_arrays(x, y, u, v, crs=crs_metric, edge_geometry=pieces, edge_attrs=attrs,
                               source_zh=source_zh, notes=tuple(text), joins=joins)


def _levels(frame: pd.DataFrame) -> np.ndarray:
    """Vertical level of each line: NaN for a bridge or tunnel (never joined at crossings), else ``layer`` (0)."""
    level = np.zeros(len(frame))
    if "layer" in frame.columns:
        level = pd.to_numeric(frame["layer"], errors="coerce").fillna(0).to_numpy(dtype=float)
    for column in ("bridge", "tunnel"):
        if column in frame.columns:
            flag = frame[column].astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
            level[flag] = np.nan
    return level


def _point_ids(coords: np.ndarray) -> np.ndarray:
    """One integer per distinct point (coordinates equal to the millimetre are the same point)."""
    _, inverse = np.unique(np.round(coords, _KEY_DIGITS), axis=0, return_inverse=True)
    return inverse.ravel()


def _shared_vertex_cuts(geoms: np.ndarray) -> dict[int, list[np.ndarray]]:
    """Interior vertices of a line that also lie on another line (a junction mapped with a shared vertex)."""
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    ids = _point_ids(coords)
    pairs = np.unique(np.c_[ids, which], axis=0)
    n_lines = np.bincount(pairs[:, 0], minlength=int(ids.max()) + 1)
    first = np.r_[True, which[1:] != which[:-1]]
    last = np.r_[which[1:] != which[:-1], True]
    cuts: dict[int, list[np.ndarray]] = {}
    for i in np.flatnonzero(~first & ~last & (n_lines[ids] > 1)):
        cuts.setdefault(int(which[i]), []).append(coords[i])
    return cuts


def _crossing_cuts(geoms: np.ndarray, level: np.ndarray) -> dict[int, list[np.ndarray]]:
    """Points where two lines on the same level cross or touch without a shared vertex (and the ends of stretches
    where they overlap)."""
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = (a < b) & (level[a] == level[b])  # NaN (bridges, tunnels) never equal
    a, b = a[keep], b[keep]
    parts, which = shapely.get_parts(shapely.intersection(geoms[a], geoms[b]), return_index=True)
    corners = np.where(shapely.get_type_id(parts) == shapely.GeometryType.POINT, parts, shapely.boundary(parts))
    coords, k = shapely.get_coordinates(corners, return_index=True)
    cuts: dict[int, list[np.ndarray]] = {}
    for xy, pair in zip(coords, which[k]):
        cuts.setdefault(int(a[pair]), []).append(xy)
        cuts.setdefault(int(b[pair]), []).append(xy)
    return cuts


def _split(geoms: np.ndarray, cuts: dict[int, list[np.ndarray]], owner: np.ndarray | None = None):
    """Cut lines at points (inserted exactly, so the pieces on both sides of a junction share its coordinate)."""
    owner = np.arange(len(geoms)) if owner is None else owner
    out, out_owner = [], []
    for i, geom in enumerate(geoms):
        if i not in cuts:
            out.append(geom)
            out_owner.append(owner[i])
            continue
        for piece in _cut_line(np.asarray(geom.coords)[:, :2], np.array(cuts[i])):
            out.append(shapely.linestrings(piece))
            out_owner.append(owner[i])
    return np.array(out, dtype=object), np.array(out_owner, dtype=np.int64), len(out) - len(geoms)


def _cut_line(coords: np.ndarray, points: np.ndarray) -> list[np.ndarray]:
    """Pieces of a polyline cut at the given points (each projected onto the line; ends ignored)."""
    line = shapely.linestrings(coords)
    length = line.length
    at = shapely.line_locate_point(line, shapely.points(points))
    order = np.argsort(at)
    at, points = at[order], points[order]
    inside = (at > 1e-9) & (at < length - 1e-9)
    at, points = at[inside], points[inside]
    if len(at) == 0:
        return [coords]
    _, first = np.unique(np.round(at, 6), return_index=True)
    at, points = at[first], points[first]
    cum = np.r_[0.0, np.cumsum(np.hypot(*(coords[1:] - coords[:-1]).T))]
    pieces, start_pt, start_i = [], coords[0], 1
    for a, p in zip(at, points):
        j = int(np.searchsorted(cum, a, side="right"))  # vertices strictly before the cut: coords[start_i:j]
        middle = coords[start_i:j]
        middle = middle[np.hypot(*(middle - p).T) > 0] if len(middle) else middle
        pieces.append(np.vstack([start_pt, middle, p]))
        start_pt, start_i = p, j
    rest = coords[start_i:]
    rest = rest[np.hypot(*(rest - start_pt).T) > 0] if len(rest) else rest
    pieces.append(np.vstack([start_pt, rest]) if len(rest) else np.vstack([start_pt, coords[-1]]))
    return [p for p in pieces if len(p) >= 2 and np.hypot(*(p[-1] - p[0])) + _inner_length(p) > 0]


def _inner_length(p: np.ndarray) -> float:
    return float(np.hypot(*(p[1:] - p[:-1]).T).sum())


def _drop_repeats(geoms: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Drop pieces drawn twice (same line, either direction), e.g. a street mapped once per direction, and pieces
    that joining ends shrank to a point."""
    keys = shapely.to_wkb(shapely.normalize(shapely.set_precision(geoms, 10.0 ** -_KEY_DIGITS)))
    repeated = pd.Series(keys).duplicated().to_numpy() | (shapely.length(geoms) == 0)  # or shrunk to a point
    return geoms[~repeated], owner[~repeated], int(repeated.sum())


def _ends(geoms: np.ndarray) -> np.ndarray:
    """Coordinates of line ends: ``(2 * n, 2)``, first ends then last ends."""
    first = shapely.get_coordinates(shapely.get_point(geoms, 0))
    last = shapely.get_coordinates(shapely.get_point(geoms, -1))
    return np.r_[first, last]


def _join_ends(geoms: np.ndarray, tol: float) -> tuple[np.ndarray, list]:
    """Move line ends closer than ``tol`` onto one point (the most used of them)."""
    if tol <= 0:
        return geoms, []
    from scipy.spatial import cKDTree

    ends = _ends(geoms)
    unique, inverse, counts = np.unique(np.round(ends, _KEY_DIGITS), axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    exact = np.zeros_like(unique)
    exact[inverse] = ends
    pairs = cKDTree(exact).query_pairs(tol, output_type="ndarray")
    if len(pairs) == 0:
        return geoms, []
    graph = coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(exact), len(exact)))
    _, cluster = connected_components(graph, directed=False)
    target = np.arange(len(exact))
    joins = []
    for c in np.unique(cluster[pairs[:, 0]]):
        members = np.flatnonzero(cluster == c)
        keep = members[np.argmax(counts[members])]
        target[members] = keep
        gap = float(np.hypot(*(exact[members] - exact[keep]).T).max())
        joins.append(("端点合并 (ends joined)", gap, exact[keep, 0], exact[keep, 1],
                      f"{len(members)} 个相距 ≤ {tol:g} 米的线端点合并为一个路口"))
    new_ends = exact[target[inverse]]
    return _move_ends(geoms, new_ends), joins


def _move_ends(geoms: np.ndarray, new_ends: np.ndarray) -> np.ndarray:
    n = len(geoms)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    first = np.r_[0, np.flatnonzero(which[1:] != which[:-1]) + 1]
    last = np.r_[first[1:] - 1, len(which) - 1]
    coords = coords.copy()
    coords[first] = new_ends[:n]
    coords[last] = new_ends[n:]
    return shapely.linestrings(coords, indices=which)


def _join_tees(geoms: np.ndarray, owner: np.ndarray, tol: float):
    """Join loose line ends to a line passing within ``tol`` (cutting that line at the nearest point)."""
    if tol <= 0:
        return geoms, owner, []
    ends = _ends(geoms)
    ids = _point_ids(ends)
    loose = np.flatnonzero(np.bincount(ids)[ids] == 1)
    if len(loose) == 0:
        return geoms, owner, []
    n = len(geoms)
    points = shapely.points(ends[loose])
    tree = shapely.STRtree(geoms)
    p, line = tree.query(points, predicate="dwithin", distance=tol)
    own = loose[p] % n
    keep = line != own
    p, line = p[keep], line[keep]
    dist = shapely.distance(points[p], geoms[line])
    order = np.lexsort((dist, p))
    p, line, dist = p[order], line[order], dist[order]
    first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.zeros(0, dtype=bool)
    cuts: dict[int, list[np.ndarray]] = {}
    new_ends = ends.copy()
    joins = []
    for k, ln, d in zip(p[first], line[first], dist[first]):
        foot = shapely.line_interpolate_point(geoms[ln], shapely.line_locate_point(geoms[ln], points[k]))
        xy = shapely.get_coordinates(foot)[0]
        cuts.setdefault(int(ln), []).append(xy)
        new_ends[loose[k]] = xy
        joins.append(("T 形连接 (end joined to a line)", float(d), xy[0], xy[1],
                      f"线端点距另一条道路 {d:.2f} 米, 已接到该道路上"))
    geoms = _move_ends(geoms, new_ends)
    geoms, owner, _ = _split(geoms, cuts, owner)
    return geoms, owner, joins


def _nodes(geoms: np.ndarray):
    """Junctions (unique line-end coordinates) and each line's two junctions."""
    ends = _ends(geoms)
    unique, inverse = np.unique(np.round(ends, _KEY_DIGITS), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    exact = np.zeros_like(unique)
    exact[inverse] = ends
    n = len(geoms)
    return exact[:, 0], exact[:, 1], inverse[:n], inverse[n:]
