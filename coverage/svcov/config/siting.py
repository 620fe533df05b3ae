"""Section ``siting``: the site-selection step (model, plan years, candidates, zone rules, solver)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import ProblemList
from ..vocabulary import CANDIDATE_KINDS, SITING_METHODS, SITING_MODELS
from ..yamlio import check_keys, line_of
from .fields import boolean, existing_path, number, resolve_path
from .siting_plan import (
    PlacesPerSite,
    PlaceTarget,
    SitingLeg,
    parse_legs,
    parse_phasing,
    parse_place_target,
    parse_places,
)

__all__ = ["SitingConfig", "parse_siting", "PlacesPerSite", "PlaceTarget", "SitingLeg"]


@dataclass(frozen=True)
class SitingConfig:
    """Settings of the site-selection step (see :mod:`svcov.siting`); keys of the ``siting:`` section.

    Attributes
    ----------
    facility_type
        Type of the new sites (e.g. ``inclusive_childcare_point``).
    count_existing
        Type or group whose existing facilities count as covering (default: the first group of ``facility_type``,
        e.g. ``inclusive_childcare``, the 15-minute circle).
    model
        ``mclp`` (maximal covering), ``lscp`` (fewest sites for ``target_share``), ``p_median`` (least total
        child-weighted time) or ``capacitated`` (coverage up to each facility's places).
    threshold_min
        Walking minutes within which a child counts as covered.
    sites_per_year
        ``{year: k}`` or ``{year: [k_min, k_max]}``: the phased plan (each year builds on the earlier ones).
    k
        New sites of a one-round plan when ``sites_per_year`` is empty.
    candidates
        Candidate sources, each ``{kind: file|pois|grid|clusters, ...}`` (see :mod:`svcov.siting.candidates`).
    min_spacing_m, min_distance_to_existing_m
        Minimum distance between candidates (so between new sites), and from new sites to existing facilities.
    exclusions
        Polygon files where no site may go.
    require_in_each_jiezhen
        Every 街镇 without a facility of ``facility_type`` gets at least one new site by ``rule_deadline_year``
        (default the last of ``years``); ``rule_label_zh`` says the rule in words (e.g. the plan's "3个一").
    rule_ids
        Rules of the rule file whose 未达标/数据不足 街镇 must get a site (used when the rule table is available).
    max_per_jiezhen
        Most new sites in one 街镇 over the plan (``None``: no limit).
    target_share
        ``lscp``: share (0-1) of all children to cover.
    max_time_min
        ``p_median``: times above this count as this; ``p_center``: children farther than this from every facility
        and candidate are left out (default twice ``threshold_min``).
    capacity_places_new, capacity_places_unknown
        ``capacitated``: places of a new site, and of existing facilities whose register gives none.
    method, time_limit_s, mip_rel_gap
        ``mip`` (exact), ``heuristic`` or ``auto``; solver time limit; relative gap counted as optimal.
    compounds
        ``{path, fclass}``: residential compounds named in the memos (default: the population estimate's).
    n_alternatives
        Alternatives listed per proposed site.
    phasing
        ``efficiency`` (the most children covered, summed over the plan years) or ``equity`` (the worst-served 街镇
        first: lexicographic, the fewest 街镇-years left at 0 %, then coverage; ``mclp`` only,
        :mod:`svcov.siting.equity`).
    compare_phasing
        Also solve the other phasing and report both (children covered per year, lowest 街镇 share).
    capacity_per_new_site
        Type → :class:`~svcov.config.siting_plan.PlacesPerSite` (places of one new site and their source); the
        proposals, memos and report sum them per year, and ``capacitated`` uses them.
    place_target
        The plan's place target (:class:`~svcov.config.siting_plan.PlaceTarget`), e.g. 600 by 2023.
    min_per_jiezhen
        Every 街镇 has at least this many of ``facility_type`` (existing ones count) by the rule year, e.g. 1 for
        the guidance stations' "1-2 per 街镇"; ``max_per_jiezhen`` then counts existing ones too.
    legs
        More legs of the layout, each with its own type, candidates, plan and zone rules
        (:class:`~svcov.config.siting_plan.SitingLeg`).
    tradeoff_max_k, tradeoff_shares
        The coverage-against-sites curve of the main leg: k = 1 … ``tradeoff_max_k`` (default the plan's total; 0:
        none) and the shares whose fewest sites are read off it.
    """

    facility_type: str | None = None
    model: str = "mclp"
    threshold_min: int = 15
    sites_per_year: Mapping[int, Any] = field(default_factory=lambda: MappingProxyType({}))
    candidates: tuple[Mapping[str, Any], ...] = ()
    min_spacing_m: float = 0.0
    time_limit_s: float = 60.0
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    count_existing: str | None = None
    k: int | None = None
    min_distance_to_existing_m: float = 0.0
    exclusions: tuple[Path, ...] = ()
    require_in_each_jiezhen: bool = True
    rule_label_zh: str | None = None
    rule_deadline_year: int | None = None
    rule_ids: tuple[str, ...] = ()
    max_per_jiezhen: int | None = None
    target_share: float = 1.0
    max_time_min: float | None = None
    capacity_places_new: float | None = None
    capacity_places_unknown: float | None = None
    method: str = "mip"
    mip_rel_gap: float = 1e-4
    compounds: Mapping[str, Any] | None = None
    n_alternatives: int = 3
    phasing: str = "efficiency"
    compare_phasing: bool = True
    capacity_per_new_site: Mapping[str, PlacesPerSite] = field(default_factory=lambda: MappingProxyType({}))
    place_target: PlaceTarget | None = None
    min_per_jiezhen: int | None = None
    legs: tuple[SitingLeg, ...] = ()
    tradeoff_max_k: int | None = None
    tradeoff_shares: tuple[float, ...] = (0.8, 0.9, 0.95)


def parse_siting(m: dict, base: Path, p: ProblemList, known: set[str], where: str = "siting") -> SitingConfig:
    """The ``siting`` section (``where`` names it in messages; a leg of ``legs`` is parsed by the same function)."""
    allowed = {f.name for f in dataclasses.fields(SitingConfig)}
    if where == "siting":
        check_keys(m, allowed, "siting", p)
    ftype = m.get("facility_type")
    for key in ("facility_type", "count_existing"):
        if m.get(key) is not None and str(m[key]) not in known:
            p.add(f"{where}.{key}「{m[key]}」不是已声明的类型或组。", f"{where}.{key} {m[key]!r} is not a declared type or group",
                  row=line_of(m, key), column=key, value=m[key])
    model = str(m.get("model", "mclp"))
    if model not in SITING_MODELS:
        p.add(f"{where}.model 应是 {', '.join(SITING_MODELS)} 之一。", f"{where}.model must be one of {SITING_MODELS}",
              row=line_of(m, "model"), column="model", value=model)
    method = str(m.get("method", "mip"))
    if method not in SITING_METHODS:
        p.add(f"{where}.method 应是 mip (精确求解)、heuristic (启发式) 或 auto。", f"{where}.method must be mip, heuristic or auto",
              row=line_of(m, "method"), column="method", value=method)
    opt_num = (lambda key, **kw: None if m.get(key) is None else number(m, key, 0.0, p, where, **kw))
    opt_int = (lambda key: None if m.get(key) is None else _count(m, key, p))
    return SitingConfig(
        facility_type=None if ftype is None else str(ftype),
        model=model,
        threshold_min=int(number(m, "threshold_min", 15, p, "siting", hi=120)),
        sites_per_year=_sites_per_year(m, p),
        candidates=tuple(_candidate_sources(m, base, p, known)),
        min_spacing_m=number(m, "min_spacing_m", 0.0, p, "siting", lo_open=False),
        time_limit_s=number(m, "time_limit_s", 60.0, p, "siting"),
        options=MappingProxyType(dict(m.get("options") or {})),
        count_existing=None if m.get("count_existing") is None else str(m["count_existing"]),
        k=opt_int("k"),
        min_distance_to_existing_m=number(m, "min_distance_to_existing_m", 0.0, p, "siting", lo_open=False),
        exclusions=_exclusions(m, base, p),
        require_in_each_jiezhen=boolean(m, "require_in_each_jiezhen", True, p, "siting"),
        rule_label_zh=None if m.get("rule_label_zh") is None else str(m["rule_label_zh"]),
        rule_deadline_year=opt_int("rule_deadline_year"),
        rule_ids=tuple(str(r) for r in (m.get("rule_ids") or [])),
        max_per_jiezhen=opt_int("max_per_jiezhen"),
        target_share=number(m, "target_share", 1.0, p, "siting", hi=1.0),
        max_time_min=opt_num("max_time_min"),
        capacity_places_new=opt_num("capacity_places_new"),
        capacity_places_unknown=opt_num("capacity_places_unknown", lo_open=False),
        method=method,
        mip_rel_gap=number(m, "mip_rel_gap", 1e-4, p, "siting", lo=0.0, hi=1.0, lo_open=False),
        compounds=_siting_compounds(m, base, p),
        n_alternatives=int(_count(m, "n_alternatives", p) if "n_alternatives" in m else 3),
        **_plan_keys(m, base, p, known, where, allowed, opt_int),
    )


def _plan_keys(m: dict, base: Path, p: ProblemList, known: set[str], where: str, allowed: set[str], opt_int) -> dict:
    """Phasing, places, place target, legs and the trade-off curve (:mod:`svcov.config.siting_plan`)."""
    out = {"phasing": parse_phasing(m, p, where), "capacity_per_new_site": parse_places(m, p, known),
           "min_per_jiezhen": opt_int("min_per_jiezhen")}
    if where != "siting":
        return out
    shares = m.get("tradeoff_shares", [0.8, 0.9, 0.95])
    if not (isinstance(shares, list) and all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= 1
                                             for x in shares)):
        p.add("siting.tradeoff_shares 应是 0-1 之间的覆盖率列表, 例如 [0.8, 0.9, 0.95]。",
              "siting.tradeoff_shares must be a list of shares in (0, 1]", row=line_of(m, "tradeoff_shares"),
              column="tradeoff_shares", value=shares)
        shares = [0.8, 0.9, 0.95]
    out.update(compare_phasing=boolean(m, "compare_phasing", True, p, where),
               place_target=parse_place_target(m, p, known),
               legs=parse_legs(m, p, lambda leg, at: parse_siting(leg, base, p, known, where=at), allowed),
               tradeoff_max_k=opt_int("tradeoff_max_k"), tradeoff_shares=tuple(float(x) for x in shares))
    return out


def _exclusions(m: dict, base: Path, p: ProblemList) -> tuple[Path, ...]:
    out = []
    for item in m.get("exclusions") or []:
        path = resolve_path(item, base)
        if not path.exists():
            p.add(f"siting.exclusions: 文件不存在 {path}。请检查路径 (相对路径以配置文件所在目录为准)。",
                  f"siting.exclusions: file not found {path}", row=line_of(m, "exclusions"), column="exclusions",
                  value=str(item))
        out.append(path)
    return tuple(out)


def _count(m: dict, key: str, p: ProblemList) -> int | None:
    value = m.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        p.add(f"siting.{key} 应是非负整数。", f"siting.{key} must be a whole number >= 0", row=line_of(m, key),
              column=key, value=value)
        return None
    return value


def _sites_per_year(m: dict, p: ProblemList) -> Mapping[int, Any]:
    per_year = m.get("sites_per_year") or {}
    out = {}
    ok = isinstance(per_year, dict)
    for year, v in (per_year.items() if ok else []):
        pair = isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
        if isinstance(year, int) and ((isinstance(v, int) and not isinstance(v, bool) and v >= 0)
                                      or (pair and 0 <= v[0] <= v[1])):
            out[int(year)] = int(v) if isinstance(v, int) else (int(v[0]), int(v[1]))
        else:
            ok = False
    if not ok:
        p.add("siting.sites_per_year 应是 {年份: 个数} 或 {年份: [下限, 上限]}, 例如 {2021: 6} 或 {2021: [5, 7]}。",
              "siting.sites_per_year must map year to a count or [min, max]", row=line_of(m, "sites_per_year"),
              column="sites_per_year", value=per_year)
    return MappingProxyType(out)


def _facility_candidates(c: dict, p: ProblemList, known: set[str]) -> None:
    """``{kind: facilities, types: [...], where: {flag attribute: [false, unknown]}, exclude_name_pattern: ...}``
    (the attribute must be a flag of the type file: checked when the candidates are built)."""
    where = "siting.candidates (facilities)"
    types = c.get("types") or []
    for t in [types] if isinstance(types, str) else types:
        if str(t) not in known:
            p.add(f"{where}: 类型「{t}」未声明。", f"{where}: type {t!r} is not declared", row=line_of(c, "types"),
                  column="types", value=t)
    conditions = c.get("where") or {}
    if not isinstance(conditions, dict):
        p.add(f"{where}.where 应是 {{属性: [true, false, unknown]}}, 例如 {{has_nursery_class: [false, unknown]}}。",
              f"{where}.where must map a flag attribute to a list of true, false, unknown", row=line_of(c, "where"),
              column="where", value=conditions)
        conditions = {}
    for key, flags in conditions.items():
        flags = flags if isinstance(flags, list) else [flags]
        if not flags or any(f not in (True, False, "unknown") for f in flags):
            p.add(f"{where}.where.{key} 应是 true、false、unknown 的列表, 例如 [false, unknown]。",
                  f"{where}.where.{key} must list true, false or unknown", row=line_of(c, "where"),
                  column=f"where.{key}", value=conditions[key])
    pattern = c.get("exclude_name_pattern")
    if pattern is not None:
        try:
            re.compile(str(pattern))
        except re.error as exc:
            p.add(f"{where}.exclude_name_pattern 不是有效的正则表达式: {exc}。", f"{where}.exclude_name_pattern is not a "
                  f"valid regular expression: {exc}", row=line_of(c, "exclude_name_pattern"),
                  column="exclude_name_pattern", value=pattern)


def _candidate_sources(m: dict, base: Path, p: ProblemList, known: set[str]) -> list[Mapping[str, Any]]:
    out = []
    for c in m.get("candidates") or []:
        if not isinstance(c, dict):
            p.add("siting.candidates 的每一项应是映射, 例如 {kind: grid, spacing_m: 1000}。",
                  "each siting.candidates entry must be a mapping", row=line_of(m, "candidates"), value=c)
            continue
        kind = str(c.get("kind", ""))
        if kind not in CANDIDATE_KINDS:
            p.add(f"候选点来源 kind 应是 {', '.join(CANDIDATE_KINDS)} 之一。", f"candidate kind must be one of "
                  f"{', '.join(CANDIDATE_KINDS)}", row=line_of(c, "kind"), column="kind", value=c.get("kind"))
            continue
        spec = CANDIDATE_KINDS[kind]
        check_keys(c, spec.keys, f"siting.candidates ({kind})", p, required=spec.required)
        entry = dict(c)
        if kind == "facilities":
            _facility_candidates(c, p, known)
        if "path" in c:
            entry["path"] = existing_path(c, "path", base, p, f"siting.candidates ({kind})")
        if "spacing_m" in spec.defaults:
            number(c, "spacing_m", float(spec.defaults["spacing_m"]), p, f"siting.candidates ({kind})")
        n_clusters = c.get("n_clusters", spec.defaults.get("n_clusters", 1))
        if not (isinstance(n_clusters, int) and not isinstance(n_clusters, bool) and n_clusters > 0):
            p.add("clusters 的 n_clusters 应是正整数。", "n_clusters must be a positive whole number",
                  row=line_of(c, "n_clusters"), column="n_clusters", value=c.get("n_clusters"))
        out.append(MappingProxyType(entry))
    return out


def _siting_compounds(m: dict, base: Path, p: ProblemList) -> Mapping[str, Any] | None:
    c = m.get("compounds")
    if c is None:
        return None
    if not isinstance(c, dict):
        p.add("siting.compounds 应是 {path: 文件, fclass: residential}。", "siting.compounds must be {path, fclass}",
              row=line_of(m, "compounds"), column="compounds", value=c)
        return None
    check_keys(c, {"path", "fclass", "fclass_column", "name_column"}, "siting.compounds", p, required=("path",))
    return MappingProxyType({**c, "path": existing_path(c, "path", base, p, "siting.compounds")})
