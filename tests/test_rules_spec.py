"""Tests of svcov.rules.spec: the rule file is parsed, and every kind of mistake is reported with its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from svcov.config import load_type_file
from svcov.errors import RuleFileError
from svcov.rules.spec import DEFAULT_COVERAGE_MIN_SHARE, RuleVocabulary, load_rules

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "rules"
SONGJIANG_RULES = ROOT / "data" / "rules" / "songjiang_2021_2023.yaml"
SPEC = load_type_file(ROOT / "data" / "config" / "facility_types_childcare.yaml")
TYPES, GROUPS = SPEC.types, SPEC.groups
VOCAB = RuleVocabulary(attributes=SPEC.attributes)


def load(tmp_path: Path, text: str, **kwargs):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    kwargs.setdefault("vocabulary", VOCAB)
    return load_rules(path, TYPES, GROUPS, **kwargs)


def problems(tmp_path: Path, text: str, **kwargs) -> list:
    with pytest.raises(RuleFileError) as info:
        load(tmp_path, text, **kwargs)
    return info.value.problems


HEAD = """\
plan:
  name_zh: 测试
  years: [2021, 2022, 2023]
rules:
"""


def rule(body: str) -> str:
    """A rule file with one rule whose first line (``- id: r``) is line 5."""
    return HEAD + textwrap.indent(textwrap.dedent(body), "  ")


# --- valid files --------------------------------------------------------------------------------------------


def test_the_layout_rule_is_named_by_the_plan(tmp_path):
    rules = load_rules(SONGJIANG_RULES, TYPES, GROUPS, vocabulary=VOCAB)
    assert (rules.layout_rule, rules.layout_name_zh) == ("sange_yi", "「3个一」")
    assert load(tmp_path, HEAD.replace("rules:", "rules:") + textwrap.indent(textwrap.dedent("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: kindergarten
          min: 1
        """), "  ")).layout_rule is None
    bad = HEAD.replace("  years: [2021, 2022, 2023]\n", "  years: [2021, 2022, 2023]\n  layout_rule: r\n")
    found = problems(tmp_path, bad + textwrap.indent(textwrap.dedent("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: kindergarten
          min: 1
        """), "  "))
    assert found[0].column == "layout_rule" and "scope: jiezhen" in found[0].message_zh


def test_a_sum_words_the_declared_attribute(tmp_path):
    from svcov.config import FacilityAttribute

    beds = RuleVocabulary(attributes=(FacilityAttribute("capacity", "number", "床位数", noun_zh="床位", unit_zh="张"),))
    rules = load(tmp_path, rule("""\
        - id: r
          label_zh: 新增床位
          clause: 一
          scope: district
          measure: sum
          types: kindergarten
          attribute: capacity
          min: 600
        """), vocabulary=beds)
    assert rules.rules[0].attribute_amount_zh == "张床位" and rules.field_labels_zh["capacity"] == "床位数"


def test_songjiang_rule_file_loads_with_every_target_of_the_plan():
    rules = load_rules(SONGJIANG_RULES, TYPES, GROUPS, vocabulary=VOCAB, thresholds_min=(5, 10, 15))
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids)) == 15
    assert rules.plan_years == (2021, 2022, 2023)
    assert rules.rule("sange_yi").parts == ("sange_yi_public", "sange_yi_private", "sange_yi_point")
    assert {"sange_yi_public", "sange_yi_private", "sange_yi_point", "sange_yi", "point_jiezhen_coverage",
            "new_points_per_year", "nursery_places_new", "new_public_kg_nursery", "nursery_kg_share",
            "guidance_stations",
            "child_friendly_new", "child_friendly_all_jiezhen", "early_development_bases",
            "demonstration_institutions", "circle_15min"} == set(ids)
    assert all(r.clause and r.source_zh and r.label_zh for r in rules.rules)
    assert rules.rule("new_points_per_year").minimum == 5 and rules.rule("new_points_per_year").maximum == 7
    assert rules.rule("guidance_stations").scopes == ("jiezhen",)
    assert rules.rule("circle_15min").scopes == ("jiezhen", "district")
    assert rules.rule("circle_15min").service == "inclusive_childcare"
    assert set(rules.rule("circle_15min").select.types) == {"public_nursery_kindergarten",
                                                            "private_inclusive_nursery_kindergarten",
                                                            "inclusive_childcare_point"}
    assert dict(rules.rule("child_friendly_new").minimum_by_year) == {2021: 4, 2022: 8, 2023: 12}


def test_songjiang_rules_quote_the_plan_exactly_and_cite_its_sections():
    plan = (DATA / "songjiang_childcare_plan_2021_2023.txt").read_text(encoding="utf-8")
    rules = load_rules(SONGJIANG_RULES, TYPES, GROUPS, vocabulary=VOCAB)
    for r in rules.rules:
        for piece in r.source_zh.split(" / "):
            assert piece in plan, (r.id, piece)
        for clause in r.clause.split("、"):
            assert clause in {"二(二)1", "二(二)4", "三(一)1", "三(一)2", "三(四)2", "三(四)3"}, (r.id, clause)


def test_chinese_type_and_group_names_and_scopes_are_accepted():
    rules = load_rules(DATA / "valid_chinese_names.yaml", TYPES, GROUPS, vocabulary=VOCAB)
    point, circle = rules.rules
    assert point.select.types == ("inclusive_childcare_point",) and point.scopes == ("jiezhen",)
    assert point.years == (2021, 2022)
    assert circle.service == "inclusive_childcare" and circle.service_name_zh == "普惠性托育服务"
    assert circle.scopes == ("jiezhen", "district")
    assert circle.minimum == DEFAULT_COVERAGE_MIN_SHARE and circle.minimum_is_default
    assert rules.type_names_zh["inclusive_childcare_point"] == "普惠性托育点"


def test_group_key_expands_to_its_types_in_configuration_order(tmp_path):
    rules = load(tmp_path, rule("""\
        - id: r
          label_zh: 幼儿园
          clause: 一
          scope: district
          measure: count
          types: [other_kindergarten, nursery_kindergarten]
          min: 1
        """))
    assert rules.rules[0].select.types == ("public_nursery_kindergarten", "private_inclusive_nursery_kindergarten",
                                           "other_kindergarten")


def test_rule_years_default_to_the_plan_and_may_be_narrower(tmp_path):
    rules = load(tmp_path, rule("""\
        - id: r
          label_zh: 2023 only
          clause: 一
          scope: district
          measure: count
          types: early_development_base
          years: [2023]
          min: 2
        """))
    assert rules.rules[0].years == (2023,) and rules.years == (2023,)


# --- the whole file, at once ------------------------------------------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once_with_its_line():
    with pytest.raises(RuleFileError) as info:
        load_rules(DATA / "broken_many_problems.yaml", TYPES, GROUPS, vocabulary=VOCAB)
    by_line = {(p.row, p.column) for p in info.value.problems}
    assert (8, "measure") in by_line             # cuont
    assert (14, "types") in by_line              # 托育所 (second item of the list on line 14)
    assert (22, "has_nursery") in by_line        # where: unknown field
    assert (30, "years") in by_line              # 2030 outside the plan
    assert (35, "scope") in by_line              # city
    assert (39, "mni") in by_line                # unknown key
    assert (47, "min") in by_line                # share 50
    text = str(info.value)
    assert "第 8 行" in text and "是不是「count」" in text
    assert "第 39 行" in text and "是不是「min」" in text
    assert "has_nursery_class" in text           # the hint for the unknown field


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(RuleFileError, match="YAML 语法错误") as info:
        load_rules(DATA / "yaml_syntax_error.yaml", TYPES, GROUPS, vocabulary=VOCAB)
    assert info.value.problems[0].row == 6


def test_missing_file_is_a_rule_file_error(tmp_path):
    with pytest.raises(RuleFileError, match="找不到文件"):
        load_rules(tmp_path / "nope.yaml", TYPES, GROUPS, vocabulary=VOCAB)


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(RuleFileError, match="顶层"):
        load(tmp_path, "- a\n- b\n")


@pytest.mark.parametrize("text, match", [
    ("plan: {years: [2021]}\n", "缺少必填的键「rules」"),
    ("plan: {years: [2021]}\nrules: []\n", "rules 应是规则列表"),
    ("plan: {years: [2021]}\nrules: 3\n", "rules 应是规则列表"),
    ("plan: [2021]\nrules:\n- 3\n", "plan 应是映射"),
    ("plan: {years: [2021]}\nrules:\n- just text\n", "每条规则应是映射"),
    ("plna: {years: [2021]}\nrules: []\n", "是不是「plan」"),
])
def test_file_structure_problems(tmp_path, text, match):
    with pytest.raises(RuleFileError, match=match):
        load(tmp_path, text)


# --- one rule at a time -----------------------------------------------------------------------------------------


def test_unknown_measure_names_the_line_and_suggests(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: coverge
          service: inclusive_childcare
          threshold_min: 15
        """))
    assert [(p.row, p.column) for p in found] == [(9, "measure")]
    assert "是不是「coverage」" in found[0].message_zh


def test_missing_measure_is_reported(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
        """))
    assert found[0].column == "measure" and found[0].row == 5


@pytest.mark.parametrize("types, line, hint", [
    ("普惠托育点", 10, "普惠性托育点"),
    ("[kindergarten, inclusive_point]", 10, "inclusive_childcare_point"),
])
def test_unknown_type_names_the_line_and_suggests(tmp_path, types, line, hint):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: {types}
          min: 1
        """))
    assert [(p.row, p.column) for p in found] == [(line, "types")]
    assert hint in found[0].message_zh


