"""Service areas of city-sized networks on a grid (the same rule as :mod:`svcov.access.service_areas`, on pixels).

A place belongs to a service area when

    time to its nearest road point along the roads + straight-line distance to that point / walking speed
    ≤ threshold,

the travel model's own rule. On a district network :mod:`svcov.access.service_areas` builds the polygons from
Voronoi cells of road samples every 10 m; with millions of samples that no longer fits in a minute. Here the plane is
cut into square pixels instead (:func:`road_grid`): road samples are burnt into the grid, and a Euclidean distance
transform gives every pixel its nearest road sample and the distance to it — the pixel's *access leg*. A query then
only needs the walking time at the road samples (one multi-source search for a dissolved area; one bounded search per
facility, with the samples as targets, for per-facility areas) to give every pixel its time; the area is the filled
contour of that time field at the threshold (``contourpy``: boundaries interpolated between pixel centres).

Accuracy is about one pixel (:data:`svcov.settings.service_area_grid_m`, larger on very large extents so that the
grid stays within :data:`svcov.settings.service_area_max_pixels`); places beyond a river still belong to the roads
on their own side, as in the Voronoi construction. Which construction a run uses is decided by
:func:`svcov.access.service_areas.uses_grid` (the number of road samples).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage

from .. import settings
from .snap import Snapped

__all__ = ["RoadGrid", "road_points", "road_grid", "grid_pixel_m", "grid_area", "grid_areas_dissolved",
           "grid_areas_each"]

log = logging.getLogger(__name__)

#: Sources routed together in one bounded search for per-facility areas (bounds the pairs held in memory).
_SOURCE_BATCH = 256


@dataclass(frozen=True, eq=False)
class RoadGrid:
    """Every pixel's nearest road sample (see the module docstring).

    Attributes
    ----------
    x0, y1
        Left and top edge of the grid (m); row 0 is the top row.
    pixel_m
        Side of a pixel (m).
    sample
        ``rows × cols`` int32: the nearest road sample of each pixel centre, or -1 if it is farther than the snap
        distance (the place cannot reach the network).
    dist_m
        ``rows × cols`` float32: distance from the pixel centre to that sample (m).
    targets
        The samples as points on edges (no access leg), for :meth:`NetworkTravelModel.catchments`-style searches.
    x, y
        Sample coordinates (m).
    """

    x0: float
    y1: float
    pixel_m: float
    sample: np.ndarray
    dist_m: np.ndarray
    targets: Snapped
    x: np.ndarray
    y: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.sample.shape


def grid_pixel_m(x_span_m: float, y_span_m: float) -> float:
    """Pixel side for an extent: :data:`~svcov.settings.service_area_grid_m`, or larger so that the grid has at most
    :data:`~svcov.settings.service_area_max_pixels` pixels (rounded up to whole metres)."""
    need = np.sqrt(max(x_span_m, 1.0) * max(y_span_m, 1.0) / settings.service_area_max_pixels)
    return float(max(settings.service_area_grid_m, np.ceil(need)))


def road_points(model, spacing_m: float, *, dedupe: bool = True,
                edges: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Points along the roads points may snap onto (or along ``edges``): every junction, every bend, and every
    ``spacing_m`` metres.

    Returns
    -------
    (x, y, node, edge, offset_m)
        Coordinates (m); the junction a point sits on (-1 inside an edge); for points inside an edge, the edge
        and the distance from its ``u`` end (-1 and 0 for junctions). Points at the same place appear once
        (unless ``dedupe`` is False).
    """
    net = model.network
    if edges is None:
        edges = np.flatnonzero(model.snappable & (net.edge_length_m > 0))
    dense = shapely.segmentize(net.edge_geometry[edges], spacing_m)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    step = np.r_[0.0, np.hypot(*(coords[1:] - coords[:-1]).T)]
    first = np.r_[True, which[1:] != which[:-1]]
    step[first] = 0.0
    cum = np.cumsum(step)
    offset = cum - cum[np.maximum.accumulate(np.where(first, np.arange(len(cum)), 0))]
    last = np.r_[which[1:] != which[:-1], True]
    inner = ~first & ~last
    nodes = np.unique(np.r_[net.edge_u[edges], net.edge_v[edges]])
    x = np.r_[net.node_x[nodes], coords[inner, 0]]
    y = np.r_[net.node_y[nodes], coords[inner, 1]]
    node = np.r_[nodes, np.full(int(inner.sum()), -1)]
    edge = np.r_[np.full(len(nodes), -1), edges[which[inner]]]
    off = np.r_[np.zeros(len(nodes)), np.minimum(offset[inner], net.edge_length_m[edges[which[inner]]])]
    if not dedupe:
        return x, y, node, edge, off
    _, keep = np.unique(np.round(np.c_[x, y], 3), axis=0, return_index=True)
    keep = np.sort(keep)
    return x[keep], y[keep], node[keep], edge[keep], off[keep]


