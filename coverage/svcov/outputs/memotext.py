"""The sentences of a site-selection memo: the conclusion, where the site is (by its landmark), what it adds, the
plan gap it closes, the facilities near it (times a person believes), the alternatives and why this one was taken
(ties said plainly, with the tool's tie-break rule), and the caveats — each once.

Leadership text: no configuration key, field name, grid code or solver term. Every word naming the service, the
group and the plan comes from :class:`~.context.RunInfo`.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ..vocabulary import TIE_BREAK_RULE_ZH
from .context import (
    RunInfo,
    est,
    fmt_distance,
    fmt_int,
    fmt_minutes,
    fmt_pp,
    fmt_share,
    service_name,
    split_items,
)
from .document import Bullets, Heading, Para, Table
from .landmarks import Landmark, direction_zh
from .memo_siting import site_service_zh
from .plantime import PlanTiming

__all__ = ["believable_times", "site_title", "when_zh", "conclusion", "location", "coverage_blocks", "gap_blocks",
           "facilities_blocks", "alternatives_blocks", "caveat_blocks", "alternative_label"]

_MINUTES = re.compile(r"(约\s*)?(\d+(?:\.\d+)?)\s*分钟")
_CODES = re.compile(r"\s*[(（][^()（）]*?,\s*[A-Za-z][\w.:-]*[)）]")
_GRID_CODE = re.compile(r"\s*网格点\s*r\d+c\d+")


def believable_times(text: str, speed_kph: float | None) -> str:
    """Minutes in a text as a person believes them: 「步行约 159 分钟」 → 「步行 60 分钟以上 (路程约 11 公里)」,
    「步行约 0 分钟」 → 「步行 1 分钟以内」; times from 1 to 60 minutes are kept."""
    def one(m: re.Match) -> str:
        minutes = float(m.group(2))
        if 1 <= minutes <= 60:
            return m.group(0)
        before = m.string[m.start() - 1:m.start()]
        return (" " if before and not before.isspace() else "") + fmt_minutes(minutes, speed_kph)
    return _MINUTES.sub(one, str(text))


def when_zh(site: pd.Series, timing: PlanTiming | None) -> str:
    """When the site is proposed for: 「2023 年」, or after the plan period 「第三批, 建议 2029 年」."""
    year = int(site["year"])
    return timing.site_when_zh(year) if timing is not None else f"{year} 年"


def site_title(site: pd.Series, mark: Landmark | None) -> str:
    """「叶榭镇 · 「叶榭中学」东南约 600 米」, 「洞泾镇社区文化活动中心」 — the 街镇 once."""
    jz = str(site["jiezhen_name"])
    label = mark.label if mark is not None else str(site["candidate_name"])
    label = _GRID_CODE.sub(" 网格点", label)
    return label if label.startswith(jz) else f"{jz} · {label}"


def _where(site: pd.Series, mark: Landmark | None) -> str:
    """The site in a sentence: 「叶榭镇「叶榭中学」东南约 600 米处」, 「新浜镇「方家哈新苑」」."""
    jz = str(site["jiezhen_name"])
    if mark is None or mark.named:
        name = str(site["candidate_name"])
        return name if name.startswith(jz) else f"{jz}「{name}」"
    return f"{jz}{mark.label}处"


def _tied(alts: pd.DataFrame | None) -> pd.DataFrame:
    if alts is None or alts.empty:
        return pd.DataFrame()
    return alts[(alts["alt_rank"] > 0) & alts["ties"].astype(bool)]


def _flat_estimate(site: pd.Series, info: RunInfo, mark: Landmark | None, alts: pd.DataFrame | None) -> str:
    """When the 街镇 has no compound data and the alternatives tie: any point covers the same estimate."""
    tied = _tied(alts)
    if tied.empty or mark is None or mark.n_compounds != 0 or not info.population_is_estimate:
        return ""
    jz = str(site["jiezhen_name"])
    return (f"{jz}没有住宅小区的数据, {info.group_name_zh}只能按面积均匀估算, 所以{jz}内任何一处覆盖的估算人数都差不多; "
            f"这一带的具体位置应由{jz}按可用的用房确定, 效果相同。")


def conclusion(site: pd.Series, info: RunInfo, mark: Landmark | None, alts: pd.DataFrame | None,
               timing: PlanTiming | None) -> list:
    minutes, e, unit = info.circle_threshold_min, est(info.population_is_estimate), info.group_unit_zh
    jz = str(site["jiezhen_name"])
    type_zh = service_name(str(site["type"]), info)
    what = (f"建议将{_where(site, mark)}利用现有设施改建为{type_zh}" if str(site.get("action", "")) == "conversion"
            else f"建议在{_where(site, mark)}新设一处{type_zh}")
    text = (f"{what} ({when_zh(site, timing)})。"
            f"建成后, 原来{info.profile_name_zh} {minutes} 分钟内没有{site_service_zh(site, info)}的{info.who}中, 约 "
            f"{fmt_int(site['pop_newly_covered'])} {unit}{e}{' ' if e else ''}能在 {minutes} 分钟内到达; {jz}的覆盖率从 "
            f"{fmt_share(site['jiezhen_share_before'])} 提高到 {fmt_share(site['jiezhen_share_after'])}。")
    if timing is not None and timing.is_over:
        text += (f"规划期 ({timing.span_zh}) 已经结束, 建议点位按原规划各年的顺序分批安排在 "
                 f"{timing.site_years_zh(timing.years)}, 本点位属{timing.batch_zh(int(site['year']))}。")
    tied = _tied(alts)
    if not tied.empty:
        text += (f"另有 {len(tied)} 个候选点新增覆盖与本点位相同, 对选址模型来说一样好; 为什么取这一处见第六节。")
    return [Heading("一、结论"), Para(text + _flat_estimate(site, info, mark, alts), kind="key")]


def _nearby_text(mark: Landmark | None, site: pd.Series, speed_kph: float) -> str:
    jz = str(site["jiezhen_name"])
    if mark is not None and mark.nearby:
        return "、".join(f"「{n}」({k}{'' if j in ('', jz) else ', ' + j}, {fmt_distance(d)})"
                        for n, k, j, d in mark.nearby)
    if mark is not None and mark.place:
        other = f"在{mark.place_jiezhen}, " if mark.other_jiezhen else ""
        return f"1.5 公里内没有; 最近的是「{mark.place}」({other}直线{fmt_distance(mark.distance_m)})"
    items = [believable_times(x, speed_kph) for x in split_items(site["nearest_compounds"])
             if not x.startswith(str(site["candidate_name"]))]
    return "、".join(items) or "—"


def location(site: pd.Series, info: RunInfo, mark: Landmark | None) -> list:
    jz = str(site["jiezhen_name"])
    source = re.sub(r"\s*\([\x20-\x7e]*\)", "", str(site["candidate_source"])).strip()
    position = mark.label if mark is not None and not mark.named else f"「{site['candidate_name']}」"
    rows = [("位置", position), ("街镇", jz),
            ("坐标 (WGS-84 经度, 纬度)", f"{float(site['lon_wgs84']):.6f}, {float(site['lat_wgs84']):.6f}"),
            ("候选点来源", source + (" (没有现成地名的规划网格点, 位置以坐标为准)" if mark is not None and not mark.named
                                 else "")),
            ("附近的有名称地点 (直线距离)", _nearby_text(mark, site, info.speed_kph))]
    blocks: list = [Heading("二、位置"), Table(("项目", "内容"), tuple(rows), key="location")]
    if mark is not None and not mark.named and mark.other_jiezhen:
        blocks.append(Para(f"{jz}内 3 公里以内没有有名称的地点, 所以用{mark.place_jiezhen}的「{mark.place}」"
                           f"指示方位 (直线{fmt_distance(mark.distance_m)}); 踏勘时请按坐标找点。", kind="note"))
    return blocks


def coverage_blocks(site: pd.Series, info: RunInfo) -> list:
    minutes, e, unit = info.circle_threshold_min, est(info.population_is_estimate), info.group_unit_zh
    jz = str(site["jiezhen_name"])
    return [Heading("三、新增覆盖与覆盖率变化"), Para(
        f"「新增覆盖」指原来{info.profile_name_zh} {minutes} 分钟内没有任何{info.circle_name_zh}、在该点建成后 {minutes} "
        f"分钟内可达的{info.who}人数{e}: 约 {fmt_int(site['pop_newly_covered'])} {unit}。下表的覆盖率是 {minutes} "
        f"分钟内可达的{info.who}占全部{info.who}的比例; 「建设前」包括现有设施和排在本点位之前的建议点位 (假设它们已建成), "
        f"所以与报告中只按现有设施计算的覆盖率不同; 「变化」以百分点计。"),
        Table(("范围", "建设前覆盖率", "建设后覆盖率", "变化 (百分点)"), (
            (jz, fmt_share(site["jiezhen_share_before"]), fmt_share(site["jiezhen_share_after"]),
             fmt_pp(site["jiezhen_share_after"] - site["jiezhen_share_before"])),
            ("全区", fmt_share(site["district_share_before"]), fmt_share(site["district_share_after"]),
             fmt_pp(site["district_share_after"] - site["district_share_before"]))),
            key="coverage", numeric=(False, True, True, True))]


def gap_blocks(site: pd.Series, info: RunInfo) -> list:
    gap = str(site["rule_gap_closed_zh"]).strip() if pd.notna(site["rule_gap_closed_zh"]) else ""
    if not gap:
        return [Heading("四、补上的规划缺口"),
                Para("该点位不补规划规则的缺口; 它入选的理由见第三节 (新增覆盖) 和第六节 (与其他候选点的比较)。")]
    head, _, rest = gap.partition(": ")
    rule, _, state = rest.partition("; ")
    text = f"{head}: {rule}。" if rule else f"{gap}。"
    if state.startswith("未加载"):
        kind = service_name(str(site["type"]), info)
        state = (f"没有{kind}的名册, 数据中一处{kind}也没有, 所以这里按「缺少」估计; 是否真的缺少, 需以名册核实")
    return [Heading("四、补上的规划缺口"), Para(text), *([Para(f"说明: {state}。", kind="note")] if state else [])]


def facilities_blocks(site: pd.Series, info: RunInfo) -> list:
    items = [believable_times(x, info.speed_kph) for x in split_items(site["nearest_facilities"])]
    blocks: list = [Heading(f"五、附近现有设施及{info.profile_name_zh}时间")]
    if not items:
        return blocks + [Para("选址表没有列出附近的现有设施。")]
    blocks.append(Bullets(tuple(items)))
    if all("分钟以上" in x for x in items):
        blocks.append(Para(f"最近的现有设施也在{info.profile_name_zh} 60 分钟以上, 即附近基本没有"
                           f"{info.circle_name_zh}设施, 这正是在这里新设的理由。", kind="note"))
    return blocks


def alternative_label(row: pd.Series, site: pd.Series) -> str:
    """An alternative as a planner finds it: its name, or where it lies from the site (「本点位北约 1.4 公里处的网格点」)."""
    name = str(row["candidate_name"])
    if bool(row.get("named", True)) and not name.startswith("未命名"):
        return name
    try:
        lat = math.radians(float(site["lat_wgs84"]))
        dx = (float(row["lon_wgs84"]) - float(site["lon_wgs84"])) * 111_320 * math.cos(lat)
        dy = (float(row["lat_wgs84"]) - float(site["lat_wgs84"])) * 110_540
    except (TypeError, ValueError):
        return "网格点"
    return f"本点位{direction_zh(dx, dy)}{fmt_distance(row['distance_m'])}处的网格点"


def _why_this_one(own: pd.Series, tied: pd.DataFrame, info: RunInfo) -> str:
    travel = info.profile_name_zh
    rule = TIE_BREAK_RULE_ZH.format(travel=travel)
    if bool(own["named"]) and not tied["named"].astype(bool).all():
        reason = "本点位是有名称的地点, 其余几处不是"
    elif (tied["named"].astype(bool) == bool(own["named"])).all() and \
            float(own["mean_time_min"]) < float(tied["mean_time_min"].min()) - 0.05:
        reason = (f"本点位服务范围内{info.who}的平均{travel}时间约 {float(own['mean_time_min']):.1f} 分钟, "
                  f"其余几处为 {float(tied['mean_time_min'].min()):.1f}-{float(tied['mean_time_min'].max()):.1f} 分钟")
    elif (tied["difference"] < 0).all():
        reason = "本点位比其余几处多覆盖不到 1 人; 这样小的差别在估算人口下没有意义, 这几处可以互换"
    else:
        reason = "几处在这两方面也相同, 按候选点的顺序取了本点位"
    return f"{rule}。这里: {reason}。"


def alternatives_blocks(site: pd.Series, info: RunInfo, mark: Landmark | None, alts: pd.DataFrame | None) -> list:
    blocks: list = [Heading("六、比较过的其他候选点")]
    unit, e = info.group_unit_zh, est(info.population_is_estimate)
    if alts is None or alts.empty or not (alts["alt_rank"] > 0).any():
        items = tuple(_CODES.sub("", _GRID_CODE.sub(" 网格点", x)) for x in split_items(site["alternatives"]))
        return blocks + ([Para("下列是选址模型比较过的其他候选点:"), Bullets(items)] if items
                         else [Para("选址表没有记录其他候选点。")])
    own = alts[alts["alt_rank"] == 0].iloc[0]
    others = alts[alts["alt_rank"] > 0].sort_values("alt_rank")
    tied = _tied(alts)
    rows = tuple((alternative_label(r, site), str(r["jiezhen_name"]), fmt_int(r["pop_newly_covered"]),
                  "相同" if bool(r["ties"]) else f"少 {fmt_int(-r['difference'])}" if r["difference"] < 0
                  else f"多 {fmt_int(r['difference'])}", fmt_distance(r["distance_m"])) for _, r in others.iterrows())
    intro = (f"在其他建议点位都建成的前提下, 本点位新增覆盖约 {fmt_int(own['pop_newly_covered'])} {unit}{e}。"
             f"下表是换成其他候选点时的新增覆盖:")
    blocks += [Para(intro), Table(("候选点", "街镇", f"新增覆盖 ({unit})", "与本点位相比", "与本点位的距离"), rows,
                                  key="alternatives", numeric=(False, False, True, False, True))]
    if tied.empty and float(others["difference"].max()) > 0:  # a multi-year plan: best as a whole, not site by site
        best = others.sort_values("difference", ascending=False).iloc[0]
        blocks.append(Para(f"换成{alternative_label(best, site)}, 本批可多覆盖约 {fmt_int(best['difference'])} {unit}; "
                           f"本点位入选, 是因为方案按各批合计 (连同街镇规则和分期方式) 整体最好, 而不是每处点位单独最多: "
                           f"换掉它, 方案整体不会更好 (各批合计覆盖不会更多, 或有街镇更晚才有覆盖)。"))
    elif tied.empty:
        best = others.iloc[0]
        blocks.append(Para(f"本点位新增覆盖最多: 其次的候选点约 {fmt_int(best['pop_newly_covered'])} {unit}, 少约 "
                           f"{fmt_int(max(0.0, -float(best['difference'])))} {unit}。"))
    else:
        flat = " (原因见第一节: 没有小区数据, 估算人数按面积均匀分布)" if _flat_estimate(site, info, mark, alts) else ""
        blocks.append(Para(f"{len(tied)} 个候选点与本点位新增覆盖相同 (相差不到 1 人{flat})。"
                           + _why_this_one(own, tied, info)))
    return blocks


def caveat_blocks(info: RunInfo, facilities: pd.DataFrame | None) -> list:
    items = []
    if info.travel_is_fallback:
        items.append(f"{info.profile_name_zh}时间按直线距离估算 (没有用路网), 实际路线可能更远; 踏勘时请核实{info.profile_name_zh}路线。")
    else:
        items.append(f"{info.profile_name_zh}时间沿路网计算。")
    if info.population_is_estimate:
        how = f" ({info.population_note_zh})" if info.population_note_zh else ""
        items.append(f"{info.group_name_zh}人数是估算{how}, 新增覆盖人数只宜用于比较候选点, 不是统计数。")
    if facilities is not None and "type_is_estimate" in facilities.columns and \
            facilities["type_is_estimate"].fillna(False).astype(bool).any():
        items.append("附近设施中标「类型为估算」的, 类型是按名称推断的, 未经核实。")
    items += ["本说明的数字来自运行结果中的选址表, 可逐项核对。",
              "选址是按数据计算的建议, 须经现场踏勘、产权和消防等条件核实后才能确定。"]
    return [Heading("七、说明与注意事项"), Bullets(tuple(items), kind="note")]
