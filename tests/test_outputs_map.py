"""Tests of svcov.outputs.map: the page is offline and escaped; in headless Chromium with no network it loads
without errors, draws the layers (checked on the screenshot), switches years and shows names as text.

The browser tests need Debian chromium + chromium-driver; without them they skip and say so. Set
SVCOV_SCREENSHOT_DIR to keep the screenshots.
"""

import io
import json
import os
from pathlib import Path

import _browser
import _outputs_data as data
import numpy as np
import pandas as pd
import pytest

from svcov.data.places import load_places
from svcov.errors import ConfigError, MissingColumnError, OutputError
from svcov.outputs import map as map_module
from svcov.outputs.basemaps import BASEMAP_OFF_NOTE_ZH
from svcov.outputs.context import COVERAGE_COLORS, SITE_COLOR, STATUS_COLORS, coverage_class
from svcov.outputs.map import build_map, write_map
from svcov.outputs.maplayers import uncovered_shown
from svcov.outputs.webassets import external_assets


def js(text: str) -> str:
    """How a text appears inside the page's JSON strings."""
    return json.dumps(text)[1:-1]


@pytest.fixture(scope="module")
def frames():
    inputs = data.songjiang()[1]
    facilities = data.with_xss_facility(inputs.facilities)
    areas = data.service_areas(facilities)
    sites = data.sites(inputs.boundaries, candidate_names={1: data.XSS})
    config = data.songjiang()[0]
    return {"boundaries": inputs.boundaries, "facilities": facilities, "demand": inputs.demand,
            "service_areas": areas, "uncovered": data.uncovered(inputs.demand, areas),
            "coverage": data.coverage_table(inputs.boundaries, inputs.demand),
            "rule_status": data.rule_status(inputs.boundaries), "sites": sites,
            "site_areas": site_areas(sites), "places": load_places(config.output.context, inputs.boundaries)}


def site_areas(sites):
    """Walking areas of the proposed sites by buffering (a stand-in for the access engine, 1000 m = 15 min)."""
    import geopandas as gpd

    rows = [{"site_id": s, "threshold_min": t, "geometry": g.buffer(t * 1000 / 15)}
            for s, g in zip(sites["site_id"], sites.geometry) for t in (5, 10, 15)]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=sites.crs)


def expected_layers(frames) -> set[str]:
    """The layers the fixture's map must have: every one with something to draw."""
    f = frames["facilities"]
    counts = f["type"].value_counts()
    return {"街镇填色: 15 分钟覆盖率 (估算)", "街镇填色: 「3个一」状态", "街镇: 不填色",
            f"设施: 公办托幼一体园 ({counts['public_nursery_kindergarten']})",
            f"设施: 其他幼儿园 ({counts['other_kindergarten']})", "普惠性托育服务 步行 5/10/15 分钟范围",
            "幼儿园 (全部) 步行 5/10/15 分钟范围", "0-3 岁儿童分布 (估算)", "15 分钟内没有普惠性托育服务的儿童 (估算)",
            "建议新增点位", "建议点位 步行 5/10/15 分钟范围", "地名 (学校、公园、住宅小区等)", "街镇名称"}


