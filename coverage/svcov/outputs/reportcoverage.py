"""The report's coverage sections: the circle's coverage for the district and each 街镇 (with 「无数据」 apart from
0 %, travel times a person believes and the share who can reach no facility), the same by every travel profile,
and the plan's years (one coverage figure per year: the existing facilities; proposed sites are a separate "if
built" scenario in the sites section)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import charts
from .context import DISTRICT_CODE, NO_DATA, fmt_int, fmt_minutes, fmt_pp, fmt_share
from .document import Image, Para, Table
from .reportbase import ReportData, Sections
from .reportfindings import same_share

__all__ = ["coverage_section", "profiles_section", "trend_section"]


def _unreachable(row: pd.Series) -> float:
    """Share of the group that can reach no facility (none open, or off the road network); NaN if unknown."""
    pop, off = row.get("pop"), row.get("pop_no_access")
    if pd.isna(off) or pd.isna(pop) or float(pop) <= 0:
        return float("nan")
    return float(off) / float(pop)


def _coverage_row(d: ReportData, code: str, now: pd.DataFrame, before: pd.DataFrame) -> tuple:
    r = now.loc[code]
    old = before.loc[code] if code in before.index else None
    time = fmt_minutes(r["mean_time_min"], d.info.speed_kph, digits=1, unit=False)
    if code != DISTRICT_CODE and d.no_data(r):
        return (str(r["jiezhen_name"]), fmt_int(r["pop"]), "—", NO_DATA,
                NO_DATA if old is not None else "—", "—", time)
    old_share = old["share_covered"] if old is not None and not (code != DISTRICT_CODE and d.no_data(old)) \
        else float("nan")
    return (str(r["jiezhen_name"]), fmt_int(r["pop"]), fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]),
            fmt_share(old_share), fmt_pp(r["share_covered"] - old_share), time)


def _times_sentence(d: ReportData, now: pd.DataFrame) -> str:
    """What the time column means, and who is left out of it."""
    text = (f"「平均{d.travel}时间」是到最近一处{d.info.circle_name_zh}设施的时间, 按人数加权, 只算能到达设施的"
            f"{d.who}; 超过 60 分钟的写作「60 分钟以上」并给出相应的路程, 这样的街镇附近基本没有已知设施。")
    if DISTRICT_CODE in now.index:
        share = _unreachable(now.loc[DISTRICT_CODE])
        if np.isfinite(share) and share > 0:
            text += (f"全区有 {fmt_share(share)} 的{d.who}无法到达任何设施 (没有开放的设施, 或不在路网上), "
                     f"不计入平均时间。")
        elif np.isfinite(share):
            text += f"全区每位{d.who}都能到达某处设施, 所以平均时间包括全部{d.who}。"
    return text


def _charts(d: ReportData, s: Sections, now: pd.DataFrame, before: pd.DataFrame, changed: bool) -> list:
    jz = now.drop(index=DISTRICT_CODE, errors="ignore")
    if not len(jz):
        return []
    shares = pd.Series({c: (np.nan if d.no_data(r) else r["share_covered"]) for c, r in jz.iterrows()})
    prev = before["share_covered"].reindex(jz.index) if (changed and len(before)) else None
    prev_txt = f"与 {d.prev_year} 年 (浅色斜线) 对比" if prev is not None else (
        f"与 {d.prev_year} 年相同" if d.prev_year else "")
    blocks = [Image(charts.coverage_bars(
        list(jz["jiezhen_name"]), list(shares), year=d.year,
        prev_shares=list(prev) if prev is not None else None, prev_year=d.prev_year,
        title=f"各街镇 {d.minutes} 分钟覆盖率{d.e}"),
        f"图 {s.fig()}: 各街镇 {d.minutes} 分钟覆盖率, {d.year} 年" + (f", {prev_txt}" if prev_txt else "")
        + f"; 「{NO_DATA}」的街镇没有条形; 数值同上表。", width_cm=15)]
    labels = {c: f"{r['jiezhen_name']}\n{NO_DATA if np.isnan(shares[c]) else fmt_share(shares[c], 0)}"
              for c, r in jz.iterrows()}
    blocks.append(Image(charts.choropleth_map(
        d.boundaries, shares, title=f"{d.year} 年各街镇 {d.minutes} 分钟覆盖率{d.e}", legend_title="覆盖率",
        labels=labels), f"图 {s.fig()}: 各街镇 {d.minutes} 分钟覆盖率地图 (颜色越深覆盖率越高, 白色加点为「{NO_DATA}」; "
                        f"标注为四舍五入到整数的覆盖率)。", width_cm=14))
    return blocks


def coverage_section(d: ReportData, s: Sections) -> list:
    now, before = d.at(d.year), d.at(d.prev_year)
    prev = f"{d.prev_year} 年" if d.prev_year else "上年"
    unit = d.info.group_unit_zh
    changed = bool(len(before)) and not all(
        same_share(before.loc[c, "share_covered"], now.loc[c, "share_covered"]) for c in now.index
        if c in before.index)
    # no previous year, or one that equals this one in every row: no columns for it (「—」 or +0.0 say nothing)
    keep = [True] * 4 + [changed] * 2 + [True]
    rows = tuple(tuple(x for x, k in zip(_coverage_row(d, code, now, before), keep) if k)
                 for code in d.ordered() if code in now.index)
    est = "估算" if d.e else ""
    columns = ("街镇", f"{d.info.group_name_zh} ({unit}{', ' + est if est else ''})", f"{d.minutes} 分钟内可达 ({unit})",
               "覆盖率", f"{prev}覆盖率", "变化 (百分点)", f"平均{d.travel}时间 (分钟)")
    table = Table(tuple(c for c, k in zip(columns, keep) if k), rows, key="coverage",
                  numeric=(False, *[True] * (sum(keep) - 1)))
    change = f"{prev}的覆盖率和两年之差 (百分点, 正数为提高); " if keep[4] else ""
    text = (f"下表第一行是全区, 其余街镇按 {d.year} 年覆盖率从低到高排列, 「{NO_DATA}」的街镇排在最后。各列依次为: "
            f"{d.info.group_name_zh}人数; 其中{d.travel} {d.minutes} 分钟内能到达{d.info.circle_name_zh}设施的人数; "
            f"覆盖率 (前两列之比); {change}平均{d.travel}时间。"
            f"「{NO_DATA}」指该街镇没有任何{d.info.circle_name_zh}设施记录而名册不完整, 0% 不能说明没有服务; "
            f"「—」表示没有该项。")
    if d.prev_year and not changed:
        text += f"各街镇的覆盖率都与 {prev}相同, 所以表中不列 {prev}的数字。"
    elif not d.prev_year:
        text += f"{d.year} 年之前没有可比的年份, 所以不列变化。"
    blocks = [s.head("coverage", f"{d.minutes} 分钟覆盖率: 全区和各街镇"), Para(text), table,
              Para(_times_sentence(d, now), kind="note")]
    return blocks + _charts(d, s, now, before, changed)


def profiles_section(d: ReportData, s: Sections) -> list:
    """The circle's coverage by every travel profile side by side (only when the run has several)."""
    names = dict(d.info.profiles)
    rows = d.by_profile[d.by_profile["year"] == d.year]
    wide = rows.pivot_table(index="jiezhen_code", columns="profile", values="share_covered", aggfunc="first")
    keys = [k for k in names if k in wide.columns]
    now = d.at(d.year)

    def cell(code: str, key: str) -> str:
        return NO_DATA if code != DISTRICT_CODE and d.no_data(now.loc[code]) else fmt_share(wide.loc[code, key])

    body = tuple((str(now.loc[c, "jiezhen_name"]), *[cell(c, k) for k in keys])
                 for c in d.ordered() if c in now.index and c in wide.index)
    speeds = "、".join(names[k] for k in keys)
    return [s.head("profiles", f"各出行方式的 {d.minutes} 分钟覆盖率"), Para(
        f"同一批设施和{d.info.group_name_zh}, 按各出行方式 ({speeds}) 分别计算 {d.minutes} 分钟覆盖率, 供对照; "
        f"其余各节按「{d.travel}」计算。速度越慢, {d.minutes} 分钟能走到的范围越小, 覆盖率越低。"),
        Table(("街镇", *[names[k] for k in keys]), body, key="profiles", numeric=(False, *[True] * len(keys)))]


