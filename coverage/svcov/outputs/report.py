"""The yearly 15-minute-circle coverage report (HTML, Word and PDF), in Chinese, for print.

For a chosen year it gives the share of the served group (the configured population group: 0-3 岁儿童 for
childcare, 60 岁及以上老人 for elderly care) within the circle's travel time, for the district and each 街镇, and the
change from the previous year; the same by every configured travel profile side by side; the layout rule's table
(e.g. the childcare plan's 「3个一」, when the rule file names one); the plan-target table (达标 / 未达标 / 数据不足);
maps and charts; the proposed sites of the year (or why siting could not propose any); data sources and caveats.
Every word naming the service, the group, the capacity or the plan comes from the configuration; a section whose
rules or data do not exist is left out and the others are numbered on. Every number comes from the tables it is
handed (docs/DEVELOPING.md: coverage table, rule status table, proposed sites) and is introduced by a sentence
saying what it is; every estimate is marked 「估算」.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import ConfigError, single_problem
from . import charts
from .context import (
    DISTRICT_CODE,
    STATUSES,
    RunInfo,
    est,
    fmt_int,
    fmt_min,
    fmt_pp,
    fmt_share,
    fmt_value,
    layout_name,
    layout_rule_id,
    require_columns,
    service_name,
)
from .document import Bullets, Document, Heading, Image, Para, Table, write_document
from .report_siting import plan_sections, scenario_sections

__all__ = ["COVERAGE_COLUMNS", "RULE_COLUMNS", "build_report", "write_report"]

log = logging.getLogger(__name__)

COVERAGE_COLUMNS = ("year", "jiezhen_code", "jiezhen_name", "service", "group", "profile", "threshold_min", "pop",
                    "pop_covered", "share_covered", "mean_time_min")
RULE_COLUMNS = ("rule_id", "label_zh", "clause", "year", "jiezhen_code", "jiezhen_name", "value", "target_zh",
                "status", "gap_zh")
_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True)
class _Data:
    """The rows the report uses, chosen once."""

    info: RunInfo
    year: int
    prev_year: int | None
    years: tuple[int, ...]
    circle: pd.DataFrame          # coverage rows of the circle's service, threshold, group and primary profile
    by_profile: pd.DataFrame      # the same for every profile
    rules: pd.DataFrame | None
    sites: pd.DataFrame | None
    boundaries: gpd.GeoDataFrame
    siting_problem: str | None = None

    def at(self, year: int | None) -> pd.DataFrame:
        """Circle coverage rows of a year, indexed by jiezhen_code (empty if no year)."""
        rows = self.circle[self.circle["year"] == year] if year is not None else self.circle.iloc[0:0]
        return rows.set_index("jiezhen_code")

    @property
    def e(self) -> str:
        return est(self.info.population_is_estimate)

    @property
    def minutes(self) -> int:
        return self.info.circle_threshold_min

    @property
    def travel(self) -> str:
        """The primary profile's travel, e.g. 「步行」, as the circle's sentences use it."""
        return self.info.profile_name_zh

    @property
    def layout(self) -> str | None:
        return layout_rule_id(self.rules, self.info) if self.rules is not None else None

    @property
    def show_sites(self) -> bool:
        return self.sites is not None or self.siting_problem is not None


class _Sections:
    """Numbers the sections that are there (一、二、…) so that cross-references follow the ones left out."""

    def __init__(self, names: Sequence[str]):
        self.number = {name: _NUMBERS[i] for i, name in enumerate(names)}

    def ref(self, name: str) -> str:
        return f"第{self.number[name]}节"

    def head(self, name: str, title: str) -> Heading:
        return Heading(f"{self.number[name]}、{title}")


def _who(d: _Data) -> str:
    return d.info.who


def _intro(d: _Data, s: _Sections) -> list:
    info = d.info
    checks = []
    if d.rules is not None:
        checks.append(f"检查规划的{layout_name(d.rules, info)}布局和其他目标" if d.layout else "检查规划目标")
    if d.show_sites:
        checks.append("列出建议新增的点位")
    tail = (", " + ", 并".join(checks)) if checks else ""
    return [Para(f"本报告统计{info.district_name_zh} {d.year} 年{_who(d)}能否在{d.travel} {d.minutes} 分钟内到达"
                 f"{info.circle_name_zh}设施 ({d.minutes} 分钟社区服务圈){tail}。「覆盖率」= {d.travel} {d.minutes} "
                 f"分钟内能到达最近一处{info.circle_name_zh}设施的{_who(d)}人数 ÷ {info.group_name_zh}总数。"
                 f"{d.travel}时间: {info.travel_description_zh}。"),
            Para(f"标「估算」的数字依赖估算的输入 (见{s.ref('sources')}), 只能用于比较和排序, 不能当作统计数。", kind="note")]


def _summary(d: _Data, s: _Sections) -> list:
    now, before = d.at(d.year), d.at(d.prev_year)
    items = []
    if DISTRICT_CODE in now.index:
        row = now.loc[DISTRICT_CODE]
        text = (f"{d.year} 年全区{_who(d)}约 {fmt_int(row['pop'])} {d.info.group_unit_zh}{d.e}, 其中约 "
                f"{fmt_int(row['pop_covered'])} {d.info.group_unit_zh}在{d.travel} {d.minutes} 分钟内能到达"
                f"{d.info.circle_name_zh}, 覆盖率 {fmt_share(row['share_covered'])}")
        if DISTRICT_CODE in before.index:
            old = before.loc[DISTRICT_CODE, "share_covered"]
            text += f"; {d.prev_year} 年为 {fmt_share(old)}, 变化 {fmt_pp(row['share_covered'] - old)} 个百分点"
        items.append(text + "。")
    jz = now.drop(index=DISTRICT_CODE, errors="ignore").sort_values("share_covered")
    if len(jz) >= 2:
        low = "、".join(f"{r['jiezhen_name']} ({fmt_share(r['share_covered'])})" for _, r in jz.head(3).iterrows())
        items.append(f"覆盖率最低的街镇: {low}; 最高的是 {jz.iloc[-1]['jiezhen_name']} "
                     f"({fmt_share(jz.iloc[-1]['share_covered'])})。")
    counts = _layout_counts(d).get(d.year)
    if counts is not None:
        items.append(f"{layout_name(d.rules, d.info)}布局: {int(counts.sum())} 个街镇中 " + ", ".join(
            f"{st} {int(counts.get(st, 0))} 个" for st in STATUSES) + "。")
    if d.siting_problem is not None:
        items.append(f"选址没有完成, 原因和需要修改的设置见{s.ref('sites')}。")
    elif d.sites is not None:
        n = int((d.sites["year"] == d.year).sum())
        items.append(f"建议 {d.year} 年新设 {n} 处{service_name(d.info.circle_service, d.info)}点位 (见{s.ref('sites')}, "
                     f"每处另有选址说明)。" if n else f"本次没有 {d.year} 年的建议新增点位。")
    return [s.head("summary", "要点"), Bullets(tuple(items), kind="body")]


def _coverage_section(d: _Data, s: _Sections) -> list:
    now, before = d.at(d.year), d.at(d.prev_year)
    prev = f"{d.prev_year} 年" if d.prev_year else "上年"
    unit = d.info.group_unit_zh
    rows = []
    order = [DISTRICT_CODE] + list(now.drop(index=DISTRICT_CODE, errors="ignore").sort_values("share_covered").index)
    for code in [c for c in order if c in now.index]:
        r = now.loc[code]
        old = before.loc[code, "share_covered"] if code in before.index else float("nan")
        rows.append((str(r["jiezhen_name"]), fmt_int(r["pop"]), fmt_int(r["pop_covered"]),
                     fmt_share(r["share_covered"]), fmt_share(old), fmt_pp(r["share_covered"] - old),
                     fmt_min(r["mean_time_min"])))
    table = Table(("街镇", f"{d.info.group_name_zh} ({unit}){d.e}", f"{d.minutes} 分钟内可达 ({unit}){d.e}", "覆盖率",
                   f"{prev}覆盖率", "变化 (百分点)", f"平均{d.travel}时间 (分钟)"), tuple(rows), key="coverage",
                  numeric=(False, True, True, True, True, True, True))
    blocks = [s.head("coverage", f"{d.minutes} 分钟覆盖率: 全区和各街镇"), Para(
        f"下表第一行是全区, 其余按 {d.year} 年覆盖率从低到高排列。各列依次为: {d.info.group_name_zh}人数{d.e}; 其中"
        f"{d.travel} {d.minutes} 分钟内能到达最近一处{d.info.circle_name_zh}设施的人数; 覆盖率 (前两列之比); "
        f"{prev}的覆盖率; 两年之差 (百分点, 正数为提高); 到最近设施的平均{d.travel}时间 (按人数加权, 分钟)。"
        f"「—」表示没有该项数据。"), table]
    jz = now.drop(index=DISTRICT_CODE, errors="ignore")
    if len(jz):
        old = before["share_covered"].reindex(jz.index) if len(before) else None
        blocks.append(Image(charts.coverage_bars(
            list(jz["jiezhen_name"]), list(jz["share_covered"]), year=d.year,
            prev_shares=list(old) if old is not None else None, prev_year=d.prev_year,
            title=f"各街镇 {d.minutes} 分钟覆盖率{d.e}"), f"图 1: 各街镇 {d.minutes} 分钟覆盖率, {d.year} 年 (深色) "
            f"与{prev} (浅色斜线) 对比; 数值同上表。", width_cm=15))
        blocks.append(Image(charts.choropleth_map(
            d.boundaries, jz["share_covered"], title=f"{d.year} 年各街镇 {d.minutes} 分钟覆盖率{d.e}",
            legend_title="覆盖率", labels={c: f"{r['jiezhen_name']}\n{fmt_share(r['share_covered'], 0)}"
                                          for c, r in jz.iterrows()}),
            f"图 2: 各街镇 {d.minutes} 分钟覆盖率地图 (颜色越深覆盖率越高; 标注为四舍五入到整数的覆盖率)。", width_cm=14))
    return blocks


def _profiles_section(d: _Data, s: _Sections) -> list:
    """The circle's coverage by every travel profile side by side (only when the run has several)."""
    names = dict(d.info.profiles)
    rows = d.by_profile[d.by_profile["year"] == d.year]
    wide = rows.pivot_table(index="jiezhen_code", columns="profile", values="share_covered", aggfunc="first")
    keys = [k for k in names if k in wide.columns]
    now = d.at(d.year)
    order = [DISTRICT_CODE] + list(now.drop(index=DISTRICT_CODE, errors="ignore").sort_values("share_covered").index)
    body = tuple((str(now.loc[c, "jiezhen_name"]), *[fmt_share(wide.loc[c, k]) for k in keys])
                 for c in order if c in now.index and c in wide.index)
    speeds = "、".join(names[k] for k in keys)
    return [s.head("profiles", f"各出行方式的 {d.minutes} 分钟覆盖率"), Para(
        f"同一批设施和{d.info.group_name_zh}, 按配置的各出行方式 ({speeds}) 分别计算 {d.minutes} 分钟覆盖率, 供对照; "
        f"上文各节按「{d.travel}」计算。速度越慢, {d.minutes} 分钟能走到的范围越小, 覆盖率越低。"),
        Table(("街镇", *[names[k] for k in keys]), body, key="profiles", numeric=(False, *[True] * len(keys)))]


