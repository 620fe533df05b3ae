"""Report sections on the plan as a whole: the other legs of the layout (托班 conversions, guidance stations), the
new places per year against the plan's place target, the two phasings compared in numbers, the coverage against
the number of new sites, and the scenarios (what-ifs).

They render the tables of the siting stage (:mod:`svcov.siting.plan_tables`: places, phasing, tradeoff, tradeoff
shares; all proposed sites with ``leg``) and of the scenarios (:mod:`svcov.access.scenarios`), handed in as the
``plan`` mapping of :func:`svcov.outputs.report.build_report`; they compute nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from . import charts
from .context import DISTRICT_CODE, RunInfo, est, fmt_int, fmt_pp, fmt_share
from .document import Bullets, Heading, Image, Para, Table

__all__ = ["plan_sections", "scenario_sections"]

log = logging.getLogger(__name__)


def _capacity(info: RunInfo) -> tuple[str, str]:
    """(noun, counting word) of the capacity attribute: 「托位」「个」, 「床位」「张」 (「容量」「个」 without one)."""
    cap = info.capacity
    return ((cap.noun_zh or cap.label_zh), cap.unit_zh) if cap else ("容量", "个")


def _frame(plan: Mapping | None, key: str) -> pd.DataFrame | None:
    frame = None if plan is None else plan.get(key)
    return frame if frame is not None and len(frame) else None


def plan_sections(year: int, *, info: RunInfo, plan: Mapping | None) -> list:
    """The blocks after the main leg's proposed sites (level-2 headings under 「六、建议新增点位」)."""
    if not plan:
        return []
    blocks = _other_legs(year, info, plan)
    blocks += _places(year, info, plan)
    blocks += _phasing(info, plan)
    blocks += _tradeoff(info, plan)
    return blocks


def _other_legs(year: int, info: RunInfo, plan: Mapping) -> list:
    sites = _frame(plan, "sites")
    if sites is None or "leg" not in sites.columns:
        return []
    main = plan.get("main_leg")
    others = sites[(sites["leg"] != main) & (sites["year"] == year)]
    if others.empty:
        return []
    e = est(info.population_is_estimate)
    noun, unit = _capacity(info)
    blocks = [Heading("其他布局环节", level=2), Para(
        f"除新建{info.circle_name_zh}点位外, 规划的其他布局要求也逐年安排。「方式」一栏区分新建和改建 (在现有设施中开设); "
        f"「新增覆盖」是该点位使{info.profile_name_zh} {info.circle_threshold_min} 分钟内新增可达的{info.who}人数{e}, "
        f"按各环节自己覆盖的服务计算。每处点位另有选址说明。")]
    for leg, rows in others.groupby("leg", sort=False):
        first = rows.iloc[0]
        blocks.append(Para(f"{first['leg_name_zh']} ({first['action_zh']}): {year} 年建议 {len(rows)} 处。"))
        blocks.append(Table(("编号", "方式", "地点", "街镇", f"新增覆盖 ({info.group_unit_zh}){e}", f"新增{noun} ({unit})"),
                            tuple((str(r["site_id"]), str(r["action_zh"]), str(r["candidate_name"]),
                                   str(r["jiezhen_name"]), fmt_int(r["pop_newly_covered"]),
                                   fmt_int(r["places_new"])) for _, r in rows.sort_values("rank").iterrows()),
                            key=f"leg_{leg}", numeric=(False, False, False, False, True, True)))
    return blocks


