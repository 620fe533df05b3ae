"""The whole run on the bundled data: files, manifest, failure behaviour."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from svcov.config import FacilitySource
from svcov.errors import ValidationFailed
from svcov.pipeline import data_notes, run

BROKEN = Path(__file__).parent / "data" / "broken"


def test_run_writes_the_data_summary(songjiang_run_dir):
    out = songjiang_run_dir
    for name in ("tables/data_summary.csv", "tables/data_summary.xlsx", "tables/facilities.csv", "layers.gpkg",
                 "manifest.json"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "tables/data_summary.csv", encoding="utf-8-sig")
    assert "0-3岁儿童(估算)" in table.columns and "公办托幼一体园(个)" in table.columns
    assert table["0-3岁儿童(估算)"].iloc[-1] == 62449 and table["常住人口(估算)"].iloc[-1] == 1909713
    assert table["0-3岁儿童(估算)"].iloc[:-1].sum() == pytest.approx(62449, abs=17)  # each 街镇 rounded


def test_manifest_lists_inputs_settings_outputs(songjiang_run_dir, songjiang_config):
    manifest = json.loads((songjiang_run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["config"][0]["path"] == str(songjiang_config.path)
    assert len(manifest["inputs"]["config"][0]["sha256"]) == 64
    assert manifest["settings"]["travel"]["walk_speed_kph"] == 4.0
    assert {"load_inputs", "data_summary"} <= set(manifest["timings_s"])
    assert any("估算" in note for note in manifest["notes"])
    listed = {o["path"] for o in manifest["outputs"]}
    on_disk = {p.relative_to(songjiang_run_dir).as_posix() for p in songjiang_run_dir.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert listed == on_disk


def test_notes_mark_every_estimate(songjiang_inputs):
    notes = "\n".join(data_notes(songjiang_inputs))
    assert "0-3 岁儿童和常住人口分布是估算值" in notes
    assert "67 个设施的类型是按名称规则或默认值推断的" in notes
    assert "非完整名册" in notes and "ODbL" in notes


def test_failed_run_leaves_previous_results(songjiang_config, songjiang_run_dir, tmp_path):
    out = tmp_path / "songjiang"  # a copy: other tests (and workers) read the shared run
    shutil.copytree(songjiang_run_dir, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    broken = replace(songjiang_config, facilities=(FacilitySource(path=BROKEN / "swapped_latlon.csv", label_zh="坏"),
                                                   FacilitySource(path=BROKEN / "duplicate_ids.csv", label_zh="坏")))
    with pytest.raises(ValidationFailed) as info:
        run(broken, out_dir=out)
    assert len(info.value.errors) == 2  # both files reported in one go
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert not list(out.parent.glob(".*partial"))


def _read_table(path: Path, labels: dict) -> pd.DataFrame:
    """A table written by the run, with its Chinese headers turned back into the column names."""
    from svcov.outputs.tables import COLUMN_LABELS_ZH

    back = {v: k for k, v in {**COLUMN_LABELS_ZH, **labels}.items()}
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"街镇代码": str}).rename(columns=back)


def _coverage_table(out: Path) -> pd.DataFrame:
    from svcov.access.summary import ACCESS_LABELS_ZH

    return _read_table(out / "tables" / "coverage.csv", ACCESS_LABELS_ZH)


def test_run_writes_every_product(songjiang_run_dir):
    import re

    out = songjiang_run_dir
    for name in ("map.html", "report.html", "report.pdf", "report.docx", "report_2021.html", "report_2022.pdf",
                 "layers.gpkg", "service_areas.gpkg", "siting.gpkg", "memos/index.html", "tables/coverage.xlsx",
                 "tables/rule_status.xlsx", "tables/proposed_sites.xlsx", "tables/siting_coverage.csv",
                 "tables/siting_places.xlsx", "tables/siting_phasing.csv", "tables/siting_tradeoff.csv",
                 "tables/siting_tradeoff_shares.csv", "tables/scenario_comparison.xlsx"):
        assert (out / name).is_file(), name
    sites = pd.read_csv(out / "tables" / "proposed_sites.csv", encoding="utf-8-sig")
    assert len(sites) == 18 + 6 + 17  # new points, 托班 conversions, guidance stations
    assert sites.groupby("布局环节代码").size().to_dict() == {"inclusive_childcare_point": 18, "nursery_class": 6,
                                                          "guidance_station": 17}
    assert len(list((out / "memos").glob("site_*.html"))) == len(list((out / "memos").glob("site_*.docx"))) == 41
    page = (out / "map.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", page)  # offline: nothing from the web
    assert "\\u4f30\\u7b97" in page and "OpenStreetMap" in page  # 「估算」 (texts are JSON strings in the page)


def test_report_numbers_equal_the_coverage_table(songjiang_run_dir):
    import io

    out = songjiang_run_dir
    cov = _coverage_table(out)
    circle = cov[(cov["service"] == "inclusive_childcare") & (cov["threshold_min"] == 15) & (cov["year"] == 2023)
                 & (cov["group"] == "children_0_3")]
    circle = circle.assign(jiezhen_name=circle["jiezhen_name"].where(circle["jiezhen_code"] != "全区", "松江区"))
    shown = pd.read_html(io.StringIO((out / "report.html").read_text(encoding="utf-8")))[0]
    assert len(shown) == 18  # the district and its 17 街镇
    merged = shown.merge(circle, left_on="街镇", right_on="jiezhen_name", validate="one_to_one")
    assert len(merged) == 18
    assert (merged["0-3 岁儿童 (人, 估算)"] == merged["pop"].round()).all()
    # 「无数据」: a 街镇 at 0 % without any facility record (the register is incomplete) shows no figure
    no_data = merged["覆盖率"] == "无数据"
    assert no_data.sum() == 4 and (merged.loc[no_data, "share_covered"] == 0).all()
    assert (merged.loc[no_data, "15 分钟内可达 (人)"] == "—").all()
    known = merged[~no_data]
    assert (known["15 分钟内可达 (人)"].astype(float) == known["pop_covered"].round()).all()
    # the report shows one decimal of a percentage; the CSV keeps four decimals of the share
    shown_share = known["覆盖率"].str.rstrip("%").astype(float) / 100
    assert ((shown_share - known["share_covered"]).abs() <= 0.0005 + 1e-4).all()


def test_siting_before_equals_the_coverage_table(songjiang_run_dir):
    cov = _coverage_table(songjiang_run_dir)
    district = cov[(cov["service"] == "inclusive_childcare") & (cov["threshold_min"] == 15)
                   & (cov["group"] == "children_0_3") & (cov["jiezhen_code"] == "全区")
                   ].set_index("year")["share_covered"]
    from svcov.siting.proposals import SITING_LABELS_ZH

    siting = _read_table(songjiang_run_dir / "tables" / "siting_coverage.csv", SITING_LABELS_ZH)
    siting = siting[siting["leg"] == "inclusive_childcare_point"]  # the main leg counts the existing facilities only
    before = siting[siting["jiezhen_code"] == "全区"].set_index("year")["share_before"]
    assert before.round(4).to_dict() == district.round(4).to_dict()


def test_tables_and_layers_are_ready_for_excel_and_qgis(songjiang_run_dir):
    """Every XLSX has Chinese headers and no empty column; shares are numbers in percent format, headcounts whole
    numbers; every GeoPackage layer is in outputs.crs (WGS-84 here) with Chinese field aliases."""
    import pyogrio
    from openpyxl import load_workbook

    from svcov.outputs.tables import layer_aliases

    tables = sorted((songjiang_run_dir / "tables").glob("*.xlsx"))
    assert len(tables) >= 10
    for path in tables:
        sheet = load_workbook(path).worksheets[0]
        header = [c.value for c in sheet[1]]
        assert not [h for h in header if str(h).isascii()], (path.name, header)
        columns = list(sheet.iter_cols(min_row=2, values_only=True))
        assert all(any(v not in (None, "") for v in col) for col in columns), path.name
    sheet = load_workbook(songjiang_run_dir / "tables" / "coverage.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    share, count = header.index("覆盖率") + 1, header.index("阈值内可达的人数") + 1
    for r in range(2, sheet.max_row + 1):
        s, c = sheet.cell(row=r, column=share), sheet.cell(row=r, column=count)
        assert s.number_format == "0.0%" and 0 <= s.value <= 1
        assert c.number_format == "#,##0" and isinstance(c.value, int)
    for gpkg in ("layers.gpkg", "service_areas.gpkg", "siting.gpkg"):
        for layer, _ in pyogrio.list_layers(songjiang_run_dir / gpkg):
            info = pyogrio.read_info(songjiang_run_dir / gpkg, layer=layer)
            assert info["crs"] == "EPSG:4326", (gpkg, layer)
            aliases = layer_aliases(songjiang_run_dir / gpkg, layer)
            assert set(info["fields"]) <= set(aliases), (gpkg, layer, set(info["fields"]) - set(aliases))
            assert all(not a.isascii() for a in aliases.values())
