"""One run: config → data → network → access → rules → siting → outputs, with a manifest.

:func:`load_inputs` validates every input file and reports all problems of all files at once;
:func:`run` writes the run folder (atomically: a failed run leaves the previous results as they were).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .config import RunConfig
from .data.boundaries import load_boundaries
from .data.facilities import combine_facilities, load_facilities
from .data.population import cell_squares, load_population
from .data.summary import jiezhen_data_summary, summary_labels
from .errors import ConfigError, InputError, Problem, ValidationFailed, single_problem
from .files import RunFolder
from .outputs.tables import write_layers, write_table
from .rules.evaluate import evaluate_rules
from .rules.spec import RuleSet, load_rules
from .rules.tables import (
    RULE_STATUS_LABELS_ZH,
    RULE_SUMMARY_LABELS_ZH,
    rule_notes,
    rule_pivot,
    rule_progress,
    rule_summary,
)

__all__ = ["LoadedInputs", "RunResult", "CheckResult", "load_inputs", "run", "data_notes", "load_run_rules",
           "check_rules", "write_rule_tables", "check", "site", "siting_travel_model"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class LoadedInputs:
    """Validated inputs of a run (all frames in the run's metric CRS).

    ``neighbours`` and ``neighbour_demand`` (optional, set by :mod:`svcov.batch`) are the facilities and residents
    of the districts around, within walking reach of the border: travel times use them (a child may walk to the
    next district's facility; a facility's 2SFCA ratio counts every child in reach), but every count and share is
    of the run's own 街镇, facilities and residents only.
    """

    config: RunConfig
    boundaries: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    warnings: list[Problem] = field(default_factory=list)
    neighbours: gpd.GeoDataFrame | None = None
    neighbour_demand: gpd.GeoDataFrame | None = None

    def facilities_in_reach(self) -> gpd.GeoDataFrame:
        """The run's facilities followed by the neighbours' (for travel times), or the run's alone."""
        if self.neighbours is None or len(self.neighbours) == 0:
            return self.facilities
        return gpd.GeoDataFrame(pd.concat([self.facilities, self.neighbours], ignore_index=True),
                                crs=self.facilities.crs)

    @property
    def population_is_estimate(self) -> bool:
        return bool(self.demand["is_estimate"].any())


@dataclass
class RunResult:
    """What a run produced: the inputs, the tables, and where the files are."""

    inputs: LoadedInputs
    tables: dict[str, pd.DataFrame]
    out_dir: Path
    access: object = None  # svcov.access.stage.AccessResult (travel model, coverage, service areas)


def load_inputs(config: RunConfig) -> LoadedInputs:
    """Load and validate boundaries, facilities and population.

    Raises
    ------
    ValidationFailed
        With one :class:`InputError` per file that has errors (all files are checked before raising).
    """
    errors: list[InputError] = []
    warnings: list[Problem] = []
    try:
        boundaries = load_boundaries(config.boundaries, crs_metric=config.crs_metric)
    except InputError as exc:
        raise ValidationFailed([exc]) from None
    frames = []
    for source in config.facilities:
        try:
            frame = load_facilities(source, config.facility_types, boundaries)
            warnings.extend(frame.attrs.pop("problems", []))
            frame.attrs.clear()
            frames.append(frame)
        except InputError as exc:
            errors.append(exc)
    try:
        demand = load_population(config.population, boundaries)
    except InputError as exc:
        errors.append(exc)
    if errors:
        raise ValidationFailed(errors)
    facilities = combine_facilities(frames)
    log.info("inputs: %d 街镇, %d facilities, %d demand cells (%.0f children 0-3%s)", len(boundaries),
             len(facilities), len(demand), demand["pop_0_3"].sum(),
             ", estimated" if demand["is_estimate"].any() else "")
    return LoadedInputs(config, boundaries, facilities, demand, [w for w in warnings if w.severity != "error"])


def data_notes(inputs: LoadedInputs) -> list[str]:
    """Plain-language notes on the data (sources, what is estimated) for tables, reports and the manifest."""
    cfg = inputs.config
    notes = [f"街镇边界: {cfg.boundaries.label_zh} ({cfg.boundaries.path.name})。"]
    for source in cfg.facilities:
        complete = "完整名册" if source.complete_register else "非完整名册: 统计数为下限, 缺失不等于没有"
        notes.append(f"设施: {source.label_zh} ({source.path.name}; {complete}; 坐标系 {source.coord_system})。")
    n_est = int(inputs.facilities["type_is_estimate"].fillna(False).astype(bool).sum())
    if n_est:
        notes.append(f"估算: {n_est} 个设施的类型是按名称规则或默认值推断的, 不是登记数据 (见「类型来源」列)。")
    pop = cfg.population
    if inputs.population_is_estimate:
        detail = pop.estimate.source_zh if pop.estimate else pop.label_zh
        notes.append(f"估算: 0-3 岁人口和常住人口分布是估算值, 不是实际统计: {detail}。"
                     + (f"按 {pop.estimate.cell_size_m:.0f} 米网格, {pop.estimate.compound_share:.0%} 按住宅小区"
                        f"分布 (核密度 σ={pop.estimate.kernel_sigma_m:.0f} 米), 其余按面积均匀分布。"
                        if pop.estimate else ""))
    else:
        notes.append(f"人口: {pop.label_zh} ({pop.path.name if pop.path else ''})。")
    notes.append("OpenStreetMap 数据 © OpenStreetMap contributors, 以 ODbL 1.0 授权 "
                  "(https://opendatacommons.org/licenses/odbl/1-0/)。")
    return notes


def _config_settings(config: RunConfig) -> dict:
    def plain(value):
        if dataclasses.is_dataclass(value):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if hasattr(value, "items"):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, Path):
            return str(value)
        return value

    return plain(config)


