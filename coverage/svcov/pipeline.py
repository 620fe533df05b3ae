"""One run: config → data → network → access → rules → siting → outputs, with a manifest.

:func:`load_inputs` validates every input file and reports all problems of all files at once;
:func:`run` writes the run folder (atomically: a failed run leaves the previous results as they were). A run may
skip stages (``skip`` / ``only``: access, rules, siting, documents); a siting problem (an infeasible model, a siting
setting the data cannot satisfy) does not discard the run: everything else is written, with the siting diagnostics
table and a report section saying why in numbers and what to change.
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
from .errors import ConfigError, InfeasibleError, InputError, Problem, ValidationFailed, single_problem
from .files import RunFolder
from .outputs.tables import config_labels, write_layers, write_table
from .planstage import map_places, plan_for_documents, prepare_scenarios, scenario_stage, write_plan_tables
from .rules.evaluate import evaluate_rules
from .rules.spec import RuleSet, RuleVocabulary, load_rules
from .rules.tables import (
    RULE_STATUS_LABELS_ZH,
    RULE_SUMMARY_LABELS_ZH,
    rule_notes,
    rule_pivot,
    rule_progress,
    rule_summary,
)
from .vocabulary import STAGE_NAMES_ZH, STAGES

__all__ = ["LoadedInputs", "RunResult", "load_inputs", "run", "data_notes", "load_run_rules",
           "check_rules", "write_rule_tables", "site", "siting_travel_model", "resolve_stages",
           "column_labels", "plan_for_documents"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Chinese headers and words of the input-warnings table.
WARNING_LABELS_ZH = {"file": "文件", "message_zh": "问题", "message_en": "问题 (英文)", "row": "行", "column": "列",
                     "value": "值", "severity": "级别", "row_kind": "行号含义"}
SERVICE_KINDS_ZH = {"type": "设施类型", "group": "类型组"}
WARNING_WORDS_ZH = {"severity": {"error": "错误", "warning": "警告"},
                    "row_kind": {"row": "表格行号 (表头为第 1 行)", "feature": "要素序号", "line": "配置文件行号"}}


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
    #: Notes on the inputs as loaded (e.g. boundary overlaps found and resolved).
    notes: list[str] = field(default_factory=list)
    neighbours: gpd.GeoDataFrame | None = None
    neighbour_demand: gpd.GeoDataFrame | None = None
    #: Scenario name → (its facility frame, its changes): the scenarios' registers, loaded and checked with the
    #: others (:func:`svcov.planstage.prepare_scenarios`).
    scenarios: dict = field(default_factory=dict)

    def facilities_in_reach(self) -> gpd.GeoDataFrame:
        """The run's facilities followed by the neighbours' (for travel times), or the run's alone."""
        if self.neighbours is None or len(self.neighbours) == 0:
            return self.facilities
        return gpd.GeoDataFrame(pd.concat([self.facilities, self.neighbours], ignore_index=True),
                                crs=self.facilities.crs)

    @property
    def population_is_estimate(self) -> bool:
        """Whether the served group's numbers are estimated (an estimated surface, or a share of another group)."""
        return bool(self.demand["is_estimate"].any()) or self.config.served_group.share_of is not None


@dataclass
class RunResult:
    """What a run produced: the inputs, the tables, and where the files are."""

    inputs: LoadedInputs
    tables: dict[str, pd.DataFrame]
    out_dir: Path
    access: object = None  # svcov.access.stage.AccessResult (travel model, coverage, service areas)
    #: Stages run, and why siting did not finish (``None`` if it did or was not run).
    stages: tuple[str, ...] = ()
    siting_problem: str | None = None


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
    warnings.extend(boundaries.attrs.pop("problems", []))
    notes = list(boundaries.attrs.pop("notes", []))
    boundaries.attrs.clear()
    frames = []
    for source in config.facilities:
        try:
            frame = load_facilities(source, config.facility_types, boundaries, attributes=config.attributes,
                                    column_aliases=config.column_aliases)
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
    scenarios = prepare_scenarios(config, boundaries, facilities, warnings)  # their registers, checked up front
    group = config.served_group
    log.info("inputs: %d 街镇, %d facilities, %d demand cells (%s %.0f%s)", len(boundaries), len(facilities),
             len(demand), group.name_zh, demand[group.key].sum(), ", estimated" if demand["is_estimate"].any() else "")
    return LoadedInputs(config, boundaries, facilities, demand, [w for w in warnings if w.severity == "warning"],
                        notes, scenarios=scenarios)


