"""The corpus of deliberately broken inputs: `svcov validate` exits 1 naming each problem; inputs stay untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from svcov.cli import main

BROKEN = Path(__file__).parent / "data" / "broken"
SONGJIANG_CONFIG = Path(__file__).resolve().parents[1] / "data" / "config" / "songjiang.yaml"

# file, option, expected fragments (all must appear in the message)
FACILITY_CASES = [
    ("empty.csv", ["文件是空的", "empty"]),
    ("header_only.csv", ["没有数据行"]),
    ("missing_name_column.csv", ["缺少必需的列「name」", "名称"]),
    ("misspelled_longitude.csv", ["缺少必需的列「longitude」", "longtitude"]),
    ("unparseable_coordinate.csv", ["第 2 行", "列「经度」", "'abc'", "第 3 行", "列「纬度」"]),
    ("swapped_latlon.csv", ["填反", "swap"]),
    ("projected_coordinates.csv", ["投影坐标", "projected metres"]),
    ("outside_district.csv", ["T001", "北京的托育点", "不在任何街镇内"]),
    ("missing_coordinates.csv", ["缺少经纬度"]),
    ("duplicate_ids.csv", ["编号重复", "第 2, 3 行", "'T001'"]),
    ("unknown_type.csv", ["未知的设施类型", "是不是「普惠性托育点」", "'托儿所'"]),
    ("negative_capacity.csv", ["'-20'", "托位数超出范围", "'三十'"]),
    ("bad_years.csv", ["'二〇二二'", "'1850'", "关闭年份早于开办年份"]),
    ("bad_boolean.csv", ["'也许'", "应填「是」或「否」"]),
    ("ragged_rows.csv", ["CSV 格式错误", "line 3"]),
    ("undecodable.csv", ["无法识别文件编码", "GBK"]),
    ("old_excel.xls", ["不支持旧版 .xls"]),
    ("line_geometry.geojson", ["第 1 个要素", "LineString", "第 2 个要素", "几何为空"]),
    ("no_prj.shp", ["没有坐标参考系", ".prj"]),
    ("register_many_problems.xlsx", ["4 个错误", "'早教中心'", "填反", "'很多'", "第 3 行"]),
]
BOUNDARY_CASES = [
    ("boundaries_invalid.geojson", ["第 1 个要素", "几何无效", "Self-intersection", "修复几何图形"]),
    ("boundaries_duplicate_codes.geojson", ["编号重复", "'1'"]),
    ("boundaries_points.geojson", ["几何类型为 Point", "面"]),
]
CONFIG_CASES = [
    ("config_unknown_key.yaml", ["第 13 行", "walk_speed_kmh", "是不是「walk_speed_kph」"]),
    ("config_bad_values.yaml", ["no_such_file.geojson", "'mars'", "census", "walk_speed_kph", "'abc'",
                                "report_year", "run_name"]),
    ("config_yaml_syntax.yaml", ["YAML 语法错误", "第 4 行"]),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _check(args: list[str], path: Path, fragments: list[str], capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # anything written by mistake would land here
    before = _digest(path)
    code, text = _run(args, capsys)
    assert code == 1, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert _digest(path) == before, "the input file was modified"
    assert list(tmp_path.iterdir()) == [], "validate wrote files"


@pytest.mark.parametrize("name,fragments", FACILITY_CASES, ids=[c[0] for c in FACILITY_CASES])
def test_broken_facility_file(name, fragments, capsys, tmp_path, monkeypatch):
    path = BROKEN / name
    _check(["validate", "-q", "--config", str(SONGJIANG_CONFIG), "--facilities", str(path)], path, fragments,
           capsys, tmp_path, monkeypatch)


@pytest.mark.parametrize("name,fragments", BOUNDARY_CASES, ids=[c[0] for c in BOUNDARY_CASES])
def test_broken_boundary_file(name, fragments, capsys, tmp_path, monkeypatch):
    path = BROKEN / name
    _check(["validate", "-q", "--config", str(SONGJIANG_CONFIG), "--boundaries", str(path)], path, fragments,
           capsys, tmp_path, monkeypatch)


@pytest.mark.parametrize("name,fragments", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_broken_config_file(name, fragments, capsys, tmp_path, monkeypatch):
    path = BROKEN / name
    _check(["validate", "-q", "--config", str(path)], path, fragments, capsys, tmp_path, monkeypatch)


def test_corpus_has_at_least_fifteen_cases():
    assert len(FACILITY_CASES) + len(BOUNDARY_CASES) + len(CONFIG_CASES) >= 15
    listed = {c[0] for c in FACILITY_CASES + BOUNDARY_CASES + CONFIG_CASES}
    on_disk = {p.name for p in BROKEN.iterdir() if p.suffix not in (".dbf", ".shx", ".tif")
               and not p.name.startswith("population_")}
    assert on_disk <= listed, f"broken inputs without a test: {sorted(on_disk - listed)}"
