"""Section ``facility_types``: the service's type file — the kinds of facility and their groups, the attributes a
facility of this service has (capacity with its unit word, yes/no flags, other numbers), and the service's own
words (its name, the service of the 15-minute circle). Nothing here knows one service from another: the childcare
words live in ``data/config/facility_types_childcare.yaml``, elderly care's in its own file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..errors import ConfigError, ProblemList
from ..vocabulary import ATTRIBUTE_KINDS, CAPACITY, RESERVED_FACILITY_COLUMNS
from ..yamlio import LineDict, check_keys, line_of, load_yaml
from .fields import resolve_path

__all__ = ["FacilityType", "TypeGroup", "FacilityAttribute", "ServiceWords", "TypeFile", "load_facility_types",
           "load_type_file", "parse_facility_types"]

_KEY = re.compile(r"[a-z][a-z0-9_]*")


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


@dataclass(frozen=True)
class FacilityAttribute:
    """One attribute a facility of the service may carry, declared by the type file.

    Attributes
    ----------
    key
        Column of the facility frame (``capacity`` is the one attribute 2SFCA and capacitated siting use).
    kind
        ``"number"`` or ``"flag"`` (yes/no).
    label_zh, label_en
        Column header and name in messages, e.g. 「床位数」.
    aliases
        Other headers registers use for it (matched like every header: case, width and spaces ignored).
    noun_zh, unit_zh
        Numbers: what a sum counts and its counting word, e.g. 「床位」 and 「张」 (「新增 120 张床位」).
    integer, min, max
        Numbers: validation of every value (``None``: no bound).
    yes_zh, no_zh
        Flags: the condition in a sentence, e.g. 「开设托班」 / 「未开设托班」.
    """

    key: str
    kind: str
    label_zh: str
    label_en: str = ""
    aliases: tuple[str, ...] = ()
    noun_zh: str = ""
    unit_zh: str = "个"
    integer: bool = False
    min: float | None = 0.0
    max: float | None = None
    yes_zh: str = ""
    no_zh: str = ""

    @property
    def is_number(self) -> bool:
        return self.kind == "number"

    @property
    def is_flag(self) -> bool:
        return self.kind == "flag"

    def amount_zh(self) -> str:
        """What one unit of the number is called with its counting word: 「个托位」, 「张床位」."""
        return f"{self.unit_zh}{self.noun_zh or self.label_zh}"

    def condition_zh(self, value: bool) -> str:
        """A flag as a condition: 「开设托班」 (True) / 「未开设托班」 (False)."""
        if value:
            return self.yes_zh or self.label_zh
        return self.no_zh or f"非{self.label_zh}"


@dataclass(frozen=True)
class ServiceWords:
    """The service's own words: its name, and the type or group whose 15-minute circle maps and reports show."""

    name_zh: str = "社区服务"
    name_en: str = "community service"
    circle: str | None = None


@dataclass(frozen=True)
class TypeFile:
    """A parsed type file: types, groups, declared attributes and the service's words."""

    types: tuple[FacilityType, ...] = ()
    groups: tuple[TypeGroup, ...] = ()
    attributes: tuple[FacilityAttribute, ...] = ()
    service: ServiceWords = ServiceWords()
    #: More headers registers of this service use for the built-in columns (e.g. ``name``: 园所名称).
    column_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


def load_facility_types(path: str | Path) -> tuple[tuple[FacilityType, ...], tuple[TypeGroup, ...]]:
    """Read a facility-type file (``types:`` and ``groups:``) on its own; see :func:`load_type_file` for the rest.

    Raises
    ------
    ConfigError
    """
    spec = load_type_file(path)
    return spec.types, spec.groups


def load_type_file(path: str | Path) -> TypeFile:
    """Read a whole type file: types, groups, ``attributes`` and ``service``.

    Raises
    ------
    ConfigError
        Listing every problem of the file with its line.
    """
    path = Path(path)
    p = ProblemList(str(path))
    spec = _from_mapping(load_yaml(path), p)
    p.raise_if_errors(ConfigError)
    return spec


