"""The layout-rule file: parse and validate it into frozen dataclasses, every problem with its line.

A rule file (YAML) declares the targets of a plan, e.g. the "3个一" of the Songjiang childcare plan. Each rule has a
Chinese label, the plan clause it comes from, the plan's own wording, its scope (each 街镇 or the district), its
years and its measure. Rules refer to facility types by type key, group key or Chinese name; these are checked
against the run's configured types, so one rule file works with any district's configuration.

Measures (see ``data/rules/README.md`` for the file format and examples; each is a registered object of
:mod:`svcov.rules.measures` that declares its keys, parses, evaluates and words them):

``count``
    Facilities of some types open in the year (optionally only those new in the year or since the plan began,
    optionally filtered on a yes/no attribute), against ``min`` (and an optional upper figure ``max``).
``sum``
    Sum of a numeric attribute the service's type file declares (e.g. ``capacity``: 托位, 床位) over such
    facilities.
``share``
    Share of such facilities that also meet a ``numerator`` condition (types and/or conditions on declared
    attributes).
``share_of_jiezhen``
    District only: share of 街镇 that have at least ``per_jiezhen_min`` such facilities.
``spacing``
    Straight-line distance from each such facility to its nearest neighbour of the same selection, at least
    ``min_m`` metres.
``coverage``
    Share of a population group (default the served group, e.g. 0-3 岁儿童 or 60 岁及以上老人) within
    ``threshold_min`` minutes of a service (type or group) by a travel profile (default the primary one), read
    from the coverage table of the access stage.
``all_of``
    A composite: met when every rule listed in ``rules`` (defined earlier in the file, same scope) is met, e.g. the
    "3个一" as one status per 街镇; not met when any part is not met; otherwise 数据不足.

Example: ``data/rules/songjiang_2021_2023.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from .. import settings
from ..config import FacilityType, TypeGroup
from ..errors import ProblemList, RuleFileError
from ..vocabulary import SCOPES
from ..yamlio import LineList, check_keys, line_of, load_yaml
from .fields import RuleReader, RuleVocabulary, TypeResolver
from .measures import MEASURES, Measure
from .model import DEFAULT_COVERAGE_MIN_SHARE, Rule, RuleSet, Selection

__all__ = ["Selection", "Rule", "RuleSet", "RuleVocabulary", "load_rules", "parse_rules", "MEASURES", "SCOPES",
           "DEFAULT_COVERAGE_MIN_SHARE"]

#: Scopes (:data:`svcov.vocabulary.SCOPES`): each 街镇, or the district as a whole. Chinese spellings are accepted too.
_SCOPE_ALIASES = {"jiezhen": "jiezhen", "街镇": "jiezhen", "each_jiezhen": "jiezhen", "district": "district",
                  "全区": "district", "区": "district"}

#: Keys every rule may have, whatever its measure (each measure adds its own: ``Measure.keys``).
_COMMON_KEYS = {"id", "label_zh", "label_en", "clause", "source_zh", "scope", "years", "measure", "note_zh",
                "target_note_zh"}


def load_rules(path: str | Path, types: Sequence[FacilityType], groups: Sequence[TypeGroup] = (), *,
               thresholds_min: Sequence[int] | None = None, vocabulary: RuleVocabulary | None = None) -> RuleSet:
    """Read and validate a rule file against the run's facility types and words.

    Parameters
    ----------
    path
        The YAML rule file.
    types, groups
        The run's configured facility types and groups (``RunConfig.facility_types``, ``RunConfig.type_groups``).
    thresholds_min
        The run's travel thresholds (minutes); a ``coverage`` rule must use one of them. ``None`` skips the check.
    vocabulary
        The run's declared attributes, population groups and travel profiles
        (:meth:`RuleVocabulary.from_config`); default: no attribute, 常住人口, 步行.

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
    return parse_rules(raw, path, types, groups, thresholds_min=thresholds_min, vocabulary=vocabulary)


