"""The 街镇 fills of ``map.html``, one base choice each in the layer control: the share of the served group within
the circle's travel time (the default; 「无数据」 apart from 0 %), the layout rule's status (childcare: 「3个一」), no
fill; and the 街镇 popups (coverage by every travel profile, status, the rules missed, the sites proposed there).
Every word naming the group, its unit and the profiles comes from :class:`~.context.RunInfo`."""

from __future__ import annotations

import pandas as pd

from .context import (
    COVERAGE_COLORS,
    NO_DATA,
    NO_DATA_COLOR,
    STATUS_COLORS,
    STATUSES,
    RunInfo,
    circle_register_complete,
    coverage_class,
    coverage_class_label,
    est,
    fmt_int,
    fmt_share,
    layout_status,
    share_has_no_data,
)
from .mapelements import Shapes, popup_html
from .maplayers import wgs84_features
from .maplegend import Legend, hatch_swatch, swatch
from .plantime import PlanTiming

__all__ = ["jiezhen_layers", "circle_coverage", "register_complete"]


def circle_coverage(coverage: pd.DataFrame | None, info: RunInfo) -> pd.DataFrame | None:
    if coverage is None or len(coverage) == 0:
        return None
    rows = coverage[(coverage["service"] == info.circle_service)
                    & (coverage["threshold_min"] == info.circle_threshold_min)]
    if "group" in rows.columns:
        rows = rows[rows["group"] == info.group]
    if "profile" in rows.columns and info.profiles:
        rows = rows[rows["profile"] == info.profiles[0][0]]
    return rows.set_index(["year", "jiezhen_code"]) if len(rows) else None


def _profile_shares(coverage: pd.DataFrame | None, info: RunInfo, year: int, code: str) -> list[tuple[str, str]]:
    """The circle's coverage of one unit and year by every other travel profile (for popups)."""
    if coverage is None or len(info.profiles) < 2 or "profile" not in coverage.columns:
        return []
    rows = coverage[(coverage["service"] == info.circle_service) & (coverage["group"] == info.group)
                    & (coverage["threshold_min"] == info.circle_threshold_min) & (coverage["year"] == year)
                    & (coverage["jiezhen_code"].astype(str) == str(code))].set_index("profile")
    return [(f"覆盖率 ({name})", fmt_share(rows.loc[key, "share_covered"])) for key, name in info.profiles[1:]
            if key in rows.index]


def register_complete(facilities, info: RunInfo) -> bool:
    """Whether the facilities of the circle's service come from complete registers only."""
    return circle_register_complete(facilities, info)


def _share_fill(c: pd.Series | None, register_complete: bool) -> tuple[str, str | None]:
    """(fill colour, class name) of a 街镇 on the coverage choice; 「无数据」 is white and dotted."""
    if c is None or share_has_no_data(c["share_covered"], c.get("n_facilities"), register_complete):
        return NO_DATA_COLOR, "svcov-nodata"
    return COVERAGE_COLORS[coverage_class(c["share_covered"])], None


def _jiezhen_popup(name: str, year: int, code: str, *, info: RunInfo, circle, coverage, status, rule_label: str,
                   rule_status, sites, register_complete: bool, timing: PlanTiming) -> str:
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    rows: list[tuple[str, object]] = [("年份", year)]
    c = circle.loc[(year, code)] if circle is not None and (year, code) in circle.index else None
    if c is not None:
        no_data = share_has_no_data(c["share_covered"], c.get("n_facilities"), register_complete)
        unit = info.group_unit_zh
        rows += [(f"{info.group_name_zh}{e}", f"{fmt_int(c['pop'])} {unit}"),
                 (f"{minutes} 分钟覆盖率{e}", f"{NO_DATA} (本街镇没有设施记录, 名册不完整)" if no_data
                  else f"{fmt_share(c['share_covered'])} (约 {fmt_int(c['pop_covered'])} {unit})")]
        if not no_data:
            rows += _profile_shares(coverage, info, year, code)
    if status is not None and status.get((year, code)) is not None:
        rows.append((rule_label, status[(year, code)]))
    notes = _rule_notes(rule_status, year, code)
    if sites is not None and len(sites):
        here = sites[(sites["jiezhen_code"].astype(str) == str(code)) & (sites["year"] <= year)]
        for _, s in here.sort_values(["year", "rank"]).iterrows():
            notes.append(f"建议点位 ({timing.site_when_zh(int(s['year']))}): {s['candidate_name']}, 新增覆盖约 "
                         f"{fmt_int(s['pop_newly_covered'])} {info.group_unit_zh}{e}")
    return popup_html(name, rows, notes=notes)


