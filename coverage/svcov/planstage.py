"""The plan-wide parts of a run, between the analysis stages and the pipeline: the what-if scenarios
(``tables/scenario_comparison``), the plan tables of the siting stage (places per year against the target, the
two phasings, the coverage curve) and what the report, memos and map show about the plan (:func:`plan_for_documents`).

Kept out of :mod:`svcov.pipeline` so each stays a readable size; only the pipeline imports this module.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd

from .config import RunConfig
from .files import RunFolder
from .outputs.tables import config_labels, write_table
from .vocabulary import DISTRICT_CODE

__all__ = ["prepare_scenarios", "scenario_stage", "scenario_labels_zh", "write_plan_tables", "plan_for_documents",
           "map_places"]

log = logging.getLogger(__name__)


def scenario_labels_zh(config: RunConfig) -> dict[str, str]:
    """Chinese headers of ``tables/scenario_comparison`` in the run's words (the served group)."""
    from .access.summary import ACCESS_LABELS_ZH

    group = config.served_group.name_zh
    return {**config_labels(config.attributes, config.population.groups), **ACCESS_LABELS_ZH,
            "scenario": "情景代码", "scenario_label_zh": "情景", "description_zh": "情景说明", "pop": f"{group}人数",
            "pop_covered_before": f"覆盖{group}(现状)", "share_before": "覆盖率(现状)",
            "pop_covered_after": f"覆盖{group}(情景)", "share_after": "覆盖率(情景)", "share_change": "覆盖率变化",
            "n_added": "增加设施数", "n_closed": "关闭设施数", "travel_changed": "改变出行设置", "group": "人群代码"}


def prepare_scenarios(config: RunConfig, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                      warnings: list) -> dict:
    """Every scenario's facility frame and changes, with its registers read by the run's register loader (called
    by :func:`svcov.pipeline.load_inputs`, so a broken scenario register stops the run before any computing);
    the registers' warnings are appended to ``warnings``.

    Raises
    ------
    ValidationFailed
        If an added register has errors (every problem, with its file, row, column and value).
    ConfigError
        If a scenario closes an id no facility has.
    """
    from .access.scenarios import scenario_facilities

    out = {}
    for scenario in config.scenarios:
        changed, changes, found = scenario_facilities(config, scenario, facilities, boundaries)
        warnings.extend(found)
        out[scenario.name] = (changed, changes)
    return out


def scenario_stage(folder: RunFolder, inputs, access, *, notes: list[str]) -> dict[str, pd.DataFrame]:
    """Each scenario of the configuration: coverage with its facilities (and travel profile) against the run's
    (``tables/scenario_comparison``; the changes go to the map). ``inputs`` is the run's
    :class:`~svcov.pipeline.LoadedInputs`, ``access`` its access result, ``notes`` the tables' notes.

    Raises
    ------
    ValidationFailed, ConfigError
        If a scenario's register has errors (each with its file, row, column and value) or closes an unknown id.
    """
    from .access.scenarios import run_scenario
    from .outputs.context import circle_threshold

    cfg = inputs.config
    service, minutes = cfg.circle_service, circle_threshold(cfg)
    comparisons, changes = [], []
    for scenario in cfg.scenarios:
        if scenario.path is not None:
            folder.add_input("scenario", scenario.path)
        for source in scenario.add:
            folder.add_input("scenario_facilities", source.path)
        result = run_scenario(cfg, scenario, inputs.boundaries, inputs.facilities, inputs.demand, access.coverage,
                              network=access.network, service=service, threshold_min=minutes,
                              prepared=inputs.scenarios.get(scenario.name))
        comparisons.append(result.comparison)
        changes.append(result.changes)
        district = result.comparison[(result.comparison["jiezhen_code"] == DISTRICT_CODE)
                                     & (result.comparison["year"] == cfg.report_year)]
        if len(district):
            d = district.iloc[0]
            folder.notes.append(f"情景「{scenario.label_zh}」: {d['description_zh']} {cfg.report_year} 年全区 "
                                f"{minutes} 分钟覆盖率 {d['share_before']:.1%} → {d['share_after']:.1%}。")
    comparison = pd.concat(comparisons, ignore_index=True)
    write_table(comparison, folder.path("tables/scenario_comparison"), labels=scenario_labels_zh(cfg),
                sheet_name="情景比较", notes=notes, float_digits=4, shares=["share_change"])
    return {"scenario_comparison": comparison, "scenario_facilities": pd.concat(changes, ignore_index=True)}


def write_plan_tables(folder: RunFolder, config: RunConfig, out, notes: list[str]) -> dict[str, pd.DataFrame]:
    """``tables/siting_places`` (places per year against the target), ``siting_phasing`` (both phasings),
    ``siting_tradeoff`` and ``siting_tradeoff_shares`` (coverage against the number of new sites) of a siting
    outcome ``out``."""
    from .siting.plan_tables import plan_labels_zh
    from .siting.proposals import SITING_LABELS_ZH

    cap = config.capacity
    noun = (cap.noun_zh or cap.label_zh) if cap else "容量"
    labels = {**config_labels(config.attributes, config.population.groups), **SITING_LABELS_ZH,
              **plan_labels_zh(config)}
    written = {}
    for key, frame, sheet in (("siting_places", out.places, f"新增{noun}"),
                              ("siting_phasing", out.phasing, "分期方案比较"),
                              ("siting_tradeoff", out.tradeoff, "覆盖率与新增点数"),
                              ("siting_tradeoff_shares", out.tradeoff_shares, "达到覆盖率所需点数")):
        if frame is not None and len(frame):
            write_table(frame, folder.path(f"tables/{key}"), labels=labels, sheet_name=sheet, notes=notes,
                        float_digits=4, counts=[c for c in ("places_new", "places_cumulative", "target_places")
                                                if c in frame.columns])
            written[key] = frame
    return written


def plan_for_documents(config: RunConfig, tables: dict[str, pd.DataFrame]) -> dict:
    """What the report, memos and map show about the plan as a whole (``plan`` of
    :func:`svcov.outputs.report.write_report`): every leg's sites, the main leg, places (with the capacity's words),
    phasing, the coverage curve and the scenarios."""
    s = config.siting
    types = config.type_by_key()
    planned = sum(hi if isinstance(hi, int) else hi[1] for hi in s.sites_per_year.values()) if s.sites_per_year \
        else s.k
    cap = config.capacity
    return {"sites": tables.get("proposed_sites"), "main_leg": s.facility_type, "places": tables.get("siting_places"),
            "place_target_label_zh": s.place_target.label_zh if s.place_target else "",
            "places_sources": {types[k].name_zh if k in types else k: {"places": v.places, "source_zh": v.source_zh}
                               for k, v in s.capacity_per_new_site.items()},
            "places_noun_zh": (cap.noun_zh or cap.label_zh) if cap else "容量",
            "places_unit_zh": cap.unit_zh if cap else "个",
            "phasing": tables.get("siting_phasing"), "tradeoff": tables.get("siting_tradeoff"),
            "tradeoff_shares": tables.get("siting_tradeoff_shares"), "planned_sites": planned,
            "scenarios": tables.get("scenario_comparison")}


def map_places(config: RunConfig, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The named places of the map (``outputs.context``; by default the population estimate's compounds file),
    or ``None`` when there are none."""
    from .config.outputs import ContextLayerConfig
    from .data.places import load_places

    source = config.output.context
    estimate = config.population.estimate
    if source is None and config.output.context_default and estimate is not None and estimate.compounds:
        source = ContextLayerConfig(path=estimate.compounds)
    if source is None:
        return None
    places = load_places(source, boundaries)
    return places if len(places) else None