def data_notes(inputs: LoadedInputs) -> list[str]:
    """Plain-language notes on the data (sources, what is estimated) for tables, reports and the manifest."""
    cfg = inputs.config
    notes = [f"街镇边界: {cfg.boundaries.label_zh} ({cfg.boundaries.path.name})。", *inputs.notes]
    for source in cfg.facilities:
        complete = "完整名册" if source.complete_register else "非完整名册: 统计数为下限, 缺失不等于没有"
        notes.append(f"设施: {source.label_zh} ({source.path.name}; {complete}; 坐标系 {source.coord_system})。")
    n_est = int(inputs.facilities["type_is_estimate"].fillna(False).astype(bool).sum())
    if n_est:
        notes.append(f"估算: {n_est} 个设施的类型是按名称规则或默认值推断的, 不是登记数据 (见「类型来源」列)。")
    notes += _population_notes(inputs)
    notes.append("OpenStreetMap 数据 © OpenStreetMap contributors, 以 ODbL 1.0 授权 "
                  "(https://opendatacommons.org/licenses/odbl/1-0/)。")
    return notes


def _population_notes(inputs: LoadedInputs) -> list[str]:
    pop = inputs.config.population
    if bool(inputs.demand["is_estimate"].any()):
        detail = pop.estimate.source_zh if pop.estimate else pop.label_zh
        names = "和".join(g.name_zh for g in pop.groups)
        return [f"估算: {names}分布是估算值, 不是实际统计: {detail}。"
                + (f"按 {pop.estimate.cell_size_m:.0f} 米网格, {pop.estimate.compound_share:.0%} 按住宅小区"
                   f"分布 (核密度 σ={pop.estimate.kernel_sigma_m:.0f} 米), 其余按面积均匀分布。" if pop.estimate else "")]
    notes = [f"人口: {pop.label_zh} ({pop.path.name if pop.path else ''})。"]
    for g in pop.groups:
        if g.share_of is not None:
            notes.append(f"估算: {g.name_zh}按{pop.group(g.share_of).name_zh}的 {g.share:.1%} 推算, 不是实际统计。")
    return notes


def coverage_labels(config: RunConfig) -> dict[str, str]:
    """Chinese headers of the access tables (coverage, 2SFCA, network fit) in the service's words."""
    from .access.summary import access_labels

    cap = config.capacity
    return {**column_labels(config), **access_labels(config.served_group.name_zh, cap.noun_zh or cap.label_zh if cap
                                                     else None, cap.label_zh if cap else None)}


def column_labels(config: RunConfig) -> dict[str, str]:
    """Chinese headers of the columns the configuration adds (declared attributes, population groups)."""
    return config_labels(config.attributes, config.population.groups)


