"""The report's proposed sites, shown as a separate "if built" scenario: the coverage figures of the other sections
count only the facilities that exist; here the district's coverage is what it would be if the proposed sites were
built. When the plan period is over, the sites are batches for the next years (:mod:`~.plantime`). Sites are named
by their landmark (:mod:`~.landmarks`), never by a grid code.
"""

from __future__ import annotations

import pandas as pd

from .context import fmt_int, fmt_share, service_name
from .document import Bullets, Para, Table
from .reportbase import ReportData, Sections, no_codes

__all__ = ["sites_section", "scenario_sentence", "site_name", "shown_sites"]


def site_name(d: ReportData, site: pd.Series) -> str:
    """The site as documents name it: its own name, or its landmark (:class:`~.landmarks.Landmark`)."""
    mark = d.landmarks.get(str(site["site_id"])) if d.landmarks else None
    return mark.label if mark is not None else str(site["candidate_name"])


def shown_sites(d: ReportData) -> pd.DataFrame:
    """The sites this report shows: every batch after the plan period, else those of the report's year."""
    if d.sites is None or d.sites.empty:
        return d.sites.iloc[0:0] if d.sites is not None else pd.DataFrame()
    sites = d.sites.sort_values(["year", "rank"], kind="stable")
    return sites if d.evaluation else sites[sites["year"] == d.year]


def _types(d: ReportData, sites: pd.DataFrame) -> str:
    return "、".join(dict.fromkeys(service_name(str(t), d.info) for t in sites["type"]))


def _batches(d: ReportData, sites: pd.DataFrame) -> list[tuple[int, int, float, float]]:
    """Per plan year: (year, number of sites, people newly covered, district share if built up to that year)."""
    out = []
    for year, g in sites.groupby("year", sort=True):
        last = g.sort_values("rank").iloc[-1]
        out.append((int(year), len(g), float(g["pop_newly_covered"].sum()), float(last["district_share_after"])))
    return out


def _base(d: ReportData, year: int) -> float:
    """District coverage of ``year`` by the existing facilities (the coverage table)."""
    rows = d.circle[(d.circle["year"] == year) & (d.circle["jiezhen_code"] == "全区")]
    return float(rows["share_covered"].iloc[0]) if len(rows) else float("nan")


def scenario_sentence(d: ReportData, s: Sections, *, refer: bool = True) -> str:
    """One sentence on the proposed sites as a scenario (for the key findings; ``refer``: point to the section)."""
    sites = shown_sites(d)
    if sites is None or sites.empty:
        return f"本次没有 {d.year} 年的建议新增点位。"
    batches = _batches(d, sites)
    last_year, after = batches[-1][0], batches[-1][3]
    counts = [n for _, n, _, _ in batches]
    pace = f"每年 {counts[0]} 处" if len(set(counts)) == 1 else f"各年 {'、'.join(map(str, counts))} 处"
    types, ref = _types(d, sites), (s.ref("sites") if s.has("sites") and refer else "")
    base = _base(d, last_year if d.evaluation else d.year)
    now = f"{last_year} 年现有设施" if d.evaluation else "现有设施"
    # the site table may come from another run than the coverage table: never 「提高到」 a lower figure
    change = (f"将从 {fmt_share(base)} ({now}) 提高到约 {fmt_share(after)}" if after > base
              else f"约为 {fmt_share(after)} ({now}: {fmt_share(base)})")
    if d.evaluation:
        text = (f"规划期已经结束, 本报告按{pace}的节奏提出 {len(batches)} 批共 {len(sites)} 处{types}, 作为 "
                f"{d.timing.site_years_zh(sites['year'].astype(int))}的安排; 如果全部建成, 全区覆盖率{change}")
    else:
        text = (f"建议 {d.year} 年新设 {len(sites)} 处{types}; 如果连同此前各年的建议点位都建成, {d.year} 年全区覆盖率"
                f"{change}")
    return text + f"。这是假设情景, 不是现状{f' (见{ref})' if ref else ''}。"


def _problem(d: ReportData, s: Sections) -> list:
    lines = [no_codes(line.strip()) for line in d.siting_problem.split("\n") if line.strip()]
    reasons = tuple(line.lstrip("- ").strip() for line in lines[1:]) or (lines[0] if lines else "",)
    blocks = [Para(f"本次选址没有完成, 其余结果 (覆盖率、规则检查、地图) 不受影响。{lines[0] if lines else ''}", kind="key"),
              Bullets(reasons)]
    if s.has("data"):
        blocks.append(Para(f"需要调整的选址条件见{s.ref('data')}。", kind="note"))
    return blocks


def _site_table(d: ReportData, sites: pd.DataFrame) -> Table:
    unit = d.info.group_unit_zh
    first = "批次 (建议年份)" if d.evaluation else "排名"
    rows = tuple(((f"{d.timing.batch_zh(int(r['year']))} ({d.timing.site_year(int(r['year']))} 年)" if d.evaluation
                   else str(int(r["rank"]))), site_name(d, r), str(r["jiezhen_name"]),
                  fmt_int(r["pop_newly_covered"]), fmt_share(r["jiezhen_share_after"]))
                 for _, r in sites.iterrows())
    return Table((first, "点位", "街镇", f"新增覆盖 ({unit}{', 估算' if d.e else ''})", "所在街镇覆盖率 (建成后)"), rows,
                 key="sites", numeric=(False, False, False, True, True))


def _batch_table(d: ReportData, sites: pd.DataFrame) -> Table:
    unit = d.info.group_unit_zh
    rows = tuple((d.timing.batch_zh(y), f"{d.timing.site_year(y)} 年", str(n), fmt_int(gain), fmt_share(after))
                 for y, n, gain, after in _batches(d, sites))
    return Table(("批次", "建议年份", "点位 (处)", f"新增覆盖 ({unit})", "全区覆盖率 (前几批都建成后)"), rows,
                 key="site_batches", numeric=(False, False, True, True, True))


def sites_section(d: ReportData, s: Sections) -> list:
    head = s.head("sites", "建议新增点位 (若建成)")
    if d.siting_problem is not None:
        return [head, *_problem(d, s)]
    sites = shown_sites(d)
    if sites is None or sites.empty:
        return [head, Para(f"本次运行没有 {d.year} 年的建议点位。")]
    m, circle = d.minutes, d.info.circle_name_zh
    explain = (f"「新增覆盖」是原来{d.travel} {m} 分钟内没有{circle}、该点建成后能到达的{d.who}人数; 同一批中先列新增最多的"
               f"点位, 后面的点位只计入前面的点位没有覆盖到的人, 所以各行可以相加。「所在街镇覆盖率」假设本批和前面各批的点位"
               f"都已建成。每处点位另有一份选址说明, 写明位置、附近的设施和地点、比较过的其他候选点。")
    blocks = [head, Para(scenario_sentence(d, s, refer=False), kind="key"), Para(explain), _site_table(d, sites)]
    if d.evaluation and sites["year"].nunique() > 1:
        blocks += [Para("各批建成后的全区覆盖率 (假设前面各批都已建成):"), _batch_table(d, sites)]
    return blocks
