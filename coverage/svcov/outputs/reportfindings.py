"""The report's opening: the first paragraph (what the report covers, what 「覆盖率」 means, and — when the registers
have no opening years — why every year shows the same numbers) and the key findings (要点), which begin with what
the numbers rest on and what they can and cannot support, then explain each headline number in a sentence.

Leadership text: no configuration key, field name, English code or solver term; each caveat once.
"""

from __future__ import annotations

import pandas as pd

from .context import (
    DISTRICT_CODE,
    NO_DATA,
    STATUSES,
    circle_types,
    fmt_int,
    fmt_pp,
    fmt_share,
    layout_name,
    service_name,
)
from .datagaps import missing_zh
from .document import Bullets, Para
from .reportbase import ReportData, Sections
from .reportsites import scenario_sentence

__all__ = ["intro", "summary", "same_share", "part_name"]

_SAME = 0.0005   # shares closer than this print the same to 0.1 %


def same_share(a: object, b: object) -> bool:
    """Two shares that print the same (to 0.1 %)."""
    return pd.notna(a) and pd.notna(b) and abs(float(a) - float(b)) < _SAME


def part_name(label: str) -> str:
    """A leg of the layout rule by its own name: 「3个一: 公办托幼一体园」 → 「公办托幼一体园」."""
    return str(label).split(": ")[-1].split("：")[-1].strip()


def _plan(d: ReportData) -> str:
    return f"《{d.info.plan_name_zh}》" if d.info.plan_name_zh else "规划"


def intro(d: ReportData, s: Sections) -> list:
    """The first paragraph, and the sentence on unknown opening years when every year counts the same facilities."""
    info = d.info
    checks = []
    if d.rules is not None:
        checks.append(f"检查规划的{layout_name(d.rules, info)}布局和其他目标" if d.layout else "检查规划目标")
    if d.sites is not None and len(d.sites):
        when = d.timing.site_years_zh(d.sites["year"].dropna().astype(int)) if d.evaluation else ""
        checks.append(f"提出规划期后 ({when}) 建议新增的点位" if d.evaluation else "列出建议新增的点位")
    tail = (", " + ", 并".join(checks)) if checks else ""
    lead = (f"{_plan(d)}的规划期 ({d.timing.span_zh}) 已经结束, 本报告是规划期评估: " if d.evaluation else "本报告")
    text = (f"{lead}统计{info.district_name_zh} {d.year} 年{d.who}能否在{d.travel} {d.minutes} 分钟内到达"
            f"{info.circle_name_zh}设施 ({d.minutes} 分钟社区服务圈){tail}。「覆盖率」指{d.travel} {d.minutes} 分钟内"
            f"能到达至少一处{info.circle_name_zh}设施的{d.who}占全部{d.who}的比例。")
    if d.years_unknown() and len(d.years) > 1:
        text += (f"各年的数字相同, 不是因为没有进展, 而是现有名册没有设施的开办和关闭年份, 只能把 {d.timing.span_zh}"
                 f"都按同一批设施计算; 名册补上开办年份后, 各年的报告才能反映变化。")
    return [Para(text)]


def _sources_phrase(d: ReportData) -> tuple[str, bool]:
    """How the facilities are known, and whether every source is a complete register."""
    f = d.facilities
    labels = list(dict.fromkeys(f["source_label"].astype(str))) if "source_label" in f.columns else []
    complete = bool(f["complete_register"].astype(bool).all()) if "complete_register" in f.columns else True
    where = "、".join(f"「{x}」" for x in labels) or "所给名册"
    if complete:
        return f"设施来自{where}, 共 {len(f)} 处", True
    return f"设施数据只有{where}中的 {len(f)} 处, 不是完整名册", False


