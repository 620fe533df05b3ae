"""Tests of svcov.outputs.webassets: Leaflet inlined, nothing fetched from the web."""

import hashlib

import folium

from svcov.outputs.webassets import ASSET_DIR, LEAFLET_VERSION, OfflineMap, external_assets, leaflet_css, leaflet_js


def test_shipped_leaflet_is_the_published_file():
    digest = hashlib.sha256((ASSET_DIR / "leaflet" / "leaflet.js").read_bytes()).hexdigest()
    assert digest == "5819285cec137b229c94e1ee5ad73e8b6b84345a4367d60f75fe477fe0fb7b03"   # npm leaflet@1.9.3
    assert f"Leaflet {LEAFLET_VERSION}" in leaflet_js()
    assert (ASSET_DIR / "leaflet" / "LICENSE").read_text(encoding="utf-8").startswith("BSD 2-Clause")


def test_leaflet_css_images_are_inlined():
    css = leaflet_css()
    assert "url(images/" not in css
    assert css.count("url(data:image/png;base64,") == 3      # layers.png, layers-2x.png, marker-icon.png


def test_external_assets_finds_scripts_styles_and_css_urls_but_not_links():
    html = """<script src="https://cdn.example.com/a.js"></script>
    <link rel="stylesheet" href="//cdn.example.com/b.css">
    <style>@import url("https://fonts.example.com/c.css"); .x { background: url(http://img.example.com/d.png) }</style>
    <img src='https://img.example.com/e.png'>
    <a href="https://www.openstreetmap.org/copyright">OSM</a>
    <script src="local.js"></script><style>.y { background: url(data:image/png;base64,AAAA) }</style>"""
    assert external_assets(html) == ["//cdn.example.com/b.css", "http://img.example.com/d.png",
                                     "https://cdn.example.com/a.js", "https://fonts.example.com/c.css",
                                     "https://img.example.com/e.png"]


def test_plain_folium_map_loads_from_cdns_but_offline_map_does_not():
    plain = folium.Map(tiles=None).get_root().render()
    assert any("leaflet" in url for url in external_assets(plain))        # the detector sees folium's CDN links
    html = OfflineMap(tiles=None).get_root().render()
    assert external_assets(html) == []
    assert f"Leaflet {LEAFLET_VERSION}" in html
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()
