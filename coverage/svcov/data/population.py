"""Demand: where the children (0-3) and residents are.

Either the user's own population data (a GeoTIFF raster, a vector grid, or a CSV of points with counts), or, by
default, an **estimated** surface: a district total (from the census) spread over a regular grid, part in
proportion to a Gaussian kernel around residential compounds, the rest evenly over land. The estimate is labelled
``is_estimate = True`` and every output that shows it says so.

The demand frame handed on has one row per cell or point: ``cell_id``, ``pop_0_3``, ``pop_total``,
``jiezhen_code``, ``jiezhen_name``, ``is_estimate``, ``cell_size_m`` (NaN for points) and a Point geometry
(the cell centre) in the boundaries' metric CRS.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..config import PopulationEstimate, PopulationSource
from ..errors import InputError, Problem, ProblemList
from .boundaries import assign_jiezhen
from .coords import to_wgs84
from .readers import read_table, read_vector
from .validation import excel_row, parse_numbers, resolve_columns

__all__ = ["load_population", "estimate_population_surface", "grid_points", "load_population_raster",
           "load_population_vector", "load_population_points", "cell_squares", "DEMAND_COLUMNS"]

log = logging.getLogger(__name__)

DEMAND_COLUMNS = ["cell_id", "pop_0_3", "pop_total", "jiezhen_code", "jiezhen_name", "is_estimate", "cell_size_m",
                  "geometry"]

POPULATION_ALIASES = {
    "pop_0_3": ("pop03", "0-3岁人口", "0至3岁人口", "婴幼儿人口", "婴幼儿数", "0-3岁", "children_0_3"),
    "pop_total": ("pop", "population", "人口", "常住人口", "总人口", "人口数"),
    "longitude": ("lon", "lng", "x", "经度"),
    "latitude": ("lat", "y", "纬度"),
}


def load_population(source: PopulationSource, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Build the demand frame from the configured source (see :class:`~svcov.config.PopulationSource`)."""
    if source.kind == "estimate":
        return estimate_population_surface(boundaries, source.estimate)
    kwargs = dict(pop_0_3_column=source.pop_0_3_column, pop_total_column=source.pop_total_column,
                  share_0_3=source.share_0_3, is_estimate=source.is_estimate)
    if source.kind == "raster":
        return load_population_raster(source.path, boundaries, band=source.band, band_value=source.band_value,
                                      share_0_3=source.share_0_3, is_estimate=source.is_estimate)
    if source.kind == "vector":
        return load_population_vector(source.path, boundaries, **kwargs)
    return load_population_points(source.path, boundaries, coord_system=source.coord_system, **kwargs)


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


