"""Keep ``map.html`` usable for city-sized runs: lighter layers when a run is large.

A district run draws every population cell and the exact service-area outlines. A whole city has ~100,000 cells and
service areas traced on a grid with millions of vertices: drawn as they are, the page grows to tens of megabytes
and takes seconds to open. :func:`lighten_layers` returns lighter copies for drawing only (tables and GeoPackage
layers keep the full detail):

- population cells beyond :data:`MAX_CELLS` are summed into coarser square cells (2×, 4×, ... the cell size, until
  few enough), so the population layer keeps its totals;
- more than :data:`MAX_FACILITY_MARKERS` facility markers are drawn only where the view holds few enough of them
  (:func:`marker_limit`; the page builds every marker, but puts only those of the view on the map);
- service-area outlines with more than :data:`MAX_AREA_VERTICES` vertices in all are simplified with a tolerance
  that grows with the extent of the map (one screen pixel at city zoom) and with how far the outlines exceed the
  budget, and specks smaller than a few cells of the tolerance are left out.

Small runs are returned unchanged. The map renders what it is handed; this module only prepares it.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["lighten_layers", "coarser_cells", "simplify_areas", "marker_limit", "MAX_CELLS", "MAX_AREA_VERTICES",
           "MAX_FACILITY_MARKERS"]

log = logging.getLogger(__name__)

#: Population cells drawn at most (more are summed into coarser cells).
MAX_CELLS = 20_000
#: Vertices of all service-area outlines drawn at most (more are simplified).
MAX_AREA_VERTICES = 200_000
#: Facility markers on the map at once at most (more: only those of the view, when few enough).
MAX_FACILITY_MARKERS = 2_000


def marker_limit(n_markers: int, n_layers: int) -> int | None:
    """Markers each of ``n_layers`` facility layers may show in the view, or None when all ``n_markers`` can be
    drawn at once (at most :data:`MAX_FACILITY_MARKERS`)."""
    limit = MAX_FACILITY_MARKERS  # read at call time (module setting)
    if n_markers <= limit:
        return None
    return max(1, limit // max(n_layers, 1))


def lighten_layers(boundaries: gpd.GeoDataFrame, demand: gpd.GeoDataFrame | None,
                   service_areas: gpd.GeoDataFrame | None, uncovered: gpd.GeoDataFrame | None, *,
                   counts: tuple[str, ...] = ()):
    """(demand, service_areas, uncovered) made light enough to draw (see the module docstring); ``counts`` are the
    population columns (the configured groups) that coarser cells sum."""
    limit = MAX_CELLS  # read at call time (module setting)
    if demand is not None and len(demand) > limit:
        demand = coarser_cells(demand, limit, counts=counts)
    if uncovered is not None and len(uncovered) > limit:
        uncovered = coarser_cells(uncovered, limit, by=("year",) if "year" in uncovered.columns else (), counts=counts)
    if service_areas is not None and len(service_areas):
        vertices = int(shapely.get_num_coordinates(service_areas.geometry.to_numpy()).sum())
        if vertices > MAX_AREA_VERTICES:
            x0, y0, x1, y1 = boundaries.total_bounds
            # contour-like outlines lose vertices about in proportion to the tolerance
            tolerance = max(x1 - x0, y1 - y0) / 4000.0 * max(1.0, vertices / MAX_AREA_VERTICES) ** 0.5
            service_areas = simplify_areas(service_areas, tolerance)
    return demand, service_areas, uncovered


def coarser_cells(cells: gpd.GeoDataFrame, max_cells: int, *, by: tuple[str, ...] = (),
                  counts: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Sum the population columns ``counts`` (and any ``pop_*`` column) of cells (or points) into squares 2, 4, 8 ...
    times the cell size until at most ``max_cells`` remain (other columns: the first cell's value); points sit at the
    centres of their squares."""
    size = float(np.nanmax(cells["cell_size_m"])) if "cell_size_m" in cells.columns and \
        cells["cell_size_m"].notna().any() else 250.0
    x, y = cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()
    factor, out = 2, cells
    while len(out) > max_cells and factor <= 1024:
        side = size * factor
        gx, gy = np.floor(x / side), np.floor(y / side)
        frame = pd.DataFrame(cells.drop(columns="geometry")).assign(_gx=gx, _gy=gy)
        keys = ["_gx", "_gy", *by]
        sums = [c for c in frame.columns if c in counts or str(c).startswith("pop_")]
        firsts = [c for c in frame.columns if c not in sums + keys]
        grouped = frame.groupby(keys, sort=False).agg({**{c: "sum" for c in sums}, **{c: "first" for c in firsts}})
        grouped = grouped.reset_index()
        centres = gpd.points_from_xy((grouped["_gx"] + 0.5) * side, (grouped["_gy"] + 0.5) * side)
        out = gpd.GeoDataFrame(grouped.drop(columns=["_gx", "_gy"]).assign(cell_size_m=side), geometry=centres,
                               crs=cells.crs)
        factor *= 2
    log.info("map: %d cells drawn as %d coarser cells", len(cells), len(out))
    return out


def simplify_areas(areas: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Outlines simplified by ``tolerance_m`` (for drawing), without parts smaller than tolerance²."""
    geoms = []
    for geom in areas.geometry.to_numpy():
        parts = shapely.get_parts(geom)
        parts = parts[shapely.area(parts) >= tolerance_m ** 2] if len(parts) else parts
        light = shapely.simplify(parts, tolerance_m, preserve_topology=False) if len(parts) else parts
        broken = ~shapely.is_valid(light)
        light[broken] = shapely.make_valid(light[broken])
        geoms.append(shapely.union_all(light) if len(light) else shapely.Polygon())  # valid, parts may have met
    log.info("map: service areas simplified by %.0f m", tolerance_m)
    return areas.set_geometry(gpd.GeoSeries(geoms, index=areas.index, crs=areas.crs))
