"""Tests of svcov.outputs.context: number formats, styles, RunInfo, contract checks, the 「3个一」 rule."""

import math

import _outputs_data as data
import numpy as np
import pandas as pd
import pytest

from svcov.config import FacilityType, TypeGroup
from svcov.errors import MissingColumnError
from svcov.outputs.context import (
    SHAPES,
    STATUS_COLORS,
    STATUS_HATCHES,
    STATUSES,
    RunInfo,
    est,
    fmt_int,
    fmt_min,
    fmt_pp,
    fmt_share,
    fmt_value,
    layout_name,
    layout_rule_id,
    layout_status,
    require_columns,
    service_color,
    service_name,
    split_items,
    type_styles,
)


def test_fmt_int_rounds_and_groups_thousands():
    assert fmt_int(12345.4) == "12,345"
    assert fmt_int(0) == "0"
    assert fmt_int(np.nan) == "—"
    assert fmt_int(pd.NA) == "—"
    assert fmt_int(None) == "—"


def test_fmt_share_and_pp():
    assert fmt_share(0.4567) == "45.7%"
    assert fmt_share(1.0) == "100.0%"
    assert fmt_share(0.4567, 0) == "46%"
    assert fmt_share(float("nan")) == "—"
    assert fmt_pp(0.055) == "+5.5"
    assert fmt_pp(-0.1234) == "-12.3"
    assert fmt_pp(-0.0004) == "+0.0"          # no "-0.0"
    assert fmt_pp(np.nan) == "—"


def test_fmt_min_and_value():
    assert fmt_min(12.345) == "12.3"
    assert fmt_min(math.inf) == "—"
    assert fmt_min(None) == "—"
    assert fmt_value(3.0) == "3"
    assert fmt_value(1234.0) == "1,234"
    assert fmt_value(0.456) == "0.46"
    assert fmt_value("2 所") == "2 所"
    assert fmt_value(np.nan) == "—"


def test_est_and_split_items():
    assert est(True) == " (估算)"
    assert est(False) == ""
    assert est(pd.NA) == ""
    assert split_items("甲: 1 分钟\n乙: 2 分钟；丙") == ["甲: 1 分钟", "乙: 2 分钟", "丙"]
    assert split_items("  \n ") == []
    assert split_items(np.nan) == []


def test_status_styles_differ_in_grey_and_hatch():
    def luminance(color):
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    levels = sorted(luminance(STATUS_COLORS[s]) for s in STATUSES)
    assert min(np.diff(levels)) >= 30          # apart in grey print
    assert len({STATUS_HATCHES[s] for s in STATUSES}) == 3


def test_type_styles_give_each_type_its_own_shape_in_config_order():
    types = tuple(FacilityType(f"t{i}", f"类型{i}", f"type {i}", color="#112233") for i in range(3))
    styles = type_styles(types, [("unknown", "未知类型"), ("t0", "ignored")])
    assert [styles[k]["shape"] for k in ("t0", "t1", "t2", "unknown")] == list(SHAPES[:4])
    assert styles["t0"]["name_zh"] == "类型0"
    assert styles["unknown"] == {"color": "#555555", "shape": SHAPES[3], "name_zh": "未知类型"}


def _info(**kwargs):
    types = (FacilityType("a", "甲类", "A", groups=("g1",), color="#aa0000"),
             FacilityType("b", "乙类", "B", groups=("g2",), color="#00aa00"))
    groups = (TypeGroup("g1", "第一组", "G1", ("a",)), TypeGroup("g2", "第二组", "G2", ("b",)))
    return RunInfo("某区", "直线距离估算", True, True, facility_types=types, type_groups=groups,
                   circle_service="g1", **kwargs)


def test_service_name_and_color():
    info = _info()
    assert service_name("g2", info) == "第二组"
    assert service_name("b", info) == "乙类"
    assert service_name("nope", info) == "nope"
    assert service_color("a", info) == "#aa0000"
    assert service_color("g1", info) != service_color("g2", info)
    assert info.circle_name_zh == "第一组"


def test_run_info_from_config_and_caveats():
    info = data.run_info()
    assert info.district_name_zh == "松江区"
    assert info.circle_service == "inclusive_childcare"
    assert info.circle_name_zh == "普惠性托育服务"
    caveats = info.caveats()
    assert any("步行时间是估算值" in c and data.TRAVEL_ZH in c for c in caveats)
    assert any("0-3 岁儿童人数和分布是估算值" in c for c in caveats)
    assert any("设施的类型是按名称规则" in c for c in caveats)
    network = RunInfo("某区", "按路网计算", False, False)
    assert network.caveats() == ["步行时间按路网计算: 按路网计算。"]
    assert RunInfo("某区", "按路网计算", False, False, profile_name_zh="骑行").caveats() == ["骑行时间按路网计算: 按路网计算。"]


def test_require_columns_names_every_missing_column():
    frame = pd.DataFrame({"a": [1]})
    require_columns(frame, ["a"], "表")
    with pytest.raises(MissingColumnError, match=r"(?s)缺少列「b」.*缺少列「c」"):
        require_columns(frame, ["a", "b", "c"], "选址结果表 (proposed sites)")


def test_layout_rule_is_the_one_the_rule_file_names():
    config, inputs = data.songjiang()
    rules = data.rule_status(inputs.boundaries)
    info = data.run_info()
    assert layout_rule_id(rules, info) == data.LAYOUT_RULE            # plan.layout_rule of the rule file
    assert layout_rule_id(rules, data.run_info(layout_rule_id=None)) is None   # never guessed from a label
    assert layout_rule_id(rules, data.run_info(layout_rule_id="guidance_station")) == "guidance_station"
    assert layout_name(rules, data.run_info(layout_rule_id="guidance_station", layout_name_zh="")) == \
        "「每个街镇 1-2 个家庭科学育儿指导站」"
    assert layout_rule_id(rules, data.run_info(layout_rule_id="no_such_rule")) is None
    other = rules[rules["rule_id"] != data.LAYOUT_RULE]
    assert layout_rule_id(other, info) is None
    assert layout_status(other, info) == (None, "")


def test_layout_status_per_year_and_jiezhen():
    config, inputs = data.songjiang()
    rules = data.rule_status(inputs.boundaries)
    status, label = layout_status(rules, data.run_info())
    assert label == "「3个一」"
    assert len(status) == 17 * 3
    code = inputs.boundaries["jiezhen_code"].iloc[4]
    assert status[(2022, code)] == data.STATUS_CYCLE[(4 + 2022) % 3]
