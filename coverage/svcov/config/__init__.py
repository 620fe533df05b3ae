"""The run's YAML configuration, parsed and validated into frozen dataclasses; one module per section.

A configuration names the district, its boundary file, the facility types and registers, the population
source, travel settings, the rule file, the years of the plan and the siting settings. Relative paths are
relative to the configuration file. Every problem of the file is reported at once, with its line.

Sections: :mod:`.facility_types`, :mod:`.sources` (boundaries, facilities), :mod:`.population`, :mod:`.travel`
(travel, network), :mod:`.siting`, :mod:`.outputs`; this module holds the run itself (district, years) and
:func:`load_config`. Example: ``data/config/songjiang.yaml`` (the bundled default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .. import settings
from ..errors import ConfigError, ProblemList
from ..files import plain_name_problem
from ..vocabulary import CAPACITY
from ..yamlio import check_keys, line_of, load_yaml
from .facility_types import (
    FacilityAttribute,
    FacilityType,
    ServiceWords,
    TypeFile,
    TypeGroup,
    load_facility_types,
    load_type_file,
    parse_facility_types,
)
from .fields import as_mapping, metric_crs_problem, resolve_path
from .outputs import OutputConfig, parse_outputs
from .population import DemandGroup, PopulationEstimate, PopulationSource, parse_population
from .scenarios import ScenarioConfig, load_scenario, parse_scenarios
from .siting import SitingConfig, parse_siting
from .sources import BoundarySource, FacilitySource, NameRule, parse_boundaries, parse_facility_sources
from .travel import NetworkConfig, TravelConfig, TravelProfile, parse_network, parse_travel

__all__ = ["FacilityType", "TypeGroup", "FacilityAttribute", "ServiceWords", "TypeFile", "NameRule",
           "FacilitySource", "BoundarySource", "DemandGroup", "PopulationEstimate", "PopulationSource",
           "TravelConfig", "TravelProfile", "NetworkConfig", "SitingConfig", "OutputConfig", "RunConfig",
           "ScenarioConfig", "load_config", "load_scenario", "load_facility_types", "load_type_file",
           "default_config_path"]


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
    #: Attributes the service's facilities carry (declared by the type file), the service's words and the
    #: extra headers its registers use for the built-in columns.
    attributes: tuple[FacilityAttribute, ...] = ()
    service: ServiceWords = ServiceWords()
    column_aliases: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    #: The type file, if the configuration names one (``facility_types: file.yaml``).
    facility_types_path: Path | None = None
    #: What-if scenarios (``scenarios:`` or ``svcov run --scenario FILE``).
    scenarios: tuple[ScenarioConfig, ...] = ()

    def type_by_key(self) -> dict[str, FacilityType]:
        return {t.key: t for t in self.facility_types}

    def attribute(self, key: str) -> FacilityAttribute | None:
        """The declared attribute ``key``, or ``None``."""
        return next((a for a in self.attributes if a.key == key), None)

    @property
    def capacity(self) -> FacilityAttribute | None:
        """The declared capacity attribute (its unit word: 托位, 床位 ...), or ``None`` if the service has none."""
        return self.attribute(CAPACITY)

    @property
    def served_group(self) -> DemandGroup:
        """The population group the service is for (``population.served_group``)."""
        return self.population.served

    @property
    def circle_service(self) -> str:
        """The type or group of the 15-minute circle (``service.circle`` of the type file; default the first
        group, else the first type)."""
        if self.service.circle:
            return self.service.circle
        if self.type_groups:
            return self.type_groups[0].key
        return self.facility_types[0].key if self.facility_types else ""

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
    return Path(__file__).resolve().parents[3] / "data" / "config" / "songjiang.yaml"  # coverage/svcov/config/


_TOP_KEYS = {"run_name", "district", "crs_metric", "boundaries", "facility_types", "facilities", "population",
             "travel", "network", "rules", "years", "report_year", "siting", "outputs", "scenarios"}


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
    district = as_mapping(raw, "district", p)
    check_keys(district, {"name_zh", "name_en", "code"}, "district", p, required=("name_zh",))
    spec = parse_facility_types(raw.get("facility_types"), base, p, line_of(raw, "facility_types"))
    types, groups = spec.types, spec.groups
    type_keys = {t.key for t in types}
    years = _years(raw, p)
    cfg = RunConfig(
        path=path,
        run_name=_run_name(raw, path, p),
        district_name_zh=str(district.get("name_zh", "")),
        district_name_en=str(district.get("name_en", district.get("name_zh", ""))),
        district_code=None if district.get("code") is None else str(district.get("code")),
        crs_metric=_crs_metric(raw, p),
        boundaries=parse_boundaries(as_mapping(raw, "boundaries", p), base, p),
        facility_types=types,
        type_groups=groups,
        facilities=parse_facility_sources(raw.get("facilities"), base, p, type_keys, line_of(raw, "facilities")),
        population=parse_population(as_mapping(raw, "population", p), base, p),
        travel=parse_travel(as_mapping(raw, "travel", p, optional=True), p),
        network=parse_network(as_mapping(raw, "network", p, optional=True), base, p),
        rules_path=resolve_path(raw.get("rules"), base) if raw.get("rules") else None,
        years=years,
        report_year=_report_year(raw, years, p),
        siting=parse_siting(as_mapping(raw, "siting", p, optional=True), base, p, type_keys | {g.key for g in groups}),
        output=parse_outputs(as_mapping(raw, "outputs", p, optional=True), base, p),
        attributes=spec.attributes,
        service=spec.service,
        column_aliases=spec.column_aliases,
        facility_types_path=(resolve_path(raw["facility_types"], base) if isinstance(raw.get("facility_types"), str)
                             else None),
    )
    if raw.get("scenarios") is not None:
        cfg = dataclasses.replace(cfg, scenarios=parse_scenarios(raw.get("scenarios"), base, p, type_keys,
                                                                 cfg.travel, line_of(raw, "scenarios")))
    if cfg.rules_path is not None and not cfg.rules_path.is_file():
        p.add(f"规则文件不存在: {cfg.rules_path}", f"rule file not found: {cfg.rules_path}",
              row=line_of(raw, "rules"), column="rules", value=str(raw.get("rules")))
    p.raise_if_errors(ConfigError)
    return cfg


def _run_name(raw: dict, path: Path, p: ProblemList) -> str:
    value = raw.get("run_name", path.stem)
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        p.add("run_name 应是一个名称 (它会成为输出文件夹名), 例如 songjiang_2023。",
              "run_name must be a name (it names the output folder), e.g. songjiang_2023",
              row=line_of(raw, "run_name"), column="run_name", value=type(value).__name__)
        return "run"
    name = str(value)
    problem = plain_name_problem(name)
    if problem:
        p.add(f"run_name {problem[0]}。它会成为输出文件夹名, 请用普通的名称, 例如 songjiang_2023。",
              f"run_name {problem[1]}; it names the output folder: use a plain name such as songjiang_2023",
              row=line_of(raw, "run_name"), column="run_name", value=name)
    return name


def _crs_metric(raw: dict, p: ProblemList) -> str:
    value = str(raw.get("crs_metric", "auto"))
    problem = metric_crs_problem(value)
    if problem:
        p.add(f"crs_metric: {problem[0]}", f"crs_metric: {problem[1]}", row=line_of(raw, "crs_metric"),
              column="crs_metric", value=value)
        return "auto"
    return value


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