def estimate_population_surface(boundaries: gpd.GeoDataFrame, estimate: PopulationEstimate) -> gpd.GeoDataFrame:
    """Spread a district total over a grid: an **estimate**, labelled as such.

    Weight of cell *i* = ``compound_share`` × K_i / ΣK + (1 − ``compound_share``) / n, where K_i is the sum of
    Gaussian kernels (σ = ``kernel_sigma_m``) of the residential compounds at the cell centre and n the number of
    cells. ``pop_0_3`` and ``pop_total`` are the district totals times the weights, so they sum to the totals.

    Parameters
    ----------
    boundaries
        Output of :func:`~svcov.data.boundaries.load_boundaries`.
    estimate
        Totals, compound file and parameters.

    Returns
    -------
    GeoDataFrame
        :data:`DEMAND_COLUMNS`, ``is_estimate`` True.
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
    out = cells.assign(pop_0_3=estimate.total_0_3 * weights, pop_total=estimate.total_pop * weights,
                       is_estimate=True, cell_size_m=float(estimate.cell_size_m))
    log.info("estimated population surface: %d cells of %.0f m, %.0f children 0-3, %.0f residents "
             "(%.0f%% near %d residential compounds)", n, estimate.cell_size_m, out["pop_0_3"].sum(),
             out["pop_total"].sum(), share * 100, 0 if compounds is None else len(compounds))
    return out[DEMAND_COLUMNS]


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


def _finish(points: gpd.GeoSeries, pop_0_3: np.ndarray, pop_total: np.ndarray, ids: list[str],
            boundaries: gpd.GeoDataFrame, is_estimate: bool, cell_size_m: float, path: Path,
            p: ProblemList) -> gpd.GeoDataFrame:
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
    out = gpd.GeoDataFrame({"cell_id": np.asarray(ids)[inside], "pop_0_3": pop_0_3[inside],
                            "pop_total": pop_total[inside], "jiezhen_code": where["jiezhen_code"].to_numpy()[inside],
                            "jiezhen_name": where["jiezhen_name"].to_numpy()[inside], "is_estimate": is_estimate,
                            "cell_size_m": cell_size_m}, geometry=points.to_numpy()[inside], crs=boundaries.crs)
    return out[DEMAND_COLUMNS]


def load_population_raster(path: str | Path, boundaries: gpd.GeoDataFrame, *, band: int = 1,
                           band_value: str = "pop_total", share_0_3: float | None = None,
                           is_estimate: bool = False) -> gpd.GeoDataFrame:
    """Population from a GeoTIFF: one demand point per pixel with a positive count.

    Parameters
    ----------
    band_value
        What the band counts: ``pop_total`` (residents; ``pop_0_3`` = value × ``share_0_3``) or ``pop_0_3``.

    Raises
    ------
    InputError
        Unreadable file, no CRS, negative counts, or no overlap with the boundaries.
    """
    import rasterio

    path = Path(path)
    p = ProblemList(str(path))
    if not path.is_file():
        p.add("找不到文件。", "file not found")
        p.raise_if_errors()
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
    counts = values[rows, cols]
    pop_0_3, pop_total = _split_counts(counts, band_value, share_0_3, p)
    ids = [f"r{r}c{c}" for r, c in zip(rows, cols)]
    size_m = res if crs.is_projected else np.nan
    return _finish(points, pop_0_3, pop_total, ids, boundaries, is_estimate or band_value != "pop_0_3", size_m,
                   path, p)


def _split_counts(counts: np.ndarray, band_value: str, share_0_3: float | None, p: ProblemList):
    if band_value == "pop_0_3":
        return counts, np.full(len(counts), np.nan)
    if share_0_3 is None:
        p.add("栅格给的是常住人口, 需要在配置中给出 share_0_3 (0-3 岁人口占比) 才能推算 0-3 岁人口。",
              "the raster counts residents; set share_0_3 in the config to derive children 0-3")
        p.raise_if_errors()
    return counts * share_0_3, counts


def _counts_from_columns(frame: pd.DataFrame, cols: dict, share_0_3: float | None, p: ProblemList):
    if "pop_0_3" not in cols and ("pop_total" not in cols or share_0_3 is None):
        p.add("缺少「0-3岁人口」列; 或者提供「常住人口」列并在配置中给出 share_0_3。",
              "missing a pop_0_3 column; or give pop_total and set share_0_3 in the config", column="pop_0_3")
        p.raise_if_errors()
    total = (parse_numbers(frame[cols["pop_total"]], cols["pop_total"], p, lo=0, what_zh="人口数")
             if "pop_total" in cols else pd.Series(np.nan, index=frame.index))
    kids = (parse_numbers(frame[cols["pop_0_3"]], cols["pop_0_3"], p, lo=0, what_zh="0-3岁人口数")
            if "pop_0_3" in cols else total * share_0_3)
    return kids.fillna(0).to_numpy(), total.to_numpy()


def load_population_vector(path: str | Path, boundaries: gpd.GeoDataFrame, *, pop_0_3_column: str | None = None,
                           pop_total_column: str | None = None, share_0_3: float | None = None,
                           is_estimate: bool = False) -> gpd.GeoDataFrame:
    """Population from a vector grid (polygons or points with count columns); polygons are taken at their centre."""
    path = Path(path)
    frame = read_vector(path)
    p = ProblemList(str(path), row_base=1)
    explicit = {k: v for k, v in (("pop_0_3", pop_0_3_column), ("pop_total", pop_total_column)) if v}
    cols = resolve_columns([c for c in frame.columns if c != "geometry"], POPULATION_ALIASES, p, explicit=explicit)
    kids, total = _counts_from_columns(frame, cols, share_0_3, p)
    empty = frame.geometry.isna() | frame.geometry.is_empty
    for idx in frame.index[empty]:
        p.add("几何为空。", "empty geometry", row=excel_row(idx, p), column="geometry")
    p.raise_if_errors()
    points = frame.geometry.representative_point()
    areas = frame.to_crs(boundaries.crs).geometry.area.to_numpy()
    size = float(np.sqrt(np.median(areas))) if (frame.geometry.geom_type.str.contains("Polygon")).all() else np.nan
    ids = [str(i) for i in frame.index]
    return _finish(points, kids, total, ids, boundaries, is_estimate or "pop_0_3" not in cols, size, path, p)


def load_population_points(path: str | Path, boundaries: gpd.GeoDataFrame, *, pop_0_3_column: str | None = None,
                           pop_total_column: str | None = None, share_0_3: float | None = None,
                           is_estimate: bool = False, coord_system: str = "wgs84") -> gpd.GeoDataFrame:
    """Population from a CSV/XLSX of points (longitude, latitude, counts)."""
    path = Path(path)
    frame, _ = read_table(path)
    p = ProblemList(str(path))
    p.problems.extend(frame.attrs.get("problems", ()))  # how the file was read (merged cells, formulas, ...)
    explicit = {k: v for k, v in (("pop_0_3", pop_0_3_column), ("pop_total", pop_total_column)) if v}
    cols = resolve_columns(frame.columns, POPULATION_ALIASES, p, required=("longitude", "latitude"), explicit=explicit)
    p.raise_if_errors()
    kids, total = _counts_from_columns(frame, cols, share_0_3, p)
    lon = parse_numbers(frame[cols["longitude"]], cols["longitude"], p, lo=-180, hi=180, what_zh="经度")
    lat = parse_numbers(frame[cols["latitude"]], cols["latitude"], p, lo=-90, hi=90, what_zh="纬度")
    for idx in frame.index[(lon.isna() | lat.isna()).to_numpy()]:
        if frame.at[idx, cols["longitude"]] is None or frame.at[idx, cols["latitude"]] is None:
            p.add("缺少经纬度。", "missing longitude/latitude", row=excel_row(idx, p), column=cols["longitude"])
    p.raise_if_errors()
    wlon, wlat = to_wgs84(lon.to_numpy(), lat.to_numpy(), coord_system)
    points = gpd.GeoSeries(gpd.points_from_xy(wlon, wlat), crs=settings.wgs84)
    ids = [f"row{excel_row(i, p)}" for i in frame.index]
    return _finish(points, kids, total, ids, boundaries, is_estimate or "pop_0_3" not in cols, np.nan, path, p)


def cell_squares(demand: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Square cells around demand points with a ``cell_size_m`` (for maps); other points stay points."""
    half = demand["cell_size_m"].to_numpy(dtype="float64") / 2
    x, y = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    boxes = shapely.box(x - half, y - half, x + half, y + half)
    geoms = np.where(np.isnan(half), demand.geometry.to_numpy(), boxes)
    return gpd.GeoSeries(geoms, index=demand.index, crs=demand.crs)
