"""街镇 (sub-district) boundaries: load, validate, project, and assign points to them.

The boundary frame handed to later stages has one row per 街镇: ``jiezhen_code`` (str), ``name``,
``area_km2`` and a polygon geometry in a metric CRS.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..config import BoundarySource
from ..config.fields import metric_crs_problem
from ..errors import ConfigError, ProblemList, single_problem
from .readers import read_vector
from .validation import check_unique, excel_row, resolve_columns

__all__ = ["load_boundaries", "metric_crs", "assign_jiezhen", "BOUNDARY_ALIASES"]

log = logging.getLogger(__name__)

BOUNDARY_ALIASES = {
    "code": ("jiezhen_code", "code", "代码", "街镇代码", "区划代码", "行政区划代码", "adcode"),
    "name": ("name", "名称", "街镇", "街镇名称", "街道", "乡镇"),
}


def metric_crs(boundaries_wgs84: gpd.GeoDataFrame, crs_metric: str = "auto"):
    """The metric CRS of a run: the given one, or the UTM zone of the boundaries (EPSG:32651 for Shanghai).

    Raises
    ------
    ConfigError
        If ``crs_metric`` is not ``auto`` or a projected CRS in metres that keeps distances.
    """
    if crs_metric and crs_metric != "auto":
        problem = metric_crs_problem(crs_metric)
        if problem:
            raise single_problem(ConfigError, "crs_metric", f"crs_metric: {problem[0]}", f"crs_metric: {problem[1]}",
                                 value=crs_metric)
        return crs_metric
    return boundaries_wgs84.to_crs(settings.wgs84).estimate_utm_crs()


def load_boundaries(source: BoundarySource | str | Path, *, crs_metric: str = "auto") -> gpd.GeoDataFrame:
    """Load and validate 街镇 boundaries.

    Parameters
    ----------
    source
        A :class:`~svcov.config.BoundarySource`, or a path (columns ``code`` and ``name`` or their Chinese
        equivalents).
    crs_metric
        Metric CRS to project to (``"auto"``: the UTM zone).

    Returns
    -------
    GeoDataFrame
        ``jiezhen_code``, ``name``, ``area_km2``, geometry (Polygon/MultiPolygon) in the metric CRS.

    Raises
    ------
    InputError
        Listing every problem: no features, no CRS, missing columns, non-polygons, invalid or empty geometries,
        repeated codes.
    """
    if not isinstance(source, BoundarySource):
        source = BoundarySource(path=Path(source), label_zh=Path(source).name)
    path = source.path
    frame = read_vector(path)
    p = ProblemList(str(path), row_base=1)
    frame = _apply_filter(frame, source, p)
    explicit = {}
    if source.code_column:
        explicit["code"] = source.code_column
    explicit["name"] = source.name_column
    explicit = {k: v for k, v in explicit.items() if v in frame.columns}
    cols = resolve_columns(frame.columns, BOUNDARY_ALIASES, p, required=("name",), explicit=explicit)
    p.raise_if_errors()
    names = frame[cols["name"]].astype("string").str.strip()
    for idx in names[names.isna() | (names == "")].index:
        p.add("街镇名称为空。", "empty 街镇 name", row=excel_row(idx, p), column=cols["name"])
    codes = frame[cols["code"]].astype("string").str.strip() if "code" in cols else names
    check_unique(codes, cols.get("code", cols["name"]), p)
    _check_polygons(frame, p)
    p.raise_if_errors()
    out = gpd.GeoDataFrame({"jiezhen_code": codes.astype(str).to_numpy(), "name": names.astype(str).to_numpy()},
                           geometry=frame.geometry.to_numpy(), crs=frame.crs)
    out = out.to_crs(metric_crs(out, crs_metric))
    out["area_km2"] = out.geometry.area / 1e6
    log.info("loaded %d 街镇 from %s (CRS %s)", len(out), path, out.crs.to_string())
    return out[["jiezhen_code", "name", "area_km2", "geometry"]]


def _apply_filter(frame: gpd.GeoDataFrame, source: BoundarySource, p: ProblemList) -> gpd.GeoDataFrame:
    for column, value in source.filter.items():
        if column not in frame.columns:
            p.add(f"筛选列「{column}」不在文件中。", f"filter column {column!r} is not in the file", column=column)
            p.raise_if_errors()
        frame = frame[frame[column].astype(str) == value]
    if frame.empty:
        p.add(f"按 {dict(source.filter)} 筛选后没有街镇。", f"no 街镇 left after filtering by {dict(source.filter)}")
        p.raise_if_errors()
    return frame


def _check_polygons(frame: gpd.GeoDataFrame, p: ProblemList) -> None:
    geoms = frame.geometry
    for idx, geom in geoms.items():
        row = excel_row(idx, p)
        if geom is None or geom.is_empty:
            p.add("几何为空。", "empty geometry", row=row, column="geometry")
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            p.add(f"几何类型为 {geom.geom_type}, 应为面 (Polygon)。", f"geometry is {geom.geom_type}, must be a polygon",
                  row=row, column="geometry")
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            p.add(f"几何无效 ({reason})。请在 QGIS 中运行「修复几何图形」(Fix geometries) 后再用。",
                  f"invalid geometry ({reason}); run 'Fix geometries' in QGIS", row=row, column="geometry")


def assign_jiezhen(points: gpd.GeoSeries, boundaries: gpd.GeoDataFrame, *,
                   tolerance_m: float = settings.boundary_tolerance_m) -> pd.DataFrame:
    """Which 街镇 each point falls in.

    A point inside two overlapping 街镇 goes to the first by ``jiezhen_code``; a point outside all of them but
    within ``tolerance_m`` goes to the nearest (``how == "nearest"``); farther points get no 街镇
    (``how == "outside"``).

    Parameters
    ----------
    points
        Points in the boundaries' CRS.
    boundaries
        Output of :func:`load_boundaries`.
    tolerance_m
        Snap distance for points just outside (OSM boundaries here are simplified by ~60 m).

    Returns
    -------
    DataFrame
        Same index as ``points``: ``jiezhen_code``, ``jiezhen_name``, ``how`` (inside/nearest/outside),
        ``distance_m`` (0 inside).
    """
    order = boundaries.sort_values("jiezhen_code").reset_index(drop=True)
    tree = shapely.STRtree(order.geometry.to_numpy())
    geoms = points.to_numpy()
    pt_idx, poly_idx = tree.query(geoms, predicate="intersects")
    first = pd.Series(poly_idx).groupby(pt_idx).min()
    n = len(points)
    chosen = np.full(n, -1)
    chosen[first.index.to_numpy()] = first.to_numpy()
    how = np.where(chosen >= 0, "inside", "outside").astype(object)
    dist = np.zeros(n)
    missing = np.flatnonzero((chosen < 0) & ~shapely.is_empty(geoms) & ~pd.isna(geoms))
    if missing.size:
        near_pt, near_poly = tree.query_nearest(geoms[missing], return_distance=False, all_matches=False)
        d = shapely.distance(geoms[missing][near_pt], order.geometry.to_numpy()[near_poly])
        ok = d <= tolerance_m
        chosen[missing[near_pt[ok]]] = near_poly[ok]
        how[missing[near_pt[ok]]] = "nearest"
        dist[missing[near_pt]] = d
    codes = np.where(chosen >= 0, order["jiezhen_code"].to_numpy()[np.maximum(chosen, 0)], None)
    names = np.where(chosen >= 0, order["name"].to_numpy()[np.maximum(chosen, 0)], None)
    return pd.DataFrame({"jiezhen_code": codes, "jiezhen_name": names, "how": how, "distance_m": dist},
                        index=points.index)