def parse_facility_types(value: object, base: Path, p: ProblemList, line: int | None) -> TypeFile:
    if isinstance(value, str):
        tpath = resolve_path(value, base)
        if not tpath.is_file():
            p.add(f"facility_types: 找不到类型文件 {tpath}。请检查路径 (相对路径以配置文件所在目录为准)。",
                  f"facility_types: type file not found: {tpath}; relative paths are relative to the config file",
                  row=line, column="facility_types", value=value)
            return TypeFile()
        sub = ProblemList(str(tpath))
        try:
            spec = _from_mapping(load_yaml(tpath), sub)
        except ConfigError as exc:
            sub.problems = exc.problems
            spec = TypeFile()
        p.problems.extend(_in_type_file(tpath, sub.problems))
        return spec
    if isinstance(value, dict):
        return _from_mapping(value, p)
    p.add("facility_types 应是类型文件的路径, 或包含 types 和 groups 的映射。",
          "facility_types must be a path to a type file or a mapping with types and groups", row=line,
          column="facility_types", value=value)
    return TypeFile()


def _in_type_file(tpath: Path, problems: list) -> list:
    """Problems of the type file, reported in the config's list: each says which file (and line) it is about."""
    from dataclasses import replace

    out = []
    for q in problems:
        where = f"类型文件 {tpath.name}" + (f" 第 {q.row} 行" if q.row is not None else "")
        out.append(replace(q, message_zh=f"{where}: {q.message_zh}", message_en=f"type file {tpath.name}"
                           + (f" line {q.row}" if q.row is not None else "") + f": {q.message_en}", row=None))
    return out


def _from_mapping(m: dict, p: ProblemList) -> TypeFile:
    check_keys(m, {"types", "groups", "attributes", "service", "column_aliases"}, "facility_types", p,
               required=("types",))
    types, groups = _types_and_groups(m, p)
    attributes = _attributes(m.get("attributes"), p, line_of(m, "attributes"))
    service = _service(m.get("service"), p, {t.key for t in types} | {g.key for g in groups}, line_of(m, "service"))
    return TypeFile(types, groups, attributes, service, _column_aliases(m, p))


#: Built-in facility columns a type file may give more headers for.
_ALIASED_COLUMNS = ("facility_id", "name", "type", "address", "opened_year", "closed_year", "jiezhen_given")


def _column_aliases(m: dict, p: ProblemList) -> Mapping[str, tuple[str, ...]]:
    raw = m.get("column_aliases") or {}
    ok = isinstance(raw, dict) and all(isinstance(v, list) for v in raw.values())
    if not ok or not set(raw) <= set(_ALIASED_COLUMNS):
        p.add(f"column_aliases 应是「内置列: [表头, ...]」的映射, 内置列可以是 {', '.join(_ALIASED_COLUMNS)}。",
              "column_aliases must map built-in columns to lists of headers", row=line_of(m, "column_aliases"),
              column="column_aliases", value=raw)
        return MappingProxyType({})
    return MappingProxyType({str(k): tuple(str(h) for h in v) for k, v in raw.items()})


