"""Reading the parts of a rule that several measures share: type references, the facility selection (types,
conditions on the attributes the service's type file declares, new in the year or the plan) and field names, every
problem with its line. :class:`RuleVocabulary` is what a rule file is checked against besides the types: the
declared attributes, the population groups and the travel profiles of the run."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ..config import DemandGroup, FacilityAttribute, FacilityType, TypeGroup
from ..config.population import DEFAULT_GROUPS
from ..errors import ProblemList
from ..vocabulary import YEAR_LABELS_ZH
from ..yamlio import LineList, line_of
from .model import Selection

__all__ = ["RuleReader", "RuleVocabulary", "TypeResolver", "parse_selection", "parse_where", "unknown_field",
           "NEW_IN", "condition_zh"]

#: ``new_in``: new in the year, or since the plan's first year.
NEW_IN = ("year", "plan")


@dataclass(frozen=True)
class RuleVocabulary:
    """The run's words a rule file is checked against (besides its types): the attributes the type file declares,
    the population groups (the served one first) and the travel profiles (the primary first).

    Build it with :meth:`from_config`; the default knows no attribute, one group (常住人口) and one profile (步行).
    """

    attributes: tuple[FacilityAttribute, ...] = ()
    demand_groups: tuple[DemandGroup, ...] = DEFAULT_GROUPS
    profiles: tuple[tuple[str, str], ...] = (("walk", "步行"),)

    @classmethod
    def from_config(cls, config) -> RuleVocabulary:
        """From a :class:`~svcov.config.RunConfig`."""
        groups = (config.served_group,) + tuple(g for g in config.population.groups
                                                if g.key != config.population.served_group)
        profiles = tuple((t.key, t.name_zh) for t in config.travel.profile_list())
        return cls(attributes=tuple(config.attributes), demand_groups=groups, profiles=profiles)

    def attribute(self, key: object) -> FacilityAttribute | None:
        return next((a for a in self.attributes if a.key == key), None)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.attributes if a.is_flag)

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.attributes if a.is_number)

    def field_labels_zh(self) -> dict[str, str]:
        """Field name → its Chinese label (declared attributes, the year fields, the groups)."""
        return {**YEAR_LABELS_ZH, **{a.key: a.label_zh for a in self.attributes},
                **{g.key: f"{g.name_zh}人数" for g in self.demand_groups}}


@dataclass
class RuleReader:
    """What a measure needs to read its own keys of one rule: the problem list, the rule's name in messages, the
    type resolver, the plan's years, the run's travel thresholds (``None``: not checked) and its vocabulary."""

    p: ProblemList
    where: str
    resolver: TypeResolver
    plan_years: tuple[int, ...]
    thresholds_min: Sequence[int] | None
    vocabulary: RuleVocabulary = RuleVocabulary()

    def selection(self, m: dict, *, allow_new: bool = True, where: str | None = None) -> Selection:
        """The facilities a rule (or its ``numerator``) looks at."""
        return parse_selection(m, self.p, self.resolver, where or self.where, self.plan_years, allow_new=allow_new,
                               vocabulary=self.vocabulary)


def parse_selection(m: dict, p: ProblemList, resolver: TypeResolver, where: str, plan_years: tuple[int, ...], *,
                    allow_new: bool, vocabulary: RuleVocabulary = RuleVocabulary()) -> Selection:
    types, what = resolver.types(m.get("types"), m, p, where) if "types" in m else ((), "")
    conditions = parse_where(m, p, where, vocabulary)
    new_in = m.get("new_in")
    if new_in is not None:
        if not allow_new:  # already reported as an unknown key of this measure
            new_in = None
        elif new_in not in NEW_IN:
            p.add(f"{where}: new_in 应是 year (当年新增) 或 plan (规划期内累计新增)。",
                  "new_in must be 'year' (new in the year) or 'plan' (new since the plan's first year)",
                  row=line_of(m, "new_in"), column="new_in", value=new_in)
            new_in = None
        elif new_in == "plan" and not plan_years:
            p.add(f"{where}: new_in: plan 需要文件顶部的 plan.years。", "new_in: plan needs plan.years",
                  row=line_of(m, "new_in"), column="new_in", value=new_in)
    conditions_zh = "且".join(condition_zh(vocabulary.attribute(k), v) for k, v in conditions.items())
    return Selection(types=types, what_zh=str(m.get("what_zh", what)), where=MappingProxyType(conditions),
                     new_in=new_in, types_zh=what, where_zh=conditions_zh)


def condition_zh(attribute: FacilityAttribute | None, value: object) -> str:
    """A ``where`` condition in words: 「开设托班」, 「床位数 ≥50」, 「床位数 20-49」."""
    if attribute is None:
        return f"{value}"
    if attribute.is_flag:
        return attribute.condition_zh(bool(value))
    lo, hi = value
    num = (lambda x: f"{x:g}")
    if lo is not None and hi is not None:
        return f"{attribute.label_zh} {num(lo)}-{num(hi)}"
    return f"{attribute.label_zh} ≥{num(lo)}" if lo is not None else f"{attribute.label_zh} ≤{num(hi)}"


def parse_where(m: dict, p: ProblemList, where: str,
                vocabulary: RuleVocabulary = RuleVocabulary()) -> dict[str, object]:
    """Conditions on declared attributes: a flag → ``true``/``false``; a number → ``{min: x}``, ``{max: y}`` or
    both (inclusive). Returns attribute → ``bool`` or ``(low, high)`` (``None`` for an open end)."""
    raw = m.get("where")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        p.add(f"{where}: where 应是「字段: 条件」的映射, 例如 {{has_rehab_room: true}} 或 {{capacity: {{min: 50}}}}。",
              "where must map a declared attribute to a condition", row=line_of(m, "where"), column="where",
              value=raw)
        return {}
    out: dict[str, object] = {}
    for key, value in raw.items():
        attribute = vocabulary.attribute(key)
        if attribute is None:
            unknown_field(raw, key, key, vocabulary.flags + vocabulary.numbers, p, where, in_where=True)
        elif attribute.is_flag:
            if isinstance(value, bool):
                out[str(key)] = value
            else:
                p.add(f"{where}: where.{key} 是是/否字段, 应写 true 或 false。", f"where.{key} must be true or false",
                      row=line_of(raw, key), column=str(key), value=value)
        else:
            bounds = _number_condition(raw, key, value, p, where)
            if bounds is not None:
                out[str(key)] = bounds
    return out


def _number_condition(raw: dict, key: object, value: object, p: ProblemList, where: str):
    def ok(x):
        return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))

    if isinstance(value, dict) and set(value) <= {"min", "max"} and value and ok(value.get("min")) \
            and ok(value.get("max")):
        lo, hi = value.get("min"), value.get("max")
        if lo is None or hi is None or lo <= hi:
            return (None if lo is None else float(lo), None if hi is None else float(hi))
    p.add(f"{where}: where.{key} 是数值字段, 应写 {{min: 下限}}、{{max: 上限}} 或两者 (含边界)。",
          f"where.{key} is a number: write {{min: x}}, {{max: y}} or both", row=line_of(raw, key), column=str(key),
          value=value)
    return None


def unknown_field(m: dict, key: object, value: object, allowed: Sequence[str], p: ProblemList, where: str, *,
                  in_where: bool = False, declared: Sequence[str] = ()) -> None:
    known = value in declared or value in YEAR_LABELS_ZH
    close = difflib.get_close_matches(str(value), list(allowed), n=1)
    hint_zh = f"是不是「{close[0]}」? " if close else ""
    what = "where 只能按类型文件声明的属性筛选" if in_where else "attribute 只能是类型文件声明的数值属性"
    head_zh = f"字段「{value}」不能用在这里: {what}" if known else f"未知字段「{value}」(类型文件 attributes 中没有声明)"
    shown = ", ".join(allowed) or "无 (类型文件没有声明属性)"
    p.add(f"{where}: {head_zh}。{hint_zh}可用: {shown}。",
          f"{'field ' + repr(value) + ' cannot be used here' if known else 'unknown field ' + repr(value)}; "
          f"use one of: {shown} (attributes declared by the type file)", row=line_of(m, key), column=str(key),
          value=value)




class TypeResolver:
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