def _record_inputs(folder: RunFolder, config: RunConfig) -> None:
    folder.add_input("config", config.path)
    folder.add_input("boundaries", config.boundaries.path)
    for source in config.facilities:
        folder.add_input("facilities", source.path)
    pop = config.population
    folder.add_input("population", pop.path)
    if pop.estimate and pop.estimate.compounds:
        folder.add_input("population_compounds", pop.estimate.compounds)
    folder.add_input("rules", config.rules_path)


def run(config: RunConfig, *, out_dir: str | Path | None = None, progress: Progress | None = None,
        inputs: LoadedInputs | None = None, network=None, manifest_extra: dict | None = None) -> RunResult:
    """Run the whole job and write the run folder.

    Parameters
    ----------
    config
        From :func:`~svcov.config.load_config`.
    out_dir
        The run folder (default ``<outputs.dir>/<run_name>``); replaced only when the run succeeds.
    progress
        Called with a short Chinese description at the start of each stage.
    inputs
        Inputs already loaded and validated (e.g. by :mod:`svcov.batch`, with neighbours); default: load them.
    network
        The road network already loaded (a :class:`~svcov.network.build.RoadNetwork`); default: from the config.
    manifest_extra
        More entries for the manifest's settings (e.g. the batch task's hash).

    Returns
    -------
    RunResult
    """
    say = progress or (lambda message: None)
    final = Path(out_dir) if out_dir else config.output.dir / config.run_name
    with RunFolder(final) as folder:
        _record_inputs(folder, config)
        rules = load_run_rules(config)  # a wrong rule file stops the run before the slow stages
        say("读取并检查输入数据 (loading and validating inputs)")
        with folder.timed("load_inputs"):
            inputs = load_inputs(config) if inputs is None else inputs
        folder.notes.extend(data_notes(inputs))
        say("写出数据汇总 (writing the data summary)")
        with folder.timed("data_summary"):
            tables = {"data_summary": _write_data_outputs(folder, inputs)}
        say("计算步行可达性、覆盖率和服务范围 (access, coverage and service areas)")
        with folder.timed("access"):
            access = _run_access_stage(folder, inputs, network)
        tables.update({"coverage": access.coverage, "capacity_2sfca": access.capacity})
        if rules is not None:
            say("检查布局规则 (checking the layout rules)")
            with folder.timed("rules"):
                tables["rule_status"] = check_rules(inputs, rules, coverage=access.coverage)
                write_rule_tables(tables["rule_status"], rules, config.report_year, folder.path("tables"),
                                  notes=data_notes(inputs))
        say("选址 (site selection)")
        with folder.timed("siting"):
            tables.update(_siting_stage(folder, inputs, access.model, rule_status=tables.get("rule_status")))
        say("生成地图、选址说明和年度报告 (map, memos and reports)")
        with folder.timed("documents"):
            _write_documents(folder, inputs, access, tables)
        folder.write_manifest({**_config_settings(config), **(manifest_extra or {})})
        out = folder.commit()
    return RunResult(inputs, tables, out, access)


