"""The access stage in ``svcov run``: the bundled Songjiang job (straight-line fallback, labelled as such) and a
small job on the real Jing'an street network given with ``--network FILE``."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from svcov.cli import main

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT / "tests" / "data" / "shanghai_jingan_drive_osm.osm"
PBF = ROOT / "tests" / "data" / "shanghai_jingan_drive_osm.osm.pbf"


def _layers(path):
    return {name: pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)}


def test_bundled_run_without_a_network_is_labelled_as_an_estimate(songjiang_run_dir):
    out = songjiang_run_dir
    table = pd.read_csv(out / "tables" / "coverage.csv")
    assert set(table["出行时间计算方式"]) == {"straight_line"}
    assert set(table["出行时间说明"]) == {"直线距离估算 (未加载路网)"}
    assert table["人口为估算"].eq("是").all()
    assert set(table["人群代码"]) == {"children_0_3", "residents"} and set(table["出行方式"]) == {"步行"}
    district = table[(table["街镇代码"] == "全区") & (table["服务代码"] == "kindergarten")]
    kids = district[district["人群代码"] == "children_0_3"]
    assert len(kids) == 3 * 3  # years × thresholds
    assert kids["人数"].round().eq(62449).all() and kids["人群"].eq("0-3 岁儿童").all()
    assert district[district["人群代码"] == "residents"]["人数"].round().eq(1909713).all()
    assert (kids.groupby("年份")["覆盖率"].apply(lambda s: s.is_monotonic_increasing)).all()
    layers = _layers(out / "service_areas.gpkg")
    assert set(layers) == {"service_areas", "service_areas_facility", "demand_access"}
    areas = layers["service_areas"]
    assert (areas["travel_mode"] == "straight_line").all() and len(areas) == 3 * 11 * 3
    per_facility = layers["service_areas_facility"]
    assert len(per_facility) == 67 * 3
    r15 = 15 * 60 * 4.0 / 3.6 / 1.3  # metres walked in 15 minutes at 4 km/h with circuity 1.3
    assert per_facility[per_facility["threshold_min"] == 15]["area_km2"].max() == pytest.approx(
        np.pi * r15 ** 2 / 1e6, rel=0.01)
    notes = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["notes"]
    assert any("直线距离" in n and "估算" in n for n in notes)
    assert any("托位可达性 (2SFCA) 未计算" in n for n in notes)


def _jingan_job(tmp_path: Path) -> Path:
    """A small job on the Jing'an extract: two halves as 街镇, three (made-up, test-only) facilities, a point grid."""
    boundaries = tmp_path / "jiezhen.geojson"
    boundaries.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "T01", "name": "西测试街道"},
         "geometry": {"type": "Polygon", "coordinates": [[[121.462, 31.221], [121.4735, 31.221], [121.4735, 31.240],
                                                          [121.462, 31.240], [121.462, 31.221]]]}},
        {"type": "Feature", "properties": {"code": "T02", "name": "东测试街道"},
         "geometry": {"type": "Polygon", "coordinates": [[[121.4735, 31.221], [121.485, 31.221], [121.485, 31.240],
                                                          [121.4735, 31.240], [121.4735, 31.221]]]}}]}),
        encoding="utf-8")
    (tmp_path / "facilities.csv").write_text(
        "编号,名称,类型,经度,纬度,托位数,开办年份\n"
        "a,测试托育点甲,普惠性托育点,121.4668,31.2290,40,2021\n"
        "b,测试幼儿园乙,公办托幼一体园,121.4790,31.2330,25,\n"
        "c,测试托育点丙,普惠性托育点,121.4760,31.2240,,2022\n", encoding="utf-8")
    lon, lat = np.meshgrid(np.linspace(121.463, 121.484, 15), np.linspace(31.222, 31.239, 12))
    pd.DataFrame({"lon": lon.ravel(), "lat": lat.ravel(), "pop_0_3": 5.0, "pop_total": 200.0}).to_csv(
        tmp_path / "population.csv", index=False)
    config = tmp_path / "job.yaml"
    config.write_text(f"""
run_name: jingan_test
district: {{name_zh: 测试区}}
crs_metric: EPSG:32651
boundaries: {{path: jiezhen.geojson, code_column: code, name_column: name}}
facility_types: {ROOT / 'data' / 'config' / 'facility_types_childcare.yaml'}
facilities:
  - path: facilities.csv
    label_zh: 测试设施 (虚构)
population:
  kind: points
  path: population.csv
  label_zh: 测试人口 (虚构)
  groups:
    - {{key: children_0_3, name_zh: 0-3 岁儿童, aliases: [pop_0_3]}}
    - {{key: residents, name_zh: 常住人口, aliases: [pop_total]}}
travel: {{walk_speed_kph: 4.0, snap_max_m: 200, thresholds_min: [5, 10, 15]}}
network: {{source: none}}
years: [2021, 2022]
outputs: {{dir: out}}
""", encoding="utf-8")
    return config


def _line_layer(tmp_path: Path) -> Path:
    """The Jing'an streets as a Shapefile in CGCS2000 / 3-degree Gauss-Kruger, as a bureau might keep them."""
    from svcov.network.sources import load_network

    path = tmp_path / "roads.shp"
    edges = load_network(OSM, crs_metric="EPSG:32651").edges_frame()[["highway", "name", "geometry"]]
    edges.to_crs("EPSG:4547").to_file(path, engine="pyogrio")
    return path


@pytest.mark.parametrize("network", [OSM, PBF, "line_layer"], ids=["osm_xml", "pbf", "shapefile"])
def test_run_with_a_network_file(tmp_path, network):
    config = _jingan_job(tmp_path)
    network = _line_layer(tmp_path) if network == "line_layer" else network
    out = tmp_path / "run"
    assert main(["run", "-q", "-c", str(config), "--network", str(network), "--out", str(out)]) == 0
    table = pd.read_csv(out / "tables" / "coverage.csv")
    assert set(table["出行时间计算方式"]) == {"network"}
    circle = table[(table["服务代码"] == "inclusive_childcare") & (table["街镇代码"] == "全区")
                   & (table["人群代码"] == "children_0_3")]
    share = circle.set_index(["年份", "时间阈值(分钟)"])["覆盖率"]
    assert share[(2022, 15)] > share[(2021, 15)] > 0  # the point opened in 2022 adds coverage
    assert share[(2022, 5)] < share[(2022, 10)] < share[(2022, 15)] <= 1
    layers = _layers(out / "service_areas.gpkg")
    assert {"service_areas", "service_areas_facility", "demand_access", "network_edges"} <= set(layers)
    assert (layers["service_areas"]["travel_mode"] == "network").all()
    assert (out / "tables" / "network_components.csv").is_file() and (out / "tables" / "network_fit.csv").is_file()
    capacity = pd.read_csv(out / "tables" / "capacity_2sfca.csv")
    assert capacity["为下限(有设施托位数未知)"].eq("是").any()  # facility c has no capacity
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["network"][0]["path"] == str(network)
    assert any("沿路网" in n or "步行时间沿路网计算" in n for n in manifest["notes"])
    assert any("路网看起来是机动车路网" in n for n in manifest["notes"])   # the extract has no footways


def test_missing_network_file_is_an_input_error(tmp_path, capsys):
    assert main(["run", "-q", "--network", str(tmp_path / "none.osm"), "--out", str(tmp_path / "o")]) == 1
    assert "找不到 --network 指定的路网文件" in capsys.readouterr().err