def resolve_stages(skip=(), only=None) -> tuple[tuple[str, ...], list[str]]:
    """The stages a run makes (in order) and notes on what was left out, from ``skip`` and ``only``.

    ``only`` keeps just those stages (plus data loading, always made); ``skip`` drops stages. The documents need the
    access stage: without it they are left out too (and said so).

    Raises
    ------
    ConfigError
        For an unknown stage name.
    """
    names = set(skip) | set(only or ())
    unknown = sorted(names - set(STAGES))
    if unknown:
        raise single_problem(ConfigError, "svcov run", f"未知的步骤 {', '.join(unknown)}; 可用: {', '.join(STAGES)}。",
                             f"unknown stage(s) {', '.join(unknown)}; use {', '.join(STAGES)}", value=unknown)
    chosen = [s for s in STAGES if (only is None or s in only) and s not in set(skip)]
    notes = [f"本次运行跳过: {STAGE_NAMES_ZH[s]} ({s})。" for s in STAGES if s not in chosen]
    if "documents" in chosen and "access" not in chosen:
        chosen.remove("documents")
        notes.append("地图、选址说明和报告需要可达性与覆盖率 (access), 本次一并跳过。")
    return tuple(chosen), notes


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
        skip: tuple[str, ...] = (), only: tuple[str, ...] | None = None, inputs: LoadedInputs | None = None,
        network=None, manifest_extra: dict | None = None) -> RunResult:
    """Run the whole job (or some stages of it) and write the run folder.

    Parameters
    ----------
    config
        From :func:`~svcov.config.load_config`.
    out_dir
        The run folder (default ``<outputs.dir>/<run_name>``); replaced only when the run succeeds.
    progress
        Called with a short Chinese description at the start of each stage.
    skip, only
        Stages to leave out, or the only ones to make (``access``, ``rules``, ``siting``, ``documents``; the data
        are always loaded and summarised); see :func:`resolve_stages`.
    inputs
        Inputs already loaded and validated (e.g. by :mod:`svcov.batch`, with neighbours); default: load them.
    network
        The road network already loaded (a :class:`~svcov.network.build.RoadNetwork`); default: from the config.
    manifest_extra
        More entries for the manifest's settings (e.g. the batch task's hash).

    Returns
    -------
    RunResult
        With ``siting_problem`` set when the siting stage could not propose sites (the rest is written).
    """
    say = progress or (lambda message: None)
    stages, skipped = resolve_stages(skip, only)
    final = Path(out_dir) if out_dir else config.output.dir / config.run_name
    with RunFolder(final) as folder:
        _record_inputs(folder, config)
        folder.notes.extend(skipped)
        rules = load_run_rules(config) if "rules" in stages else None  # a wrong rule file stops the run early
        say("读取并检查输入数据 (loading and validating inputs)")
        with folder.timed("load_inputs"):
            inputs = load_inputs(config) if inputs is None else inputs
        folder.notes.extend(data_notes(inputs))
        say("写出数据汇总 (writing the data summary)")
        with folder.timed("data_summary"):
            tables = {"data_summary": _write_data_outputs(folder, inputs)}
        access = _access_if(stages, folder, inputs, say, tables, network)
        if config.scenarios and access is not None:
            say("计算情景 (scenarios)")
            with folder.timed("scenarios"):
                tables.update(scenario_stage(folder, inputs, access, notes=data_notes(inputs)))
        if rules is not None:
            say("检查布局规则 (checking the layout rules)")
            with folder.timed("rules"):
                tables["rule_status"] = check_rules(inputs, rules, coverage=tables.get("coverage"))
                write_rule_tables(tables["rule_status"], rules, config.report_year, folder.path("tables"),
                                  notes=data_notes(inputs))
        problem = None
        if "siting" in stages:
            say("选址 (site selection)")
            with folder.timed("siting"):
                travel = access.model if access is not None else siting_travel_model(inputs)
                problem = _siting_or_problem(folder, inputs, travel, tables)
        if "documents" in stages:
            say("生成地图、选址说明和年度报告 (map, memos and reports)")
            with folder.timed("documents"):
                _write_documents(folder, inputs, access, tables, rules=rules, siting_problem=problem)
        folder.write_manifest({**_config_settings(config), "stages": list(stages), "siting_problem": problem,
                               **(manifest_extra or {})})
        out = folder.commit()
    return RunResult(inputs, tables, out, access, stages=stages, siting_problem=problem)


def _access_if(stages, folder: RunFolder, inputs: LoadedInputs, say, tables: dict, network=None):
    if "access" not in stages:
        return None
    say("计算可达性、覆盖率和服务范围 (access, coverage and service areas)")
    with folder.timed("access"):
        access = _run_access_stage(folder, inputs, network)
    tables.update({"coverage": access.coverage, "capacity_2sfca": access.capacity})
    return access


def _siting_or_problem(folder: RunFolder, inputs: LoadedInputs, travel, tables: dict) -> str | None:
    """Run the siting stage; if it cannot propose sites, write why (``tables/siting_diagnostics``) and return it."""
    try:
        tables.update(_siting_stage(folder, inputs, travel, rule_status=tables.get("rule_status")))
        return None
    except (InfeasibleError, InputError) as exc:
        from .siting.proposals import SITING_LABELS_ZH

        message = str(exc)
        log.warning("siting did not finish; the rest of the run is written: %s", message)
        cfg = inputs.config.siting
        diag = pd.DataFrame([{"model": cfg.model, "status": "未完成 (not solved)", "note_zh": message,
                              "fix_zh": _siting_fix_zh(exc), "facility_type": cfg.facility_type,
                              "threshold_min": cfg.threshold_min}])
        labels = {**SITING_LABELS_ZH, "fix_zh": "如何修改", "facility_type": "新增设施类型"}
        write_table(diag, folder.path("tables/siting_diagnostics"), labels=labels, sheet_name="求解诊断",
                    notes=data_notes(inputs))
        folder.notes.append(f"选址未完成: {message}")
        tables["siting_diagnostics"] = diag
        return message


