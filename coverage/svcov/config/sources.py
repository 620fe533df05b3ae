"""Sections ``boundaries`` and ``facilities``: the 街镇 boundary file and the facility registers, and how to read them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .. import settings
from ..errors import ProblemList
from ..vocabulary import BOUNDARY_OVERLAP_CHOICES, normalise_coord_system
from ..yamlio import check_keys, line_of
from .fields import boolean, existing_path, number

__all__ = ["NameRule", "FacilitySource", "BoundarySource", "parse_boundaries", "parse_facility_sources"]


@dataclass(frozen=True)
class NameRule:
    """Estimate a facility's type from its name: first matching ``pattern`` (a regular expression) wins."""

    pattern: str
    type: str
    note_zh: str
    note_en: str


@dataclass(frozen=True)
class FacilitySource:
    """One facility file (a register, or the bundled OSM points) and how to read it."""

    path: Path
    label_zh: str
    coord_system: str = "wgs84"
    complete_register: bool = True
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sheet: str | None = None
    default_type: str | None = None
    type_from_name: tuple[NameRule, ...] = ()
    #: Facilities outside the district but within this distance are kept with a warning; farther ones are errors.
    outside_margin_m: float = settings.facility_outside_margin_m


@dataclass(frozen=True)
class BoundarySource:
    """The 街镇 boundary file."""

    path: Path
    label_zh: str
    code_column: str | None = "code"
    name_column: str = "name"
    filter: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: 街镇 that overlap (or lie inside one another): ``error`` stops the run, ``resolve`` takes the overlap out of
    #: the larger unit (each resolution is listed).
    overlaps: str = "error"
    overlap_min_share: float = settings.boundary_overlap_min_share
    overlap_min_km2: float = settings.boundary_overlap_min_km2


def parse_boundaries(m: dict, base: Path, p: ProblemList) -> BoundarySource:
    check_keys(m, {"path", "code_column", "name_column", "filter", "label_zh", "overlaps", "overlap_min_share",
                   "overlap_min_km2"},
               "boundaries", p, required=("path",))
    path = existing_path(m, "path", base, p, "boundaries")
    filt = m.get("filter") or {}
    if not isinstance(filt, dict):
        p.add("boundaries.filter 应是映射, 例如 {district: 闵行}。", "boundaries.filter must be a mapping",
              row=line_of(m, "filter"), column="filter", value=filt)
        filt = {}
    code_column = m.get("code_column", "code")
    overlaps = str(m.get("overlaps", "error"))
    if overlaps not in BOUNDARY_OVERLAP_CHOICES:
        p.add("boundaries.overlaps 应是 error (重叠时报错) 或 resolve (从较大的街镇中去掉重叠部分)。",
              "boundaries.overlaps must be error or resolve", row=line_of(m, "overlaps"), column="overlaps",
              value=overlaps)
        overlaps = "error"
    return BoundarySource(path=path or Path(), label_zh=str(m.get("label_zh", "街镇边界")),
                          code_column=None if code_column is None else str(code_column),
                          name_column=str(m.get("name_column", "name")),
                          filter=MappingProxyType({str(k): str(v) for k, v in filt.items()}), overlaps=overlaps,
                          overlap_min_share=number(m, "overlap_min_share", settings.boundary_overlap_min_share, p,
                                                   "boundaries", lo_open=False, hi=1.0),
                          overlap_min_km2=number(m, "overlap_min_km2", settings.boundary_overlap_min_km2, p,
                                                 "boundaries", lo_open=False))


def parse_facility_sources(value: object, base: Path, p: ProblemList, type_keys: set[str],
                      line: int | None) -> tuple[FacilitySource, ...]:
    if not isinstance(value, list):
        p.add("facilities 应是文件列表。", "facilities must be a list of files", row=line, column="facilities")
        return ()
    return tuple(_facility_source(m, base, p, type_keys) for m in value if isinstance(m, dict))


def _facility_source(m: dict, base: Path, p: ProblemList, type_keys: set[str]) -> FacilitySource:
    check_keys(m, {"path", "label_zh", "coord_system", "complete_register", "columns", "sheet", "default_type",
                   "type_from_name", "outside_margin_m"}, "facilities[]", p, required=("path",))
    path = existing_path(m, "path", base, p, "facilities")
    coord = normalise_coord_system(m.get("coord_system", "wgs84"))
    if coord is None:
        p.add("coord_system 应是 wgs84、gcj02 (高德/腾讯) 或 bd09 (百度)。",
              "coord_system must be wgs84, gcj02 (Amap/Tencent) or bd09 (Baidu)", row=line_of(m, "coord_system"),
              column="coord_system", value=m.get("coord_system"))
    default_type = m.get("default_type")
    if default_type is not None and str(default_type) not in type_keys:
        p.add(f"default_type「{default_type}」不是已声明的设施类型。", f"default_type {default_type!r} is not a declared type",
              row=line_of(m, "default_type"), column="default_type", value=default_type)
    rules = []
    for r in m.get("type_from_name") or []:
        check_keys(r, {"pattern", "type", "note_zh", "note_en"}, "type_from_name[]", p, required=("pattern", "type"))
        try:
            re.compile(str(r.get("pattern", "")))
        except re.error as exc:
            p.add(f"正则表达式有误: {exc}", f"bad regular expression: {exc}", row=line_of(r, "pattern"),
                  column="pattern", value=r.get("pattern"))
        if str(r.get("type")) not in type_keys:
            p.add(f"type_from_name 的类型「{r.get('type')}」未声明。", f"type {r.get('type')!r} is not declared",
                  row=line_of(r, "type"), column="type", value=r.get("type"))
        rules.append(NameRule(str(r.get("pattern", "")), str(r.get("type", "")), str(r.get("note_zh", "")),
                              str(r.get("note_en", ""))))
    columns = m.get("columns") or {}
    return FacilitySource(path=path or Path(), label_zh=str(m.get("label_zh", path.name if path else "")),
                          coord_system=coord or "wgs84",
                          complete_register=boolean(m, "complete_register", True, p, "facilities[]"),
                          columns=MappingProxyType({str(k): str(v) for k, v in columns.items()}),
                          sheet=None if m.get("sheet") is None else str(m["sheet"]),
                          default_type=None if default_type is None else str(default_type),
                          type_from_name=tuple(rules),
                          outside_margin_m=number(m, "outside_margin_m", settings.facility_outside_margin_m, p,
                                                  "facilities[]", lo_open=False))
