"""Rule inputs derived from facilities and from the rule status table (svcov.siting.constraints)."""

from __future__ import annotations

import pandas as pd
import pytest

from svcov.errors import MissingColumnError
from svcov.siting.constraints import rules_from_facilities, rules_from_status

BOUNDARIES = pd.DataFrame({"jiezhen_code": ["A", "B", "C"], "name": ["岳阳街道", "新桥镇", "叶榭镇"]})


def facilities(types, zones, complete, opened=None):
    n = len(types)
    return pd.DataFrame({"type": types, "jiezhen_code": zones, "complete_register": complete,
                         "opened_year": pd.array(opened or [None] * n, dtype="Int64"),
                         "closed_year": pd.array([None] * n, dtype="Int64")})


def test_no_register_loaded_means_every_jiezhen_needs_one_as_an_estimate():
    kg = facilities(["public_nursery_kindergarten"] * 2, ["A", "B"], [False, False])
    rules = rules_from_facilities(BOUNDARIES, kg, type_key="inclusive_childcare_point", type_name_zh="普惠性托育点",
                                  deadline_year=2023, rule_label_zh="「3个一」(二(二)1)", max_per_zone=2)
    assert dict(rules.min_sites) == {"A": 1, "B": 1, "C": 1}
    assert rules.deadline_year == 2023 and rules.default_max_sites == 2 and rules.zone_names["B"] == "新桥镇"
    assert rules.reasons_zh["C"].startswith("「3个一」(二(二)1); 未加载普惠性托育点名册")
    assert "不是已核实的缺口" in rules.reasons_zh["C"]


def test_complete_register_gives_confirmed_gaps():
    reg = facilities(["inclusive_childcare_point"], ["A"], [True])
    rules = rules_from_facilities(BOUNDARIES, reg, type_key="inclusive_childcare_point", type_name_zh="普惠性托育点")
    assert dict(rules.min_sites) == {"B": 1, "C": 1}
    assert rules.reasons_zh["B"] == "每个街镇至少一个普惠性托育点; 名册中该街镇没有普惠性托育点"


def test_incomplete_sources_say_to_check():
    osm = facilities(["inclusive_childcare_point"], ["A"], [False])
    rules = rules_from_facilities(BOUNDARIES, osm, type_key="inclusive_childcare_point", type_name_zh="托育点")
    assert "非完整名册" in rules.reasons_zh["B"] and "需核实" in rules.reasons_zh["B"]


def test_facilities_opening_after_the_year_do_not_count():
    reg = facilities(["inclusive_childcare_point"] * 2, ["A", "B"], [True, True], opened=[2021, 2023])
    early = rules_from_facilities(BOUNDARIES, reg, type_key="inclusive_childcare_point", type_name_zh="托育点",
                                  year=2022)
    late = rules_from_facilities(BOUNDARIES, reg, type_key="inclusive_childcare_point", type_name_zh="托育点",
                                 year=2023)
    assert set(early.min_sites) == {"B", "C"} and set(late.min_sites) == {"C"}


def test_missing_columns():
    with pytest.raises(MissingColumnError, match="设施表 \\(facilities\\) 缺少列「complete_register」"):
        rules_from_facilities(BOUNDARIES, pd.DataFrame({"type": [], "jiezhen_code": []}), type_key="x",
                              type_name_zh="x")


def status_table():
    rows = [("R1", 2022, "A", "岳阳街道", "未达标", "缺 1 个普惠性托育点", False),
            ("R1", 2023, "A", "岳阳街道", "达标", "", False),
            ("R1", 2023, "B", "新桥镇", "未达标", "缺 1 个普惠性托育点", True),
            ("R1", 2023, "C", "叶榭镇", "数据不足", "未加载托育点名册", False),
            ("R1", 2023, "全区", "全区", "未达标", "2 个街镇未达标", False),
            ("R2", 2023, "A", "岳阳街道", "未达标", "缺指导站", False)]
    return pd.DataFrame(rows, columns=["rule_id", "year", "jiezhen_code", "jiezhen_name", "status", "gap_zh",
                                       "based_on_estimate"]).assign(label_zh="「3个一」普惠性托育点")


def test_rules_from_status_takes_the_latest_year_and_unmet_or_unknown_jiezhen():
    rules = rules_from_status(status_table(), rule_ids=["R1"], type_name_zh="普惠性托育点", deadline_year=2023)
    assert dict(rules.min_sites) == {"B": 1, "C": 1}
    assert rules.reasons_zh["B"] == "「3个一」普惠性托育点: 未达标; 缺 1 个普惠性托育点 (基于估算或数据不足, 需核实)"
    assert rules.reasons_zh["C"].startswith("「3个一」普惠性托育点: 数据不足; 未加载托育点名册")
    assert rules.zone_names["C"] == "叶榭镇"


def test_rules_from_status_for_one_year():
    rules = rules_from_status(status_table(), rule_ids=["R1"], type_name_zh="普惠性托育点", year=2022)
    assert dict(rules.min_sites) == {"A": 1}


def test_rules_from_status_missing_columns():
    with pytest.raises(MissingColumnError, match="缺少列「gap_zh」"):
        rules_from_status(status_table().drop(columns="gap_zh"), rule_ids=["R1"], type_name_zh="x")
