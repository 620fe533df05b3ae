"""Service-area polygons: the places from which a facility is reached within 5/10/15 minutes.

**On a road network** the polygon is built from the reachable parts of the roads, partial edges included, never
from hulls of junctions, so it claims no place that is out of reach. Points along every road are sampled (every
:data:`svcov.settings.service_area_sample_m` metres, plus every junction and bend), and each sample owns the
places nearer to it than to any other sample (its Voronoi cell, cut at the snap distance). A place belongs to the
service area when

    time to its sample along the roads + straight-line distance from the sample / walking speed ≤ threshold,

which is the travel model's own rule (a place walks to the nearest point of the nearest road, then along the roads).
So each sample contributes its cell cut by a circle whose radius is the distance still walkable, and the polygon is
the union of those pieces. Places across a river or behind a rail line belong to the cells of the roads on their own
side and are included only if *those* roads are reached in time. Accuracy is about the sample spacing (10 m): the
test suite samples places inside the polygons and checks their network time, and checks that every covered
population cell lies inside.

**On a city-sized network** (more than :data:`svcov.settings.service_area_max_samples` road samples) the same rule
is applied on a grid of pixels instead of Voronoi cells (:mod:`svcov.access.area_grid`), accurate to about a pixel;
:func:`uses_grid` tells which construction a model gets.

**Without a network** (the straight-line fallback) the polygon is the circle of radius
threshold × walking speed / circuity factor, which is exact for that model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .area_grid import grid_areas_dissolved, grid_areas_each, road_grid, road_points
from .engine import NetworkTravelModel, Points, StraightLineTravelModel, TravelModel

__all__ = ["EdgeSamples", "edge_samples", "service_area", "service_areas", "facility_service_areas", "uses_grid"]

log = logging.getLogger(__name__)

#: Circle resolution (segments per quarter circle) of the cut pieces; inscribed, so never larger than the circle.
_QUAD_SEGS = 16


@dataclass(frozen=True, eq=False)
class EdgeSamples:
    """Points along the roads that service areas are built from, with their Voronoi cells.

    Attributes
    ----------
    x, y
        Sample coordinates (m).
    node
        The junction a sample sits on, or -1.
    edge, offset_m
        For samples inside an edge: the edge and the distance from its ``u`` end (-1 and 0 for junctions).
    cells
        Voronoi cell of each sample, cut at the snap distance (shapely Polygons).
    cell_radius_m
        Farthest point of each cell from its sample.
    """

    x: np.ndarray
    y: np.ndarray
    node: np.ndarray
    edge: np.ndarray
    offset_m: np.ndarray
    cells: np.ndarray
    cell_radius_m: np.ndarray


def edge_samples(model: NetworkTravelModel, spacing_m: float = settings.service_area_sample_m) -> EdgeSamples:
    """Sample the roads points may snap onto (junctions, bends, and every ``spacing_m`` metres) and build cells.

    Cached on the model for its default spacing.

    Returns
    -------
    EdgeSamples
    """
    cached = getattr(model, "_edge_samples", None)
    if cached is not None and cached[0] == spacing_m:
        return cached[1]
    x, y, node, edge, off = road_points(model, spacing_m)
    cells, radius = _voronoi_cells(x, y, model.snap_max_m)
    samples = EdgeSamples(x, y, node, edge, off, cells, radius)
    model._edge_samples = (spacing_m, samples)
    log.info("service areas: %d road samples every %.0f m", len(x), spacing_m)
    return samples


def uses_grid(model: TravelModel) -> bool:
    """True if the model's service areas are built on the pixel grid (:mod:`svcov.access.area_grid`): a network
    with more road samples (every :data:`~svcov.settings.service_area_sample_m`) than
    :data:`~svcov.settings.service_area_max_samples`."""
    if not isinstance(model, NetworkTravelModel):
        return False
    net = model.network
    length_m = float(net.edge_length_m[model.snappable].sum())
    return length_m / settings.service_area_sample_m + net.n_nodes > settings.service_area_max_samples


def _voronoi_cells(x: np.ndarray, y: np.ndarray, reach_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cells of the samples (in input order), cut at ``reach_m`` from their sample."""
    points = shapely.points(x, y)
    extent = shapely.box(x.min() - 2 * reach_m, y.min() - 2 * reach_m, x.max() + 2 * reach_m, y.max() + 2 * reach_m)
    if len(x) == 1:
        cells = np.array([extent])
    else:
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent,
                                                           ordered=True))
    radius = _cell_radius(cells, x, y)
    far = radius > reach_m
    cells[far] = shapely.intersection(cells[far], shapely.buffer(points[far], reach_m, quad_segs=_QUAD_SEGS))
    radius[far] = reach_m
    return cells, radius