def _places(year: int, info: RunInfo, plan: Mapping) -> list:
    places = _frame(plan, "places")
    if places is None:
        return []
    noun, unit = _capacity(info)
    legs = places[(places["leg"] != "全部") & places["counts_toward_target"]]
    total = places[places["leg"] == "全部"].set_index("year")
    names = list(dict.fromkeys(legs["leg_name_zh"]))
    e = " (估算)" if bool(places["places_is_estimate"].any()) else ""
    has_target = "target_places" in places.columns and places["target_places"].notna().any()
    rows = []
    for y in total.index:
        per = [fmt_int(legs[(legs["year"] == y) & (legs["leg_name_zh"] == n)]["places_new"].sum()) for n in names]
        t = total.loc[y]
        rows.append((f"{y} 年", *per, fmt_int(t["places_new"]), fmt_int(t["places_cumulative"]),
                     *((fmt_share(t["share_of_target"], 0),) if has_target else ())))
    columns = ("年份", *[f"{n} ({noun})" for n in names], "当年合计", "累计", *(("完成目标",) if has_target else ()))
    blocks = [Heading(f"新增{noun}与规划目标", level=2)]
    text = (f"下表按每处新增点位的{noun}设定{e}, 把各环节逐年新增的{noun}相加 (只计有{noun}的环节)。")
    if has_target:
        target = places["target_places"].dropna().iloc[0]
        due = places["target_year"].dropna()
        due_year = int(due.iloc[0]) if len(due) else int(total.index.max())
        last = total.loc[min(due_year, int(total.index.max()))]
        verdict = "达到" if last["places_cumulative"] >= target else "达不到"
        text += (f"规划目标: {plan.get('place_target_label_zh') or ''} — 到 {due_year} 年新增 {fmt_int(target)} {unit}以上。"
                 f"按本方案, 到 {due_year} 年累计新增约 {fmt_int(last['places_cumulative'])} {unit}{e}, {verdict}目标"
                 + (f" (还差 {fmt_int(target - last['places_cumulative'])} {unit})。" if verdict == "达不到" else "。"))
    blocks += [Para(text), Table(columns, tuple(rows), key="places", numeric=(False,) + (True,) * (len(columns) - 1))]
    sources = plan.get("places_sources") or {}
    if sources:
        blocks.append(Bullets(tuple(f"{k}: 每处 {fmt_int(v['places'])} {unit}{noun} — {v['source_zh']}"
                                    for k, v in sources.items()), kind="note"))
    return blocks


def _phasing(info: RunInfo, plan: Mapping) -> list:
    table = _frame(plan, "phasing")
    if table is None:
        return []
    options = list(dict.fromkeys(table["phasing"]))
    by = {p: table[table["phasing"] == p].set_index("year") for p in options}
    chosen = table.loc[table["chosen"], "phasing_zh"].iloc[0]
    e = est(info.population_is_estimate)
    short = {"efficiency": "效率优先", "equity": "公平优先"}
    rows = []
    for y in by[options[0]].index:
        for p in options:
            r = by[p].loc[y]
            rows.append((f"{y} 年", short.get(p, p) + (" (采用)" if bool(r["chosen"]) else ""),
                         fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]),
                         f"{r['min_jiezhen_name']} ({fmt_share(r['min_jiezhen_share'])})",
                         str(int(r["n_jiezhen_zero"]))))
    columns = ("年份", "分期方式", f"覆盖{info.group_short_zh} ({info.group_unit_zh}){e}", "全区覆盖率", "覆盖率最低的街镇",
               "覆盖率为 0 的街镇数")
    return [Heading("分期方式: 效率优先与公平优先", level=2), Para(_phasing_text(by, chosen, e, info.who)),
            Table(columns, tuple(rows), key="phasing", numeric=(False, False, True, True, False, True))]


def _phasing_text(by: Mapping[str, pd.DataFrame], chosen: str, e: str, who: str) -> str:
    if not {"efficiency", "equity"} <= set(by):
        return f"本次采用{chosen}。"
    eff, eq = by["efficiency"], by["equity"]
    first = eff.index.min()
    lost = eff["pop_covered"].sum() - eq["pop_covered"].sum()
    share = lost / eff["pop_covered"].sum() if eff["pop_covered"].sum() else 0.0
    return (f"同一组候选点、同样的每年新增数和街镇规则, 有两种分期方式: 效率优先使规划各年覆盖的{who}合计最多; 公平优先先让"
            f"覆盖率为 0 的街镇尽早有覆盖 (各年 0% 街镇数之和最少), 再在此前提下覆盖最多。本次采用{chosen}。规划各年合计, "
            f"公平优先比效率优先少覆盖约 {fmt_int(lost)} 人次{e} ({fmt_share(share)}); {first} 年覆盖率为 0 的街镇: 效率优先 "
            f"{int(eff.loc[first, 'n_jiezhen_zero'])} 个、公平优先 {int(eq.loc[first, 'n_jiezhen_zero'])} 个, 覆盖率最低街镇"
            f"的覆盖率: 效率优先 {fmt_share(eff.loc[first, 'min_jiezhen_share'])}、公平优先 "
            f"{fmt_share(eq.loc[first, 'min_jiezhen_share'])}。")


