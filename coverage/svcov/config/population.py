"""Section ``population``: where the demand comes from (a grid, points, or the estimated surface) and the groups of
people it counts (``groups``: e.g. 0-3 岁儿童 for childcare, 60 岁及以上老人 for elderly care, 常住人口)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .. import settings
from ..errors import ArgumentError, ProblemList
from ..vocabulary import POPULATION_KINDS, RESERVED_DEMAND_COLUMNS, normalise_coord_system
from ..yamlio import LineDict, check_keys, line_of
from .fields import boolean, existing_path, number

__all__ = ["DemandGroup", "PopulationEstimate", "PopulationSource", "parse_population", "DEFAULT_GROUPS"]


@dataclass(frozen=True)
class DemandGroup:
    """One group of people the run counts (e.g. 0-3 岁儿童, 60 岁及以上老人, 常住人口): a column of the demand frame.

    Attributes
    ----------
    key
        Column of the demand frame and ``group`` of the coverage tables, e.g. ``elderly_60``.
    name_zh, name_en
        How tables and documents name the group, e.g. 「60 岁及以上老人」.
    short_zh
        A short name for tight places (map legend, 「没有覆盖的老人」); default ``name_zh``.
    unit_zh
        The counting word after a number (「约 1,234 人」).
    column, aliases
        The header of the count in a population file (``column``), or other headers accepted for it.
    share_of, share
        Derive the group as ``share`` × the count of group ``share_of`` (an estimate, labelled as one).
    total
        ``kind: estimate``: the district total spread over the estimated surface.
    """

    key: str
    name_zh: str
    name_en: str = ""
    short_zh: str = ""
    unit_zh: str = "人"
    column: str | None = None
    aliases: tuple[str, ...] = ()
    share_of: str | None = None
    share: float | None = None
    total: float | None = None

    @property
    def label_zh(self) -> str:
        return self.short_zh or self.name_zh


@dataclass(frozen=True)
class PopulationEstimate:
    """How the default population surface is estimated when no population grid is supplied.

    Each group's district ``total`` (e.g. from the census) is spread over grid cells: ``compound_share`` of it in
    proportion to a Gaussian kernel (``kernel_sigma_m``) around residential compounds, the rest evenly over land.
    """

    source_zh: str
    compounds: Path | None
    compound_share: float = 0.7
    kernel_sigma_m: float = 300.0
    cell_size_m: float = settings.population_cell_size_m
    compounds_filter: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


#: The group of a configuration without ``population.groups``: everybody.
DEFAULT_GROUPS = (DemandGroup(key="residents", name_zh="常住人口", name_en="residents", short_zh="居民",
                              aliases=("pop", "pop_total", "population", "人口", "总人口", "人口数")),)


@dataclass(frozen=True)
class PopulationSource:
    """Where the demand comes from: ``kind`` is ``estimate``, ``raster``, ``vector`` or ``points``; and the groups
    of people it counts (``groups``; ``served_group`` is the one the service is for)."""

    kind: str
    label_zh: str
    is_estimate: bool
    path: Path | None = None
    groups: tuple[DemandGroup, ...] = DEFAULT_GROUPS
    served_group: str = "residents"
    band: int = 1
    band_group: str | None = None
    coord_system: str = "wgs84"
    estimate: PopulationEstimate | None = None

    def group(self, key: str | None = None) -> DemandGroup:
        """The group ``key`` (default: the served group)."""
        key = key or self.served_group
        for g in self.groups:
            if g.key == key:
                return g
        known = ", ".join(g.key for g in self.groups)
        raise ArgumentError(f"没有人群「{key}」; 已配置: {known} (no population group {key!r}; configured: {known})")

    @property
    def served(self) -> DemandGroup:
        return self.group(self.served_group)

    @property
    def group_keys(self) -> tuple[str, ...]:
        return tuple(g.key for g in self.groups)


#: Keys of earlier versions, with what to write instead.
_RENAMED = {
    "pop_0_3_column": "groups: [{key: children_0_3, name_zh: 0-3 岁儿童, column: 表头}]",
    "pop_total_column": "groups: [{key: residents, name_zh: 常住人口, column: 表头}]",
    "share_0_3": "groups: [{key: children_0_3, name_zh: 0-3 岁儿童, share_of: residents, share: 0.03}]",
    "band_value": "band_group: <组的 key>",
    "total_pop": "groups 中每组的 total", "total_0_3": "groups 中每组的 total",
}
_KEYS = {"kind", "label_zh", "is_estimate", "path", "groups", "served_group", "band", "band_group", "coord_system",
         "estimate"}
_GROUP_KEYS = {"key", "name_zh", "name_en", "short_zh", "unit_zh", "column", "aliases", "share_of", "share", "total"}
_ESTIMATE_KEYS = {"source_zh", "compounds", "compound_share", "kernel_sigma_m", "cell_size_m", "compounds_filter"}


def _renamed(m: dict, where: str, p: ProblemList) -> None:
    for key, instead in _RENAMED.items():
        if key in m:
            p.add(f"{where}.{key} 已不再使用: 人群改由 population.groups 配置 (见 data/README.md)。请改写为 {instead}。",
                  f"{where}.{key} is no longer used: configure population.groups instead (data/README.md)",
                  row=line_of(m, key), column=key, value=m[key])


def parse_population(m: dict, base: Path, p: ProblemList) -> PopulationSource:
    _renamed(m, "population", p)
    check_keys({k: v for k, v in m.items() if k not in _RENAMED}, _KEYS, "population", p, required=("kind",))
    kind = str(m.get("kind", "estimate"))
    if kind not in POPULATION_KINDS:
        p.add("population.kind 应是 estimate、raster (GeoTIFF)、vector (面网格) 或 points (CSV 点)。",
              "population.kind must be estimate, raster, vector or points", row=line_of(m, "kind"), column="kind",
              value=kind)
    groups = _groups(m, kind, p)
    estimate = _estimate(m, base, p) if kind == "estimate" else None
    if kind != "estimate" and "path" not in m:
        p.add(f"population.kind={kind} 需要 path。", f"population.kind={kind} needs a path", row=line_of(m),
              column="path")
    keys = [g.key for g in groups]
    served = str(m.get("served_group", keys[0] if keys else "residents"))
    if keys and served not in keys:
        p.add(f"population.served_group「{served}」不是 groups 中的组 ({', '.join(keys)})。",
              f"population.served_group {served!r} is not one of the groups", row=line_of(m, "served_group"),
              column="served_group", value=served)
        served = keys[0]
    band_group = _band_group(m, kind, groups, p)
    coord = normalise_coord_system(m.get("coord_system", "wgs84")) or "wgs84"
    return PopulationSource(kind=kind, label_zh=str(m.get("label_zh", "人口")),
                            is_estimate=boolean(m, "is_estimate", kind == "estimate", p, "population"),
                            path=existing_path(m, "path", base, p, "population"), groups=groups, served_group=served,
                            band=int(m.get("band", 1)), band_group=band_group, coord_system=coord, estimate=estimate)


def _estimate(m: dict, base: Path, p: ProblemList) -> PopulationEstimate:
    e = m.get("estimate") if isinstance(m.get("estimate"), dict) else LineDict()
    _renamed(e, "population.estimate", p)
    check_keys({k: v for k, v in e.items() if k not in _RENAMED}, _ESTIMATE_KEYS, "population.estimate", p)
    return PopulationEstimate(
        source_zh=str(e.get("source_zh", "")),
        compounds=existing_path(e, "compounds", base, p, "population.estimate.compounds"),
        compound_share=number(e, "compound_share", 0.7, p, "population.estimate", lo=0.0, hi=1.0, lo_open=False),
        kernel_sigma_m=number(e, "kernel_sigma_m", 300.0, p, "population.estimate"),
        cell_size_m=number(e, "cell_size_m", settings.population_cell_size_m, p, "population.estimate"),
        compounds_filter=MappingProxyType({str(k): str(v) for k, v in (e.get("compounds_filter") or {}).items()}),
    )


def _groups(m: dict, kind: str, p: ProblemList) -> tuple[DemandGroup, ...]:
    raw = m.get("groups")
    if raw is None:
        if kind == "estimate":
            p.add("population.kind: estimate 需要 groups, 每组给出全区总数 total, 例如 groups: [{key: residents, "
                  "name_zh: 常住人口, total: 1909713}]。", "an estimated population needs groups, each with its total",
                  row=line_of(m), column="groups")
        return DEFAULT_GROUPS
    if not isinstance(raw, list) or not raw or not all(isinstance(g, dict) for g in raw):
        p.add("population.groups 应是人群列表, 每组有 key 和 name_zh, 例如 [{key: elderly_60, name_zh: 60 岁及以上老人, "
              "column: 60岁及以上人口}]。", "population.groups must be a list of groups (key, name_zh, ...)",
              row=line_of(m, "groups"), column="groups", value=raw)
        return DEFAULT_GROUPS
    groups = tuple(_group(g, kind, p) for g in raw)
    _check_groups(groups, raw, kind, p)
    return groups


def _group(g: dict, kind: str, p: ProblemList) -> DemandGroup:
    check_keys(g, _GROUP_KEYS, "population.groups[]", p, required=("key", "name_zh"))
    key = str(g.get("key", ""))
    if not re.fullmatch(r"[a-z][a-z0-9_]*", key) or key in RESERVED_DEMAND_COLUMNS:
        p.add("人群的 key 应是小写英文、数字和下划线 (它是人口表的列名), 例如 elderly_60; 不能用 "
              f"{', '.join(RESERVED_DEMAND_COLUMNS)}。", "a group key must be lower-case ASCII letters, digits and '_' "
              "(it names a column of the demand frame)", row=line_of(g, "key"), column="key", value=key)
    share = None
    if g.get("share") is not None:
        share = number(g, "share", 0.0, p, f"population.groups[{key}]", lo=0.0, hi=1.0)
    total = None
    if g.get("total") is not None:
        total = number(g, "total", 0.0, p, f"population.groups[{key}]", lo_open=False)
    aliases = g.get("aliases") or []
    if not isinstance(aliases, list):
        p.add("aliases 应是列名列表。", "aliases must be a list of headers", row=line_of(g, "aliases"),
              column="aliases", value=aliases)
        aliases = []
    return DemandGroup(key=key, name_zh=str(g.get("name_zh", key)), name_en=str(g.get("name_en", key)),
                       short_zh=str(g.get("short_zh", "")), unit_zh=str(g.get("unit_zh", "人")),
                       column=None if g.get("column") is None else str(g["column"]),
                       aliases=tuple(str(a) for a in aliases),
                       share_of=None if g.get("share_of") is None else str(g["share_of"]), share=share, total=total)


def _check_groups(groups: tuple[DemandGroup, ...], raw: list, kind: str, p: ProblemList) -> None:
    keys = [g.key for g in groups]
    by_key = dict(zip(keys, groups))
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        p.add(f"人群 key「{dup}」重复。", f"group key {dup!r} is repeated", column="key", value=dup)
    for g, r in zip(groups, raw):
        if g.share_of is not None:
            base = by_key.get(g.share_of)
            if base is None or base.share_of is not None or g.share is None:
                p.add(f"人群「{g.key}」: share_of 应是另一个不靠推算的组, 并给出 share (0-1)。",
                      f"group {g.key!r}: share_of must name a group that is not itself derived, with a share",
                      row=line_of(r, "share_of"), column="share_of", value=g.share_of)
        elif kind == "estimate" and g.total is None:
            p.add(f"人群「{g.key}」: 估算人口需要 total (全区总数), 或用 share_of + share 从另一组推算。",
                  f"group {g.key!r}: an estimated population needs total (or share_of and share)", row=line_of(r),
                  column="total")


def _band_group(m: dict, kind: str, groups: tuple[DemandGroup, ...], p: ProblemList) -> str | None:
    if kind != "raster":
        return None
    direct = [g.key for g in groups if g.share_of is None]
    value = m.get("band_group", direct[0] if len(direct) == 1 else None)
    if value is None or str(value) not in direct:
        p.add(f"population.band_group 应是栅格值所计的人群 ({', '.join(direct) or '无'}); 其余的组用 share_of 推算。",
              "population.band_group must name the group the raster counts; derive the others with share_of",
              row=line_of(m, "band_group"), column="band_group", value=value)
        return direct[0] if direct else None
    if len(direct) > 1:
        p.add(f"栅格只有一个波段值, 只能直接给出一个人群; 其余的组 ({', '.join(k for k in direct if k != value)}) "
              "请用 share_of + share 推算。", "a raster band counts one group; derive the others with share_of",
              row=line_of(m, "groups"), column="groups")
    return str(value)
