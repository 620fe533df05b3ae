"""Section ``facility_types``: the kinds of facility of the service and their groups (a type file or a mapping)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, ProblemList
from ..yamlio import check_keys, line_of, load_yaml
from .fields import resolve_path

__all__ = ["FacilityType", "TypeGroup", "load_facility_types", "parse_facility_types"]


@dataclass(frozen=True)
class FacilityType:
    """One kind of facility (e.g. 普惠性托育点), declared in configuration, not code."""

    key: str
    name_zh: str
    name_en: str
    groups: tuple[str, ...] = ()
    color: str = "#555555"


@dataclass(frozen=True)
class TypeGroup:
    """A named set of facility types (e.g. all 普惠性 childcare) that coverage and rules can refer to."""

    key: str
    name_zh: str
    name_en: str
    types: tuple[str, ...]


def load_facility_types(path: str | Path) -> tuple[tuple[FacilityType, ...], tuple[TypeGroup, ...]]:
    """Read a facility-type file (``types:`` and ``groups:``) on its own.

    Raises
    ------
    ConfigError
    """
    path = Path(path)
    p = ProblemList(str(path))
    types, groups = _types_from_mapping(load_yaml(path), p)
    p.raise_if_errors(ConfigError)
    return types, groups


def parse_facility_types(value: object, base: Path, p: ProblemList, line: int | None):
    if isinstance(value, str):
        tpath = resolve_path(value, base)
        if not tpath.is_file():
            p.add(f"facility_types: 找不到类型文件 {tpath}。请检查路径 (相对路径以配置文件所在目录为准)。",
                  f"facility_types: type file not found: {tpath}; relative paths are relative to the config file",
                  row=line, column="facility_types", value=value)
            return (), ()
        sub = ProblemList(str(tpath))
        try:
            types, groups = _types_from_mapping(load_yaml(tpath), sub)
        except ConfigError as exc:
            sub.problems = exc.problems
            types, groups = (), ()
        p.problems.extend(_in_type_file(tpath, sub.problems))
        return types, groups
    if isinstance(value, dict):
        return _types_from_mapping(value, p)
    p.add("facility_types 应是类型文件的路径, 或包含 types 和 groups 的映射。",
          "facility_types must be a path to a type file or a mapping with types and groups", row=line,
          column="facility_types", value=value)
    return (), ()


def _in_type_file(tpath: Path, problems: list) -> list:
    """Problems of the type file, reported in the config's list: each says which file (and line) it is about."""
    from dataclasses import replace

    out = []
    for q in problems:
        where = f"类型文件 {tpath.name}" + (f" 第 {q.row} 行" if q.row is not None else "")
        out.append(replace(q, message_zh=f"{where}: {q.message_zh}", message_en=f"type file {tpath.name}"
                           + (f" line {q.row}" if q.row is not None else "") + f": {q.message_en}", row=None))
    return out


def _types_from_mapping(m: dict, p: ProblemList) -> tuple[tuple[FacilityType, ...], tuple[TypeGroup, ...]]:
    check_keys(m, {"types", "groups"}, "facility_types", p, required=("types",))
    types: list[FacilityType] = []
    for i, t in enumerate(m.get("types") or []):
        row = m["types"].lines[i] if hasattr(m["types"], "lines") else None
        if not isinstance(t, dict):
            p.add("每个类型应是映射 (key, name_zh, ...)。", "each type must be a mapping", row=row, value=t)
            continue
        check_keys(t, {"key", "name_zh", "name_en", "groups", "color"}, "facility_types.types", p,
                   required=("key", "name_zh"))
        key = str(t.get("key", ""))
        if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
            p.add("类型的 key 应是小写英文、数字和下划线, 例如 inclusive_childcare_point。",
                  "a type key must be lower-case ASCII letters, digits and '_'", row=line_of(t, "key"),
                  column="key", value=key)
        types.append(FacilityType(key=key, name_zh=str(t.get("name_zh", key)), name_en=str(t.get("name_en", key)),
                                  groups=tuple(str(g) for g in t.get("groups") or ()),
                                  color=str(t.get("color", "#555555"))))
    keys = [t.key for t in types]
    for dup in sorted({k for k in keys if keys.count(k) > 1}):
        p.add(f"类型 key「{dup}」重复。", f"type key {dup!r} is repeated", column="key", value=dup)
    groups = []
    gdefs = m.get("groups") or {}
    for gkey, g in gdefs.items():
        g = g if isinstance(g, dict) else {}
        members = tuple(t.key for t in types if gkey in t.groups)
        groups.append(TypeGroup(str(gkey), str(g.get("name_zh", gkey)), str(g.get("name_en", gkey)), members))
    for t in types:
        for g in t.groups:
            if g not in gdefs:
                p.add(f"类型「{t.key}」属于未声明的组「{g}」。请在 groups 中声明它。",
                      f"type {t.key!r} is in undeclared group {g!r}; declare it under groups", column="groups",
                      value=g)
    return tuple(types), tuple(groups)
