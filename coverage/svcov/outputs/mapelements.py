"""Leaflet building blocks of ``map.html`` as folium elements that need nothing but Leaflet.

folium's own ``Popup`` needs jQuery and pastes its HTML into a JavaScript template literal (so ``${...}`` in a
facility name would run as code); ``GeoJsonTooltip`` writes property values as HTML. The elements here pass every
text to the page as a JSON string (``|tojson`` escapes ``<``, ``>``, ``&`` and quotes) holding HTML that was
escaped in Python (Jinja2 autoescape), so a name from an input file can only ever show as text. The templates here
are svcov's own; what they render is never compiled again as a template (branca would do that: the page of an
:class:`~svcov.outputs.webassets.OfflineMap` is rendered by :class:`~svcov.outputs.webassets.LiteralFigure`), so
``{{ }}``, ``{% %}`` or ``{#`` in a name are text too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from branca.element import MacroElement
from jinja2 import Template
from markupsafe import Markup

from .document import template_env

__all__ = ["Shapes", "Points", "Control", "YearSwitch", "Attribution", "StyleSheet", "Panes", "LegendSync",
           "ZoomClass", "PrintView", "shape_svg", "safe_color", "popup_html"]

_COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20})$")


def safe_color(color: object, default: str = "#555555") -> str:
    """A CSS colour from configuration, or ``default`` if it is not a plain ``#hex`` or colour name."""
    return str(color) if isinstance(color, str) and _COLOR.match(color) else default


_SHAPE_POINTS = {
    "square": "2,2 14,2 14,14 2,14",
    "triangle": "8,1 15,14 1,14",
    "diamond": "8,1 15,8 8,15 1,8",
    "triangle_down": "1,2 15,2 8,15",
    "pentagon": "8,1 15,6.2 12.3,14.5 3.7,14.5 1,6.2",
    "hexagon": "4.5,1.5 11.5,1.5 15,8 11.5,14.5 4.5,14.5 1,8",
    "cross": "5.5,1 10.5,1 10.5,5.5 15,5.5 15,10.5 10.5,10.5 10.5,15 5.5,15 5.5,10.5 1,10.5 1,5.5 5.5,5.5",
    "star": "8,0.5 10.2,5.8 15.7,6 11.4,9.5 12.9,15 8,11.9 3.1,15 4.6,9.5 0.3,6 5.8,5.8",
}


def shape_svg(shape: str, color: str, size: int = 14, *, dashed: bool = False) -> Markup:
    """An inline SVG symbol (drawn in a 16×16 box) filled with ``color``, black outline (dashed if ``dashed``)."""
    fill = safe_color(color)
    stroke = 'stroke="#000" stroke-width="1.3"' + (' stroke-dasharray="2.2,1.4"' if dashed else "")
    if shape == "circle":
        body = f'<circle cx="8" cy="8" r="6.3" fill="{fill}" {stroke}/>'
    else:
        body = f'<polygon points="{_SHAPE_POINTS.get(shape, _SHAPE_POINTS["square"])}" fill="{fill}" {stroke}/>'
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(size)}" height="{int(size)}" '
                  f'viewBox="0 0 16 16">{body}</svg>')


def popup_html(title: str, rows: Sequence[tuple[str, object]] = (), *, subtitle: str = "",
               notes: Sequence[str] = (), link: tuple[str, str] | None = None) -> str:
    """Popup content as escaped HTML: a title, label/value rows, notes and an optional (text, href) link."""
    return template_env().get_template("popup.html.j2").render(
        title=title, subtitle=subtitle, rows=[(k, "—" if v is None else v) for k, v in rows], notes=notes,
        link=link).strip()


class Shapes(MacroElement):
    """A GeoJSON FeatureCollection added to its parent layer.

    Each feature's ``properties`` may hold ``style`` (Leaflet path options), ``popup`` and ``tooltip`` (escaped
    HTML strings, see :func:`popup_html`). Point features are drawn as circle markers.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
    interactive: {{ this.interactive|tojson }},
    {%- if this.pane %} pane: {{ this.pane|tojson }},{% endif %}
    style: function (f) { return f.properties.style || {}; },
    pointToLayer: function (f, latlng) { return L.circleMarker(latlng, f.properties.style || {}); },
    onEachFeature: function (f, layer) {
        if (f.properties.popup) { layer.bindPopup(f.properties.popup, {maxWidth: 380}); }
        if (f.properties.tooltip) { layer.bindTooltip(f.properties.tooltip, {sticky: true}); }
    }
}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, features: list[dict], *, interactive: bool = True, pane: str | None = None):
        super().__init__()
        self._name = "Shapes"
        self.data = {"type": "FeatureCollection", "features": features}
        self.interactive = interactive
        self.pane = pane


class Points(MacroElement):
    """Markers drawn as inline-SVG ``divIcon`` s: ``points`` are ``[lat, lon, popup, tooltip, icon_html]`` with
    escaped HTML strings (``icon_html`` empty: use ``icon``).

    With ``in_view_limit``, the markers are drawn only while at most that many of them lie in the map's view (a
    little beyond it, so panning shows no gaps), and redrawn after every move: a city run has thousands of
    facilities, and putting them all on the page at once took most of the seconds the page needed to open, for
    symbols that overlap into a blot at city zoom. Zoomed in, every marker of the view is there.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.featureGroup().addTo({{ this._parent.get_name() }});