def parse_rules(raw: Mapping, path: str | Path, types: Sequence[FacilityType], groups: Sequence[TypeGroup] = (), *,
                thresholds_min: Sequence[int] | None = None, vocabulary: RuleVocabulary | None = None) -> RuleSet:
    """Validate an already parsed rule file (a :class:`~svcov.yamlio.LineDict`); see :func:`load_rules`."""
    path = Path(path)
    vocabulary = vocabulary or RuleVocabulary()
    p = ProblemList(str(path))
    check_keys(raw, {"plan", "rules"}, "规则文件 (rule file)", p, required=("rules",))
    plan = raw.get("plan") if isinstance(raw.get("plan"), dict) else {}
    if "plan" in raw and not isinstance(raw.get("plan"), dict):
        p.add("plan 应是映射 (name_zh, years)。", "plan must be a mapping (name_zh, years)", row=line_of(raw, "plan"),
              column="plan")
    check_keys(plan, {"name_zh", "name_en", "years", "layout_rule", "layout_name_zh"}, "plan", p)
    plan_years = _years(plan, "years", p, "plan") if "years" in plan else ()
    resolver = TypeResolver(types, groups)
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
            rule = _rule(item, p, RuleReader(p, "", resolver, plan_years, thresholds_min, vocabulary))
            if rule is not None:
                rules.append(rule)
    _check_unique_ids(rules, p)
    _check_parts(rules, p)
    layout = _layout_rule(plan, rules, p)
    p.raise_if_errors(RuleFileError)
    return RuleSet(path=path, plan_name_zh=str(plan.get("name_zh", "")), plan_years=plan_years, rules=tuple(rules),
                   type_names_zh=MappingProxyType({t.key: t.name_zh for t in types}),
                   field_labels_zh=MappingProxyType(vocabulary.field_labels_zh()), layout_rule=layout,
                   layout_name_zh=str(plan.get("layout_name_zh", "")) if layout else "")


def _layout_rule(plan: Mapping, rules: list[Rule], p: ProblemList) -> str | None:
    """``plan.layout_rule``: a per-街镇 rule whose status colours the map (its own report section)."""
    value = plan.get("layout_rule")
    if value is None:
        if plan.get("layout_name_zh") is not None:
            p.add("plan.layout_name_zh 需要同时给出 plan.layout_rule (按街镇着色的规则 id)。",
                  "plan.layout_name_zh needs plan.layout_rule", row=line_of(plan, "layout_name_zh"),
                  column="layout_name_zh")
        return None
    rule = next((r for r in rules if r.id == str(value)), None)
    if rule is None or "jiezhen" not in rule.scopes:
        ids = ", ".join(r.id for r in rules if "jiezhen" in r.scopes)
        p.add(f"plan.layout_rule「{value}」应是一条按街镇检查 (scope: jiezhen) 的规则的 id; 可用: {ids}。",
              "plan.layout_rule must be the id of a rule with scope jiezhen", row=line_of(plan, "layout_rule"),
              column="layout_rule", value=value)
        return None
    return rule.id


# --- one rule -------------------------------------------------------------------------------------------------


