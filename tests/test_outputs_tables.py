"""CSV/XLSX with Chinese headers for Excel; GeoPackage layers for QGIS."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from svcov.config import DemandGroup, FacilityAttribute
from svcov.outputs.tables import config_labels, label_columns, write_layers, write_table

#: Headers of the columns a configuration adds come from it (the type file's attributes, the population groups).
LABELS = config_labels([FacilityAttribute("has_nursery_class", "flag", "开设托班"),
                        FacilityAttribute("capacity", "number", "托位数")], [DemandGroup("children_0_3", "0-3 岁人口")])


def _frame():
    return pd.DataFrame({"jiezhen_name": ["岳阳街道", "方松街道"], "children_0_3": [1234.5678, 2.0],
                         "has_nursery_class": pd.array([True, pd.NA], dtype="boolean"),
                         "capacity": pd.array([30, pd.NA], dtype="Int64")})


def test_csv_is_utf8_with_bom_and_chinese_headers(tmp_path):
    written = write_table(_frame(), tmp_path / "t", labels={**LABELS, "children_0_3": "0-3岁人口(估算)"},
                          float_digits=1)
    assert [p.name for p in written] == ["t.csv", "t.xlsx"]
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "街镇,0-3岁人口(估算),开设托班,托位数"
    assert text.splitlines()[1] == "岳阳街道,1234.6,是,30"


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
    assert list(label_columns(pd.DataFrame(columns=["name", "whatever"])).columns) == ["名称", "whatever"]


def test_geopackage_layers_round_trip(tmp_path):
    a = gpd.GeoDataFrame({"name": ["甲"], "flag": pd.array([True], dtype="boolean")}, geometry=[Point(1, 2)],
                         crs="EPSG:32651")
    path = write_layers(tmp_path / "l.gpkg", {"a": a, "empty": a.iloc[0:0]})
    import pyogrio

    assert [name for name, _ in pyogrio.list_layers(path)] == ["a"]
    back = gpd.read_file(path, layer="a")
    assert back["name"].tolist() == ["甲"] and back.crs.to_epsg() == 32651