(function (group) {
    var size = {{ this.size|tojson }};
    var limit = {{ this.in_view_limit|tojson }};
    function icon(html) {
        return L.divIcon({html: html, className: {{ this.class_name|tojson }}, iconSize: [size, size],
                          iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2]});
    }
    var shared = icon({{ this.icon|tojson }});
    var markers = {{ this.points|tojson }}.map(function (p) {
        var m = L.marker([p[0], p[1]], {icon: p[4] ? icon(p[4]) : shared, riseOnHover: true
            {%- if this.pane %}, pane: {{ this.pane|tojson }}{% endif %}
            {%- if not this.interactive %}, interactive: false{% endif %}});
        if (p[2]) { m.bindPopup(p[2], {maxWidth: 380}); }
        if (p[3]) { m.bindTooltip(p[3], {direction: "top", offset: [0, -size / 2]}); }
        return m;
    });
    if (limit === null) { markers.forEach(function (m) { m.addTo(group); }); return; }
    function redraw() {
        var view = group._map.getBounds().pad(0.25);
        var shown = markers.filter(function (m) { return view.contains(m.getLatLng()); });
        if (shown.length > limit) { shown = []; }
        var keep = new Set(shown);
        group.getLayers().forEach(function (m) { if (!keep.has(m) && !m.isPopupOpen()) { group.removeLayer(m); } });
        shown.forEach(function (m) { if (!group.hasLayer(m)) { group.addLayer(m); } });
    }
    group.on("add", function () { group._map.on("moveend", redraw); redraw(); });
    group.on("remove", function (e) { e.target._map && e.target._map.off("moveend", redraw); });
    if (group._map) { group._map.on("moveend", redraw); redraw(); }
})({{ this.get_name() }});
{% endmacro %}
""")

    def __init__(self, points: list[list], *, icon: str = "", size: int = 16, class_name: str = "svcov-icon",
                 pane: str | None = None, interactive: bool = True, in_view_limit: int | None = None):
        super().__init__()
        self._name = "Points"
        self.points = points
        self.icon = str(icon)
        self.size = int(size)
        self.class_name = class_name
        self.pane = pane
        self.interactive = interactive
        self.in_view_limit = None if in_view_limit is None else int(in_view_limit)


class Control(MacroElement):
    """A box on the map (title, legend) holding escaped HTML, at a Leaflet control ``position``."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", {{ this.class_name|tojson }});
    div.innerHTML = {{ this.html|tojson }};
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, html: str, *, position: str = "topleft", class_name: str = "svcov-box"):
        super().__init__()
        self._name = "Control"
        self.html = str(html)
        self.position = position
        self.class_name = class_name


