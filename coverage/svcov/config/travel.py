"""Sections ``travel`` and ``network``: walking speed, thresholds, the straight-line fallback and the road network."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import settings
from ..errors import ProblemList
from ..yamlio import check_keys, line_of
from .fields import boolean, existing_path, number, resolve_path

__all__ = ["TravelConfig", "NetworkConfig", "parse_travel", "parse_network"]


@dataclass(frozen=True)
class TravelConfig:
    """Walking speed, straight-line fallback and thresholds."""

    walk_speed_kph: float = settings.walk_speed_kph
    circuity_factor: float = settings.circuity_factor
    snap_max_m: float = settings.snap_max_m
    thresholds_min: tuple[int, ...] = settings.thresholds_min


@dataclass(frozen=True)
class NetworkConfig:
    """Road network: ``source`` is ``None`` (straight-line fallback), ``"osm_download"`` or a file path.

    ``snap_tolerance_m`` and ``split_crossings`` apply to road centre-line layers (see
    :func:`svcov.network.lines.network_from_lines`).
    """

    source: str | Path | None = None
    place: str | None = None
    cache_dir: Path | None = None
    snap_tolerance_m: float = settings.line_snap_tolerance_m
    split_crossings: bool = True


def parse_travel(m: dict, p: ProblemList) -> TravelConfig:
    check_keys(m, {"walk_speed_kph", "circuity_factor", "snap_max_m", "thresholds_min"}, "travel", p)
    thresholds = m.get("thresholds_min", list(settings.thresholds_min))
    if not (isinstance(thresholds, list) and thresholds
            and all(isinstance(t, int) and not isinstance(t, bool) and 0 < t <= 120 for t in thresholds)):
        p.add("travel.thresholds_min 应是 1-120 分钟的整数列表, 例如 [5, 10, 15]。",
              "travel.thresholds_min must be a list of whole minutes 1-120", row=line_of(m, "thresholds_min"),
              column="thresholds_min", value=thresholds)
        thresholds = list(settings.thresholds_min)
    return TravelConfig(
        walk_speed_kph=number(m, "walk_speed_kph", settings.walk_speed_kph, p, "travel", hi=30.0),
        circuity_factor=number(m, "circuity_factor", settings.circuity_factor, p, "travel", lo=1.0, hi=5.0,
                                lo_open=False),
        snap_max_m=number(m, "snap_max_m", settings.snap_max_m, p, "travel"),
        thresholds_min=tuple(sorted(set(thresholds))),
    )


def parse_network(m: dict, base: Path, p: ProblemList) -> NetworkConfig:
    check_keys(m, {"source", "place", "cache_dir", "snap_tolerance_m", "split_crossings"}, "network", p)
    source = m.get("source")
    if source in (None, "none", "straight_line"):
        src: str | Path | None = None
    elif source == "osm_download":
        src = "osm_download"
    else:
        src = existing_path(m, "source", base, p, "network")
    cache = resolve_path(m["cache_dir"], base) if m.get("cache_dir") else None
    return NetworkConfig(source=src, place=None if m.get("place") is None else str(m["place"]), cache_dir=cache,
                         snap_tolerance_m=number(m, "snap_tolerance_m", settings.line_snap_tolerance_m, p, "network",
                                                  lo_open=False, hi=100.0),
                         split_crossings=boolean(m, "split_crossings", True, p, "network"))