def _siting_fix_zh(exc: Exception) -> str:
    if isinstance(exc, InfeasibleError):
        return ("按上面的数字修改 siting: 提高 sites_per_year 中每年的新增点数、加入候选点 (candidates, 例如街镇提供的"
                "用房)、放宽 require_in_each_jiezhen / max_per_jiezhen / min_spacing_m, 或降低 target_share; "
                "也可用 svcov run --skip siting 只更新其余结果。")
    return "按上面的提示修改配置的 siting 部分或相应的输入文件后重新运行; 也可用 svcov run --skip siting。"


def _run_access_stage(folder: RunFolder, inputs: LoadedInputs, network=None):
    """Road network → travel model → coverage tables, 2SFCA and service areas (``tables/``, ``service_areas.gpkg``)."""
    from .access.fit import FIT_LABELS_ZH
    from .access.stage import load_run_network, network_layers, run_access

    cfg = inputs.config
    if cfg.network.source not in (None, "osm_download"):
        folder.add_input("network", cfg.network.source)
    network = load_run_network(cfg, inputs.boundaries) if network is None else network
    result = run_access(cfg, inputs.boundaries, inputs.facilities, inputs.demand, network=network,
                        neighbours=inputs.neighbours, neighbour_demand=inputs.neighbour_demand)
    folder.notes.extend(result.notes)
    notes = data_notes(inputs) + result.notes
    cap = cfg.capacity
    labels = coverage_labels(cfg)
    sheet = "覆盖率 (直线距离估算)" if result.model.is_fallback else "覆盖率 (路网)"
    shown = result.coverage.assign(service_kind=result.coverage["service_kind"].map(SERVICE_KINDS_ZH)
                                   .fillna(result.coverage["service_kind"]))
    write_table(shown, folder.path("tables/coverage"), labels=labels, sheet_name=sheet, notes=notes,
                float_digits=4)
    if not result.capacity.empty:
        what = (cap.noun_zh or cap.label_zh) if cap else "容量"
        write_table(result.capacity, folder.path("tables/capacity_2sfca"), labels=labels,
                    sheet_name=f"{what}可达性2SFCA", notes=notes, float_digits=4)
    if len(result.fit):
        write_table(result.fit, folder.path("tables/network_fit"), labels={**labels, **FIT_LABELS_ZH},
                    sheet_name="路网覆盖检查", notes=notes, float_digits=4)
    if len(result.model.unreachable):
        write_table(result.model.unreachable, folder.path("tables/unreachable_points"), labels=labels,
                    sheet_name="不可达点位", notes=notes)
    layers = {"service_areas": result.areas, "service_areas_facility": result.facility_areas,
              "demand_access": result.cells.set_geometry(cell_squares(inputs.demand))}
    if network is not None:
        write_table(network.components(), folder.path("tables/network_components"), sheet_name="路网连通部分",
                    notes=notes, formats=("csv",))
        layers.update(network_layers(network))
    services = [*cfg.facility_types, *cfg.type_groups]
    travel = cfg.travel.profile_list()[0].name_zh
    what = (cap.noun_zh or cap.label_zh) if cap else "容量"
    per_service = {f"{prefix}{s.key}": f"{label.format(s.name_zh)}" for s in services for prefix, label in
                   (("time_min_", f"到最近{{}}{travel}时间(分钟)"), ("capacity_per_person_", f"{{}}每人可达{what}(2SFCA)"))}
    write_layers(folder.path("service_areas.gpkg"), layers, crs=cfg.output.crs, labels={**labels, **per_service})
    return result


def run_info(inputs: LoadedInputs, access, *, rules: RuleSet | None = None, notes=()):
    """What every map and document states about the run (:class:`svcov.outputs.context.RunInfo`): the service's
    words from the configuration, the layout rule and plan from the rule file, the travel model of ``access``."""
    from .outputs.context import RunInfo

    extra = {}
    if rules is not None:
        layout = next((r for r in rules.rules if r.id == rules.layout_rule), None)
        extra = {"layout_rule_id": rules.layout_rule, "layout_name_zh": rules.layout_name_zh,
                 "plan_name_zh": rules.plan_name_zh, "layout_parts": tuple(layout.parts) if layout else ()}
    return RunInfo.from_config(inputs.config, travel_description_zh=access.model.description_zh,
                               travel_is_fallback=access.model.is_fallback,
                               population_is_estimate=inputs.population_is_estimate, notes=list(notes), **extra)


