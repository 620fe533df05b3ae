"""The layout-rule file: parse and validate it into frozen dataclasses, every problem with its line.

A rule file (YAML) declares the targets of a plan, e.g. the "3个一" of the Songjiang childcare plan. Each rule has a
Chinese label, the plan clause it comes from, the plan's own wording, its scope (each 街镇 or the district), its
years and its measure. Rules refer to facility types by type key, group key or Chinese name; these are checked
against the run's configured types, so one rule file works with any district's configuration.

Measures (see ``data/rules/README.md`` for the file format and examples):

``count``
    Facilities of some types open in the year (optionally only those new in the year or since the plan began,
    optionally filtered on a yes/no attribute), against ``min`` (and an optional upper figure ``max``).
``sum``
    Sum of a numeric attribute (``capacity_places``) over such facilities.
``share``
    Share of such facilities that also meet a ``numerator`` condition (types and/or yes/no attributes).
``share_of_jiezhen``
    District only: share of 街镇 that have at least ``per_jiezhen_min`` such facilities.
``spacing``
    Straight-line distance from each such facility to its nearest neighbour of the same selection, at least
    ``min_m`` metres.
``coverage``
    Share of 0-3-year-olds within ``threshold_min`` minutes of a service (type or group), read from the coverage
    table of the access stage.
``all_of``
    A composite: met when every rule listed in ``rules`` (defined earlier in the file, same scope) is met, e.g. the
    "3个一" as one status per 街镇; not met when any part is not met; otherwise 数据不足.

Example: ``data/rules/songjiang_2021_2023.yaml``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, Sequence

from .. import settings
from ..config import FACILITY_ATTRIBUTES, FacilityType, TypeGroup
from ..errors import ProblemList, RuleFileError
from ..yamlio import LineList, check_keys, line_of, load_yaml

__all__ = ["Selection", "Rule", "RuleSet", "load_rules", "parse_rules", "MEASURES", "SCOPES", "BOOL_ATTRIBUTES",
           "NUMERIC_ATTRIBUTES", "ATTRIBUTE_LABELS_ZH", "DEFAULT_COVERAGE_MIN_SHARE"]

#: Measures a rule may use.
MEASURES = ("count", "sum", "share", "share_of_jiezhen", "spacing", "coverage", "all_of")

#: Scopes: each 街镇, or the district as a whole. Chinese spellings are accepted too.
SCOPES = ("jiezhen", "district")
_SCOPE_ALIASES = {"jiezhen": "jiezhen", "街镇": "jiezhen", "each_jiezhen": "jiezhen", "district": "district",
                  "全区": "district", "区": "district"}

#: Facility attributes a rule may filter on (yes/no) and sum (numbers).
BOOL_ATTRIBUTES = ("has_nursery_class", "is_demonstration")
NUMERIC_ATTRIBUTES = ("capacity_places",)

#: How the attributes are named in Chinese registers and messages.
ATTRIBUTE_LABELS_ZH = {"capacity_places": "托位数", "opened_year": "开办年份", "closed_year": "关闭年份",
                       "has_nursery_class": "开设托班", "is_demonstration": "示范性机构"}

#: Default target of a ``coverage`` rule: 90% of 0-3-year-olds within the threshold. The Songjiang plan asks for a
#: "15分钟社区托育服务圈" (三(一)2) without a number. Shanghai's 15-minute community life circle aims at (near) full
#: walking coverage in the long run; for a three-year plan in a district with large rural 镇 (where a 15-minute walk
#: cannot reach every scattered village), 90% is demanding but reachable. It is a planning judgement of this tool,
#: not a plan figure: set ``min`` in the rule file to the bureau's own target, and every table says the target.
DEFAULT_COVERAGE_MIN_SHARE = 0.9

_COMMON_KEYS = {"id", "label_zh", "label_en", "clause", "source_zh", "scope", "years", "measure", "note_zh",
                "target_note_zh"}
_MEASURE_KEYS = {
    "count": {"types", "what_zh", "unit_zh", "where", "new_in", "min", "max"},
    "sum": {"types", "what_zh", "unit_zh", "where", "new_in", "attribute", "min", "max"},
    "share": {"types", "what_zh", "unit_zh", "where", "new_in", "numerator", "min"},
    "share_of_jiezhen": {"types", "what_zh", "unit_zh", "where", "new_in", "per_jiezhen_min", "min"},
    "spacing": {"types", "what_zh", "unit_zh", "where", "min_m"},
    "coverage": {"service", "threshold_min", "min"},
    "all_of": {"rules"},
}
_REQUIRED = {"count": ("types", "min"), "sum": ("types", "attribute", "min"), "share": ("types", "numerator", "min"),
             "share_of_jiezhen": ("types",), "spacing": ("types", "min_m"), "coverage": ("service", "threshold_min"),
             "all_of": ("rules",)}
_SHARE_MEASURES = ("share", "share_of_jiezhen", "coverage")
_NEW_IN = ("year", "plan")


@dataclass(frozen=True)
class Selection:
    """Which facilities a rule looks at.

    Attributes
    ----------
    types
        Configured type keys (groups already expanded), in configuration order; empty in a ``numerator`` that
        only filters on attributes (any type).
    what_zh
        What they are called in messages, e.g. 「普惠性托育点」.
    where
        Yes/no attribute → required value, e.g. ``{"has_nursery_class": True}``.
    new_in
        ``None`` (all open in the year), ``"year"`` (opened in the year) or ``"plan"`` (opened since the plan's
        first year, up to the year).
    """

    types: tuple[str, ...]
    what_zh: str
    where: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    new_in: str | None = None
    #: The Chinese names of the types as written (``what_zh`` unless the rule gives its own).
    types_zh: str = ""


@dataclass(frozen=True)
class Rule:
    """One validated rule. Build rules with :func:`load_rules`.

    ``minimum`` is the target (a count, a number of places, a share 0-1, or metres for ``spacing``);
    ``minimum_by_year`` overrides it for some years. ``maximum`` is the plan's upper figure (e.g. "1-2 个"):
    exceeding it is reported in the gap text but is not a failure.
    """

    id: str
    label_zh: str
    clause: str
    source_zh: str
    scopes: tuple[str, ...]
    years: tuple[int, ...]
    measure: str
    minimum: float
    line: int | None = None
    label_en: str = ""
    note_zh: str = ""
    target_note_zh: str = ""
    minimum_is_default: bool = False
    unit_zh: str = "个"
    minimum_by_year: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    maximum: float | None = None
    select: Selection | None = None
    numerator: Selection | None = None
    attribute: str | None = None
    per_jiezhen_min: int = 1
    service: str | None = None
    service_name_zh: str = ""
    threshold_min: int | None = None
    #: ``all_of``: ids of the rules that must all be met.
    parts: tuple[str, ...] = ()

    def min_for(self, year: int) -> float:
        """The target in ``year``."""
        return float(self.minimum_by_year.get(year, self.minimum))


@dataclass(frozen=True)
class RuleSet:
    """A validated rule file."""

    path: Path
    plan_name_zh: str
    plan_years: tuple[int, ...]
    rules: tuple[Rule, ...]
    #: Chinese name of every configured type key (to say which register to load).
    type_names_zh: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def plan_start(self) -> int | None:
        return self.plan_years[0] if self.plan_years else None

    @property
    def years(self) -> tuple[int, ...]:
        """Every year some rule applies to."""
        return tuple(sorted({y for r in self.rules for y in r.years}))

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def load_rules(path: str | Path, types: Sequence[FacilityType], groups: Sequence[TypeGroup] = (), *,
               thresholds_min: Sequence[int] | None = None) -> RuleSet:
    """Read and validate a rule file against the run's facility types.

    Parameters
    ----------
    path
        The YAML rule file.
    types, groups
        The run's configured facility types and groups (``RunConfig.facility_types``, ``RunConfig.type_groups``).
    thresholds_min
        The run's travel thresholds (minutes); a ``coverage`` rule must use one of them. ``None`` skips the check.

    Returns
    -------
    RuleSet

    Raises
    ------
    RuleFileError
        Listing every problem of the file with its line (unknown measure, type, field or key; bad years,
        targets or scopes; YAML syntax errors).
    """
    path = Path(path)
    raw = load_yaml(path, error_class=RuleFileError)
    return parse_rules(raw, path, types, groups, thresholds_min=thresholds_min)


def parse_rules(raw: Mapping, path: str | Path, types: Sequence[FacilityType], groups: Sequence[TypeGroup] = (), *,
                thresholds_min: Sequence[int] | None = None) -> RuleSet:
    """Validate an already parsed rule file (a :class:`~svcov.yamlio.LineDict`); see :func:`load_rules`."""
    path = Path(path)
    p = ProblemList(str(path))
    check_keys(raw, {"plan", "rules"}, "规则文件 (rule file)", p, required=("rules",))
    plan = raw.get("plan") if isinstance(raw.get("plan"), dict) else {}
    if "plan" in raw and not isinstance(raw.get("plan"), dict):
        p.add("plan 应是映射 (name_zh, years)。", "plan must be a mapping (name_zh, years)", row=line_of(raw, "plan"),
              column="plan")
    check_keys(plan, {"name_zh", "name_en", "years"}, "plan", p)
    plan_years = _years(plan, "years", p, "plan") if "years" in plan else ()
    resolver = _TypeResolver(types, groups)
    rules_raw = raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(rules_raw, list) or not rules_raw:
        if "rules" in raw:
            p.add("rules 应是规则列表 (每条以「- id:」开头)。", "rules must be a non-empty list of rules",
                  row=line_of(raw, "rules"), column="rules")
    else:
        lines = rules_raw.lines if isinstance(rules_raw, LineList) else [line_of(raw, "rules")] * len(rules_raw)
        for item, line in zip(rules_raw, lines):
            if not isinstance(item, dict):
                p.add("每条规则应是映射 (id、label_zh、measure …)。", "each rule must be a mapping", row=line)
                continue
            rule = _rule(item, p, resolver, plan_years, thresholds_min)
            if rule is not None:
                rules.append(rule)
    _check_unique_ids(rules, p)
    _check_parts(rules, p)
    p.raise_if_errors(RuleFileError)
    return RuleSet(path=path, plan_name_zh=str(plan.get("name_zh", "")), plan_years=plan_years, rules=tuple(rules),
                   type_names_zh=MappingProxyType({t.key: t.name_zh for t in types}))


# --- one rule -------------------------------------------------------------------------------------------------


def _rule(m: dict, p: ProblemList, resolver: "_TypeResolver", plan_years: tuple[int, ...],
          thresholds_min: Sequence[int] | None) -> Rule | None:
    rid = str(m.get("id", ""))
    where = f"规则「{rid}」" if rid else "规则"
    measure = m.get("measure")
    if measure not in MEASURES:
        close = difflib.get_close_matches(str(measure), MEASURES, n=1)
        hint = f"是不是「{close[0]}」? " if close else ""
        p.add(f"{where}: 未知的 measure「{measure}」。{hint}可用: {', '.join(MEASURES)}。",
              f"{rid or 'rule'}: unknown measure {measure!r}; use one of {', '.join(MEASURES)}",
              row=line_of(m, "measure") if "measure" in m else line_of(m), column="measure", value=measure)
        check_keys(m, _COMMON_KEYS | set().union(*_MEASURE_KEYS.values()), where, p)
        return None
    check_keys(m, _COMMON_KEYS | _MEASURE_KEYS[measure], where, p,
               required=("id", "label_zh", "clause", "scope") + _REQUIRED[measure])
    if rid and not re.fullmatch(r"[A-Za-z0-9_\-]+", rid):
        p.add(f"{where}: id 只能包含英文字母、数字、下划线和连字符。", "rule id may only contain letters, digits, '_', '-'",
              row=line_of(m, "id"), column="id", value=rid)
    years = _years(m, "years", p, where) if "years" in m else plan_years
    if not years and "years" not in m:
        p.add(f"{where}: 没有年份。请在规则中写 years, 或在 plan 中写 years。",
              f"{rid}: no years; give years in the rule or in plan", row=line_of(m), column="years")
    _check_within_plan(m, years, plan_years, p, where)
    kwargs = _measure_fields(m, measure, p, resolver, where, plan_years, thresholds_min)
    minimum, by_year = _minimum(m, measure, years, p, where)
    return Rule(id=rid, label_zh=str(m.get("label_zh", rid)), clause=str(m.get("clause", "")),
                source_zh=str(m.get("source_zh", "")), scopes=_scopes(m, measure, p, where), years=years,
                measure=measure, minimum=minimum, minimum_by_year=MappingProxyType(by_year), line=line_of(m),
                label_en=str(m.get("label_en", "")), note_zh=str(m.get("note_zh", "")),
                target_note_zh=str(m.get("target_note_zh", "")),
                minimum_is_default=measure == "coverage" and "min" not in m,
                unit_zh=str(m.get("unit_zh", "个")), maximum=_maximum(m, minimum, p, where), **kwargs)


def _measure_fields(m: dict, measure: str, p: ProblemList, resolver: "_TypeResolver", where: str,
                    plan_years: tuple[int, ...], thresholds_min: Sequence[int] | None) -> dict:
    if measure == "coverage":
        return _coverage_fields(m, p, resolver, where, thresholds_min)
    if measure == "all_of":
        parts = m.get("rules")
        if not (isinstance(parts, list) and parts and all(isinstance(x, str) for x in parts)):
            p.add(f"{where}: rules 应是规则 id 的列表, 例如 [sange_yi_public, sange_yi_private]。",
                  "rules must be a list of rule ids", row=line_of(m, "rules"), column="rules", value=parts)
            return {"parts": ()}
        return {"parts": tuple(parts)}
    out: dict = {"select": _selection(m, p, resolver, where, plan_years, allow_new=measure != "spacing")}
    if measure == "sum":
        attribute = m.get("attribute")
        if attribute is not None and attribute not in NUMERIC_ATTRIBUTES:
            _unknown_field(m, "attribute", attribute, NUMERIC_ATTRIBUTES, p, where)
        out["attribute"] = None if attribute is None else str(attribute)
    if measure == "share":
        num = m.get("numerator")
        if num is not None and not isinstance(num, dict):
            p.add(f"{where}: numerator 应是映射 (types 和/或 where)。", "numerator must be a mapping (types and/or where)",
                  row=line_of(m, "numerator"), column="numerator", value=num)
        elif isinstance(num, dict):
            check_keys(num, {"types", "where", "what_zh"}, f"{where}.numerator", p)
            if "types" not in num and "where" not in num:
                p.add(f"{where}: numerator 至少要有 types 或 where。", "numerator needs types or where",
                      row=line_of(num), column="numerator")
            out["numerator"] = _selection(num, p, resolver, f"{where}.numerator", plan_years, allow_new=False)
    if measure == "share_of_jiezhen":
        k = m.get("per_jiezhen_min", 1)
        if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
            p.add(f"{where}: per_jiezhen_min 应是 ≥1 的整数。", "per_jiezhen_min must be a whole number ≥ 1",
                  row=line_of(m, "per_jiezhen_min"), column="per_jiezhen_min", value=k)
            k = 1
        out["per_jiezhen_min"] = k
    return out


def _coverage_fields(m: dict, p: ProblemList, resolver: "_TypeResolver", where: str,
                     thresholds_min: Sequence[int] | None) -> dict:
    service = m.get("service")
    key, types, name = resolver.service(service, m, p, where) if service is not None else (None, (), "")
    threshold = m.get("threshold_min")
    ok = isinstance(threshold, int) and not isinstance(threshold, bool) and 0 < threshold <= 120
    if threshold is not None and not ok:
        p.add(f"{where}: threshold_min 应是 1-120 的整数 (分钟)。", "threshold_min must be whole minutes 1-120",
              row=line_of(m, "threshold_min"), column="threshold_min", value=threshold)
    elif ok and thresholds_min is not None and threshold not in thresholds_min:
        p.add(f"{where}: threshold_min={threshold} 不在配置的 travel.thresholds_min {list(thresholds_min)} 中, "
              f"覆盖率表里不会有这个阈值。请改用其中之一, 或把它加入配置。",
              f"threshold_min={threshold} is not among travel.thresholds_min {list(thresholds_min)}",
              row=line_of(m, "threshold_min"), column="threshold_min", value=threshold)
    return {"service": key, "service_name_zh": name, "threshold_min": threshold if ok else None,
            "select": Selection(types=types, what_zh=name, types_zh=name)}


def _selection(m: dict, p: ProblemList, resolver: "_TypeResolver", where: str, plan_years: tuple[int, ...], *,
               allow_new: bool) -> Selection:
    types, what = resolver.types(m.get("types"), m, p, where) if "types" in m else ((), "")
    conditions = _where(m, p, where)
    new_in = m.get("new_in")
    if new_in is not None:
        if not allow_new:  # already reported as an unknown key of this measure
            new_in = None
        elif new_in not in _NEW_IN:
            p.add(f"{where}: new_in 应是 year (当年新增) 或 plan (规划期内累计新增)。",
                  "new_in must be 'year' (new in the year) or 'plan' (new since the plan's first year)",
                  row=line_of(m, "new_in"), column="new_in", value=new_in)
            new_in = None
        elif new_in == "plan" and not plan_years:
            p.add(f"{where}: new_in: plan 需要文件顶部的 plan.years。", "new_in: plan needs plan.years",
                  row=line_of(m, "new_in"), column="new_in", value=new_in)
    return Selection(types=types, what_zh=str(m.get("what_zh", what)), where=MappingProxyType(conditions),
                     new_in=new_in, types_zh=what)


def _where(m: dict, p: ProblemList, where: str) -> dict[str, bool]:
    raw = m.get("where")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        p.add(f"{where}: where 应是「字段: true/false」的映射, 例如 {{has_nursery_class: true}}。",
              "where must map a yes/no field to true or false", row=line_of(m, "where"), column="where", value=raw)
        return {}
    out = {}
    for key, value in raw.items():
        if key not in BOOL_ATTRIBUTES:
            _unknown_field(raw, key, key, BOOL_ATTRIBUTES, p, where, in_where=True)
        elif not isinstance(value, bool):
            p.add(f"{where}: where.{key} 应是 true 或 false。", f"where.{key} must be true or false",
                  row=line_of(raw, key), column=str(key), value=value)
        else:
            out[str(key)] = value
    return out


def _unknown_field(m: dict, key: object, value: object, allowed: Sequence[str], p: ProblemList, where: str, *,
                   in_where: bool = False) -> None:
    known = value in FACILITY_ATTRIBUTES
    close = difflib.get_close_matches(str(value), list(allowed), n=1)
    hint_zh = f"是不是「{close[0]}」? " if close else ""
    what = "where 只能按是/否字段筛选" if in_where else "attribute 只能是数值字段"
    head_zh = f"字段「{value}」不能用在这里: {what}" if known else f"未知字段「{value}」"
    p.add(f"{where}: {head_zh}。{hint_zh}可用: {', '.join(allowed)}。",
          f"{'field ' + repr(value) + ' cannot be used here' if known else 'unknown field ' + repr(value)}; "
          f"use one of {', '.join(allowed)}", row=line_of(m, key), column=str(key), value=value)


def _scopes(m: dict, measure: str, p: ProblemList, where: str) -> tuple[str, ...]:
    raw = m.get("scope")
    if raw is None:
        return ()
    values = raw if isinstance(raw, list) else [raw]
    scopes = []
    for value in values:
        scope = _SCOPE_ALIASES.get(str(value))
        if scope is None:
            p.add(f"{where}: scope「{value}」无效。请用 jiezhen (每个街镇) 或 district (全区), 也可写成列表。",
                  "scope must be jiezhen (each 街镇) or district (the whole district), or a list of both",
                  row=line_of(m, "scope"), column="scope", value=value)
        elif scope not in scopes:
            scopes.append(scope)
    if measure == "share_of_jiezhen" and scopes and scopes != ["district"]:
        p.add(f"{where}: share_of_jiezhen (街镇覆盖率) 只能用于全区 (scope: district)。",
              "share_of_jiezhen is a district measure: use scope: district", row=line_of(m, "scope"), column="scope",
              value=raw)
    return tuple(s for s in SCOPES if s in scopes)


def _years(m: dict, key: str, p: ProblemList, where: str) -> tuple[int, ...]:
    years = m.get(key)
    if isinstance(years, int) and not isinstance(years, bool):
        years = [years]
    ok = (isinstance(years, list) and years
          and all(isinstance(y, int) and not isinstance(y, bool) and settings.min_year <= y <= settings.max_year
                  for y in years))
    if not ok:
        p.add(f"{where}: {key} 应是年份列表 ({settings.min_year}-{settings.max_year}), 例如 [2021, 2022, 2023]。",
              f"{key} must be a list of years {settings.min_year}-{settings.max_year}, e.g. [2021, 2022, 2023]",
              row=line_of(m, key), column=key, value=years)
        return ()
    if len(set(years)) != len(years):
        p.add(f"{where}: {key} 中有重复的年份。", f"{key} repeats a year", row=line_of(m, key), column=key, value=years)
    return tuple(sorted(set(years)))


def _check_within_plan(m: dict, years: tuple[int, ...], plan_years: tuple[int, ...], p: ProblemList,
                       where: str) -> None:
    outside = [y for y in years if plan_years and y not in plan_years]
    if outside and "years" in m:
        p.add(f"{where}: 年份 {outside} 不在规划年份 {list(plan_years)} 内。",
              f"years {outside} are outside the plan's years {list(plan_years)}", row=line_of(m, "years"),
              column="years", value=m.get("years"))


def _minimum(m: dict, measure: str, years: tuple[int, ...], p: ProblemList, where: str) -> tuple[float, dict]:
    key = "min_m" if measure == "spacing" else "min"
    raw = m.get(key, DEFAULT_COVERAGE_MIN_SHARE if measure == "coverage" else (1 if measure == "share_of_jiezhen"
                                                                              else None))
    if raw is None:
        return 0.0, {}
    if isinstance(raw, dict):
        by_year = {}
        for year, value in raw.items():
            if not (isinstance(year, int) and year in years):
                p.add(f"{where}: {key} 的年份 {year} 不是这条规则的年份 {list(years)} 之一。",
                      f"{key}: year {year} is not one of the rule's years {list(years)}", row=line_of(raw, year),
                      column=key, value=year)
                continue
            if _target_ok(value, measure, p, where, key, line_of(raw, year)):
                by_year[year] = float(value)
        missing = [y for y in years if y not in by_year]
        if missing and by_year:
            p.add(f"{where}: {key} 按年份给出时, 要给出每一年 (缺 {missing})。", f"{key} by year lacks years {missing}",
                  row=line_of(m, key), column=key)
        return (min(by_year.values()) if by_year else 0.0), by_year
    if not _target_ok(raw, measure, p, where, key, line_of(m, key)):
        return 0.0, {}
    return float(raw), {}


def _target_ok(value: object, measure: str, p: ProblemList, where: str, key: str, line: int | None) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if measure in _SHARE_MEASURES:
        ok, rule_zh, rule_en = number and 0 < value <= 1, "0-1 之间的比例 (例如 0.9 表示 90%)", "a share in (0, 1]"
    elif measure == "count":
        ok, rule_zh, rule_en = number and value >= 0 and float(value).is_integer(), "不小于 0 的整数", "a whole number ≥ 0"
    else:
        ok, rule_zh, rule_en = number and value > 0, "大于 0 的数", "a number > 0"
    if not ok:
        p.add(f"{where}: {key} 应是{rule_zh}。", f"{key} must be {rule_en}", row=line, column=key, value=value)
    return bool(ok)


def _maximum(m: dict, minimum: float, p: ProblemList, where: str) -> float | None:
    if "max" not in m:
        return None
    value = m["max"]
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= minimum):
        p.add(f"{where}: max 应是不小于 min ({minimum:g}) 的数。", f"max must be a number ≥ min ({minimum:g})",
              row=line_of(m, "max"), column="max", value=value)
        return None
    return float(value)


def _check_unique_ids(rules: list[Rule], p: ProblemList) -> None:
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            p.add(f"规则 id「{rule.id}」重复 (第 {seen[rule.id].line} 行已用过)。每条规则需要唯一的 id。",
                  f"rule id {rule.id!r} is repeated (first on line {seen[rule.id].line})", row=rule.line, column="id",
                  value=rule.id)
        else:
            seen[rule.id] = rule


def _check_parts(rules: list[Rule], p: ProblemList) -> None:
    """Every part of an ``all_of`` rule is an earlier, non-composite rule covering its scopes and years."""
    earlier: dict[str, Rule] = {}
    for rule in rules:
        for part in rule.parts:
            other = earlier.get(part)
            if other is None:
                p.add(f"规则「{rule.id}」: rules 中的「{part}」不是前面定义过的规则 id。",
                      f"{rule.id}: {part!r} is not the id of an earlier rule", row=rule.line, column="rules", value=part)
            elif other.measure == "all_of":
                p.add(f"规则「{rule.id}」: 「{part}」本身是 all_of 规则, 不能嵌套。", f"{rule.id}: {part!r} is itself all_of",
                      row=rule.line, column="rules", value=part)
            elif not set(rule.scopes) <= set(other.scopes) or not set(rule.years) <= set(other.years):
                p.add(f"规则「{rule.id}」: 「{part}」的范围或年份不包含本规则的范围和年份。",
                      f"{rule.id}: {part!r} does not cover this rule's scopes and years", row=rule.line,
                      column="rules", value=part)
        earlier[rule.id] = rule


class _TypeResolver:
    """Turn the type references of a rule (type keys, group keys, Chinese names) into configured type keys."""

    def __init__(self, types: Sequence[FacilityType], groups: Sequence[TypeGroup]):
        self.order = [t.key for t in types]
        #: name (key or Chinese name) → (canonical key, type keys, Chinese name)
        self.lookup: dict[str, tuple[str, tuple[str, ...], str]] = {}
        for g in groups:
            for name in (g.key, g.name_zh):
                self.lookup[name] = (g.key, tuple(g.types), g.name_zh)
        for t in types:
            for name in (t.key, t.name_zh):
                self.lookup[name] = (t.key, (t.key,), t.name_zh)
        self.keys = [t.key for t in types] + [g.key for g in groups]

    def _one(self, token: object, line: int | None, p: ProblemList, where: str, column: str):
        found = self.lookup.get(str(token).strip())
        if found is None:
            close = difflib.get_close_matches(str(token), list(self.lookup), n=1, cutoff=0.5)
            hint_zh = f"是不是「{close[0]}」? " if close else ""
            keys = ", ".join(self.keys)
            p.add(f"{where}: 未知的设施类型或类型组「{token}」。{hint_zh}可用: {keys} (或它们的中文名称)。",
                  f"unknown facility type or group {token!r}; use one of {keys} (or their Chinese names)",
                  row=line, column=column, value=token)
        return found

    def types(self, raw: object, m: dict, p: ProblemList, where: str) -> tuple[tuple[str, ...], str]:
        tokens = raw if isinstance(raw, list) else [raw]
        lines = raw.lines if isinstance(raw, LineList) else [line_of(m, "types")] * len(tokens)
        if not tokens or any(t is None or isinstance(t, (dict, list)) for t in tokens):
            p.add(f"{where}: types 应是类型 key、类型组 key 或中文类型名 (或它们的列表)。",
                  "types must be a type key, a group key or a Chinese type name (or a list of them)",
                  row=line_of(m, "types"), column="types", value=raw)
            return (), ""
        keys: set[str] = set()
        names = []
        for token, line in zip(tokens, lines):
            found = self._one(token, line, p, where, "types")
            if found:
                keys.update(found[1])
                names.append(found[2])
        return tuple(k for k in self.order if k in keys), "或".join(names)

    def service(self, raw: object, m: dict, p: ProblemList, where: str) -> tuple[str | None, tuple[str, ...], str]:
        if isinstance(raw, (list, dict)):
            p.add(f"{where}: service 应是一个类型或类型组 (覆盖率表按 service 计算)。",
                  "service must be one type or group key", row=line_of(m, "service"), column="service", value=raw)
            return None, (), ""
        found = self._one(raw, line_of(m, "service"), p, where, "service")
        return found if found is not None else (None, (), "")
