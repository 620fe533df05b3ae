"""街镇 (sub-district) boundaries: load, validate, project, and assign points to them.

The boundary frame handed to later stages has one row per 街镇: ``jiezhen_code`` (str), ``name``,
``area_km2`` and a polygon geometry in a metric CRS.

Units that overlap or lie inside one another (the bundled 217-街镇 file has 东明路街道 inside 三林镇) are found on
loading (:func:`boundary_overlaps`): by default they are an error listing every pair with its km²; with
``boundaries.overlaps: resolve`` the overlap is taken out of the larger unit and each resolution is listed. Slivers
smaller than ``overlap_min_share`` of the smaller unit (simplified outlines) are counted in one note.
"""

from __future__ import annotations

import difflib
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

__all__ = ["load_boundaries", "metric_crs", "assign_jiezhen", "boundary_overlaps", "resolve_overlaps",
           "BOUNDARY_ALIASES", "OVERLAP_COLUMNS"]

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
    out, notes = _check_overlaps(out, source, p)
    out["area_km2"] = out.geometry.area / 1e6
    log.info("loaded %d 街镇 from %s (CRS %s)", len(out), path, out.crs.to_string())
    out = out[["jiezhen_code", "name", "area_km2", "geometry"]]
    out.attrs["problems"] = [w for w in p.problems if w.severity != "error"]
    out.attrs["notes"] = notes
    return out


def _apply_filter(frame: gpd.GeoDataFrame, source: BoundarySource, p: ProblemList) -> gpd.GeoDataFrame:
    for column, value in source.filter.items():
        if column not in frame.columns:
            columns = ", ".join(str(c) for c in frame.columns if c != "geometry")
            p.add(f"筛选列「{column}」不在文件中。文件的列: {columns}。", f"filter column {column!r} is not in the file; "
                  f"its columns: {columns}", column=column)
            p.raise_if_errors()
        kept = frame[frame[column].astype(str) == value]
        if kept.empty:
            present = sorted(set(frame[column].dropna().astype(str)))
            close = difflib.get_close_matches(value, present, n=1, cutoff=0.3)
            hint_zh = f"是不是「{close[0]}」? " if close else ""
            shown = "、".join(present[:40]) + (f" 等 {len(present)} 个" if len(present) > 40 else "")
            p.add(f"boundaries.filter: 列「{column}」中没有「{value}」。{hint_zh}该列的值有: {shown}。",
                  f"boundaries.filter: no feature has {column} = {value!r}. "
                  f"{'Did you mean ' + repr(close[0]) + '? ' if close else ''}"
                  f"Values present: {', '.join(present[:40])}",
                  column=column, value=value)
            p.raise_if_errors()
        frame = kept
    return frame


#: Columns of :func:`boundary_overlaps`.
OVERLAP_COLUMNS = ["jiezhen_code_a", "name_a", "jiezhen_code_b", "name_b", "overlap_km2", "share_of_smaller",
                   "contained", "larger_code"]


