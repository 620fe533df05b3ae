"""The layout rules on the bundled Songjiang data, through the pipeline and ``svcov check``.

The bundled facilities are OpenStreetMap kindergartens (not a complete register; types inferred from names), and
no 托育点, guidance-station or other register is bundled: the table must say so, rule by rule, and never claim a
shortfall the data cannot show.
"""

from __future__ import annotations

import logging
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from svcov.cli import main
from svcov.config import load_config
from svcov.pipeline import check_rules, load_inputs, load_run_rules

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "config" / "songjiang.yaml"


@pytest.fixture(scope="module")
def songjiang():
    config = load_config(CONFIG)
    inputs = load_inputs(config)
    rules = load_run_rules(config)
    return config, inputs, rules, check_rules(inputs, rules)


@pytest.fixture
def restore_logging():
    """``svcov`` installs its own handler on the ``svcov`` logger; put the logger back afterwards."""
    logger = logging.getLogger("svcov")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_config_names_the_rule_file(songjiang):
    config, _, rules, _ = songjiang
    assert config.rules_path == (ROOT / "data" / "rules" / "songjiang_2021_2023.yaml").resolve()
    assert rules.plan_years == config.years


def test_table_has_every_rule_unit_and_year(songjiang):
    config, inputs, rules, status = songjiang
    n_jiezhen = len(inputs.boundaries)
    expected = sum(len(r.years) * ((n_jiezhen if "jiezhen" in r.scopes else 0) + ("district" in r.scopes))
                   for r in rules.rules)
    assert len(status) == expected
    assert set(status["year"]) == set(config.years)
    assert set(status["jiezhen_code"]) == set(inputs.boundaries["jiezhen_code"]) | {"全区"}


def test_every_insufficient_row_says_what_is_missing(songjiang):
    _, _, rules, status = songjiang
    lacking = status[status["status"] == "数据不足"]
    assert len(lacking) > 0
    for _, row in lacking.iterrows():
        tokens = row["missing_fields"].split(", ")
        assert tokens and all(tokens), row
        for token in tokens:
            if token in rules.field_labels_zh:
                assert f"缺少字段 {token} ({rules.field_labels_zh[token]}): 请在名册中填写" in row["gap_zh"]
            elif token.startswith("register:"):
                assert "未加载" in row["gap_zh"] and rules.type_names_zh[token.split(":")[1]] in row["gap_zh"]
            elif token == "complete_register":
                assert "数据来源不是完整名册" in row["gap_zh"]
            else:
                assert token == "coverage_table" and "覆盖率" in row["gap_zh"]


def test_no_shortfall_is_claimed_from_an_incomplete_register(songjiang):
    _, inputs, _, status = songjiang
    assert not inputs.facilities["complete_register"].any()
    assert (status["status"] == "未达标").sum() == 0


def test_sange_yi_public_passes_exactly_where_a_public_kindergarten_was_found(songjiang):
    _, inputs, _, status = songjiang
    facs = inputs.facilities
    found = set(facs.loc[facs["type"] == "public_nursery_kindergarten", "jiezhen_code"])
    rows = status[(status["rule_id"] == "sange_yi_public") & (status["year"] == 2023)].set_index("jiezhen_code")
    assert set(rows.index[rows["status"] == "达标"]) == found
    assert set(rows.index[rows["status"] == "数据不足"]) == set(inputs.boundaries["jiezhen_code"]) - found
    # every public kindergarten in the OSM data has a type inferred from its name
    assert facs.loc[facs["type"] == "public_nursery_kindergarten", "type_is_estimate"].all()
    assert rows.loc[rows["status"] == "达标", "based_on_estimate"].all()


def test_rules_without_any_register_name_what_to_load(songjiang):
    _, _, _, status = songjiang
    points = status[status["rule_id"] == "sange_yi_point"]
    assert set(points["missing_fields"]) == {"register:inclusive_childcare_point"}
    assert set(points["gap_zh"]) == {"未加载普惠性托育点数据: 请在配置 facilities 中加入普惠性托育点名册"}
    circle = status[status["rule_id"] == "circle_15min"]
    assert set(circle["missing_fields"]) == {"coverage_table"}


def test_svcov_check_prints_the_table_and_writes_csv_and_xlsx(tmp_path, capsys, restore_logging, songjiang):
    _, inputs, _, status = songjiang
    code = main(["check", "--config", str(CONFIG), "--year", "2023", "--out", str(tmp_path), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("松江区 2023 年布局规则检查 (松江区托育服务三年行动计划(2021-2023年))")
    n_pass = int(((status["rule_id"] == "sange_yi_public") & (status["year"] == 2023)
                  & (status["status"] == "达标")).sum())
    line = next(x for x in out.splitlines() if x.startswith("3个一: 公办托幼一体园"))
    assert line.split()[4:7] == [str(n_pass), "0", str(len(inputs.boundaries) - n_pass)]
    for stem in ("rule_status", "rule_pivot_2023", "rule_progress", "rule_summary"):
        assert (tmp_path / f"{stem}.csv").is_file() and (tmp_path / f"{stem}.xlsx").is_file()
    table = pd.read_csv(tmp_path / "rule_status.csv", encoding="utf-8-sig", dtype=str)
    assert {"规则", "规划条款", "街镇", "状态", "差距 / 需补充的数据", "缺少的数据 (字段)", "依据估算"} <= set(table.columns)
    assert len(table) == len(status)
    pivot = pd.read_csv(tmp_path / "rule_pivot_2023.csv", encoding="utf-8-sig", dtype=str)
    assert list(pivot["街镇代码"])[-1] == "全区" and len(pivot) == len(inputs.boundaries) + 1
    book = openpyxl.load_workbook(tmp_path / "rule_status.xlsx", read_only=True)
    assert book.sheetnames == ["布局规则检查", "说明"]


def test_svcov_check_rejects_a_year_without_rules(tmp_path, capsys, restore_logging):
    code = main(["check", "--config", str(CONFIG), "--year", "2030", "--out", str(tmp_path), "-q"])
    assert code == 1
    assert "规则文件中没有 2030 年的规则" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_svcov_check_reports_a_broken_rule_file_with_its_lines(tmp_path, capsys, restore_logging):
    broken = ROOT / "tests" / "data" / "rules" / "broken_many_problems.yaml"
    code = main(["check", "--config", str(CONFIG), "--rules", str(broken), "--out", str(tmp_path), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert "第 8 行" in err and "第 14 行" in err and "未知的 measure「cuont」" in err


def test_svcov_run_includes_the_rule_tables(songjiang_run_dir):
    config = load_config(CONFIG)
    status = pd.read_csv(songjiang_run_dir / "tables" / "rule_status.csv", encoding="utf-8-sig")
    assert set(status["年份"]) == set(config.years)
    for stem in ("rule_status", "rule_pivot_2023", "rule_progress", "rule_summary"):
        assert (songjiang_run_dir / "tables" / f"{stem}.csv").is_file()
        assert (songjiang_run_dir / "tables" / f"{stem}.xlsx").is_file()
    assert "rules" in (songjiang_run_dir / "manifest.json").read_text(encoding="utf-8")


def test_svcov_check_computes_the_coverage_the_15_minute_rule_needs(tmp_path):
    from svcov.check import check

    result = check(load_config(CONFIG), out_dir=tmp_path / "check")
    circle = result.status[result.status["rule_id"] == "circle_15min"]
    assert len(circle) == 3 * 18
    assert not circle["gap_zh"].str.contains("未计算覆盖率").any()
    assert circle["value"].notna().all()  # a share was measured for every 街镇, year and the district