def _tradeoff(info: RunInfo, plan: Mapping) -> list:
    curve = _frame(plan, "tradeoff")
    if curve is None:
        return []
    e = est(info.population_is_estimate)
    planned = plan.get("planned_sites")
    first = curve.iloc[0]
    total = first["pop_covered"] / first["share_covered"] if first["share_covered"] > 0 else float("nan")
    base = float((first["pop_covered"] - first["gain"]) / total)
    year = int(curve["year"].iloc[0])
    blocks = [Heading("覆盖率与新增点数", level=2), Para(
        f"新增点数越多覆盖率越高, 但每多一个点增加的覆盖越来越少。下图和下表给出 {year} 年 (计入当年现有设施) 新增 1 至 "
        f"{int(curve['k'].max())} 个{info.circle_name_zh}点位时可达到的最高 {info.circle_threshold_min} 分钟覆盖率{e}: "
        f"每个点数都单独精确求解 (最大覆盖模型, 不考虑街镇规则), 所以曲线上的每一点都是该点数下的最优方案。"),
        Image(charts.tradeoff_chart(list(curve["k"]), list(curve["share_covered"]), planned=planned, base_share=base,
                                    title=f"{year} 年覆盖率与新增点数{e}"),
              "图: 每个新增点数下可达到的最高覆盖率 (圆点); 虚线为只有现有设施时的覆盖率, 竖点线为规划的点数。", width_cm=14),
        Table(("新增点数", f"覆盖{info.group_short_zh} ({info.group_unit_zh}){e}", "覆盖率",
               f"比少一个点多覆盖 ({info.group_unit_zh}){e}"),
              tuple((str(int(r["k"])), fmt_int(r["pop_covered"]), fmt_share(r["share_covered"]),
                     fmt_int(r["gain"])) for _, r in curve.iterrows()), key="tradeoff",
              numeric=(True, True, True, True))]
    phasing = _frame(plan, "phasing")
    if planned in set(curve["k"]) and phasing is not None:
        chosen = phasing[phasing["chosen"]]
        last = chosen[chosen["year"] == chosen["year"].max()]
        if len(last):
            best = curve.loc[curve["k"] == planned, "share_covered"].iloc[0]
            blocks.insert(2, Para(
                f"曲线上新增 {planned} 个点时最高可达 {fmt_share(best)}; 本规划方案到 {int(last['year'].iloc[0])} 年为 "
                f"{fmt_share(last['share_covered'].iloc[0])}, 差别来自规划的约束: 街镇规则 (如每个街镇至少一个点)、"
                f"分年建设和所采用的分期方式 (见上节)。"))
    shares = _frame(plan, "tradeoff_shares")
    if shares is not None:
        blocks += [Para("达到一定覆盖率最少需要多少个新增点 (命令行: svcov site --target-share 0.9):"),
                   Table(("目标覆盖率", "最少新增点数", "实际覆盖率", "说明"),
                         tuple((fmt_share(r["target_share"], 0),
                                "—" if pd.isna(r["fewest_sites"]) else str(int(r["fewest_sites"])),
                                fmt_share(r["share_covered"]), str(r["how"])) for _, r in shares.iterrows()),
                         key="tradeoff_shares", numeric=(True, True, True, False))]
    return blocks


def scenario_sections(year: int, *, info: RunInfo, plan: Mapping | None) -> list:
    """「附录: 情景比较」: per scenario, the circle's coverage per 街镇 before and after, in ``year``."""
    table = _frame(plan, "scenarios")
    if table is None:
        return []
    e = est(info.population_is_estimate)
    blocks = [Heading("附录: 情景比较 (假设增加或关闭设施)"), Para(
        f"情景是对设施的假设改动 (增加名册中的设施、关闭现有设施, 或换一种出行设置), 不是规划方案。下表对每个情景给出 {year} 年"
        f"各街镇 {info.circle_threshold_min} 分钟{info.circle_name_zh}覆盖率{e}: 现状、情景下、变化 (百分点)。")]
    now = table[table["year"] == year]
    for name, rows in now.groupby("scenario", sort=False):
        first = rows.iloc[0]
        district = rows[rows["jiezhen_code"] == DISTRICT_CODE]
        summary = ""
        if len(district):
            d = district.iloc[0]
            summary = (f"全区从 {fmt_share(d['share_before'])} 变为 {fmt_share(d['share_after'])} "
                       f"({fmt_pp(d['share_change'])} 个百分点)。")
        blocks += [Heading(f"情景: {first['scenario_label_zh']}", level=2),
                   Para(f"{first['description_zh']}{summary}"),
                   Table(("街镇", f"{info.group_name_zh}{e}", "现状覆盖率", "情景覆盖率", "变化 (百分点)"),
                         tuple((str(r["jiezhen_name"]), fmt_int(r["pop"]), fmt_share(r["share_before"]),
                                fmt_share(r["share_after"]), fmt_pp(r["share_change"]))
                               for _, r in rows.iterrows()), key=f"scenario_{name}",
                         numeric=(False, True, True, True, True))]
    return blocks