def _types_and_groups(m: dict, p: ProblemList) -> tuple[tuple[FacilityType, ...], tuple[TypeGroup, ...]]:
    types: list[FacilityType] = []
    for i, t in enumerate(m.get("types") or []):
        row = m["types"].lines[i] if hasattr(m["types"], "lines") else None
        if not isinstance(t, dict):
            p.add("每个类型应是映射 (key, name_zh, ...)。", "each type must be a mapping", row=row, value=t)
            continue
        check_keys(t, {"key", "name_zh", "name_en", "groups", "color"}, "facility_types.types", p,
                   required=("key", "name_zh"))
        key = str(t.get("key", ""))
        if not _KEY.fullmatch(key):
            p.add("类型的 key 应是小写英文、数字和下划线, 例如 day_care_centre。",
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


_ATTRIBUTE_KEYS = {"kind", "label_zh", "label_en", "aliases", "noun_zh", "unit_zh", "integer", "min", "max",
                   "yes_zh", "no_zh"}


def _attributes(raw: object, p: ProblemList, line: int | None) -> tuple[FacilityAttribute, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        p.add("attributes 应是映射: 属性 key → {kind, label_zh, ...}, 例如 capacity: {kind: number, label_zh: 床位数}。",
              "attributes must map an attribute key to {kind, label_zh, ...}", row=line, column="attributes",
              value=raw)
        return ()
    return tuple(a for key, spec in raw.items() if (a := _attribute(str(key), spec, raw, p)) is not None)


def _attribute(key: str, spec: object, parent: dict, p: ProblemList) -> FacilityAttribute | None:
    where = f"attributes.{key}"
    if not _KEY.fullmatch(key) or key in RESERVED_FACILITY_COLUMNS:
        p.add(f"{where}: 属性 key 应是小写英文、数字和下划线, 且不能是设施表的固有列 ({', '.join(RESERVED_FACILITY_COLUMNS)})。",
              f"{where}: an attribute key must be lower-case ASCII and not a built-in facility column",
              row=line_of(parent, key), column="attributes", value=key)
        return None
    spec = spec if isinstance(spec, dict) else LineDict()
    check_keys(spec, _ATTRIBUTE_KEYS, where, p, required=("kind", "label_zh"))
    kind = str(spec.get("kind", "number"))
    if kind not in ATTRIBUTE_KINDS or (key == CAPACITY and kind != "number"):
        p.add(f"{where}.kind 应是 number (数值) 或 flag (是/否); capacity 必须是 number。",
              f"{where}.kind must be number or flag (capacity must be a number)", row=line_of(spec, "kind"),
              column="kind", value=kind)
    aliases = spec.get("aliases") or []
    if not isinstance(aliases, list):
        p.add(f"{where}.aliases 应是列名列表。", f"{where}.aliases must be a list of headers",
              row=line_of(spec, "aliases"), column="aliases", value=aliases)
        aliases = []
    bounds = {b: _bound(spec, b, where, p) for b in ("min", "max")}
    integer = spec.get("integer", False)
    if not isinstance(integer, bool):
        p.add(f"{where}.integer 应是 true 或 false。", f"{where}.integer must be true or false",
              row=line_of(spec, "integer"), column="integer", value=integer)
        integer = False
    return FacilityAttribute(key=key, kind=kind, label_zh=str(spec.get("label_zh", key)),
                             label_en=str(spec.get("label_en", key)), aliases=tuple(str(a) for a in aliases),
                             noun_zh=str(spec.get("noun_zh", "")), unit_zh=str(spec.get("unit_zh", "个")),
                             integer=integer, min=bounds["min"] if "min" in spec else 0.0, max=bounds["max"],
                             yes_zh=str(spec.get("yes_zh", "")), no_zh=str(spec.get("no_zh", "")))


def _bound(spec: dict, key: str, where: str, p: ProblemList) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        p.add(f"{where}.{key} 应是数字 (或 null: 不限)。", f"{where}.{key} must be a number or null",
              row=line_of(spec, key), column=key, value=value)
        return None
    return float(value)


def _service(raw: object, p: ProblemList, service_keys: set[str], line: int | None) -> ServiceWords:
    if raw is None:
        return ServiceWords()
    if not isinstance(raw, dict):
        p.add("service 应是映射 (name_zh, name_en, circle)。", "service must be a mapping (name_zh, name_en, circle)",
              row=line, column="service", value=raw)
        return ServiceWords()
    check_keys(raw, {"name_zh", "name_en", "circle"}, "service", p)
    circle = raw.get("circle")
    if circle is not None and str(circle) not in service_keys:
        p.add(f"service.circle「{circle}」不是已声明的类型或类型组。", f"service.circle {circle!r} is not a declared "
              f"type or group", row=line_of(raw, "circle"), column="circle", value=circle)
        circle = None
    return ServiceWords(name_zh=str(raw.get("name_zh", ServiceWords.name_zh)),
                        name_en=str(raw.get("name_en", raw.get("name_zh", ServiceWords.name_en))),
                        circle=None if circle is None else str(circle))
