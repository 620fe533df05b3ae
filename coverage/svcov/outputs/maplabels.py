"""Where to put the 街镇 names on the map so that they do not cover facility and site markers (or each other).

For the scale at which the map first opens (the district fitted into a laptop screen), each name's box is
measured in metres; candidate positions on a grid inside the 街镇 (and, at a small cost, just outside it, with a
leader line) are scored by how many markers (and names already placed) the box would cover, and the best is the
free one closest to the 街镇's inner centre. Small 街镇 go first: they have the fewest places to choose from.
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["label_positions", "metres_per_pixel", "first_zoom", "LABEL_FONT_PX"]

#: Label font size (CSS px; map.css .svcov-label) and the padding kept around a label box.
LABEL_FONT_PX = 12
LABEL_PAD_PX = 3
#: The browser window the first view is fitted to (px): a 1366×768 laptop screen less the browser's bars and the
#: task bar (about 640 px high), less the title and legend boxes on the left.
VIEW_PX = (1366 - 350, 640 - 20)


def metres_per_pixel(bounds: tuple[float, float, float, float], view_px: tuple[int, int] = VIEW_PX) -> float:
    """Metres per screen pixel when ``bounds`` (metric) are fitted into ``view_px`` (Leaflet snaps zoom to 0.25:
    a little larger than the exact fit)."""
    x0, y0, x1, y1 = bounds
    exact = max((x1 - x0) / view_px[0], (y1 - y0) / view_px[1])
    return exact * 2 ** 0.25


def first_zoom(bounds: tuple[float, float, float, float], lat_deg: float) -> float:
    """The Web-Mercator zoom at which the map first opens (bounds metric, at latitude ``lat_deg``)."""
    return float(np.log2(156543.03392 * np.cos(np.radians(lat_deg)) / metres_per_pixel(bounds)))


def _label_size_m(text: str, mpp: float) -> tuple[float, float]:
    chars = sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)
    return (chars * LABEL_FONT_PX + 2 * LABEL_PAD_PX) * mpp, (LABEL_FONT_PX * 1.4 + 2 * LABEL_PAD_PX) * mpp


def _candidates(polygon, step_m: float, keep_in_m: float) -> np.ndarray:
    """Grid points inside ``polygon`` at least ``keep_in_m`` from its edge (or its inner centre if none)."""
    x0, y0, x1, y1 = polygon.bounds
    xs, ys = np.meshgrid(np.arange(x0, x1, step_m) + step_m / 2, np.arange(y0, y1, step_m) + step_m / 2)
    points = shapely.points(xs.ravel(), ys.ravel())
    inner = polygon.buffer(-keep_in_m)
    inside = shapely.contains(inner, points) if not inner.is_empty else np.zeros(len(points), bool)
    if not inside.any():
        p = polygon.representative_point()
        return np.array([[p.x, p.y]])
    return np.column_stack([xs.ravel()[inside], ys.ravel()[inside]])


#: Cost of a label outside its 街镇 (drawn with a leader line): less than covering one marker.
OUTSIDE_COST = 0.9


def label_positions(polygons, names, markers_xy: np.ndarray, marker_radius_px: np.ndarray, *,
                    bounds: tuple[float, float, float, float] | None = None,
                    weights: np.ndarray | None = None) -> list[tuple[float, float, bool, float, float]]:
    """For each name: a position (metric x, y) for the first view, whether it lies outside its 街镇 (then draw a
    leader line), and the best position inside the 街镇 (for closer zooms, where there is room).

    Parameters
    ----------
    polygons, names
        The 街镇 polygons (metric CRS) and their names.
    markers_xy
        Marker positions (n × 2, same CRS).
    marker_radius_px
        Half the size of each marker on screen (px).
    weights
        How much covering each marker costs (default 1; e.g. more for proposed sites).
    bounds
        The extent the map first opens on (default: the polygons' extent).
    """
    polygons = list(polygons)
    if bounds is None:
        bounds = tuple(shapely.union_all(polygons).bounds)
    mpp = metres_per_pixel(bounds)
    markers_xy = np.asarray(markers_xy, dtype=float).reshape(-1, 2)
    radius_m = np.asarray(marker_radius_px, dtype=float).reshape(-1) * mpp
    weights = np.ones(len(markers_xy)) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    district = shapely.union_all(polygons)
    placed: list[tuple[float, float, float, float]] = []        # centre x, y, half width, half height
    out: list[tuple[float, float, bool, float, float]] = [(0.0, 0.0, False, 0.0, 0.0)] * len(polygons)
    for i in sorted(range(len(polygons)), key=lambda k: polygons[k].area):
        w, h = _label_size_m(str(names[i]), mpp)
        step = max(4 * mpp, 1.0)
        inside = _candidates(polygons[i], step_m=step, keep_in_m=h / 2)
        around = _around(polygons[i], district, step_m=step, reach_m=w)
        cand = np.vstack([inside, around])
        x0, y0, x1, y1 = polygons[i].bounds
        near = ((markers_xy[:, 0] > x0 - 2 * w) & (markers_xy[:, 0] < x1 + 2 * w)
                & (markers_xy[:, 1] > y0 - 2 * w) & (markers_xy[:, 1] < y1 + 2 * w))
        cost = _overlaps(cand, w / 2, h / 2, markers_xy[near], radius_m[near], weights[near], placed)
        cost[len(inside):] += OUTSIDE_COST
        centre = polygons[i].representative_point()
        dist = np.hypot(cand[:, 0] - centre.x, cand[:, 1] - centre.y)
        best = int(np.lexsort((dist, cost))[0])
        inner = int(np.lexsort((dist[:len(inside)], cost[:len(inside)]))[0])
        out[i] = (float(cand[best, 0]), float(cand[best, 1]), best >= len(inside), float(inside[inner, 0]),
                  float(inside[inner, 1]))
        placed.append((out[i][0], out[i][1], w / 2, h / 2))
    return out


def _around(polygon, district, step_m: float, reach_m: float) -> np.ndarray:
    """Grid points outside ``polygon`` but within ``reach_m`` of it (and inside the district's outline)."""
    ring = polygon.buffer(reach_m).difference(polygon.buffer(step_m)).intersection(district)
    if ring.is_empty:
        return np.zeros((0, 2))
    x0, y0, x1, y1 = ring.bounds
    xs, ys = np.meshgrid(np.arange(x0, x1, step_m) + step_m / 2, np.arange(y0, y1, step_m) + step_m / 2)
    keep = shapely.contains(ring, shapely.points(xs.ravel(), ys.ravel()))
    return np.column_stack([xs.ravel()[keep], ys.ravel()[keep]])


def _overlaps(cand: np.ndarray, hw: float, hh: float, markers_xy: np.ndarray, radius_m: np.ndarray,
              weights: np.ndarray, placed: list[tuple[float, float, float, float]]) -> np.ndarray:
    """For each candidate centre: the weights of the markers its box covers, plus 10 for each placed label it
    overlaps."""
    cost = np.zeros(len(cand))
    if len(markers_xy):
        dx = np.abs(cand[:, None, 0] - markers_xy[None, :, 0])
        dy = np.abs(cand[:, None, 1] - markers_xy[None, :, 1])
        cost += (((dx < hw + radius_m[None, :]) & (dy < hh + radius_m[None, :])) * weights[None, :]).sum(axis=1)
    for x, y, pw, ph in placed:
        cost += 10 * ((np.abs(cand[:, 0] - x) < hw + pw) & (np.abs(cand[:, 1] - y) < hh + ph))
    return cost
