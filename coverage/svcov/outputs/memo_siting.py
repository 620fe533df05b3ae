"""Memo content about the plan as a whole: what the site is (new, or a conversion of an existing facility), which
service its coverage counts, its places, and the phasing it was chosen under with the other option in numbers.

Renders the proposed-site row (the leg columns of :mod:`svcov.siting.plan_tables`: ``leg_name_zh``, ``action``,
``service_name_zh``, ``places_new``, ``places_source_zh``, ``places_is_estimate``) and the plan's ``phasing`` and
``places`` tables handed in as ``plan``; a row without those columns reads as before (a new site of the circle's
service).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .context import RunInfo, est, fmt_int, fmt_share, service_name
from .document import Bullets, Heading

__all__ = ["action_words", "proposal_sentence", "site_service_zh", "index_prefix", "plan_blocks"]


def _text(site: pd.Series, key: str) -> str:
    value = site.get(key)
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _is_conversion(site: pd.Series) -> bool:
    return _text(site, "action") == "conversion"


def action_words(site: pd.Series, info: RunInfo) -> str:
    """「新设普惠性托育点」 or 「改建为公办托幼一体园」 (subtitles)."""
    type_zh = service_name(str(site["type"]), info)
    return f"改建为{type_zh}" if _is_conversion(site) else f"新设{type_zh}"


def proposal_sentence(site: pd.Series, info: RunInfo) -> str:
    """The memo's first sentence, without its year and rank."""
    name, jz = str(site["candidate_name"]), str(site["jiezhen_name"])
    type_zh = service_name(str(site["type"]), info)
    if _is_conversion(site):
        return f"建议{jz}的「{name}」利用现有设施改建为{type_zh}"
    return f"建议在{jz}「{name}」新设{type_zh}"


def site_service_zh(site: pd.Series, info: RunInfo) -> str:
    """The service whose coverage the site's numbers count (the circle's unless its leg counts another)."""
    return _text(site, "service_name_zh") or info.circle_name_zh


def index_prefix(site: pd.Series) -> str:
    """「[公办幼儿园开设托班] 」 before a memo's link in the index, for the legs other than new sites."""
    leg = _text(site, "leg_name_zh")
    return f"[{leg}] " if leg and (_is_conversion(site) or _text(site, "service_name_zh")) else ""


def _capacity_words(info: RunInfo) -> tuple[str, str]:
    """(noun, counting word) of the capacity: 「托位」「个」, 「床位」「张」; 「容量」「个」 without one."""
    cap = info.capacity
    return ((cap.noun_zh or cap.label_zh), cap.unit_zh) if cap else ("容量", "个")


def _when(year: int, timing) -> str:
    """The year of a site's batch as a sentence names it: 「2023 年」, after the plan period 「第一批 (2027 年)」."""
    if timing is not None and timing.is_over:
        return f"{timing.batch_zh(year)} ({timing.site_year(year)} 年)"
    return f"{int(year)} 年"


def plan_blocks(site: pd.Series, *, info: RunInfo, plan: Mapping | None = None, timing=None) -> list:
    """「八、布局环节、托位与分期」: the leg, the action, the places and their source, and the phasing."""
    if not _text(site, "leg_name_zh"):
        return []
    noun, unit = _capacity_words(info)
    items = [f"布局环节: {_text(site, 'leg_name_zh')}; 方式: {_text(site, 'action_zh') or '新建'}; 覆盖按"
             f"「{site_service_zh(site, info)}」计算。"]
    places = site.get("places_new")
    if places is not None and pd.notna(places):
        estimate = " (估算)" if bool(site.get("places_is_estimate", True)) else ""
        items.append(f"新增{noun}: {fmt_int(places)} {unit}{estimate}; 来源: {_text(site, 'places_source_zh')}。")
        items += _place_target(site, plan, noun, unit, timing)
    else:
        items.append(f"该环节的设施不提供{noun} (不计入{noun}目标)。")
    items += _phasing(site, info, plan, timing)
    return [Heading(f"八、布局环节、{noun}与分期方式"), Bullets(tuple(items))]


def _place_target(site: pd.Series, plan: Mapping | None, noun: str, unit: str, timing) -> list[str]:
    places = None if plan is None else plan.get("places")
    if places is None or not len(places) or "target_places" not in places.columns:
        return []
    total = places[(places["leg"] == "全部") & (places["year"] == site["year"])]
    if total.empty:
        return []
    t = total.iloc[0]
    return [f"截至{_when(int(site['year']), timing)}, 各环节累计新增{noun}约 {fmt_int(t['places_cumulative'])} {unit}, "
            f"规划目标 "
            f"{fmt_int(t['target_places'])} {unit} (完成 {fmt_share(t['share_of_target'], 0)})。"]


def _phasing(site: pd.Series, info: RunInfo, plan: Mapping | None, timing=None) -> list[str]:
    table = None if plan is None else plan.get("phasing")
    if table is None or not len(table) or _text(site, "leg") != (plan or {}).get("main_leg"):
        return []
    chosen = table.loc[table["chosen"], "phasing_zh"].iloc[0]
    e = est(info.population_is_estimate)
    by = {p: g.set_index("year") for p, g in table.groupby("phasing")}
    if not {"efficiency", "equity"} <= set(by):
        return [f"分期方式: {chosen}。"]
    eff, eq = by["efficiency"], by["equity"]
    first = eff.index.min()
    lost = eff["pop_covered"].sum() - eq["pop_covered"].sum()
    return [f"分期方式: 本方案采用{chosen}。两种方式在各批合计覆盖的{info.who}: 效率优先 "
            f"{fmt_int(eff['pop_covered'].sum())} 人次、公平优先 {fmt_int(eq['pop_covered'].sum())} 人次{e} (相差 "
            f"{fmt_int(lost)}); {_when(int(first), timing)}覆盖率为 0 的街镇: 效率优先 "
            f"{int(eff.loc[first, 'n_jiezhen_zero'])} 个、公平优先 {int(eq.loc[first, 'n_jiezhen_zero'])} 个。"]
