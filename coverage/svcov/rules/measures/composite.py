"""Measure ``all_of``: met when every rule listed in ``rules`` (defined earlier in the file, same scope) is met, e.g.
the "3个一" as one status per 街镇; not met when any part is not met; otherwise 数据不足."""

from __future__ import annotations

from ...vocabulary import FAIL, PASS
from ...yamlio import line_of
from ..fields import RuleReader
from ..model import Rule
from .base import Context, Finding, Measure, register

__all__ = ["AllOf"]


@register
class AllOf(Measure):
    """A composite of earlier rules, read from their rows of the same year (``Context.rows``).

    The finding counts the parts met: ``low`` = parts met, ``high`` = parts not proven unmet, against the target
    "all parts", so :func:`~svcov.rules.measures.judge` gives 达标 only when every part is met and 未达标 when any
    part is not.
    """

    name = "all_of"
    keys = frozenset({"rules"})
    required = ("rules",)
    target = "none"
    composite = True

    def parse(self, m: dict, reader: RuleReader) -> dict:
        parts = m.get("rules")
        if not (isinstance(parts, list) and parts and all(isinstance(x, str) for x in parts)):
            reader.p.add(f"{reader.where}: rules 应是规则 id 的列表, 例如 [sange_yi_public, sange_yi_private]。",
                         "rules must be a list of rule ids", row=line_of(m, "rules"), column="rules", value=parts)
            return {"parts": ()}
        return {"parts": tuple(parts)}

    def target_value(self, rule: Rule, year: int) -> float:
        return float(len(rule.parts))

    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        found = [(pid, row) for pid, label in zip(rule.parts, rule.part_labels_zh)
                 if (row := ctx.row_of(pid, code)) is not None]
        statuses = [row["status"] for _, row in found]
        n_pass, n_fail = statuses.count(PASS), statuses.count(FAIL)
        labels = dict(zip(rule.parts, rule.part_labels_zh))
        gaps = [f"{labels[pid]}: {row['gap_zh']}" for pid, row in found if row["status"] != PASS and row["gap_zh"]]
        missing = tuple(sorted({f for _, row in found for f in str(row["missing_fields"]).split(", ") if f}))
        estimate = any(bool(row["based_on_estimate"]) for _, row in found)
        return Finding(value=float(n_pass), low=float(n_pass), high=float(len(found) - n_fail), missing=missing,
                       estimate_if_pass=estimate, estimate_if_not=estimate,
                       detail={"n": len(found), "n_pass": n_pass, "gaps": gaps})

    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        return "全部达标: " + "、".join(rule.part_labels_zh)

    def value_zh(self, rule: Rule, finding: Finding) -> str:
        return f"{finding.detail['n_pass']}/{finding.detail['n']} 项达标"

    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        return "; ".join(finding.detail["gaps"])

    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        return self.value_zh(rule, finding)

    def insufficient_zh(self, rule: Rule, finding: Finding, year: int) -> str | None:
        return "; ".join(finding.detail["gaps"])
