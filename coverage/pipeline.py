"""One run: config → data → network → access → rules → siting → outputs, with a manifest.

:func:`load_inputs` validates every input file and reports all problems of all files at once;
:func:`run` writes the run folder (atomically: a failed run leaves the previous results as they were).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pandas as pd

from .config import RunConfig
from .data.boundaries import load_boundaries
from .data.facilities import combine_facilities, load_facilities
from .data.population import cell_squares, load_population
from .data.summary import jiezhen_data_summary, summary_labels
from .errors import InputError, Problem, ValidationFailed
from .outputs.tables import write_layers, write_table
from .outputs.writer import RunFolder

__all__ = ["LoadedInputs", "RunResult", "load_inputs", "run", "data_notes"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class LoadedInputs:
    """Validated inputs of a run (all frames in the run's metric CRS)."""

    config: RunConfig
    boundaries: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    warnings: list[Problem] = field(default_factory=list)

    @property
    def population_is_estimate(self) -> bool:
        return bool(self.demand["is_estimate"].any())


@dataclass
class RunResult:
    """What a run produced: the inputs, the tables, and where the files are."""

    inputs: LoadedInputs
    tables: dict[str, pd.DataFrame]
    out_dir: Path
    access: object = None  # coverage.access.stage.AccessResult (travel model, coverage, service areas)


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


def run(config: RunConfig, *, out_dir: str | Path | None = None, progress: Progress | None = None) -> RunResult:
    """Run the whole job and write the run folder.

    Parameters
    ----------
    config
        From :func:`~coverage.config.load_config`.
    out_dir
        The run folder (default ``<outputs.dir>/<run_name>``); replaced only when the run succeeds.
    progress
        Called with a short Chinese description at the start of each stage.

    Returns
    -------
    RunResult
    """
    say = progress or (lambda message: None)
    final = Path(out_dir) if out_dir else config.output.dir / config.run_name
    with RunFolder(final) as folder:
        _record_inputs(folder, config)
        say("读取并检查输入数据 (loading and validating inputs)")
        with folder.timed("load_inputs"):
            inputs = load_inputs(config)
        folder.notes.extend(data_notes(inputs))
        say("写出数据汇总 (writing the data summary)")
        with folder.timed("data_summary"):
            tables = {"data_summary": _write_data_outputs(folder, inputs)}
        say("计算步行可达性、覆盖率和服务范围 (access, coverage and service areas)")
        with folder.timed("access"):
            access = _run_access_stage(folder, inputs)
        tables.update({"coverage": access.coverage, "capacity_2sfca": access.capacity})
        folder.write_manifest(_config_settings(config))
        out = folder.commit()
    return RunResult(inputs, tables, out, access)


def _run_access_stage(folder: RunFolder, inputs: LoadedInputs):
    """Road network → travel model → coverage tables, 2SFCA and service areas (``tables/``, ``service_areas.gpkg``)."""
    from .access.stage import load_run_network, network_layers, run_access
    from .access.summary import ACCESS_LABELS_ZH

    cfg = inputs.config
    if cfg.network.source not in (None, "osm_download"):
        folder.add_input("network", cfg.network.source)
    network = load_run_network(cfg, inputs.boundaries)
    result = run_access(cfg, inputs.boundaries, inputs.facilities, inputs.demand, network=network)
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


def _write_data_outputs(folder: RunFolder, inputs: LoadedInputs) -> pd.DataFrame:
    cfg = inputs.config
    summary = jiezhen_data_summary(inputs.boundaries, inputs.facilities, inputs.demand, cfg.facility_types)
    labels = summary_labels(cfg.facility_types, population_is_estimate=inputs.population_is_estimate)
    notes = data_notes(inputs)
    shown = summary.round({"area_km2": 2, "pop_0_3": 0, "pop_total": 0, "pop_0_3_per_km2": 1})
    write_table(shown, folder.path("tables/data_summary"), labels=labels, sheet_name="街镇数据汇总", notes=notes)
    write_table(inputs.facilities, folder.path("tables/facilities"), sheet_name="设施", notes=notes)
    if inputs.warnings:
        write_table(pd.DataFrame([dataclasses.asdict(w) for w in inputs.warnings]), folder.path("tables/input_warnings"),
                    labels={"file": "文件", "message_zh": "问题", "message_en": "problem", "row": "行",
                            "column": "列", "value": "值", "severity": "级别"}, sheet_name="输入数据警告")
    cells = inputs.demand.set_geometry(cell_squares(inputs.demand))
    write_layers(folder.path("layers.gpkg"), {"jiezhen": inputs.boundaries, "facilities": inputs.facilities,
                                              "demand_cells": cells})
    return summary
