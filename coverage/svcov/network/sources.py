"""Where road networks come from: every format a bureau has.

=========================  =====================================================================================
source                     how it is read
=========================  =====================================================================================
``osm_download``           osmnx walk network for the boundary polygon (or a place name), downloaded once and
                           cached as GraphML under ``cache_dir`` (``data/network/``): later runs are offline
``.osm``, ``.osm.bz2``     OSM XML, with ``osmnx.graph_from_xml``
``.osm.pbf``               OSM PBF (e.g. a Geofabrik China extract), read with GDAL's OSM driver and cut to the
                           boundary's bounding box (plus a margin); ways are joined where they share a node
``.graphml``               a graph saved by osmnx (``osmnx.save_graphml``)
``.shp``/``.gpkg``/...     a road centre-line layer, noded with :func:`svcov.network.lines.network_from_lines`
=========================  =====================================================================================

OSM ways pedestrians may not use are left out, following osmnx's ``walk`` filter (motorways, cycleways, ways
under construction, ``foot=no``, private access...), plus Chinese elevated expressways (高架路: a bridge whose name
contains 「高架」), which pedestrians may not use and which an extract without ``motorroad``/``foot`` tags would
otherwise treat as streets. The count left out goes into the network's notes.
"""

from __future__ import annotations

import hashlib
import logging
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..errors import NetworkError
from ..files import atomic_path
from .build import RoadNetwork, network_from_graph
from .lines import network_from_lines

__all__ = ["load_network", "download_osm_network", "read_osm_xml", "read_osm_pbf", "read_graphml", "read_road_lines",
           "is_walkable", "NETWORK_SUFFIXES", "LINE_SUFFIXES"]

log = logging.getLogger(__name__)

LINE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".zip", ".gml", ".kml")
NETWORK_SUFFIXES = (".osm", ".osm.bz2", ".osm.pbf", ".pbf", ".graphml") + LINE_SUFFIXES

#: ``highway`` values pedestrians may not use (osmnx's ``walk`` filter).
EXCLUDED_HIGHWAY = frozenset({"abandoned", "bus_guideway", "construction", "cycleway", "motorway", "motorway_link",
                              "no", "planned", "platform", "proposed", "raceway", "razed", "rest_area", "services"})
_OSM_TAGS = ("highway", "name", "access", "foot", "service", "area", "motorroad", "bridge", "tunnel", "layer")
_FOOT_OK = {"yes", "designated", "permissive"}
#: Margin around the boundary when cutting an extract or downloading (m): walks may leave the district.
MARGIN_M = 1000.0


