"""The Chinese words of the rule-status table: the target, the measured value, and the gap a planner can act on.

Examples: 「缺 1 个普惠性托育点」, 「还需新增 212 个托位」, 「15 分钟覆盖率 62.3%, 距目标 90% 还差 27.7 个百分点
(约 1,234 名 0-3 岁儿童)」, and for 数据不足 「已知 0 个, 数据来源不是完整名册 (…)」 or
「缺少字段 capacity_places (托位数): 请在名册中填写」.
"""

from __future__ import annotations

import math
from typing import Mapping

from .measures import FAIL, INSUFFICIENT, PASS, Finding
from .spec import ATTRIBUTE_LABELS_ZH, Rule, Selection

__all__ = ["target_zh", "value_zh", "gap_zh"]

#: What a sum of an attribute is counted in.
_SUM_NOUNS = {"capacity_places": "托位"}
#: How a yes/no condition reads in a sentence.
_CONDITION_ZH = {("has_nursery_class", True): "开设托班", ("has_nursery_class", False): "未开设托班",
                 ("is_demonstration", True): "为示范性机构", ("is_demonstration", False): "不是示范性机构"}
_MAX_NAMES = 5


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _pct_target(x: float) -> str:
    return f"{x:.0%}" if abs(x * 100 - round(x * 100)) < 1e-9 else f"{x:.1%}"


def _names(names: list[str] | tuple[str, ...]) -> str:
    shown = "、".join(names[:_MAX_NAMES])
    return shown + (f" 等 {len(names)} 个" if len(names) > _MAX_NAMES else "")


def _window(rule: Rule, year: int, plan_start: int | None, *, built: bool = False) -> str:
    """「2023 年新增 」, 「2021-2023 年累计新增 」 (or 「… 年新建的」 for shares); empty without ``new_in``."""
    sel = rule.select
    if sel is None or sel.new_in is None:
        return ""
    first = year if sel.new_in == "year" else (plan_start or year)
    years = f"{year} 年" if first >= year else f"{first}-{year} 年"
    if built:
        return f"{years}新建的"
    return f"{years}新增 " if first >= year else f"{years}累计新增 "


def _noun(rule: Rule) -> str:
    if rule.measure == "sum":
        return f"{rule.unit_zh}{_SUM_NOUNS.get(rule.attribute or '', ATTRIBUTE_LABELS_ZH.get(rule.attribute, ''))}"
    return f"{rule.unit_zh}{rule.select.what_zh}"


def _condition(num: Selection | None) -> str:
    if num is None:
        return ""
    if num.what_zh and num.what_zh != num.types_zh:
        return num.what_zh
    parts = [f"为{num.types_zh}"] if num.types else []
    parts += [_CONDITION_ZH.get((a, v), f"{a}={v}") for a, v in num.where.items()]
    return "且".join(parts)


def target_zh(rule: Rule, year: int, plan_start: int | None = None) -> str:
    """The target in words, e.g. 「≥1 个普惠性托育点」, 「2023 年新增 5-7 个普惠性托育点」, 「≥90% …」."""
    lo, hi = rule.min_for(year), rule.maximum
    amount = f"{_num(lo)}-{_num(hi)}" if hi is not None and hi > lo else (_num(lo) if hi == lo else f"≥{_num(lo)}")
    what = rule.select.what_zh if rule.select is not None else ""
    if rule.measure in ("count", "sum"):
        text = f"{_window(rule, year, plan_start)}{amount} {_noun(rule)}"
    elif rule.measure == "share":
        head = f"{_window(rule, year, plan_start, built=True)}{what}"
        cond = _condition(rule.numerator)
        text = f"{head}全部{cond}" if lo >= 1 else f"{head}中{cond}的占比 ≥{_pct_target(lo)}"
    elif rule.measure == "share_of_jiezhen":
        have = what if rule.per_jiezhen_min == 1 else f"≥{rule.per_jiezhen_min} {rule.unit_zh}{what}"
        text = f"每个街镇都有{have}" if lo >= 1 else f"有{have}的街镇占比 ≥{_pct_target(lo)}"
    elif rule.measure == "spacing":
        text = f"{what}之间直线距离 ≥{_num(lo)} 米"
    else:
        text = f"{rule.threshold_min} 分钟步行范围覆盖 ≥{_pct_target(lo)} 的 0-3 岁儿童 ({rule.service_name_zh})"
    notes = [rule.target_note_zh] if rule.target_note_zh else []
    if rule.minimum_is_default:
        notes.append("本工具默认目标, 规划未规定数值")
    return text + "".join(f" ({n})" for n in notes)