def _trend_section(d: _Data, s: _Sections) -> list:
    district = d.circle[d.circle["jiezhen_code"] == DISTRICT_CODE].set_index("year").reindex(list(d.years))
    unit = d.info.group_unit_zh
    rows = tuple((f"{y} 年", fmt_int(r["pop"]), fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]))
                 for y, r in district.iterrows())
    blocks = [s.head("trend", "规划各年的变化"), Para(
        f"下表列出规划各年全区{_who(d)}人数{d.e}、{d.minutes} 分钟内可达人数和覆盖率, 便于对照规划进度。"
        + ("各年人数相同是因为人口估算只有一个年份。" if d.info.population_is_estimate else "")),
        Table(("年份", f"{d.info.group_name_zh} ({unit}){d.e}", f"{d.minutes} 分钟内可达 ({unit}){d.e}", "覆盖率"),
              rows, key="trend", numeric=(False, True, True, True))]
    if district["share_covered"].notna().sum() >= 2:
        blocks.append(Image(charts.trend_chart(list(d.years), list(district["share_covered"]),
                                               title=f"全区 {d.minutes} 分钟覆盖率{d.e}"),
                            "图 3: 全区覆盖率逐年变化; 数值同上表。", width_cm=13))
    return blocks


def _layout_counts(d: _Data) -> dict[int, pd.Series]:
    rule = d.layout
    if rule is None:
        return {}
    rows = d.rules[(d.rules["rule_id"] == rule) & (d.rules["jiezhen_code"] != DISTRICT_CODE)]
    return {int(y): g["status"].value_counts() for y, g in rows.groupby("year")}


