"""The travel-model contract (:class:`TravelModel`, ``docs/DEVELOPING.md``) and what every model shares: reading
points in any CRS once, the list of unreachable points, the long catchment frame; and the straight-line model
(:class:`StraightLineTravelModel`: time = straight-line distance × circuity factor / speed, an estimate that says
so). The network model is :class:`svcov.access.engine.NetworkTravelModel`."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from .. import settings
from ..errors import ArgumentError, ProblemList
from ..network.build import speed_mps
from .snap import Snapped

__all__ = ["TravelModel", "StraightLineTravelModel", "Points", "UNREACHABLE_COLUMNS", "catchment_frame",
           "empty_catchments"]

log = logging.getLogger(__name__)

#: Points: a GeoDataFrame or GeoSeries of Points (any CRS; reprojected), or points already snapped.
Points = Any

UNREACHABLE_COLUMNS = ["role", "id", "distance_m", "x", "y"]


class TravelModel(ABC):
    """Walking times between sets of points (see the module docstring)."""

    mode: str
    is_fallback: bool

    def __init__(self, crs: Any, walk_speed_kph: float, *, profile: str = "walk", profile_name_zh: str = "步行"):
        if not (isinstance(walk_speed_kph, (int, float)) and 0 < walk_speed_kph <= 60):
            raise ArgumentError(f"速度应在 0-60 公里/小时之间 (walk_speed_kph must be in (0, 60]), got {walk_speed_kph}")
        self.crs = pyproj.CRS.from_user_input(crs)
        self.walk_speed_kph = float(walk_speed_kph)
        self.speed_mps = speed_mps(walk_speed_kph)
        #: The travel profile this model computes (``travel.profiles``): its key and Chinese name, e.g. 「老人步行」.
        self.profile = str(profile)
        self.profile_name_zh = str(profile_name_zh)
        self._unreachable: dict[tuple[str, Any], tuple] = {}

    @property
    @abstractmethod
    def description_zh(self) -> str:
        """One sentence on how times are computed, for every table, map and document."""

    @property
    @abstractmethod
    def description_en(self) -> str:
        """The same in English."""

    @property
    def unreachable(self) -> pd.DataFrame:
        """Points seen so far that are farther than the snap distance from every road.

        Returns
        -------
        DataFrame
            ``role`` (e.g. ``"facilities"``), ``id`` (the point's index value), ``distance_m`` (to the nearest
            road; inf if the network has no road to snap to), ``x``, ``y`` (model CRS).
        """
        return pd.DataFrame(list(self._unreachable.values()), columns=UNREACHABLE_COLUMNS)

    @abstractmethod
    def nearest(self, sources: Points, targets: Points) -> pd.DataFrame:
        """Time from every target to its nearest source.

        Parameters
        ----------
        sources, targets
            Points (GeoDataFrame/GeoSeries of Points in any CRS, or :meth:`snap` results for the network model).

        Returns
        -------
        DataFrame
            Index = the targets' index; ``time_s`` (float, inf if no source can be reached), ``source_pos``
            (position of the nearest source in ``sources``, -1 if none).
        """

    @abstractmethod
    def catchments(self, sources: Points, targets: Points, max_time_s: float) -> pd.DataFrame:
        """Every (source, target) pair within ``max_time_s``.

        Returns
        -------
        DataFrame
            ``source_pos``, ``target_pos`` (positions in the inputs), ``time_s``; sorted by source then target.
        """

    @abstractmethod
    def od_matrix_s(self, origins: Points, destinations: Points, max_time_s: float | None = None) -> np.ndarray:
        """Times from every origin to every destination (seconds).

        Returns
        -------
        ndarray
            ``n_origins × n_destinations`` float64; ``np.inf`` where unreachable or beyond ``max_time_s``.
        """

    def prepare(self, points: Points, role: str = "points") -> Snapped:
        """Read points once (check, reproject, and on a network snap them) for repeated queries.

        The result can be passed wherever points are expected, and subset with :meth:`Snapped.take`.
        """
        if isinstance(points, Snapped):
            return points
        x, y, index = self._xy(points, role)
        n = len(x)
        return Snapped(index, x, y, np.full(n, -1, dtype=np.int64), np.zeros(n), np.zeros(n), np.ones(n, dtype=bool))

    # --- input handling -----------------------------------------------------------------------------------------

    def _xy(self, points: Points, role: str) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """Coordinates of Point geometries in the model's CRS; every bad row reported at once."""
        if isinstance(points, Snapped):
            return points.x, points.y, points.index
        if isinstance(points, gpd.GeoDataFrame):
            points = points.geometry
        if not isinstance(points, gpd.GeoSeries):
            raise TypeError(f"{role}: expected a GeoDataFrame or GeoSeries of points, got {type(points).__name__}")
        problems = ProblemList(role, row_base=0)
        if points.crs is None:
            problems.add(f"{role} 没有坐标参考系 (CRS)。请用 set_crs 指定。",
                         f"{role} has no CRS; set it with set_crs")
            problems.raise_if_errors()
        if not pyproj.CRS.from_user_input(points.crs).equals(self.crs):
            points = points.to_crs(self.crs)
        kinds = shapely.get_type_id(points.to_numpy())
        for pos in np.flatnonzero((kinds != shapely.GeometryType.POINT) | points.is_empty.to_numpy()):
            problems.add("几何应是点 (不是空值、线或面)。", "geometry must be a point (not empty, a line or a polygon)",
                         row=int(pos) + 1, column="geometry", value=str(points.index[pos]))
        problems.raise_if_errors()
        xy = shapely.get_coordinates(points.to_numpy())
        for pos in np.flatnonzero(~np.isfinite(xy).all(axis=1)):
            problems.add("坐标中有空值或无穷大。", "coordinates must be finite", row=int(pos) + 1, column="geometry",
                         value=str(points.index[pos]))
        problems.raise_if_errors()
        return xy[:, 0], xy[:, 1], points.index

    def _record_unreachable(self, role: str, index: pd.Index, x, y, dist) -> None:
        for i, xi, yi, d in zip(index, x, y, dist):
            self._unreachable[(role, i)] = (role, i, float(d), float(xi), float(yi))