def value_zh(rule: Rule, finding: Finding) -> str:
    """The measured value in words, e.g. 「3 个」, 「450 个托位」, 「62.3%」, 「120 米」."""
    v, d = finding.value, finding.detail
    if rule.measure == "count":
        return f"{_num(v)} {rule.unit_zh}"
    if rule.measure == "sum":
        return f"{_num(v)} {_noun(rule)}"
    if rule.measure == "share":
        if d.get("n"):
            return f"{_pct(v)} ({d['t']}/{d['n']})"
        if d.get("n_uncertain"):
            return f"{d['n_uncertain']} {rule.unit_zh}{rule.select.what_zh}是否计入未知"
        return f"无{rule.select.what_zh}"
    if rule.measure == "share_of_jiezhen":
        return f"{_pct(v)} ({len(d['covered'])}/{d['n']} 个街镇)"
    if math.isnan(v):
        return "—"
    return f"{_num(round(v))} 米" if rule.measure == "spacing" else _pct(v)


def gap_zh(rule: Rule, finding: Finding, status: str, year: int, *, plan_start: int | None = None,
           type_names_zh: Mapping[str, str] | None = None) -> str:
    """What is missing, in words a planner can act on; empty for a plain pass."""
    if status == PASS:
        return _pass_note(rule, finding)
    if status == FAIL:
        return _FAIL_WORDS[rule.measure](rule, finding, year)
    if status == INSUFFICIENT:
        return _insufficient(rule, finding, year, plan_start, type_names_zh or {})
    raise ValueError(f"unknown status {status!r}")


def _pass_note(rule: Rule, f: Finding) -> str:
    if rule.maximum is not None and f.low > rule.maximum:
        return f"已有 {_num(f.low)} {rule.unit_zh}, 超过目标上限 {_num(rule.maximum)} {rule.unit_zh}"
    if rule.measure == "share" and not f.detail.get("n"):
        return f"没有{rule.select.what_zh}, 无需检查"
    if rule.measure == "spacing" and math.isnan(f.value):
        return "不足两个设施, 无需检查间距"
    return ""


def _fail_count(rule: Rule, f: Finding, year: int) -> str:
    short = math.ceil(rule.min_for(year) - f.value - 1e-9)
    if rule.select.new_in == "year":
        return f"{year} 年还需新增 {_num(short)} {_noun(rule)}"
    if rule.select.new_in == "plan":
        return f"还需新增 {_num(short)} {_noun(rule)}"
    return f"缺 {_num(short)} {_noun(rule)}"


def _fail_sum(rule: Rule, f: Finding, year: int) -> str:
    short = rule.min_for(year) - f.value
    verb = "还需新增" if rule.select.new_in else "还缺"
    return f"{verb} {_num(math.ceil(short - 1e-9))} {_noun(rule)}"


def _fail_share(rule: Rule, f: Finding, year: int) -> str:
    d, target = f.detail, rule.min_for(year)
    cond, what = _condition(rule.numerator), rule.select.what_zh
    names = _names(d["names_no"])
    if target >= 1:
        return f"{len(d['names_no'])} {rule.unit_zh}{what}未{cond}: {names}"
    need = math.ceil(target * d["n"] - d["t"] - 1e-9)
    return (f"占比 {_pct(f.value)}, 距目标 {_pct_target(target)} 还差 {(target - f.value) * 100:.1f} 个百分点: "
            f"还需 {need} {rule.unit_zh}{what}{cond}" + (f" (尚未{cond}的: {names})" if names else ""))


