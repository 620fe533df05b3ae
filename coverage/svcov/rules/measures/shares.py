"""Measures that are shares: of the selected facilities that meet a condition (``share``), and of the 街镇 that have
enough of them (``share_of_jiezhen``, district only)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...yamlio import check_keys, line_of
from ..fields import RuleReader
from ..model import Rule, Selection
from ..words import condition, names, pct, pct_target, window
from .base import Context, Finding, Measure, condition_met, count_parts, membership, register

__all__ = ["Share", "ShareOfJiezhen"]

_SELECTION_KEYS = frozenset({"types", "what_zh", "unit_zh", "where", "new_in"})


def _numerator(frame: pd.DataFrame, num_sel: Selection) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Per record: meets the numerator (True), does not (False), unknown (NA); and fields that are unknown."""
    yes = np.ones(len(frame), dtype=bool)
    no = np.zeros(len(frame), dtype=bool)
    if num_sel.types:
        in_types = frame["type"].isin(num_sel.types).fillna(False).to_numpy(dtype=bool)
        yes &= in_types
        no |= ~in_types
    fields = {}
    for attr, wanted in num_sel.where.items():
        meets, unknown = condition_met(frame, attr, wanted)
        yes &= meets
        no |= ~meets & ~unknown
        na = unknown & ~no
        if na.any():
            fields[attr] = int(na.sum())
    return yes, no, fields


@register
class Share(Measure):
    """Share of the selected facilities that also meet a ``numerator`` condition (types and/or yes/no attributes).

    Bounds: the lowest share counts unknown numerator values as "no" and adds the possible members that are not
    known to say "yes"; the highest does the opposite. No member at all is a vacuous pass (nothing to check).
    """

    name = "share"
    keys = _SELECTION_KEYS | {"numerator", "min"}
    required = ("types", "numerator", "min")
    target = "share"

    def parse(self, m: dict, reader: RuleReader) -> dict:
        out: dict = {"select": reader.selection(m)}
        num_raw, p, where = m.get("numerator"), reader.p, reader.where
        if num_raw is not None and not isinstance(num_raw, dict):
            p.add(f"{where}: numerator 应是映射 (types 和/或 where)。", "numerator must be a mapping (types and/or where)",
                  row=line_of(m, "numerator"), column="numerator", value=num_raw)
        elif isinstance(num_raw, dict):
            check_keys(num_raw, {"types", "where", "what_zh"}, f"{where}.numerator", p)
            if "types" not in num_raw and "where" not in num_raw:
                p.add(f"{where}: numerator 至少要有 types 或 where。", "numerator needs types or where",
                      row=line_of(num_raw), column="numerator")
            out["numerator"] = reader.selection(num_raw, allow_new=False, where=f"{where}.numerator")
        return out

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        sel = rule.select
        frame = ctx.candidates(sel, code)
        certain, uncertain, fields = membership(frame, sel, ctx)
        state = ctx.state(sel.types)
        members = frame[certain.to_numpy(dtype=bool)]
        yes, no, num_fields = _numerator(members, rule.numerator)
        maybe = frame[uncertain.to_numpy(dtype=bool)]
        yes_maybe, no_maybe, maybe_fields = _numerator(maybe, rule.numerator)
        n, t = len(members), int(yes.sum())
        u = n - t - int(no.sum())
        if not state.complete:
            low, high = 0.0, 1.0
        else:
            low_den, high_add = n + int((~yes_maybe).sum()), int((~no_maybe).sum())
            low = t / low_den if low_den else 1.0
            high = (t + u + high_add) / (n + high_add) if n + high_add else 1.0
        for f, k in maybe_fields.items():
            num_fields[f] = num_fields.get(f, 0) + k
        fields = {**fields, **num_fields}
        est = ctx.any_estimate(members) or ctx.any_estimate(maybe)
        return Finding(value=t / n if n else math.nan, low=low, high=high,
                       missing=(tuple(fields) + state.tokens) if low != high else (),
                       estimate_if_pass=est, estimate_if_not=est,
                       detail={"fields": fields, "state": state, "n": n, "t": t, "u": u,
                               "names_no": members.loc[no, "name"].astype(str).tolist(), "n_uncertain": len(maybe)})

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        lo = rule.min_for(year)
        head = f"{window(rule, year, plan_start, built=True)}{rule.select.what_zh}"
        cond = condition(rule.numerator)
        return f"{head}全部{cond}" if lo >= 1 else f"{head}中{cond}的占比 ≥{pct_target(lo)}"

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        d = finding.detail
        if d.get("n"):
            return f"{pct(finding.value)} ({d['t']}/{d['n']})"
        if d.get("n_uncertain"):
            return f"{d['n_uncertain']} {rule.unit_zh}{rule.select.what_zh}是否计入未知"
        return f"无{rule.select.what_zh}"

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        d, target = finding.detail, rule.min_for(year)
        cond, what = condition(rule.numerator), rule.select.what_zh
        listed = names(d["names_no"])
        if target >= 1:
            return f"{len(d['names_no'])} {rule.unit_zh}{what}未{cond}: {listed}"
        need = math.ceil(target * d["n"] - d["t"] - 1e-9)
        return (f"占比 {pct(finding.value)}, 距目标 {pct_target(target)} 还差 {(target - finding.value) * 100:.1f} "
                f"个百分点: 还需 {need} {rule.unit_zh}{what}{cond}" + (f" (尚未{cond}的: {listed})" if listed else ""))

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        if finding.detail.get("n"):
            return f"已知记录中占比 {self.value_zh(rule, finding)}"
        return f"已知记录中没有确定为 {window(rule, year, plan_start, built=True)}{rule.select.what_zh}"

    def pass_note_zh(self, rule: Rule, finding: Finding) -> str:
        return "" if finding.detail.get("n") else f"没有{rule.select.what_zh}, 无需检查"