def boundary_overlaps(boundaries: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every pair of units whose areas overlap, largest overlap first.

    Returns
    -------
    DataFrame
        :data:`OVERLAP_COLUMNS`: the two units (``a`` is the smaller), the overlap in km², its share of the smaller
        unit (0-1), ``contained`` (the smaller lies (almost) wholly inside the larger: share ≥ 0.99) and the code of
        the larger unit.
    """
    geoms = boundaries.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    areas = shapely.area(geoms)
    rows = []
    for i, j, a in zip(left, right, area):
        if a <= 0:
            continue
        small, large = (i, j) if areas[i] <= areas[j] else (j, i)
        share = float(a / areas[small]) if areas[small] > 0 else 0.0
        rows.append({"jiezhen_code_a": boundaries["jiezhen_code"].iloc[small],
                     "name_a": boundaries["name"].iloc[small],
                     "jiezhen_code_b": boundaries["jiezhen_code"].iloc[large], "name_b": boundaries["name"].iloc[large],
                     "overlap_km2": float(a) / 1e6, "share_of_smaller": share, "contained": share >= 0.99,
                     "larger_code": boundaries["jiezhen_code"].iloc[large]})
    out = pd.DataFrame(rows, columns=OVERLAP_COLUMNS)
    return out.sort_values("overlap_km2", ascending=False, kind="stable").reset_index(drop=True)


def resolve_overlaps(boundaries: gpd.GeoDataFrame, pairs: pd.DataFrame) -> gpd.GeoDataFrame:
    """Take each overlap out of the larger unit of its pair (a unit inside another becomes a hole in it)."""
    out = boundaries.copy()
    by_code = {c: i for i, c in enumerate(out["jiezhen_code"])}
    geoms = out.geometry.to_numpy().copy()
    for _, r in pairs.iterrows():
        small, large = by_code[r["jiezhen_code_a"]], by_code[r["jiezhen_code_b"]]
        cut = shapely.make_valid(shapely.difference(geoms[large], geoms[small]))
        polygons = [g for g in getattr(cut, "geoms", [cut]) if g.geom_type in ("Polygon", "MultiPolygon")]
        geoms[large] = shapely.union_all(polygons) if polygons else cut
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


def _unit_zh(name: str, code: str) -> str:
    return name if str(code) == str(name) else f"{name} ({code})"


def _pair_zh(r: pd.Series) -> str:
    how, tail = ("位于", "之内") if r["contained"] else ("与", "重叠")
    return (f"{_unit_zh(r['name_a'], r['jiezhen_code_a'])} {how} {_unit_zh(r['name_b'], r['jiezhen_code_b'])} {tail}: "
            f"{r['overlap_km2']:.2f} 平方公里, 占{r['name_a']}面积的 {r['share_of_smaller']:.0%}")


def _check_overlaps(out: gpd.GeoDataFrame, source: BoundarySource, p: ProblemList):
    pairs = boundary_overlaps(out)
    significant = pairs["contained"] | ((pairs["share_of_smaller"] >= source.overlap_min_share)
                                        & (pairs["overlap_km2"] >= source.overlap_min_km2))
    big, small = pairs[significant], pairs[~significant]
    notes = []
    if len(small):
        notes.append(f"街镇边界有 {len(small)} 处细小重叠 (合计 {small['overlap_km2'].sum():.2f} 平方公里; 每处不到较小街镇"
                     f"面积的 {source.overlap_min_share:.0%} 或不到 {source.overlap_min_km2:g} 平方公里), 来自简化的边界线; "
                     f"落在重叠处的点归入代码较小的街镇。")
    if big.empty:
        return out, notes
    if source.overlaps == "error":
        for _, r in big.iterrows():
            p.add(f"街镇重叠: {_pair_zh(r)}。重叠处的人口和设施会被算两次或算错街镇。请在 QGIS 中修正边界, 或在配置中写 "
                  f"boundaries.overlaps: resolve (从较大的街镇中去掉重叠部分, 每处都会列出)。",
                  f"units overlap: {r['jiezhen_code_a']} and {r['jiezhen_code_b']} share {r['overlap_km2']:.2f} km² "
                  f"({r['share_of_smaller']:.0%} of the smaller); fix the boundaries or set boundaries.overlaps: "
                  f"resolve", column="geometry", value=f"{r['name_a']} / {r['name_b']}")
        p.raise_if_errors()
    resolved = resolve_overlaps(out, big)
    for _, r in big.iterrows():
        p.warn(f"已处理街镇重叠 (boundaries.overlaps: resolve): {_pair_zh(r)}; 重叠部分从{r['name_b']}中去掉。",
               f"overlap resolved: {r['overlap_km2']:.2f} km² taken out of {r['jiezhen_code_b']} (the larger unit)",
               column="geometry", value=f"{r['name_a']} / {r['name_b']}")
        notes.append(f"街镇边界重叠已处理: {_pair_zh(r)}; 重叠部分从{r['name_b']}中去掉。")
    return resolved, notes


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