def _layout_section(d: _Data, s: _Sections) -> list:
    name = layout_name(d.rules, d.info)
    rows = d.rules[(d.rules["rule_id"] == d.layout) & (d.rules["year"] == d.year)
                   & (d.rules["jiezhen_code"] != DISTRICT_CODE)]
    rank = {st: i for i, st in enumerate(("未达标", "数据不足", "达标"))}
    rows = rows.assign(_order=rows["status"].map(rank).fillna(3)).sort_values(["_order", "jiezhen_name"])
    first = rows.iloc[0] if len(rows) else None
    table = Table(("街镇", "状态", "现状", "差距 / 说明"),
                  tuple((str(r["jiezhen_name"]), str(r["status"]), _value_text(r),
                         str(r["gap_zh"]) if pd.notna(r["gap_zh"]) and str(r["gap_zh"]) else "—")
                        for _, r in rows.iterrows()), key="layout")
    blocks = [s.head("layout", f"{name}布局"), Para(
        f"规划要求 ({first['clause'] if first is not None else ''}): {first['target_zh'] if first is not None else ''}。"
        f"下表列出 {d.year} 年各街镇的状态: 「未达标」的街镇排在前面,「差距」一栏说明还缺什么;「现状」是规则计量的值; "
        f"「数据不足」表示输入数据缺少判断所需的信息 (例如名册中没有类型或容量), 不等于未达标。"), table]
    counts = _layout_counts(d)
    status_now = rows.set_index("jiezhen_code")["status"]
    blocks.append(Image(charts.status_map(d.boundaries, status_now, title=f"{d.year} 年{name}布局"),
                        f"图 4: 各街镇{name}状态 (颜色和底纹区分, 黑白打印也可辨认); 状态同上表。", width_cm=14))
    if len(counts) >= 1:
        frame = pd.DataFrame({y: counts[y] for y in sorted(counts)}).T.fillna(0)
        blocks.append(Image(charts.status_counts_chart(frame, title=f"{name}各状态的街镇数"),
                            f"图 5: 规划各年{name}达标、未达标、数据不足的街镇数。", width_cm=13))
    return blocks