def _write_documents(folder: RunFolder, inputs: LoadedInputs, access, tables: dict[str, pd.DataFrame], *,
                     rules: RuleSet | None = None, siting_problem: str | None = None) -> None:
    """``map.html``, ``memos/`` (one per proposed site), the yearly reports (``report.*`` for the report year,
    ``report_<year>.*`` for the other years of the plan) and the data-gap table (``tables/data_gaps``)."""
    from .outputs.datagaps import write_data_gaps
    from .outputs.map import write_map
    from .outputs.memo import write_memos
    from .outputs.report import write_report

    cfg = inputs.config
    info = run_info(inputs, access, rules=rules, notes=folder.notes)
    sites, rule_status = tables.get("proposed_sites"), tables.get("rule_status")
    plan = plan_for_documents(cfg, tables)
    site_areas = _site_areas(access, sites) if sites is not None and len(sites) else None
    places = map_places(cfg, inputs.boundaries)
    gaps = write_data_gaps(folder.path("tables/data_gaps"), info, rule_status=rule_status,
                           facilities=inputs.facilities, year=cfg.report_year, notes=data_notes(inputs))
    out = cfg.output
    write_map(folder.path("map.html"), boundaries=inputs.boundaries, facilities=inputs.facilities, info=info,
              years=cfg.years, year=cfg.report_year, demand=inputs.demand, service_areas=access.areas,
              uncovered=_uncovered(inputs, access, info), coverage=access.coverage, rule_status=rule_status,
              sites=sites, site_areas=site_areas, places=places, basemap=out.basemap,
              tianditu_key=out.tianditu_key, basemap_attribution=out.basemap_attribution,
              basemap_name_zh=out.basemap_name_zh, basemap_subdomains=out.basemap_subdomains,
              basemap_max_zoom=out.basemap_max_zoom, memo_dir=out.memo_base_url or "memos",
              scenarios=tables.get("scenario_facilities"))
    if sites is not None and len(sites):
        write_memos(folder.path("memos"), sites, info=info, boundaries=inputs.boundaries,
                    facilities=inputs.facilities, service_areas=access.areas, site_areas=site_areas, places=places,
                    alternatives=tables.get("site_alternatives"), years=cfg.years, plan=plan)
    main = sites[sites["leg"] == plan["main_leg"]] if sites is not None and "leg" in sites.columns else sites
    for year in cfg.years:
        write_report(folder.tmp, year, info=info, boundaries=inputs.boundaries, coverage=access.coverage,
                     rule_status=rule_status, sites=main, years=cfg.years, siting_problem=siting_problem,
                     stem="report" if year == cfg.report_year else f"report_{year}", facilities=inputs.facilities,
                     places=places, gaps=gaps if year == cfg.report_year else None, plan=plan)


