"""Report parts on the plan as a whole: the other legs of the layout (托班 conversions, guidance stations), the new
places per year against the plan's place target, the two phasings compared in numbers, the coverage against the
number of new sites (subsections of the proposed sites), and the scenarios (what-ifs; a section of their own).

They render the tables of the siting stage (:mod:`svcov.siting.plan_tables`: places, phasing, tradeoff, tradeoff
shares; all proposed sites with ``leg``) and of the scenarios (:mod:`svcov.access.scenarios`), handed in as the
``plan`` mapping of :func:`svcov.outputs.report.build_report` (``ReportData.plan``); they compute nothing. After
the plan period (:mod:`~.plantime`) the plan's years are batches for the next years, as in the proposed sites.
Leadership text: no configuration key, code or solver term.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from . import charts
from .context import DISTRICT_CODE, fmt_int, fmt_pp, fmt_share
from .document import Bullets, Heading, Image, Para, Table
from .reportbase import ReportData, Sections

__all__ = ["plan_sections", "scenario_section"]

log = logging.getLogger(__name__)


def _capacity(d: ReportData) -> tuple[str, str]:
    """(noun, counting word) of the capacity attribute: 「托位」「个」, 「床位」「张」 (「容量」「个」 without one)."""
    cap = d.info.capacity
    return ((cap.noun_zh or cap.label_zh), cap.unit_zh) if cap else ("容量", "个")


def _frame(plan: Mapping | None, key: str) -> pd.DataFrame | None:
    frame = None if plan is None else plan.get(key)
    return frame if frame is not None and len(frame) else None


def _year(d: ReportData, year) -> str:
    """A plan year as the report names it: 「2023 年」, after the plan period 「第三批 (2029 年)」."""
    if d.timing.is_over:
        return f"{d.timing.batch_zh(int(year))} ({d.timing.site_year(int(year))} 年)"
    return f"{int(year)} 年"


def plan_sections(d: ReportData, s: Sections) -> list:
    """The blocks after the main leg's proposed sites (level-2 headings in the sites section)."""
    if not d.plan:
        return []
    return _other_legs(d) + _places(d) + _phasing(d) + _tradeoff(d)


def _name(d: ReportData, site: pd.Series) -> str:
    mark = d.landmarks.get(str(site["site_id"])) if d.landmarks else None
    return mark.label if mark is not None else str(site["candidate_name"])


def _other_legs(d: ReportData) -> list:
    sites = _frame(d.plan, "sites")
    if sites is None or "leg" not in sites.columns:
        return []
    others = sites[sites["leg"] != d.plan.get("main_leg")]
    if not d.evaluation:
        others = others[others["year"] == d.year]
    if others.empty:
        return []
    info, e = d.info, d.e
    noun, unit = _capacity(d)
    blocks = [Heading("其他布局环节", level=2), Para(
        f"除新设{info.circle_name_zh}点位外, 规划的其他布局要求也逐年安排。「方式」一栏区分新建和改建 (在现有设施中开设); "
        f"「新增覆盖」是该点位使{info.profile_name_zh} {info.circle_threshold_min} 分钟内新增可达的{info.who}人数{e}, "
        f"按各环节自己覆盖的服务计算。每处点位另有选址说明。")]
    for _, rows in others.groupby("leg", sort=False):
        first = rows.iloc[0]
        when = d.timing.site_years_zh(rows["year"].astype(int)) if d.evaluation else f"{d.year} 年"
        blocks.append(Para(f"{first['leg_name_zh']} ({first['action_zh']}): {when}建议 {len(rows)} 处。"))
        blocks.append(Table(("批次" if d.evaluation else "年份", "方式", "地点", "街镇", f"新增覆盖 ({info.group_unit_zh}){e}",
                             f"新增{noun} ({unit})"),
                            tuple((_year(d, r["year"]), str(r["action_zh"]), _name(d, r), str(r["jiezhen_name"]),
                                   fmt_int(r["pop_newly_covered"]), fmt_int(r["places_new"]))
                                  for _, r in rows.sort_values(["year", "rank"]).iterrows()),
                            key=f"leg_{first['leg']}", numeric=(False, False, False, False, True, True)))
    return blocks


