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
import pytest

from svcov.errors import ConfigError, MissingColumnError, OutputError
from svcov.outputs import map as map_module
from svcov.outputs.context import SITE_COLOR, STATUS_COLORS
from svcov.outputs.map import build_map, write_map
from svcov.outputs.webassets import external_assets


def js(text: str) -> str:
    """How a text appears inside the page's JSON strings."""
    return json.dumps(text)[1:-1]


@pytest.fixture(scope="module")
def frames():
    inputs = data.songjiang()[1]
    facilities = data.with_xss_facility(inputs.facilities)
    areas = data.service_areas(facilities)
    return {"boundaries": inputs.boundaries, "facilities": facilities, "demand": inputs.demand,
            "service_areas": areas, "uncovered": data.uncovered(inputs.demand, areas),
            "coverage": data.coverage_table(inputs.boundaries, inputs.demand),
            "rule_status": data.rule_status(inputs.boundaries),
            "sites": data.sites(inputs.boundaries, candidate_names={1: data.XSS})}


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


def test_layers_legend_and_attribution_are_in_the_page(page):
    html = page.read_text(encoding="utf-8")
    for name in ("街镇 (「3个一」 状态)", "设施: 公办托幼一体园 (46)", "设施: 其他幼儿园 (22)",
                 "普惠性托育服务 步行 5/10/15 分钟范围", "幼儿园 (全部) 步行 5/10/15 分钟范围", "0-3 岁儿童分布 (估算)",
                 "15 分钟内没有普惠性托育服务的儿童 (估算)", "建议新增点位", "街镇名称"):
        assert js(name) in html, name
    for text in ("图例", "达标", "未达标", "数据不足", data.TRAVEL_ZH, "虚线边框的设施"):
        assert js(text) in html, text
    assert "OpenStreetMap" in html and "ODbL" in html
    assert "memos/site_S2023-2.html" in html


def _light(frames):
    return {"boundaries": frames["boundaries"], "facilities": frames["facilities"].head(5)}


def test_basemaps(frames):
    info = data.run_info()
    none = build_map(info=info, years=[2023], **_light(frames)).get_root().render()
    assert "L.tileLayer(" not in none
    osm = build_map(info=info, years=[2023], basemap="osm", **_light(frames)).get_root().render()
    assert "tile.openstreetmap.org" in osm and "OpenStreetMap\\u003c/a\\u003e contributors (ODbL)" in osm
    tdt = build_map(info=info, years=[2023], basemap="tianditu", tianditu_key="abc123",
                    **_light(frames)).get_root().render()
    assert "tianditu.gov.cn/vec_w/wmts" in tdt and "tianditu.gov.cn/cva_w/wmts" in tdt and "tk=abc123" in tdt
    assert external_assets(osm) == [] and external_assets(tdt) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"basemap": "amap"}, "未知底图「amap」"),
    ({"basemap": "tianditu"}, "需要填写 outputs.tianditu_key"),
    ({"basemap": "tianditu", "tianditu_key": "k\"+alert(1)+\""}, "只能包含字母和数字"),
])
def test_bad_basemap_settings(frames, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_map(info=data.run_info(), years=[2023], **_light(frames), **kwargs)


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


def _uncheck(driver, overlay: str) -> None:
    labels = driver.find_elements("css selector", ".leaflet-control-layers-overlays label")
    label = next(lb for lb in labels if overlay in lb.text)
    box = label.find_element("css selector", "input")
    if box.is_selected():
        box.click()


def _show_year(driver, year: int) -> None:
    driver.find_element("css selector", f"input[name=svcov-year][value='{year}']").click()
    assert driver.execute_script("return window.svcovYear") == str(year)


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_page_loads_offline_without_errors_or_requests(loaded):
    assert _browser.console_errors(loaded) == []
    outside = [u for u in _browser.requested_urls(loaded) if u.split(":", 1)[0] in ("http", "https", "ws", "wss")]
    assert outside == []
    overlays = loaded.find_elements("css selector", ".leaflet-control-layers-overlays label")
    assert len(overlays) == 9
    assert "图例" in loaded.find_element("css selector", ".svcov-legend").text


@pytest.mark.browser
@pytest.mark.skipif(WHY_NOT is not None, reason=f"browser test {WHY_NOT}")
def test_screenshot_shows_layers_and_the_year_switch_recolours(loaded, frames):
    shot = _screenshot(loaded, "map_2023_all_layers")
    map_area = shot[:, 420:1000]                              # right of the title and legend boxes
    assert _near(map_area, np.array([int(SITE_COLOR[i:i + 2], 16) for i in (1, 3, 5)]), 12).sum() > 30
    assert _near(map_area, np.array([0x1b, 0x9e, 0x77]), 12).sum() > 30                 # facility markers
    assert _near(map_area, np.array([0x54, 0x27, 0x8f]), 40).sum() > 200               # uncovered hatch
    for overlay in ("街镇名称", "没有普惠性托育服务的儿童", "普惠性托育服务 步行"):
        _uncheck(loaded, overlay)
    boundaries, facilities = frames["boundaries"], frames["facilities"]
    probes = boundaries.geometry.representative_point()
    far = [i for i, p in enumerate(probes) if facilities.distance(p).min() > 1500
           and boundaries["name"].iloc[i] not in ("叶榭镇", "新浜镇", "泖港镇")]
    assert len(far) >= 2
    lonlat = probes.to_crs("EPSG:4326")
    seen = {}
    for year in (2021, 2023):
        _show_year(loaded, year)
        shot = _screenshot(loaded, f"map_{year}_status_only")
        for i in far:
            x, y = loaded.execute_script(f"var p = {MAP}.latLngToContainerPoint([arguments[0], arguments[1]]);"
                                         "return [Math.round(p.x), Math.round(p.y)];", lonlat.iloc[i].y,
                                         lonlat.iloc[i].x)
            status = data.STATUS_CYCLE[(i + year) % 3]
            window = shot[y - 4:y + 5, x - 4:x + 5]
            assert _near(window, _blend(STATUS_COLORS[status], 0.45), 8).sum() >= 40, (boundaries["name"].iloc[i], year)
            seen[(i, year)] = status
    assert any(seen[(i, 2021)] != seen[(i, 2023)] for i in far)


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
