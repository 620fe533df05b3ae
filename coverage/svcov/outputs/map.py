"""The interactive map (``map.html``): folium/Leaflet, fully offline, in Chinese.

Layers: 街镇 coloured by 「3个一」 status; facilities by type (shape *and* colour, so grey print still tells them
apart) with popups; 5/10/15-minute service areas by service; the 0-3 population surface (labelled 估算 when it is
one); children beyond the circle's walking time; proposed sites linking to their memos; a legend, a layer control
and a year switch showing each year of the plan. No script or style comes from the internet (Leaflet is inlined,
:mod:`svcov.outputs.webassets`); the basemap is optional (none, OpenStreetMap, or 天地图 with the user's key).
Every text from an input file is escaped (:mod:`svcov.outputs.mapelements`). The map renders the frames it is
handed (docs/DEVELOPING.md) and computes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from .. import settings
from ..data.facilities import open_in_year
from ..data.population import cell_squares
from ..errors import ConfigError, OutputError, single_problem
from ..files import atomic_write_text
from .context import (
    DISTRICT_CODE,
    SITE_COLOR,
    STATUS_COLORS,
    STATUSES,
    RunInfo,
    est,
    fmt_int,
    fmt_share,
    layout_status,
    require_columns,
    service_color,
    service_name,
    type_styles,
)
from .document import template_env
from .mapelements import Attribution, Control, Points, Shapes, StyleSheet, YearSwitch, popup_html, safe_color, shape_svg
from .maplimits import lighten_layers
from .memo import memo_stem
from .webassets import OfflineMap, external_assets

__all__ = ["BASEMAPS", "build_map", "write_map"]

log = logging.getLogger(__name__)

BASEMAPS = ("none", "osm", "tianditu")
OSM_ATTRIBUTION = ('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
                   '(ODbL)')
TIANDITU_URL = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
                "&tk={key}")
UNCOVERED_COLOR = "#54278f"
#: Hatch of the uncovered-children layer (diagonal lines: the 街镇 colour stays visible beneath, and it prints).
HATCH_SVG = ('<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
             '<pattern id="svcov-hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
             'patternTransform="rotate(45)"><rect width="8" height="8" fill="white" fill-opacity="0"/>'
             f'<line x1="0" y1="0" x2="0" y2="8" stroke="{UNCOVERED_COLOR}" stroke-width="1.3" '
             'stroke-opacity="0.75"/></pattern>'
             '</defs></svg>')
#: Simplification tolerance of polygons drawn on the web map, metres (invisible at street zoom).
SIMPLIFY_M = 8.0


def _wgs84_features(geoms: gpd.GeoSeries, props: Sequence[dict], simplify_m: float = SIMPLIFY_M) -> list[dict]:
    """GeoJSON features in WGS-84 (coordinates rounded to ~1 m) from metric geometries and their properties."""
    if simplify_m:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = geoms.to_crs(settings.wgs84)
    rounded = shapely.set_precision(geoms.values, 1e-5, mode="pointwise")
    return [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
            for g, p in zip(rounded, props) if g is not None and not g.is_empty]


class _Themes:
    """Overlay groups in the layer control, each optionally split into one child group per year."""

    def __init__(self, fmap: folium.Map, years: Sequence[int]):
        self.map, self.years = fmap, list(years)
        self.pairs: dict[int, list[tuple[str, str]]] = {y: [] for y in self.years}

    def theme(self, name: str, *, show: bool = True) -> folium.FeatureGroup:
        group = folium.FeatureGroup(name=str(template_env().from_string("{{ n }}").render(n=name)), show=show)
        group.add_to(self.map)
        return group

    def by_year(self, theme: folium.FeatureGroup) -> dict[int, folium.FeatureGroup]:
        children = {}
        for year in self.years:
            child = folium.FeatureGroup(control=False)
            child.add_to(theme)
            self.pairs[year].append((theme.get_name(), child.get_name()))
            children[year] = child
        return children


def _circle_coverage(coverage: pd.DataFrame | None, info: RunInfo) -> pd.DataFrame | None:
    if coverage is None or len(coverage) == 0:
        return None
    rows = coverage[(coverage["service"] == info.circle_service)
                    & (coverage["threshold_min"] == info.circle_threshold_min)]
    return rows.set_index(["year", "jiezhen_code"])


def _jiezhen_layer(themes: _Themes, boundaries, rule_status, coverage, info: RunInfo) -> tuple[str, bool]:
    status, rule_label = layout_status(rule_status, info) if rule_status is not None else (None, "")
    name = f"街镇 ({rule_label} 状态)" if status is not None else "街镇"
    circle = _circle_coverage(coverage, info)
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    for year, child in themes.by_year(themes.theme(name)).items():
        props = []
        for code, jz_name in zip(boundaries["jiezhen_code"], boundaries["name"]):
            s = status.get((year, code)) if status is not None else None
            rows = [("年份", year)]
            if s is not None:
                rows.append((rule_label, s))
            if circle is not None and (year, code) in circle.index:
                c = circle.loc[(year, code)]
                rows += [(f"0-3 岁儿童{e}", f"{fmt_int(c['pop_0_3'])} 人"),
                         (f"{minutes} 分钟覆盖率{e}", fmt_share(c["share_0_3_covered"]))]
            notes = _rule_notes(rule_status, year, code)
            fill = STATUS_COLORS.get(s, "#ffffff") if status is not None else "#ffffff"
            props.append({"style": {"color": "#333333", "weight": 1.6, "fillColor": fill,
                                    "fillOpacity": 0.45 if status is not None else 0.0},
                          "popup": popup_html(str(jz_name), rows, notes=notes),
                          "tooltip": popup_html(str(jz_name), [(rule_label, s)] if s else [])})
        Shapes(_wgs84_features(boundaries.geometry, props)).add_to(child)
    return rule_label, status is not None


def _rule_notes(rule_status, year: int, code: str) -> list[str]:
    if rule_status is None:
        return []
    rows = rule_status[(rule_status["year"] == year) & (rule_status["jiezhen_code"].astype(str) == str(code))]
    notes = []
    for _, r in rows.iterrows():
        gap = f": {r['gap_zh']}" if r["status"] != "达标" and pd.notna(r.get("gap_zh")) and r.get("gap_zh") else ""
        notes.append(f"{r['label_zh']} — {r['status']}{gap}")
    return notes


def _labels(fmap, boundaries) -> None:
    group = folium.FeatureGroup(name="街镇名称", show=True).add_to(fmap)
    points = gpd.GeoSeries(boundaries.geometry.representative_point(), crs=boundaries.crs).to_crs(settings.wgs84)
    env = template_env()
    items = [[p.y, p.x, "", "", str(env.from_string('<span>{{ n }}</span>').render(n=name))]
             for p, name in zip(points, boundaries["name"])]
    Points(items, size=0, class_name="svcov-label").add_to(group)


def _flag(value: object) -> bool:
    """True only for a true value (NA and None are not true)."""
    return value is not None and value is not pd.NA and not (isinstance(value, float) and np.isnan(value)) \
        and bool(value)


def _facility_popup(row, style: dict) -> str:
    estimated = _flag(row.get("type_is_estimate"))
    rows = [("类型", f"{row['type_name_zh']}" + (" (推断, 估算)" if estimated else "")),
            ("托位数", "未知" if pd.isna(row.get("capacity_places")) else fmt_int(row["capacity_places"])),
            ("街镇", row.get("jiezhen_name")), ("地址", row.get("address") if pd.notna(row.get("address")) else "—"),
            ("开办年份", "未知" if pd.isna(row.get("opened_year")) else int(row["opened_year"])),
            ("数据来源", row.get("source_label")), ("编号", row.get("facility_id"))]
    notes = [f"类型来源: {row['type_source']}"] if estimated else []
    return popup_html(str(row["name"]), rows, notes=notes)


def _facility_layers(themes: _Themes, facilities, styles: dict) -> None:
    keys = [k for k in styles if (facilities["type"] == k).any()]
    for key in keys:
        style = styles[key]
        of_type = facilities[facilities["type"] == key]
        theme = themes.theme(f"设施: {style['name_zh']} ({len(of_type)})")
        for year, child in themes.by_year(theme).items():
            shown = of_type[open_in_year(of_type, year)]
            estimated = shown["type_is_estimate"].fillna(False).astype(bool)
            icons = {flag: str(shape_svg(style["shape"], style["color"], 15, dashed=flag)) for flag in (False, True)}
            points = [[float(r["lat_wgs84"]), float(r["lon_wgs84"]), _facility_popup(r, style),
                       popup_html(str(r["name"]), subtitle=str(style["name_zh"])), icons[bool(flag)]]
                      for (_, r), flag in zip(shown.iterrows(), estimated)]
            Points(points, size=15).add_to(child)


def _service_area_layers(themes: _Themes, service_areas, info: RunInfo) -> list[str]:
    services = list(dict.fromkeys(service_areas["service"].astype(str)))
    services.sort(key=lambda s: s != info.circle_service)
    for service in services:
        rows = service_areas[service_areas["service"].astype(str) == service]
        name, color = service_name(service, info), safe_color(service_color(service, info))
        thresholds = sorted(rows["threshold_min"].unique(), reverse=True)
        label = "/".join(str(int(t)) for t in sorted(thresholds))
        theme = themes.theme(f"{name} 步行 {label} 分钟范围", show=service == info.circle_service)
        for year, child in themes.by_year(theme).items():
            now = rows if "year" not in rows.columns else rows[rows["year"].isna() | (rows["year"] == year)]
            for t in thresholds:
                at = now[now["threshold_min"] == t]
                if len(at) == 0:
                    continue
                geom = gpd.GeoSeries([at.geometry.union_all()], crs=at.crs)
                tip = popup_html(f"{name}: 步行 {int(t)} 分钟内", subtitle=info.travel_description_zh)
                Shapes(_wgs84_features(geom, [{"style": {"color": color, "weight": 1, "opacity": 0.7,
                                                         "fillColor": color, "fillOpacity": 0.13},
                                               "tooltip": tip}])).add_to(child)
    return services


#: Class edges of the population layer are taken from this ladder (people per cell).
POP_LADDER = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


def _population_classes(values: np.ndarray) -> list[float]:
    """Lower edges of up to five classes: 0, then the highest four ladder values inside the data's range."""
    positive = values[values > 0]
    if len(positive) == 0:
        return [0.0]
    inside = [float(v) for v in POP_LADDER if positive.min() < v < positive.max()]
    return [0.0, *inside[-4:]]


