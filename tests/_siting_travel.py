"""A tiny stand-in for ``coverage.access.engine.TravelModel`` (the contract in docs/DEVELOPING.md) used by the
siting tests: time = straight-line distance × circuity / walking speed. It lives in the tests, not the package."""

from __future__ import annotations

import numpy as np
import pandas as pd


class StraightLineTravel:
    """Straight-line travel times between point frames (metric CRS)."""

    mode = "straight_line"
    is_fallback = True

    def __init__(self, walk_speed_kph: float = 4.0, circuity_factor: float = 1.3):
        self.walk_speed_kph = walk_speed_kph
        self.circuity_factor = circuity_factor
        self.s_per_m = circuity_factor / (walk_speed_kph / 3.6)
        self.calls: list[str] = []

    @property
    def description_zh(self) -> str:
        return f"测试: 直线距离 × {self.circuity_factor:g} ÷ {self.walk_speed_kph:g} 公里/小时"

    @staticmethod
    def _xy(points) -> np.ndarray:
        geom = points.geometry if hasattr(points, "geometry") else points
        return np.c_[geom.x.to_numpy(), geom.y.to_numpy()]

    def od_matrix_s(self, origins, destinations, max_time_s=None) -> np.ndarray:
        self.calls.append("od_matrix_s")
        a, b = self._xy(origins), self._xy(destinations)
        out = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) * self.s_per_m
        if max_time_s is not None:
            out[out > max_time_s] = np.inf
        return out

    def catchments(self, sources, targets, max_time_s) -> pd.DataFrame:
        self.calls.append("catchments")
        t = self.od_matrix_s(sources, targets, max_time_s)
        s, g = np.nonzero(np.isfinite(t))
        return pd.DataFrame({"source_pos": s, "target_pos": g, "time_s": t[s, g]})
