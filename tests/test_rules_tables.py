"""Tests of svcov.rules.tables: the 街镇 × rule pivot, the per-rule summary, the printed text and the notes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from svcov.config import load_type_file
from svcov.rules.evaluate import RULE_STATUS_COLUMNS
from svcov.rules.spec import RuleVocabulary, load_rules
from svcov.rules.tables import rule_notes, rule_pivot, rule_progress, rule_summary, status_text

ROOT = Path(__file__).resolve().parents[1]


def row(rule_id, label, code, name, status, *, year=2023, value_zh="1 个", gap="", est=False, scope="街镇",
        clause="二(二)1"):
    return {"rule_id": rule_id, "label_zh": label, "clause": clause, "scope": scope, "year": year,
            "jiezhen_code": code, "jiezhen_name": name, "measure": "count", "value": 1.0, "value_zh": value_zh,
            "target": 1.0, "target_zh": "≥1 个", "status": status, "gap_zh": gap,
            "missing_fields": "complete_register" if status == "数据不足" else "", "based_on_estimate": est}


STATUS = pd.DataFrame([
    row("point", "托育点", "002", "乙镇", "未达标", value_zh="0 个", gap="缺 1 个普惠性托育点"),
    row("point", "托育点", "001", "甲街道", "达标", est=True),
    row("point", "托育点", "003", "丙镇", "未达标", value_zh="0 个", gap="缺 1 个普惠性托育点"),
    row("new", "新增托育点", "全区", "测试区", "数据不足", value_zh="3 个", gap="已知 3 个, 数据来源不是完整名册",
        scope="全区"),
    row("point", "托育点", "001", "甲街道", "未达标", year=2022, gap="缺 1 个普惠性托育点"),
], columns=RULE_STATUS_COLUMNS)


def test_pivot_is_jiezhen_by_rule_with_the_district_row_last():
    pivot = rule_pivot(STATUS, 2023)
    assert list(pivot.columns) == ["jiezhen_code", "jiezhen_name", "托育点", "新增托育点"]
    assert list(pivot["jiezhen_code"]) == ["001", "002", "003", "全区"]
    by_code = pivot.set_index("jiezhen_code")
    assert by_code.at["001", "托育点"] == "达标*: 1 个"   # * = rests on estimates
    assert by_code.at["002", "托育点"] == "未达标: 0 个"
    assert by_code.at["全区", "托育点"] == "1/3 个街镇达标"
    assert by_code.at["全区", "新增托育点"] == "数据不足: 3 个"
    assert by_code.at["001", "新增托育点"] == ""        # a district rule has no 街镇 cells
    assert rule_pivot(STATUS, 2022).set_index("jiezhen_code").at["001", "托育点"] == "未达标: 1 个"


def test_pivot_headers_stay_unique_when_labels_repeat():
    twin = STATUS.assign(rule_id=STATUS["rule_id"].replace({"new": "new2"}), label_zh="同名")
    both = pd.concat([STATUS.assign(label_zh="同名"), twin[twin["rule_id"] == "new2"]])
    pivot = rule_pivot(both, 2023)
    assert {"同名 [point]", "同名 [new]", "同名 [new2]"} <= set(pivot.columns)


def test_summary_counts_per_rule_and_year():
    summary = rule_summary(STATUS)
    point23 = summary[(summary["rule_id"] == "point") & (summary["year"] == 2023)].iloc[0]
    assert (point23["n_units"], point23["n_pass"], point23["n_fail"], point23["n_insufficient"],
            point23["n_pass_estimate"]) == (3, 1, 2, 0, 1)
    new = summary[summary["rule_id"] == "new"].iloc[0]
    assert (new["n_units"], new["n_insufficient"], new["scope"]) == (1, 1, "全区")
    assert len(summary) == 3


def test_status_text_groups_jiezhen_with_the_same_gap():
    text = status_text(STATUS, 2023, title="测试区 2023 年")
    lines = text.splitlines()
    assert lines[0] == "测试区 2023 年"
    assert "  未达标: 乙镇、丙镇" in lines
    assert lines[lines.index("  未达标: 乙镇、丙镇") + 1].strip() == "缺 1 个普惠性托育点"
    point = next(line for line in lines if line.startswith("托育点 "))
    assert point.split()[1:6] == ["二(二)1", "街镇", "1", "2", "0"] and "其中 1 个达标依据估算*" in point
    assert "甲街道" not in text.split("明细")[1].split("* 依据估算")[0]  # passes are not listed as details


def test_notes_quote_every_rule():
    spec = load_type_file(ROOT / "data" / "config" / "facility_types_childcare.yaml")
    rules = load_rules(ROOT / "data" / "rules" / "songjiang_2021_2023.yaml", spec.types, spec.groups,
                       vocabulary=RuleVocabulary(attributes=spec.attributes))
    notes = rule_notes(rules)
    assert notes[0] == "规划: 松江区托育服务三年行动计划(2021-2023年)"
    assert len([n for n in notes if n.startswith("[")]) == len(rules.rules)
    assert any("每个街镇配备1—2个家庭科学育儿指导站" in n for n in notes)


def test_progress_is_rule_by_year():
    progress = rule_progress(STATUS)
    assert list(progress.columns) == ["label_zh", "clause", "scope", "2023", "2022"]
    point = progress[progress["label_zh"] == "托育点"].iloc[0]
    assert point["2023"] == "1/3 个街镇达标 (2 个未达标)"
    assert point["2022"] == "0/1 个街镇达标 (1 个未达标)"
    new = progress[progress["label_zh"] == "新增托育点"].iloc[0]
    assert (new["2023"], new["2022"]) == ("数据不足: 3 个", "")
