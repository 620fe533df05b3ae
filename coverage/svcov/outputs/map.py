"""The interactive map (``map.html``): folium/Leaflet, fully offline, in Chinese.

It answers "where are people not served?": by default the 街镇 are shaded by the share of the served group (for
childcare: 0-3 children) within the circle's travel time of the plan's service (「无数据」 apart from 0 %), with the
layout rule's status (childcare: 「3个一」) or no fill as the other choices of the layer control; facilities by type
(shape *and* colour, so grey print still tells them apart) with popups showing the attributes the type file
declares; the service areas of the primary travel profile; the served group's population surface; where those
outside the circle live; proposed sites with their own 5/10/15-minute rings, linking to their memos; named places
for orientation; a legend of what is shown, a collapsed layer control and a year switch. Only layers with something
to draw are made. No script or style comes from the internet (Leaflet is inlined, :mod:`svcov.outputs.webassets`); tiles
are optional (:mod:`svcov.outputs.basemaps`). Printing gives one A4 landscape page: map, title and legend.
Every text from an input file is escaped (:mod:`svcov.outputs.mapelements`). The map renders the frames it is
handed (docs/DEVELOPING.md) and computes nothing but where its labels go.
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
import shapely.ops
from markupsafe import Markup

from .. import settings
from ..data.facilities import open_in_year
from ..errors import ArgumentError, OutputError
from ..files import atomic_write_text
from .basemaps import BASEMAP_OFF_NOTE_ZH, OSM_ATTRIBUTION, add_basemap, resolve_basemap
from .context import (
    SITE_COLOR,
    RunInfo,
    est,
    fmt_int,
    fmt_share,
    require_columns,
    service_color,
    service_name,
    type_styles,
)
from .document import template_env
from .landmarks import site_landmarks
from .map_siting import plan_site_layers, scenario_layers
from .mapelements import (
    Attribution,
    Control,
    LegendSync,
    Panes,
    Points,
    PrintView,
    Shapes,
    StyleSheet,
    YearSwitch,
    ZoomClass,
    popup_html,
    safe_color,
    shape_svg,
)
from .mapfills import jiezhen_layers
from .maplabels import first_zoom, label_positions
from .maplayers import context_layer, population_classes, population_layer, uncovered_layer, wgs84_features
from .maplegend import Legend, ring_swatch, swatch, title_html
from .maplimits import lighten_layers, marker_limit
from .memo import memo_stem
from .plantime import PlanTiming
from .webassets import Literal, OfflineMap, external_assets

__all__ = ["BASEMAPS", "build_map", "write_map", "PANES"]

log = logging.getLogger(__name__)

BASEMAPS = ("none", "osm", "tianditu")
UNCOVERED_COLOR = "#54278f"
RING_COLOR = "#b35806"
#: Patterns of the page: the uncovered-children hatch (the fill beneath stays visible, and it prints) and the
#: dots of 「无数据」.
HATCH_SVG = ('<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
             '<pattern id="svcov-hatch" patternUnits="userSpaceOnUse" width="8" height="8" '
             'patternTransform="rotate(45)"><rect width="8" height="8" fill="white" fill-opacity="0"/>'
             f'<line x1="0" y1="0" x2="0" y2="8" stroke="{UNCOVERED_COLOR}" stroke-width="1.3" '
             'stroke-opacity="0.75"/></pattern>'
             '<pattern id="svcov-dots" patternUnits="userSpaceOnUse" width="5" height="5">'
             '<rect width="5" height="5" fill="white"/><circle cx="2.5" cy="2.5" r="0.75" fill="#8c8c8c"/></pattern>'
             '</defs></svg>')
#: Map panes (z-index), bottom to top; Leaflet's own: overlays 400, markers 600, tooltips 650, popups 700.
PANES = {"svcov-fill": 350, "svcov-population": 380, "svcov-areas": 400, "svcov-uncovered": 420,
         "svcov-rings": 430, "svcov-places": 450, "svcov-labels": 640}
#: Zoom from which the names of places (residential compounds, schools ...) are written next to their dots.
PLACE_NAMES_ZOOM = 15
#: Zooms closer than the first view by this much move the 街镇 names placed beside their 街镇 back inside.
LABELS_IN_ZOOM_STEP = 1.25
#: Space kept free of map content on the left (title, legend) and right (layer control) of the first view, px.
VIEW_PADDING_PX = ((330, 10), (20, 10))
_wgs84_features = wgs84_features
_population_classes = population_classes


class _Themes:
    """Groups in the layer control (overlays, or base choices), each optionally split into one child per year."""

    def __init__(self, fmap: folium.Map, years: Sequence[int]):
        self.map, self.years = fmap, list(years)
        self.pairs: dict[int, list[tuple[str, str]]] = {y: [] for y in self.years}
        self.groups: dict[str, str] = {}

    def theme(self, name: str, *, show: bool = True, overlay: bool = True) -> folium.FeatureGroup:
        text = str(template_env().from_string("{{ n }}").render(n=name))
        group = folium.FeatureGroup(name=text, show=show, overlay=overlay)
        group.add_to(self.map)
        self.groups[name] = group.get_name()
        return group

    def by_year(self, theme: folium.FeatureGroup) -> dict[int, folium.FeatureGroup]:
        children = {}
        for year in self.years:
            child = folium.FeatureGroup(control=False)
            child.add_to(theme)
            self.pairs[year].append((theme.get_name(), child.get_name()))
            children[year] = child
        return children


def _labels(themes: _Themes, boundaries, markers: list[tuple[gpd.GeoSeries, float, float]]) -> None:
    """街镇 names where they cover no marker (:func:`svcov.outputs.maplabels.label_positions`), above the markers."""
    group = themes.theme("街镇名称")
    parts = [(g.to_crs(boundaries.crs), r, w) for g, r, w in markers if len(g)]
    xy = np.vstack([np.column_stack([g.x, g.y]) for g, _, _ in parts]) if parts else np.zeros((0, 2))
    radius = np.concatenate([np.full(len(g), r) for g, r, _ in parts]) if parts else np.zeros(0)
    weights = np.concatenate([np.full(len(g), w) for g, _, w in parts]) if parts else np.zeros(0)
    spots = label_positions(boundaries.geometry, list(boundaries["name"]), xy, radius,
                            bounds=tuple(boundaries.total_bounds), weights=weights)
    env = template_env()
    html = [str(env.from_string('<span>{{ n }}</span>').render(n=name)) for name in boundaries["name"]]
    away = [i for i, spot in enumerate(spots) if spot[2]]
    home = [i for i, spot in enumerate(spots) if not spot[2]]
    _label_points(group, boundaries.crs, [spots[i][:2] for i in home], [html[i] for i in home], "svcov-label")
    if not away:
        return
    _label_points(group, boundaries.crs, [spots[i][:2] for i in away], [html[i] for i in away],
                  "svcov-label svcov-away")
    _label_points(group, boundaries.crs, [spots[i][3:] for i in away], [html[i] for i in away],
                  "svcov-label svcov-close")
    # a name placed beside its 街镇 at the first zoom: a line to a dot inside it (closer in, the name moves in)
    leaders = [shapely.LineString([spots[i][:2], spots[i][3:]]) for i in away]
    ends = [shapely.Point(spots[i][3:]) for i in away]
    style = {"color": "#111111", "weight": 1.3, "opacity": 0.9, "className": "svcov-leader"}
    Shapes(_wgs84_features(gpd.GeoSeries(leaders + ends, crs=boundaries.crs),
                           [{"style": style}] * len(leaders)
                           + [{"style": {**style, "radius": 2.5, "fillColor": "#111111", "fillOpacity": 1}}]
                           * len(ends), simplify_m=0), interactive=False, pane="svcov-labels").add_to(group)


def _label_points(group, crs, xy: list, html: list[str], class_name: str) -> None:
    if not xy:
        return
    points = gpd.GeoSeries(gpd.points_from_xy(*zip(*xy)), crs=crs).to_crs(settings.wgs84)
    items = [[p.y, p.x, "", "", h] for p, h in zip(points, html)]
    Points(items, size=0, class_name=class_name, pane="svcov-labels", interactive=False).add_to(group)


def _flag(value: object) -> bool:
    """True only for a true value (NA and None are not true)."""
    return value is not None and value is not pd.NA and not (isinstance(value, float) and np.isnan(value)) \
        and bool(value)


def _attribute_text(attribute, value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "未知"
    if attribute.is_flag:
        return "是" if bool(value) else "否"
    return fmt_int(value) if attribute.integer else f"{float(value):,.1f}"


def _facility_popup(row, style: dict, info: RunInfo) -> str:
    estimated = _flag(row.get("type_is_estimate"))
    rows = [("类型", f"{row['type_name_zh']}" + (" (推断, 估算)" if estimated else ""))]
    rows += [(a.label_zh, _attribute_text(a, row.get(a.key))) for a in info.attributes if a.key in row.index]
    outside = row.get("outside_district_m")
    where = row.get("jiezhen_name") if pd.notna(row.get("jiezhen_name")) else (
        f"区外 {float(outside) / 1000:.1f} 公里" if outside is not None and pd.notna(outside) else "—")
    rows += [("街镇", where), ("地址", row.get("address") if pd.notna(row.get("address")) else "—"),
             ("开办年份", "未知" if pd.isna(row.get("opened_year")) else int(row["opened_year"])),
             ("数据来源", row.get("source_label")), ("编号", row.get("facility_id"))]
    notes = [f"类型来源: {row['type_source']}"] if estimated else []
    return popup_html(str(row["name"]), rows, notes=notes)


def _facility_layers(themes: _Themes, legend: Legend, facilities, styles: dict, info: RunInfo) -> None:
    keys = [k for k in styles if (facilities["type"] == k).any()]
    limit = marker_limit(len(facilities), len(keys))
    if limit is not None:
        legend.notes.append(f"设施较多 ({len(facilities):,} 个): 放大地图, 视图内每类设施不超过 {limit:,} 个时画出点位; "
                            f"全部设施见 tables/facilities.xlsx 和 layers.gpkg。")
    for key in keys:
        style = styles[key]
        of_type = facilities[facilities["type"] == key]
        name = f"设施: {style['name_zh']} ({len(of_type)})"
        theme = themes.theme(name)
        legend.add("现有设施 (形状区分类型)", name, shape_svg(style["shape"], style["color"], 15), style["name_zh"])
        for year, child in themes.by_year(theme).items():
            shown = of_type[open_in_year(of_type, year)]
            estimated = shown["type_is_estimate"].fillna(False).astype(bool)
            icons = {flag: str(shape_svg(style["shape"], style["color"], 15, dashed=flag)) for flag in (False, True)}
            points = [[float(r["lat_wgs84"]), float(r["lon_wgs84"]), _facility_popup(r, style, info),
                       popup_html(str(r["name"]), subtitle=str(style["name_zh"])), icons[bool(flag)]]
                      for (_, r), flag in zip(shown.iterrows(), estimated)]
            Points(points, size=15, in_view_limit=limit).add_to(child)


def _areas_of_year(rows: gpd.GeoDataFrame, year: int) -> gpd.GeoDataFrame:
    return rows if "year" not in rows.columns else rows[rows["year"].isna() | (rows["year"] == year)]


def _has_area(rows: gpd.GeoDataFrame) -> bool:
    """Whether any row has a non-empty geometry (missing geometries count as empty)."""
    return bool(len(rows)) and not bool((rows.geometry.isna() | rows.geometry.is_empty).all())


def _same_areas(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, years: Sequence[int]) -> bool:
    """Whether two services have the same areas in every year and threshold (e.g. a group of one type)."""
    for year in years:
        for t in set(a["threshold_min"]) | set(b["threshold_min"]):
            ga = _areas_of_year(a, year)
            gb = _areas_of_year(b, year)
            ua = ga[ga["threshold_min"] == t].geometry.union_all()
            ub = gb[gb["threshold_min"] == t].geometry.union_all()
            if ua.is_empty != ub.is_empty or ua.symmetric_difference(ub).area > 1.0:
                return False
    return True


def _distinct_services(service_areas, info: RunInfo, years: Sequence[int]) -> dict[str, list[str]]:
    """Services with an area, the circle's first; a service whose areas equal an earlier one's is listed under it
    (「普惠性托育服务」 = 「公办托幼一体园」 while only that type has facilities) instead of getting a layer."""
    services = [s for s in dict.fromkeys(service_areas["service"].astype(str))
                if _has_area(service_areas[service_areas["service"].astype(str) == s])]
    services.sort(key=lambda s: s != info.circle_service)
    kept: dict[str, list[str]] = {}
    for service in services:
        rows = service_areas[service_areas["service"].astype(str) == service]
        twin = next((k for k in kept if _same_areas(service_areas[service_areas["service"].astype(str) == k], rows,
                                                    years)), None)
        if twin is None:
            kept[service] = []
        else:
            kept[twin].append(service)
    return kept


def _service_area_layers(themes: _Themes, legend: Legend, service_areas, info: RunInfo) -> list[str]:
    """One layer per service with its own area in some year (the circle's service shown, the others off), for the
    primary travel profile."""
    if "profile" in service_areas.columns and info.profiles:
        service_areas = service_areas[service_areas["profile"].isna()
                                      | (service_areas["profile"] == info.profiles[0][0])]
    travel = info.profile_name_zh
    kept = _distinct_services(service_areas, info, themes.years)
    for service, twins in kept.items():
        rows = service_areas[service_areas["service"].astype(str) == service]
        name, color = service_name(service, info), safe_color(service_color(service, info))
        thresholds = sorted(rows["threshold_min"].unique(), reverse=True)
        label = "/".join(str(int(t)) for t in sorted(thresholds))
        layer = f"{name} {travel} {label} 分钟范围"
        theme = themes.theme(layer, show=service == info.circle_service)
        same = f" (与{'、'.join(service_name(t, info) for t in twins)}相同)" if twins else ""
        legend.add(f"现有设施的{travel}范围 (越近颜色越深)", layer, swatch(color, opacity=0.45), f"{name} {label} 分钟{same}")
        for year, child in themes.by_year(theme).items():
            now = _areas_of_year(rows, year)
            for t in thresholds:
                at = now[now["threshold_min"] == t]
                if not _has_area(at):
                    continue
                geom = gpd.GeoSeries([at.geometry.union_all()], crs=at.crs)
                tip = popup_html(f"{name}{same}: {travel} {int(t)} 分钟内", subtitle=info.travel_description_zh)
                Shapes(_wgs84_features(geom, [{"style": {"color": color, "weight": 1, "opacity": 0.7,
                                                         "fillColor": color, "fillOpacity": 0.13},
                                               "tooltip": tip}]), pane="svcov-areas").add_to(child)
    return list(kept)


def _site_popup(row, info: RunInfo, memo_dir: str, name: str, timing: PlanTiming) -> str:
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    rows = [("建议年份", timing.site_when_zh(int(row["year"]))), ("排名", int(row["rank"])),
            ("类型", service_name(str(row["type"]), info)),
            ("街镇", row["jiezhen_name"]),
            (f"新增 {minutes} 分钟覆盖{e}", f"{fmt_int(row['pop_newly_covered'])} {info.group_unit_zh}"),
            (f"街镇覆盖率{e}", f"{fmt_share(row['jiezhen_share_before'])} → {fmt_share(row['jiezhen_share_after'])}"),
            ("候选点来源", row["candidate_source"])]
    href = memo_href(memo_dir, row["site_id"]) if memo_dir else None
    return popup_html(f"建议点位: {name}", rows, link=("打开选址说明 →", href) if href else None)


def memo_href(memo_dir: str, site_id: object) -> str:
    """The link to a site's memo: ``memo_dir`` is a folder relative to the map (``memos``) or an absolute base URL
    (``outputs.memo_base_url``, e.g. ``http://intranet/svcov/memos/`` or ``file://server/share/memos/``)."""
    return f"{memo_dir.rstrip('/')}/{memo_stem(site_id)}.html"


def _sites_layer(themes: _Themes, legend: Legend, sites, info: RunInfo, memo_dir: str, names: dict) -> None:
    theme = themes.theme("建议新增点位")
    timing = PlanTiming.of(themes.years, info.created)
    legend.add("缺口与建议", "建议新增点位", shape_svg("star", SITE_COLOR, 18), "建议新增点位 (当年大星, 往年小星)")
    for year, child in themes.by_year(theme).items():
        shown = sites[sites["year"] <= year].sort_values(["year", "rank"])
        points = []
        for _, r in shown.iterrows():
            size = 24 if int(r["year"]) == year else 17
            icon = str(shape_svg("star", SITE_COLOR if int(r["year"]) == year else "#fff3b0", size))
            name = names.get(str(r["site_id"]), str(r["candidate_name"]))
            when = timing.site_when_zh(int(r["year"]))
            points.append([float(r["lat_wgs84"]), float(r["lon_wgs84"]), _site_popup(r, info, memo_dir, name, timing),
                           popup_html(f"建议点位 {int(r['rank'])} ({when}): {name}"), icon])
        Points(points, size=24, class_name="svcov-icon svcov-site").add_to(child)


def _site_ring_layer(themes: _Themes, legend: Legend, site_areas, sites, info: RunInfo) -> None:
    """The 5/10/15-minute rings of the proposed sites (those proposed up to the year shown), dashed."""
    rows = site_areas.merge(sites[["site_id", "year"]].astype({"site_id": str}),
                            left_on=site_areas["site_id"].astype(str), right_on="site_id", suffixes=("", "_site"))
    rows = gpd.GeoDataFrame(rows, geometry=site_areas.geometry.name, crs=site_areas.crs)
    if not _has_area(rows):
        return
    thresholds = sorted(rows["threshold_min"].unique(), reverse=True)
    label = "/".join(str(int(t)) for t in sorted(thresholds))
    travel = info.profile_name_zh
    layer = f"建议点位 {travel} {label} 分钟范围"
    theme = themes.theme(layer)
    legend.add("缺口与建议", layer, ring_swatch(RING_COLOR), f"建议点位建成后的{travel} {label} 分钟范围 (虚线)")
    width = {t: w for t, w in zip(thresholds, (2.0, 1.4, 1.0))}
    for year, child in themes.by_year(theme).items():
        now = rows[rows["year_site" if "year_site" in rows.columns else "year"] <= year]
        for t in thresholds:
            at = now[now["threshold_min"] == t]
            if not _has_area(at):
                continue
            geom = gpd.GeoSeries([at.geometry.union_all()], crs=rows.crs)
            Shapes(_wgs84_features(geom, [{"style": {"color": RING_COLOR, "weight": width.get(t, 1.0), "opacity": 0.9,
                                                     "dashArray": "6,4", "fill": False},
                                           "tooltip": popup_html(f"建议点位: {travel} {int(t)} 分钟内",
                                                                 subtitle=info.travel_description_zh)}]),
                   interactive=True, pane="svcov-rings").add_to(child)


def _attributions(info: RunInfo, facilities, basemap_kind: str) -> list[str]:
    texts = " ".join(list(info.notes) + list(facilities.get("source_label", pd.Series(dtype=str)).astype(str)))
    out = ["svcov"]
    if "OpenStreetMap" in texts and basemap_kind != "osm":
        out.append("数据 " + OSM_ATTRIBUTION)
    return out


def _title(info: RunInfo, years: Sequence[int], year: int, basemap_off: bool) -> str:
    lines = [f"{info.circle_name_zh} · {info.group_name_zh} · {info.profile_name_zh} {info.circle_threshold_min} 分钟"
             + (" · 含估算值 (见说明)" if info.travel_is_fallback or info.population_is_estimate else "")]
    if basemap_off:
        lines.append("未加载底图 (离线); 浅灰圆点为住宅小区等地名。")
    details = [f"{info.profile_name_zh}时间: {info.travel_description_zh}。"]
    if info.population_is_estimate:
        details.append(f"{info.group_name_zh}人数和分布为估算值, 不是实际统计。")
    details.append(Markup('<span class="svcov-screen">点击街镇、设施或建议点位查看详情; 右上角按钮切换街镇填色和图层; '
                          '年份按钮切换规划年份。</span>'))
    if basemap_off:
        details.append(BASEMAP_OFF_NOTE_ZH)
    return title_html(info, years, year, lines=lines, details=details)


def _markers(facilities, sites) -> list[tuple[gpd.GeoSeries, float, float]]:
    """Markers the 街镇 names should not cover: positions, half sizes (px), how much covering one costs (a
    proposed site most)."""
    out = [(facilities.geometry, 8.0, 1.0)]
    if sites is not None and len(sites):
        out.append((sites.geometry, 12.0, 5.0))
    return out


def build_map(*, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, info: RunInfo, years: Sequence[int],
              year: int | None = None, demand: gpd.GeoDataFrame | None = None,
              service_areas: gpd.GeoDataFrame | None = None, uncovered: gpd.GeoDataFrame | None = None,
              coverage: pd.DataFrame | None = None, rule_status: pd.DataFrame | None = None,
              sites: gpd.GeoDataFrame | None = None, site_areas: gpd.GeoDataFrame | None = None,
              places: gpd.GeoDataFrame | None = None, basemap: str = "none", tianditu_key: str | None = None,
              basemap_attribution: str | None = None, basemap_name_zh: str | None = None,
              basemap_subdomains: str | None = None, basemap_max_zoom: int = 18,
              memo_dir: str = "memos", scenarios: pd.DataFrame | None = None) -> folium.Map:
    """Build the offline interactive map (see :func:`write_map` for the parameters)."""
    require_columns(boundaries, ("jiezhen_code", "name"), "街镇边界 (boundaries)")
    require_columns(facilities, ("facility_id", "name", "type", "type_name_zh", "lon_wgs84", "lat_wgs84",
                                 "opened_year", "closed_year"), "设施表 (facilities)")
    years = [int(y) for y in years]
    if not years:
        raise ArgumentError("years 不能为空: 请给出规划年份 (years must list the plan's years)")
    year = years[-1] if year is None else int(year)
    tiles = resolve_basemap(basemap, tianditu_key=tianditu_key, attribution=basemap_attribution,
                            name_zh=basemap_name_zh, subdomains=basemap_subdomains, max_zoom=basemap_max_zoom)
    x0, y0, x1, y1 = boundaries.to_crs(settings.wgs84).total_bounds
    fmap = OfflineMap(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, zoom_start=11, zoomSnap=0.25)
    fmap.fit_bounds([[y0, x0], [y1, x1]], padding_top_left=VIEW_PADDING_PX[0],
                    padding_bottom_right=VIEW_PADDING_PX[1])
    add_basemap(fmap, tiles)
    css = (Path(__file__).parent / "templates" / "map.css").read_text(encoding="utf-8")
    fmap.get_root().add_child(StyleSheet(css))
    fmap.get_root().html.add_child(Literal(HATCH_SVG), name="svcov_hatch")
    Panes(PANES, passive=("svcov-labels",)).add_to(fmap)
    themes, legend = _Themes(fmap, years), Legend()
    demand, service_areas, uncovered = lighten_layers(boundaries, demand, service_areas, uncovered,  # large runs
                                                      counts=(info.group,))
    named = sites
    if sites is not None and len(sites) and {"site_id", "candidate_id", "candidate_name"} <= set(sites.columns):
        marks = site_landmarks(sites, places, boundaries)          # the 街镇 popups name sites by their landmark
        named = sites.assign(candidate_name=[marks[str(i)].label for i in sites["site_id"]])
    jiezhen_layers(themes, legend, boundaries, facilities=facilities, rule_status=rule_status, coverage=coverage,
                   sites=named, info=info)
    _add_overlays(themes, legend, facilities=facilities, info=info, demand=demand, service_areas=service_areas,
                  uncovered=uncovered, coverage=coverage, sites=sites, site_areas=site_areas, places=places,
                  boundaries=boundaries,
                  memo_dir=memo_dir, basemap_off=tiles.is_off, scenarios=scenarios)
    _labels(themes, boundaries, _markers(facilities, sites))
    if "type_is_estimate" in facilities.columns and facilities["type_is_estimate"].fillna(False).astype(bool).any():
        legend.notes.append("虚线边框的设施: 类型是按名称推断的 (估算), 不是登记数据。")
    Control(_title(info, years, year, tiles.is_off), position="topleft", class_name="svcov-box svcov-title") \
        .add_to(fmap)
    Control(legend.html(), position="bottomleft", class_name="svcov-box svcov-legend").add_to(fmap)
    folium.LayerControl(position="topright", collapsed=True).add_to(fmap)
    YearSwitch(themes.pairs, year).add_to(fmap)
    LegendSync({name: themes.groups[name] for name in legend.layers}).add_to(fmap)
    mid = first_zoom(tuple(boundaries.total_bounds), (y0 + y1) / 2) + LABELS_IN_ZOOM_STEP
    ZoomClass({"svcov-near": PLACE_NAMES_ZOOM, "svcov-mid": mid}).add_to(fmap)
    PrintView([[y0, x0], [y1, x1]]).add_to(fmap)
    Attribution(_attributions(info, facilities, tiles.kind)).add_to(fmap)
    fmap.svcov_layers = dict(themes.groups)       # layer name → group, for tests and callers
    fmap.svcov_legend_layers = legend.layers
    return fmap


def _add_overlays(themes: _Themes, legend: Legend, *, facilities, info: RunInfo, demand, service_areas, uncovered,
                  coverage, sites, site_areas, places, memo_dir: str, basemap_off: bool, boundaries=None,
                  scenarios=None) -> None:
    """Every overlay that has something to draw, bottom to top in the layer control."""
    if service_areas is not None and len(service_areas):
        require_columns(service_areas, ("service", "threshold_min"), "服务范围 (service areas)")
        _service_area_layers(themes, legend, service_areas, info)
    if demand is not None and len(demand):
        population_layer(themes, legend, demand, info)
    if uncovered is not None and len(uncovered):
        uncovered_layer(themes, legend, uncovered, coverage, info, demand=demand)
    extra = list(zip(facilities["type"].astype(str), facilities["type_name_zh"].astype(str)))
    styles = {k: v for k, v in type_styles(info.facility_types, extra).items() if (facilities["type"] == k).any()}
    _facility_layers(themes, legend, facilities, styles, info)
    if sites is not None and len(sites):
        names = {k: m.label for k, m in site_landmarks(sites, places, boundaries).items()} \
            if boundaries is not None else {}
        _site_overlays(themes, legend, sites, site_areas, info, memo_dir, names)
    if scenarios is not None and len(scenarios):
        scenario_layers(themes, legend, scenarios, info)
    if places is not None and len(places):
        context_layer(themes, legend, places, show=basemap_off)


def _site_overlays(themes: _Themes, legend: Legend, sites, site_areas, info: RunInfo, memo_dir: str,
                   names: dict) -> None:
    """The proposed sites (one layer per leg of the plan when ``sites`` has a ``leg`` column) and their rings."""
    require_columns(sites, ("site_id", "rank", "year", "type", "candidate_name", "jiezhen_name", "lon_wgs84",
                            "lat_wgs84", "pop_newly_covered"), "选址结果表 (proposed sites)")
    if site_areas is not None and len(site_areas):
        require_columns(site_areas, ("site_id", "threshold_min"), "建议点位的服务范围 (site areas)")
        _site_ring_layer(themes, legend, site_areas, sites, info)
    if "leg" in sites.columns:  # the plan's main leg as 「建议新增点位」, each other leg a layer of its own
        first = sites["leg"].iloc[0]
        _sites_layer(themes, legend, sites[sites["leg"] == first], info, memo_dir, names)
        if (sites["leg"] != first).any():
            plan_site_layers(themes, legend, sites[sites["leg"] != first], info, memo_dir, names,
                             PlanTiming.of(themes.years, info.created))
    else:
        _sites_layer(themes, legend, sites, info, memo_dir, names)


def write_map(path: str | Path, *, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, info: RunInfo,
              years: Sequence[int], year: int | None = None, demand: gpd.GeoDataFrame | None = None,
              service_areas: gpd.GeoDataFrame | None = None, uncovered: gpd.GeoDataFrame | None = None,
              coverage: pd.DataFrame | None = None, rule_status: pd.DataFrame | None = None,
              sites: gpd.GeoDataFrame | None = None, site_areas: gpd.GeoDataFrame | None = None,
              places: gpd.GeoDataFrame | None = None, basemap: str = "none", tianditu_key: str | None = None,
              basemap_attribution: str | None = None, basemap_name_zh: str | None = None,
              basemap_subdomains: str | None = None, basemap_max_zoom: int = 18, memo_dir: str = "memos",
              scenarios: pd.DataFrame | None = None) -> Path:
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
        Services without any area get no layer.
    uncovered
        Demand rows (contract ``demand`` columns, optional ``year``) whose walk to the circle's service is longer
        than the circle's threshold: drawn as 「没有覆盖的」 + the group's short name where they are denser than a
        typical cell.
    coverage, rule_status, sites
        Contract tables (optional): the coverage of the circle's service shades the 街镇 (default choice), the
        「3个一」 status is the second choice; both go into the 街镇 popups, with the sites proposed there.
    site_areas
        Service areas of the proposed sites (``site_id``, ``threshold_min``, geometry): their rings.
    places
        Named places for orientation (GeoDataFrame of points, metric CRS: ``name``, ``kind_zh``), e.g. residential
        compounds and schools; shown by default when there is no basemap.
    basemap
        ``none`` (default: no request leaves the PC), ``osm``, ``tianditu`` (needs ``tianditu_key``) or a tile URL
        template (XYZ or WMTS; needs ``basemap_attribution``; see :func:`svcov.outputs.basemaps.resolve_basemap`).
    memo_dir
        Where the site popups link: a folder relative to the map (``<memo_dir>/<memo_stem>.html``) or an absolute
        base URL (``outputs.memo_base_url``).
    scenarios
        Facilities the scenarios add and close (:func:`svcov.outputs.map_siting.scenario_layers`), one layer each.
        Sites with a ``leg`` column get one layer per leg (:func:`svcov.outputs.map_siting.plan_site_layers`).

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        Unknown basemap, a bad tile URL, 天地图 without a key.
    MissingColumnError
        A frame lacks contract columns.
    OutputError
        If the page would load a script or style from the internet (a bug: nothing is written).
    """
    fmap = build_map(boundaries=boundaries, facilities=facilities, info=info, years=years, year=year, demand=demand,
                     service_areas=service_areas, uncovered=uncovered, coverage=coverage, rule_status=rule_status,
                     sites=sites, site_areas=site_areas, places=places, basemap=basemap, tianditu_key=tianditu_key,
                     basemap_attribution=basemap_attribution, basemap_name_zh=basemap_name_zh,
                     basemap_subdomains=basemap_subdomains, basemap_max_zoom=basemap_max_zoom, memo_dir=memo_dir,
                     scenarios=scenarios)
    html = fmap.get_root().render()
    external = external_assets(html)
    if external:
        raise OutputError(f"地图会从互联网加载资源, 未写出 (the map would load assets from the internet; not "
                          f"written): {external}")
    path = atomic_write_text(path, html)
    log.info("wrote %s (%.1f MB)", path, len(html.encode("utf-8")) / 1e6)
    return path