def _circle_phrase(d: ReportData) -> str:
    info, cf = d.info, d.circle_facilities()
    parts = []
    n_est = int(cf["type_is_estimate"].fillna(False).astype(bool).sum()) if "type_is_estimate" in cf.columns else 0
    if len(cf):
        types = "、".join(dict.fromkeys(service_name(t, info) for t in cf["type"].astype(str)))
        if n_est == len(cf):
            parts.append(f"计入{info.circle_name_zh}的 {len(cf)} 处都是按名称推断的{types}")
        else:
            parts.append(f"计入{info.circle_name_zh}的有 {len(cf)} 处{types}"
                         + (f", 其中 {n_est} 处的类型是按名称推断的" if n_est else ""))
    present = set(d.facilities["type"].astype(str))
    absent = [service_name(t, info) for t in circle_types(info) if t not in present]
    if absent:
        parts.append(f"没有{'和'.join(absent)}的名册" if len(absent) <= 2 else f"没有{'、'.join(absent)}的名册")
    return ", ".join(parts)


def _basis(d: ReportData) -> list:
    """What the numbers rest on, and what they can and cannot support."""
    info = d.info
    said, incomplete = [], False
    if d.facilities is not None and len(d.facilities):
        sources, complete = _sources_phrase(d)
        incomplete = not complete or bool(d.circle_facilities() is not None and any(
            t not in set(d.facilities["type"].astype(str)) for t in circle_types(info)))
        said.append(sources + (f"; {c}" if (c := _circle_phrase(d)) else ""))
    if info.population_is_estimate:
        how = f" ({info.population_note_zh})" if info.population_note_zh else ""
        said.append(f"{info.group_name_zh}人数是估算{how}")
    said.append(f"{d.travel}时间按直线距离估算, 没有用路网, 实际绕行会更远" if info.travel_is_fallback
                else f"{d.travel}时间沿路网计算")
    text = "数字的依据: " + "; ".join(said) + "。"
    if incomplete:
        needs = f"需要名册才能判断的目标 (如{layout_name(d.rules, info)}布局)" if d.layout else "需要名册才能判断的目标"
        text += (f"因此, 覆盖率是按已知设施算出的下限, 适合比较街镇之间的差距、找出明显的空白, 不能当作统计数; "
                 f"没有设施记录的街镇记为「{NO_DATA}」, 不等于没有服务; 现在还无法判断{needs}。")
    elif info.population_is_estimate or info.travel_is_fallback:
        text += "因此, 标「估算」的数字适合比较和排序, 不能当作统计数。"
    return [Para(text, kind="key")]


def _district_item(d: ReportData) -> str | None:
    now, before = d.at(d.year), d.at(d.prev_year)
    if DISTRICT_CODE not in now.index:
        return None
    row, unit = now.loc[DISTRICT_CODE], d.info.group_unit_zh
    text = (f"{d.year} 年全区{d.who}约 {fmt_int(row['pop'])} {unit}{d.e}, 其中约 {fmt_int(row['pop_covered'])} {unit} "
            f"({fmt_share(row['share_covered'])}) 在{d.travel} {d.minutes} 分钟内能到达{d.info.circle_name_zh}设施")
    if DISTRICT_CODE in before.index:
        old = before.loc[DISTRICT_CODE, "share_covered"]
        if same_share(old, row["share_covered"]):
            text += f"; 与 {d.prev_year} 年相同" + (" (原因见上)" if d.years_unknown() else "")
        else:
            word = "提高" if row["share_covered"] > old else "下降"
            text += (f"; {d.prev_year} 年为 {fmt_share(old)}, {word}了 "
                     f"{fmt_pp(abs(row['share_covered'] - old)).lstrip('+')} 个百分点")
    return text + "。"


def _jiezhen_item(d: ReportData) -> str | None:
    now = d.at(d.year)
    jz = now.drop(index=DISTRICT_CODE, errors="ignore")
    flags = {c: d.no_data(r) for c, r in jz.iterrows()}
    known = jz[[not flags[c] for c in jz.index]].sort_values("share_covered")
    missing = [str(jz.loc[c, "jiezhen_name"]) for c in d.ordered() if flags.get(c)]
    items = []
    if len(known) >= 2:
        low = "、".join(f"{r['jiezhen_name']} ({fmt_share(r['share_covered'])})" for _, r in known.head(3).iterrows())
        items.append(f"覆盖率最低的街镇是{low}, 最高的是{known.iloc[-1]['jiezhen_name']} "
                     f"({fmt_share(known.iloc[-1]['share_covered'])})")
    if missing:
        items.append(f"另有 {len(missing)} 个街镇 ({'、'.join(missing)}) 没有任何{d.info.circle_name_zh}设施记录, "
                     f"名册又不完整, 记为「{NO_DATA}」, 不参加排名: 不能据此说这些街镇没有服务")
    return "; ".join(items) + "。" if items else None


