"""The run's YAML configuration, parsed and validated into frozen dataclasses in one place.

A configuration names the district, its boundary file, the facility types and registers, the population
source, travel settings, the rule file, the years of the plan and the siting settings. Relative paths are
relative to the configuration file. Every problem of the file is reported at once, with its line.

Example: ``data/config/songjiang.yaml`` (the bundled default).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from . import settings
from .data.coords import normalise_coord_system
from .errors import ConfigError, ProblemList
from .yamlio import LineDict, check_keys, line_of, load_yaml

__all__ = ["FacilityType", "TypeGroup", "NameRule", "FacilitySource", "BoundarySource", "PopulationEstimate",
           "PopulationSource", "TravelConfig", "NetworkConfig", "SitingConfig", "OutputConfig", "RunConfig",
           "load_config", "load_facility_types", "default_config_path", "FACILITY_ATTRIBUTES"]

#: Facility attributes every type may carry (beyond id, name, type, coordinates).
FACILITY_ATTRIBUTES = ("capacity_places", "opened_year", "closed_year", "has_nursery_class", "is_demonstration")


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


@dataclass(frozen=True)
class BoundarySource:
    """The 街镇 boundary file."""

    path: Path
    label_zh: str
    code_column: str | None = "code"
    name_column: str = "name"
    filter: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PopulationEstimate:
    """How the default population surface is estimated when no population grid is supplied.

    A district total (e.g. from the census) is spread over grid cells: ``compound_share`` of it in proportion to a
    Gaussian kernel (``kernel_sigma_m``) around residential compounds, the rest evenly over land area.
    """

    total_pop: float
    total_0_3: float
    source_zh: str
    compounds: Path | None
    compound_share: float = 0.7
    kernel_sigma_m: float = 300.0
    cell_size_m: float = settings.population_cell_size_m
    compounds_filter: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PopulationSource:
    """Where the demand comes from: ``kind`` is ``estimate``, ``raster``, ``vector`` or ``points``."""

    kind: str
    label_zh: str
    is_estimate: bool
    path: Path | None = None
    pop_0_3_column: str | None = None
    pop_total_column: str | None = None
    share_0_3: float | None = None
    band: int = 1
    band_value: str = "pop_total"
    coord_system: str = "wgs84"
    estimate: PopulationEstimate | None = None


@dataclass(frozen=True)
class TravelConfig:
    """Walking speed, straight-line fallback and thresholds."""

    walk_speed_kph: float = settings.walk_speed_kph
    circuity_factor: float = settings.circuity_factor
    snap_max_m: float = settings.snap_max_m
    thresholds_min: tuple[int, ...] = settings.thresholds_min


@dataclass(frozen=True)
class NetworkConfig:
    """Road network: ``source`` is ``None`` (straight-line fallback), ``"osm_download"`` or a file path.

    ``snap_tolerance_m`` and ``split_crossings`` apply to road centre-line layers (see
    :func:`coverage.network.lines.network_from_lines`).
    """

    source: str | Path | None = None
    place: str | None = None
    cache_dir: Path | None = None
    snap_tolerance_m: float = settings.line_snap_tolerance_m
    split_crossings: bool = True


@dataclass(frozen=True)
class SitingConfig:
    """Settings of the site-selection step (see :mod:`coverage.siting`); keys of the ``siting:`` section.

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
        Candidate sources, each ``{kind: file|pois|grid|clusters, ...}`` (see :mod:`coverage.siting.candidates`).
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
        ``p_median``: times above this count as this (default twice ``threshold_min``).
    capacity_places_new, capacity_places_unknown
        ``capacitated``: places of a new site, and of existing facilities whose register gives none.
    method, time_limit_s, mip_rel_gap
        ``mip`` (exact), ``heuristic`` or ``auto``; solver time limit; relative gap counted as optimal.
    compounds
        ``{path, fclass}``: residential compounds named in the memos (default: the population estimate's).
    n_alternatives
        Alternatives listed per proposed site.
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


@dataclass(frozen=True)
class OutputConfig:
    """Where and how outputs are written."""

    dir: Path
    basemap: str = "none"
    tianditu_key: str | None = None


@dataclass(frozen=True)
class RunConfig:
    """One validated run configuration. Build it with :func:`load_config`."""

    path: Path
    run_name: str
    district_name_zh: str
    district_name_en: str
    district_code: str | None
    crs_metric: str
    boundaries: BoundarySource
    facility_types: tuple[FacilityType, ...]
    type_groups: tuple[TypeGroup, ...]
    facilities: tuple[FacilitySource, ...]
    population: PopulationSource
    travel: TravelConfig
    network: NetworkConfig
    rules_path: Path | None
    years: tuple[int, ...]
    report_year: int
    siting: SitingConfig
    output: OutputConfig

    def type_by_key(self) -> dict[str, FacilityType]:
        return {t.key: t for t in self.facility_types}

    def group_types(self, key: str) -> tuple[str, ...]:
        """Types of a group, or ``(key,)`` if ``key`` is a type."""
        for g in self.type_groups:
            if g.key == key:
                return g.types
        return (key,)


def default_config_path() -> Path:
    """The bundled Songjiang configuration (``data/config/songjiang.yaml`` of the project)."""
    here = Path.cwd() / "data" / "config" / "songjiang.yaml"
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[1] / "data" / "config" / "songjiang.yaml"


_TOP_KEYS = {"run_name", "district", "crs_metric", "boundaries", "facility_types", "facilities", "population",
             "travel", "network", "rules", "years", "report_year", "siting", "outputs"}


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a run configuration.

    Parameters
    ----------
    path
        The YAML file.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        Listing every problem of the file with its line.
    """
    path = Path(path)
    raw = load_yaml(path)
    p = ProblemList(str(path))
    check_keys(raw, _TOP_KEYS, "配置 (config)", p, required=("district", "boundaries", "facility_types",
                                                             "facilities", "population", "years"))
    base = path.resolve().parent
    district = _mapping(raw, "district", p)
    check_keys(district, {"name_zh", "name_en", "code"}, "district", p, required=("name_zh",))
    types, groups = _facility_types(raw.get("facility_types"), base, p, line_of(raw, "facility_types"))
    type_keys = {t.key for t in types}
    years = _years(raw, p)
    cfg = RunConfig(
        path=path,
        run_name=_run_name(raw, path, p),
        district_name_zh=str(district.get("name_zh", "")),
        district_name_en=str(district.get("name_en", district.get("name_zh", ""))),
        district_code=None if district.get("code") is None else str(district.get("code")),
        crs_metric=str(raw.get("crs_metric", "auto")),
        boundaries=_boundaries(_mapping(raw, "boundaries", p), base, p),
        facility_types=types,
        type_groups=groups,
        facilities=_facility_sources(raw.get("facilities"), base, p, type_keys, line_of(raw, "facilities")),
        population=_population(_mapping(raw, "population", p), base, p),
        travel=_travel(_mapping(raw, "travel", p, optional=True), p),
        network=_network(_mapping(raw, "network", p, optional=True), base, p),
        rules_path=_path(raw.get("rules"), base) if raw.get("rules") else None,
        years=years,
        report_year=_report_year(raw, years, p),
        siting=_siting(_mapping(raw, "siting", p, optional=True), base, p, type_keys | {g.key for g in groups}),
        output=_outputs(_mapping(raw, "outputs", p, optional=True), base, p),
    )
    if cfg.rules_path is not None and not cfg.rules_path.is_file():
        p.add(f"规则文件不存在: {cfg.rules_path}", f"rule file not found: {cfg.rules_path}",
              row=line_of(raw, "rules"), column="rules", value=str(raw.get("rules")))
    p.raise_if_errors(ConfigError)
    return cfg


# --- sections ---------------------------------------------------------------------------------------------


def _mapping(raw: dict, key: str, p: ProblemList, optional: bool = False) -> dict:
    value = raw.get(key)
    if value is None:
        return LineDict() if optional or key not in raw else LineDict()
    if not isinstance(value, dict):
        p.add(f"「{key}」应是映射 (键: 值)。", f"{key!r} must be a mapping", row=line_of(raw, key), column=key,
              value=value)
        return LineDict()
    return value


def _path(value: object, base: Path) -> Path:
    path = Path(str(value))
    return path if path.is_absolute() else (base / path).resolve()


def _existing_path(m: dict, key: str, base: Path, p: ProblemList, where: str) -> Path | None:
    if key not in m or m[key] in (None, ""):
        return None
    path = _path(m[key], base)
    if not path.exists():
        p.add(f"{where}: 文件不存在 {path}。请检查路径 (相对路径以配置文件所在目录为准)。",
              f"{where}: file not found {path}; relative paths are relative to the config file",
              row=line_of(m, key), column=key, value=str(m[key]))
    return path


def _number(m: dict, key: str, default: float, p: ProblemList, where: str, *, lo: float = 0.0,
            hi: float = float("inf"), lo_open: bool = True) -> float:
    if key not in m:
        return default
    value = m[key]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and (((value <= lo) if lo_open else (value < lo)) or value > hi):
        ok = False
    if not ok:
        bound = f"({'>' if lo_open else '≥'} {lo}" + (f", ≤ {hi})" if hi != float("inf") else ")")
        p.add(f"{where}.{key} 应是数字 {bound}。", f"{where}.{key} must be a number {bound}",
              row=line_of(m, key), column=key, value=value)
        return default
    return float(value)


def _bool(m: dict, key: str, default: bool, p: ProblemList, where: str) -> bool:
    value = m.get(key, default)
    if not isinstance(value, bool):
        p.add(f"{where}.{key} 应是 true 或 false。", f"{where}.{key} must be true or false",
              row=line_of(m, key), column=key, value=value)
        return default
    return value


def _run_name(raw: dict, path: Path, p: ProblemList) -> str:
    name = str(raw.get("run_name", path.stem))
    if not re.fullmatch(r"[\w.\-]+", name):
        p.add("run_name 只能包含字母、数字、下划线、点和连字符 (它会成为输出文件夹名)。",
              "run_name may only contain letters, digits, '_', '.' and '-' (it names the output folder)",
              row=line_of(raw, "run_name"), column="run_name", value=name)
    return name


def _years(raw: dict, p: ProblemList) -> tuple[int, ...]:
    years = raw.get("years", [])
    ok = isinstance(years, list) and years and all(isinstance(y, int) and not isinstance(y, bool)
                                                    and settings.min_year <= y <= settings.max_year for y in years)
    if not ok:
        p.add("years 应是年份列表, 例如 [2021, 2022, 2023]。", "years must be a list of years, e.g. [2021, 2022, 2023]",
              row=line_of(raw, "years"), column="years", value=years)
        return ()
    return tuple(sorted(set(years)))


def _report_year(raw: dict, years: tuple[int, ...], p: ProblemList) -> int:
    year = raw.get("report_year", years[-1] if years else 0)
    if years and year not in years:
        p.add(f"report_year 应是 years 之一 ({list(years)})。", f"report_year must be one of years {list(years)}",
              row=line_of(raw, "report_year"), column="report_year", value=year)
    return int(year) if isinstance(year, int) else 0


def _boundaries(m: dict, base: Path, p: ProblemList) -> BoundarySource:
    check_keys(m, {"path", "code_column", "name_column", "filter", "label_zh"}, "boundaries", p, required=("path",))
    path = _existing_path(m, "path", base, p, "boundaries")
    filt = m.get("filter") or {}
    if not isinstance(filt, dict):
        p.add("boundaries.filter 应是映射, 例如 {district: 闵行}。", "boundaries.filter must be a mapping",
              row=line_of(m, "filter"), column="filter", value=filt)
        filt = {}
    return BoundarySource(path=path or Path(), label_zh=str(m.get("label_zh", "街镇边界")),
                          code_column=None if m.get("code_column", "code") is None else str(m.get("code_column", "code")),
                          name_column=str(m.get("name_column", "name")),
                          filter=MappingProxyType({str(k): str(v) for k, v in filt.items()}))


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


def _facility_types(value: object, base: Path, p: ProblemList, line: int | None):
    if isinstance(value, str):
        tpath = _path(value, base)
        sub = ProblemList(str(tpath))
        try:
            types, groups = _types_from_mapping(load_yaml(tpath), sub)
        except ConfigError as exc:
            p.problems.extend(exc.problems)
            return (), ()
        p.problems.extend(sub.problems)
        return types, groups
    if isinstance(value, dict):
        return _types_from_mapping(value, p)
    p.add("facility_types 应是类型文件的路径, 或包含 types 和 groups 的映射。",
          "facility_types must be a path to a type file or a mapping with types and groups", row=line,
          column="facility_types", value=value)
    return (), ()


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


def _facility_sources(value: object, base: Path, p: ProblemList, type_keys: set[str],
                      line: int | None) -> tuple[FacilitySource, ...]:
    if not isinstance(value, list):
        p.add("facilities 应是文件列表。", "facilities must be a list of files", row=line, column="facilities")
        return ()
    return tuple(_facility_source(m, base, p, type_keys) for m in value if isinstance(m, dict))


def _facility_source(m: dict, base: Path, p: ProblemList, type_keys: set[str]) -> FacilitySource:
    check_keys(m, {"path", "label_zh", "coord_system", "complete_register", "columns", "sheet", "default_type",
                   "type_from_name"}, "facilities[]", p, required=("path",))
    path = _existing_path(m, "path", base, p, "facilities")
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
                          complete_register=_bool(m, "complete_register", True, p, "facilities[]"),
                          columns=MappingProxyType({str(k): str(v) for k, v in columns.items()}),
                          sheet=None if m.get("sheet") is None else str(m["sheet"]),
                          default_type=None if default_type is None else str(default_type),
                          type_from_name=tuple(rules))


def _population(m: dict, base: Path, p: ProblemList) -> PopulationSource:
    check_keys(m, {"kind", "label_zh", "is_estimate", "path", "pop_0_3_column", "pop_total_column", "share_0_3",
                   "band", "band_value", "coord_system", "estimate"}, "population", p, required=("kind",))
    kind = str(m.get("kind", "estimate"))
    if kind not in {"estimate", "raster", "vector", "points"}:
        p.add("population.kind 应是 estimate、raster (GeoTIFF)、vector (面网格) 或 points (CSV 点)。",
              "population.kind must be estimate, raster, vector or points", row=line_of(m, "kind"), column="kind",
              value=kind)
    estimate = None
    if kind == "estimate":
        e = m.get("estimate") if isinstance(m.get("estimate"), dict) else LineDict()
        check_keys(e, {"total_pop", "total_0_3", "source_zh", "compounds", "compound_share", "kernel_sigma_m",
                       "cell_size_m", "compounds_filter"}, "population.estimate", p, required=("total_pop", "total_0_3"))
        estimate = PopulationEstimate(
            total_pop=_number(e, "total_pop", 0.0, p, "population.estimate"),
            total_0_3=_number(e, "total_0_3", 0.0, p, "population.estimate"),
            source_zh=str(e.get("source_zh", "")),
            compounds=_existing_path(e, "compounds", base, p, "population.estimate.compounds"),
            compound_share=_number(e, "compound_share", 0.7, p, "population.estimate", lo=0.0, hi=1.0,
                                   lo_open=False),
            kernel_sigma_m=_number(e, "kernel_sigma_m", 300.0, p, "population.estimate"),
            cell_size_m=_number(e, "cell_size_m", settings.population_cell_size_m, p, "population.estimate"),
            compounds_filter=MappingProxyType({str(k): str(v) for k, v in (e.get("compounds_filter") or {}).items()}),
        )
    elif "path" not in m:
        p.add(f"population.kind={kind} 需要 path。", f"population.kind={kind} needs a path", row=line_of(m),
              column="path")
    share = m.get("share_0_3")
    if share is not None:
        share = _number(m, "share_0_3", 0.0, p, "population", lo=0.0, hi=1.0)
    coord = normalise_coord_system(m.get("coord_system", "wgs84")) or "wgs84"
    band_value = str(m.get("band_value", "pop_total"))
    if band_value not in {"pop_total", "pop_0_3"}:
        p.add("population.band_value 应是 pop_total (常住人口) 或 pop_0_3 (0-3 岁人口)。",
              "population.band_value must be pop_total or pop_0_3", row=line_of(m, "band_value"), column="band_value",
              value=band_value)
    return PopulationSource(kind=kind, label_zh=str(m.get("label_zh", "人口")),
                            is_estimate=_bool(m, "is_estimate", kind == "estimate", p, "population"),
                            path=_existing_path(m, "path", base, p, "population"),
                            pop_0_3_column=m.get("pop_0_3_column"), pop_total_column=m.get("pop_total_column"),
                            share_0_3=share, band=int(m.get("band", 1)), band_value=band_value,
                            coord_system=coord, estimate=estimate)


def _travel(m: dict, p: ProblemList) -> TravelConfig:
    check_keys(m, {"walk_speed_kph", "circuity_factor", "snap_max_m", "thresholds_min"}, "travel", p)
    thresholds = m.get("thresholds_min", list(settings.thresholds_min))
    if not (isinstance(thresholds, list) and thresholds
            and all(isinstance(t, int) and not isinstance(t, bool) and 0 < t <= 120 for t in thresholds)):
        p.add("travel.thresholds_min 应是 1-120 分钟的整数列表, 例如 [5, 10, 15]。",
              "travel.thresholds_min must be a list of whole minutes 1-120", row=line_of(m, "thresholds_min"),
              column="thresholds_min", value=thresholds)
        thresholds = list(settings.thresholds_min)
    return TravelConfig(
        walk_speed_kph=_number(m, "walk_speed_kph", settings.walk_speed_kph, p, "travel", hi=30.0),
        circuity_factor=_number(m, "circuity_factor", settings.circuity_factor, p, "travel", lo=1.0, hi=5.0,
                                lo_open=False),
        snap_max_m=_number(m, "snap_max_m", settings.snap_max_m, p, "travel"),
        thresholds_min=tuple(sorted(set(thresholds))),
    )


def _network(m: dict, base: Path, p: ProblemList) -> NetworkConfig:
    check_keys(m, {"source", "place", "cache_dir", "snap_tolerance_m", "split_crossings"}, "network", p)
    source = m.get("source")
    if source in (None, "none", "straight_line"):
        src: str | Path | None = None
    elif source == "osm_download":
        src = "osm_download"
    else:
        src = _existing_path(m, "source", base, p, "network")
    cache = _path(m["cache_dir"], base) if m.get("cache_dir") else None
    return NetworkConfig(source=src, place=None if m.get("place") is None else str(m["place"]), cache_dir=cache,
                         snap_tolerance_m=_number(m, "snap_tolerance_m", settings.line_snap_tolerance_m, p, "network",
                                                  lo_open=False, hi=100.0),
                         split_crossings=_bool(m, "split_crossings", True, p, "network"))


_SITING_MODELS = ("mclp", "lscp", "p_median", "capacitated")
_CANDIDATE_KEYS = {"file": ({"kind", "path", "label_zh", "coord_system", "columns", "sheet"}, ("path",)),
                   "pois": ({"kind", "path", "label_zh", "fclass", "fclass_column", "name_column"}, ("path",)),
                   "grid": ({"kind", "spacing_m", "label_zh"}, ()),
                   "clusters": ({"kind", "n_clusters", "label_zh", "seed"}, ())}


def _siting(m: dict, base: Path, p: ProblemList, known: set[str]) -> SitingConfig:
    allowed = {f.name for f in dataclasses.fields(SitingConfig)}
    check_keys(m, allowed, "siting", p)
    ftype = m.get("facility_type")
    for key in ("facility_type", "count_existing"):
        if m.get(key) is not None and str(m[key]) not in known:
            p.add(f"siting.{key}「{m[key]}」不是已声明的类型或组。", f"siting.{key} {m[key]!r} is not a declared type or group",
                  row=line_of(m, key), column=key, value=m[key])
    model = str(m.get("model", "mclp"))
    if model not in _SITING_MODELS:
        p.add(f"siting.model 应是 {', '.join(_SITING_MODELS)} 之一。", f"siting.model must be one of {_SITING_MODELS}",
              row=line_of(m, "model"), column="model", value=model)
    method = str(m.get("method", "mip"))
    if method not in {"mip", "heuristic", "auto"}:
        p.add("siting.method 应是 mip (精确求解)、heuristic (启发式) 或 auto。", "siting.method must be mip, heuristic or auto",
              row=line_of(m, "method"), column="method", value=method)
    opt_num = (lambda key, **kw: None if m.get(key) is None else _number(m, key, 0.0, p, "siting", **kw))
    opt_int = (lambda key: None if m.get(key) is None else _count(m, key, p))
    return SitingConfig(
        facility_type=None if ftype is None else str(ftype),
        model=model,
        threshold_min=int(_number(m, "threshold_min", 15, p, "siting", hi=120)),
        sites_per_year=_sites_per_year(m, p),
        candidates=tuple(_candidate_sources(m, base, p)),
        min_spacing_m=_number(m, "min_spacing_m", 0.0, p, "siting", lo_open=False),
        time_limit_s=_number(m, "time_limit_s", 60.0, p, "siting"),
        options=MappingProxyType(dict(m.get("options") or {})),
        count_existing=None if m.get("count_existing") is None else str(m["count_existing"]),
        k=opt_int("k"),
        min_distance_to_existing_m=_number(m, "min_distance_to_existing_m", 0.0, p, "siting", lo_open=False),
        exclusions=_exclusions(m, base, p),
        require_in_each_jiezhen=_bool(m, "require_in_each_jiezhen", True, p, "siting"),
        rule_label_zh=None if m.get("rule_label_zh") is None else str(m["rule_label_zh"]),
        rule_deadline_year=opt_int("rule_deadline_year"),
        rule_ids=tuple(str(r) for r in (m.get("rule_ids") or [])),
        max_per_jiezhen=opt_int("max_per_jiezhen"),
        target_share=_number(m, "target_share", 1.0, p, "siting", hi=1.0),
        max_time_min=opt_num("max_time_min"),
        capacity_places_new=opt_num("capacity_places_new"),
        capacity_places_unknown=opt_num("capacity_places_unknown", lo_open=False),
        method=method,
        mip_rel_gap=_number(m, "mip_rel_gap", 1e-4, p, "siting", lo=0.0, hi=1.0, lo_open=False),
        compounds=_siting_compounds(m, base, p),
        n_alternatives=int(_count(m, "n_alternatives", p) if "n_alternatives" in m else 3),
    )


def _exclusions(m: dict, base: Path, p: ProblemList) -> tuple[Path, ...]:
    out = []
    for item in m.get("exclusions") or []:
        path = _path(item, base)
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


def _candidate_sources(m: dict, base: Path, p: ProblemList) -> list[Mapping[str, Any]]:
    out = []
    for c in m.get("candidates") or []:
        if not isinstance(c, dict):
            p.add("siting.candidates 的每一项应是映射, 例如 {kind: grid, spacing_m: 1000}。",
                  "each siting.candidates entry must be a mapping", row=line_of(m, "candidates"), value=c)
            continue
        kind = str(c.get("kind", ""))
        if kind not in _CANDIDATE_KEYS:
            p.add(f"候选点来源 kind 应是 {', '.join(_CANDIDATE_KEYS)} 之一。", f"candidate kind must be one of "
                  f"{', '.join(_CANDIDATE_KEYS)}", row=line_of(c, "kind"), column="kind", value=c.get("kind"))
            continue
        keys, required = _CANDIDATE_KEYS[kind]
        check_keys(c, keys, f"siting.candidates ({kind})", p, required=required)
        entry = dict(c)
        if "path" in c:
            entry["path"] = _existing_path(c, "path", base, p, f"siting.candidates ({kind})")
        if kind == "grid":
            _number(c, "spacing_m", 1000.0, p, "siting.candidates (grid)")
        if kind == "clusters" and not (isinstance(c.get("n_clusters", 50), int) and c.get("n_clusters", 50) > 0):
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
    return MappingProxyType({**c, "path": _existing_path(c, "path", base, p, "siting.compounds")})


def _outputs(m: dict, base: Path, p: ProblemList) -> OutputConfig:
    check_keys(m, {"dir", "basemap", "tianditu_key"}, "outputs", p)
    basemap = str(m.get("basemap", "none"))
    if basemap not in {"none", "osm", "tianditu"}:
        p.add("outputs.basemap 应是 none、osm 或 tianditu。", "outputs.basemap must be none, osm or tianditu",
              row=line_of(m, "basemap"), column="basemap", value=basemap)
    out_dir = _path(m.get("dir", "outputs"), base)
    return OutputConfig(dir=out_dir, basemap=basemap,
                        tianditu_key=None if m.get("tianditu_key") is None else str(m["tianditu_key"]))