@pytest.fixture(scope="module")
def page(frames, tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "map.html"
    write_map(path, info=data.run_info(), years=data.YEARS, **frames)
    return path


def test_map_is_one_self_contained_offline_page(page):
    html = page.read_text(encoding="utf-8")
    assert external_assets(html) == []
    assert "Leaflet 1.9.3" in html
    assert "`" not in html                                  # no JavaScript template literal could run a name
    assert len(html.encode("utf-8")) < 5e6
    assert list(page.parent.iterdir()) == [page]            # written atomically: no temporary file left


def test_inputs_are_not_modified(frames, page):
    inputs = data.songjiang()[1]
    assert frames["facilities"].equals(data.with_xss_facility(inputs.facilities))
    assert frames["coverage"].equals(data.coverage_table(inputs.boundaries, inputs.demand))
    assert frames["rule_status"].equals(data.rule_status(inputs.boundaries))
    assert frames["sites"].equals(data.sites(inputs.boundaries, candidate_names={1: data.XSS}))
    assert list(frames["demand"].columns) == list(inputs.demand.columns)


def test_names_from_inputs_are_escaped(page):
    html = page.read_text(encoding="utf-8")
    assert data.XSS not in html and "<img src=x" not in html
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in html      # escaped, inside JSON


def test_layers_legend_and_attribution_are_in_the_page(page, frames):
    html = page.read_text(encoding="utf-8")
    for name in expected_layers(frames):
        assert js(name) in html, name
    for text in ("图例", "达标", "未达标", "数据不足", data.TRAVEL_ZH, "虚线边框的设施", "0-20%", BASEMAP_OFF_NOTE_ZH):
        assert js(text) in html, text
    assert "OpenStreetMap" in html and "ODbL" in html
    assert "memos/site_S2023-2.html" in html
    assert "@page { size: A4 landscape" in html


def test_only_layers_with_data_and_a_legend_entry_for_each(frames):
    fmap = build_map(info=data.run_info(), years=data.YEARS, **frames)
    assert set(fmap.svcov_layers) == expected_layers(frames)
    assert fmap.svcov_legend_layers == set(fmap.svcov_layers) - {"街镇名称"}   # names explain themselves
    # a service without any area, a type without facilities, no sites: no layer and no legend entry for them
    empty = frames["service_areas"].iloc[:3].assign(service="family_services", geometry=None)
    areas = pd.concat([frames["service_areas"], empty])
    light = build_map(info=data.run_info(), years=data.YEARS, boundaries=frames["boundaries"],
                      facilities=frames["facilities"], service_areas=areas, coverage=frames["coverage"])
    assert not any("家庭" in name for name in light.svcov_layers)
    assert not any("普惠性托育点" in name for name in light.svcov_layers)
    assert light.svcov_legend_layers == set(light.svcov_layers) - {"街镇名称"}
    assert "建议新增点位" not in light.svcov_layers and "街镇填色: 「3个一」状态" not in light.svcov_layers


def test_a_service_equal_to_another_gets_no_layer_of_its_own(frames):
    twin = frames["service_areas"][frames["service_areas"]["service"] == "inclusive_childcare"]
    areas = pd.concat([frames["service_areas"], twin.assign(service="public_nursery_kindergarten")])
    fmap = build_map(info=data.run_info(), years=data.YEARS, boundaries=frames["boundaries"],
                     facilities=frames["facilities"], service_areas=areas)
    html = fmap.get_root().render()
    assert not any(name.startswith("公办托幼一体园 步行") for name in fmap.svcov_layers)
    assert js("普惠性托育服务 5/10/15 分钟 (与公办托幼一体园相同)") in html


def test_no_data_is_not_zero(frames):
    """A 街镇 at 0 % with no facility record in an incomplete register shows 「无数据」, not the 0-20 % class."""
    coverage = frames["coverage"].copy()
    first = frames["boundaries"]["jiezhen_code"].iloc[0]
    second = frames["boundaries"]["jiezhen_code"].iloc[1]
    for code, n in ((first, 0), (second, 2)):
        mask = (coverage["jiezhen_code"] == code) & (coverage["service"] == "inclusive_childcare")
        coverage.loc[mask, ["share_covered", "pop_covered", "n_facilities"]] = [0.0, 0.0, n]
    fmap = build_map(info=data.run_info(), years=data.YEARS, boundaries=frames["boundaries"],
                     facilities=frames["facilities"], coverage=coverage)
    html = fmap.get_root().render()
    assert html.count('"className": "svcov-nodata"') == len(data.YEARS)      # the first 街镇, each year
    assert js("无数据 (本街镇没有设施记录, 名册不完整)") in html
    assert js("无数据 (无设施记录, 名册不完整)") in html                         # and the legend says so
    assert f'"fillColor": "{COVERAGE_COLORS[0]}"' in html                     # the second: a real 0 %


def test_uncovered_children_are_hatched_where_they_live(frames):
    uncovered, demand = frames["uncovered"], frames["demand"]
    shown, threshold = uncovered_shown(uncovered, demand, group="children_0_3")
    assert threshold == pytest.approx(np.median(demand["children_0_3"][demand["children_0_3"] > 0]))
    assert shown.sum() < 0.5 * len(uncovered)                 # the sparse even spread over the land stays clear
    assert (uncovered["children_0_3"][shown] > threshold).all()
    flat = uncovered.assign(children_0_3=3.0)
    assert uncovered_shown(flat, flat, group="children_0_3")[0].all()     # nothing denser than the rest: all of them


def _light(frames):
    return {"boundaries": frames["boundaries"], "facilities": frames["facilities"].head(5)}


def test_basemaps(frames):
    info = data.run_info()
    none = build_map(info=info, years=[2023], **_light(frames)).get_root().render()
    assert "L.tileLayer(" not in none and js(BASEMAP_OFF_NOTE_ZH) in none
    osm = build_map(info=info, years=[2023], basemap="osm", **_light(frames)).get_root().render()
    assert "tile.openstreetmap.org" in osm and "OpenStreetMap\\u003c/a\\u003e contributors (ODbL)" in osm
    assert js(BASEMAP_OFF_NOTE_ZH) not in osm
    tdt = build_map(info=info, years=[2023], basemap="tianditu", tianditu_key="abc123",
                    **_light(frames)).get_root().render()
    assert "tianditu.gov.cn/vec_w/wmts" in tdt and "tianditu.gov.cn/cva_w/wmts" in tdt and "tk=abc123" in tdt
    xyz = build_map(info=info, years=[2023], basemap="http://10.1.2.3/tiles/{z}/{x}/{y}.png",
                    basemap_attribution="区规划资源局内网底图 <2024>", **_light(frames)).get_root().render()
    assert "http://10.1.2.3/tiles/{z}/{x}/{y}.png" in xyz
    assert js("区规划资源局内网底图 ") + "\\u0026lt;2024\\u0026gt;" in xyz             # the credit is text
    wmts = build_map(info=info, years=[2023], basemap="https://gis.example.gov.cn/wmts/vec/{TileMatrix}/{TileRow}/"
                     "{TileCol}.png", basemap_attribution="某局", **_light(frames)).get_root().render()
    assert "https://gis.example.gov.cn/wmts/vec/{z}/{y}/{x}.png" in wmts
    assert all(external_assets(page) == [] for page in (osm, tdt, xyz, wmts))


@pytest.mark.parametrize("kwargs, message", [
    ({"basemap": "amap"}, "未知底图「amap」"),
    ({"basemap": "tianditu"}, "需要填写 outputs.tianditu_key"),
    ({"basemap": "tianditu", "tianditu_key": "k\"+alert(1)+\""}, "只能包含字母和数字"),
    ({"basemap": "http://10.1.2.3/tiles/{z}/{x}/{y}.png"}, "需要填写来源"),
    ({"basemap": "http://10.1.2.3/tiles/{z}/{x}.png", "basemap_attribution": "x"}, r"缺少瓦片占位符 \{y\}"),
    ({"basemap": "http://x/{z}/{x}/{y}.png\"onload=\"", "basemap_attribution": "x"}, "不能含空格、引号"),
])
def test_bad_basemap_settings(frames, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_map(info=data.run_info(), years=[2023], **_light(frames), **kwargs)


def test_memo_links_can_be_absolute(frames):
    fmap = build_map(info=data.run_info(), years=data.YEARS, boundaries=frames["boundaries"],
                     facilities=frames["facilities"], sites=frames["sites"], memo_dir="http://intranet/svcov/memos/")
    assert "http://intranet/svcov/memos/site_S2023-2.html" in fmap.get_root().render()


def test_bad_arguments(frames):
    with pytest.raises(ValueError, match="years 不能为空"):
        build_map(info=data.run_info(), years=[], **_light(frames))
    light = _light(frames)
    light["facilities"] = light["facilities"].drop(columns=["lon_wgs84"])
    with pytest.raises(MissingColumnError, match="lon_wgs84"):
        build_map(info=data.run_info(), years=[2023], **light)


def test_a_page_that_would_go_online_is_not_written(frames, tmp_path, monkeypatch):
    monkeypatch.setattr(map_module, "external_assets", lambda html: ["https://cdn.example.com/x.js"])
    with pytest.raises(OutputError, match="cdn.example.com"):
        write_map(tmp_path / "map.html", info=data.run_info(), years=[2023], **_light(frames))
    assert list(tmp_path.iterdir()) == []


def test_uncovered_years_and_population_classes():
    assert map_module._population_classes(np.array([1.94, 1.94, 2.6, 7.2, 19.8, 31.0, 96.5])) == [0, 5, 10, 20, 50]
    assert map_module._population_classes(np.array([0.0, 0.0])) == [0.0]
    assert map_module._population_classes(np.array([3.0, 4.0])) == [0.0]


# --- in the browser ---------------------------------------------------------------------------------------------

WHY_NOT = _browser.missing()

MAP = "window[document.querySelector('.folium-map').id]"


@pytest.fixture(scope="module")
def browser():
    driver = _browser.start()
    yield driver
    _browser.stop(driver)


@pytest.fixture(scope="module")
def loaded(browser, page):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(page.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return window.svcovYear !== undefined"))
    return browser


def _screenshot(driver, name: str) -> np.ndarray:
    from PIL import Image

    png = driver.get_screenshot_as_png()
    keep = os.environ.get("SVCOV_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / f"{name}.png").write_bytes(png)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _blend(hex_color: str, opacity: float) -> np.ndarray:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return rgb * opacity + 255 * (1 - opacity)


def _near(pixels: np.ndarray, rgb: np.ndarray, tolerance: float = 10) -> np.ndarray:
    return np.abs(pixels - rgb).max(axis=2) <= tolerance


def _layer(driver, name: str, on: bool) -> None:
    """Switch a layer of the (collapsed) layer control on or off, or choose a base fill, as a click would."""
    driver.execute_script("""
        var labels = document.querySelectorAll('.leaflet-control-layers label');
        for (var i = 0; i < labels.length; i++) {
            if (labels[i].textContent.indexOf(arguments[0]) >= 0) {
                var box = labels[i].querySelector('input');
                if (box.checked !== arguments[1]) { box.click(); }
                return;
            }
        }
        throw new Error('no layer ' + arguments[0]);
    """, name, on)


def _control_labels(driver) -> dict[str, list[str]]:
    return driver.execute_script("""
        function texts(sel) { return Array.prototype.map.call(document.querySelectorAll(sel),
            function (l) { return l.textContent.trim(); }); }
        return {base: texts('.leaflet-control-layers-base label'),
                overlays: texts('.leaflet-control-layers-overlays label')};
    """)


def _shown_legend_layers(driver) -> set[str]:
    return set(driver.execute_script("""
        return Array.prototype.filter.call(document.querySelectorAll('.svcov-legend [data-layer]'),
            function (el) { return el.style.display !== 'none' && el.parentNode.style.display !== 'none'; })
            .map(function (el) { return el.getAttribute('data-layer'); });
    """))


def _on_map(driver) -> set[str]:
    return set(driver.execute_script("""
        return Array.prototype.filter.call(document.querySelectorAll('.leaflet-control-layers input'),
            function (box) { return box.checked; })
            .map(function (box) { return box.parentNode.textContent.trim(); });
    """))


def _show_year(driver, year: int) -> None:
    driver.find_element("css selector", f"input[name=svcov-year][value='{year}']").click()
    assert driver.execute_script("return window.svcovYear") == str(year)


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_page_loads_offline_without_errors_or_requests(loaded, frames):
    assert _browser.console_errors(loaded) == []
    outside = [u for u in _browser.requested_urls(loaded) if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]
    assert outside == []
    labels = _control_labels(loaded)
    assert set(labels["base"]) | set(labels["overlays"]) == expected_layers(frames)
    assert labels["base"][0] == "街镇填色: 15 分钟覆盖率 (估算)"
    assert "图例" in loaded.find_element("css selector", ".svcov-legend").text
    assert not loaded.find_elements("css selector", ".leaflet-control-layers-expanded")     # collapsed


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_the_legend_shows_exactly_the_layers_on_the_map(loaded):
    assert _shown_legend_layers(loaded) == _on_map(loaded) - {"街镇名称"}
    _layer(loaded, "0-3 岁儿童分布", True)
    _layer(loaded, "建议新增点位", False)
    _layer(loaded, "「3个一」状态", True)
    try:
        shown = _shown_legend_layers(loaded)
        assert shown == _on_map(loaded) - {"街镇名称"}
        assert "0-3 岁儿童分布 (估算)" in shown and "建议新增点位" not in shown
        assert "街镇填色: 「3个一」状态" in shown and "街镇填色: 15 分钟覆盖率 (估算)" not in shown
    finally:
        _layer(loaded, "0-3 岁儿童分布", False)
        _layer(loaded, "建议新增点位", True)
        _layer(loaded, "15 分钟覆盖率", True)


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_screenshot_shows_layers_and_both_fills_follow_the_year(loaded, frames):
    shot = _screenshot(loaded, "map_2023_all_layers")
    map_area = shot[:, 420:1000]                              # right of the title and legend boxes
    assert _near(map_area, np.array([int(SITE_COLOR[i:i + 2], 16) for i in (1, 3, 5)]), 12).sum() > 30
    assert _near(map_area, np.array([0x1b, 0x9e, 0x77]), 12).sum() > 30                 # facility markers
    assert _near(map_area, np.array([0x54, 0x27, 0x8f]), 40).sum() > 200               # uncovered hatch
    hidden = ("街镇名称", "没有普惠性托育服务的儿童", "普惠性托育服务 步行", "建议点位 步行", "地名")
    for overlay in hidden:
        _layer(loaded, overlay, False)
    boundaries, facilities = frames["boundaries"], frames["facilities"]
    probes = boundaries.geometry.representative_point()
    far = [i for i, p in enumerate(probes) if facilities.distance(p).min() > 1500
           and boundaries["name"].iloc[i] not in ("叶榭镇", "新浜镇", "泖港镇")]
    assert len(far) >= 2
    lonlat = probes.to_crs("EPSG:4326")
    seen = {}
    try:
        for fill in ("15 分钟覆盖率", "「3个一」状态"):
            _layer(loaded, fill, True)
            for year in (2021, 2023):
                _show_year(loaded, year)
                shot = _screenshot(loaded, f"map_{year}_{'coverage' if '15' in fill else 'status'}")
                for i in far:
                    x, y = loaded.execute_script(f"var p = {MAP}.latLngToContainerPoint([arguments[0], arguments[1]]);"
                                                 "return [Math.round(p.x), Math.round(p.y)];", lonlat.iloc[i].y,
                                                 lonlat.iloc[i].x)
                    if "15" in fill:
                        color = COVERAGE_COLORS[coverage_class(data.share(i, year, "inclusive_childcare", 15))]
                    else:
                        color = STATUS_COLORS[data.STATUS_CYCLE[(i + year) % 3]]
                    window = shot[y - 4:y + 5, x - 4:x + 5]
                    assert _near(window, _blend(color, 0.55), 8).sum() >= 40, (boundaries["name"].iloc[i], year,
                                                                                fill)
                    seen[(fill, i, year)] = color
    finally:
        for overlay in (*hidden, "15 分钟覆盖率"):
            _layer(loaded, overlay, True)
        _show_year(loaded, 2023)
    assert any(seen[("「3个一」状态", i, 2021)] != seen[("「3个一」状态", i, 2023)] for i in far)
    assert any(seen[("15 分钟覆盖率", i, 2021)] != seen[("15 分钟覆盖率", i, 2023)] for i in far)


LABEL_OVERLAPS = """
function boxes(sel) { return Array.prototype.map.call(document.querySelectorAll(sel), function (e) {
    var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; })
    .filter(function (b) { return b[2] > b[0] && b[3] > b[1]; }); }
var labels = boxes('.svcov-label span'), marks = boxes('.svcov-icon'), hits = [];
labels.forEach(function (a) { marks.forEach(function (b) {
    if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) { hits.push(a[4]); } }); });
return [labels.length, marks.length, hits];
"""


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_names_do_not_cover_markers_on_a_laptop_screen(page, frames):
    """At 1366×768 (and on the test's larger window) no 街镇 name covers a facility or a proposed site, the names
    are drawn above the markers, and the legend fits on the screen."""
    from selenium.webdriver.support.ui import WebDriverWait

    for width, height in ((1366, 768), (1600, 1000)):
        driver = _browser.start(width, height)
        try:
            driver.get(page.as_uri())
            WebDriverWait(driver, 20).until(lambda d: d.execute_script("return window.svcovYear !== undefined"))
            _screenshot(driver, f"map_{width}x{height}")
            n_labels, n_markers, hits = driver.execute_script(LABEL_OVERLAPS)
            assert n_labels == len(frames["boundaries"]) and n_markers > 50
            assert hits == []
            z = driver.execute_script("return [getComputedStyle(document.querySelector('.leaflet-svcov-labels-pane'"
                                      ")).zIndex, getComputedStyle(document.querySelector('.leaflet-marker-pane'))"
                                      ".zIndex]")
            assert int(z[0]) > int(z[1])
            bottom = driver.execute_script("return document.querySelector('.svcov-legend').getBoundingClientRect()"
                                           ".bottom")
            assert bottom <= driver.execute_script("return window.innerHeight")
        finally:
            _browser.stop(driver)


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_place_names_show_when_zoomed_in(loaded):
    def shown():
        return loaded.execute_script("return Array.prototype.filter.call(document.querySelectorAll("
                                     "'.svcov-place span'), function (e) { return e.offsetParent !== null; }).length")
    assert loaded.find_elements("css selector", ".svcov-place") and shown() == 0
    centre = loaded.execute_script(f"return {MAP}.getCenter()")
    zoom = loaded.execute_script(f"return {MAP}.getZoom()")
    loaded.execute_script(f"{MAP}.setView([31.03, 121.225], 15.5, {{animate: false}});")
    try:
        assert shown() > 5
    finally:
        loaded.execute_script(f"{MAP}.setView([arguments[0], arguments[1]], arguments[2], {{animate: false}});",
                              centre["lat"], centre["lng"], zoom)


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_print_is_one_a4_landscape_page_with_map_title_and_legend(loaded):
    import base64
    import re

    pdf = base64.b64decode(loaded.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                                     "printBackground": True})["data"])
    keep = os.environ.get("SVCOV_SCREENSHOT_DIR")
    if keep:
        (Path(keep) / "map_print.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    box = [float(v) for v in re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)",
                                       pdf).groups()]
    assert box[2] == pytest.approx(841.9, abs=2) and box[3] == pytest.approx(595.3, abs=2)      # A4 landscape
    loaded.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = loaded.execute_script("""
            function on(sel) { var e = document.querySelector(sel);
                               return !!e && getComputedStyle(e).display !== 'none'; }
            return {zoom: on('.leaflet-control-zoom'), layers: on('.leaflet-control-layers'),
                    years: on('.svcov-years'), legend: on('.svcov-legend'), title: on('.svcov-title'),
                    map: on('.folium-map')};
        """)
        assert shown == {"zoom": False, "layers": False, "years": False, "legend": True, "title": True, "map": True}
    finally:
        loaded.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_year_switch_shows_the_sites_of_each_year(loaded):
    counts = {}
    for year in data.YEARS:
        _show_year(loaded, year)
        counts[year] = len(loaded.find_elements("css selector", ".svcov-site"))
        title = loaded.find_element("css selector", ".svcov-title-main").text
        assert f"{year} 年" in title
    assert counts == {2021: 0, 2022: 1, 2023: 3}


def _open_popup_containing(driver, needle: str) -> str:
    return driver.execute_script(f"""
        var map = {MAP}, found = null;
        map.eachLayer(function (l) {{
            if (!found && l.getPopup && l.getPopup() && String(l.getPopup().getContent()).indexOf(arguments[0]) >= 0)
                {{ found = l; }}
        }});
        if (!found) {{ return null; }}
        found.openPopup();
        return document.querySelector('.leaflet-popup-content').innerHTML;
    """.replace("arguments[0]", json.dumps(needle)))


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_script_names_show_as_text_and_never_run(loaded):
    from selenium.common.exceptions import NoAlertPresentException

    _show_year(loaded, 2023)
    assert _open_popup_containing(loaded, "xss-1") is not None
    text = loaded.execute_script("return document.querySelector('.leaflet-popup-content').textContent")
    assert data.XSS in text and data.XSS_TEMPLATE in text
    assert loaded.execute_script("return document.querySelectorAll("
                                 "'.leaflet-popup-content script, .leaflet-popup-content img').length") == 0
    with pytest.raises(NoAlertPresentException):
        _ = loaded.switch_to.alert.text
    assert _open_popup_containing(loaded, "site_S2023-2.html") is not None
    link = loaded.find_element("css selector", ".leaflet-popup-content a")
    assert link.get_attribute("href").endswith("/memos/site_S2023-2.html")
    assert data.XSS in loaded.execute_script("return document.querySelector('.leaflet-popup-content').textContent")
    assert _browser.console_errors(loaded) == []


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_many_facilities_are_drawn_only_where_the_view_holds_few(frames, tmp_path, monkeypatch):
    """A city run's thousands of markers: none at once at city zoom, those of the view once zoomed in (here with
    the limit lowered so the Songjiang fixture counts as many)."""
    from selenium.webdriver.support.ui import WebDriverWait

    from svcov.outputs import maplimits

    monkeypatch.setattr(maplimits, "MAX_FACILITY_MARKERS", 6)
    facilities = frames["facilities"]
    n_layers = facilities["type"].nunique()
    limit = maplimits.marker_limit(len(facilities), n_layers)
    assert limit == max(1, 6 // n_layers)
    path = tmp_path / "map.html"
    write_map(path, info=data.run_info(), years=data.YEARS, **frames)
    assert js(f"设施较多 ({len(facilities):,} 个)") in path.read_text(encoding="utf-8")
    driver = _browser.start()
    try:
        driver.get(path.as_uri())
        WebDriverWait(driver, 20).until(lambda d: d.execute_script("return window.svcovYear !== undefined"))
        count = "return document.querySelectorAll('.leaflet-marker-icon.svcov-icon:not(.svcov-site)').length"
        assert driver.execute_script(count) == 0                    # the whole district: too many in view
        one = facilities[facilities["type"] == "public_nursery_kindergarten"].iloc[0]
        zoom_in = f"{MAP}.setView([arguments[0], arguments[1]], 18, {{animate: false}});"
        # set the view again until it holds (the page may still be fitting its first view)
        WebDriverWait(driver, 10, poll_frequency=0.5).until(lambda d: d.execute_script(
            zoom_in, float(one["lat_wgs84"]), float(one["lon_wgs84"])) or d.execute_script(count) >= 1)
        assert 1 <= driver.execute_script(count) <= limit * n_layers
        assert _browser.console_errors(driver) == []
    finally:
        _browser.stop(driver)
