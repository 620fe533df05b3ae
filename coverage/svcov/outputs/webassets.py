"""Offline web assets: a folium map that loads nothing from the internet.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and Leaflet.awesome-markers from CDNs. :class:`OfflineMap`
drops all of them and inlines the Leaflet 1.9.3 shipped in ``coverage/outputs/assets/leaflet`` (script, style,
and the style's images as ``data:`` URIs), so ``map.html`` is one self-contained file that opens on an intranet
PC. :func:`external_assets` finds any script, style or image that a page would still fetch from the web.

No text reaches a template *source*. branca renders a ``MacroElement`` by calling its macros and then compiling
each result as a new Jinja2 template (``Element(script(...))``), so a facility name inside an element's JSON would
be evaluated (``{{7*7}}`` → ``49``, ``{#`` → a syntax error). The page of an :class:`OfflineMap` is rendered by
:class:`LiteralFigure` instead: while it renders, every macro result is kept aside and branca is handed a random
token in its place, which compiles to itself; the tokens are replaced by the kept text in the finished page. Static
HTML is added with :class:`Literal`, which is never compiled either.
"""

from __future__ import annotations

import base64
import re
import secrets
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import folium
from branca.element import Div, Element, Figure, MacroElement

__all__ = ["ASSET_DIR", "LEAFLET_VERSION", "leaflet_js", "leaflet_css", "OfflineMap", "LiteralFigure", "Literal",
           "external_assets"]

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


class Literal(Element):
    """Text put into the page exactly as given; unlike ``branca.element.Element(text)`` it is never compiled as a
    Jinja2 template."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Literal"
        self.text = str(text)

    def render(self, **kwargs) -> str:
        return self.text


class _KeptText:
    """The macro results of one rendering of a page, each kept under a token branca compiles as plain text."""

    def __init__(self) -> None:
        self.prefix = f"svcov-literal-{secrets.token_hex(12)}-"
        self.pattern = re.compile(re.escape(self.prefix) + r"(\d+)x")
        self.texts: list[str] = []
        self.covered: dict[int, tuple[Element, bool, object]] = {}

    def keep(self, text: object) -> str:
        self.texts.append(str(text))
        return f"{self.prefix}{len(self.texts) - 1}x"

    def wrap(self, macro):
        return lambda *args, **kwargs: self.keep(macro(*args, **kwargs))

    def cover(self, element: Element) -> None:
        """Render ``element`` and the elements below it through :meth:`keep` (children added later are covered when
        their parent renders)."""
        for child in element._children.values():
            if id(child) in self.covered:
                continue
            if isinstance(child, (MacroElement, Div)):
                own = "_template" in child.__dict__
                self.covered[id(child)] = (child, own, child._template)
                child._template = _KeptTemplate(child._template, child, self)
            self.cover(child)

    def restore(self) -> None:
        for element, own, template in self.covered.values():
            if own:
                element._template = template
            else:
                del element.__dict__["_template"]
        self.covered.clear()

    def substitute(self, html: str, depth: int = 0) -> str:
        """``html`` with every token replaced by its text (tokens inside kept text too)."""
        if depth > 20:  # pragma: no cover - kept texts are macro results; they nest a level or two at most
            raise RecursionError("nested page tokens")
        return self.pattern.sub(lambda m: self.substitute(self.texts[int(m.group(1))], depth + 1), html)


class _KeptTemplate:
    """Stands in for an element's template while the page renders: its macros (and a whole-template render, as
    ``folium.Popup`` does) return tokens; the real results are kept by :class:`_KeptText`."""

    def __init__(self, template, element: Element, kept: _KeptText):
        self.template, self.element, self.kept = template, element, kept

    @property
    def module(self) -> SimpleNamespace:
        self.kept.cover(self.element)  # children its render() added just now (e.g. folium's layer add-to-map calls)
        macros = self.template.module.__dict__
        return SimpleNamespace(**{name: self.kept.wrap(macros[name]) for name in ("header", "html", "script")
                                  if name in macros})

    def render(self, *args, **kwargs) -> str:
        self.kept.cover(self.element)
        return self.kept.keep(self.template.render(*args, **kwargs))


class LiteralFigure(Figure):
    """A branca ``Figure`` whose elements' output is never compiled as a template (see the module docstring)."""

    def render(self, **kwargs) -> str:
        kept = _KeptText()
        kept.cover(self)
        try:
            html = super().render(**kwargs)
        finally:
            kept.restore()
        return kept.substitute(html)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose page inlines Leaflet and links no CDN (no jQuery, Bootstrap or icon fonts), in
    a :class:`LiteralFigure` (no text of any element is compiled as a template).

    Only Leaflet itself is available to the page: use elements that need nothing else (``FeatureGroup``,
    ``GeoJson``, ``Marker`` with ``DivIcon``, ``LayerControl``, ``TileLayer``) and bind popups without jQuery
    (``folium.Popup`` needs jQuery; see :mod:`svcov.outputs.map`). Add static HTML with :class:`Literal`, never
    with ``branca.element.Element(text)``, which compiles ``text`` as a template.
    """

    default_js: list = []
    default_css: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        LiteralFigure().add_child(self)

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        figure.header.add_child(Literal(f"<style>{leaflet_css()}</style>"), name="leaflet_css_inline")
        figure.header.add_child(Literal(f"<script>{leaflet_js()}</script>"), name="leaflet_js_inline")
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