def _opened(d: ReportData, year: int, column: str) -> list[str]:
    f = d.circle_facilities()
    if f is None or column not in f.columns:
        return []
    return [str(n) for n in f.loc[f[column] == year, "name"]]


def _change_text(d: ReportData, district: pd.DataFrame) -> str:
    """What changed from one plan year to the next, or why nothing could."""
    if d.years_unknown():
        return ("各年的人数、可达人数和覆盖率相同: 名册没有设施的开办和关闭年份, 每一年都按同一批设施计算"
                + ("; 人口估算也只有一个年份" if d.info.population_is_estimate else "") + "。")
    said = []
    for prev, year in zip(d.years, d.years[1:]):
        if year not in district.index or prev not in district.index:
            continue
        opened, closed = _opened(d, year, "opened_year"), _opened(d, year, "closed_year")
        a, b = district.loc[prev, "share_covered"], district.loc[year, "share_covered"]
        moves = ", ".join(x for x in (f"新开 {len(opened)} 处" if opened else "", f"关闭 {len(closed)} 处"
                                      if closed else "") if x) or "设施没有变化"
        change = "覆盖率不变" if same_share(a, b) else f"覆盖率{'提高' if b > a else '下降'} {fmt_pp(abs(b - a)).lstrip('+')} 个百分点"
        said.append(f"{year} 年比 {prev} 年{moves}, {change}")
    return ("; ".join(said) + "。") if said else ""


def trend_section(d: ReportData, s: Sections) -> list:
    district = d.circle[d.circle["jiezhen_code"] == DISTRICT_CODE].set_index("year").reindex(list(d.years))
    unit = d.info.group_unit_zh
    rows = tuple((f"{y} 年", fmt_int(r["pop"]), fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]),
                  fmt_int(r.get("n_facilities")))
                 for y, r in district.iterrows())
    title = "规划期各年的变化" if d.evaluation else "规划各年的变化"
    est = ", 估算" if d.e else ""
    blocks = [s.head("trend", title), Para(
        f"下表列出规划各年全区{d.who}人数、{d.minutes} 分钟内可达人数、覆盖率和已知的{d.info.circle_name_zh}设施数, "
        f"都只按当年已有的设施计算 (建议新增的点位不计入, 见其后各节)。{_change_text(d, district)}"),
        Table(("年份", f"{d.info.group_name_zh} ({unit}{est})", f"{d.minutes} 分钟内可达 ({unit})", "覆盖率",
               f"已知{d.info.circle_name_zh}设施 (处)"), rows, key="trend", numeric=(False, True, True, True, True))]
    shares = district["share_covered"]
    varies = shares.notna().sum() >= 2 and not all(same_share(shares.iloc[0], x) for x in shares.dropna())
    if varies:
        blocks.append(Image(charts.trend_chart(list(d.years), list(shares),
                                               title=f"全区 {d.minutes} 分钟覆盖率{d.e}"),
                            f"图 {s.fig()}: 全区覆盖率逐年变化; 数值同上表。", width_cm=13))
    return blocks
