"""Overlays of ``map.html`` drawn from cells and points: the served group's population surface, where those
outside the circle live, and named places for orientation (:mod:`svcov.outputs.map` assembles the page). The group's
words come from :class:`~.context.RunInfo`."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

from .. import settings
from ..data.population import cell_squares
from .context import DISTRICT_CODE, RunInfo, est, fmt_int
from .document import template_env
from .mapelements import Points, Shapes, popup_html
from .maplegend import Legend, dot_swatch, hatch_swatch, swatch

__all__ = ["POP_LADDER", "POP_COLORS", "SIMPLIFY_M", "wgs84_features", "population_classes", "population_layer",
           "uncovered_layer",
           "uncovered_shown", "context_layer", "PLACE_COLOR"]

#: Class edges of the population layer are taken from this ladder (people per cell).
POP_LADDER = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
POP_COLORS = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
UNCOVERED_COLOR = "#54278f"
PLACE_COLOR = "#bdbdbd"


#: Simplification tolerance of polygons drawn on the web map, metres (invisible at street zoom).
SIMPLIFY_M = 8.0


def wgs84_features(geoms: gpd.GeoSeries, props: Sequence[dict], simplify_m: float = SIMPLIFY_M) -> list[dict]:
    """GeoJSON features in WGS-84 (coordinates rounded to ~1 m) from metric geometries and their properties."""
    if simplify_m:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = geoms.to_crs(settings.wgs84)
    rounded = shapely.set_precision(geoms.values, 1e-5, mode="pointwise")
    return [{"type": "Feature", "geometry": shapely.geometry.mapping(g), "properties": p}
            for g, p in zip(rounded, props) if g is not None and not g.is_empty]


def _features(geoms: gpd.GeoSeries, props: list[dict]) -> list[dict]:
    return wgs84_features(geoms, props, simplify_m=0)


def population_classes(values: np.ndarray) -> list[float]:
    """Lower edges of up to five classes: 0, then the highest four ladder values inside the data's range."""
    positive = values[values > 0]
    if len(positive) == 0:
        return [0.0]
    inside = [float(v) for v in POP_LADDER if positive.min() < v < positive.max()]
    return [0.0, *inside[-4:]]


def population_layer(themes, legend: Legend, demand, info: RunInfo) -> None:
    """The served group per cell in classes (off at first)."""
    e = est(info.population_is_estimate)
    name = f"{info.group_name_zh}分布{e}"
    cells = demand[demand[info.group] > 0]
    if cells.empty:
        return
    group = themes.theme(name, show=False)
    edges = population_classes(cells[info.group].to_numpy(dtype=float))
    squares = cell_squares(cells) if "cell_size_m" in cells.columns else cells.geometry
    klass = np.searchsorted(edges, cells[info.group].to_numpy(dtype=float), side="right") - 1
    geoms, props = [], []
    unit = "每网格" if "cell_size_m" in cells.columns and cells["cell_size_m"].notna().any() else "每点"
    for k, low in enumerate(edges):
        unit_zh = info.group_unit_zh
        label = f"{low:g}-{edges[k + 1]:g} {unit_zh}" if k + 1 < len(edges) else f"≥ {low:g} {unit_zh}"
        color = POP_COLORS[min(k, len(POP_COLORS) - 1)]
        members = squares[klass == k]
        if len(members) == 0:
            continue
        legend.add(f"{info.group_name_zh}{e}", name, swatch(color, opacity=0.8), f"{unit} {label}")
        geoms.append(shapely.union_all(members.values))
        props.append({"style": {"stroke": False, "fillColor": color, "fillOpacity": 0.7, "radius": 3},
                      "tooltip": popup_html(f"{info.group_name_zh}{e}: {unit} {label}")})
    Shapes(_features(gpd.GeoSeries(geoms, crs=demand.crs), props), pane="svcov-population").add_to(group)


def uncovered_shown(uncovered, demand=None, *, group: str) -> tuple[np.ndarray, float]:
    """Which uncovered cells the map hatches: those with more of the served group (column ``group``) than the median
    populated cell of the district (so the sparse rest of the land, e.g. farmland under an even estimate, stays
    clear); all of them if that leaves none. Returns (mask, threshold in people per cell)."""
    values = uncovered[group].to_numpy(dtype=float)
    base = demand[group].to_numpy(dtype=float) if demand is not None and len(demand) else values
    base = base[base > 0]
    threshold = float(np.median(base)) if len(base) else 0.0
    mask = values > threshold
    if not mask.any():
        return values > 0, 0.0
    return mask, threshold