POP_COLORS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")


def _population_layer(fmap, demand, info: RunInfo) -> list[tuple[str, str]]:
    e = est(info.population_is_estimate)
    group = folium.FeatureGroup(name=f"0-3 岁儿童分布{e}", show=False).add_to(fmap)
    cells = demand[demand["pop_0_3"] > 0]
    edges = _population_classes(cells["pop_0_3"].to_numpy(dtype=float))
    squares = cell_squares(cells) if "cell_size_m" in cells.columns else cells.geometry
    klass = np.searchsorted(edges, cells["pop_0_3"].to_numpy(dtype=float), side="right") - 1
    legend, geoms, props = [], [], []
    unit = "每网格" if "cell_size_m" in cells.columns and cells["cell_size_m"].notna().any() else "每点"
    for k, low in enumerate(edges):
        label = f"{low:g}-{edges[k + 1]:g} 人" if k + 1 < len(edges) else f"≥ {low:g} 人"
        color = POP_COLORS[min(k, len(POP_COLORS) - 1)]
        members = squares[klass == k]
        if len(members) == 0:
            continue
        legend.append((color, f"{unit} {label}"))
        geoms.append(shapely.union_all(members.values))
        props.append({"style": {"stroke": False, "fillColor": color, "fillOpacity": 0.7, "radius": 3},
                      "tooltip": popup_html(f"0-3 岁儿童{e}: {unit} {label}")})
    Shapes(_wgs84_features(gpd.GeoSeries(geoms, crs=demand.crs), props, simplify_m=0)).add_to(group)
    return legend


