"""The yearly 15-minute-circle coverage report (HTML, Word and PDF), in Chinese, for print and for leadership.

For a chosen year it gives the share of the served group (the configured population group: 0-3 岁儿童 for
childcare, 60 岁及以上老人 for elderly care) within the circle's travel time, for the district and each 街镇, and what
changed since the previous year (or why nothing could); the same by every configured travel profile; the plan's
years; the layout rule's table (e.g. the childcare plan's 「3个一」, its legs side by side); the plan-target table;
the proposed sites as an "if built" scenario (or why siting could not propose any); and an appendix for the analyst,
「数据说明与待补充数据」 (sources, the data-gap table, methods). A plan period that is over is written as an evaluation
(规划期评估) with the sites as batches for the next years.

Two layers of text: the sections before the appendix are for leadership — no configuration key, field name,
English code or solver term, each caveat said once (the first findings say what the numbers rest on and what they
can and cannot support), every number explained in a sentence, times over an hour as 「60 分钟以上 (路程约 N 公里)」;
what the analyst must add is said once, in the appendix, and the rows point to it by number. Every word naming the
service, the group, the capacity or the plan comes from the configuration; a section whose rules or data do not
exist is left out and the others are numbered on. Every number comes from the tables it is handed
(docs/DEVELOPING.md: coverage table, rule status table, proposed sites, data gaps).

The sections live in ``reportfindings`` (first paragraph, 要点), ``reportcoverage``, ``reportrules``,
``reportsites`` and ``reportappendix``; :func:`section_plan` puts them in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import ConfigError, single_problem
from .context import DISTRICT_CODE, RunInfo, circle_register_complete, require_columns
from .datagaps import data_gaps
from .document import Document, write_document
from .landmarks import site_landmarks
from .plantime import PlanTiming
from .report_siting import plan_sections, scenario_section
from .reportappendix import appendix_section
from .reportbase import ReportData, Sections
from .reportcoverage import coverage_section, profiles_section, trend_section
from .reportfindings import intro, summary
from .reportrules import layout_section, targets_section
from .reportsites import sites_section

__all__ = ["COVERAGE_COLUMNS", "RULE_COLUMNS", "build_report", "write_report", "section_plan", "Section"]

log = logging.getLogger(__name__)

COVERAGE_COLUMNS = ("year", "jiezhen_code", "jiezhen_name", "service", "group", "profile", "threshold_min", "pop",
                    "pop_covered", "share_covered", "mean_time_min")
RULE_COLUMNS = ("rule_id", "label_zh", "clause", "year", "jiezhen_code", "jiezhen_name", "value", "target_zh",
                "status", "gap_zh")

#: A section: its name (for cross-references, e.g. 「见第六节」) and the function that writes its blocks.
Section = tuple[str, Callable[[ReportData, Sections], list]]


def _own(facilities: pd.DataFrame | None) -> pd.DataFrame | None:
    """The district's own facilities (those kept across the border count for access, not for the report's counts)."""
    if facilities is None or "jiezhen_code" not in facilities.columns:
        return facilities
    return facilities[facilities["jiezhen_code"].notna() & (facilities["jiezhen_code"] != DISTRICT_CODE)]


def _prepare(year: int, *, info: RunInfo, boundaries, coverage, rule_status=None, sites=None, years=None,
             siting_problem=None, facilities=None, places=None, gaps=None, plan=None) -> ReportData:
    require_columns(coverage, COVERAGE_COLUMNS, "覆盖表 (coverage table)")
    if rule_status is not None:
        require_columns(rule_status, RULE_COLUMNS, "规则状态表 (rule status table)")
    primary = info.profiles[0][0] if info.profiles else "walk"
    by_profile = coverage[(coverage["service"] == info.circle_service) & (coverage["group"] == info.group)
                          & (coverage["threshold_min"] == info.circle_threshold_min)]
    circle = by_profile[by_profile["profile"] == primary]
    if circle.empty:
        raise single_problem(ConfigError, "travel.thresholds_min", f"覆盖表中没有服务「{info.circle_service}」"
                             f"{info.circle_threshold_min} 分钟、人群「{info.group}」的行: 报告的服务圈需要这个时间。"
                             f"请在 travel.thresholds_min 中加入 {info.circle_threshold_min}。",
                             f"the coverage table has no rows for service {info.circle_service!r} at "
                             f"{info.circle_threshold_min} min, group {info.group!r}, profile {primary!r}, the "
                             f"report's circle; add {info.circle_threshold_min} to travel.thresholds_min",
                             value=info.circle_threshold_min)
    years = tuple(int(y) for y in (years or sorted(circle["year"].unique())))
    earlier = sorted(int(y) for y in circle["year"].unique() if int(y) < year)
    own = _own(facilities)
    if gaps is None:
        gaps = data_gaps(info, rule_status=rule_status, facilities=own, year=year)
    complete = circle_register_complete(own, info) if own is not None else False
    return ReportData(info=info, year=int(year), prev_year=earlier[-1] if earlier else None, years=years,
                      circle=circle, by_profile=by_profile, rules=rule_status, sites=sites, boundaries=boundaries,
                      timing=PlanTiming.of(years, info.created), facilities=own, gaps=gaps,
                      register_complete=complete, siting_problem=siting_problem,
                      landmarks=_landmarks(sites, plan, places, boundaries), plan=plan)


def _landmarks(sites, plan, places, boundaries) -> dict:
    """Landmarks of the report's sites and of the plan's other legs (their subsections name them too)."""
    every = plan.get("sites") if plan else None
    shown = every if every is not None and len(every) else sites
    return site_landmarks(shown, places, boundaries) if shown is not None else {}


def section_plan(d: ReportData) -> list[Section]:
    """The sections this report has, in order (those without rules, sites or profiles are left out).

    Leadership sections first, the analyst's appendix (「数据说明与待补充数据」) last. Siting sections that add to the
    proposed sites (places per site, equity trade-off, the plan's other legs, the coverage/sites curve, scenarios)
    belong right after ``sites`` and before ``data``: append them to ``siting`` below; they may cross-refer with
    ``s.ref("sites")`` and ``s.ref("data")`` and take figure numbers from ``s.fig()``.
    """
    parts: list[Section] = [("summary", summary), ("coverage", coverage_section)]
    if d.by_profile["profile"].nunique() > 1:
        parts.append(("profiles", profiles_section))
    parts.append(("trend", trend_section))
    if d.layout is not None:
        parts.append(("layout", layout_section))
    if d.rules is not None and len(d.rules):
        parts.append(("targets", targets_section))
    siting: list[Section] = []
    if d.show_sites:
        siting.append(("sites", lambda d, s: sites_section(d, s) + plan_sections(d, s)))
    if d.plan and d.plan.get("scenarios") is not None and len(d.plan["scenarios"]):
        siting.append(("scenarios", scenario_section))
    # --- siting sections of further analyses go here (after "sites") -------------------------------------------
    parts += siting
    parts.append(("data", appendix_section))
    return parts


def _title(d: ReportData) -> tuple[str, tuple[str, ...]]:
    info = d.info
    title = f"{info.district_name_zh} {d.year} 年 {d.minutes} 分钟{info.circle_name_zh}圈覆盖报告"
    if d.evaluation:
        title += " (规划期评估)"
    plan = f" · 《{info.plan_name_zh}》" if info.plan_name_zh else ""
    period = f"规划期 {d.timing.span_zh}" + (" (已结束)" if d.evaluation else "")
    subtitle = (f"服务: {info.circle_name_zh} · 人群: {info.group_name_zh} · {d.travel} {d.minutes} 分钟 · "
                f"{period}{plan}", f"生成日期 {info.created} · svcov")
    return title, subtitle


def build_report(year: int, *, info: RunInfo, boundaries: gpd.GeoDataFrame, coverage: pd.DataFrame,
                 rule_status: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
                 years: Sequence[int] | None = None, siting_problem: str | None = None,
                 facilities: pd.DataFrame | None = None, places: gpd.GeoDataFrame | None = None,
                 gaps: pd.DataFrame | None = None, plan: Mapping | None = None) -> Document:
    """The report of ``year`` as a :class:`~svcov.outputs.document.Document` (parameters: :func:`write_report`)."""
    d = _prepare(year, info=info, boundaries=boundaries, coverage=coverage, rule_status=rule_status, sites=sites,
                 years=years, siting_problem=siting_problem, facilities=facilities, places=places, gaps=gaps,
                 plan=plan)
    parts = section_plan(d)
    sections = Sections([name for name, _ in parts])
    blocks = intro(d, sections)
    for _, make in parts:
        blocks += make(d, sections)
    title, subtitle = _title(d)
    return Document(title=title, subtitle=subtitle, blocks=tuple(blocks),
                    footer=f"{info.district_name_zh} {d.year} 年覆盖报告")


def write_report(out_dir: str | Path, year: int, *, info: RunInfo, boundaries: gpd.GeoDataFrame,
                 coverage: pd.DataFrame, rule_status: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
                 years: Sequence[int] | None = None, stem: str = "report",
                 formats: Sequence[str] = ("html", "docx", "pdf"), siting_problem: str | None = None,
                 facilities: pd.DataFrame | None = None, places: gpd.GeoDataFrame | None = None,
                 gaps: pd.DataFrame | None = None, plan: Mapping | None = None) -> list[Path]:
    """Write the yearly coverage report as ``<stem>.html``, ``.docx`` and ``.pdf`` in ``out_dir``.

    Parameters
    ----------
    out_dir
        The run folder.
    year
        The year reported; the previous year in ``coverage`` gives the changes.
    info
        The run's :class:`~svcov.outputs.context.RunInfo`; its circle service, threshold, served group and primary
        profile select the coverage rows, its ``layout_rule_id`` the layout rule (no layout section without one),
        its ``created`` date whether the plan period is over (an evaluation, the sites for the next years).
    boundaries
        街镇 (contract ``boundaries``), for the maps.
    coverage, rule_status, sites
        Contract tables (docs/DEVELOPING.md); ``rule_status`` and ``sites`` are optional (their sections are then
        left out).
    years
        Years of the plan (trend section); default: the years in ``coverage``.
    stem
        File name without suffix (e.g. ``report_2022`` for other years of the plan).
    formats
        Any of ``html``, ``docx``, ``pdf``.
    siting_problem
        Why the siting stage could not propose sites (the solver's explanation, in numbers); the sites section then
        says so and what to change.
    facilities
        The facility frame (contract ``facilities``): what the numbers rest on (sources, complete registers,
        inferred types), opening years (what changed since the previous year), 「无数据」 街镇.
    places
        Named places (:func:`svcov.data.places.load_places`), to name proposed sites by their landmark.
    gaps
        The data-gap table (:func:`~svcov.outputs.datagaps.data_gaps`); default: computed from ``rule_status``
        and ``facilities``.
    plan
        Optional tables of the plan as a whole (:mod:`svcov.outputs.report_siting`): ``sites`` (every leg's proposed
        sites, ``leg``), ``main_leg``, ``places``, ``place_target_label_zh``, ``places_sources``, ``phasing``,
        ``tradeoff``, ``tradeoff_shares``, ``planned_sites``, ``scenarios``; their subsections follow the proposed
        sites, the scenarios get a section before the appendix.

    Returns
    -------
    list of Path
        Files written.

    Raises
    ------
    MissingColumnError
        A table lacks contract columns.
    ConfigError
        The coverage table has no rows for the circle's service, threshold, group and profile (also a
        ``ValueError``).
    """
    doc = build_report(year, info=info, boundaries=boundaries, coverage=coverage, rule_status=rule_status,
                       sites=sites, years=years, siting_problem=siting_problem, facilities=facilities,
                       places=places, gaps=gaps, plan=plan)
    written = write_document(doc, Path(out_dir) / stem, formats)
    log.info("wrote the %d report: %s", year, ", ".join(p.name for p in written))
    return written
