"""The report's rule sections: the layout rule per 街镇 (e.g. the childcare plan's 「3个一」, each leg a column when the
rule combines several) and the plan's targets. Rows say what is known and what is missing in the run's words; how
to add what is missing is said once, in the appendix (数据说明与待补充数据), which the rows point to by number.
"""

from __future__ import annotations

import pandas as pd

from . import charts
from .context import DISTRICT_CODE, STATUSES, fmt_value, layout_name
from .datagaps import gap_numbers, missing_zh
from .document import Heading, Image, Para, Table
from .reportbase import ReportData, Sections, tidy
from .reportfindings import part_name

__all__ = ["layout_section", "targets_section", "overall_status", "row_note"]

_RANK = {"未达标": 0, "数据不足": 1, "达标": 2}


def value_text(row: pd.Series) -> str:
    """The measured value as the rule table words it (``value_zh``, e.g. 「1/3 项达标」), else the number."""
    text = row.get("value_zh")
    if text is not None and pd.notna(text) and str(text).strip():
        return str(text)
    return fmt_value(row["value"])


def _tokens(row: pd.Series) -> list[str]:
    value = row.get("missing_fields")
    return [t for t in str(value).split(", ") if t] if value is not None and pd.notna(value) else []


def _see(d: ReportData, s: Sections, tokens: list[str]) -> str:
    numbers = gap_numbers(d.gaps)
    found = sorted({numbers[t] for t in tokens if t in numbers})
    if not found or not s.has("data"):
        return ""
    return f" (见{s.ref('data')}第 {'、'.join(map(str, found))} 条)"


def row_note(d: ReportData, s: Sections, row: pd.Series) -> str:
    """What a planner reads in the 「说明」 cell: the shortfall, or what data are missing (no keys, no fixes)."""
    status = str(row["status"])
    gap = str(row["gap_zh"]) if pd.notna(row.get("gap_zh")) and str(row.get("gap_zh")) else ""
    if status == "数据不足":
        what = missing_zh(_tokens(row), d.info)
        return (f"无法判断: 缺{'、'.join(what)}" + _see(d, s, _tokens(row))) if what else "无法判断"
    if status == "未达标":
        return tidy(gap) or "未达标"
    return tidy(gap) or "—"


def overall_status(statuses: pd.Series) -> str:
    if (statuses == "达标").all():
        return "达标"
    return "未达标" if (statuses == "未达标").any() else "数据不足"


def _part_cell(row: pd.Series | None) -> str:
    if row is None:
        return "—"
    value = value_text(row)
    known = "已知 " if row["status"] == "数据不足" and not value.startswith("已知") else ""
    return f"{row['status']} ({known}{value})"


def _layout_rows(d: ReportData, s: Sections, rows: pd.DataFrame) -> Table:
    parts = [p for p in d.info.layout_parts if (d.rules["rule_id"] == p).any()]
    if not parts:
        return Table(("街镇", "状态", "现状", "说明"), tuple(
            (str(r["jiezhen_name"]), str(r["status"]), value_text(r), row_note(d, s, r)) for _, r in rows.iterrows()),
            key="layout")
    now = d.rules[(d.rules["year"] == d.year) & (d.rules["rule_id"].isin(parts))].set_index(["rule_id", "jiezhen_code"])
    labels = [part_name(now.loc[p, "label_zh"].iloc[0]) if p in now.index.get_level_values(0) else p for p in parts]
    body = tuple((str(r["jiezhen_name"]), str(r["status"]),
                  *[_part_cell(now.loc[(p, code)] if (p, code) in now.index else None) for p in parts])
                 for code, r in rows.set_index("jiezhen_code").iterrows())
    return Table(("街镇", "状态", *labels), body, key="layout")


def _missing_once(d: ReportData, s: Sections, rows: pd.DataFrame) -> str:
    """The data every 数据不足 row lacks, said once above the table."""
    short = rows[rows["status"] == "数据不足"]
    if short.empty:
        return ""
    tokens = [t for _, r in short.iterrows() for t in _tokens(r)]
    common = [t for t in dict.fromkeys(tokens) if all(t in _tokens(r) for _, r in short.iterrows())]
    what = missing_zh(common, d.info)
    who = "全部" if len(short) == len(rows) else f"其中 {len(short)} 个"
    return (f"{who}街镇为「数据不足」" + (f", 都缺{'、'.join(what)}{_see(d, s, common)}" if what else "")
            + "; 下表列出每一项已知的情况。")