def _layout_item(d: ReportData) -> str | None:
    if d.layout is None:
        return None
    rows = d.rules[(d.rules["rule_id"] == d.layout) & (d.rules["year"] == d.year)
                   & (d.rules["jiezhen_code"] != DISTRICT_CODE)]
    if rows.empty:
        return None
    name, counts = layout_name(d.rules, d.info), rows["status"].value_counts()
    text = f"{name}布局: {len(rows)} 个街镇中" + "、".join(f"{st} {int(counts.get(st, 0))} 个" for st in STATUSES)
    if int(counts.get("数据不足", 0)) == len(rows):
        tokens = [t for v in rows["missing_fields"] for t in str(v).split(", ") if t]
        what = missing_zh(list(dict.fromkeys(tokens)), d.info)
        text = (f"{len(rows)} 个街镇都无法判断是否达到{name}布局" + (f", 因为缺{'、'.join(what)}" if what else ""))
    legs = []
    for part in d.info.layout_parts:
        p = d.rules[(d.rules["rule_id"] == part) & (d.rules["year"] == d.year)
                    & (d.rules["jiezhen_code"] != DISTRICT_CODE)]
        n_pass = int((p["status"] == "达标").sum())
        if n_pass and len(p):
            legs.append(f"{n_pass} 个街镇已有{part_name(p['label_zh'].iloc[0])}")
    return text + (f"; 已知资料中, {'、'.join(legs)}" if legs else "") + "。"


def _targets_item(d: ReportData) -> str | None:
    if d.rules is None or d.rules.empty:
        return None
    now = d.rules[d.rules["year"] == d.year]
    if now.empty:
        return None
    overall = now.groupby("rule_id", sort=False)["status"].agg(
        lambda s: "达标" if (s == "达标").all() else ("未达标" if (s == "未达标").any() else "数据不足"))
    counts = overall.value_counts()
    return (f"规划的 {len(overall)} 条目标中, 达标 {int(counts.get('达标', 0))} 条、未达标 {int(counts.get('未达标', 0))} 条、"
            f"因数据不足无法判断 {int(counts.get('数据不足', 0))} 条。")


def _sites_item(d: ReportData, s: Sections) -> str | None:
    if d.siting_problem is not None:
        return f"选址没有完成, 原因和需要补充的条件见{s.ref('sites')}。"
    if d.sites is None:
        return None
    return scenario_sentence(d, s)


def _gaps_item(d: ReportData, s: Sections) -> str | None:
    if d.gaps is None or d.gaps.empty or not s.has("data"):
        return None
    names = d.gaps["short_zh"] if "short_zh" in d.gaps.columns else d.gaps["what_zh"]
    registers = d.gaps["kind"].isin(("register", "complete_register"))
    top = list(names[registers].head(3)) + list(names[d.gaps["kind"].isin(("network", "population"))])
    top = [str(x) for x in (top or list(names.head(4)))]
    return f"要让这些数字能用于考核, 最需要补充的数据是{'、'.join(top)} (全部 {len(d.gaps)} 项列在{s.ref('data')})。"


def summary(d: ReportData, s: Sections) -> list:
    """Section 要点: the basis of the numbers, then one explained sentence per headline figure."""
    items = [_district_item(d), _jiezhen_item(d), _layout_item(d), _targets_item(d), _sites_item(d, s),
             _gaps_item(d, s)]
    return [s.head("summary", "要点"), *_basis(d), Bullets(tuple(i for i in items if i), kind="body")]