def _uncovered_layer(themes: _Themes, uncovered, coverage, info: RunInfo) -> None:
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    theme = themes.theme(f"{minutes} 分钟内没有{info.circle_name_zh}的儿童{e}")
    circle = _circle_coverage(coverage, info)
    squares = cell_squares(uncovered) if "cell_size_m" in uncovered.columns else uncovered.geometry
    for year, child in themes.by_year(theme).items():
        mask = (uncovered["year"] == year).to_numpy() if "year" in uncovered.columns else np.ones(len(uncovered), bool)
        if not mask.any():
            continue
        rows = []
        if circle is not None and (year, DISTRICT_CODE) in circle.index:
            c = circle.loc[(year, DISTRICT_CODE)]
            rows.append((f"全区 {year} 年", f"约 {fmt_int(c['pop_0_3'] - c['pop_0_3_covered'])} 人"))
        tip = popup_html(f"步行 {minutes} 分钟内没有{info.circle_name_zh}的 0-3 岁儿童{e}", rows)
        geom = gpd.GeoSeries([shapely.union_all(squares[mask].values)], crs=uncovered.crs)
        Shapes(_wgs84_features(geom, [{"style": {"color": UNCOVERED_COLOR, "weight": 0.6, "opacity": 0.8,
                                                 "fillColor": UNCOVERED_COLOR, "fillOpacity": 0.9, "radius": 3,
                                                 "className": "svcov-uncovered"},
                                       "tooltip": tip}], simplify_m=0)).add_to(child)