def layout_section(d: ReportData, s: Sections) -> list:
    name = layout_name(d.rules, d.info)
    rows = d.rules[(d.rules["rule_id"] == d.layout) & (d.rules["year"] == d.year)
                   & (d.rules["jiezhen_code"] != DISTRICT_CODE)]
    rows = rows.assign(_order=rows["status"].map(_RANK).fillna(3)).sort_values(["_order", "jiezhen_name"])
    first = rows.iloc[0] if len(rows) else None
    need = f"规划要求 ({first['clause']}): {tidy(first['target_zh'])}。" if first is not None else ""
    blocks = [s.head("layout", f"{name}布局"), Para(
        f"{need}下表列出 {d.year} 年各街镇的状态, 「未达标」的排在前面。「数据不足」表示现有数据既不能证明达标, "
        f"也不能证明未达标, 不等于未达标。{_missing_once(d, s, rows)}"), _layout_rows(d, s, rows)]
    status_now = rows.set_index("jiezhen_code")["status"]
    blocks.append(Image(charts.status_map(d.boundaries, status_now, title=f"{d.year} 年{name}布局"),
                        f"图 {s.fig()}: 各街镇{name}状态 (颜色和底纹区分, 黑白打印也可辨认); 状态同上表。", width_cm=14))
    all_rows = d.rules[(d.rules["rule_id"] == d.layout) & (d.rules["jiezhen_code"] != DISTRICT_CODE)]
    counts = {int(y): g["status"].value_counts() for y, g in all_rows.groupby("year")}
    frame = pd.DataFrame({y: counts[y] for y in sorted(counts)}).T.fillna(0)
    if len(frame) >= 2 and not (frame.nunique() <= 1).all():
        blocks.append(Image(charts.status_counts_chart(frame, title=f"{name}各状态的街镇数"),
                            f"图 {s.fig()}: 规划各年{name}达标、未达标、数据不足的街镇数。", width_cm=13))
    elif len(frame) >= 2:
        same = "、".join(f"{st} {int(frame.iloc[-1].get(st, 0))} 个" for st in STATUSES)
        blocks.append(Para(f"规划各年各状态的街镇数相同 ({same})。",
                           kind="note"))
    return blocks


def targets_section(d: ReportData, s: Sections) -> list:
    now = d.rules[d.rules["year"] == d.year]
    district = now[now["jiezhen_code"] == DISTRICT_CODE]
    per_jz = now[now["jiezhen_code"] != DISTRICT_CODE]
    plan = f"《{d.info.plan_name_zh}》" if d.info.plan_name_zh else "规则文件"
    blocks = [s.head("targets", "规划目标检查"), Para(
        f"下表逐条列出{plan}中的目标在 {d.year} 年的状态。全区目标给出计量值; 按街镇检查的目标给出各状态的街镇数, "
        f"全部街镇达标才算「达标」, 有街镇未达标即为「未达标」, 其余为「数据不足」。「说明」一栏写出还差什么, "
        f"或者缺哪些数据。")]
    rows = []
    for _, r in district.iterrows():
        rows.append((str(r["clause"]), str(r["label_zh"]), tidy(r["target_zh"]), "全区", value_text(r),
                     str(r["status"]), row_note(d, s, r)))
    for _, g in per_jz.groupby("rule_id", sort=False):
        counts = g["status"].value_counts()
        status = overall_status(g["status"])
        note = "各街镇见附表"
        if (g["status"] == "数据不足").all():
            note = row_note(d, s, g.iloc[0]) if g["missing_fields"].nunique() == 1 else "各街镇都无法判断, 见附表"
        rows.append((str(g["clause"].iloc[0]), str(g["label_zh"].iloc[0]), tidy(g["target_zh"].iloc[0]),
                     f"{len(g)} 个街镇", "; ".join(f"{st} {int(counts.get(st, 0))}" for st in STATUSES),
                     status, note))
    blocks.append(Table(("条款", "目标", "要求", "范围", "现状", "状态", "说明"), tuple(rows), key="targets"))
    return blocks + _rule_appendix(d, per_jz)


def _rule_appendix(d: ReportData, per_jz: pd.DataFrame) -> list:
    if per_jz.empty:
        return []
    labels = list(dict.fromkeys(per_jz["label_zh"].astype(str)))
    wide = per_jz.pivot_table(index="jiezhen_name", columns="label_zh", values="status", aggfunc="first")
    rows = tuple((str(name), *[str(wide.loc[name].get(lb, "—")) for lb in labels]) for name in wide.index)
    return [Heading("附表: 各街镇各项目标的状态", level=2),
            Para(f"{d.year} 年每个街镇在每条按街镇检查的目标下的状态; 每一格的详细说明见随报告提供的规则状态表 (Excel)。"),
            Table(("街镇", *labels), rows, key="rules_by_jiezhen")]