def _run_access_stage(folder: RunFolder, inputs: LoadedInputs, network=None):
    """Road network → travel model → coverage tables, 2SFCA and service areas (``tables/``, ``service_areas.gpkg``)."""
    from .access.stage import load_run_network, network_layers, run_access
    from .access.summary import ACCESS_LABELS_ZH

    cfg = inputs.config
    if cfg.network.source not in (None, "osm_download"):
        folder.add_input("network", cfg.network.source)
    network = load_run_network(cfg, inputs.boundaries) if network is None else network
    result = run_access(cfg, inputs.boundaries, inputs.facilities, inputs.demand, network=network,
                        neighbours=inputs.neighbours, neighbour_demand=inputs.neighbour_demand)
    folder.notes.extend(result.notes)
    notes = data_notes(inputs) + result.notes
    sheet = "覆盖率 (直线距离估算)" if result.model.is_fallback else "覆盖率 (路网)"
    write_table(result.coverage, folder.path("tables/coverage"), labels=ACCESS_LABELS_ZH, sheet_name=sheet,
                notes=notes, float_digits=4)
    if not result.capacity.empty:
        write_table(result.capacity, folder.path("tables/capacity_2sfca"), labels=ACCESS_LABELS_ZH,
                    sheet_name="托位可达性2SFCA", notes=notes, float_digits=4)
    if len(result.model.unreachable):
        write_table(result.model.unreachable, folder.path("tables/unreachable_points"), labels=ACCESS_LABELS_ZH,
                    sheet_name="不可达点位", notes=notes)
    layers = {"service_areas": result.areas, "service_areas_facility": result.facility_areas,
              "demand_access": result.cells.set_geometry(cell_squares(inputs.demand))}
    if network is not None:
        write_table(network.components(), folder.path("tables/network_components"), sheet_name="路网连通部分",
                    notes=notes, formats=("csv",))
        layers.update(network_layers(network))
    write_layers(folder.path("service_areas.gpkg"), layers)
    return result


def _write_documents(folder: RunFolder, inputs: LoadedInputs, access, tables: dict[str, pd.DataFrame]) -> None:
    """``map.html``, ``memos/`` (one per proposed site) and the yearly reports (``report.*`` for the report year,
    ``report_<year>.*`` for the other years of the plan)."""
    from .outputs.context import RunInfo
    from .outputs.map import write_map
    from .outputs.memo import write_memos
    from .outputs.report import write_report

    cfg = inputs.config
    info = RunInfo.from_config(cfg, travel_description_zh=access.model.description_zh,
                               travel_is_fallback=access.model.is_fallback,
                               population_is_estimate=inputs.population_is_estimate, notes=list(folder.notes))
    sites, rule_status = tables.get("proposed_sites"), tables.get("rule_status")
    write_map(folder.path("map.html"), boundaries=inputs.boundaries, facilities=inputs.facilities, info=info,
              years=cfg.years, year=cfg.report_year, demand=inputs.demand, service_areas=access.areas,
              uncovered=_uncovered(inputs, access, info), coverage=access.coverage, rule_status=rule_status,
              sites=sites, basemap=cfg.output.basemap, tianditu_key=cfg.output.tianditu_key)
    if sites is not None and len(sites):
        write_memos(folder.path("memos"), sites, info=info, boundaries=inputs.boundaries,
                    facilities=inputs.facilities, service_areas=access.areas, site_areas=_site_areas(access, sites))
    for year in cfg.years:
        write_report(folder.tmp, year, info=info, boundaries=inputs.boundaries, coverage=access.coverage,
                     rule_status=rule_status, sites=sites, years=cfg.years,
                     stem="report" if year == cfg.report_year else f"report_{year}")


