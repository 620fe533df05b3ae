"""Synthetic road networks and points, for tests whose answers can be worked out by hand and for benchmarks.

- :func:`grid_network`: a regular grid of straight streets (hand-checkable times).
- :func:`street_network`: a street-like network of any size: a jittered grid of blocks with some streets missing
  (dead ends, superblocks) and some streets bent (polylines), as in an old town centre.
- :func:`random_points`: reproducible random points (facilities, demand) over a network's extent.

All coordinates are in a metric CRS (UTM 51N, Shanghai, by default), placed near Shanghai so that maps look sane.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from ..errors import ArgumentError
from .build import RoadNetwork, network_from_arrays

__all__ = ["grid_network", "street_network", "random_points", "DEFAULT_ORIGIN", "DEFAULT_CRS"]

#: Lower-left corner of the synthetic networks (UTM 51N metres, near Songjiang).
DEFAULT_ORIGIN = (340_000.0, 3_430_000.0)
DEFAULT_CRS = "EPSG:32651"


def grid_network(n_cols: int, n_rows: int, spacing_m: float = 100.0, *, origin: tuple[float, float] = DEFAULT_ORIGIN,
                 crs: Any = DEFAULT_CRS, remove: tuple[tuple[int, int], ...] = ()) -> RoadNetwork:
    """A regular grid of straight streets.

    Junction ``k = row * n_cols + col`` is at ``(origin_x + col * spacing_m, origin_y + row * spacing_m)``.
    Edges are listed row by row (horizontal edges first, then vertical ones).

    Parameters
    ----------
    n_cols, n_rows
        Junctions per row and per column (≥ 1 each, ≥ 2 junctions in all).
    spacing_m
        Street spacing (m).
    remove
        Edges to leave out, as junction pairs ``(a, b)``.

    Returns
    -------
    RoadNetwork
    """
    if n_cols < 1 or n_rows < 1 or n_cols * n_rows < 2:
        raise ArgumentError("grid_network needs at least two junctions")
    col, row = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    x = origin[0] + col.ravel() * spacing_m
    y = origin[1] + row.ravel() * spacing_m
    k = np.arange(n_cols * n_rows).reshape(n_rows, n_cols)
    u = np.r_[k[:, :-1].ravel(), k[:-1, :].ravel()]
    v = np.r_[k[:, 1:].ravel(), k[1:, :].ravel()]
    gone = {tuple(sorted(pair)) for pair in remove}
    keep = np.array([(min(a, b), max(a, b)) not in gone for a, b in zip(u, v)], dtype=bool)
    return network_from_arrays(x, y, u[keep], v[keep], crs=crs, source_zh=f"合成方格路网 ({spacing_m:g} 米间距)")


def street_network(n_nodes: int = 200_000, *, block_m: float = 80.0, jitter_m: float = 12.0,
                   removal_share: float = 0.12, curved_share: float = 0.25, seed: int = 0,
                   origin: tuple[float, float] = DEFAULT_ORIGIN, crs: Any = DEFAULT_CRS) -> RoadNetwork:
    """A synthetic street-like network of about ``n_nodes`` junctions.

    A square grid of blocks ``block_m`` wide; every junction moved at random by up to ``jitter_m``; a share
    ``removal_share`` of streets left out at random (dead ends, larger blocks, a few cut-off pieces, as in real
    data); a share ``curved_share`` of streets bent, drawn as polylines through two intermediate points offset
    sideways by up to a tenth of the block.

    Parameters
    ----------
    n_nodes
        Approximate number of junctions (the grid is ``ceil(sqrt(n_nodes))`` on a side).
    block_m, jitter_m, removal_share, curved_share
        Shape of the network (see above).
    seed
        Random seed: the same arguments give the same network.

    Returns
    -------
    RoadNetwork
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_nodes)))
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    x = origin[0] + col.ravel() * block_m + rng.uniform(-jitter_m, jitter_m, side * side)
    y = origin[1] + row.ravel() * block_m + rng.uniform(-jitter_m, jitter_m, side * side)
    k = np.arange(side * side).reshape(side, side)
    u = np.r_[k[:, :-1].ravel(), k[:-1, :].ravel()]
    v = np.r_[k[:, 1:].ravel(), k[1:, :].ravel()]
    keep = rng.random(len(u)) >= removal_share
    u, v = u[keep], v[keep]
    geoms = _bent_streets(x, y, u, v, curved_share, block_m / 10.0, rng)
    return network_from_arrays(x, y, u, v, crs=crs, edge_geometry=geoms,
                               source_zh=f"合成街道路网 (约 {side * side:,} 个路口, 街区 {block_m:g} 米)")


def _bent_streets(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, share: float, offset_m: float,
                  rng: np.random.Generator) -> np.ndarray:
    """LineStrings from u to v; a share of them bent through two points at 1/3 and 2/3, offset sideways."""
    a, b = np.c_[x[u], y[u]], np.c_[x[v], y[v]]
    bent = rng.random(len(u)) < share
    d = b - a
    normal = np.c_[-d[:, 1], d[:, 0]] / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    s1, s2 = rng.uniform(-offset_m, offset_m, (2, len(u)))
    p1 = a + d / 3.0 + normal * s1[:, None]
    p2 = a + 2.0 * d / 3.0 + normal * s2[:, None]
    n_points = np.where(bent, 4, 2)
    coords = np.empty((int(n_points.sum()), 2))
    start = np.r_[0, np.cumsum(n_points)[:-1]]
    coords[start] = a
    coords[start + n_points - 1] = b
    sb = start[bent]
    coords[sb + 1] = p1[bent]
    coords[sb + 2] = p2[bent]
    return shapely.linestrings(coords, indices=np.repeat(np.arange(len(u)), n_points))


def random_points(network: RoadNetwork, n: int, *, seed: int = 0, prefix: str = "p") -> gpd.GeoDataFrame:
    """``n`` points spread uniformly over the network's bounding box (reproducible).

    Returns
    -------
    GeoDataFrame
        ``point_id`` (``f"{prefix}{i}"``), Point geometry in the network's CRS.
    """
    rng = np.random.default_rng(seed)
    xs = rng.uniform(network.node_x.min(), network.node_x.max(), n)
    ys = rng.uniform(network.node_y.min(), network.node_y.max(), n)
    return gpd.GeoDataFrame({"point_id": [f"{prefix}{i}" for i in range(n)]},
                            geometry=gpd.points_from_xy(xs, ys), crs=network.crs)