def road_grid(model) -> RoadGrid:
    """Build (and cache on the model) the grid of nearest road samples of a
    :class:`~svcov.access.engine.NetworkTravelModel` (samples every 0.7 pixel along the snappable roads; of the
    samples in a pixel the one nearest its centre is kept)."""
    cached = getattr(model, "_road_grid", None)
    if cached is not None:
        return cached
    net, reach = model.network, model.snap_max_m
    x0, x1 = float(net.node_x.min() - reach), float(net.node_x.max() + reach)
    y0, y1 = float(net.node_y.min() - reach), float(net.node_y.max() + reach)
    pixel = grid_pixel_m(x1 - x0, y1 - y0)
    cols, rows = int(np.ceil((x1 - x0) / pixel)), int(np.ceil((y1 - y0) / pixel))
    x, y, node, edge, offset, at = _burn(model, x0, y1, pixel, rows, cols)
    nearest = ndimage.distance_transform_edt(at < 0, return_distances=False, return_indices=True)
    sample = at[nearest[0], nearest[1]]
    del nearest, at
    cx = (x0 + (np.arange(cols, dtype=np.float32) + 0.5) * pixel)[None, :]
    cy = (y1 - (np.arange(rows, dtype=np.float32) + 0.5) * pixel)[:, None]
    dist = np.hypot(cx - x.astype(np.float32)[sample], cy - y.astype(np.float32)[sample])
    sample[dist > reach] = -1
    grid = RoadGrid(x0, y1, pixel, sample, dist, _as_targets(model, node, edge, offset, x, y), x, y)
    model._road_grid = grid
    log.info("service areas: grid of %d × %d pixels of %.0f m, %d road samples", rows, cols, pixel, len(x))
    return grid


def _burn(model, x0: float, y1: float, pixel: float, rows: int, cols: int):
    """Road samples, one per road pixel (the one nearest the pixel centre), built edge by edge in chunks (bounded
    memory); returns their ``x, y, node, edge, offset`` and the ``rows × cols`` int32 grid of sample numbers."""
    n_pix = rows * cols
    best_d = np.full(n_pix, np.inf, dtype=np.float32)
    keep_node = np.full(n_pix, -1, dtype=np.int64)
    keep_edge = np.full(n_pix, -1, dtype=np.int64)
    keep_off = np.zeros(n_pix, dtype=np.float32)
    keep_x, keep_y = np.zeros(n_pix, dtype=np.float64), np.zeros(n_pix, dtype=np.float64)
    for x, y, node, edge, offset in road_points_chunks(model, 0.7 * pixel):
        r = np.clip(((y1 - y) / pixel).astype(np.int64), 0, rows - 1)
        c = np.clip(((x - x0) / pixel).astype(np.int64), 0, cols - 1)
        pix = r * cols + c
        d = np.hypot(x - (x0 + (c + 0.5) * pixel), y - (y1 - (r + 0.5) * pixel)).astype(np.float32)
        order = np.lexsort((d, pix))
        first = order[np.r_[True, pix[order][1:] != pix[order][:-1]]]
        better = first[d[first] < best_d[pix[first]]]
        p = pix[better]
        best_d[p], keep_node[p], keep_edge[p], keep_off[p] = d[better], node[better], edge[better], offset[better]
        keep_x[p], keep_y[p] = x[better], y[better]
    road = np.flatnonzero(np.isfinite(best_d))
    at = np.full(n_pix, -1, dtype=np.int32)
    at[road] = np.arange(len(road), dtype=np.int32)
    return (keep_x[road], keep_y[road], keep_node[road], keep_edge[road], keep_off[road].astype(np.float64),
            at.reshape(rows, cols))