def _values(value: object) -> set[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return set()
    if isinstance(value, (list, tuple, set)):
        return {str(v).strip().lower() for v in value}
    return {v.strip().lower() for v in str(value).split(";")}


def is_walkable(tags: dict) -> bool:
    """Whether pedestrians may use a way with these OSM tags (see the module docstring).

    Examples
    --------
    >>> is_walkable({"highway": "residential"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "trunk", "name": "南北高架路", "bridge": "yes"})
    False
    """
    highway = _values(tags.get("highway"))
    if not highway or highway <= EXCLUDED_HIGHWAY:
        return False
    foot = _values(tags.get("foot"))
    if "no" in foot or "yes" in _values(tags.get("area")) or "yes" in _values(tags.get("motorroad")):
        return False
    if _values(tags.get("access")) & {"private", "no"} and not foot & _FOOT_OK:
        return False
    if "private" in _values(tags.get("service")):
        return False
    bridge = _values(tags.get("bridge")) - {"no", "false", "0", "f"}
    return not (bridge and "高架" in str(tags.get("name") or ""))


def _drop_unwalkable(graph: nx.MultiDiGraph) -> int:
    """Remove the edges pedestrians may not use, and junctions left without edges; returns the count removed."""
    bad = [(u, v, k) for u, v, k, d in graph.edges(keys=True, data=True) if not is_walkable(d)]
    graph.remove_edges_from(bad)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return len(bad)


def _osm_network(graph: nx.MultiDiGraph, *, crs_metric: Any, source_zh: str, notes: Iterable[str] = ()):
    removed = _drop_unwalkable(graph)
    notes = list(notes) + ([f"按步行规则排除 {removed:,} 条有向路段 (高速公路、自行车道、高架路、禁止步行等)"]
                           if removed else [])
    return network_from_graph(graph, crs_metric=crs_metric, source_zh=source_zh, notes=notes)


def load_network(source: str | Path, *, crs_metric: Any, boundary: gpd.GeoDataFrame | None = None,
                 place: str | None = None, cache_dir: str | Path | None = None,
                 snap_tolerance_m: float = settings.line_snap_tolerance_m,
                 split_crossings: bool = True) -> RoadNetwork:
    """Load a road network from any supported source (see the module docstring).

    Parameters
    ----------
    source
        ``"osm_download"`` or a file path.
    crs_metric
        Metric CRS of the result (the run's CRS).
    boundary
        The 街镇 boundaries (any CRS): the download area, and where a PBF extract is cut.
    place
        Place name for the download when no ``boundary`` is given (e.g. 「上海市松江区」).
    cache_dir
        Folder of downloaded networks (default ``data/network`` beside the working directory).
    snap_tolerance_m, split_crossings
        For road centre-line layers (see :func:`svcov.network.lines.network_from_lines`).

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        If the file is missing, of an unknown format, unreadable, or has no walkable roads; or if a download fails.
    """
    if str(source) == "osm_download":
        return download_osm_network(boundary=boundary, place=place, crs_metric=crs_metric,
                                    cache_dir=cache_dir or Path("data") / "network")
    path = Path(source)
    if not path.is_file():
        raise NetworkError(f"找不到路网文件 {path} (road network file not found)")
    name = path.name.lower()
    if name.endswith((".osm", ".osm.bz2", ".osm.xml")):
        return read_osm_xml(path, crs_metric=crs_metric)
    if name.endswith(".pbf"):
        return read_osm_pbf(path, crs_metric=crs_metric, boundary=boundary)
    if name.endswith(".graphml"):
        return read_graphml(path, crs_metric=crs_metric)
    if name.endswith(LINE_SUFFIXES):
        return read_road_lines(path, crs_metric=crs_metric, snap_tolerance_m=snap_tolerance_m,
                               split_crossings=split_crossings)
    raise NetworkError(f"不支持的路网文件格式: {path.name}。支持: OSM XML (.osm, .osm.bz2)、OSM PBF (.osm.pbf)、"
                       f"osmnx GraphML (.graphml)、道路中心线图层 ({', '.join(LINE_SUFFIXES)}) "
                       f"(unsupported road network format: {path.name})")


def _with_osm_tags():
    """osmnx keeps only ``settings.useful_tags_way``; add the tags the walk rule needs (restored by the caller)."""
    import osmnx as ox

    before = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(before) | set(_OSM_TAGS))
    return before


def read_osm_xml(path: str | Path, *, crs_metric: Any) -> RoadNetwork:
    """Read an OSM XML file (``.osm`` or ``.osm.bz2``) with osmnx.

    Raises
    ------
    NetworkError
        If the file cannot be parsed or has no walkable ways.
    """
    import osmnx as ox

    path = Path(path)
    before = _with_osm_tags()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*generated by OSMnx.*", category=UserWarning)
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=True, retain_all=True)
    except Exception as exc:  # XML errors, osmnx's own errors for files without ways
        raise NetworkError(f"无法读取 OSM 文件 {path.name}: {exc} (cannot read the OSM XML file)") from exc
    finally:
        ox.settings.useful_tags_way = before
    return _osm_network(graph, crs_metric=crs_metric, source_zh=f"OpenStreetMap 路网 ({path.name})")


def read_graphml(path: str | Path, *, crs_metric: Any) -> RoadNetwork:
    """Read a network saved by ``osmnx.save_graphml``.

    Raises
    ------
    NetworkError
    """
    import osmnx as ox

    path = Path(path)
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # XML or attribute-conversion errors
        raise NetworkError(f"无法读取 GraphML 文件 {path.name}: {exc} (cannot read the GraphML file)") from exc
    return _osm_network(graph, crs_metric=crs_metric, source_zh=f"GraphML 路网 ({path.name})")


