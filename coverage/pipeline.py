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

__all__ = ["LoadedInputs", "RunResult", "load_inputs", "run", "data_notes", "site", "siting_travel_model"]

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
        say("选址 (site selection)")
        with folder.timed("siting"):
            tables.update(_siting_stage(folder, inputs, siting_travel_model(inputs)))
        folder.write_manifest(_config_settings(config))
        out = folder.commit()
    return RunResult(inputs, tables, out)


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


# --- siting stage (coverage.siting) ----------------------------------------------------------------------------


def siting_travel_model(inputs: LoadedInputs):
    """The travel model the siting stage uses: the access stage's (``coverage.access.engine``), or ``None`` when
    that stage is not available."""
    try:
        from .access.engine import build_travel_model
    except ImportError:
        return None
    return build_travel_model(inputs.boundaries.crs, inputs.config.travel)


def _siting_stage(folder: RunFolder, inputs: LoadedInputs, travel, rule_status: pd.DataFrame | None = None,
                  **overrides) -> dict[str, pd.DataFrame]:
    """Propose sites and write ``tables/proposed_sites``, ``tables/siting_coverage``, ``tables/siting_diagnostics``
    and ``siting.gpkg`` (layers ``proposed_sites``, ``candidates``). Skipped (with a note) without
    ``siting.facility_type`` or a travel model."""
    from .siting.proposals import SITING_LABELS_ZH
    from .siting.stage import run_siting

    if inputs.config.siting.facility_type is None or travel is None:
        why = "未配置 siting.facility_type" if travel is not None else "没有出行时间模型 (access 阶段不可用)"
        folder.notes.append(f"选址: 未运行 ({why})。")
        log.warning("siting skipped: %s", why)
        return {}
    out = run_siting(inputs.config, inputs.boundaries, inputs.facilities, inputs.demand, travel,
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
        ``model``, ``k``, ``year``, ``method``, ``time_limit_s`` (see :func:`coverage.siting.stage.run_siting`).

    Raises
    ------
    ValidationFailed, InputError, InfeasibleError, NetworkError
    """
    from .errors import NetworkError

    say = progress or (lambda message: None)
    final = Path(out_dir) if out_dir else config.output.dir / f"{config.run_name}-site"
    if candidates_file is not None:
        overrides["extra_candidates"] = ({"kind": "file", "path": Path(candidates_file), "label_zh": Path(candidates_file).name,
                                          "coord_system": coords or "wgs84"},)
    with RunFolder(final) as folder:
        _record_inputs(folder, config)
        if candidates_file is not None:
            folder.add_input("candidates", candidates_file)
        say("读取并检查输入数据 (loading and validating inputs)")
        with folder.timed("load_inputs"):
            inputs = load_inputs(config)
        folder.notes.extend(data_notes(inputs))
        travel = siting_travel_model(inputs)
        if travel is None:
            raise NetworkError("没有可用的出行时间模型 (coverage.access); 无法选址 (no travel model available)")
        say("选址 (site selection)")
        with folder.timed("siting"):
            tables = _siting_stage(folder, inputs, travel, **overrides)
        folder.write_manifest(_config_settings(config))
        out = folder.commit()
    return RunResult(inputs, tables, out)