def _value_text(row: pd.Series) -> str:
    """The measured value as the rule table words it (``value_zh``, e.g. 「1/3 项达标」), else the number."""
    text = row.get("value_zh")
    if text is not None and pd.notna(text) and str(text).strip():
        return str(text)
    return fmt_value(row["value"])


def _rule_overall(statuses: pd.Series) -> str:
    if (statuses == "达标").all():
        return "达标"
    return "未达标" if (statuses == "未达标").any() else "数据不足"


def _targets_section(d: _Data, s: _Sections) -> list:
    now = d.rules[d.rules["year"] == d.year]
    district = now[now["jiezhen_code"] == DISTRICT_CODE]
    per_jz = now[now["jiezhen_code"] != DISTRICT_CODE]
    plan = f"《{d.info.plan_name_zh}》" if d.info.plan_name_zh else "规则文件"
    blocks = [s.head("targets", "规划目标检查"), Para(
        f"下表逐条列出{plan}中的目标在 {d.year} 年的状态。全区目标直接给出计量值; 按街镇检查的目标给出各状态的街镇数, "
        f"只有全部街镇达标才算「达标」, 有街镇未达标即为「未达标」, 其余 (没有未达标但有数据不足) 为「数据不足」。")]
    rows = []
    for _, r in district.iterrows():
        rows.append((str(r["clause"]), str(r["label_zh"]), str(r["target_zh"]), "全区", _value_text(r),
                     str(r["status"]), str(r["gap_zh"]) if pd.notna(r["gap_zh"]) and str(r["gap_zh"]) else "—"))
    for _, g in per_jz.groupby("rule_id", sort=False):
        counts = g["status"].value_counts()
        rows.append((str(g["clause"].iloc[0]), str(g["label_zh"].iloc[0]), str(g["target_zh"].iloc[0]),
                     f"{len(g)} 个街镇", "; ".join(f"{st} {int(counts.get(st, 0))}" for st in STATUSES),
                     _rule_overall(g["status"]), "见附表"))
    blocks.append(Table(("条款", "目标", "要求", "范围", "现状", "状态", "差距 / 说明"), tuple(rows), key="targets"))
    blocks += _rule_appendix(d, per_jz)
    return blocks