def uncovered_layer(themes, legend: Legend, uncovered, coverage, info: RunInfo, *, demand=None) -> None:
    """Cells whose people cannot reach the circle's service within its threshold, hatched where dense."""
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    unit = info.group_unit_zh
    name = f"{minutes} 分钟内没有{info.circle_name_zh}的{info.group_short_zh}{e}"
    dense, threshold = uncovered_shown(uncovered, demand, group=info.group)
    if not dense.any():
        return
    theme = themes.theme(name)
    note = f" (每网格多于 {threshold:.1f} {unit}的网格)" if threshold > 0 else ""
    legend.add("缺口与建议", name, hatch_swatch("svcov-hatch"),
               f"{minutes} 分钟内没有{info.circle_name_zh}的{info.group_short_zh}{note}")
    squares = cell_squares(uncovered) if "cell_size_m" in uncovered.columns else uncovered.geometry
    circle = None
    if coverage is not None and len(coverage):
        rows = coverage[(coverage["service"] == info.circle_service) & (coverage["threshold_min"] == minutes)]
        if "group" in rows.columns:
            rows = rows[rows["group"] == info.group]
        if "profile" in rows.columns and info.profiles:
            rows = rows[rows["profile"] == info.profiles[0][0]]
        circle = rows.set_index(["year", "jiezhen_code"])
    for year, child in themes.by_year(theme).items():
        in_year = (uncovered["year"] == year).to_numpy() if "year" in uncovered.columns else np.ones(len(dense), bool)
        mask = in_year & dense
        if not mask.any():
            continue
        rows = [("本图斜线范围内", f"约 {fmt_int(uncovered[info.group].to_numpy()[mask].sum())} {unit}")]
        if circle is not None and (year, DISTRICT_CODE) in circle.index:
            c = circle.loc[(year, DISTRICT_CODE)]
            rows.append((f"全区 {year} 年合计", f"约 {fmt_int(c['pop'] - c['pop_covered'])} {unit}"))
        tip = popup_html(f"{info.profile_name_zh} {minutes} 分钟内没有{info.circle_name_zh}的{info.group_name_zh}{e}",
                         rows)
        geom = gpd.GeoSeries([shapely.union_all(squares[mask].values)], crs=uncovered.crs)
        Shapes(_features(geom, [{"style": {"color": UNCOVERED_COLOR, "weight": 0.6, "opacity": 0.8,
                                           "fillColor": UNCOVERED_COLOR, "fillOpacity": 0.9, "radius": 3,
                                           "className": "svcov-uncovered"}, "tooltip": tip}]),
               pane="svcov-uncovered").add_to(child)


def context_layer(themes, legend: Legend, places, *, show: bool) -> None:
    """Named places (``name``, ``kind_zh``) as light dots; their names are written from zoom 14 on."""
    places = places[places["name"].astype(str).str.strip() != ""]
    if places.empty:
        return
    kinds = list(dict.fromkeys(places["kind_zh"].astype(str))) if "kind_zh" in places.columns else []
    name = "地名 (" + "、".join(kinds[:3]) + ("等" if len(kinds) > 3 else "") + ")" if kinds else "地名"
    group = themes.theme(name, show=show)
    legend.add("地名 (帮助定位)", name, dot_swatch(PLACE_COLOR), "、".join(kinds) if kinds else "地名")
    points = gpd.GeoSeries(places.geometry, crs=places.crs).to_crs(settings.wgs84)
    env = template_env()
    dot = f'<svg width="6" height="6"><circle cx="3" cy="3" r="2.3" fill="{PLACE_COLOR}" fill-opacity="0.9"/></svg>'
    items = []
    for p, (_, r) in zip(points, places.iterrows()):
        kind = str(r.get("kind_zh", "")) if "kind_zh" in places.columns else ""
        label = str(env.from_string("{{ n }}").render(n=str(r["name"])))
        items.append([p.y, p.x, "", popup_html(str(r["name"]), subtitle=kind), f"{dot}<span>{label}</span>"])
    Points(items, size=6, class_name="svcov-place", pane="svcov-places").add_to(group)
