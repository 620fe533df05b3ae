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


# --- no text reaches a template source (issue 10) ----------------------------------------------------------------

PAYLOADS = ("{{7*7}}号托育点", "{% raw %}园", "{# 未闭合的注释", "}} 和 {{", "{%", "{{ cycler.__init__.__globals__.os.popen("
            "'touch svcov-pwned').read() }}", "\"><img src=x onerror=alert(1)>")


def _hostile_map():
    from svcov.outputs.mapelements import Control, Points, Shapes

    fmap = OfflineMap(tiles=None)
    for i, text in enumerate(PAYLOADS):
        group = folium.FeatureGroup(name=text).add_to(fmap)            # a name in folium's own layer control
        Points([[31.0, 121.2 + i / 100, text, text, ""]]).add_to(group)
        Shapes([{"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.2, 31.0]},
                 "properties": {"popup": text}}]).add_to(group)
    Control(" ".join(PAYLOADS)).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    return fmap


def test_text_in_elements_is_never_compiled_as_a_template(tmp_path, monkeypatch):
    from jinja2.utils import htmlsafe_json_dumps

    monkeypatch.chdir(tmp_path)
    fmap = _hostile_map()
    html = fmap.get_root().render()
    for text in PAYLOADS:                                                # as Jinja2's tojson writes them
        assert str(htmlsafe_json_dumps(text))[1:-1] in html, text
    assert "49号" not in html
    assert not (tmp_path / "svcov-pwned").exists()
    assert "svcov-literal-" not in html                                 # every kept text was put back
    assert fmap.get_root().render().count("{{7*7}}") == html.count("{{7*7}}")      # a second rendering is the same


def test_rendering_leaves_the_elements_as_they_were():
    fmap = _hostile_map()
    before = {id(e): type(e).__dict__.get("_template") for e in fmap._children.values()}
    fmap.get_root().render()
    for element in fmap._children.values():
        assert "_template" not in element.__dict__ or element._template is not None
        assert type(element).__dict__.get("_template") is before[id(element)]
        assert not type(element._template).__name__.startswith("_Kept")


def test_literal_is_put_into_the_page_as_given():
    from svcov.outputs.webassets import Literal

    fmap = OfflineMap(tiles=None)
    fmap.get_root().html.add_child(Literal("<p>{{7*7}} {# {% raw %}</p>"), name="literal")
    assert "<p>{{7*7}} {# {% raw %}</p>" in fmap.get_root().render()


def test_no_template_source_is_built_from_data():
    """Every Jinja2 template svcov compiles is a literal in its source code (a file template, or a string
    constant): ``Template(...)``, ``from_string(...)`` and branca's ``Element(...)`` (which compiles its text) are
    never called with a value built at run time, which could hold text from a register."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "coverage" / "svcov"
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("Template", "from_string", "Element") and not (
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.append(f"{path.relative_to(package)}:{node.lineno} {name}(...)")
    assert found == []
