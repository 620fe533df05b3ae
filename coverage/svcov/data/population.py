"""Demand: where the people the service is for live, one column per configured population group.

Either the user's own population data (a GeoTIFF raster, a vector grid, or a CSV of points with counts), or, by
default, an **estimated** surface: district totals (from the census) spread over a regular grid, part in
proportion to a Gaussian kernel around residential compounds, the rest evenly over land. The estimate is labelled
``is_estimate = True`` and every output that shows it says so.

The groups (``population.groups`` of the configuration, :class:`~svcov.config.DemandGroup`) say which counts the
demand carries: e.g. ``children_0_3`` (0-3 岁儿童) and ``residents`` (常住人口) for childcare, ``elderly_60``
(60 岁及以上老人) for elderly care. Each is read from its column (``column`` or one of its ``aliases``; headers
are matched as everywhere, ignoring case, width and spaces), or derived as ``share`` × another group (an estimate).

The demand frame handed on has one row per cell or point: ``cell_id``, one column per group key,
``jiezhen_code``, ``jiezhen_name``, ``is_estimate``, ``cell_size_m`` (NaN for points) and a Point geometry (the
cell centre) in the boundaries' metric CRS (:func:`demand_columns`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..config import DemandGroup, PopulationEstimate, PopulationSource
from ..config.population import DEFAULT_GROUPS
from ..errors import InputError, Problem, ProblemList
from .boundaries import assign_jiezhen
from .coords import to_wgs84
from .readers import read_table, read_vector
from .validation import excel_row, parse_numbers, resolve_columns

__all__ = ["load_population", "estimate_population_surface", "grid_points", "load_population_raster",
           "load_population_vector", "load_population_points", "cell_squares", "demand_columns", "group_keys",
           "DEMAND_BASE_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of the demand frame besides one per population group (which come after ``cell_id``).
DEMAND_BASE_COLUMNS = ["cell_id", "jiezhen_code", "jiezhen_name", "is_estimate", "cell_size_m", "geometry"]

_COORD_ALIASES = {"longitude": ("lon", "lng", "x", "经度"), "latitude": ("lat", "y", "纬度")}


def group_keys(groups: Sequence[DemandGroup]) -> list[str]:
    return [g.key for g in groups]


def demand_columns(groups: Sequence[DemandGroup]) -> list[str]:
    """The demand frame's columns for these groups: ``cell_id``, the group keys, then the rest."""
    return ["cell_id", *group_keys(groups), *DEMAND_BASE_COLUMNS[1:]]