class StraightLineTravelModel(TravelModel):
    """Time = straight-line distance × ``circuity_factor`` / walking speed (the fallback without a network).

    Parameters
    ----------
    crs
        Metric CRS of the analysis.
    walk_speed_kph
        Walking speed (default :data:`svcov.settings.walk_speed_kph`).
    circuity_factor
        Network distance / straight-line distance (default :data:`svcov.settings.circuity_factor`).
    """

    mode = "straight_line"
    is_fallback = True

    def __init__(self, crs: Any, *, walk_speed_kph: float = settings.walk_speed_kph,
                 circuity_factor: float = settings.circuity_factor, profile: str = "walk",
                 profile_name_zh: str = "步行"):
        super().__init__(crs, walk_speed_kph, profile=profile, profile_name_zh=profile_name_zh)
        if not (isinstance(circuity_factor, (int, float)) and 1.0 <= circuity_factor <= 5.0):
            raise ArgumentError(f"绕行系数应在 1-5 之间 (circuity_factor must be in [1, 5]), got {circuity_factor}")
        self.circuity_factor = float(circuity_factor)
        self._s_per_m = self.circuity_factor / self.speed_mps

    @property
    def description_zh(self) -> str:
        name = self.profile_name_zh
        return (f"估算: 未加载路网, {name}时间按直线距离 × {self.circuity_factor:g} (绕行系数) ÷ "
                f"{self.walk_speed_kph:g} 公里/小时计算, 不是沿道路的实际{name}时间。")

    @property
    def description_en(self) -> str:
        return (f"Estimate: no road network loaded; walking time = straight-line distance × {self.circuity_factor:g} "
                f"(circuity factor) at {self.walk_speed_kph:g} km/h, not the time along real streets.")

    def radius_m(self, time_s: float) -> float:
        """Straight-line distance walked in ``time_s``."""
        return float(time_s) / self._s_per_m

    def nearest(self, sources: Points, targets: Points) -> pd.DataFrame:
        sx, sy, _ = self._xy(sources, "sources")
        tx, ty, index = self._xy(targets, "targets")
        if len(sx) == 0:
            return pd.DataFrame({"time_s": np.full(len(tx), np.inf), "source_pos": np.full(len(tx), -1)}, index=index)
        dist, pos = cKDTree(np.c_[sx, sy]).query(np.c_[tx, ty]) if len(tx) else (np.zeros(0), np.zeros(0, int))
        return pd.DataFrame({"time_s": np.asarray(dist, dtype=np.float64) * self._s_per_m,
                             "source_pos": np.asarray(pos, dtype=np.int64)}, index=index)

    def catchments(self, sources: Points, targets: Points, max_time_s: float) -> pd.DataFrame:
        sx, sy, _ = self._xy(sources, "sources")
        tx, ty, _ = self._xy(targets, "targets")
        if len(sx) == 0 or len(tx) == 0:
            return empty_catchments()
        found = cKDTree(np.c_[tx, ty]).query_ball_point(np.c_[sx, sy], r=self.radius_m(max_time_s) * (1 + 1e-12))
        counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
        tpos = np.fromiter((t for f in found for t in f), dtype=np.int64, count=int(counts.sum()))
        spos = np.repeat(np.arange(len(sx)), counts)
        time_s = np.hypot(tx[tpos] - sx[spos], ty[tpos] - sy[spos]) * self._s_per_m
        keep = time_s <= max_time_s
        return catchment_frame(spos[keep], tpos[keep], time_s[keep])

    def od_matrix_s(self, origins: Points, destinations: Points, max_time_s: float | None = None) -> np.ndarray:
        ox_, oy, _ = self._xy(origins, "origins")
        dx, dy, _ = self._xy(destinations, "destinations")
        out = np.hypot(ox_[:, None] - dx[None, :], oy[:, None] - dy[None, :]) * self._s_per_m
        if max_time_s is not None:
            out[out > max_time_s] = np.inf
        return out


def empty_catchments() -> pd.DataFrame:
    return catchment_frame(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def catchment_frame(s: np.ndarray, t: np.ndarray, time_s: np.ndarray, sort: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame({"source_pos": s.astype(np.int64), "target_pos": t.astype(np.int64),
                          "time_s": time_s.astype(np.float64)})
    return frame.sort_values(["source_pos", "target_pos"]).reset_index(drop=True) if sort else frame
