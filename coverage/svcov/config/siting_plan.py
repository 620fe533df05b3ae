"""Keys of the ``siting`` section about the plan as a whole: phasing, places per new site and the place target,
the other legs of the layout (托班 conversions, guidance stations...), and the coverage-against-sites curve.

Each leg is written like the ``siting`` section itself (its own ``facility_type``, candidates, plan and zone rules),
plus ``key``, ``label_zh`` and ``action`` (``new``: new sites on candidates; ``conversion``: existing facilities,
given by a ``facilities`` candidate source, are converted). Keys it does not give are taken from the section
(:data:`INHERITED`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import ProblemList
from ..vocabulary import SITING_ACTIONS, SITING_PHASINGS
from ..yamlio import LineDict, check_keys, line_of
from .fields import number

__all__ = ["PlacesPerSite", "PlaceTarget", "SitingLeg", "parse_places", "parse_place_target", "parse_phasing",
           "parse_legs", "INHERITED", "LEG_KEYS"]

#: Keys a leg takes from the ``siting`` section when it does not give them.
INHERITED = ("threshold_min", "time_limit_s", "method", "mip_rel_gap", "n_alternatives", "compounds",
             "rule_deadline_year", "capacity_per_new_site", "capacity_places_unknown")
#: Keys of a leg beyond those of the section.
LEG_KEYS = ("key", "label_zh", "action", "id_prefix")
#: Keys of the section a leg may not give (they concern the plan as a whole).
PLAN_ONLY = ("legs", "place_target", "tradeoff_max_k", "tradeoff_shares", "compare_phasing", "options")


@dataclass(frozen=True)
class PlacesPerSite:
    """Places (托位) of one new site of a type, and where the number comes from."""

    places: float
    source_zh: str
    is_estimate: bool = True


@dataclass(frozen=True)
class PlaceTarget:
    """The plan's place target: ``places`` new places by ``by_year`` from the new sites of ``types`` (all if
    empty); ``label_zh`` quotes the plan."""

    places: float
    by_year: int | None
    label_zh: str
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class SitingLeg:
    """One more leg of the plan: its own siting settings (a :class:`~svcov.config.siting.SitingConfig`)."""

    key: str
    label_zh: str
    action: str
    id_prefix: str
    siting: Any


def parse_phasing(m: dict, p: ProblemList, where: str = "siting") -> str:
    value = str(m.get("phasing", "efficiency"))
    if value not in SITING_PHASINGS:
        p.add(f"{where}.phasing 应是 efficiency (效率优先) 或 equity (公平优先: 先提高覆盖率最低的街镇)。",
              f"{where}.phasing must be efficiency or equity", row=line_of(m, "phasing"), column="phasing",
              value=value)
        return "efficiency"
    return value


def parse_places(m: dict, p: ProblemList, known: set[str]) -> Mapping[str, PlacesPerSite]:
    """``capacity_per_new_site: {type: {places: 40, source_zh: ..., is_estimate: true}}``."""
    raw = m.get("capacity_per_new_site") or {}
    out = {}
    if not isinstance(raw, dict):
        p.add("siting.capacity_per_new_site 应是 {类型: {places: 容量 (如托位数), source_zh: 来源}}。",
              "siting.capacity_per_new_site must map a type to {places, source_zh}",
              row=line_of(m, "capacity_per_new_site"), column="capacity_per_new_site", value=raw)
        return MappingProxyType({})
    for key, spec in raw.items():
        where = f"siting.capacity_per_new_site.{key}"
        if str(key) not in known:
            p.add(f"{where}: 「{key}」不是已声明的类型。", f"{where}: {key!r} is not a declared type",
                  row=line_of(raw, key), column=str(key), value=key)
        if not isinstance(spec, dict):
            p.add(f"{where} 应是 {{places: 容量 (如托位数), source_zh: 来源}}。", f"{where} must be {{places, source_zh}}",
                  row=line_of(raw, key), column=str(key), value=spec)
            continue
        check_keys(spec, {"places", "source_zh", "is_estimate"}, where, p, required=("places", "source_zh"))
        estimate = spec.get("is_estimate", True)
        if not isinstance(estimate, bool):
            p.add(f"{where}.is_estimate 应是 true 或 false。", f"{where}.is_estimate must be true or false",
                  row=line_of(spec, "is_estimate"), column="is_estimate", value=estimate)
            estimate = True
        if not str(spec.get("source_zh", "")).strip() and "source_zh" in spec:
            p.add(f"{where}.source_zh 不能为空: 请写明容量 (如托位数) 的来源 (规划、标准或假设)。",
                  f"{where}.source_zh must say where the number comes from", row=line_of(spec, "source_zh"),
                  column="source_zh")
        out[str(key)] = PlacesPerSite(number(spec, "places", 0.0, p, where, lo_open=False),
                                      str(spec.get("source_zh", "")), estimate)
    return MappingProxyType(out)


def parse_place_target(m: dict, p: ProblemList, known: set[str]) -> PlaceTarget | None:
    """``place_target: {places: 600, by_year: 2023, label_zh: ..., types: [...]}``."""
    raw = m.get("place_target")
    if raw is None:
        return None
    where = "siting.place_target"
    if not isinstance(raw, dict):
        p.add(f"{where} 应是 {{places: 容量 (如托位数), by_year: 年份, label_zh: 规划原文}}。", f"{where} must be a mapping",
              row=line_of(m, "place_target"), column="place_target", value=raw)
        return None
    check_keys(raw, {"places", "by_year", "label_zh", "types"}, where, p, required=("places", "label_zh"))
    year = raw.get("by_year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        p.add(f"{where}.by_year 应是年份。", f"{where}.by_year must be a year", row=line_of(raw, "by_year"),
              column="by_year", value=year)
        year = None
    types = raw.get("types") or []
    types = [types] if isinstance(types, str) else list(types)
    for t in types:
        if str(t) not in known:
            p.add(f"{where}.types: 「{t}」不是已声明的类型。", f"{where}.types: {t!r} is not a declared type",
                  row=line_of(raw, "types"), column="types", value=t)
    return PlaceTarget(number(raw, "places", 0.0, p, where), year, str(raw.get("label_zh", "")),
                       tuple(str(t) for t in types))


def _leg_mapping(main: dict, leg: dict) -> LineDict:
    merged = LineDict()
    merged.line, merged.lines = getattr(leg, "line", 0), dict(getattr(leg, "lines", {}))
    for key in INHERITED:
        if key in main and key not in leg:
            merged[key] = main[key]
            merged.lines[key] = line_of(main, key)
    for key, value in leg.items():
        if key not in LEG_KEYS:
            merged[key] = value
    return merged


def parse_legs(m: dict, p: ProblemList, parse_one: Callable[[dict, str], Any], allowed: set[str]
               ) -> tuple[SitingLeg, ...]:
    """The ``legs`` list; ``parse_one(mapping, where)`` parses a leg's siting keys like the section's."""
    raw = m.get("legs") or []
    if not isinstance(raw, list):
        p.add("siting.legs 应是列表, 每项一个布局环节 (key, label_zh, action, facility_type, ...)。",
              "siting.legs must be a list", row=line_of(m, "legs"), column="legs", value=raw)
        return ()
    out, seen = [], {""}
    for i, leg in enumerate(raw):
        where = f"siting.legs[{i}]"
        if not isinstance(leg, dict):
            p.add(f"{where} 应是映射。", f"{where} must be a mapping", row=line_of(m, "legs"), value=leg)
            continue
        leg_allowed = (allowed - set(PLAN_ONLY)) | set(LEG_KEYS)
        check_keys(leg, leg_allowed, where, p, required=("key", "label_zh", "facility_type"))
        key = str(leg.get("key", ""))
        if key in seen or not re.fullmatch(r"[A-Za-z0-9_\-]+", key):
            p.add(f"{where}.key 应是唯一的英文标识 (字母、数字、下划线、连字符)。",
                  f"{where}.key must be a unique identifier (letters, digits, _ and -)", row=line_of(leg, "key"),
                  column="key", value=key)
        seen.add(key)
        action = str(leg.get("action", "new"))
        if action not in SITING_ACTIONS:
            p.add(f"{where}.action 应是 new (新建) 或 conversion (改建现有设施)。",
                  f"{where}.action must be new or conversion", row=line_of(leg, "action"), column="action",
                  value=action)
        prefix = str(leg.get("id_prefix", (key[:1] or "L").upper()))
        if not re.fullmatch(r"[A-Za-z]{1,3}", prefix):
            p.add(f"{where}.id_prefix 应是 1-3 个英文字母 (选址编号的前缀)。", f"{where}.id_prefix must be 1-3 letters",
                  row=line_of(leg, "id_prefix"), column="id_prefix", value=prefix)
        out.append(SitingLeg(key, str(leg.get("label_zh", key)), action, prefix,
                             parse_one(_leg_mapping(m, leg), where)))
    return tuple(out)