def _places(d: ReportData) -> list:
    places = _frame(d.plan, "places")
    if places is None:
        return []
    noun, unit = _capacity(d)
    legs = places[(places["leg"] != "全部") & places["counts_toward_target"]]
    total = places[places["leg"] == "全部"].set_index("year")
    names = list(dict.fromkeys(legs["leg_name_zh"]))
    e = " (估算)" if bool(places["places_is_estimate"].any()) else ""
    has_target = "target_places" in places.columns and places["target_places"].notna().any()
    rows = []
    for y in total.index:
        per = [fmt_int(legs[(legs["year"] == y) & (legs["leg_name_zh"] == n)]["places_new"].sum()) for n in names]
        t = total.loc[y]
        rows.append((_year(d, y), *per, fmt_int(t["places_new"]), fmt_int(t["places_cumulative"]),
                     *((fmt_share(t["share_of_target"], 0),) if has_target else ())))
    columns = ("批次" if d.evaluation else "年份", *[f"{n} ({noun})" for n in names], "合计", "累计",
               *(("完成目标",) if has_target else ()))
    text = f"下表按每处新增点位的{noun}设定{e}, 把各环节新增的{noun}相加 (只计有{noun}的环节)。"
    if has_target:
        text += _target_text(d, places, total, unit, e)
    blocks = [Heading(f"新增{noun}与规划目标", level=2), Para(text),
              Table(columns, tuple(rows), key="places", numeric=(False,) + (True,) * (len(columns) - 1))]
    sources = d.plan.get("places_sources") or {}
    if sources:
        blocks.append(Bullets(tuple(f"{k}: 每处 {fmt_int(v['places'])} {unit}{noun} — {v['source_zh']}"
                                    for k, v in sources.items()), kind="note"))
    return blocks


def _target_text(d: ReportData, places: pd.DataFrame, total: pd.DataFrame, unit: str, e: str) -> str:
    target = places["target_places"].dropna().iloc[0]
    due = places["target_year"].dropna()
    due_year = int(due.iloc[0]) if len(due) else int(total.index.max())
    last = total.loc[min(due_year, int(total.index.max()))]
    verdict = "达到" if last["places_cumulative"] >= target else "达不到"
    short = f" (还差 {fmt_int(target - last['places_cumulative'])} {unit})" if verdict == "达不到" else ""
    label = d.plan.get("place_target_label_zh") or ""
    if d.evaluation:
        return (f"规划目标: {label} — 到 {due_year} 年新增 {fmt_int(target)} {unit}以上; 规划期已经结束, 这一期限已过。"
                f"本方案的各批全部建成后累计新增约 {fmt_int(total['places_cumulative'].iloc[-1])} {unit}{e}, "
                f"数量上{'达到' if total['places_cumulative'].iloc[-1] >= target else '达不到'}该目标。")
    return (f"规划目标: {label} — 到 {due_year} 年新增 {fmt_int(target)} {unit}以上。按本方案, 到 {due_year} 年累计新增约 "
            f"{fmt_int(last['places_cumulative'])} {unit}{e}, {verdict}目标{short}。")


def _phasing(d: ReportData) -> list:
    table = _frame(d.plan, "phasing")
    if table is None:
        return []
    options = list(dict.fromkeys(table["phasing"]))
    by = {p: table[table["phasing"] == p].set_index("year") for p in options}
    chosen = table.loc[table["chosen"], "phasing_zh"].iloc[0]
    info, e = d.info, d.e
    short = {"efficiency": "效率优先", "equity": "公平优先"}
    rows = []
    for y in by[options[0]].index:
        for p in options:
            r = by[p].loc[y]
            rows.append((_year(d, y), short.get(p, p) + (" (采用)" if bool(r["chosen"]) else ""),
                         fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]),
                         f"{r['min_jiezhen_name']} ({fmt_share(r['min_jiezhen_share'])})",
                         str(int(r["n_jiezhen_zero"]))))
    columns = ("批次" if d.evaluation else "年份", "分期方式", f"覆盖{info.group_short_zh} ({info.group_unit_zh}){e}",
               "全区覆盖率", "覆盖率最低的街镇", "覆盖率为 0 的街镇数")
    return [Heading("分期方式: 效率优先与公平优先", level=2), Para(_phasing_text(d, by, chosen, e)),
            Table(columns, tuple(rows), key="phasing", numeric=(False, False, True, True, False, True))]