def road_points_chunks(model, spacing_m: float, chunk_edges: int = 200_000):
    """:func:`road_points` (not deduplicated) for blocks of ``chunk_edges`` edges at a time."""
    edges = np.flatnonzero(model.snappable & (model.network.edge_length_m > 0))
    for first in range(0, max(len(edges), 1), chunk_edges):
        yield road_points(model, spacing_m, dedupe=False, edges=edges[first:first + chunk_edges])


def _as_targets(model, node: np.ndarray, edge: np.ndarray, offset: np.ndarray, x: np.ndarray,
                y: np.ndarray) -> Snapped:
    """Samples as points on edges: a junction sample sits at the end of one of its edges (not a loop if it has
    another), so the engine's legs give its time exactly."""
    net = model.network
    edge, offset = edge.copy(), offset.copy()
    at_node = np.flatnonzero(node >= 0)
    if len(at_node):
        ends = np.r_[net.edge_u, net.edge_v]
        which = np.r_[np.arange(net.n_edges), np.arange(net.n_edges)]
        usable = np.r_[model.snappable, model.snappable]
        loop = np.r_[net.edge_u == net.edge_v, net.edge_u == net.edge_v]
        order = np.lexsort((loop, ~usable, ends))
        first = np.full(net.n_nodes, -1, dtype=np.int64)
        keep = np.r_[True, ends[order][1:] != ends[order][:-1]]
        first[ends[order][keep]] = order[keep]
        pick = first[node[at_node]]
        edge[at_node] = which[pick]
        offset[at_node] = np.where(pick < net.n_edges, 0.0, net.edge_length_m[which[pick]])
    n = len(edge)
    return Snapped(np.arange(n), x, y, edge.astype(np.int64), offset, np.zeros(n), np.ones(n, dtype=bool))


