"""Measure ``coverage``: the share of a population group (default the served group) within ``threshold_min``
minutes of a service (a type or a group) by a travel profile (default the primary one), read from the coverage
table of the access stage. A register that is not complete only gives a lower bound."""

from __future__ import annotations

import math

from ...vocabulary import DISTRICT_CODE, NETWORK
from ...yamlio import line_of
from ..fields import RuleReader
from ..model import DEFAULT_COVERAGE_MIN_SHARE, Rule, Selection
from ..words import pct, pct_target, spaced
from .base import Context, Finding, Measure, register

__all__ = ["Coverage"]


@register
class Coverage(Measure):
    """Share of the group within ``threshold_min`` of the service by the profile, from the coverage table."""

    name = "coverage"
    keys = frozenset({"service", "threshold_min", "min", "group", "profile"})
    required = ("service", "threshold_min")
    target = "share"
    default_min = DEFAULT_COVERAGE_MIN_SHARE
    default_is_judgement = True

    def parse(self, m: dict, reader: RuleReader) -> dict:
        p, where, thresholds = reader.p, reader.where, reader.thresholds_min
        service = m.get("service")
        key, types, name = reader.resolver.service(service, m, p, where) if service is not None else (None, (), "")
        threshold = m.get("threshold_min")
        ok = isinstance(threshold, int) and not isinstance(threshold, bool) and 0 < threshold <= 120
        if threshold is not None and not ok:
            p.add(f"{where}: threshold_min 应是 1-120 的整数 (分钟)。", "threshold_min must be whole minutes 1-120",
                  row=line_of(m, "threshold_min"), column="threshold_min", value=threshold)
        elif ok and thresholds is not None and threshold not in thresholds:
            p.add(f"{where}: threshold_min={threshold} 不在配置的 travel.thresholds_min {list(thresholds)} 中, "
                  f"覆盖率表里不会有这个阈值。请改用其中之一, 或把它加入配置。",
                  f"threshold_min={threshold} is not among travel.thresholds_min {list(thresholds)}",
                  row=line_of(m, "threshold_min"), column="threshold_min", value=threshold)
        return {"service": key, "service_name_zh": name, "threshold_min": threshold if ok else None,
                "select": Selection(types=types, what_zh=name, types_zh=name), **self._group(m, reader),
                **self._profile(m, reader)}

    @staticmethod
    def _group(m: dict, reader: RuleReader) -> dict:
        groups = reader.vocabulary.demand_groups
        key = m.get("group", groups[0].key)
        found = next((g for g in groups if g.key == key), None)
        if found is None:
            keys = ", ".join(g.key for g in groups)
            reader.p.add(f"{reader.where}: group「{key}」不是配置 population.groups 中的人群 (可用: {keys})。",
                         f"group {key!r} is not one of population.groups ({keys})", row=line_of(m, "group"),
                         column="group", value=key)
            found = groups[0]
        return {"group": found.key, "group_name_zh": found.name_zh}

    @staticmethod
    def _profile(m: dict, reader: RuleReader) -> dict:
        profiles = dict(reader.vocabulary.profiles)
        key = m.get("profile", next(iter(profiles)))
        if key not in profiles:
            keys = ", ".join(profiles)
            reader.p.add(f"{reader.where}: profile「{key}」不是配置 travel.profiles 中的出行方式 (可用: {keys})。",
                         f"profile {key!r} is not one of travel.profiles ({keys})", row=line_of(m, "profile"),
                         column="profile", value=key)
            key = next(iter(profiles))
        return {"profile": key, "profile_name_zh": profiles[key]}

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        state = ctx.state(rule.select.types)
        if ctx.coverage is None:
            return Finding(math.nan, 0.0, math.inf, ("coverage_table",), detail={"reason": "no_table", "state": state})
        table = ctx.coverage
        rows = table[(table["year"] == ctx.year) & (table["jiezhen_code"].astype(str) == (code or DISTRICT_CODE))
                     & (table["service"] == rule.service) & (table["threshold_min"] == rule.threshold_min)
                     & (table["group"] == rule.group) & (table["profile"] == rule.profile)]
        if rows.empty:
            return Finding(math.nan, 0.0, math.inf, ("coverage_table",), detail={"reason": "no_row", "state": state})
        row = rows.iloc[0]
        value = float(row["share_covered"])
        model_est = bool(row["population_is_estimate"]) or str(row["travel_mode"]) != NETWORK
        est = model_est or ctx.any_estimate(ctx.candidates(rule.select, None))
        detail = {"state": state, "pop": float(row["pop"]), "population_is_estimate":
                  bool(row["population_is_estimate"]), "travel_mode": str(row["travel_mode"])}
        if math.isnan(value):
            return Finding(value, 0.0, math.inf, (rule.group,), est, est, {**detail, "reason": "no_population"})
        low, high = value, (value if state.complete else 1.0)
        return Finding(value, low, high, state.tokens if low != high else (), est, est, detail)

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        return (f"{rule.threshold_min} 分钟{rule.profile_name_zh}范围覆盖 ≥{pct_target(rule.min_for(year))} 的"
                f"{spaced(rule.group_name_zh)} ({rule.service_name_zh})")

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        return "—" if math.isnan(finding.value) else pct(finding.value)

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        target = rule.min_for(year)
        people = (target - finding.value) * finding.detail["pop"]
        est = ", 人口为估算" if finding.detail.get("population_is_estimate") else ""
        return (f"{rule.threshold_min} 分钟覆盖率 {pct(finding.value)}, 距目标 {pct_target(target)} 还差 "
                f"{(target - finding.value) * 100:.1f} 个百分点 (约 {people:,.0f} 名{spaced(rule.group_name_zh)}{est})")

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        return f"已知设施的 {rule.threshold_min} 分钟覆盖率 {self.value_zh(rule, finding)}"

    def insufficient_zh(self, rule: Rule, finding: Finding, year: int) -> str | None:
        reason = finding.detail.get("reason")
        if reason == "no_table":
            return (f"未计算覆盖率: 缺少 {rule.threshold_min} 分钟服务范围覆盖率表 (coverage_table); "
                    f"请运行 svcov run 计算服务范围后再检查")
        if reason == "no_row":
            return (f"覆盖率表中没有 {year} 年「{rule.service_name_zh}」{rule.threshold_min} 分钟 ({rule.group_name_zh}, "
                    f"{rule.profile_name_zh}) 的结果 (coverage_table); 请在配置 travel.thresholds_min 中加入 "
                    f"{rule.threshold_min} 并重新计算")
        if reason == "no_population":
            return f"缺少{spaced(rule.group_name_zh)}人数 ({rule.group}): 该街镇没有人口数据, 无法计算覆盖率"
        return None