def test_unknown_type_in_a_block_list_names_the_item_line(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types:
            - kindergarten
            - nursery_point
          min: 1
        """))
    assert [(p.row, p.value) for p in found] == [(12, "nursery_point")]


@pytest.mark.parametrize("types", ["", "[]", "{a: 1}"])
def test_empty_or_malformed_types(tmp_path, types):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: {types}
          min: 1
        """))
    assert found[0].column == "types" and "types 应是" in found[0].message_zh


@pytest.mark.parametrize("where, match", [
    ("{has_nursery: true}", "未知字段「has_nursery」"),
    ("{capacity: true}", "是数值字段, 应写 {min: 下限}"),
    ("{has_nursery_class: 是}", "应写 true 或 false"),
    ("{capacity: {min: 50, max: 10}}", "是数值字段, 应写"),
    ("{opened_year: true}", "where 只能按类型文件声明的属性筛选"),
    ("has_nursery_class", "where 应是"),
])
def test_bad_where(tmp_path, where, match):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: kindergarten
          where: {where}
          min: 1
        """))
    assert len(found) == 1 and match in found[0].message_zh and found[0].row == 11


@pytest.mark.parametrize("attribute, match", [("places", "未知字段「places」(类型文件 attributes 中没有声明)"),
                                              ("opened_year", "attribute 只能是类型文件声明的数值属性"),
                                              ("has_nursery_class", "attribute 只能是类型文件声明的数值属性")])
def test_bad_sum_attribute(tmp_path, attribute, match):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: sum
          types: kindergarten
          attribute: {attribute}
          min: 600
        """))
    assert len(found) == 1 and match in found[0].message_zh and found[0].row == 11


