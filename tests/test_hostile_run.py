"""`svcov run` on a register, boundaries, rule file, candidates and configuration whose text carries template,
formula and markup payloads (issue 10): the run succeeds and every output shows the text literally — read back
from the map (in headless Chromium too), the HTML, Word and PDF documents, the XLSX cells, the raw CSV and the
GeoPackages — and nothing it reads changes. The registers and candidates are synthetic test records.

The browser part needs Debian chromium + chromium-driver, the PDF part poppler's pdftotext; without them those
parts skip and say what to install.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import _browser
import _hostile as h
import geopandas as gpd
import openpyxl
import pytest
import yaml
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import escape

from svcov.cli import main

pytestmark = pytest.mark.slow

JIEZHEN = {"岳阳街道": "{{7*7}}岳阳街道", "方松街道": '=HYPERLINK("x","y")方松街道',
           "中山街道": "<script>alert(1)</script>中山街道", "永丰街道": "$\\frac{$永丰街道"}
DISTRICT = "松江区{{7*7}}"
SOURCE_LABEL = "名册{% raw %}=1+1<i>斜</i>"
RULE_LABEL = "{{7*7}}普惠性托育点覆盖率<b>粗</b>"
CANDIDATE = "{{7*7}}候选<img src=x onerror=alert(1)>"
#: A scenario (issue 13) whose register, label and description carry payloads: its register goes through the same
#: loader as the run's, its text into the map layer, the report appendix and tables/scenario_comparison.
SCENARIO_LABEL = "{{7*7}}情景<b>粗</b>=1+1"
SCENARIO_NOTE = "=HYPERLINK(\"x\",\"y\")情景说明{% raw %}"
SCENARIO_NAMES = ["{{7*7}}情景点<script>alert(1)</script>", "=cmd|' /C calc'!A0情景点"]


def _inputs(root: Path) -> Path:
    """Write the hostile inputs and the configuration that uses them; returns the configuration."""
    ws = h.Workspace(root)
    register = ws.file("托育名册{{7*7}}.csv", h.csv_text(h.register_rows(list(h.PAYLOADS),
                                                                     addresses=list(reversed(h.PAYLOADS)))))
    boundaries = gpd.read_file(h.ROOT / "data" / "boundaries" / "songjiang_jiezhen_osm.geojson")
    boundaries["name"] = boundaries["name"].replace(JIEZHEN)
    boundary_file = root / "inputs" / "街镇.geojson"
    boundaries.to_file(boundary_file, driver="GeoJSON")
    rules = yaml.safe_load((h.ROOT / "data" / "rules" / "songjiang_2021_2023.yaml").read_text(encoding="utf-8"))
    for rule in rules["rules"]:
        if rule["id"] == "point_coverage" or rule["label_zh"] == "街镇普惠性托育点覆盖率":
            rule["label_zh"] = RULE_LABEL
    rule_file = ws.file("规则.yaml", yaml.safe_dump(rules, allow_unicode=True, sort_keys=False))
    points = boundaries.to_crs(32651).geometry.representative_point()
    offsets = [(0, 0), (600, 0), (0, 600)]
    rows = [[f"C{i:03d}", f"{CANDIDATE}{i}", (p.x + dx), (p.y + dy)] for i, (p, (dx, dy))
            in enumerate((p, o) for p in points for o in offsets)]
    lonlat = gpd.GeoSeries(gpd.points_from_xy([r[2] for r in rows], [r[3] for r in rows]), crs=32651).to_crs(4326)
    rows = [[r[0], r[1], f"{q.x:.6f}", f"{q.y:.6f}"] for r, q in zip(rows, lonlat)]
    candidates = ws.file("候选用房.csv", h.csv_text(rows, header=["编号", "名称", "经度", "纬度"]))
    added = [[f"X{i}", *row[1:]] for i, row in enumerate(h.register_rows(SCENARIO_NAMES))]
    scenario_register = ws.file("情景{{7*7}}新增.csv", h.csv_text(added))
    return ws, ws.config(changes={
        "scenarios": [{"name": "hostile", "label_zh": SCENARIO_LABEL, "description_zh": SCENARIO_NOTE,
                       "add": [{"path": str(scenario_register), "label_zh": SCENARIO_LABEL}], "close": ["H001"]}],
        "district": {"name_zh": DISTRICT},
        "boundaries": {"path": str(boundary_file)},
        "facilities": [{"path": str(register), "label_zh": SOURCE_LABEL},
                       {**h.base_config(ws.outputs)["facilities"][0]}],
        "rules": str(rule_file),
        "siting": {"candidates": [{"kind": "file", "path": str(candidates), "label_zh": "街镇提供的用房"}],
                   "tradeoff_max_k": 3, "tradeoff_shares": [0.25], "legs": []},  # the text is the point here
    })


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    ws, config = _inputs(root)
    inputs_before = h.tree(root / "inputs")
    bundled_before = h.bundled_inputs()
    out = ws.outputs / "run"
    cwd = Path.cwd()
    os.chdir(root)                    # a template that ran a shell command would leave svcov-pwned here
    try:
        code = main(["run", "-q", "--config", str(config), "--out", str(out)])
    finally:
        os.chdir(cwd)
    assert code == 0
    assert h.tree(root / "inputs") == inputs_before and h.bundled_inputs() == bundled_before
    assert ws.user_files_intact()
    return out


def _in_json(text: str) -> str:
    """How a text appears inside the map's JSON (Jinja2's tojson)."""
    return str(htmlsafe_json_dumps(text))[1:-1]


def test_nothing_ran(hostile_run):
    root = hostile_run.parents[2]
    assert not any(p.name == "svcov-pwned" for p in root.rglob("*"))
    page = (hostile_run / "map.html").read_text(encoding="utf-8")
    assert "49号托育点" not in page and "49岳阳街道" not in page and "uid=" not in page


def test_map_page_holds_every_text_as_json_data(hostile_run):
    page = (hostile_run / "map.html").read_text(encoding="utf-8")
    escaped = [str(escape(t)) for t in (*h.PAYLOADS, *JIEZHEN.values(), SOURCE_LABEL, DISTRICT, *SCENARIO_NAMES,
                                        SCENARIO_LABEL)]  # autoescape
    for text in escaped:
        assert _in_json(text) in page, text
    for raw in ("<script>alert(1)</script>", "<img src=x", "<i>斜</i>"):
        assert raw not in page


WHY_NOT = _browser.missing()


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_map_in_chromium_shows_the_text_and_runs_nothing(hostile_run):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.support.ui import WebDriverWait

    driver = _browser.start()
    try:
        driver.get((hostile_run / "map.html").as_uri())
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.svcovYear !== undefined"))
        assert _browser.console_errors(driver) == []
        labels = driver.execute_script("return Array.from(document.querySelectorAll('.svcov-label')).map("
                                       "function (e) { return e.textContent; })")
        for name in JIEZHEN.values():
            assert name in labels
        driver.execute_script("""                                              // the scenario layer starts off
            document.querySelectorAll('.leaflet-control-layers-overlays label').forEach(function (l) {
                if (l.textContent.indexOf('情景') >= 0) { l.querySelector('input').click(); }
            });""")
        texts = driver.execute_script("""
            var map = window[document.querySelector('.folium-map').id], out = [];
            map.eachLayer(function (l) {
                if (l.getPopup && l.getPopup()) {
                    var box = document.createElement('div');
                    box.innerHTML = String(l.getPopup().getContent());
                    out.push(box.textContent);
                }
            });
            return out;""")
        joined = "\n".join(texts)
        for text in (*h.PAYLOADS, SOURCE_LABEL, f"建议点位: {CANDIDATE}",
                     *(f"情景「{SCENARIO_LABEL}」增加: {n}" for n in SCENARIO_NAMES)):
            assert text in joined, text
        assert driver.execute_script("return document.querySelectorAll("
                                     "'.leaflet-pane script, .leaflet-pane img[src=\"x\"], i, b').length") == 0
        assert DISTRICT in driver.find_element("css selector", ".svcov-title").text
        with pytest.raises(NoAlertPresentException):
            _ = driver.switch_to.alert.text
        shot = Path(os.environ.get("SVCOV_SCREENSHOT_DIR", hostile_run.parent)) / "hostile_map.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(shot))
        assert _browser.console_errors(driver) == []
    finally:
        _browser.stop(driver)


def test_html_documents_escape_the_text(hostile_run):
    report = (hostile_run / "report.html").read_text(encoding="utf-8")
    for text in (*JIEZHEN.values(), DISTRICT, SOURCE_LABEL, SCENARIO_LABEL, SCENARIO_NOTE):
        assert str(escape(text)) in report, text
    memos = " ".join(p.read_text(encoding="utf-8") for p in (hostile_run / "memos").glob("*.html"))
    assert str(escape(CANDIDATE)) in memos
    assert any(str(escape(text)) in memos for text in h.PAYLOADS)
    for page in (report, memos):
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page and "<i>斜</i>" not in page


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_word_documents_show_the_text(hostile_run):
    report = _docx_text(hostile_run / "report.docx")
    for text in (*JIEZHEN.values(), DISTRICT, SOURCE_LABEL, SCENARIO_LABEL, SCENARIO_NOTE):
        assert text in report, text
    memos = "\n".join(_docx_text(p) for p in (hostile_run / "memos").glob("*.docx"))
    assert CANDIDATE in memos
    assert any(text in memos for text in h.PAYLOADS)                 # nearest facilities are named in memos


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext (apt-get install "
                                                              "poppler-utils)")
def test_pdf_report_shows_the_text(hostile_run):
    text = subprocess.run(["pdftotext", "-layout", str(hostile_run / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    for shown in (DISTRICT, JIEZHEN["岳阳街道"], '=HYPERLINK("x","y")方松', "<script>alert(1)</scri"):  # table
        assert shown in text, shown                                    # cells wrap long names: their first line


def test_xlsx_cells_are_text_and_numbers(hostile_run):
    book = openpyxl.load_workbook(hostile_run / "tables" / "facilities.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    names = {c.value: c.data_type for c in sheet["ABCDEFGHIJKLMNOPQRSTUVWXYZ"[header.index("名称")]][1:]}
    for text in h.PAYLOADS:
        assert names.get(text) == "s", text
    places = sheet["ABCDEFGHIJKLMNOPQRSTUVWXYZ"[header.index("托位数")]][1:]
    assert {c.data_type for c in places if c.value is not None} == {"n"}
    for path in (hostile_run / "tables").glob("*.xlsx"):
        every = openpyxl.load_workbook(path)
        formulas = [c.coordinate for s in every.worksheets for row in s.iter_rows() for c in row
                    if c.data_type == "f"]
        assert formulas == [], path.name
    sites = openpyxl.load_workbook(hostile_run / "tables" / "proposed_sites.xlsx").worksheets[0]
    assert any(str(c.value).startswith(CANDIDATE) and c.data_type == "s" for row in sites.iter_rows() for c in row)


def test_csv_text_is_neutralised_and_numbers_stay(hostile_run):
    with open(hostile_run / "tables" / "facilities.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [r["名称"] for r in rows]
    for text in h.FORMULA_PAYLOADS:
        assert "'" + text in names and text not in names, text
    for text in h.TEMPLATE_PAYLOADS + h.MARKUP_PAYLOADS:
        assert text in names, text
    places = [r["托位数"] for r in rows if r["名称"] in h.PAYLOADS]
    assert set(places) == {"20"}
    with open(hostile_run / "tables" / "data_summary.csv", encoding="utf-8-sig", newline="") as handle:
        jiezhen = [r["街镇"] for r in csv.DictReader(handle)]
    assert "'" + JIEZHEN["方松街道"] in jiezhen and JIEZHEN["岳阳街道"] in jiezhen and JIEZHEN["中山街道"] in jiezhen
    with open(hostile_run / "tables" / "scenario_comparison.csv", encoding="utf-8-sig", newline="") as handle:
        scenario = list(csv.DictReader(handle))
    assert {r["情景"] for r in scenario} == {SCENARIO_LABEL}                    # starts with {{: stays as it is
    assert {r["情景说明"] for r in scenario} == {"'" + SCENARIO_NOTE}             # a formula: neutralised


def test_geopackages_hold_the_text_exactly(hostile_run):
    facilities = gpd.read_file(hostile_run / "layers.gpkg", layer="facilities")
    assert set(h.PAYLOADS) <= set(facilities["name"])
    jiezhen = gpd.read_file(hostile_run / "layers.gpkg", layer="jiezhen")
    assert set(JIEZHEN.values()) <= set(jiezhen["name"])
    sites = gpd.read_file(hostile_run / "siting.gpkg", layer="proposed_sites")
    new_points = sites[sites["leg"] == "inclusive_childcare_point"]          # the leg whose candidates are the file's
    assert new_points["candidate_name"].str.startswith(CANDIDATE).all() and len(new_points) > 0


def test_manifest_lists_every_file(hostile_run):
    manifest = json.loads((hostile_run / "manifest.json").read_text(encoding="utf-8"))
    listed = {o["path"] for o in manifest["outputs"]}
    on_disk = {p.relative_to(hostile_run).as_posix() for p in hostile_run.rglob("*") if p.is_file()}
    assert on_disk - listed == {"manifest.json"}