def _phasing_text(d: ReportData, by: Mapping[str, pd.DataFrame], chosen: str, e: str) -> str:
    if not {"efficiency", "equity"} <= set(by):
        return f"本次采用{chosen}。"
    eff, eq = by["efficiency"], by["equity"]
    first = eff.index.min()
    lost = eff["pop_covered"].sum() - eq["pop_covered"].sum()
    share = lost / eff["pop_covered"].sum() if eff["pop_covered"].sum() else 0.0
    return (f"同一组候选点、同样的每批新增数和街镇规则, 有两种分期方式: 效率优先使各批合计覆盖的{d.info.who}最多; 公平优先先让"
            f"覆盖率为 0 的街镇尽早有覆盖 (各批 0% 街镇数之和最少), 再在此前提下覆盖最多。本次采用{chosen}。各批合计, "
            f"公平优先比效率优先少覆盖约 {fmt_int(lost)} 人次{e} ({fmt_share(share)}); {_year(d, first)}覆盖率为 0 的街镇: "
            f"效率优先 {int(eff.loc[first, 'n_jiezhen_zero'])} 个、公平优先 {int(eq.loc[first, 'n_jiezhen_zero'])} 个, "
            f"覆盖率最低街镇的覆盖率: 效率优先 {fmt_share(eff.loc[first, 'min_jiezhen_share'])}、公平优先 "
            f"{fmt_share(eq.loc[first, 'min_jiezhen_share'])}。")


def _tradeoff(d: ReportData) -> list:
    curve = _frame(d.plan, "tradeoff")
    if curve is None:
        return []
    info, e = d.info, d.e
    planned = d.plan.get("planned_sites")
    first = curve.iloc[0]
    total = first["pop_covered"] / first["share_covered"] if first["share_covered"] > 0 else float("nan")
    base = float((first["pop_covered"] - first["gain"]) / total)
    year = int(curve["year"].iloc[0])
    blocks = [Heading("覆盖率与新增点数", level=2), Para(
        f"新增点数越多覆盖率越高, 但每多一个点增加的覆盖越来越少。下图和下表给出按 {year} 年的现有设施新增 1 至 "
        f"{int(curve['k'].max())} 个{info.circle_name_zh}点位时可达到的最高 {info.circle_threshold_min} 分钟覆盖率{e}: "
        f"每个点数都单独算出最优方案 (不考虑街镇规则), 所以曲线上的每一点都是该点数下最好的布局。"),
        Image(charts.tradeoff_chart(list(curve["k"]), list(curve["share_covered"]), planned=planned, base_share=base,
                                    title=f"覆盖率与新增点数{e}"),
              "图: 每个新增点数下可达到的最高覆盖率 (圆点); 虚线为只有现有设施时的覆盖率, 竖点线为规划的点数。", width_cm=14),
        Table(("新增点数", f"覆盖{info.group_short_zh} ({info.group_unit_zh}){e}", "覆盖率",
               f"比少一个点多覆盖 ({info.group_unit_zh}){e}"),
              tuple((str(int(r["k"])), fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]),
                     fmt_int(r["gain"])) for _, r in curve.iterrows()), key="tradeoff",
              numeric=(True, True, True, True))]
    blocks[2:2] = _planned_vs_curve(d, curve, planned)
    blocks += _fewest_table(d)
    return blocks