def _rule_notes(rule_status, year: int, code: str) -> list[str]:
    """The rules a 街镇 misses (with what is missing), then one line counting the others."""
    if rule_status is None:
        return []
    rows = rule_status[(rule_status["year"] == year) & (rule_status["jiezhen_code"].astype(str) == str(code))]
    notes = [f"{r['label_zh']} — 未达标: {r['gap_zh']}" if pd.notna(r.get("gap_zh")) and r.get("gap_zh")
             else f"{r['label_zh']} — 未达标" for _, r in rows[rows["status"] == "未达标"].iterrows()]
    counts = rows["status"].value_counts()
    others = [f"{s} {int(counts[s])} 项" for s in STATUSES if s != "未达标" and counts.get(s, 0)]
    if others:
        notes.append("其他规划目标: " + "、".join(others) + (" (缺少判断所需的数据, 见报告)" if counts.get("数据不足") else ""))
    return notes


def jiezhen_layers(themes, legend: Legend, boundaries, *, facilities, rule_status, coverage, sites,
                    info: RunInfo) -> None:
    """The 街镇 fills, one base choice each: coverage share (default), 「3个一」 status, no fill."""
    status, rule_label = layout_status(rule_status, info) if rule_status is not None else (None, "")
    circle = circle_coverage(coverage, info)
    complete = register_complete(facilities, info)
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    codes, names = list(boundaries["jiezhen_code"].astype(str)), list(boundaries["name"].astype(str))
    popups = {y: [_jiezhen_popup(n, y, c, info=info, circle=circle, coverage=coverage, status=status,
                                 rule_label=rule_label,
                                 rule_status=rule_status, sites=sites, register_complete=complete,
                                 timing=PlanTiming.of(themes.years, info.created))
                  for c, n in zip(codes, names)] for y in themes.years}
    choices = []
    if circle is not None:
        choices.append(("coverage", f"街镇填色: {minutes} 分钟覆盖率{e}"))
    if status is not None:
        choices.append(("status", f"街镇填色: {rule_label}状态"))
    choices.append(("none", "街镇: 不填色"))
    for k, (kind, name) in enumerate(choices):
        seen: set[str] = set()
        for year, child in themes.by_year(themes.theme(name, show=k == 0, overlay=False)).items():
            props = []
            for code, popup in zip(codes, popups[year]):
                c = circle.loc[(year, code)] if circle is not None and (year, code) in circle.index else None
                fill, klass = (_share_fill(c, complete) if kind == "coverage" else
                               (STATUS_COLORS.get(status.get((year, code)), NO_DATA_COLOR), None)
                               if kind == "status" else ("#ffffff", None))
                seen.add(klass or fill)
                style = {"color": "#333333", "weight": 1.6, "fillColor": fill,
                         "fillOpacity": 0.0 if kind == "none" else 0.55}
                if klass:
                    style.update(className=klass, fillOpacity=0.8)
                props.append({"style": style, "popup": popup})
            Shapes(wgs84_features(boundaries.geometry, props), pane="svcov-fill").add_to(child)
        _fill_legend(legend, kind, name, seen, status_label=rule_label, circle_name=info.circle_name_zh,
                     minutes=minutes)


def _fill_legend(legend: Legend, kind: str, layer: str, seen: set[str], *, status_label: str,
                 circle_name: str, minutes: int) -> None:
    if kind == "coverage":
        section = f"街镇: {minutes} 分钟覆盖率 (可达{circle_name}的比例)"
        for k, color in enumerate(COVERAGE_COLORS):
            if color in seen:
                legend.add(section, layer, swatch(color, opacity=0.75), coverage_class_label(k))
        if "svcov-nodata" in seen:
            legend.add(section, layer, hatch_swatch("svcov-dots"), f"{NO_DATA} (无设施记录, 名册不完整)")
    elif kind == "status":
        for s in STATUSES:
            if STATUS_COLORS[s] in seen:
                legend.add(f"街镇: {status_label}", layer, swatch(STATUS_COLORS[s], opacity=0.75), s)
    else:
        legend.add("街镇", layer, swatch("#ffffff"), "街镇边界")
