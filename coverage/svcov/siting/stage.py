"""The siting stage of a run: configuration + loaded inputs + a travel model → candidates, rule inputs, the solved
model, and the proposed-sites, coverage and diagnostics tables (used by ``svcov run`` and ``svcov site``).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..config import RunConfig
from ..data.readers import read_vector
from ..errors import ConfigError, Problem
from ..vocabulary import CAPACITY, DISTRICT_CODE, MODEL_NAMES_ZH, SOLVE_STATUS_ZH
from .candidates import build_candidates
from .constraints import drop_minimums_without_candidates, rules_from_facilities, rules_from_status, rules_per_jiezhen
from .instance import Plan, SiteRules
from .models import MODELS
from .proposals import coverage_change, diagnostics_table, proposed_sites
from .ties import prefer_among_ties, site_alternatives

__all__ = ["SitingOutcome", "Leg", "main_leg", "run_siting", "run_leg", "siting_plan", "existing_facilities",
           "MODEL_NAMES_ZH"]

log = logging.getLogger(__name__)



@dataclass
class SitingOutcome:
    """What the siting stage produced (frames in the run's metric CRS)."""

    proposals: gpd.GeoDataFrame
    coverage: pd.DataFrame
    diagnostics: pd.DataFrame
    candidates: gpd.GeoDataFrame
    model: object
    rules: SiteRules
    notes: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    alternatives: pd.DataFrame | None = None   # per site: the site and its best alternatives (siting.ties)
    legs: list = field(default_factory=list)
    places: pd.DataFrame | None = None
    phasing: pd.DataFrame | None = None
    tradeoff: pd.DataFrame | None = None
    tradeoff_shares: pd.DataFrame | None = None


def _fail(message_zh: str, message_en: str, value=None) -> ConfigError:
    return ConfigError("siting", [Problem("siting", message_zh, message_en, value=value)])


def siting_plan(config: RunConfig, *, model: str, k: int | None = None, year: int | None = None) -> Plan:
    """The plan of a run: ``k`` sites in ``year`` (default the first plan year) if ``k`` is given; the configured
    count of ``year`` if only the year is; else the configured ``sites_per_year`` (or ``k``). For ``lscp`` the
    counts are maximums (the model finds the fewest).

    Raises
    ------
    ConfigError
        If no count is configured for the year asked, or none at all.
    """
    s = config.siting
    first = config.years[0] if config.years else None
    if k is not None:
        per_year = {year if year is not None else first: k}
    elif year is not None:
        if year not in s.sites_per_year:
            raise _fail(f"siting.sites_per_year 中没有 {year} 年; 请用 --k 给出新增点数。",
                        f"no sites_per_year entry for {year}; give --k", value=year)
        per_year = {year: s.sites_per_year[year]}
    elif s.sites_per_year:
        per_year = dict(s.sites_per_year)
    elif s.k is not None:
        per_year = {first: s.k}
    elif model == "lscp":
        return Plan.single(None, year=first)
    else:
        raise _fail("请在 siting 中给出 sites_per_year 或 k (新增点数)。", "give siting.sites_per_year or siting.k")
    bounds = {y: (v, v) if isinstance(v, int) else tuple(v) for y, v in per_year.items()}
    if model == "lscp":
        bounds = {y: (0, hi) for y, (_, hi) in bounds.items()}
    years = tuple(sorted(bounds, key=lambda y: (y is None, y)))
    return Plan(years, tuple(bounds[y][0] for y in years), tuple(bounds[y][1] for y in years))


def existing_facilities(config: RunConfig, facilities: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """Facilities that count as covering (``siting.count_existing``, default the new type's first group)."""
    s = config.siting
    key = s.count_existing
    if key is None:
        ftype = config.type_by_key().get(s.facility_type)
        key = ftype.groups[0] if ftype and ftype.groups else s.facility_type
    types = config.group_types(key)
    return facilities[facilities["type"].isin(types)].reset_index(drop=True), key


def _rules(config: RunConfig, boundaries, facilities, rule_status, type_name_zh: str) -> SiteRules:
    s = config.siting
    deadline = s.rule_deadline_year or (config.years[-1] if config.years else None)
    if s.min_per_jiezhen is not None:
        return rules_per_jiezhen(boundaries, facilities, type_key=s.facility_type, type_name_zh=type_name_zh,
                                 minimum=s.min_per_jiezhen, maximum=s.max_per_jiezhen, year=deadline,
                                 deadline_year=deadline, rule_label_zh=s.rule_label_zh)
    if not s.require_in_each_jiezhen and not s.rule_ids:
        return SiteRules(default_max_sites=s.max_per_jiezhen, type_name_zh=type_name_zh,
                         zone_names=dict(zip(boundaries["jiezhen_code"], boundaries["name"])))
    if rule_status is not None and s.rule_ids:
        return rules_from_status(rule_status, rule_ids=s.rule_ids, type_name_zh=type_name_zh, year=deadline,
                                 deadline_year=deadline, max_per_zone=s.max_per_jiezhen,
                                 zone_names=dict(zip(boundaries["jiezhen_code"], boundaries["name"])))
    return rules_from_facilities(boundaries, facilities, type_key=s.facility_type, type_name_zh=type_name_zh,
                                 year=deadline, deadline_year=deadline, rule_label_zh=s.rule_label_zh,
                                 max_per_zone=s.max_per_jiezhen)


def _compounds(config: RunConfig, crs) -> gpd.GeoDataFrame | None:
    c = config.siting.compounds
    est = config.population.estimate
    if c is None and est is not None and est.compounds is not None:
        c = {"path": est.compounds, "filter": dict(est.compounds_filter)}
    if c is None:
        return None
    frame = read_vector(c["path"])
    filt = dict(c.get("filter") or {})
    if c.get("fclass"):
        filt[c.get("fclass_column", "fclass")] = c["fclass"]
    for column, value in filt.items():
        if column in frame.columns:
            values = value if isinstance(value, (list, tuple)) else [value]
            frame = frame[frame[column].astype(str).isin([str(v) for v in values])]
    name = c.get("name_column", "name")
    frame = frame.assign(name=frame[name].astype(str) if name in frame.columns else "")
    return gpd.GeoDataFrame(frame[["name"]], geometry=frame.geometry.representative_point().to_crs(crs).to_numpy(),
                            crs=crs).reset_index(drop=True)


def new_site_places(s) -> float | None:
    """Places of one new site of ``s.facility_type``: ``capacity_per_new_site``, else ``capacity_places_new``."""
    spec = s.capacity_per_new_site.get(s.facility_type)
    if spec is not None:
        return float(spec.places)
    return None if s.capacity_places_new is None else float(s.capacity_places_new)


def _model_kwargs(config: RunConfig, model: str, existing: gpd.GeoDataFrame, candidates) -> dict:
    s = config.siting
    if model == "lscp":
        return {"target_share": s.target_share}
    if model in ("p_median", "p_center"):
        return {"max_time_s": (s.max_time_min or 2 * s.threshold_min) * 60.0}
    if model == "capacitated":
        cap = config.capacity
        if cap is None or CAPACITY not in existing.columns:
            raise _fail("容量约束模型需要设施的容量: 请在类型文件的 attributes 中声明 capacity (如床位数)。",
                        "the capacitated model needs a capacity attribute declared in the type file")
        per_site = new_site_places(s)
        if per_site is None:
            raise _fail(f"容量约束模型需要新增点的{cap.label_zh}: siting.capacity_per_new_site (或 capacity_places_new)。",
                        "the capacitated model needs siting.capacity_per_new_site (or capacity_places_new)")
        new = candidates[CAPACITY].astype("Float64").fillna(per_site).to_numpy(dtype=float)
        old = existing[CAPACITY].astype("Float64")
        if s.capacity_places_unknown is not None:
            old = old.fillna(s.capacity_places_unknown)
        return {"capacity_new": new, "existing_capacity": old.to_numpy(dtype=float, na_value=np.nan)}
    return {}


@dataclass(frozen=True)
class Leg:
    """Which leg of the plan a run of the siting step is: key, name, action (``new`` / ``conversion``), site-id
    prefix."""

    key: str
    label_zh: str
    action: str = "new"
    id_prefix: str = "S"


def main_leg(config: RunConfig) -> Leg:
    """The section's own leg (the plan's main new type, e.g. 普惠性托育点)."""
    s = config.siting
    ftype = config.type_by_key().get(s.facility_type)
    return Leg(str(s.facility_type), f"新建{ftype.name_zh if ftype else s.facility_type}", "new", "S")


def run_siting(config: RunConfig, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
               demand: gpd.GeoDataFrame, travel, *, rule_status: pd.DataFrame | None = None,
               model: str | None = None, k: int | None = None, year: int | None = None, method: str | None = None,
               time_limit_s: float | None = None, extra_candidates: tuple = (), target_share: float | None = None,
               legs: bool = True) -> SitingOutcome:
    """Propose new sites as configured in ``config.siting``: the section's own leg, then each of ``siting.legs``
    (each counts the sites of the earlier legs whose type it counts, from their year on).

    Parameters
    ----------
    config
        The run configuration.
    boundaries, facilities, demand
        The loaded inputs (metric CRS).
    travel
        The run's travel model (``catchments``, ``od_matrix_s``, ``mode``, ``description_zh``).
    rule_status
        The rule status table, if the rules stage ran (used with ``siting.rule_ids``).
    model, k, year, method, time_limit_s
        Override the configuration of the main leg (e.g. ``svcov site --model mclp --k 7 --year 2022``); with
        ``k`` or ``year`` only the main leg runs.
    extra_candidates
        More candidate sources (mappings as in ``siting.candidates``), e.g. a file given on the command line.
    target_share
        The fewest new sites that cover this share (``svcov site --target-share 0.9``): the main leg is solved as
        ``lscp`` in one round without a cap (at most ``k`` if given), and only it runs.
    legs
        Run the other legs (``siting.legs``).

    Returns
    -------
    SitingOutcome
        ``proposals``, ``candidates`` and ``diagnostics`` of every leg (column ``leg``), ``coverage`` per leg, the
        places per year (``places``), the phasing comparison (``phasing``) and the coverage curve (``tradeoff``).

    Raises
    ------
    ConfigError
        If ``siting`` lacks what the model needs.
    InfeasibleError
        With the numbers that explain it.
    """
    from .plan_tables import combine, plan_extras

    s = config.siting
    if s.facility_type is None:
        raise _fail("请在 siting.facility_type 中指定新增设施的类型。", "set siting.facility_type")
    overrides = dict(model=model, k=k, year=year, method=method, time_limit_s=time_limit_s,
                     extra_candidates=extra_candidates, target_share=target_share)
    outcomes = [run_leg(config, boundaries, facilities, demand, travel, leg=main_leg(config),
                        rule_status=rule_status, **overrides)]
    if legs and k is None and year is None and target_share is None:
        for leg in s.legs:
            cfg = dataclasses.replace(config, siting=leg.siting)
            earlier = pd.concat([o.proposals for o in outcomes], ignore_index=True)
            outcomes.append(run_leg(cfg, boundaries, facilities, demand, travel,
                                    leg=Leg(leg.key, leg.label_zh, leg.action, leg.id_prefix),
                                    rule_status=rule_status, earlier=earlier))
    out = combine(outcomes)
    if target_share is None and k is None and year is None:
        plan_extras(config, out, demand, time_limit_s=time_limit_s)
    return out


def run_leg(config: RunConfig, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
            demand: gpd.GeoDataFrame, travel, *, leg: Leg, rule_status: pd.DataFrame | None = None,
            model: str | None = None, k: int | None = None, year: int | None = None, method: str | None = None,
            time_limit_s: float | None = None, extra_candidates: tuple = (), target_share: float | None = None,
            earlier: pd.DataFrame | None = None) -> SitingOutcome:
    """One leg of the plan (``config.siting`` is that leg's settings); ``earlier`` are the proposals of the earlier
    legs, counted as facilities from their year when their type is counted."""
    from .plan_tables import annotate, as_facilities

    s = config.siting
    name = "lscp" if target_share is not None and model is None else (model or s.model)
    if name not in MODELS:
        raise _fail(f"未知模型「{name}」; 可用: {', '.join(MODELS)}。", f"unknown model {name!r}", value=name)
    if target_share is not None:
        config = dataclasses.replace(config, siting=dataclasses.replace(s, target_share=float(target_share)))
        s = config.siting
    type_name = config.type_by_key()[s.facility_type].name_zh if s.facility_type in config.type_by_key() \
        else s.facility_type
    plan = (Plan.single(None, year=year or (config.years[-1] if config.years else None), k_max=k)
            if target_share is not None else siting_plan(config, model=name, k=k, year=year))
    existing, counted = existing_facilities(config, facilities)
    if earlier is not None and len(earlier):
        added = as_facilities(earlier, facilities.crs)
        added = added[added["type"].isin(config.group_types(counted))]
        existing = pd.concat([existing, added], ignore_index=True) if len(added) else existing
    rules = _rules(config, boundaries, facilities, rule_status, type_name)
    extra_notes = []
    if target_share is not None:  # the coverage question alone, as the coverage curve (no zone rules)
        rules = SiteRules(type_name_zh=type_name, zone_names=rules.zone_names)
        extra_notes.append(f"选址: 只求覆盖率达到 {target_share:.1%} 的最少新增点数, 不考虑街镇规则 (与覆盖曲线一致)。")
    group = config.served_group
    candidates = build_candidates(boundaries, tuple(s.candidates) + tuple(extra_candidates), type_key=s.facility_type,
                                  facility_types=config.facility_types, demand=demand, existing=existing,
                                  exclusions=s.exclusions, min_spacing_m=s.min_spacing_m,
                                  min_distance_to_existing_m=s.min_distance_to_existing_m, facilities=facilities,
                                  weight_column=group.key, attributes=config.attributes)
    warnings, counts = candidates.attrs.pop("problems", []), candidates.attrs.pop("counts", {})
    candidates.attrs.clear()
    if leg.action == "conversion":
        rules, dropped = drop_minimums_without_candidates(rules, candidates["jiezhen_code"].astype(str))
        if dropped:
            extra_notes.append(f"选址 ({leg.label_zh}): {'、'.join(dropped)} 没有可改建的候选设施, 该环节无法补上这些街镇的缺口"
                               f" (须新建或核实名册)。")
    cls = MODELS[name]
    kwargs = _model_kwargs(config, name, existing, candidates)
    if name == "mclp":
        kwargs["phasing"] = s.phasing
    elif s.phasing != "efficiency":
        extra_notes.append(f"选址 ({leg.label_zh}): siting.phasing: {s.phasing} 只用于最大覆盖模型 (mclp), 本次模型为 "
                           f"{MODEL_NAMES_ZH[name]}, 未采用。")
    solved = cls.from_geodataframe(demand, candidates, travel=travel, threshold_min=s.threshold_min,
                                   existing=existing, plan=plan, rules=rules, weight_column=group.key, **kwargs)
    solved.solve(method=method or s.method, time_limit_s=time_limit_s or s.time_limit_s, mip_rel_gap=s.mip_rel_gap)
    swaps = prefer_among_ties(solved, candidates)
    proposals = proposed_sites(solved, candidates, demand, type_key=s.facility_type, type_name_zh=type_name,
                               existing=existing, compounds=_compounds(config, boundaries.crs), travel=travel,
                               n_alternatives=s.n_alternatives, group_name_zh=group.name_zh)
    proposals = annotate(proposals, config, leg, counted, candidates)
    coverage = coverage_change(solved, demand).assign(group=group.key, leg=leg.key, service=counted)
    solved.result_ = dataclasses.replace(solved.result_, objective_label_zh=_worded(
        solved.result_.objective_label_zh, group.name_zh))
    diagnostics = diagnostics_table(solved, model_name_zh=MODEL_NAMES_ZH[name], group=group.key,
                                    travel_mode=getattr(travel, "mode", ""), profile=getattr(travel, "profile", ""),
                                    n_existing=len(existing), count_existing=counted,
                                    n_candidates_given=counts.get("given", len(candidates)),
                                    leg=leg.key, leg_name_zh=leg.label_zh, phasing=getattr(solved, "phasing", ""))
    notes = _notes(config, solved, rules, candidates, counts, existing, counted, travel, type_name, coverage)
    notes = _leg_notes(config, leg, swaps, notes)
    alternatives = site_alternatives(solved, candidates, proposals, n=s.n_alternatives)
    return SitingOutcome(proposals, coverage, diagnostics, candidates.assign(leg=leg.key), solved, rules,
                         notes + extra_notes, warnings, alternatives)


def _leg_notes(config: RunConfig, leg: Leg, swaps: list, notes: list[str]) -> list[str]:
    """The notes of a leg: the ties it broke, each note prefixed with the leg's name unless it is the main leg."""
    if swaps:
        notes.append(f"选址: {len(swaps)} 处点位与其他候选点同样好 (目标值相同, 规则都满足), 按同分取舍规则 (先取有名称的"
                     f"地点, 再取服务范围内人口平均时间更短的) 选定。")
    if leg.key != main_leg(config).key or leg.action != "new":
        notes = [n.replace("选址:", f"选址 ({leg.label_zh}):", 1).replace("选址规则:", f"选址规则 ({leg.label_zh}):", 1)
                 for n in notes]
    return notes


def _worded(label: str, group_name_zh: str) -> str:
    """A solver's objective label in the run's words: 「需求人口」 becomes the served group (「60 岁及以上老人」)."""
    name = f" {group_name_zh}" if group_name_zh[:1].isascii() and group_name_zh[:1].isalnum() else group_name_zh
    return label.replace("需求人口", name).replace("  ", " ")


def _notes(config, solved, rules, candidates, counts, existing, counted, travel, type_name, coverage) -> list[str]:
    r, s = solved.result_, config.siting
    n_est = int(existing["type_is_estimate"].fillna(False).astype(bool).sum()) if len(existing) else 0
    district = coverage[coverage["jiezhen_code"] == DISTRICT_CODE]
    change = "; ".join(f"{'' if pd.isna(row.year) else f'{row.year} 年'} {row.share_before:.1%} → {row.share_after:.1%}"
                       for row in district.itertuples())
    by_source = ", ".join(f"{k[5:]} {v}" for k, v in counts.items() if k.startswith("kept_") and v)
    how = getattr(travel, "profile_name_zh", "步行")
    notes = [
        f"选址: {MODEL_NAMES_ZH[solved.name]}, 新增{type_name} {int((solved.open_year_ >= 0).sum())} 个 "
        f"(计划年份 {solved.plan.label()}), {how} {s.threshold_min} 分钟覆盖; 求解 {r.method} / {r.status} "
        f"({SOLVE_STATUS_ZH.get(r.status, r.status)}), 目标值 {r.objective:,.1f} ({r.objective_label_zh}), "
        f"界 {r.best_bound:,.1f}, 相对差距 {r.gap:.4%}, 用时 {r.time_s:.1f} 秒。",
        f"选址: {config.served_group.name_zh} {s.threshold_min} 分钟覆盖率 (现有设施 → 加上新增点): {change}。",
        f"选址: 现有设施按「{counted}」计入 ({len(existing)} 个"
        + (f", 其中 {n_est} 个类型为按名称推断的估算" if n_est else "") + ")。",
        f"选址: 候选点 {len(candidates)} 个 ({by_source}); 边界外 {counts.get('outside_boundary', 0)} 个、排除区内 "
        f"{counts.get('in_exclusion_area', 0)} 个、距现有设施过近 {counts.get('near_existing', 0)} 个、间距小于 "
        f"{s.min_spacing_m:.0f} 米 {counts.get('closer_than_spacing', 0)} 个已去掉。",
    ]
    if rules.min_sites:
        reason = next(iter(rules.reasons_zh.values()), "")
        notes.append(f"选址规则: {len(rules.min_sites)} 个街镇须各新增至少 1 个{type_name} "
                     f"({'截至 ' + str(rules.deadline_year) + ' 年' if rules.deadline_year else ''}): {reason}。")
    if travel is not None and getattr(travel, "description_zh", None):
        notes.append(f"选址: 出行时间 — {travel.description_zh}")
    return notes