def _site_popup(row, info: RunInfo, memo_dir: str) -> str:
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    rows = [("建议年份", int(row["year"])), ("排名", int(row["rank"])), ("类型", service_name(str(row["type"]), info)),
            ("街镇", row["jiezhen_name"]), (f"新增 {minutes} 分钟覆盖{e}", f"{fmt_int(row['pop_0_3_newly_covered'])} 人"),
            (f"街镇覆盖率{e}", f"{fmt_share(row['jiezhen_share_before'])} → {fmt_share(row['jiezhen_share_after'])}"),
            ("候选点来源", row["candidate_source"])]
    href = f"{memo_dir.rstrip('/')}/{memo_stem(row['site_id'])}.html" if memo_dir else None
    return popup_html(f"建议点位: {row['candidate_name']}", rows, link=("打开选址说明 →", href) if href else None)


def _sites_layer(themes: _Themes, sites, info: RunInfo, memo_dir: str) -> None:
    theme = themes.theme("建议新增点位")
    for year, child in themes.by_year(theme).items():
        shown = sites[sites["year"] <= year].sort_values(["year", "rank"])
        points = []
        for _, r in shown.iterrows():
            size = 24 if int(r["year"]) == year else 17
            icon = str(shape_svg("star", SITE_COLOR if int(r["year"]) == year else "#fff3b0", size))
            points.append([float(r["lat_wgs84"]), float(r["lon_wgs84"]), _site_popup(r, info, memo_dir),
                           popup_html(f"{int(r['year'])} 年建议点位 {int(r['rank'])}: {r['candidate_name']}"), icon])
        Points(points, size=24, class_name="svcov-icon svcov-site").add_to(child)


def _basemap(fmap, basemap: str, tianditu_key: str | None) -> None:
    if basemap not in BASEMAPS:
        raise single_problem(ConfigError, "outputs.basemap", f"未知底图「{basemap}」, 可选 none、osm、tianditu",
                             f"unknown basemap {basemap!r}; use none, osm or tianditu", value=basemap)
    if basemap == "osm":
        folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", attr=OSM_ATTRIBUTION,
                         name="OpenStreetMap 底图", max_zoom=19).add_to(fmap)
    elif basemap == "tianditu":
        if not tianditu_key:
            raise single_problem(ConfigError, "outputs.tianditu_key", "使用天地图底图需要填写 outputs.tianditu_key "
                                 "(在 https://console.tianditu.gov.cn 申请浏览器端密钥)",
                                 "the tianditu basemap needs outputs.tianditu_key (a browser key from tianditu)")
        if not str(tianditu_key).isascii() or not str(tianditu_key).isalnum():
            raise single_problem(ConfigError, "outputs.tianditu_key", "天地图密钥只能包含字母和数字",
                                 "the tianditu key may contain only letters and digits", value=tianditu_key)
        attr = '天地图 &copy; <a href="https://www.tianditu.gov.cn">国家地理信息公共服务平台</a>'
        for layer, name in (("vec", "天地图 矢量底图"), ("cva", "天地图 注记")):
            folium.TileLayer(TIANDITU_URL.replace("{layer}", layer).replace("{key}", str(tianditu_key)), attr=attr,
                             name=name, subdomains="01234567", max_zoom=18, overlay=layer == "cva").add_to(fmap)


def _swatch(color: str, *, opacity: float = 1.0, dashed: bool = False) -> str:
    border = "1px dashed #333" if dashed else "1px solid #333"
    return (f'<span class="svcov-swatch" style="background:{safe_color(color)};opacity:{opacity:.2f};'
            f'border:{border}"></span>')


