"""The real straight-line travel model (``svcov.access.engine.StraightLineTravelModel``), recording which methods
the siting code calls, so tests can check that model building goes through ``catchments``/``od_matrix_s``."""

from __future__ import annotations

from svcov.access.engine import StraightLineTravelModel


class StraightLineTravel(StraightLineTravelModel):
    """Straight-line travel times in EPSG:32651 (the Songjiang runs' metric CRS), recording calls."""

    def __init__(self, walk_speed_kph: float = 4.0, circuity_factor: float = 1.3, crs: str = "EPSG:32651"):
        super().__init__(crs, walk_speed_kph=walk_speed_kph, circuity_factor=circuity_factor)
        self.calls: list[str] = []

    def od_matrix_s(self, *args, **kwargs):
        self.calls.append("od_matrix_s")
        return super().od_matrix_s(*args, **kwargs)

    def catchments(self, *args, **kwargs):
        self.calls.append("catchments")
        return super().catchments(*args, **kwargs)
