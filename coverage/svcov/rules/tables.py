"""Views of the rule-status table for people: the 街镇 × rule pivot of one year (for the yearly report), the
summary per rule (how many 街镇 pass), the text ``svcov check`` prints, Chinese headers and notes.

All functions take the frame of :func:`svcov.rules.evaluate.evaluate_rules` and return new frames or text.
"""

from __future__ import annotations

import pandas as pd

from ..vocabulary import DISTRICT_CODE, DISTRICT_NAME_ZH, FAIL, INSUFFICIENT, PASS, SCOPE_ZH
from .spec import RuleSet

__all__ = ["RULE_STATUS_LABELS_ZH", "RULE_SUMMARY_LABELS_ZH", "rule_pivot", "rule_summary", "rule_progress",
           "status_text", "rule_notes", "ESTIMATE_MARK"]

#: Chinese headers of the rule-status table (``write_table(labels=...)``).
RULE_STATUS_LABELS_ZH = {"rule_id": "规则编号", "label_zh": "规则", "clause": "规划条款", "scope": "范围",
                         "year": "年份", "measure": "指标", "value": "数值", "value_zh": "现状", "target": "目标值",
                         "target_zh": "目标", "status": "状态", "gap_zh": "差距 / 需补充的数据",
                         "missing_fields": "缺少的数据 (字段)", "based_on_estimate": "依据估算"}

#: Chinese headers of :func:`rule_summary`.
RULE_SUMMARY_LABELS_ZH = {"rule_id": "规则编号", "label_zh": "规则", "clause": "规划条款", "scope": "范围",
                          "year": "年份", "n_units": "检查单元数", "n_pass": "达标", "n_fail": "未达标",
                          "n_insufficient": "数据不足", "n_pass_estimate": "其中达标依据估算"}

#: Appended to a status that rests on estimates (types inferred from names, estimated population...).
ESTIMATE_MARK = "*"


def _cell(row: pd.Series) -> str:
    mark = ESTIMATE_MARK if row["based_on_estimate"] else ""
    return f"{row['status']}{mark}: {row['value_zh']}"


def _columns(status: pd.DataFrame) -> dict[str, str]:
    """Rule id → pivot column header (the label, made unique with the id if two rules share a label)."""
    rules = status.drop_duplicates("rule_id")[["rule_id", "label_zh"]]
    repeated = set(rules["label_zh"][rules["label_zh"].duplicated(keep=False)])
    return {r: (f"{label} [{r}]" if label in repeated else label) for r, label in zip(rules["rule_id"],
                                                                                       rules["label_zh"])}


def rule_pivot(status: pd.DataFrame, year: int) -> pd.DataFrame:
    """One year's status as a 街镇 × rule table, for the yearly report.

    Parameters
    ----------
    status
        From :func:`~svcov.rules.evaluate.evaluate_rules`.
    year
        The year to show.

    Returns
    -------
    DataFrame
        ``jiezhen_code``, ``jiezhen_name``, then one column per rule (headed by its label) holding
        「达标: 2 所」, 「数据不足*: 0 个」 …; ``*`` marks a status that rests on estimates. 街镇 rows first, then the
        district row (``jiezhen_code == "全区"``), which for per-街镇 rules says how many 街镇 pass
        (「12/17 个街镇达标」). Cells of rules that do not apply to a row are empty.
    """
    one = status[status["year"] == year]
    headers = _columns(one)
    units = one[["jiezhen_code", "jiezhen_name"]].drop_duplicates("jiezhen_code")
    district = units[units["jiezhen_code"] == DISTRICT_CODE]
    units = pd.concat([units[units["jiezhen_code"] != DISTRICT_CODE].sort_values("jiezhen_code"), district])
    if district.empty:
        units = pd.concat([units, pd.DataFrame({"jiezhen_code": [DISTRICT_CODE], "jiezhen_name": [DISTRICT_NAME_ZH]})])
    out = units.reset_index(drop=True)
    for rule_id, header in headers.items():
        rows = one[one["rule_id"] == rule_id].set_index("jiezhen_code")
        cells = rows.apply(_cell, axis=1) if len(rows) else pd.Series(dtype=object)
        column = out["jiezhen_code"].map(cells).fillna("")
        if DISTRICT_CODE not in rows.index and len(rows):
            n_pass = int((rows["status"] == PASS).sum())
            column[out["jiezhen_code"] == DISTRICT_CODE] = f"{n_pass}/{len(rows)} 个街镇达标"
        out[header] = column.to_numpy()
    return out


def rule_summary(status: pd.DataFrame) -> pd.DataFrame:
    """How many units pass, fail or lack data, per rule and year.

    Returns
    -------
    DataFrame
        ``rule_id``, ``label_zh``, ``clause``, ``scope``, ``year``, ``n_units``, ``n_pass``, ``n_fail``,
        ``n_insufficient``, ``n_pass_estimate`` (passes that rest on estimates); in the order of ``status``.
        A rule checked per 街镇 and for the district has one row per scope.
    """
    keys = ["rule_id", "label_zh", "clause", "scope", "year"]
    flags = status.assign(n_pass=status["status"] == PASS, n_fail=status["status"] == FAIL,
                          n_insufficient=status["status"] == INSUFFICIENT,
                          n_pass_estimate=(status["status"] == PASS) & status["based_on_estimate"].astype(bool))
    grouped = flags.groupby(keys, sort=False)
    out = grouped[["n_pass", "n_fail", "n_insufficient", "n_pass_estimate"]].sum().astype("int64")
    out.insert(0, "n_units", grouped.size().astype("int64"))
    return out.reset_index()


