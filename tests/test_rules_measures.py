"""Tests of the measure registry (svcov.rules.measures): every measure declares, parses, evaluates and words itself;
a measure that leaves out a method cannot be registered; a new measure works end to end without touching spec,
evaluate or wording."""

from __future__ import annotations

import pytest
from test_rules_evaluate import evaluate, facilities

from svcov.rules.measures import MEASURES, Finding, Measure, register
from svcov.rules.measures.base import count_parts
from svcov.vocabulary import FAIL, PASS

MEASURE_NAMES = ("count", "sum", "share", "share_of_jiezhen", "spacing", "coverage", "all_of")


def test_registry_lists_every_measure_in_order():
    assert tuple(MEASURES) == MEASURE_NAMES
    for name, kind in MEASURES.items():
        assert kind.name == name
        assert set(kind.required) <= kind.keys | {"types"}
        assert kind.target in ("share", "count", "positive", "none")


def test_a_measure_without_its_wording_cannot_be_registered():
    class Half(Measure):
        name = "half"
        keys = frozenset({"types"})

        def evaluate(self, rule, ctx, code):
            return Finding(0.0, 0.0, 0.0)

    with pytest.raises(TypeError, match="abstract"):
        register(Half)
    assert "half" not in MEASURES


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="registered twice"):
        register(type(MEASURES["count"]))


class AtMost(Measure):
    """A test measure: at most ``max_n`` facilities of some types in a 街镇 (met while the count stays at or below)."""

    name = "at_most"
    keys = frozenset({"types", "what_zh", "unit_zh", "max_n"})
    required = ("types", "max_n")
    target = "count"
    target_key = "max_n"

    def target_value(self, rule, year):
        return 1.0  # the finding is 1 when the count is within the limit

    def evaluate(self, rule, ctx, code):
        parts = count_parts(rule.select, ctx, code)
        limit = rule.min_for(ctx.year)
        return Finding(value=float(parts["low"]), low=1.0 if parts["high"] <= limit else 0.0,
                       high=0.0 if parts["low"] > limit else 1.0)

    def target_zh(self, rule, year, plan_start):
        return f"至多 {rule.min_for(year):.0f} 个"

    def value_zh(self, rule, finding):
        return f"共 {finding.value:.0f} 个"

    def fail_zh(self, rule, finding, year):
        return f"多了 {finding.value - rule.min_for(year):.0f} 个"

    def known_zh(self, rule, finding, year, plan_start):
        return f"已知 {finding.value:.0f} 个"


@pytest.fixture
def at_most():
    register(AtMost)
    try:
        yield
    finally:
        MEASURES.pop("at_most")


def test_a_new_measure_is_parsed_evaluated_and_worded_by_its_own_methods(at_most):
    body = """
    - id: few
      label_zh: 至多一个托育点
      clause: 测试
      scope: jiezhen
      years: [2021]
      measure: at_most
      types: inclusive_childcare_point
      max_n: 1
    """
    facs = facilities({"type": "inclusive_childcare_point", "jz": "001"},
                      {"type": "inclusive_childcare_point", "jz": "001", "x": 600},
                      {"type": "inclusive_childcare_point", "jz": "002"})
    out = evaluate(body, facs).set_index("jiezhen_code")
    assert out.loc["001", "status"] == FAIL and out.loc["001", "gap_zh"] == "多了 1 个"
    assert out.loc["002", "status"] == PASS and out.loc["002", "value_zh"] == "共 1 个"
    assert set(out["target_zh"]) == {"至多 1 个"}