def test_unknown_key_suggests_the_right_one(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: kindergarten
          min: 1
          new_inn: year
        """))
    assert [(p.row, p.column) for p in found] == [(12, "new_inn")]
    assert "是不是「new_in」" in found[0].message_zh


def test_key_of_another_measure_is_unknown_here(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: kindergarten
          min: 1
          threshold_min: 15
        """))
    assert [(p.row, p.column) for p in found] == [(12, "threshold_min")]


@pytest.mark.parametrize("measure, body, missing", [
    ("count", "types: kindergarten", {"min"}),
    ("sum", "types: kindergarten\nmin: 600", {"attribute"}),
    ("share", "types: kindergarten\nmin: 0.5", {"numerator"}),
    ("spacing", "types: kindergarten", {"min_m"}),
    ("coverage", "min: 0.9", {"service", "threshold_min"}),
    ("share_of_jiezhen", "min: 1", {"types"}),
])
def test_missing_measure_keys(tmp_path, measure, body, missing):
    text = HEAD + f"  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n    measure: {measure}\n" + \
        textwrap.indent(body, "    ") + "\n"
    found = problems(tmp_path, text)
    assert {p.column for p in found} == missing
    assert all(p.row == 5 and "缺少必填的键" in p.message_zh for p in found)


def test_missing_common_keys(tmp_path):
    found = problems(tmp_path, HEAD + "  - measure: count\n    types: kindergarten\n    min: 1\n")
    assert {p.column for p in found} == {"id", "label_zh", "clause", "scope"}