def load_population(source: PopulationSource, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Build the demand frame from the configured source (see :class:`~svcov.config.PopulationSource`)."""
    if source.kind == "estimate":
        return estimate_population_surface(boundaries, source.estimate, source.groups)
    if source.kind == "raster":
        return load_population_raster(source.path, boundaries, groups=source.groups, band=source.band,
                                      band_group=source.band_group, is_estimate=source.is_estimate)
    if source.kind == "vector":
        return load_population_vector(source.path, boundaries, groups=source.groups, is_estimate=source.is_estimate)
    return load_population_points(source.path, boundaries, groups=source.groups, coord_system=source.coord_system,
                                  is_estimate=source.is_estimate)


def grid_points(boundaries: gpd.GeoDataFrame, cell_size_m: float) -> gpd.GeoDataFrame:
    """Centres of a square grid over the boundaries, keeping those inside a 街镇.

    Returns
    -------
    GeoDataFrame
        ``cell_id`` (``"r{row}c{col}"``), ``jiezhen_code``, ``jiezhen_name``, Point geometry (boundaries' CRS).
    """
    xmin, ymin, xmax, ymax = boundaries.total_bounds
    xs = np.arange(np.floor(xmin / cell_size_m) * cell_size_m + cell_size_m / 2, xmax, cell_size_m)
    ys = np.arange(np.floor(ymin / cell_size_m) * cell_size_m + cell_size_m / 2, ymax, cell_size_m)
    gx, gy = np.meshgrid(xs, ys)
    rows, cols = np.meshgrid(np.arange(len(ys)), np.arange(len(xs)), indexing="ij")
    points = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=boundaries.crs)
    where = assign_jiezhen(points, boundaries, tolerance_m=0.0)
    inside = (where["how"] == "inside").to_numpy()
    ids = np.char.add(np.char.add("r", rows.ravel().astype(str)), np.char.add("c", cols.ravel().astype(str)))
    return gpd.GeoDataFrame({"cell_id": ids[inside], "jiezhen_code": where["jiezhen_code"].to_numpy()[inside],
                             "jiezhen_name": where["jiezhen_name"].to_numpy()[inside]},
                            geometry=points.to_numpy()[inside], crs=boundaries.crs)


def estimate_population_surface(boundaries: gpd.GeoDataFrame, estimate: PopulationEstimate,
                                groups: Sequence[DemandGroup]) -> gpd.GeoDataFrame:
    """Spread district totals over a grid: an **estimate**, labelled as such.

    Weight of cell *i* = ``compound_share`` × K_i / ΣK + (1 − ``compound_share``) / n, where K_i is the sum of
    Gaussian kernels (σ = ``kernel_sigma_m``) of the residential compounds at the cell centre and n the number of
    cells. Each group's column is its ``total`` times the weights (so it sums to the total), or ``share`` × the
    column of the group it is a share of.

    Parameters
    ----------
    boundaries
        Output of :func:`~svcov.data.boundaries.load_boundaries`.
    estimate
        Compound file and parameters.
    groups
        The configured groups (each with ``total``, or ``share_of`` and ``share``).

    Returns
    -------
    GeoDataFrame
        :func:`demand_columns`, ``is_estimate`` True.
    """
    cells = grid_points(boundaries, estimate.cell_size_m)
    n = len(cells)
    uniform = np.full(n, 1.0 / n)
    share = estimate.compound_share
    compounds = _compound_points(estimate, boundaries) if estimate.compounds else None
    if compounds is None or len(compounds) == 0:
        weights, share = uniform, 0.0
    else:
        kernel = _kernel_sum(cells.geometry, compounds, estimate.kernel_sigma_m)
        weights = share * kernel / kernel.sum() + (1 - share) * uniform
    direct = {g.key: float(g.total or 0.0) * weights for g in groups if g.share_of is None}
    out = cells.assign(**_with_derived(direct, groups), is_estimate=True, cell_size_m=float(estimate.cell_size_m))
    log.info("estimated population surface: %d cells of %.0f m, %s (%.0f%% near %d residential compounds)", n,
             estimate.cell_size_m, ", ".join(f"{out[g.key].sum():,.0f} {g.name_zh}" for g in groups), share * 100,
             0 if compounds is None else len(compounds))
    return out[demand_columns(groups)]


def _with_derived(direct: dict[str, np.ndarray], groups: Sequence[DemandGroup]) -> dict[str, np.ndarray]:
    """Every group's counts: the direct ones, and ``share`` × the base group for the derived ones."""
    return {g.key: direct[g.key] if g.share_of is None else direct[g.share_of] * float(g.share) for g in groups}


def _compound_points(estimate: PopulationEstimate, boundaries: gpd.GeoDataFrame) -> gpd.GeoSeries:
    frame = read_vector(estimate.compounds)
    for column, value in estimate.compounds_filter.items():
        if column not in frame.columns:
            raise InputError(estimate.compounds, [Problem(str(estimate.compounds),
                                                          f"筛选列「{column}」不在文件中。",
                                                          f"filter column {column!r} is not in the file",
                                                          column=column)])
        frame = frame[frame[column].astype(str) == value]
    return frame.geometry.representative_point().to_crs(boundaries.crs)


def _kernel_sum(cells: gpd.GeoSeries, compounds: gpd.GeoSeries, sigma_m: float) -> np.ndarray:
    from scipy.spatial import cKDTree

    cxy = np.c_[cells.x.to_numpy(), cells.y.to_numpy()]
    pxy = np.c_[compounds.x.to_numpy(), compounds.y.to_numpy()]
    tree = cKDTree(cxy)
    total = np.zeros(len(cxy))
    for i, neighbours in enumerate(tree.query_ball_point(pxy, r=4 * sigma_m)):
        if neighbours:
            d2 = ((cxy[neighbours] - pxy[i]) ** 2).sum(axis=1)
            total[neighbours] += np.exp(-d2 / (2 * sigma_m ** 2))
    if total.sum() == 0:
        total[:] = 1.0
    return total


def _finish(points: gpd.GeoSeries, counts: dict[str, np.ndarray], ids: list[str], boundaries: gpd.GeoDataFrame,
            is_estimate: bool, cell_size_m: float, path: Path, p: ProblemList,
            groups: Sequence[DemandGroup]) -> gpd.GeoDataFrame:
    points = points.to_crs(boundaries.crs)
    # points in the slivers between neighbouring 街镇 (or just outside the simplified outline) go to the nearest
    where = assign_jiezhen(points, boundaries, tolerance_m=settings.boundary_tolerance_m)
    inside = (where["how"] != "outside").to_numpy()
    if not inside.any():
        bx = boundaries.to_crs(settings.wgs84).total_bounds.round(3)
        px = points.to_crs(settings.wgs84).total_bounds.round(3)
        p.add(f"人口数据与街镇边界没有重叠 (人口范围 {list(px)}, 边界范围 {list(bx)})。请检查坐标系或文件是否对应本区。",
              f"the population data do not overlap the boundary (data bounds {list(px)}, boundary bounds "
              f"{list(bx)}); check the CRS or that the file covers this district")
    p.raise_if_errors()
    dropped = int((~inside).sum())
    if dropped:
        log.info("%s: %d of %d cells/points fall outside every 街镇 and are left out", path, dropped, len(inside))
    columns = {"cell_id": np.asarray(ids)[inside], **{k: np.asarray(v)[inside] for k, v in counts.items()},
               "jiezhen_code": where["jiezhen_code"].to_numpy()[inside],
               "jiezhen_name": where["jiezhen_name"].to_numpy()[inside], "is_estimate": is_estimate,
               "cell_size_m": cell_size_m}
    out = gpd.GeoDataFrame(columns, geometry=points.to_numpy()[inside], crs=boundaries.crs)
    return out[demand_columns(groups)]


def load_population_raster(path: str | Path, boundaries: gpd.GeoDataFrame, *,
                           groups: Sequence[DemandGroup] = DEFAULT_GROUPS, band: int = 1, band_group: str | None = None,
                           is_estimate: bool = False) -> gpd.GeoDataFrame:
    """Population from a GeoTIFF: one demand point per pixel with a positive count.

    Parameters
    ----------
    groups
        The configured groups: the band counts ``band_group`` (default: the only group not derived from another);
        every other group must be ``share_of`` it.
    band
        The band to read (1 = the first).

    Raises
    ------
    InputError
        Unreadable file, no CRS, negative counts, groups the band cannot give, or no overlap with the boundaries.
    """
    import rasterio

    path = Path(path)
    p = ProblemList(str(path))
    if not path.is_file():
        p.add("找不到文件。", "file not found")
        p.raise_if_errors()
    base = _raster_group(groups, band_group, p)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                p.add("栅格没有坐标系。请在 QGIS 中指定坐标系后另存。", "the raster has no CRS; assign one in QGIS and save again")
                p.raise_if_errors()
            values = src.read(band, masked=True).astype("float64").filled(np.nan)
            transform, crs, res = src.transform, src.crs, abs(src.res[0])
    except rasterio.errors.RasterioIOError as exc:
        p.add(f"无法读取栅格: {exc}", f"cannot read the raster: {exc}")
        p.raise_if_errors()
    negative = np.argwhere(values < 0)
    for r, c in negative[:20]:
        p.add("栅格中有负的人口值。", "negative population value in the raster", row=int(r) + 1, column=f"col {c + 1}",
              value=float(values[r, c]))
    rows, cols = np.nonzero(np.nan_to_num(values) > 0)
    xs, ys = rasterio.transform.xy(transform, rows, cols)
    points = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=crs)
    counts = _with_derived({base: values[rows, cols]}, groups)
    ids = [f"r{r}c{c}" for r, c in zip(rows, cols)]
    size_m = res if crs.is_projected else np.nan
    derived = any(g.share_of is not None for g in groups)
    return _finish(points, counts, ids, boundaries, is_estimate or derived, size_m, path, p, groups)


def _raster_group(groups: Sequence[DemandGroup], band_group: str | None, p: ProblemList) -> str:
    direct = [g.key for g in groups if g.share_of is None]
    base = band_group or (direct[0] if len(direct) == 1 else None)
    others = [g.key for g in groups if g.share_of is None and g.key != base]
    if base is None or base not in direct or others:
        names = "、".join(g.name_zh for g in groups if g.key in others) or "、".join(g.name_zh for g in groups)
        p.add(f"栅格只有一个数值, 只能直接给出一个人群 (band_group); 其余人群 ({names}) 请在配置中用 share_of + share "
              f"按比例推算。", "a raster band counts one group (band_group); derive the other groups with share_of and "
              "share in the config", column="band_group", value=band_group)
        p.raise_if_errors()
    return base


def _group_aliases(groups: Sequence[DemandGroup]) -> dict[str, tuple[str, ...]]:
    """Accepted headers of each group that is read from a column (its key, Chinese name and aliases)."""
    return {g.key: (g.name_zh, g.name_zh.replace(" ", ""), *g.aliases) for g in groups if g.share_of is None}


def _counts_from_columns(frame: pd.DataFrame, cols: dict, groups: Sequence[DemandGroup], p: ProblemList):
    direct = {}
    for g in groups:
        if g.share_of is not None:
            continue
        if g.key not in cols:
            accepted = "、".join(dict.fromkeys((g.column or g.name_zh, g.key, *g.aliases)))
            p.add(f"缺少「{g.name_zh}」的人数列 (可用的列名: {accepted})。请添加该列, 在配置 population.groups 中用 column "
                  f"指定表头, 或用 share_of + share 从另一组推算。文件的列: {', '.join(map(str, frame.columns))}。",
                  f"missing the count column of group {g.key!r} ({g.name_en}); add it, name its header with "
                  f"population.groups[].column, or derive it with share_of and share", column=g.column or g.name_zh)
            continue
        c = cols[g.key]
        direct[g.key] = parse_numbers(frame[c], c, p, lo=0, what_zh=f"{g.name_zh}人数").fillna(0).to_numpy()
    p.raise_if_errors()
    return _with_derived(direct, groups)


def _explicit(groups: Sequence[DemandGroup]) -> dict[str, str]:
    return {g.key: g.column for g in groups if g.column and g.share_of is None}


def load_population_vector(path: str | Path, boundaries: gpd.GeoDataFrame, *,
                           groups: Sequence[DemandGroup] = DEFAULT_GROUPS,
                           is_estimate: bool = False) -> gpd.GeoDataFrame:
    """Population from a vector grid (polygons or points with count columns); polygons are taken at their centre."""
    path = Path(path)
    frame = read_vector(path)
    p = ProblemList(str(path), row_base=1)
    cols = resolve_columns([c for c in frame.columns if c != "geometry"], _group_aliases(groups), p,
                           explicit=_explicit(groups))
    counts = _counts_from_columns(frame, cols, groups, p)
    empty = frame.geometry.isna() | frame.geometry.is_empty
    for idx in frame.index[empty]:
        p.add("几何为空。", "empty geometry", row=excel_row(idx, p), column="geometry")
    p.raise_if_errors()
    points = frame.geometry.representative_point()
    areas = frame.to_crs(boundaries.crs).geometry.area.to_numpy()
    size = float(np.sqrt(np.median(areas))) if (frame.geometry.geom_type.str.contains("Polygon")).all() else np.nan
    ids = [str(i) for i in frame.index]
    derived = any(g.share_of is not None for g in groups)
    return _finish(points, counts, ids, boundaries, is_estimate or derived, size, path, p, groups)


def load_population_points(path: str | Path, boundaries: gpd.GeoDataFrame, *,
                           groups: Sequence[DemandGroup] = DEFAULT_GROUPS, is_estimate: bool = False,
                           coord_system: str = "wgs84") -> gpd.GeoDataFrame:
    """Population from a CSV/XLSX of points (longitude, latitude, one count column per group)."""
    path = Path(path)
    frame, _ = read_table(path)
    p = ProblemList(str(path))
    p.problems.extend(frame.attrs.get("problems", ()))  # how the file was read (merged cells, formulas, ...)
    cols = resolve_columns(frame.columns, {**_group_aliases(groups), **_COORD_ALIASES}, p,
                           required=("longitude", "latitude"), explicit=_explicit(groups))
    p.raise_if_errors()
    counts = _counts_from_columns(frame, cols, groups, p)
    lon = parse_numbers(frame[cols["longitude"]], cols["longitude"], p, lo=-180, hi=180, what_zh="经度")
    lat = parse_numbers(frame[cols["latitude"]], cols["latitude"], p, lo=-90, hi=90, what_zh="纬度")
    for idx in frame.index[(lon.isna() | lat.isna()).to_numpy()]:
        if frame.at[idx, cols["longitude"]] is None or frame.at[idx, cols["latitude"]] is None:
            p.add("缺少经纬度。", "missing longitude/latitude", row=excel_row(idx, p), column=cols["longitude"])
    p.raise_if_errors()
    wlon, wlat = to_wgs84(lon.to_numpy(), lat.to_numpy(), coord_system)
    points = gpd.GeoSeries(gpd.points_from_xy(wlon, wlat), crs=settings.wgs84)
    ids = [f"row{excel_row(i, p)}" for i in frame.index]
    derived = any(g.share_of is not None for g in groups)
    return _finish(points, counts, ids, boundaries, is_estimate or derived, np.nan, path, p, groups)
def cell_squares(demand: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Square cells around demand points with a ``cell_size_m`` (for maps); other points stay points."""
    half = demand["cell_size_m"].to_numpy(dtype="float64") / 2
    x, y = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    boxes = shapely.box(x - half, y - half, x + half, y + half)
    geoms = np.where(np.isnan(half), demand.geometry.to_numpy(), boxes)
    return gpd.GeoSeries(geoms, index=demand.index, crs=demand.crs)