def _cell_radius(cells: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    coords, which = shapely.get_coordinates(cells, return_index=True)
    dist = np.hypot(coords[:, 0] - x[which], coords[:, 1] - y[which])
    radius = np.zeros(len(cells))
    np.maximum.at(radius, which, dist)
    return radius


def service_area(model: TravelModel, sources: Points, threshold_min: float):
    """The area from which the nearest of ``sources`` is reached within ``threshold_min`` (one polygon).

    Parameters
    ----------
    model
        The travel model.
    sources
        Facility points (any CRS), or ``model.prepare`` results.
    threshold_min
        Minutes.

    Returns
    -------
    shapely Polygon or MultiPolygon (empty if nothing is reached), in the model's CRS.
    """
    return service_areas(model, sources, (threshold_min,))[threshold_min]


def service_areas(model: TravelModel, sources: Points, thresholds_min: Sequence[float]) -> dict:
    """:func:`service_area` for several thresholds at once (one shortest-path search for all of them).

    Returns
    -------
    dict
        Threshold (minutes) → polygon.
    """
    if isinstance(model, StraightLineTravelModel):
        sx, sy, _ = model._xy(sources, "sources")
        points = shapely.points(sx, sy)
        return {t: shapely.union_all(shapely.buffer(points, model.radius_m(t * 60.0), quad_segs=_QUAD_SEGS))
                if len(sx) else shapely.Polygon() for t in thresholds_min}
    if uses_grid(model):
        grid = road_grid(model)
        node_time, src = model.node_times(sources, limit=max(thresholds_min) * 60.0)
        time_s = model.edge_point_times(node_time, src, grid.targets.edge, grid.targets.offset_m)
        return grid_areas_dissolved(model, grid, time_s, thresholds_min)
    samples = edge_samples(model)
    time_s = _sample_times(model, samples, sources, max(thresholds_min) * 60.0)
    return {t: _area(model, samples, time_s, t * 60.0) for t in thresholds_min}


def _sample_times(model: NetworkTravelModel, samples: EdgeSamples, sources: Points, limit_s: float) -> np.ndarray:
    """Walking time from the nearest source to every road sample (inf beyond ``limit_s``)."""
    node_time, src = model.node_times(sources, limit=limit_s)
    time_s = np.full(len(samples.x), np.inf)
    at_node = samples.node >= 0
    time_s[at_node] = node_time[samples.node[at_node]]
    on_edge = ~at_node
    time_s[on_edge] = model.edge_point_times(node_time, src, samples.edge[on_edge], samples.offset_m[on_edge])
    return time_s


def _area(model: NetworkTravelModel, samples: EdgeSamples, time_s: np.ndarray, threshold_s: float):
    """Union of each sample's cell cut by the circle still walkable from it."""
    reach = np.minimum((threshold_s - time_s) * model.speed_mps, model.snap_max_m)
    picked = np.flatnonzero(reach > 0)
    if len(picked) == 0:
        return shapely.Polygon()
    whole = picked[reach[picked] >= samples.cell_radius_m[picked]]
    part = picked[reach[picked] < samples.cell_radius_m[picked]]
    circles = shapely.buffer(shapely.points(samples.x[part], samples.y[part]), reach[part], quad_segs=_QUAD_SEGS)
    pieces = shapely.intersection(samples.cells[part], circles)
    # whole cells tile the plane exactly (a coverage): merge them cheaply, then add the cut cells at the fringe
    core = shapely.coverage_union_all(samples.cells[whole]) if len(whole) else shapely.Polygon()
    merged = shapely.union_all(np.r_[[core], pieces])
    return shapely.make_valid(merged) if not shapely.is_valid(merged) else merged


def facility_service_areas(model: TravelModel, facilities: gpd.GeoDataFrame, thresholds_min: Sequence[float], *,
                           columns: Sequence[str] = ("facility_id", "name", "type")) -> gpd.GeoDataFrame:
    """One service-area polygon per facility and threshold.

    Parameters
    ----------
    model
        The travel model.
    facilities
        Facility points (metric CRS), with the ``columns`` to carry over.
    thresholds_min
        Minutes, e.g. ``(5, 10, 15)``.

    Returns
    -------
    GeoDataFrame
        The carried ``columns``, ``threshold_min``, ``area_km2``, ``travel_mode``, geometry (model CRS); facilities
        off the network (see ``model.unreachable``) get an empty geometry and ``area_km2`` 0. Index: 0..n-1.
    """
    rows, geoms = [], []
    points = model.prepare(facilities, "facilities")
    thresholds = sorted(thresholds_min)
    on_grid = grid_areas_each(model, road_grid(model), points, thresholds) if uses_grid(model) else None
    for pos in range(len(facilities)):
        base = {c: facilities[c].iloc[pos] for c in columns if c in facilities.columns}
        areas = on_grid[pos] if on_grid is not None else service_areas(model, points.take([pos]), thresholds)
        for threshold, geom in areas.items():
            rows.append({**base, "threshold_min": threshold, "area_km2": shapely.area(geom) / 1e6,
                         "travel_mode": model.mode})
            geoms.append(geom)
    frame = pd.DataFrame(rows, columns=[c for c in columns if c in facilities.columns]
                         + ["threshold_min", "area_km2", "travel_mode"])
    return gpd.GeoDataFrame(frame, geometry=np.array(geoms, dtype=object) if geoms else [], crs=model.crs)
