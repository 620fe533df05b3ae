"""Measure ``spacing``: straight-line distance from each selected facility to its nearest neighbour of the same
selection, at least ``min_m`` metres. Records found can prove a shortfall (two facilities too close); only a
complete register can prove a pass."""

from __future__ import annotations

import math

import numpy as np

from ..fields import RuleReader
from ..model import Rule
from ..words import num
from .base import Context, Finding, Measure, membership, register

__all__ = ["Spacing"]


@register
class Spacing(Measure):
    """Straight-line distance (m) from each selected facility in the unit to its nearest selected neighbour."""

    name = "spacing"
    keys = frozenset({"types", "what_zh", "unit_zh", "where", "min_m"})
    required = ("types", "min_m")
    target_key = "min_m"

    def parse(self, m: dict, reader: RuleReader) -> dict:
        return {"select": reader.selection(m, allow_new=False)}

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        from scipy.spatial import cKDTree

        sel = rule.select
        frame = ctx.candidates(sel, None)
        certain, uncertain, fields = membership(frame, sel, ctx)
        state = ctx.state(sel.types)
        members = frame[certain.to_numpy(dtype=bool)]
        value, pair = math.nan, ()
        if len(members) >= 2:
            xy = members[["x_m", "y_m"]].to_numpy(dtype=float)
            dist, idx = cKDTree(xy).query(xy, k=2)
            here = np.ones(len(members), dtype=bool) if code is None else (members["jiezhen_code"] == code).to_numpy()
            if here.any():
                i = int(np.flatnonzero(here)[np.argmin(dist[here, 1])])
                j = int(idx[i, 1])
                value, pair = float(dist[i, 1]), (members.index[i], members.index[j])
        complete = state.complete and not uncertain.any()
        found = math.inf if math.isnan(value) else value
        low, high = (found if complete else 0.0), found
        names = tuple(str(members.at[p, "name"]) for p in pair)
        est_pair = ctx.any_estimate(members.loc[list(pair)]) if pair else False
        return Finding(value=value, low=low, high=high, missing=(tuple(fields) + state.tokens) if low != high else (),
                       estimate_if_pass=ctx.any_estimate(members), estimate_if_not=est_pair,
                       detail={"fields": fields, "state": state, "pair": names,
                               "n": int((members["jiezhen_code"] == code).sum()) if code else len(members)})

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        return f"{rule.select.what_zh}之间直线距离 ≥{num(rule.min_for(year))} 米"

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        return "—" if math.isnan(finding.value) else f"{num(round(finding.value))} 米"

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        a, b = finding.detail["pair"]
        return f"「{a}」与「{b}」相距 {num(round(finding.value))} 米, 小于要求的 {num(rule.min_for(year))} 米"

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        if math.isnan(finding.value):
            return "已知设施不足两个"
        return "已知设施中最近间距 " + self.value_zh(rule, finding)

    def pass_note_zh(self, rule: Rule, finding: Finding) -> str:
        return "不足两个设施, 无需检查间距" if math.isnan(finding.value) else ""