def _planned_vs_curve(d: ReportData, curve: pd.DataFrame, planned) -> list:
    phasing = _frame(d.plan, "phasing")
    if planned not in set(curve["k"]) or phasing is None:
        return []
    chosen = phasing[phasing["chosen"]]
    last = chosen[chosen["year"] == chosen["year"].max()]
    if last.empty:
        return []
    best = curve.loc[curve["k"] == planned, "share_covered"].iloc[0]
    return [Para(f"曲线上新增 {planned} 个点时最高可达 {fmt_share(best)}; 本规划方案全部建成后为 "
                 f"{fmt_share(last['share_covered'].iloc[0])}, 差别来自规划的约束: 街镇规则 (如每个街镇至少一个点)、"
                 f"分批建设和所采用的分期方式 (见上文)。")]


def _how(row: pd.Series) -> str:
    if pd.isna(row["fewest_sites"]):
        return "现有候选点达不到"
    if str(row["how"]).startswith("覆盖曲线"):
        return "由上表读出"
    if pd.notna(row["lower_bound"]) and row["lower_bound"] >= row["fewest_sites"]:
        return "已证明最少"
    return f"找到的最好方案; 至少需要 {fmt_int(row['lower_bound'])} 个"


def _fewest_table(d: ReportData) -> list:
    shares = _frame(d.plan, "tradeoff_shares")
    if shares is None:
        return []
    return [Para("达到一定覆盖率最少需要多少个新增点:"),
            Table(("目标覆盖率", "最少新增点数", "实际覆盖率", "说明"),
                  tuple((fmt_share(r["target_share"], 0),
                         "—" if pd.isna(r["fewest_sites"]) else str(int(r["fewest_sites"])),
                         fmt_share(r["share_covered"]), _how(r)) for _, r in shares.iterrows()),
                  key="tradeoff_shares", numeric=(True, True, True, False))]


def scenario_section(d: ReportData, s: Sections) -> list:
    """「情景比较」: per scenario, the circle's coverage per 街镇 before and after, in the report's year (the 街镇
    whose coverage changes, and the district)."""
    table = _frame(d.plan, "scenarios")
    if table is None:
        return []
    info, e = d.info, d.e
    blocks = [s.head("scenarios", "情景比较 (假设增加或关闭设施)"), Para(
        f"情景是对设施的假设改动 (增加设施、关闭现有设施, 或换一种出行方式), 不是规划方案。下表对每个情景给出 {d.year} 年 "
        f"{info.circle_threshold_min} 分钟{info.circle_name_zh}覆盖率{e}: 现状、情景下和增减; 只列全区和覆盖率有变化的街镇。")]
    now = table[table["year"] == d.year]
    for name, rows in now.groupby("scenario", sort=False):
        first = rows.iloc[0]
        district = rows[rows["jiezhen_code"] == DISTRICT_CODE]
        changed = rows[(rows["jiezhen_code"] == DISTRICT_CODE) | (rows["share_change"].abs() >= 0.0005)]
        summary = ""
        if len(district):
            r = district.iloc[0]
            summary = (f"全区从 {fmt_share(r['share_before'])} 变为 {fmt_share(r['share_after'])} "
                       f"({fmt_pp(r['share_change'])} 个百分点)。")
        same = len(rows) - len(changed)
        blocks += [Heading(f"情景: {first['scenario_label_zh']}", level=2),
                   Para(f"{first['description_zh']}{summary}" + (f"其余 {same} 个街镇不变。" if same else "")),
                   Table(("街镇", f"{info.group_name_zh}{e}", "现状覆盖率", "情景覆盖率", "增减 (百分点)"),
                         tuple((str(r["jiezhen_name"]), fmt_int(r["pop"]), fmt_share(r["share_before"]),
                                fmt_share(r["share_after"]), fmt_pp(r["share_change"]))
                               for _, r in changed.iterrows()), key=f"scenario_{name}",
                         numeric=(False, True, True, True, True))]
    return blocks