@register
class ShareOfJiezhen(Measure):
    """District only: share of 街镇 that have at least ``per_jiezhen_min`` selected facilities."""

    name = "share_of_jiezhen"
    keys = _SELECTION_KEYS | {"per_jiezhen_min", "min"}
    required = ("types",)
    target = "share"
    default_min = 1.0
    district_only = True

    def parse(self, m: dict, reader: RuleReader) -> dict:
        k = m.get("per_jiezhen_min", 1)
        if not (isinstance(k, int) and not isinstance(k, bool) and k >= 1):
            reader.p.add(f"{reader.where}: per_jiezhen_min 应是 ≥1 的整数。", "per_jiezhen_min must be a whole number ≥ 1",
                         row=line_of(m, "per_jiezhen_min"), column="per_jiezhen_min", value=k)
            k = 1
        return {"select": reader.selection(m), "per_jiezhen_min": k}

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        k = rule.per_jiezhen_min
        covered, lacking, unknown = [], [], []
        fields: dict[str, int] = {}
        missing: list[str] = []
        estimate_pass = False
        state = ctx.state(rule.select.types)
        for jcode, jname in zip(ctx.units["jiezhen_code"], ctx.units["jiezhen_name"]):
            parts = count_parts(rule.select, ctx, jcode)
            if parts["low"] >= k:
                covered.append(jname)
                estimate_pass |= parts["firm"] < k
            elif parts["high"] < k:
                lacking.append(jname)
            else:
                unknown.append(jname)
                missing += [m for m in parts["missing"] if m not in missing]
                for f, n in parts["fields"].items():
                    fields[f] = fields.get(f, 0) + n
        n = len(ctx.units)
        low = len(covered) / n if n else math.nan
        high = (n - len(lacking)) / n if n else math.nan
        return Finding(value=low, low=low, high=high, missing=tuple(missing) if unknown else (),
                       estimate_if_pass=estimate_pass, estimate_if_not=ctx.any_estimate(ctx.open),
                       detail={"fields": fields, "state": state, "covered": covered, "lacking": lacking,
                               "unknown": unknown, "n": n})

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        lo, what = rule.min_for(year), rule.select.what_zh
        have = what if rule.per_jiezhen_min == 1 else f"≥{rule.per_jiezhen_min} {rule.unit_zh}{what}"
        return f"每个街镇都有{have}" if lo >= 1 else f"有{have}的街镇占比 ≥{pct_target(lo)}"

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        d = finding.detail
        return f"{pct(finding.value)} ({len(d['covered'])}/{d['n']} 个街镇)"

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        lacking = finding.detail["lacking"]
        verb = "没有" if rule.per_jiezhen_min == 1 else f"不足 {rule.per_jiezhen_min} {rule.unit_zh}"
        return f"{len(lacking)} 个街镇{verb}{rule.select.what_zh}: {names(lacking)}"

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        d = finding.detail
        return (f"已知 {len(d['covered'])}/{d['n']} 个街镇有{rule.select.what_zh}, "
                f"无法确定的: {names(d['unknown'])}")
