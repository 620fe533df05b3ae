"""Sections ``travel`` and ``network``: travel profiles (speeds), thresholds, the straight-line fallback and the road
network, with the check that the network covers the district."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .. import settings
from ..errors import ProblemList
from ..yamlio import check_keys, line_of
from .fields import boolean, existing_path, number, resolve_path

__all__ = ["TravelProfile", "TravelConfig", "NetworkConfig", "parse_travel", "parse_network"]


@dataclass(frozen=True)
class TravelProfile:
    """One way of getting about, computed in the same run as the others (e.g. 一般步行 4.0, 老人 3.0, 骑行 12).

    ``speed_by_highway`` gives other speeds on some OSM ``highway`` classes (e.g. a cyclist pushes the bike on
    ``footway`` and ``steps``): the engine keeps one time per road edge, so a profile's times need not follow
    from one speed.
    """

    key: str
    name_zh: str
    speed_kph: float
    name_en: str = ""
    speed_by_highway: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class TravelConfig:
    """Travel profiles, straight-line fallback and thresholds.

    ``walk_speed_kph`` is the speed of the single default profile (「步行」) when ``profiles`` is empty; with
    profiles it is the primary profile's speed.
    """

    walk_speed_kph: float = settings.walk_speed_kph
    circuity_factor: float = settings.circuity_factor
    snap_max_m: float = settings.snap_max_m
    thresholds_min: tuple[int, ...] = settings.thresholds_min
    profiles: tuple[TravelProfile, ...] = ()
    primary_profile: str | None = None

    def profile_list(self) -> tuple[TravelProfile, ...]:
        """Every profile of the run, the primary first (the default: one walking profile at ``walk_speed_kph``)."""
        if not self.profiles:
            return (TravelProfile("walk", "步行", self.walk_speed_kph, "walking"),)
        primary = self.primary_key
        return tuple(sorted(self.profiles, key=lambda t: t.key != primary))

    @property
    def primary_key(self) -> str:
        """Key of the profile that rules, siting and the main figures of the documents use."""
        if not self.profiles:
            return "walk"
        return self.primary_profile or self.profiles[0].key

    @property
    def primary(self) -> TravelProfile:
        return self.profile_list()[0]


@dataclass(frozen=True)
class NetworkConfig:
    """Road network: ``source`` is ``None`` (straight-line fallback), ``"osm_download"`` or a file path.

    ``snap_tolerance_m`` and ``split_crossings`` apply to road centre-line layers (see
    :func:`svcov.network.lines.network_from_lines`). ``min_fit_share`` is the network fit check: the share of the
    served population and of the facilities within ``travel.snap_max_m`` of a road, and of each 街镇's area inside
    the network's outline, below which the run stops (0 turns the check off).
    """

    source: str | Path | None = None
    place: str | None = None
    cache_dir: Path | None = None
    snap_tolerance_m: float = settings.line_snap_tolerance_m
    split_crossings: bool = True
    min_fit_share: float = settings.network_min_fit_share


_PROFILE_KEYS = {"key", "name_zh", "name_en", "speed_kph", "speed_by_highway"}


def parse_travel(m: dict, p: ProblemList) -> TravelConfig:
    check_keys(m, {"walk_speed_kph", "circuity_factor", "snap_max_m", "thresholds_min", "profiles",
                   "primary_profile"}, "travel", p)
    thresholds = m.get("thresholds_min", list(settings.thresholds_min))
    if not (isinstance(thresholds, list) and thresholds
            and all(isinstance(t, int) and not isinstance(t, bool) and 0 < t <= 120 for t in thresholds)):
        p.add("travel.thresholds_min 应是 1-120 分钟的整数列表, 例如 [5, 10, 15]。",
              "travel.thresholds_min must be a list of whole minutes 1-120", row=line_of(m, "thresholds_min"),
              column="thresholds_min", value=thresholds)
        thresholds = list(settings.thresholds_min)
    profiles = _profiles(m, p)
    primary = _primary(m, profiles, p)
    speed = number(m, "walk_speed_kph", settings.walk_speed_kph, p, "travel", hi=30.0)
    if profiles:
        speed = next(t.speed_kph for t in profiles if t.key == primary)
    return TravelConfig(
        walk_speed_kph=speed,
        circuity_factor=number(m, "circuity_factor", settings.circuity_factor, p, "travel", lo=1.0, hi=5.0,
                                lo_open=False),
        snap_max_m=number(m, "snap_max_m", settings.snap_max_m, p, "travel"),
        thresholds_min=tuple(sorted(set(thresholds))),
        profiles=profiles,
        primary_profile=primary,
    )


def _profiles(m: dict, p: ProblemList) -> tuple[TravelProfile, ...]:
    raw = m.get("profiles")
    if raw is None:
        return ()
    if "walk_speed_kph" in m:
        p.add("travel.walk_speed_kph 与 travel.profiles 不能同时使用: 请把速度写在每个出行方式的 speed_kph 中。",
              "travel.walk_speed_kph and travel.profiles cannot be used together; give each profile its speed_kph",
              row=line_of(m, "walk_speed_kph"), column="walk_speed_kph")
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        p.add("travel.profiles 应是出行方式列表, 例如 [{key: walk, name_zh: 一般步行, speed_kph: 4.0}]。",
              "travel.profiles must be a list of profiles (key, name_zh, speed_kph)", row=line_of(m, "profiles"),
              column="profiles", value=raw)
        return ()
    out = [_profile(t, p) for t in raw]
    keys = [t.key for t in out]
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        p.add(f"出行方式 key「{dup}」重复。", f"profile key {dup!r} is repeated", row=line_of(m, "profiles"),
              column="key", value=dup)
    return tuple(out)


def _profile(t: dict, p: ProblemList) -> TravelProfile:
    check_keys(t, _PROFILE_KEYS, "travel.profiles[]", p, required=("key", "name_zh", "speed_kph"))
    key = str(t.get("key", ""))
    where = f"travel.profiles[{key}]"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
        p.add("出行方式的 key 应是小写英文、数字和下划线, 例如 elderly_walk。",
              "a profile key must be lower-case ASCII letters, digits and '_'", row=line_of(t, "key"), column="key",
              value=key)
    by_highway = t.get("speed_by_highway") or {}
    if not isinstance(by_highway, dict):
        p.add(f"{where}.speed_by_highway 应是「道路类别: 速度」的映射, 例如 {{footway: 4.0, steps: 2.0}}。",
              f"{where}.speed_by_highway must map OSM highway classes to speeds", row=line_of(t, "speed_by_highway"),
              column="speed_by_highway", value=by_highway)
        by_highway = {}
    speeds = {str(k): number(by_highway, k, settings.walk_speed_kph, p, f"{where}.speed_by_highway", hi=60.0)
              for k in by_highway}
    return TravelProfile(key=key, name_zh=str(t.get("name_zh", key)), name_en=str(t.get("name_en", key)),
                         speed_kph=number(t, "speed_kph", settings.walk_speed_kph, p, where, hi=60.0),
                         speed_by_highway=MappingProxyType(speeds))


def _primary(m: dict, profiles: tuple[TravelProfile, ...], p: ProblemList) -> str | None:
    value = m.get("primary_profile")
    if value is None:
        return profiles[0].key if profiles else None
    keys = [t.key for t in profiles]
    if str(value) not in keys:
        p.add(f"travel.primary_profile「{value}」不是 travel.profiles 中的出行方式 ({', '.join(keys) or '无'})。",
              "travel.primary_profile must be the key of one of travel.profiles", row=line_of(m, "primary_profile"),
              column="primary_profile", value=value)
        return keys[0] if keys else None
    return str(value)


def parse_network(m: dict, base: Path, p: ProblemList) -> NetworkConfig:
    check_keys(m, {"source", "place", "cache_dir", "snap_tolerance_m", "split_crossings", "min_fit_share"}, "network",
               p)
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
                         split_crossings=boolean(m, "split_crossings", True, p, "network"),
                         min_fit_share=number(m, "min_fit_share", settings.network_min_fit_share, p, "network",
                                              lo_open=False, hi=1.0))