@pytest.mark.parametrize("years, match", [
    ("2021-2023", "应是年份列表"),
    ("[2021, 1800]", "应是年份列表"),
    ("[2021, true]", "应是年份列表"),
    ("[]", "应是年份列表"),
    ("[2021, 2021]", "重复"),
    ("[2021, 2024]", "不在规划年份"),
])
def test_bad_rule_years(tmp_path, years, match):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: kindergarten
          years: {years}
          min: 1
        """))
    assert any(match in p.message_zh and p.row == 11 for p in found), [p.message_zh for p in found]


def test_bad_plan_years(tmp_path):
    found = problems(tmp_path, "plan:\n  years: [twenty]\nrules:\n  - id: r\n    label_zh: x\n    clause: 一\n"
                               "    scope: district\n    measure: count\n    types: kindergarten\n    min: 1\n")
    assert found[0].row == 2 and "年份列表" in found[0].message_zh
    assert any("没有年份" in p.message_zh for p in found)


def test_rule_without_years_and_no_plan_years(tmp_path):
    found = problems(tmp_path, "rules:\n  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n"
                               "    measure: count\n    types: kindergarten\n    min: 1\n")
    assert [p.row for p in found] == [2] and "没有年份" in found[0].message_zh


def test_single_year_number_is_accepted(tmp_path):
    rules = load(tmp_path, "rules:\n  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n"
                           "    measure: count\n    types: kindergarten\n    years: 2023\n    min: 1\n")
    assert rules.rules[0].years == (2023,)


@pytest.mark.parametrize("minimum, match", [
    ("{2021: 4, 2022: 8}", "要给出每一年"),
    ("{2021: 4, 2022: 8, 2023: 12, 2024: 16}", "不是这条规则的年份"),
    ("{2021: 4, 2022: -1, 2023: 12}", "不小于 0 的整数"),
])
def test_bad_minimum_by_year(tmp_path, minimum, match):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: count
          types: child_friendly_community
          new_in: plan
          min: {minimum}
        """))
    assert any(match in p.message_zh for p in found), [p.message_zh for p in found]


@pytest.mark.parametrize("measure, extra, minimum, match", [
    ("count", "types: kindergarten", "1.5", "不小于 0 的整数"),
    ("count", "types: kindergarten", "-1", "不小于 0 的整数"),
    ("count", "types: kindergarten", "many", "不小于 0 的整数"),
    ("sum", "types: kindergarten\nattribute: capacity", "0", "大于 0 的数"),
    ("share", "types: kindergarten\nnumerator: {where: {has_nursery_class: true}}", "50", "0-1 之间的比例"),
    ("coverage", "service: inclusive_childcare\nthreshold_min: 15", "0", "0-1 之间的比例"),
    ("share_of_jiezhen", "types: inclusive_childcare_point", "1.2", "0-1 之间的比例"),
])
def test_bad_targets(tmp_path, measure, extra, minimum, match):
    text = HEAD + f"  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n    measure: {measure}\n" + \
        textwrap.indent(extra, "    ") + f"\n    min: {minimum}\n"
    found = problems(tmp_path, text)
    assert len(found) == 1 and match in found[0].message_zh and found[0].column == "min"


