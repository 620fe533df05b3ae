"""Measures that count: facilities open in the year (``count``) and the sum of a numeric attribute the type file
declares over them (``sum``, e.g. capacity: 托位, 床位)."""

from __future__ import annotations

import math

from ..fields import RuleReader, unknown_field
from ..model import Rule
from ..words import noun, num, window
from .base import EPS, Context, Finding, Measure, count_parts, membership, register

__all__ = ["Count", "Sum"]

_SELECTION_KEYS = frozenset({"types", "what_zh", "unit_zh", "where", "new_in"})


def amount_zh(rule: Rule, year: int) -> str:
    """The target's amount: 「≥5」, 「5-7」 or 「5」 (when the plan's upper figure equals the target)."""
    lo, hi = rule.min_for(year), rule.maximum
    if hi is not None and hi > lo:
        return f"{num(lo)}-{num(hi)}"
    return num(lo) if hi == lo else f"≥{num(lo)}"


@register
class Count(Measure):
    """Facilities of some types open in the year (optionally new in the year or the plan, or matching ``where``),
    against ``min`` (and an optional upper figure ``max``)."""

    name = "count"
    keys = _SELECTION_KEYS | {"min", "max"}
    required = ("types", "min")
    target = "count"

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        target = rule.min_for(ctx.year)
        parts = count_parts(rule.select, ctx, code)
        return Finding(value=float(parts["low"]), low=parts["low"], high=parts["high"],
                       missing=parts["missing"] if parts["low"] != parts["high"] else (),
                       estimate_if_pass=parts["firm"] < target - EPS, estimate_if_not=parts["estimate_if_not"],
                       detail={"fields": parts["fields"], "state": parts["state"]})

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        return f"{window(rule, year, plan_start)}{amount_zh(rule, year)} {noun(rule)}"

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        return f"{num(finding.value)} {rule.unit_zh}"

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        short = math.ceil(rule.min_for(year) - finding.value - EPS)
        if rule.select.new_in == "year":
            return f"{year} 年还需新增 {num(short)} {noun(rule)}"
        if rule.select.new_in == "plan":
            return f"还需新增 {num(short)} {noun(rule)}"
        return f"缺 {num(short)} {noun(rule)}"

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        return f"已知 {self.value_zh(rule, finding)}"


@register
class Sum(Measure):
    """Sum of a numeric attribute the type file declares (e.g. ``capacity``) over the selected facilities."""

    name = "sum"
    keys = _SELECTION_KEYS | {"attribute", "min", "max"}
    required = ("types", "attribute", "min")

    def parse(self, m: dict, reader: RuleReader) -> dict:
        attribute, vocab = m.get("attribute"), reader.vocabulary
        found = vocab.attribute(attribute)
        if attribute is not None and (found is None or not found.is_number):
            unknown_field(m, "attribute", attribute, vocab.numbers, reader.p, reader.where,
                          declared=vocab.flags)
        amount = ""
        if found is not None:
            amount = f"{m['unit_zh']}{found.noun_zh or found.label_zh}" if "unit_zh" in m else found.amount_zh()
        return {"select": reader.selection(m), "attribute": None if attribute is None else str(attribute),
                "attribute_amount_zh": amount}

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        sel, attr = rule.select, rule.attribute
        frame = ctx.candidates(sel, code)
        certain, uncertain, fields = membership(frame, sel, ctx)
        state = ctx.state(sel.types)
        values = frame[attr].astype("Float64")
        known = values.notna().to_numpy(dtype=bool)
        member = (certain | uncertain).to_numpy(dtype=bool)
        lacking = member & ~known
        sure = certain.to_numpy(dtype=bool) & known
        low = float(values[sure].sum())
        estimated = ctx.estimated.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)
        firm = float(values[sure & ~estimated].sum())
        high = float(values[member].sum()) if state.complete and not lacking.any() else math.inf
        if lacking.any():
            fields = {**fields, attr: int(lacking.sum())}
        missing = tuple(fields) + state.tokens
        return Finding(value=low, low=low, high=high, missing=missing if low != high else (),
                       estimate_if_pass=firm < rule.min_for(ctx.year) - EPS,
                       estimate_if_not=ctx.any_estimate(ctx.in_unit(ctx.open, code)),
                       detail={"fields": fields, "state": state})

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        return f"{window(rule, year, plan_start)}{amount_zh(rule, year)} {noun(rule)}"

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        return f"{num(finding.value)} {noun(rule)}"

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        short = rule.min_for(year) - finding.value
        verb = "还需新增" if rule.select.new_in else "还缺"
        return f"{verb} {num(math.ceil(short - EPS))} {noun(rule)}"

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        return f"已知 {self.value_zh(rule, finding)}"
