"""Reading tables and GIS files; header matching and value parsing."""

from __future__ import annotations

import pandas as pd
import pytest

from svcov.data.readers import read_table, read_vector
from svcov.data.validation import normalise_header, parse_bools, parse_numbers, parse_years, resolve_columns
from svcov.errors import InputError, ProblemList


def test_blank_rows_keep_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("名称,托位数\n甲,1\n,\n乙,x\n", encoding="utf-8")
    frame, encoding = read_table(path)
    assert encoding == "utf-8-sig"
    p = ProblemList(str(path))
    parse_numbers(frame["托位数"], "托位数", p)
    assert [x.row for x in p.problems] == [4]  # the blank row 3 is skipped but counted


def test_xlsx_sheet_selection(tmp_path):
    path = tmp_path / "two.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="说明", index=False)
        pd.DataFrame({"名称": ["甲"]}).to_excel(writer, sheet_name="名册", index=False)
    frame, _ = read_table(path, sheet="名册")
    assert list(frame.columns) == ["名称"]
    with pytest.raises(InputError, match="工作表"):
        read_table(path, sheet="不存在")


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"not a zip file at all")
    with pytest.raises(InputError, match="无法打开 Excel"):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="找不到文件"):
        read_table(tmp_path / "none.csv")
    with pytest.raises(InputError, match="找不到文件"):
        read_vector(tmp_path / "none.geojson")


def test_empty_layer(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    with pytest.raises(InputError, match="没有要素"):
        read_vector(path)


@pytest.mark.parametrize("header,expected", [("经度（GCJ02）", "经度"), (" Longitude ", "longitude"),
                                             ("托位_数", "托位数"), ("ＩＤ", "id")])
def test_normalise_header(header, expected):
    assert normalise_header(header) == expected


def test_resolve_columns_explicit_then_aliases():
    p = ProblemList("f")
    cols = resolve_columns(["编号", "机构名称", "X坐标"], {"name": ("名称", "机构名称"), "facility_id": ("编号",)}, p,
                           required=("name",), explicit={"longitude": "X坐标"})
    assert cols == {"longitude": "X坐标", "name": "机构名称", "facility_id": "编号"}
    assert not p.problems
    resolve_columns(["a"], {}, p, explicit={"name": "不存在的列"})
    assert "不在文件中" in p.problems[0].message_zh


def test_parse_bools_and_years():
    p = ProblemList("f")
    values = pd.Series(["是", "否", "有", "无", "TRUE", "0", "1.0", None, "也许"])
    out = parse_bools(values, "托班", p)
    assert out.tolist()[:7] == [True, False, True, False, True, False, True]
    assert pd.isna(out.iloc[7]) and pd.isna(out.iloc[8])
    assert len(p.problems) == 1 and p.problems[0].row == 10
    years = parse_years(pd.Series(["2021年", "2022-09", "2020.0", "2019/3", 2018]), "年份", ProblemList("f"), 1949, 2100)
    assert years.tolist() == [2021, 2022, 2020, 2019, 2018]


def test_parse_numbers_full_width_and_thousands():
    p = ProblemList("f")
    out = parse_numbers(pd.Series(["１２０", "1,200", "3.5"]), "n", p, integer=True)
    assert out.tolist()[:2] == [120, 1200]
    assert len(p.problems) == 1 and "整数" in p.problems[0].message_zh


def test_control_characters_leave_gis_attributes_and_clean_files_say_nothing(tmp_path, caplog):
    import json
    import logging
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    path = tmp_path / "ctrl.geojson"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.2, 31.0]},
               "properties": {"name": "甲\u000b乙", "note": None}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature, {**feature, "properties": {
        "name": "丙", "note": None}}]}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="svcov"):
        frame = read_vector(path)
        read_vector(root / "data" / "facilities" / "songjiang_kindergartens_osm.geojson")   # empty cells: no word
    assert list(frame["name"]) == ["甲乙", "丙"]
    assert [r.getMessage() for r in caplog.records] == [f"{path}: 已删除 1 个单元格中不可见的控制字符 (removed "
                                                        "invisible control characters from 1 cells)"]
