"""Reading the parts of a rule that several measures share: type references, the facility selection (types,
yes/no conditions, new in the year or the plan) and field names, every problem with its line."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ..config import FacilityType, TypeGroup
from ..errors import ProblemList
from ..vocabulary import BOOL_ATTRIBUTES, FACILITY_ATTRIBUTES
from ..yamlio import LineList, line_of
from .model import Selection

__all__ = ["RuleReader", "TypeResolver", "parse_selection", "parse_where", "unknown_field", "NEW_IN"]

#: ``new_in``: new in the year, or since the plan's first year.
NEW_IN = ("year", "plan")


@dataclass
class RuleReader:
    """What a measure needs to read its own keys of one rule: the problem list, the rule's name in messages, the
    type resolver, the plan's years and the run's travel thresholds (``None``: not checked)."""

    p: ProblemList
    where: str
    resolver: TypeResolver
    plan_years: tuple[int, ...]
    thresholds_min: Sequence[int] | None

    def selection(self, m: dict, *, allow_new: bool = True, where: str | None = None) -> Selection:
        """The facilities a rule (or its ``numerator``) looks at."""
        return parse_selection(m, self.p, self.resolver, where or self.where, self.plan_years, allow_new=allow_new)


def parse_selection(m: dict, p: ProblemList, resolver: TypeResolver, where: str, plan_years: tuple[int, ...], *,
               allow_new: bool) -> Selection:
    types, what = resolver.types(m.get("types"), m, p, where) if "types" in m else ((), "")
    conditions = parse_where(m, p, where)
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
    return Selection(types=types, what_zh=str(m.get("what_zh", what)), where=MappingProxyType(conditions),
                     new_in=new_in, types_zh=what)


def parse_where(m: dict, p: ProblemList, where: str) -> dict[str, bool]:
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
            unknown_field(raw, key, key, BOOL_ATTRIBUTES, p, where, in_where=True)
        elif not isinstance(value, bool):
            p.add(f"{where}: where.{key} 应是 true 或 false。", f"where.{key} must be true or false",
                  row=line_of(raw, key), column=str(key), value=value)
        else:
            out[str(key)] = value
    return out


def unknown_field(m: dict, key: object, value: object, allowed: Sequence[str], p: ProblemList, where: str, *,
                   in_where: bool = False) -> None:
    known = value in FACILITY_ATTRIBUTES
    close = difflib.get_close_matches(str(value), list(allowed), n=1)
    hint_zh = f"是不是「{close[0]}」? " if close else ""
    what = "where 只能按是/否字段筛选" if in_where else "attribute 只能是数值字段"
    head_zh = f"字段「{value}」不能用在这里: {what}" if known else f"未知字段「{value}」"
    p.add(f"{where}: {head_zh}。{hint_zh}可用: {', '.join(allowed)}。",
          f"{'field ' + repr(value) + ' cannot be used here' if known else 'unknown field ' + repr(value)}; "
          f"use one of {', '.join(allowed)}", row=line_of(m, key), column=str(key), value=value)




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