def _window(grid: RoadGrid, xs: np.ndarray, ys: np.ndarray, margin_m) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` of the pixels within ``margin_m`` (one value, or one per point) of
    the points."""
    p = grid.pixel_m
    rows, cols = grid.shape
    c0 = max(int(np.floor(((xs - margin_m).min() - grid.x0) / p)), 0)
    c1 = min(int(np.ceil(((xs + margin_m).max() - grid.x0) / p)) + 1, cols)
    r0 = max(int(np.floor((grid.y1 - (ys + margin_m).max()) / p)), 0)
    r1 = min(int(np.ceil((grid.y1 - (ys - margin_m).min()) / p)) + 1, rows)
    return r0, r1, c0, c1


def grid_area(grid: RoadGrid, time_s: np.ndarray, thresholds_s, window: tuple[int, int, int, int],
              speed_mps: float) -> list:
    """Polygons of the places of ``window`` within each of ``thresholds_s``, from the time at every pixel centre
    (``time_s``: rows × cols of the window): the filled contours of the time field at the thresholds (contourpy),
    so boundaries fall between pixel centres by linear interpolation rather than on stair steps."""
    import contourpy

    thresholds_s = [float(t) for t in thresholds_s]
    if not (time_s <= max(thresholds_s)).any():
        return [shapely.Polygon() for _ in thresholds_s]
    r0, r1, c0, c1 = window
    p = grid.pixel_m
    # beyond the thresholds only "more" matters: clip (inf included) to one pixel's walk past the largest
    z = np.minimum(time_s, np.float32(max(thresholds_s) + p / speed_mps))[::-1].astype(np.float64)
    xs = grid.x0 + (np.arange(c0, c1) + 0.5) * p
    ys = (grid.y1 - (np.arange(r0, r1) + 0.5) * p)[::-1]
    gen = contourpy.contour_generator(xs, ys, z, fill_type=contourpy.FillType.OuterOffset)
    return [_polygons(*gen.filled(-1.0, t)) if (time_s <= t).any() else shapely.Polygon() for t in thresholds_s]


def _polygons(points: list, offsets: list):
    """One (Multi)Polygon from contourpy's OuterOffset output (per polygon: points, ring offsets; outer ring first)."""
    if not points:
        return shapely.Polygon()
    coords = np.concatenate(points)
    sizes = np.concatenate([np.diff(o) for o in offsets])
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(len(sizes)), sizes))
    owner = np.repeat(np.arange(len(offsets)), [len(o) - 1 for o in offsets])
    polygons = shapely.polygons(rings, indices=owner)
    return shapely.multipolygons(polygons) if len(polygons) > 1 else polygons[0]


def _pixel_times(grid: RoadGrid, padded_time_s: np.ndarray, speed_mps: float, window) -> np.ndarray:
    """Time of every pixel of ``window``: its sample's time + its access leg (inf if off the network).

    ``padded_time_s`` holds the samples' times and one more entry, inf, that pixels off the network (-1) read."""
    r0, r1, c0, c1 = window
    return padded_time_s[grid.sample[r0:r1, c0:c1]] + grid.dist_m[r0:r1, c0:c1] / np.float32(speed_mps)


def grid_areas_dissolved(model, grid: RoadGrid, sample_time_s: np.ndarray, thresholds_min) -> dict:
    """Threshold (minutes) → polygon from the walking time at every road sample (inf where not reached)."""
    reached = np.flatnonzero(np.isfinite(sample_time_s))
    if len(reached) == 0:
        return {t: shapely.Polygon() for t in thresholds_min}
    margin = min(model.snap_max_m, max(thresholds_min) * 60.0 * model.speed_mps) + 2 * grid.pixel_m
    window = _window(grid, grid.x[reached], grid.y[reached], margin)
    padded = np.append(sample_time_s, np.inf).astype(np.float32)
    times = _pixel_times(grid, padded, model.speed_mps, window)
    areas = grid_area(grid, times, [t * 60.0 for t in thresholds_min], window, model.speed_mps)
    return dict(zip(thresholds_min, areas))


def grid_areas_each(model, grid: RoadGrid, src: Snapped, thresholds_min) -> list[dict]:
    """Per source: threshold (minutes) → polygon (one bounded search per source, the road samples as targets)."""
    limit = max(thresholds_min) * 60.0
    incidence = model._incidence(grid.targets)
    scratch = np.full(len(grid.x) + 1, np.inf, dtype=np.float32)  # the last entry stays inf (see _pixel_times)
    seconds = [m * 60.0 for m in thresholds_min]
    out = []
    for first in range(0, len(src), _SOURCE_BATCH):
        batch = src.take(np.arange(first, min(first + _SOURCE_BATCH, len(src))))
        s, t, time_s = model._pairs(batch, grid.targets, limit, incidence=incidence)
        bounds = np.searchsorted(s, np.arange(len(batch) + 1))
        for a, b in zip(bounds[:-1], bounds[1:]):
            reached, times = t[a:b], time_s[a:b]
            if len(reached) == 0:
                out.append({m: shapely.Polygon() for m in thresholds_min})
                continue
            # each sample still reaches min(snap distance, the rest of the walk) around it
            spare = np.minimum(model.snap_max_m, (limit - times) * model.speed_mps) + 2 * grid.pixel_m
            window = _window(grid, grid.x[reached], grid.y[reached], spare)
            scratch[reached] = times
            pixel_times = _pixel_times(grid, scratch, model.speed_mps, window)
            scratch[reached] = np.inf
            out.append(dict(zip(thresholds_min, grid_area(grid, pixel_times, seconds, window, model.speed_mps))))
    return out