def _rule_appendix(d: _Data, per_jz: pd.DataFrame) -> list:
    if per_jz.empty:
        return []
    labels = list(dict.fromkeys(per_jz["label_zh"].astype(str)))
    wide = per_jz.pivot_table(index="jiezhen_name", columns="label_zh", values="status", aggfunc="first")
    rows = tuple((str(name), *[str(wide.loc[name].get(lb, "—")) for lb in labels]) for name in wide.index)
    return [Heading("附表: 各街镇各项规则的状态", level=2),
            Para(f"{d.year} 年每个街镇在每条按街镇检查的规则下的状态 (详情和差距见运行结果 tables/ 中的规则状态表)。"),
            Table(("街镇", *labels), rows, key="rules_by_jiezhen")]


def _sites_section(d: _Data, s: _Sections) -> list:
    head = s.head("sites", "建议新增点位")
    if d.siting_problem is not None:
        lines = [line.strip() for line in d.siting_problem.split("\n") if line.strip()]
        reasons = tuple(line.lstrip("- ").strip() for line in lines[1:]) or (lines[0] if lines else "",)
        return [head, Para(f"本次选址没有完成, 其余结果 (覆盖率、规则检查、地图) 不受影响。{lines[0] if lines else ''}",
                           kind="key"), Bullets(reasons),
                Para("求解诊断见 tables/siting_diagnostics; 按上面的说明修改配置 (siting: 每年新增点数、候选点、街镇规则或覆盖目标) "
                     "后重新运行, 或用 svcov run --skip siting 只更新其余结果。", kind="note")]
    if d.sites is None or not (d.sites["year"] == d.year).any():
        return [head, Para(f"本次运行没有 {d.year} 年的建议点位。")]
    rows = d.sites[d.sites["year"] == d.year].sort_values("rank")
    unit = d.info.group_unit_zh
    table = Table(("排名", "候选点", "街镇", f"新增覆盖 ({unit}){d.e}", "街镇覆盖率 (前 → 后)", "全区覆盖率 (前 → 后)"),
                  tuple((str(int(r["rank"])), str(r["candidate_name"]), str(r["jiezhen_name"]),
                         fmt_int(r["pop_newly_covered"]),
                         f"{fmt_share(r['jiezhen_share_before'])} → {fmt_share(r['jiezhen_share_after'])}",
                         f"{fmt_share(r['district_share_before'])} → {fmt_share(r['district_share_after'])}")
                        for _, r in rows.iterrows()), key="sites", numeric=(True, False, False, True, True, True))
    return [head, Para(
        f"选址模型为 {d.year} 年建议了 {len(rows)} 处点位。「新增覆盖」是原来{d.travel} {d.minutes} 分钟内没有"
        f"{d.info.circle_name_zh}、该点建成后可达的{_who(d)}人数{d.e}; 覆盖率列给出该点建成前后所在街镇和全区的覆盖率。"
        f"每处点位另有选址说明 (memos/ 文件夹), 写明位置、附近设施、比较过的其他候选点和注意事项。"), table]


def _sources_section(d: _Data, s: _Sections) -> list:
    return [s.head("sources", "数据来源与说明"), Bullets(tuple(d.info.notes), kind="note"),
            Bullets(tuple(c for c in d.info.caveats() if c not in d.info.notes) + (
                "本报告的所有数字都来自本次运行 tables/ 文件夹中的覆盖表、规则状态表和选址表, 可逐项核对。",
                "百分比四舍五入到 0.1%, 人数四舍五入到整数, 所以合计可能与分项之和相差 1。"), kind="note")]


def _prepare(year: int, *, info, boundaries, coverage, rule_status, sites, years, siting_problem) -> _Data:
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
    return _Data(info=info, year=int(year), prev_year=earlier[-1] if earlier else None, years=years, circle=circle,
                 by_profile=by_profile, rules=rule_status, sites=sites, boundaries=boundaries,
                 siting_problem=siting_problem)