def _fail_jiezhen_share(rule: Rule, f: Finding, year: int) -> str:
    lacking = f.detail["lacking"]
    have = "" if rule.per_jiezhen_min == 1 else f"不足 {rule.per_jiezhen_min} {rule.unit_zh}"
    verb = f"{have}" if have else "没有"
    return f"{len(lacking)} 个街镇{verb}{rule.select.what_zh}: {_names(lacking)}"


def _fail_spacing(rule: Rule, f: Finding, year: int) -> str:
    a, b = f.detail["pair"]
    return f"「{a}」与「{b}」相距 {_num(round(f.value))} 米, 小于要求的 {_num(rule.min_for(year))} 米"


def _fail_coverage(rule: Rule, f: Finding, year: int) -> str:
    target = rule.min_for(year)
    children = (target - f.value) * f.detail["pop_0_3"]
    est = ", 人口为估算" if f.detail.get("population_is_estimate") else ""
    return (f"{rule.threshold_min} 分钟覆盖率 {_pct(f.value)}, 距目标 {_pct_target(target)} 还差 "
            f"{(target - f.value) * 100:.1f} 个百分点 (约 {children:,.0f} 名 0-3 岁儿童{est})")


_FAIL_WORDS = {"count": _fail_count, "sum": _fail_sum, "share": _fail_share, "share_of_jiezhen": _fail_jiezhen_share,
               "spacing": _fail_spacing, "coverage": _fail_coverage}


def _known(rule: Rule, f: Finding, year: int, plan_start: int | None) -> str:
    """What the records found show, before saying why that is not enough."""
    if rule.measure in ("count", "sum"):
        return f"已知 {value_zh(rule, f)}"
    if rule.measure == "share":
        d = f.detail
        if d.get("n"):
            return f"已知记录中占比 {value_zh(rule, f)}"
        return f"已知记录中没有确定为 {_window(rule, year, plan_start, built=True)}{rule.select.what_zh}"
    if rule.measure == "share_of_jiezhen":
        d = f.detail
        return (f"已知 {len(d['covered'])}/{d['n']} 个街镇有{rule.select.what_zh}, "
                f"无法确定的: {_names(d['unknown'])}")
    if rule.measure == "spacing":
        return "已知设施中最近间距 " + value_zh(rule, f) if not math.isnan(f.value) else "已知设施不足两个"
    return f"已知设施的 {rule.threshold_min} 分钟覆盖率 {value_zh(rule, f)}"


def _insufficient(rule: Rule, f: Finding, year: int, plan_start: int | None, type_names: Mapping[str, str]) -> str:
    state = f.detail.get("state")
    reason = f.detail.get("reason")
    if reason == "no_table":
        return (f"未计算覆盖率: 缺少 {rule.threshold_min} 分钟服务范围覆盖率表 (coverage_table); "
                f"请运行 svcov run 计算服务范围后再检查")
    if reason == "no_row":
        return (f"覆盖率表中没有 {year} 年「{rule.service_name_zh}」{rule.threshold_min} 分钟的结果 (coverage_table); "
                f"请在配置 travel.thresholds_min 中加入 {rule.threshold_min} 并重新计算")
    if reason == "no_population":
        return "缺少 0-3 岁人口 (pop_0_3): 该街镇没有人口数据, 无法计算覆盖率"
    if state is not None and state.n_records == 0:
        names = "、".join(type_names.get(t, t) for t in state.absent_types)
        return f"未加载{names}数据: 请在配置 facilities 中加入{names}名册"
    parts = [_known(rule, f, year, plan_start)]
    if state is not None and state.incomplete_sources:
        parts[0] += f", 数据来源不是完整名册 ({'、'.join(state.incomplete_sources)})"
    if state is not None and state.absent_types:
        names = "、".join(type_names.get(t, t) for t in state.absent_types)
        parts.append(f"未加载{names}数据: 请在配置 facilities 中加入{names}名册")
    for field, n in f.detail.get("fields", {}).items():
        parts.append(f"缺少字段 {field} ({ATTRIBUTE_LABELS_ZH.get(field, field)}): 请在名册中填写 ({n} 条记录为空)")
    return "; ".join(parts)
