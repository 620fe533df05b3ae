"""Background tiles of ``map.html``: none (the default: no request leaves the PC), OpenStreetMap, 天地图 (with the
user's key), or any XYZ/WMTS tile service given as a URL template with its attribution (e.g. a bureau's intranet
tile server). Tiles are the only thing the map may fetch, and only when the configuration asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from markupsafe import escape

from ..config.outputs import basemap_url_problem, tile_url_template
from ..errors import ConfigError, single_problem
from ..vocabulary import BASEMAPS

__all__ = ["Basemap", "resolve_basemap", "add_basemap", "OSM_ATTRIBUTION", "BASEMAP_OFF_NOTE_ZH"]

OSM_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
                   '(ODbL)')
TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
                "&tk={key}")
TIANDITU_ATTRIBUTION = '天地图 &copy; <a href="https://www.tianditu.gov.cn">国家地理信息公共服务平台</a>'
#: Shown on the map (title box and print) when no basemap is loaded.
BASEMAP_OFF_NOTE_ZH = ("未加载底图 (离线运行, 地图不联网); 浅灰色圆点为住宅小区等地名, 便于定位。需要底图时在配置 outputs.basemap 中"
                       "设为 osm、tianditu 或单位内网瓦片服务地址 (见 README)。")


@dataclass(frozen=True)
class Basemap:
    """The tile layers of the map and the credit they need (trusted HTML built here, never input text)."""

    kind: str
    layers: tuple[dict, ...] = ()
    attribution_html: str = ""

    @property
    def is_off(self) -> bool:
        return not self.layers


def resolve_basemap(basemap: str = "none", *, tianditu_key: str | None = None, attribution: str | None = None,
                    name_zh: str | None = None, subdomains: str | None = None, max_zoom: int = 18) -> Basemap:
    """The basemap a configuration asks for.

    Parameters
    ----------
    basemap
        ``none``, ``osm``, ``tianditu`` or a tile URL template (XYZ ``{z}/{x}/{y}``, TMS ``{-y}``, or WMTS
        ``{TileMatrix}``/``{TileRow}``/``{TileCol}`` of a Web-Mercator grid; ``{s}`` for ``subdomains``).
    tianditu_key
        Browser key of 天地图 (letters and digits).
    attribution, name_zh, subdomains, max_zoom
        For a URL template: the credit shown on the map (required, plain text), a name, subdomain letters, the
        highest zoom the server has.

    Raises
    ------
    ConfigError
        Unknown name, a malformed URL, a URL without attribution, 天地图 without a (valid) key.
    """
    if basemap == "none":
        return Basemap("none")
    if basemap == "osm":
        return Basemap("osm", ({"tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "max_zoom": 19,
                                "name": "OpenStreetMap 底图"},), OSM_ATTRIBUTION)
    if basemap == "tianditu":
        return Basemap("tianditu", _tianditu_layers(tianditu_key), TIANDITU_ATTRIBUTION)
    if basemap.split(":", 1)[0] not in ("http", "https"):
        raise single_problem(ConfigError, "outputs.basemap", f"未知底图「{basemap}」, 可选 {'、'.join(BASEMAPS)} 或瓦片服务地址",
                             f"unknown basemap {basemap!r}; use {', '.join(BASEMAPS)} or a tile URL template",
                             value=basemap)
    problem = basemap_url_problem(basemap)
    if problem:
        raise single_problem(ConfigError, "outputs.basemap", problem[0], problem[1], value=basemap)
    if not attribution or not str(attribution).strip():
        raise single_problem(ConfigError, "outputs.basemap_attribution", "自定义底图需要填写来源 (outputs.basemap_attribution)",
                             "a custom basemap needs outputs.basemap_attribution")
    layer = {"tiles": tile_url_template(basemap), "max_zoom": int(max_zoom), "name": name_zh or "底图"}
    if subdomains:
        layer["subdomains"] = str(subdomains)
    return Basemap("url", (layer,), str(escape(str(attribution).strip())))


def _tianditu_layers(key: str | None) -> tuple[dict, ...]:
    if not key:
        raise single_problem(ConfigError, "outputs.tianditu_key", "使用天地图底图需要填写 outputs.tianditu_key "
                             "(在 https://console.tianditu.gov.cn 申请浏览器端密钥)",
                             "the tianditu basemap needs outputs.tianditu_key (a browser key from tianditu)")
    if not str(key).isascii() or not str(key).isalnum():
        raise single_problem(ConfigError, "outputs.tianditu_key", "天地图密钥只能包含字母和数字",
                             "the tianditu key may contain only letters and digits", value=key)
    return tuple({"tiles": TIANDITU_URL.replace("{layer}", layer).replace("{key}", str(key)), "max_zoom": 18,
                  "name": name, "subdomains": "01234567"} for layer, name in (("vec", "天地图 矢量底图"),
                                                                              ("cva", "天地图 注记")))


def add_basemap(fmap: folium.Map, basemap: Basemap) -> None:
    """Add the tile layers, always shown (outside the layer control, whose base choices are the 街镇 fills)."""
    for layer in basemap.layers:
        folium.TileLayer(layer["tiles"], attr=basemap.attribution_html, name=layer["name"],
                         max_zoom=layer["max_zoom"], subdomains=layer.get("subdomains", "abc"), control=False,
                         overlay=True).add_to(fmap)