def _hstore(text: object) -> dict[str, str]:
    """GDAL's ``other_tags`` (``"k"=>"v","k2"=>"v2"``) as a dict."""
    if not isinstance(text, str):
        return {}
    return dict(re.findall(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"', text))


def read_osm_pbf(path: str | Path, *, crs_metric: Any, boundary: gpd.GeoDataFrame | None = None) -> RoadNetwork:
    """Read an OSM PBF extract with GDAL's OSM driver; ways become lines joined where they share a node.

    Parameters
    ----------
    path
        ``.osm.pbf`` file (a Geofabrik extract may cover all of China: it is cut to ``boundary``'s bounding box
        plus :data:`MARGIN_M`; GDAL still reads the whole file once, which takes minutes for a country).
    boundary
        Area of interest (any CRS); default the whole file.

    Raises
    ------
    NetworkError
        If GDAL cannot read the file or it has no walkable ways.
    """
    import pyogrio

    path = Path(path)
    bbox = None
    if boundary is not None:
        area = boundary.to_crs(crs_metric).union_all().buffer(MARGIN_M)
        bbox = tuple(gpd.GeoSeries([area], crs=crs_metric).to_crs(settings.wgs84).total_bounds)
    try:
        lines = pyogrio.read_dataframe(path, layer="lines", bbox=bbox)
    except Exception as exc:  # pyogrio.errors.DataSourceError and friends
        raise NetworkError(f"无法读取 PBF 文件 {path.name}: {exc} (cannot read the PBF file with GDAL)") from exc
    tags = [{**_hstore(other), "highway": hw, "name": nm}
            for other, hw, nm in zip(lines["other_tags"], lines["highway"], lines["name"])]
    walk = np.array([is_walkable(t) for t in tags], dtype=bool)
    frame = gpd.GeoDataFrame({"highway": lines["highway"], "name": lines["name"], "osm_id": lines["osm_id"],
                              "bridge": [t.get("bridge") for t in tags], "tunnel": [t.get("tunnel") for t in tags]},
                             geometry=lines.geometry, crs=lines.crs)[walk]
    if frame.empty:
        raise NetworkError(f"PBF 文件 {path.name} 中没有可步行的道路 (no walkable ways in the PBF file)")
    excluded = int((~walk & lines["highway"].notna().to_numpy()).sum())
    notes = [f"按步行规则排除 {excluded:,} 条 OSM 道路 (高速公路、自行车道、高架路、禁止步行等)"] if excluded else []
    return network_from_lines(frame, crs_metric=crs_metric, snap_tolerance_m=0.0, split_crossings=False,
                              source_zh=f"OpenStreetMap 路网 ({path.name})", notes=tuple(notes))


def read_road_lines(path: str | Path, *, crs_metric: Any, snap_tolerance_m: float = settings.line_snap_tolerance_m,
                    split_crossings: bool = True, layer: str | None = None) -> RoadNetwork:
    """Read a road centre-line layer and node it (see :mod:`svcov.network.lines`).

    A ``highway`` or ``fclass`` column (OSM, Geofabrik shapefiles) is used to leave out roads pedestrians may not use.

    Raises
    ------
    NetworkError
        If the file cannot be read, has no CRS, or has no line features.
    """
    from ..data.readers import read_vector
    from ..errors import InputError

    path = Path(path)
    try:
        frame = read_vector(path, layer=layer)
    except InputError as exc:
        raise NetworkError(str(exc)) from exc
    kinds = set(frame.geometry.geom_type.dropna())
    if not kinds & {"LineString", "MultiLineString"}:
        raise NetworkError(f"{path.name} 不是线图层 (几何类型: {', '.join(sorted(kinds)) or '无'}); 道路中心线应为线 "
                           f"(the road layer must contain lines)")
    frame = frame[frame.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    notes = []
    kind_column = next((c for c in ("highway", "fclass") if c in frame.columns), None)
    if kind_column:
        walk = np.array([is_walkable({"highway": h, "name": n}) for h, n in
                         zip(frame[kind_column], frame.get("name", pd.Series(None, index=frame.index)))])
        if (~walk).any():
            notes.append(f"按「{kind_column}」列排除 {int((~walk).sum()):,} 条不可步行的道路 (高速公路、自行车道等)")
        frame = frame[walk]
    return network_from_lines(frame, crs_metric=crs_metric, snap_tolerance_m=snap_tolerance_m,
                              split_crossings=split_crossings, source_zh=f"道路中心线 ({path.name})",
                              notes=tuple(notes))


def _download_key(boundary_wgs84: Any, place: str | None) -> str:
    raw = shapely.to_wkb(shapely.set_precision(boundary_wgs84, 1e-6)) if boundary_wgs84 is not None else \
        str(place).encode("utf-8")
    return hashlib.sha256(raw + b"|walk").hexdigest()[:12]


def download_osm_network(*, crs_metric: Any, cache_dir: str | Path, boundary: gpd.GeoDataFrame | None = None,
                         place: str | None = None) -> RoadNetwork:
    """The OSM walk network of the boundary (or a place), downloaded once with osmnx and cached as GraphML.

    The area is the union of the boundaries plus :data:`MARGIN_M` (walks may leave the district), or the place
    name geocoded by osmnx. The cached file is ``cache_dir/osm_walk_<key>.graphml`` (``key`` from the area), so
    the next run with the same area is offline; osmnx's own HTTP cache goes to ``cache_dir/osmnx_http``.

    Raises
    ------
    NetworkError
        If neither boundary nor place is given, or the download fails (e.g. no internet), with what to do instead.
    """
    import osmnx as ox

    if boundary is None and not place:
        raise NetworkError("下载路网需要街镇边界或地名 (network.place) (a boundary or a place name is needed)")
    area = None
    if boundary is not None:
        area = gpd.GeoSeries([boundary.to_crs(crs_metric).union_all().buffer(MARGIN_M)], crs=crs_metric) \
            .to_crs(settings.wgs84).iloc[0]
    cache_dir = Path(cache_dir)
    cached = cache_dir / f"osm_walk_{_download_key(area, place)}.graphml"
    label = f"OpenStreetMap 步行路网 (osmnx 下载, 缓存 {cached.name})"
    if cached.is_file():
        log.info("road network: using the cached download %s", cached)
        return _osm_network(ox.load_graphml(cached), crs_metric=crs_metric, source_zh=label)
    graph = _download(ox, area, place, cache_dir)
    with atomic_path(cached) as tmp:
        ox.save_graphml(graph, tmp)
    log.info("road network: downloaded %d nodes, cached in %s", len(graph), cached)
    return _osm_network(graph, crs_metric=crs_metric, source_zh=label)


def _download(ox, area, place: str | None, cache_dir: Path) -> nx.MultiDiGraph:
    before_tags = _with_osm_tags()
    before_cache = ox.settings.cache_folder
    ox.settings.cache_folder = str(cache_dir / "osmnx_http")
    try:
        if area is not None:
            return ox.graph_from_polygon(area, network_type="walk", retain_all=True)
        return ox.graph_from_place(place, network_type="walk", retain_all=True)
    except Exception as exc:  # requests' ConnectionError, osmnx's InsufficientResponseError, ...
        raise NetworkError(
            f"无法下载 OpenStreetMap 路网 ({type(exc).__name__}: {exc})。如果这台电脑不能上网: 在能上网的电脑上运行一次 "
            f"(路网会缓存在 {cache_dir}), 把缓存文件复制过来; 或在配置中把 network.source 设为已有的路网文件 "
            f"(.osm/.osm.pbf/.graphml/道路中心线), 或设为 none 使用直线距离估算。"
            f" (cannot download the OSM network; run once with internet and copy the cache, or give a network file)"
        ) from exc
    finally:
        ox.settings.useful_tags_way = before_tags
        ox.settings.cache_folder = before_cache
