"""Offline web assets: a folium map that loads nothing from the internet.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and Leaflet.awesome-markers from CDNs. :class:`OfflineMap`
drops all of them and inlines the Leaflet 1.9.3 shipped in ``coverage/outputs/assets/leaflet`` (script, style,
and the style's images as ``data:`` URIs), so ``map.html`` is one self-contained file that opens on an intranet
PC. :func:`external_assets` finds any script, style or image that a page would still fetch from the web.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import Element

__all__ = ["ASSET_DIR", "LEAFLET_VERSION", "leaflet_js", "leaflet_css", "OfflineMap", "external_assets"]

#: Folder of the shipped assets (see its README.md for sources, versions and licences).
ASSET_DIR = Path(__file__).parent / "assets"
LEAFLET_VERSION = "1.9.3"


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """Leaflet's minified script."""
    return (ASSET_DIR / "leaflet" / "leaflet.js").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """Leaflet's style sheet with its images inlined as ``data:`` URIs."""
    css = (ASSET_DIR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        image = ASSET_DIR / "leaflet" / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose page inlines Leaflet and links no CDN (no jQuery, Bootstrap or icon fonts).

    Only Leaflet itself is available to the page: use elements that need nothing else (``FeatureGroup``,
    ``GeoJson``, ``Marker`` with ``DivIcon``, ``LayerControl``, ``TileLayer``) and bind popups without jQuery
    (``folium.Popup`` needs jQuery; see :mod:`svcov.outputs.map`).
    """

    default_js: list = []
    default_css: list = []

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        figure.header.add_child(Element(f"<style>{leaflet_css()}</style>"), name="leaflet_css_inline")
        figure.header.add_child(Element(f"<script>{leaflet_js()}</script>"), name="leaflet_js_inline")
        super().render(**kwargs)


_EXTERNAL = [
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"@import\s+(?:url\()?[\"']?\s*((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"url\(\s*[\"']?\s*((?:https?:)?//[^\"')\s]+)", re.I),
]


def external_assets(html: str) -> list[str]:
    """URLs of scripts, style sheets, images and CSS resources that ``html`` would fetch from the web.

    Map tiles (an opt-in basemap) are requested by Leaflet at run time and are not listed; links the reader may
    click (``<a href>``) are not fetched and are not listed either.
    """
    found: list[str] = []
    for pattern in _EXTERNAL:
        found.extend(m.group(1) for m in pattern.finditer(html))
    return sorted(set(found))