def _plan(d: _Data) -> list[tuple[str, Callable]]:
    """The sections this report has, in order (those without rules, sites or profiles are left out)."""
    parts: list[tuple[str, Callable]] = [("summary", _summary), ("coverage", _coverage_section)]
    if d.by_profile["profile"].nunique() > 1:
        parts.append(("profiles", _profiles_section))
    parts.append(("trend", _trend_section))
    if d.layout is not None:
        parts.append(("layout", _layout_section))
    if d.rules is not None and len(d.rules):
        parts.append(("targets", _targets_section))
    if d.show_sites:
        parts.append(("sites", _sites_section))
    parts.append(("sources", _sources_section))
    return parts


def _with_plan(parts: list[tuple[str, Callable]], plan: Mapping | None) -> list[tuple[str, Callable]]:
    """The plan's sections (:mod:`svcov.outputs.report_siting`) after the proposed sites, the scenarios after the
    sources (as an appendix)."""
    if not plan:
        return parts
    out = []
    for name, make in parts:
        if name == "sites":
            out.append((name, lambda d, s, make=make: make(d, s) + plan_sections(d.year, info=d.info, plan=plan)))
        else:
            out.append((name, make))
    out.append(("scenarios", lambda d, s: scenario_sections(d.year, info=d.info, plan=plan)))
    return out


def build_report(year: int, *, info: RunInfo, boundaries: gpd.GeoDataFrame, coverage: pd.DataFrame,
                 rule_status: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
                 years: Sequence[int] | None = None, siting_problem: str | None = None,
                 plan: Mapping | None = None) -> Document:
    """The report of ``year`` as a :class:`~svcov.outputs.document.Document` (parameters: :func:`write_report`)."""
    d = _prepare(year, info=info, boundaries=boundaries, coverage=coverage, rule_status=rule_status, sites=sites,
                 years=years, siting_problem=siting_problem)
    parts = _with_plan(_plan(d), plan)
    sections = _Sections([name for name, _ in parts])
    blocks = _intro(d, sections)
    for _, make in parts:
        blocks += make(d, sections)
    title = f"{info.district_name_zh} {d.year} 年 {d.minutes} 分钟{info.circle_name_zh}圈覆盖报告"
    plan = f" · {info.plan_name_zh}" if info.plan_name_zh else ""
    subtitle = (f"服务: {info.circle_name_zh} · 人群: {info.group_name_zh} · {d.travel} {d.minutes} 分钟 · "
                f"规划年份 {d.years[0]}-{d.years[-1]}{plan}",
                f"生成日期 {info.created} · svcov · {d.travel}时间: {info.travel_description_zh}")
    return Document(title=title, subtitle=subtitle, blocks=tuple(blocks),
                    footer=f"{info.district_name_zh} {d.year} 年覆盖报告")


def write_report(out_dir: str | Path, year: int, *, info: RunInfo, boundaries: gpd.GeoDataFrame,
                 coverage: pd.DataFrame, rule_status: pd.DataFrame | None = None, sites: pd.DataFrame | None = None,
                 years: Sequence[int] | None = None, stem: str = "report",
                 formats: Sequence[str] = ("html", "docx", "pdf"), siting_problem: str | None = None,
                 plan: Mapping | None = None) -> list[Path]:
    """Write the yearly coverage report as ``<stem>.html``, ``.docx`` and ``.pdf`` in ``out_dir``.

    Parameters
    ----------
    out_dir
        The run folder.
    year
        The year reported; the previous year in ``coverage`` gives the changes.
    info
        The run's :class:`~svcov.outputs.context.RunInfo`; its circle service, threshold, served group and primary
        profile select the coverage rows, its ``layout_rule_id`` the layout rule (no layout section without one).
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
    plan
        Optional tables of the plan as a whole (:mod:`svcov.outputs.report_siting`): ``sites`` (every leg's proposed
        sites, ``leg``), ``main_leg``, ``places``, ``place_target_label_zh``, ``places_sources``, ``phasing``,
        ``tradeoff``, ``tradeoff_shares``, ``planned_sites``, ``scenarios``; their sections follow the proposed
        sites (and the scenarios the sources).

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
                       sites=sites, years=years, siting_problem=siting_problem, plan=plan)
    written = write_document(doc, Path(out_dir) / stem, formats)
    log.info("wrote the %d report: %s", year, ", ".join(p.name for p in written))
    return written
