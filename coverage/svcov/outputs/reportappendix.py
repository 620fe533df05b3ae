"""The report's last section, 「数据说明与待补充数据」: where the data come from, what the analyst must add (the data-gap
table, each gap once, with what it stops the report from saying and how to add it — here configuration keys and
register columns may be named), and how the numbers are computed. The leadership sections point here instead of
repeating a caveat or a fix in every row.
"""

from __future__ import annotations

from ..vocabulary import MODEL_NAMES_ZH
from .document import Bullets, Heading, Para
from .reportbase import ReportData, Sections, no_codes, tidy

__all__ = ["appendix_section", "source_notes"]

#: Notes of the run that the appendix does not repeat as sources: the siting stage's solver notes (they are in the
#: solver diagnostics table) and the travel model (stated under 计算方法).
_NOT_SOURCES = ("选址", "出行时间")


def source_notes(d: ReportData) -> list[str]:
    """The run's notes on its data (sources, estimates, licences), once each."""
    notes = [tidy(n) for n in d.info.notes if not n.startswith(_NOT_SOURCES)]
    return list(dict.fromkeys(notes))


def _gap_items(d: ReportData) -> tuple[str, ...]:
    if d.gaps is None or d.gaps.empty:
        return ("本次运行没有发现缺少的数据。",)
    items = []
    for _, g in d.gaps.iterrows():
        records = f"涉及 {int(g['n_records'])} 条记录。" if g["n_records"] == g["n_records"] and g["n_records"] else ""
        items.append(f"第 {int(g['gap_no'])} 条 — {g['what_zh']}。{records}影响: {g['affects_zh']}。"
                     f"补充方法: {g['fix_zh']}。")
    return tuple(items)


def _method_items(d: ReportData) -> tuple[str, ...]:
    info = d.info
    items = [f"覆盖率: {d.travel} {d.minutes} 分钟内能到达至少一处{info.circle_name_zh}设施的{d.who}人数 ÷ "
             f"{info.group_name_zh}总数; "
             f"人口按网格或点计, 每个网格按其中心到最近设施的时间判断。",
             f"{d.travel}时间: {info.travel_description_zh}。平均时间按人数加权, 只算能到达设施的{d.who}; 超过 60 分钟的"
             f"写作「60 分钟以上」, 并按 {info.speed_kph:g} 公里/小时折算成路程。"]
    if d.sites is not None and len(d.sites):
        model = d.sites["model"].iloc[0] if "model" in d.sites.columns else ""
        name = no_codes(MODEL_NAMES_ZH.get(str(model), str(model))) if model else "选址模型"
        items.append(f"选址: {name}, 在每年新增点数和街镇布点要求的约束下选点; 候选点、求解过程和是否已证明最优, "
                     f"见运行结果 tables/siting_diagnostics 和 tables/proposed_sites。")
    if d.siting_problem is not None:
        items.append("选址没有完成: tables/siting_diagnostics 的「如何修改」一栏写明要调整的 siting 设置 (每年新增点数、"
                     "候选点、街镇规则或覆盖目标); 也可用 svcov run --skip siting 只更新其余结果。")
    items.append("本报告的所有数字都来自本次运行 tables/ 文件夹中的覆盖表、规则状态表和选址表, 可逐项核对; 待补充数据另见 "
                 "tables/data_gaps。百分比四舍五入到 0.1%, 人数四舍五入到整数, 所以合计可能与分项之和相差 1。")
    return tuple(items)


def appendix_section(d: ReportData, s: Sections) -> list:
    return [s.head("data", "数据说明与待补充数据"),
            Para("本节写给做分析的同事: 数据从哪里来, 还缺哪些数据 (每项只列一次, 前文各节按编号引用), 以及怎样补充。",
                 kind="note"),
            Heading("(一) 数据来源", level=2), Bullets(tuple(source_notes(d)), kind="note"),
            Heading("(二) 待补充的数据", level=2), Bullets(_gap_items(d), kind="note"),
            Heading("(三) 计算方法", level=2), Bullets(_method_items(d), kind="note")]