def test_max_below_min(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: jiezhen
          measure: count
          types: parenting_guidance_station
          min: 2
          max: 1
        """))
    assert [(p.row, p.column) for p in found] == [(12, "max")]


@pytest.mark.parametrize("scope, measure, extra, match", [
    ("city", "count", "types: kindergarten\nmin: 1", "scope「city」无效"),
    ("jiezhen", "share_of_jiezhen", "types: inclusive_childcare_point", "只能用于全区"),
])
def test_bad_scope(tmp_path, scope, measure, extra, match):
    text = HEAD + f"  - id: r\n    label_zh: x\n    clause: 一\n    scope: {scope}\n    measure: {measure}\n" + \
        textwrap.indent(extra, "    ") + "\n"
    found = problems(tmp_path, text)
    assert len(found) == 1 and match in found[0].message_zh and found[0].row == 8


@pytest.mark.parametrize("measure, extra, match", [
    ("count", "new_in: month", "new_in 应是 year"),
    ("spacing", "new_in: year\nmin_m: 300", "未知的键「new_in」"),
])
def test_bad_new_in(tmp_path, measure, extra, match):
    text = (HEAD + f"  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n    measure: {measure}\n"
            f"    types: kindergarten\n" + textwrap.indent(extra, "    ")
            + ("\n    min: 1\n" if measure == "count" else "\n"))
    found = problems(tmp_path, text)
    assert len(found) == 1 and match in found[0].message_zh and found[0].column == "new_in"


def test_new_in_plan_needs_plan_years(tmp_path):
    found = problems(tmp_path, "rules:\n  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n"
                               "    measure: count\n    types: kindergarten\n    years: [2021]\n    new_in: plan\n"
                               "    min: 1\n")
    assert [(p.row, p.column) for p in found] == [(9, "new_in")]


@pytest.mark.parametrize("numerator, match", [
    ("{}", "至少要有 types 或 where"),
    ("has_nursery_class", "numerator 应是映射"),
    ("{where: {has_nursery_class: true}, new_in: year}", "numerator 中有未知的键「new_in」"),
])
def test_bad_numerator(tmp_path, numerator, match):
    found = problems(tmp_path, rule(f"""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: share
          types: kindergarten
          numerator: {numerator}
          min: 0.5
        """))
    assert any(match in p.message_zh for p in found), [p.message_zh for p in found]


@pytest.mark.parametrize("extra, thresholds, match", [
    ("service: inclusive_childcare\nthreshold_min: 20", (5, 10, 15), "不在配置的 travel.thresholds_min"),
    ("service: inclusive_childcare\nthreshold_min: 0", None, "1-120 的整数"),
    ("service: [inclusive_childcare]\nthreshold_min: 15", None, "service 应是一个类型或类型组"),
    ("service: childcare\nthreshold_min: 15", None, "未知的设施类型或类型组"),
])
def test_bad_coverage_rule(tmp_path, extra, thresholds, match):
    text = HEAD + "  - id: r\n    label_zh: x\n    clause: 一\n    scope: district\n    measure: coverage\n" + \
        textwrap.indent(extra, "    ") + "\n"
    found = problems(tmp_path, text, thresholds_min=thresholds)
    assert len(found) == 1 and match in found[0].message_zh


def test_per_jiezhen_min_must_be_a_positive_whole_number(tmp_path):
    found = problems(tmp_path, rule("""\
        - id: r
          label_zh: x
          clause: 一
          scope: district
          measure: share_of_jiezhen
          types: inclusive_childcare_point
          per_jiezhen_min: 0
        """))
    assert [(p.row, p.column) for p in found] == [(11, "per_jiezhen_min")]


def test_duplicate_and_malformed_ids(tmp_path):
    body = "    label_zh: x\n    clause: 一\n    scope: district\n    measure: count\n    types: kindergarten\n" \
           "    min: 1\n"
    found = problems(tmp_path, HEAD + "  - id: same\n" + body + "  - id: same\n" + body + "  - id: 有空格 的\n" + body)
    messages = {(p.row, p.message_zh.split("。")[0]) for p in found}
    assert (12, "规则 id「same」重复 (第 5 行已用过)") in messages
    assert any(row == 19 and "id 只能包含" in msg for row, msg in messages)