def rule_progress(status: pd.DataFrame) -> pd.DataFrame:
    """Year over year, one row per rule and scope: how many 街镇 pass (or the district's status) in each year.

    Returns
    -------
    DataFrame
        ``label_zh``, ``clause``, ``scope``, then one column per year (``"2021"``, ``"2022"``, …) holding
        「12/17 个街镇达标 (5 个数据不足)」 for per-街镇 rules and 「达标*: 6 个」 for district rules; in rule order.
    """
    summary = rule_summary(status)
    district = status[status["scope"] == SCOPE_ZH["district"]].set_index(["rule_id", "year"])
    rows: dict[tuple, dict] = {}
    for _, s in summary.iterrows():
        key = (s["rule_id"], s["scope"])
        row = rows.setdefault(key, {"label_zh": s["label_zh"], "clause": s["clause"], "scope": s["scope"]})
        if s["scope"] == SCOPE_ZH["district"]:
            text = _cell(district.loc[(s["rule_id"], s["year"])])
        else:
            text = f"{s['n_pass']}/{s['n_units']} 个街镇达标"
            extra = [f"{s['n_fail']} 个未达标"] * bool(s["n_fail"]) + [f"{s['n_insufficient']} 个数据不足"] * bool(
                s["n_insufficient"])
            text += f" ({', '.join(extra)})" if extra else ""
        row[str(s["year"])] = text
    return pd.DataFrame(list(rows.values())).fillna("")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def status_text(status: pd.DataFrame, year: int, *, title: str = "") -> str:
    """The table ``svcov check`` prints: the summary per rule, then every 街镇 that does not pass, with its gap.

    街镇 with the same status and the same gap are listed together on one line.
    """
    one = status[status["year"] == year]
    summary = rule_summary(one)
    label_w = max([_width("规则")] + [_width(s) for s in summary["label_zh"]]) + 2
    clause_w = max([_width("规划条款")] + [_width(s) for s in summary["clause"]]) + 2
    lines = [title or f"{year} 年布局规则检查", "",
             _pad("规则", label_w) + _pad("规划条款", clause_w) + _pad("范围", 6) + "达标  未达标  数据不足"]
    for _, s in summary.iterrows():
        lines.append(_pad(s["label_zh"], label_w) + _pad(s["clause"], clause_w) + _pad(s["scope"], 6)
                     + f"{s['n_pass']:>4}  {s['n_fail']:>6}  {s['n_insufficient']:>8}"
                     + (f"   (其中 {s['n_pass_estimate']} 个达标依据估算{ESTIMATE_MARK})" if s["n_pass_estimate"] else ""))
    lines += ["", "未达标与数据不足的明细 (details of what is not met):"]
    for rule_id in one["rule_id"].unique():
        rows = one[(one["rule_id"] == rule_id) & (one["status"] != PASS)]
        if rows.empty:
            continue
        first = rows.iloc[0]
        lines.append(f"【{first['label_zh']}】「{first['clause']}」 目标: {first['target_zh']}")
        for (state, gap), group in rows.groupby(["status", "gap_zh"], sort=False):
            names = "、".join(group["jiezhen_name"])
            lines.append(f"  {state}: {names}")
            lines.append(f"      {gap}")
    lines += ["", f"{ESTIMATE_MARK} 依据估算: 设施类型按名称推断、人口为估算值或未加载路网时, 结果需核实。",
              "数据不足: 现有数据既不能证明达标, 也不能证明未达标; 按所列字段或名册补充数据后重新检查。"]
    return "\n".join(lines)


def rule_notes(rules: RuleSet) -> list[str]:
    """Lines for the 「说明」 sheet: the plan, what the statuses mean, and every rule with its clause and wording."""
    notes = [f"规划: {rules.plan_name_zh}" if rules.plan_name_zh else "规划: (规则文件未写名称)",
             f"规则文件: {rules.path}",
             "达标: 现有数据足以证明达到目标。未达标: 现有数据足以证明没有达到目标。"
             "数据不足: 现有数据既不能证明达标也不能证明未达标 (例如来源不是完整名册、缺少字段、未加载某类设施), "
             "「缺少的数据」列写明需要补充什么。",
             f"「依据估算」为「是」(透视表中标 {ESTIMATE_MARK}): 结果依赖按名称推断的设施类型、估算的人口或直线距离估算, 请核实。",
             "各年份只计当年开办且未关闭的设施 (开办年份 ≤ 该年 < 关闭年份; 开办年份为空视为早已开办)。"]
    for rule in rules.rules:
        text = f"[{rule.id}] {rule.label_zh} 「{rule.clause}」"
        if rule.source_zh:
            text += f" 规划原文: “{rule.source_zh}”"
        if rule.note_zh:
            text += f" 说明: {rule.note_zh}"
        notes.append(text)
    return notes
