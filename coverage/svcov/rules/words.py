"""Small pieces of Chinese wording that every measure's sentences are built from: numbers, shares, lists of names,
the time window of a selection and the noun a target counts."""

from __future__ import annotations

from ..vocabulary import ATTRIBUTE_LABELS_ZH
from .model import Rule, Selection

__all__ = ["num", "pct", "pct_target", "names", "window", "noun", "condition", "SUM_NOUNS_ZH", "CONDITION_ZH"]

#: What a sum of an attribute is counted in.
SUM_NOUNS_ZH = {"capacity_places": "托位"}
#: How a yes/no condition reads in a sentence.
CONDITION_ZH = {("has_nursery_class", True): "开设托班", ("has_nursery_class", False): "未开设托班",
                ("is_demonstration", True): "为示范性机构", ("is_demonstration", False): "不是示范性机构"}
_MAX_NAMES = 5


def num(x: float) -> str:
    """「1,234」 for whole numbers, 「12.5」 otherwise."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def pct(x: float) -> str:
    """A share 0-1 as 「62.3%」."""
    return f"{x:.1%}"


def pct_target(x: float) -> str:
    """A target share: 「90%」, or 「62.5%」 when it is not a whole percent."""
    return f"{x:.0%}" if abs(x * 100 - round(x * 100)) < 1e-9 else f"{x:.1%}"


def names(items: list[str] | tuple[str, ...]) -> str:
    """The first few names joined by 「、」, with 「等 N 个」 when there are more."""
    shown = "、".join(items[:_MAX_NAMES])
    return shown + (f" 等 {len(items)} 个" if len(items) > _MAX_NAMES else "")


def window(rule: Rule, year: int, plan_start: int | None, *, built: bool = False) -> str:
    """「2023 年新增 」, 「2021-2023 年累计新增 」 (or 「… 年新建的」 for shares); empty without ``new_in``."""
    sel = rule.select
    if sel is None or sel.new_in is None:
        return ""
    first = year if sel.new_in == "year" else (plan_start or year)
    years = f"{year} 年" if first >= year else f"{first}-{year} 年"
    if built:
        return f"{years}新建的"
    return f"{years}新增 " if first >= year else f"{years}累计新增 "


def noun(rule: Rule) -> str:
    """What the target counts: 「个普惠性托育点」, 「个托位」."""
    if rule.measure == "sum":
        attr = rule.attribute or ""
        return f"{rule.unit_zh}{SUM_NOUNS_ZH.get(attr, ATTRIBUTE_LABELS_ZH.get(attr, ''))}"
    return f"{rule.unit_zh}{rule.select.what_zh}"


def condition(num_sel: Selection | None) -> str:
    """A ``numerator`` as a condition: 「开设托班」, 「为公办托幼一体园且开设托班」."""
    if num_sel is None:
        return ""
    if num_sel.what_zh and num_sel.what_zh != num_sel.types_zh:
        return num_sel.what_zh
    parts = [f"为{num_sel.types_zh}"] if num_sel.types else []
    parts += [CONDITION_ZH.get((a, v), f"{a}={v}") for a, v in num_sel.where.items()]
    return "且".join(parts)
