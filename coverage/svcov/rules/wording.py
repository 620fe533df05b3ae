"""The Chinese words of the rule-status table: the target, the measured value, and the gap a planner can act on.

Examples: 「缺 1 个日间照料中心」, 「还需新增 212 张床位」, 「15 分钟覆盖率 62.3%, 距目标 90% 还差 27.7 个
百分点 (约 1,234 名 60 岁及以上老人)」, and for 数据不足 「已知 0 个, 数据来源不是完整名册 (…)」 or
「缺少字段 capacity (床位数): 请在名册中填写」 — every noun from the run's configuration. Each measure words its
own value, target and shortfall (:mod:`svcov.rules.measures`); this module adds what all measures share: the notes of
a target, the upper figure of a pass, and what data are missing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ArgumentError
from ..vocabulary import FAIL, INSUFFICIENT, PASS, YEAR_LABELS_ZH
from .measures import MEASURES, Finding
from .model import Rule
from .words import num

__all__ = ["target_zh", "value_zh", "gap_zh"]


def target_zh(rule: Rule, year: int, plan_start: int | None = None) -> str:
    """The target in words, e.g. 「≥1 个日间照料中心」, 「2023 年新增 5-7 个长者食堂」, 「≥90% …」."""
    text = MEASURES[rule.measure].target_zh(rule, year, plan_start)
    notes = [rule.target_note_zh] if rule.target_note_zh else []
    if rule.minimum_is_default:
        notes.append("本工具默认目标, 规划未规定数值")
    return text + "".join(f" ({n})" for n in notes)


def value_zh(rule: Rule, finding: Finding) -> str:
    """The measured value in words, e.g. 「3 个」, 「450 张床位」, 「62.3%」, 「120 米」."""
    return MEASURES[rule.measure].value_zh(rule, finding)


def gap_zh(rule: Rule, finding: Finding, status: str, year: int, *, plan_start: int | None = None,
           type_names_zh: Mapping[str, str] | None = None, field_labels_zh: Mapping[str, str] | None = None) -> str:
    """What is missing, in words a planner can act on; empty for a plain pass."""
    kind = MEASURES[rule.measure]
    if status == PASS:
        if rule.maximum is not None and finding.low > rule.maximum:
            return f"已有 {num(finding.low)} {rule.unit_zh}, 超过目标上限 {num(rule.maximum)} {rule.unit_zh}"
        return kind.pass_note_zh(rule, finding)
    if status == FAIL:
        return kind.fail_zh(rule, finding, year)
    if status == INSUFFICIENT:
        own = kind.insufficient_zh(rule, finding, year)
        return own if own is not None else _insufficient(rule, finding, year, plan_start, type_names_zh or {},
                                                         field_labels_zh or YEAR_LABELS_ZH)
    raise ArgumentError(f"unknown status {status!r}")


def _insufficient(rule: Rule, f: Finding, year: int, plan_start: int | None, type_names: Mapping[str, str],
                  labels: Mapping[str, str]) -> str:
    state = f.detail.get("state")
    if state is not None and state.n_records == 0:
        names = "、".join(type_names.get(t, t) for t in state.absent_types)
        return f"未加载{names}数据: 请在配置 facilities 中加入{names}名册"
    parts = [MEASURES[rule.measure].known_zh(rule, f, year, plan_start)]
    if state is not None and state.incomplete_sources:
        parts[0] += f", 数据来源不是完整名册 ({'、'.join(state.incomplete_sources)})"
    if state is not None and state.absent_types:
        names = "、".join(type_names.get(t, t) for t in state.absent_types)
        parts.append(f"未加载{names}数据: 请在配置 facilities 中加入{names}名册")
    for field, n in f.detail.get("fields", {}).items():
        parts.append(f"缺少字段 {field} ({labels.get(field, field)}): 请在名册中填写 ({n} 条记录为空)")
    return "; ".join(parts)