def _uncovered(inputs: LoadedInputs, access, info) -> gpd.GeoDataFrame:
    """Demand cells farther than the circle's threshold from its service, one copy per year (for the map)."""
    near = access.nearest[(access.nearest["service"] == info.circle_service)
                          & (access.nearest["profile"] == access.model.profile)
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
    groups = cfg.population.groups
    summary = jiezhen_data_summary(inputs.boundaries, inputs.facilities, inputs.demand, cfg.facility_types, groups)
    labels = summary_labels(cfg.facility_types, groups, population_is_estimate=inputs.population_is_estimate)
    notes = data_notes(inputs)
    shown = summary.round({"area_km2": 2, **{g.key: 0 for g in groups}, **{f"{g.key}_per_km2": 1 for g in groups}})
    write_table(shown, folder.path("tables/data_summary"), labels=labels, sheet_name="街镇数据汇总", notes=notes,
                counts=[g.key for g in groups])
    write_table(inputs.facilities, folder.path("tables/facilities"), labels=column_labels(cfg), sheet_name="设施",
                notes=notes)
    if inputs.warnings:
        warnings = pd.DataFrame([dataclasses.asdict(w) for w in inputs.warnings])
        warnings = warnings.assign(**{c: warnings[c].map(WARNING_WORDS_ZH.get(c, {})).fillna(warnings[c])
                                      for c in ("severity", "row_kind") if c in warnings.columns})
        write_table(warnings, folder.path("tables/input_warnings"), labels=WARNING_LABELS_ZH, sheet_name="输入数据警告")
    cells = inputs.demand.set_geometry(cell_squares(inputs.demand))
    write_layers(folder.path("layers.gpkg"), {"jiezhen": inputs.boundaries, "facilities": inputs.facilities,
                                              "demand_cells": cells}, crs=cfg.output.crs,
                 labels={**column_labels(cfg), **labels})
    return summary


# --- layout rules ---------------------------------------------------------------------------------------------


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
    return load_rules(path, config.facility_types, config.type_groups, thresholds_min=config.travel.thresholds_min,
                      vocabulary=RuleVocabulary.from_config(config))


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
    pivot, district_only = _jiezhen_pivot(rule_pivot(status, year))
    pivot_notes = all_notes + ([f"全区层面的目标 ({'、'.join(district_only)}) 不按街镇检查, 见「规则达标汇总」"
                                f"(rule_summary) 和「逐年进展」(rule_progress) 表。"] if district_only else [])
    written += write_table(pivot, folder / f"rule_pivot_{year}", sheet_name=f"{year}年街镇布局规则",
                           notes=pivot_notes)
    written += write_table(rule_progress(status), folder / "rule_progress", labels=RULE_STATUS_LABELS_ZH,
                           sheet_name="逐年进展", notes=all_notes)
    written += write_table(rule_summary(status), folder / "rule_summary", labels=RULE_SUMMARY_LABELS_ZH,
                           sheet_name="规则达标汇总", notes=all_notes)
    return written


def _jiezhen_pivot(pivot: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The 街镇 × rule pivot without the columns of district-wide rules (empty in every 街镇 row), and their names."""
    from .vocabulary import DISTRICT_CODE

    rows = pivot[pivot["jiezhen_code"].astype(str) != DISTRICT_CODE] if "jiezhen_code" in pivot.columns else pivot
    empty = [c for c in pivot.columns if c not in ("jiezhen_code", "jiezhen_name")
             and (rows[c].isna() | (rows[c].astype(str).str.strip() == "")).all()]
    return pivot.drop(columns=empty), [str(c) for c in empty]


# --- siting stage (svcov.siting) ----------------------------------------------------------------------------


def siting_travel_model(inputs: LoadedInputs):
    """The run's travel model (road network from the configuration, or the straight-line fallback), for
    ``svcov site``, which needs travel times but not the coverage tables."""
    from .access.stage import fit_table, load_run_network, travel_models

    network = load_run_network(inputs.config, inputs.boundaries)
    model = next(iter(travel_models(inputs.config, inputs.boundaries, network).values()))
    fit_table(inputs.config, model, inputs.boundaries, inputs.demand, inputs.facilities)
    return model


def _siting_stage(folder: RunFolder, inputs: LoadedInputs, travel, rule_status: pd.DataFrame | None = None,
                  **overrides) -> dict[str, pd.DataFrame]:
    """Propose sites and write ``tables/proposed_sites``, ``tables/siting_coverage``, ``tables/siting_diagnostics``
    and ``siting.gpkg`` (layers ``proposed_sites``, ``candidates``). Skipped (with a note) without
    ``siting.facility_type`` or a travel model."""
    from .siting.proposals import SITING_LABELS_ZH
    from .siting.stage import run_siting
    from .siting.ties import ALTERNATIVE_LABELS_ZH

    if inputs.config.siting.facility_type is None:
        folder.notes.append("选址: 未运行 (配置中没有 siting.facility_type)。")
        log.warning("siting skipped: no siting.facility_type in the configuration")
        return {}
    out = run_siting(inputs.config, inputs.boundaries, inputs.facilities_in_reach(), inputs.demand, travel,
                     rule_status=rule_status, **overrides)
    notes = data_notes(inputs) + out.notes
    folder.notes.extend(out.notes)
    labels = {**column_labels(inputs.config), **SITING_LABELS_ZH}
    write_table(out.proposals, folder.path("tables/proposed_sites"), labels=labels, sheet_name="选址建议",
                notes=notes)
    write_table(out.coverage, folder.path("tables/siting_coverage"), labels=labels,
                sheet_name="新增点前后覆盖率", notes=notes)
    write_table(out.diagnostics, folder.path("tables/siting_diagnostics"), labels=labels,
                sheet_name="求解诊断", notes=notes)
    if out.alternatives is not None and len(out.alternatives):
        write_table(out.alternatives, folder.path("tables/site_alternatives"), sheet_name="备选候选点", notes=notes,
                    labels={**labels, **ALTERNATIVE_LABELS_ZH})
    write_layers(folder.path("siting.gpkg"), {"proposed_sites": out.proposals, "candidates": out.candidates},
                 crs=inputs.config.output.crs, labels={**column_labels(inputs.config), **labels})
    tables = {"proposed_sites": out.proposals, "siting_coverage": out.coverage, "siting_diagnostics": out.diagnostics,
              "site_alternatives": out.alternatives}
    tables.update(write_plan_tables(folder, inputs.config, out, notes))
    return tables


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
