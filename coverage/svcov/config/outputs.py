"""Section ``outputs``: where and how the run's files are written.

Keys (all optional): ``dir``; ``basemap`` (``none``, ``osm``, ``tianditu`` with ``tianditu_key``, or the URL
template of any XYZ or WMTS tile service, e.g. a bureau's intranet server, with ``basemap_attribution`` and
optionally ``basemap_name_zh``, ``basemap_subdomains``, ``basemap_max_zoom``); ``crs`` (coordinate system of the
GeoPackage layers, default WGS-84 for exchange; e.g. ``EPSG:4490`` CGCS2000 or a Gauss-Krüger zone such as
``EPSG:4549``); ``memo_base_url`` (where the map's links to the memos point; default: the ``memos/`` folder next
to the map); ``context`` (a point layer of named places drawn on the map for orientation: ``{path, name_column,
kind_column, kinds}``, or ``none``; default: the population estimate's compounds file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProblemList
from ..vocabulary import BASEMAPS
from ..yamlio import check_keys, line_of
from .fields import existing_path, resolve_path

__all__ = ["OutputConfig", "ContextLayerConfig", "parse_outputs", "basemap_url_problem", "DEFAULT_OUTPUT_CRS",
           "tile_url_template"]

#: GeoPackage layers are written in WGS-84 unless ``outputs.crs`` says otherwise (the exchange default).
DEFAULT_OUTPUT_CRS = "EPSG:4326"
_URL = re.compile(r"^https?://[^\s\"'<>\\`]+$")
#: WMTS placeholders and the XYZ placeholders Leaflet understands (GoogleMapsCompatible / EPSG:3857 grids only).
_WMTS = {"{TileMatrix}": "{z}", "{TileRow}": "{y}", "{TileCol}": "{x}"}


@dataclass(frozen=True)
class ContextLayerConfig:
    """Named places drawn on the map for orientation (residential compounds, schools, parks ...)."""

    path: Path
    name_column: str = "name"
    kind_column: str | None = "fclass"
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputConfig:
    """Where and how outputs are written."""

    dir: Path
    basemap: str = "none"
    tianditu_key: str | None = None
    basemap_attribution: str | None = None
    basemap_name_zh: str | None = None
    basemap_subdomains: str | None = None
    basemap_max_zoom: int = 18
    crs: str = DEFAULT_OUTPUT_CRS
    memo_base_url: str | None = None
    context: ContextLayerConfig | None = None
    context_default: bool = True

    @property
    def basemap_is_url(self) -> bool:
        return self.basemap not in BASEMAPS


def tile_url_template(url: str) -> str:
    """A tile URL as Leaflet reads it: WMTS placeholders ({TileMatrix}, {TileRow}, {TileCol}) become {z}, {y}, {x}."""
    for wmts, xyz in _WMTS.items():
        url = url.replace(wmts, xyz)
    return url


def basemap_url_problem(url: str) -> tuple[str, str] | None:
    """What is wrong with a tile URL template (``None`` if nothing), in Chinese and English."""
    if not _URL.match(url):
        return ("底图地址应以 http:// 或 https:// 开头, 不能含空格、引号或尖括号",
                "the basemap URL must start with http:// or https:// and contain no spaces, quotes or angle brackets")
    template = tile_url_template(url)
    missing = [p for p in ("{z}", "{x}") if p not in template] + ([] if "{y}" in template or "{-y}" in template
                                                                   else ["{y}"])
    if missing:
        return (f"底图地址缺少瓦片占位符 {'、'.join(missing)} (XYZ: {{z}}/{{x}}/{{y}}; WMTS: {{TileMatrix}}、{{TileRow}}、"
                f"{{TileCol}})", f"the basemap URL lacks the tile placeholders {', '.join(missing)}")
    return None


def _basemap(m: dict, p: ProblemList) -> dict:
    basemap = str(m.get("basemap", "none")).strip()
    out = {"basemap": basemap}
    if basemap in BASEMAPS:
        return out
    problem = basemap_url_problem(basemap)
    if problem:
        p.add(f"outputs.basemap 应是 none、osm、tianditu 或瓦片服务地址 (URL 模板): {problem[0]}。",
              f"outputs.basemap must be none, osm, tianditu or a tile URL template: {problem[1]}",
              row=line_of(m, "basemap"), column="basemap", value=basemap)
    attribution = str(m.get("basemap_attribution") or "").strip()
    if not attribution:
        p.add("使用自定义底图时请填写 outputs.basemap_attribution (底图来源, 显示在地图右下角), 例如「区规划资源局内网底图」。",
              "a custom basemap needs outputs.basemap_attribution (the source credited on the map)",
              row=line_of(m, "basemap"), column="basemap_attribution")
    out.update(basemap_attribution=attribution or None,
               basemap_name_zh=str(m["basemap_name_zh"]) if m.get("basemap_name_zh") else None,
               basemap_subdomains=str(m["basemap_subdomains"]) if m.get("basemap_subdomains") else None)
    zoom = m.get("basemap_max_zoom", 18)
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not 1 <= zoom <= 22:
        p.add("outputs.basemap_max_zoom 应是 1-22 的整数。", "outputs.basemap_max_zoom must be an integer 1-22",
              row=line_of(m, "basemap_max_zoom"), column="basemap_max_zoom", value=zoom)
    else:
        out["basemap_max_zoom"] = zoom
    return out


def _crs(m: dict, p: ProblemList) -> str:
    value = str(m.get("crs", DEFAULT_OUTPUT_CRS)).strip()
    try:
        from pyproj import CRS

        CRS.from_user_input(value)
    except Exception:  # pyproj raises CRSError and, for odd input, other errors
        p.add(f"outputs.crs「{value}」不是可识别的坐标系; 请写 EPSG 代码, 如 EPSG:4326 (WGS-84)、EPSG:4490 (CGCS2000) "
              "或 EPSG:4549 (CGCS2000 3 度带 中央经线 120°E)。",
              f"outputs.crs {value!r} is not a known coordinate system; give an EPSG code such as EPSG:4490",
              row=line_of(m, "crs"), column="crs", value=value)
        return DEFAULT_OUTPUT_CRS
    return value


def _memo_base_url(m: dict, p: ProblemList) -> str | None:
    value = m.get("memo_base_url")
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not re.match(r"^(https?|file)://[^\s\"'<>\\`]+$", text):
        p.add("outputs.memo_base_url 应是以 http://、https:// 或 file:// 开头的地址 (选址说明所在的文件夹); 本机或共享"
              "文件夹请写成 file:///D:/svcov/memos/ 或 file://server/share/memos/。",
              "outputs.memo_base_url must be an http://, https:// or file:// address of the memo folder, e.g. "
              "file:///D:/svcov/memos/",
              row=line_of(m, "memo_base_url"), column="memo_base_url", value=text)
        return None
    return text if text.endswith("/") else text + "/"


def _context(m: dict, base: Path, p: ProblemList) -> tuple[ContextLayerConfig | None, bool]:
    """(the configured layer, whether to fall back to the population estimate's compounds file)."""
    c = m.get("context")
    if c is None:
        return None, True
    if c in ("none", False):
        return None, False
    if not isinstance(c, dict):
        p.add("outputs.context 应是 {path: 文件, name_column: name, kind_column: fclass} 或 none。",
              "outputs.context must be {path, name_column, kind_column, kinds} or none",
              row=line_of(m, "context"), column="context", value=c)
        return None, False
    check_keys(c, {"path", "name_column", "kind_column", "kinds"}, "outputs.context", p, required=("path",))
    path = existing_path(c, "path", base, p, "outputs.context")
    kinds = c.get("kinds") or ()
    if isinstance(kinds, str):
        kinds = (kinds,)
    if path is None:
        return None, False
    kind_column = c.get("kind_column", "fclass")
    return ContextLayerConfig(path=path, name_column=str(c.get("name_column", "name")),
                              kind_column=None if kind_column in (None, "none") else str(kind_column),
                              kinds=tuple(str(k) for k in kinds)), False


def parse_outputs(m: dict, base: Path, p: ProblemList) -> OutputConfig:
    check_keys(m, {"dir", "basemap", "tianditu_key", "basemap_attribution", "basemap_name_zh", "basemap_subdomains",
                   "basemap_max_zoom", "crs", "memo_base_url", "context"}, "outputs", p)
    out_dir = resolve_path(m.get("dir", "outputs"), base)
    context, context_default = _context(m, base, p)
    return OutputConfig(dir=out_dir, tianditu_key=None if m.get("tianditu_key") is None else str(m["tianditu_key"]),
                        crs=_crs(m, p), memo_base_url=_memo_base_url(m, p), context=context,
                        context_default=context_default, **_basemap(m, p))
