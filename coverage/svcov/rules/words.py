"""Small pieces of Chinese wording that every measure's sentences are built from: numbers, shares, lists of names,
the time window of a selection and the noun a target counts."""

from __future__ import annotations

from .model import Rule, Selection

__all__ = ["num", "pct", "pct_target", "names", "window", "noun", "condition", "spaced"]

_MAX_NAMES = 5


def spaced(text: str) -> str:
    """``text`` with a space before it when it starts with a digit or Latin letter (「的 0-3 岁儿童」, 「的老人」)."""
    return f" {text}" if text[:1].isascii() and text[:1].isalnum() else text


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
    """What the target counts: 「个日间照料中心」, 「张床位」 (a sum: the attribute's unit and noun from the type
    file, unless the rule gives ``unit_zh``)."""
    if rule.measure == "sum":
        return rule.attribute_amount_zh or f"{rule.unit_zh}{rule.attribute or ''}"
    return f"{rule.unit_zh}{rule.select.what_zh}"


def condition(num_sel: Selection | None) -> str:
    """A ``numerator`` as a condition: 「开设托班」, 「为日间照料中心且设康复室」 (words from the type file)."""
    if num_sel is None:
        return ""
    if num_sel.what_zh and num_sel.what_zh != num_sel.types_zh:
        return num_sel.what_zh
    parts = [f"为{num_sel.types_zh}"] if num_sel.types else []
    if num_sel.where_zh:
        parts.append(num_sel.where_zh)
    return "且".join(parts)