def _uncovered(inputs: LoadedInputs, access, info) -> gpd.GeoDataFrame:
    """Demand cells farther than the circle's threshold from its service, one copy per year (for the map)."""
    near = access.nearest[(access.nearest["service"] == info.circle_service)
                          & (access.nearest["time_s"] > info.circle_threshold_min * 60)]
    parts = [inputs.demand.iloc[rows["cell_pos"].to_numpy()].assign(year=year) for year, rows in near.groupby("year")]
    return (gpd.GeoDataFrame(pd.concat(parts), crs=inputs.demand.crs) if parts
            else inputs.demand.iloc[0:0].assign(year=pd.Series(dtype="int64")))


def _site_areas(access, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The walking service area of every proposed site (for the memo maps)."""
    from .access.service_areas import facility_service_areas

    thresholds = sorted(set(access.areas["threshold_min"]))
    return facility_service_areas(access.model, sites, thresholds, columns=("site_id",))


def _write_data_outputs(folder: RunFolder, inputs: LoadedInputs) -> pd.DataFrame:
    cfg = inputs.config
    summary = jiezhen_data_summary(inputs.boundaries, inputs.facilities, inputs.demand, cfg.facility_types)
    labels = summary_labels(cfg.facility_types, population_is_estimate=inputs.population_is_estimate)
    notes = data_notes(inputs)
    shown = summary.round({"area_km2": 2, "pop_0_3": 0, "pop_total": 0, "pop_0_3_per_km2": 1})
    write_table(shown, folder.path("tables/data_summary"), labels=labels, sheet_name="街镇数据汇总", notes=notes)
    write_table(inputs.facilities, folder.path("tables/facilities"), sheet_name="设施", notes=notes)
    if inputs.warnings:
        warnings = pd.DataFrame([dataclasses.asdict(w) for w in inputs.warnings])
        write_table(warnings, folder.path("tables/input_warnings"),
                    labels={"file": "文件", "message_zh": "问题", "message_en": "problem", "row": "行",
                            "column": "列", "value": "值", "severity": "级别"}, sheet_name="输入数据警告")
    cells = inputs.demand.set_geometry(cell_squares(inputs.demand))
    write_layers(folder.path("layers.gpkg"), {"jiezhen": inputs.boundaries, "facilities": inputs.facilities,
                                              "demand_cells": cells})
    return summary


# --- layout rules ---------------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """What ``svcov check`` produced: the rules, the status of every year, the year shown and the files."""

    rules: RuleSet
    status: pd.DataFrame
    year: int
    written: list[Path]
    out_dir: Path


def load_run_rules(config: RunConfig, path: str | Path | None = None) -> RuleSet | None:
    """The run's rule file (``rules:`` of the config, or ``path``), validated against its facility types.

    Returns ``None`` when the configuration names no rule file.

    Raises
    ------
    RuleFileError
        Listing every problem of the rule file with its line.
    """
    path = path or config.rules_path
    if path is None:
        return None
    return load_rules(path, config.facility_types, config.type_groups, thresholds_min=config.travel.thresholds_min)


def check_rules(inputs: LoadedInputs, rules: RuleSet, *, coverage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rule status for every year of the run that the rules cover (see :func:`svcov.rules.evaluate_rules`).

    ``coverage`` is the coverage table of the access stage; without it the 15-minute rules say 数据不足.
    """
    cfg = inputs.config
    return evaluate_rules(rules, inputs.facilities, inputs.boundaries, years=cfg.years, coverage=coverage,
                          district_name_zh=cfg.district_name_zh)


def write_rule_tables(status: pd.DataFrame, rules: RuleSet, year: int, folder: Path, *,
                      notes: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """Write the rule tables as CSV and XLSX in ``folder``: ``rule_status`` (every rule, unit and year),
    ``rule_pivot_<year>`` (街镇 × rule in ``year``), ``rule_progress`` (rule × year) and ``rule_summary``."""
    folder = Path(folder)
    all_notes = rule_notes(rules) + list(notes)
    written = write_table(status, folder / "rule_status", labels=RULE_STATUS_LABELS_ZH, sheet_name="布局规则检查",
                          notes=all_notes, float_digits=4)
    written += write_table(rule_pivot(status, year), folder / f"rule_pivot_{year}",
                           sheet_name=f"{year}年街镇布局规则", notes=all_notes)
    written += write_table(rule_progress(status), folder / "rule_progress", labels=RULE_STATUS_LABELS_ZH,
                           sheet_name="逐年进展", notes=all_notes)
    written += write_table(rule_summary(status), folder / "rule_summary", labels=RULE_SUMMARY_LABELS_ZH,
                           sheet_name="规则达标汇总", notes=all_notes)
    return written


def check(config: RunConfig, *, year: int | None = None, rules_path: str | Path | None = None,
          out_dir: str | Path | None = None, coverage: pd.DataFrame | None = None) -> CheckResult:
    """Load the inputs, check the layout rules for every year and write the tables (``svcov check``).

    Parameters
    ----------
    config
        The run configuration.
    year
        The year of the pivot table (default ``report_year``); must be a year of the rules.
    rules_path
        A rule file instead of the configuration's.
    out_dir
        Where the tables go (default ``<outputs.dir>/<run_name>_check``).
    coverage
        The coverage table, if already computed; otherwise it is computed (travel model of the configuration)
        when a rule needs it.

    Raises
    ------
    ConfigError
        If no rule file is configured or given, or no rule covers ``year``.
    """
    rules = load_run_rules(config, rules_path)
    if rules is None:
        raise single_problem(ConfigError, config.path, "配置中没有 rules (规则文件)。请在配置中加入 rules: 规则文件路径, "
                             "或用 --rules 指定。", "the config names no rule file; add 'rules:' or pass --rules",
                             column="rules")
    year = config.report_year if year is None else int(year)
    if year not in rules.years:
        raise single_problem(ConfigError, rules.path, f"规则文件中没有 {year} 年的规则 (规则年份: "
                             f"{', '.join(map(str, rules.years))})。", f"no rule covers {year}", column="years",
                             value=year)
    inputs = load_inputs(config)
    notes = data_notes(inputs)
    if coverage is None and any(r.measure == "coverage" for r in rules.rules):
        from .access.stage import coverage_only, load_run_network

        model, coverage = coverage_only(config, inputs.boundaries, inputs.facilities, inputs.demand,
                                        network=load_run_network(config, inputs.boundaries))
        notes.append(f"出行时间: {model.description_zh}")
    status = evaluate_rules(rules, inputs.facilities, inputs.boundaries, coverage=coverage,
                            district_name_zh=config.district_name_zh)
    target = Path(out_dir) if out_dir else config.output.dir / f"{config.run_name}_check"
    written = write_rule_tables(status, rules, year, target, notes=notes)
    return CheckResult(rules, status, year, written, target)


# --- siting stage (svcov.siting) ----------------------------------------------------------------------------


def siting_travel_model(inputs: LoadedInputs):
    """The run's travel model (road network from the configuration, or the straight-line fallback), for
    ``svcov site``, which needs travel times but not the coverage tables."""
    from .access.engine import build_travel_model
    from .access.stage import load_run_network

    network = load_run_network(inputs.config, inputs.boundaries)
    return build_travel_model(inputs.boundaries.crs, inputs.config.travel, network)


def _siting_stage(folder: RunFolder, inputs: LoadedInputs, travel, rule_status: pd.DataFrame | None = None,
                  **overrides) -> dict[str, pd.DataFrame]:
    """Propose sites and write ``tables/proposed_sites``, ``tables/siting_coverage``, ``tables/siting_diagnostics``
    and ``siting.gpkg`` (layers ``proposed_sites``, ``candidates``). Skipped (with a note) without
    ``siting.facility_type`` or a travel model."""
    from .siting.proposals import SITING_LABELS_ZH
    from .siting.stage import run_siting

    if inputs.config.siting.facility_type is None:
        folder.notes.append("选址: 未运行 (配置中没有 siting.facility_type)。")
        log.warning("siting skipped: no siting.facility_type in the configuration")
        return {}
    out = run_siting(inputs.config, inputs.boundaries, inputs.facilities_in_reach(), inputs.demand, travel,
                     rule_status=rule_status, **overrides)
    notes = data_notes(inputs) + out.notes
    folder.notes.extend(out.notes)
    write_table(out.proposals, folder.path("tables/proposed_sites"), labels=SITING_LABELS_ZH, sheet_name="选址建议",
                notes=notes)
    write_table(out.coverage, folder.path("tables/siting_coverage"), labels=SITING_LABELS_ZH,
                sheet_name="新增点前后覆盖率", notes=notes)
    write_table(out.diagnostics, folder.path("tables/siting_diagnostics"), labels=SITING_LABELS_ZH,
                sheet_name="求解诊断", notes=notes)
    write_layers(folder.path("siting.gpkg"), {"proposed_sites": out.proposals, "candidates": out.candidates})
    return {"proposed_sites": out.proposals, "siting_coverage": out.coverage, "siting_diagnostics": out.diagnostics}


def site(config: RunConfig, *, out_dir: str | Path | None = None, progress: Progress | None = None,
         candidates_file: str | Path | None = None, coords: str | None = None, **overrides) -> RunResult:
    """Only the siting step (``svcov site``): load the inputs, propose sites, write a run folder.

    Parameters
    ----------
    config
        The run configuration.
    out_dir
        The folder (default ``<outputs.dir>/<run_name>-site``); replaced only when the step succeeds.
    progress
        Called with a short Chinese description at the start of each stage.
    candidates_file
        The user's candidate file (CSV/XLSX/GIS), added to the configured candidate sources.
    coords
        Coordinate system of ``candidates_file`` (wgs84, gcj02, bd09).
    **overrides
        ``model``, ``k``, ``year``, ``method``, ``time_limit_s`` (see :func:`svcov.siting.stage.run_siting`).

    Raises
    ------
    ValidationFailed, InputError, InfeasibleError, NetworkError
    """
    say = progress or (lambda message: None)
    final = Path(out_dir) if out_dir else config.output.dir / f"{config.run_name}-site"
    if candidates_file is not None:
        overrides["extra_candidates"] = ({"kind": "file", "path": Path(candidates_file),
                                          "label_zh": Path(candidates_file).name,
                                          "coord_system": coords or "wgs84"},)
    with RunFolder(final) as folder:
        _record_inputs(folder, config)
        if candidates_file is not None:
            folder.add_input("candidates", candidates_file)
        say("读取并检查输入数据 (loading and validating inputs)")
        with folder.timed("load_inputs"):
            inputs = load_inputs(config)
        folder.notes.extend(data_notes(inputs))
        with folder.timed("travel_model"):
            travel = siting_travel_model(inputs)
        folder.notes.append(f"出行时间: {travel.description_zh}")
        say("选址 (site selection)")
        with folder.timed("siting"):
            tables = _siting_stage(folder, inputs, travel, **overrides)
        folder.write_manifest(_config_settings(config))
        out = folder.commit()
    return RunResult(inputs, tables, out)