class YearSwitch(MacroElement):
    """Shows one year of the plan: for each year, the per-year layers (``(parent, child)`` pairs of layer
    groups) are added to their parent group for that year and removed for the others.

    Radio buttons named ``svcov-year`` anywhere on the page switch the year; ``window.svcovShowYear(year)`` does
    the same from a script, and ``window.svcovYear`` holds the year shown.
    """

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
    var pairs = {
    {%- for year, items in this.layers.items() %}
        {{ year|string|tojson }}: [{% for parent, child in items %}[{{ parent }}, {{ child }}]
        {%- if not loop.last %}, {% endif %}{% endfor %}],
    {%- endfor %}
    };
    function show(year) {
        year = String(year);
        Object.keys(pairs).forEach(function (y) {
            pairs[y].forEach(function (p) {
                if (y === year) { p[0].addLayer(p[1]); } else { p[0].removeLayer(p[1]); }
            });
        });
        document.querySelectorAll(".svcov-year-label").forEach(function (el) { el.textContent = year; });
        document.querySelectorAll("input[name=svcov-year]").forEach(function (el) {
            el.checked = (el.value === year);
        });
        window.svcovYear = year;
    }
    document.addEventListener("change", function (e) {
        if (e.target && e.target.name === "svcov-year") { show(e.target.value); }
    });
    window.svcovShowYear = show;
    show({{ this.initial|string|tojson }});
})();
{% endmacro %}
""")

    def __init__(self, layers: Mapping[int, list[tuple[str, str]]], initial: int):
        super().__init__()
        self._name = "YearSwitch"
        self.layers = dict(layers)
        self.initial = initial


class Attribution(MacroElement):
    """Source credits (trusted HTML built by svcov, never input text) in the attribution control, and a metric
    scale bar."""

    _template = Template("""
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
L.control.scale({imperial: false, position: "bottomright"}).addTo({{ this._parent.get_name() }});
{% for text in this.texts %}{{ this._parent.get_name() }}.attributionControl.addAttribution({{ text|tojson }});
{% endfor %}
{% endmacro %}
""")

    def __init__(self, texts: Sequence[str], prefix: str = '<a href="https://leafletjs.com">Leaflet</a>'):
        super().__init__()
        self._name = "Attribution"
        self.texts = list(texts)
        self.prefix = prefix


class StyleSheet(MacroElement):
    """A ``<style>`` block in the page header."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>{{ this.css }}</style>
{% endmacro %}
""")

    def __init__(self, css: str):
        super().__init__()
        self._name = "StyleSheet"
        self.css = css


class Panes(MacroElement):
    """Map panes (``name → z-index``) that keep the layers in order whichever is switched on last: fills at the
    bottom, then areas, hatches, rings, place names, markers, and the 街镇 names above the markers."""

    _template = Template("""
{% macro script(this, kwargs) %}
{% for name, z in this.panes.items() %}
{{ this._parent.get_name() }}.createPane({{ name|tojson }}).style.zIndex = {{ z|tojson }};
{% endfor %}
{% for name in this.passive %}{{ this._parent.get_name() }}.getPane({{ name|tojson }}).style.pointerEvents = "none";
{% endfor %}
{% endmacro %}
""")

    def __init__(self, panes: Mapping[str, int], passive: Sequence[str] = ()):
        super().__init__()
        self._name = "Panes"
        self.panes = {str(k): int(v) for k, v in panes.items()}
        self.passive = [str(p) for p in passive]


class LegendSync(MacroElement):
    """Shows a legend entry only while its layer is on the map: ``entries`` maps the ``data-layer`` value of the
    legend's items (the layer's name) to the layer group's variable; a section whose items are all hidden hides."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    var groups = {
    {%- for name, group in this.entries.items() %}
        {{ name|tojson }}: {{ group }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    };
    function update() {
        document.querySelectorAll(".svcov-legend [data-layer]").forEach(function (el) {
            var g = groups[el.getAttribute("data-layer")];
            el.style.display = (g && map.hasLayer(g)) ? "" : "none";
        });
        document.querySelectorAll(".svcov-legend-section").forEach(function (sec) {
            var shown = Array.prototype.some.call(sec.querySelectorAll("[data-layer]"), function (el) {
                return el.style.display !== "none"; });
            sec.style.display = shown ? "" : "none";
        });
    }
    map.on("overlayadd overlayremove baselayerchange layeradd layerremove", update);
    window.svcovLegendUpdate = update;
    update();
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, entries: Mapping[str, str]):
        super().__init__()
        self._name = "LegendSync"
        self.entries = dict(entries)


class ZoomClass(MacroElement):
    """Adds each class of ``classes`` (``name → zoom``) to the map while it is zoomed in to that zoom or closer
    (place names show, 街镇 names move into their 街镇)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    var classes = {{ this.classes|tojson }};
    function update() {
        Object.keys(classes).forEach(function (name) {
            map.getContainer().classList.toggle(name, map.getZoom() >= classes[name]);
        });
    }
    map.on("zoomend", update);
    update();
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, classes: Mapping[str, float]):
        super().__init__()
        self._name = "ZoomClass"
        self.classes = {str(k): float(v) for k, v in classes.items()}


class PrintView(MacroElement):
    """When the page is printed, unfold the legend and notes and fit the district to the printed map (the print
    style sheet resizes it); restore the reader's view afterwards."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (map) {
    var saved = null;
    function before() {
        if (saved) { return; }
        var folds = Array.prototype.slice.call(document.querySelectorAll("details.svcov-fold"));
        saved = {center: map.getCenter(), zoom: map.getZoom(), folds: folds.map(function (d) { return d.open; })};
        folds.forEach(function (d) { d.open = true; });
        map.invalidateSize({pan: false});
        map.fitBounds({{ this.bounds|tojson }}, {padding: [8, 8], animate: false});
    }
    function after() {
        if (!saved) { return; }
        map.invalidateSize({pan: false});
        map.setView(saved.center, saved.zoom, {animate: false});
        document.querySelectorAll("details.svcov-fold").forEach(function (d, i) { d.open = saved.folds[i]; });
        saved = null;
    }
    window.addEventListener("beforeprint", before);
    window.addEventListener("afterprint", after);
    if (window.matchMedia) {
        var mq = window.matchMedia("print");
        var listen = function (e) { if (e.matches) { before(); } else { after(); } };
        if (mq.addEventListener) { mq.addEventListener("change", listen); } else { mq.addListener(listen); }
    }
    window.svcovPrintView = before;
})({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self._name = "PrintView"
        self.bounds = bounds