def _legend_html(*, info: RunInfo, status_shown: bool, rule_label: str, styles: dict, services: list[str],
                 population: list[tuple[str, str]], uncovered: bool, sites: bool, any_estimated_type: bool) -> str:
    from markupsafe import Markup

    sections = []
    if status_shown:
        sections.append({"title": f"街镇 {rule_label}", "items": [
            {"symbol": Markup(_swatch(STATUS_COLORS[s], opacity=0.6)), "label": s} for s in STATUSES]})
    if styles:
        sections.append({"title": "现有设施 (形状区分类型)", "items": [
            {"symbol": shape_svg(st["shape"], st["color"], 15), "label": st["name_zh"]} for st in styles.values()]})
    if services:
        sections.append({"title": "步行服务范围 (颜色越深越近)", "items": [
            {"symbol": Markup(_swatch(service_color(s, info), opacity=0.45)), "label": service_name(s, info)}
            for s in services]})
    if population:
        sections.append({"title": f"0-3 岁儿童{est(info.population_is_estimate)}", "items": [
            {"symbol": Markup(_swatch(c, opacity=0.8)), "label": label} for c, label in population]})
    extra = []
    if uncovered:
        extra.append({"symbol": Markup('<svg width="16" height="11"><rect x="0.5" y="0.5" width="15" height="10" '
                                       'fill="url(#svcov-hatch)" stroke="#333"/></svg>'),
                      "label": f"{info.circle_threshold_min} 分钟内没有{info.circle_name_zh}的儿童"})
    if sites:
        extra.append({"symbol": shape_svg("star", SITE_COLOR, 18), "label": "建议新增点位 (当年大星, 往年小星)"})
    if extra:
        sections.append({"title": "缺口与建议", "items": extra})
    notes = [info.travel_description_zh]
    if any_estimated_type:
        notes.append("虚线边框的设施: 类型是按名称推断的 (估算), 不是登记数据。")
    if info.population_is_estimate:
        notes.append("0-3 岁儿童分布为估算值, 不是实际统计。")
    return template_env().get_template("map_legend.html.j2").render(sections=sections, notes=notes)


def _title_html(info: RunInfo, years: Sequence[int], year: int) -> str:
    lines = [f"{info.circle_name_zh} · 步行 {info.circle_threshold_min} 分钟", info.travel_description_zh]
    if info.population_is_estimate:
        lines.append("0-3 岁儿童为估算值。点击街镇、设施、建议点位查看详情; 右上角开关图层。")
    return template_env().get_template("map_title.html.j2").render(
        title=f"{info.district_name_zh} 15 分钟社区服务圈", lines=lines, years=list(years), year=year)


def _attributions(info: RunInfo, facilities, basemap: str) -> list[str]:
    texts = " ".join(list(info.notes) + list(facilities.get("source_label", pd.Series(dtype=str)).astype(str)))
    out = ["svcov"]
    if "OpenStreetMap" in texts and basemap != "osm":
        out.append("数据 " + OSM_ATTRIBUTION)
    return out


def build_map(*, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, info: RunInfo, years: Sequence[int],
              year: int | None = None, demand: gpd.GeoDataFrame | None = None,
              service_areas: gpd.GeoDataFrame | None = None, uncovered: gpd.GeoDataFrame | None = None,
              coverage: pd.DataFrame | None = None, rule_status: pd.DataFrame | None = None,
              sites: gpd.GeoDataFrame | None = None, basemap: str = "none", tianditu_key: str | None = None,
              memo_dir: str = "memos") -> folium.Map:
    """Build the offline interactive map (see :func:`write_map` for the parameters)."""
    require_columns(boundaries, ("jiezhen_code", "name"), "街镇边界 (boundaries)")
    require_columns(facilities, ("facility_id", "name", "type", "type_name_zh", "lon_wgs84", "lat_wgs84",
                                 "opened_year", "closed_year"), "设施表 (facilities)")
    years = [int(y) for y in years]
    if not years:
        raise ValueError("years 不能为空: 请给出规划年份 (years must list the plan's years)")
    year = years[-1] if year is None else int(year)
    x0, y0, x1, y1 = boundaries.to_crs(settings.wgs84).total_bounds
    fmap = OfflineMap(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, zoom_start=11, zoomSnap=0.25)
    fmap.fit_bounds([[y0, x0], [y1, x1]], padding_top_left=(330, 10), padding_bottom_right=(380, 10))
    _basemap(fmap, basemap, tianditu_key)
    css = (Path(__file__).parent / "templates" / "map.css").read_text(encoding="utf-8")
    fmap.get_root().add_child(StyleSheet(css))
    fmap.get_root().html.add_child(Element(HATCH_SVG), name="svcov_hatch")
    themes = _Themes(fmap, years)
    demand, service_areas, uncovered = lighten_layers(boundaries, demand, service_areas, uncovered)  # large runs
    rule_label, status_shown = _jiezhen_layer(themes, boundaries, rule_status, coverage, info)
    population = _population_layer(fmap, demand, info) if demand is not None and len(demand) else []
    services = []
    if service_areas is not None and len(service_areas):
        require_columns(service_areas, ("service", "threshold_min"), "服务范围 (service areas)")
        services = _service_area_layers(themes, service_areas, info)
    if uncovered is not None and len(uncovered):
        _uncovered_layer(themes, uncovered, coverage, info)
    extra = list(zip(facilities["type"].astype(str), facilities["type_name_zh"].astype(str)))
    styles = {k: v for k, v in type_styles(info.facility_types, extra).items() if (facilities["type"] == k).any()}
    _facility_layers(themes, facilities, styles)
    if sites is not None and len(sites):
        require_columns(sites, ("site_id", "rank", "year", "type", "candidate_name", "jiezhen_name", "lon_wgs84",
                                "lat_wgs84", "pop_0_3_newly_covered"), "选址结果表 (proposed sites)")
        _sites_layer(themes, sites, info, memo_dir)
    _labels(fmap, boundaries)
    any_est = bool(facilities["type_is_estimate"].fillna(False).astype(bool).any()) \
        if "type_is_estimate" in facilities.columns else False
    Control(_title_html(info, years, year), position="topleft", class_name="svcov-box svcov-title").add_to(fmap)
    Control(_legend_html(info=info, status_shown=status_shown, rule_label=rule_label, styles=styles,
                         services=services, population=population,
                         uncovered=uncovered is not None and len(uncovered) > 0,
                         sites=sites is not None and len(sites) > 0, any_estimated_type=any_est),
            position="bottomleft", class_name="svcov-box svcov-legend").add_to(fmap)
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)
    YearSwitch(themes.pairs, year).add_to(fmap)
    Attribution(_attributions(info, facilities, basemap)).add_to(fmap)
    return fmap