def _rule(m: dict, p: ProblemList, base: RuleReader) -> Rule | None:
    rid = str(m.get("id", ""))
    plan_years = base.plan_years
    where = f"规则「{rid}」" if rid else "规则"
    measure = m.get("measure")
    if measure not in MEASURES:
        close = difflib.get_close_matches(str(measure), list(MEASURES), n=1)
        hint = f"是不是「{close[0]}」? " if close else ""
        p.add(f"{where}: 未知的 measure「{measure}」。{hint}可用: {', '.join(MEASURES)}。",
              f"{rid or 'rule'}: unknown measure {measure!r}; use one of {', '.join(MEASURES)}",
              row=line_of(m, "measure") if "measure" in m else line_of(m), column="measure", value=measure)
        check_keys(m, _COMMON_KEYS | set().union(*(x.keys for x in MEASURES.values())), where, p)
        return None
    kind = MEASURES[measure]
    check_keys(m, _COMMON_KEYS | kind.keys, where, p, required=("id", "label_zh", "clause", "scope") + kind.required)
    if rid and not re.fullmatch(r"[A-Za-z0-9_\-]+", rid):
        p.add(f"{where}: id 只能包含英文字母、数字、下划线和连字符。", "rule id may only contain letters, digits, '_', '-'",
              row=line_of(m, "id"), column="id", value=rid)
    years = _years(m, "years", p, where) if "years" in m else plan_years
    if not years and "years" not in m:
        p.add(f"{where}: 没有年份。请在规则中写 years, 或在 plan 中写 years。",
              f"{rid}: no years; give years in the rule or in plan", row=line_of(m), column="years")
    _check_within_plan(m, years, plan_years, p, where)
    kwargs = kind.parse(m, dataclasses.replace(base, where=where))
    minimum, by_year = _minimum(m, kind, years, p, where)
    return Rule(id=rid, label_zh=str(m.get("label_zh", rid)), clause=str(m.get("clause", "")),
                source_zh=str(m.get("source_zh", "")), scopes=_scopes(m, kind, p, where), years=years,
                measure=measure, minimum=minimum, minimum_by_year=MappingProxyType(by_year), line=line_of(m),
                label_en=str(m.get("label_en", "")), note_zh=str(m.get("note_zh", "")),
                target_note_zh=str(m.get("target_note_zh", "")),
                minimum_is_default=kind.default_is_judgement and kind.target_key not in m,
                unit_zh=str(m.get("unit_zh", "个")), maximum=_maximum(m, minimum, p, where), **kwargs)


def _scopes(m: dict, kind: Measure, p: ProblemList, where: str) -> tuple[str, ...]:
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
    if kind.district_only and scopes and scopes != ["district"]:
        p.add(f"{where}: {kind.name} (街镇覆盖率) 只能用于全区 (scope: district)。",
              f"{kind.name} is a district measure: use scope: district", row=line_of(m, "scope"), column="scope",
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


def _minimum(m: dict, kind: Measure, years: tuple[int, ...], p: ProblemList, where: str) -> tuple[float, dict]:
    key = kind.target_key
    raw = m.get(key, kind.default_min)
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
            if _target_ok(value, kind, p, where, key, line_of(raw, year)):
                by_year[year] = float(value)
        missing = [y for y in years if y not in by_year]
        if missing and by_year:
            p.add(f"{where}: {key} 按年份给出时, 要给出每一年 (缺 {missing})。", f"{key} by year lacks years {missing}",
                  row=line_of(m, key), column=key)
        return (min(by_year.values()) if by_year else 0.0), by_year
    if not _target_ok(raw, kind, p, where, key, line_of(m, key)):
        return 0.0, {}
    return float(raw), {}


def _target_ok(value: object, kind: Measure, p: ProblemList, where: str, key: str, line: int | None) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind.target == "share":
        ok, rule_zh, rule_en = number and 0 < value <= 1, "0-1 之间的比例 (例如 0.9 表示 90%)", "a share in (0, 1]"
    elif kind.target == "count":
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
    for i, rule in enumerate(rules):
        for part in rule.parts:
            other = earlier.get(part)
            if other is None:
                p.add(f"规则「{rule.id}」: rules 中的「{part}」不是前面定义过的规则 id。",
                      f"{rule.id}: {part!r} is not the id of an earlier rule", row=rule.line, column="rules",
                      value=part)
            elif MEASURES[other.measure].composite:
                p.add(f"规则「{rule.id}」: 「{part}」本身是 all_of 规则, 不能嵌套。", f"{rule.id}: {part!r} is itself all_of",
                      row=rule.line, column="rules", value=part)
            elif not set(rule.scopes) <= set(other.scopes) or not set(rule.years) <= set(other.years):
                p.add(f"规则「{rule.id}」: 「{part}」的范围或年份不包含本规则的范围和年份。",
                      f"{rule.id}: {part!r} does not cover this rule's scopes and years", row=rule.line,
                      column="rules", value=part)
        if rule.parts:
            labels = tuple(earlier[pid].label_zh.split(":")[-1].strip() if pid in earlier else pid
                           for pid in rule.parts)
            rules[i] = rule = dataclasses.replace(rule, part_labels_zh=labels)
        earlier[rule.id] = rule