def write_map(path: str | Path, *, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, info: RunInfo,
              years: Sequence[int], year: int | None = None, demand: gpd.GeoDataFrame | None = None,
              service_areas: gpd.GeoDataFrame | None = None, uncovered: gpd.GeoDataFrame | None = None,
              coverage: pd.DataFrame | None = None, rule_status: pd.DataFrame | None = None,
              sites: gpd.GeoDataFrame | None = None, basemap: str = "none", tianditu_key: str | None = None,
              memo_dir: str = "memos") -> Path:
    """Write ``map.html``: one self-contained page that works offline.

    Parameters
    ----------
    path
        The HTML file.
    boundaries, facilities, demand
        Contract frames (docs/DEVELOPING.md), metric CRS. ``demand`` (optional) gives the population layer.
    info
        The run's :class:`~svcov.outputs.context.RunInfo` (names, travel model, estimates, sources).
    years
        Years of the plan; the year switch shows one at a time.
    year
        Year shown first (default: the last of ``years``).
    service_areas
        GeoDataFrame: ``service`` (type or group key), ``threshold_min``, optional ``year`` (missing or NaN = every
        year), (Multi)Polygon geometry; one row per service × threshold [× year], or several to be merged.
    uncovered
        Demand rows (contract ``demand`` columns, optional ``year``) whose walk to the circle's service is longer
        than the circle's threshold: drawn as 「没有覆盖的儿童」.
    coverage, rule_status, sites
        Contract tables (optional): coverage and 「3个一」 status go into the 街镇 colours and popups, sites into
        the 「建议新增点位」 layer.
    basemap
        ``none`` (default: no request leaves the PC), ``osm`` or ``tianditu`` (needs ``tianditu_key``).
    memo_dir
        Folder of the memos relative to the map (site popups link to ``<memo_dir>/<memo_stem>.html``).

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        Unknown basemap, or 天地图 without a key.
    MissingColumnError
        A frame lacks contract columns.
    OutputError
        If the page would load a script or style from the internet (a bug: nothing is written).
    """
    fmap = build_map(boundaries=boundaries, facilities=facilities, info=info, years=years, year=year, demand=demand,
                     service_areas=service_areas, uncovered=uncovered, coverage=coverage, rule_status=rule_status,
                     sites=sites, basemap=basemap, tianditu_key=tianditu_key, memo_dir=memo_dir)
    html = fmap.get_root().render()
    external = external_assets(html)
    if external:
        raise OutputError(f"地图会从互联网加载资源, 未写出 (the map would load assets from the internet; not "
                          f"written): {external}")
    path = atomic_write_text(path, html)
    log.info("wrote %s (%.1f MB)", path, len(html.encode("utf-8")) / 1e6)
    return path
