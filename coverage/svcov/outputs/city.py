"""The city summary of a batch (``svcov batch``): one map and one report over all districts, linking to each
district's own folder (``<key>/map.html``, ``<key>/report.html``). They render the tables they are handed.

The map colours every 街镇 by the share of the circle's population group within the circle's walking time (the
first ``share_*_covered`` column of the coverage table, e.g. ``share_0_3_covered``), for the report year and the
circle's service and threshold; popups give the district's status and links. It stays light for a whole city:
geometries simplified (:data:`CITY_SIMPLIFY_M`), coordinates rounded, one layer.
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

from .. import settings
from ..files import atomic_write_text
from .context import spaced
from .document import Document, Heading, Links, Para, Table, write_document
from .mapelements import Control, Shapes, StyleSheet, popup_html
from .webassets import OfflineMap, external_assets

__all__ = ["write_city_map", "write_city_report", "circle_share_column", "CITY_SIMPLIFY_M", "SHARE_CLASSES"]

log = logging.getLogger(__name__)

#: Simplification of the 街镇 outlines on the city map (m): invisible at city zoom, a tenth of the size.
CITY_SIMPLIFY_M = 25.0
#: Classes of the share covered (lower edges) and their colours (light = low), readable in grey print.
SHARE_CLASSES = ((0.0, "#f7f7f7"), (0.25, "#cccccc"), (0.5, "#969696"), (0.75, "#525252"), (0.95, "#252525"))
NO_DATA = "#fdd0a2"


def circle_share_column(table: pd.DataFrame) -> str | None:
    """The share column of the coverage table (``share_covered``; the rows are one group's: :func:`_circle_rows`)."""
    return "share_covered" if "share_covered" in table.columns else None


def _circle_rows(jiezhen: pd.DataFrame, year: int, group: str | None = None,
                 profile: str | None = None) -> pd.DataFrame:
    """One row per 街镇: the circle's service and threshold in ``year`` (first group service, largest threshold) for
    the served population ``group`` (default: the first in the table) and travel ``profile`` (default: the first)."""
    if len(jiezhen) == 0:
        return jiezhen
    rows = jiezhen[jiezhen["year"] == year] if "year" in jiezhen.columns and (jiezhen["year"] == year).any() \
        else jiezhen
    for column, wanted in (("group", group), ("profile", profile)):
        if column in rows.columns and len(rows):
            rows = rows[rows[column] == (wanted if wanted in set(rows[column]) else rows[column].iloc[0])]
    if "service_kind" in rows.columns and (rows["service_kind"] == "group").any():
        rows = rows[rows["service_kind"] == "group"]
    service = rows["service"].iloc[0] if "service" in rows.columns else None
    rows = rows[rows["service"] == service] if service is not None else rows
    if "threshold_min" in rows.columns:
        rows = rows[rows["threshold_min"] == rows["threshold_min"].max()]
    return rows.drop_duplicates(["district", "jiezhen_code"])


def _fill(share: float) -> str:
    if share is None or not np.isfinite(share):
        return NO_DATA
    return [c for low, c in SHARE_CLASSES if share >= low - 1e-12][-1]


def write_city_map(path: str | Path, *, boundaries: gpd.GeoDataFrame, jiezhen: pd.DataFrame, status: pd.DataFrame,
                   title: str, year: int, notes: Sequence[str] = (), group: str | None = None,
                   group_name_zh: str = "服务人群", profile: str | None = None) -> Path:
    """Write the city map: 街镇 by the share of ``group`` covered, district outlines, popups linking to the district
    folders."""
    rows = _circle_rows(jiezhen, year, group, profile)
    column = circle_share_column(rows) if len(rows) else None
    lookup = {(str(r["district"]), str(r["jiezhen_code"])): r for _, r in rows.iterrows()}
    by_district = {str(r["district"]): r for _, r in status.iterrows()}
    wgs = boundaries.to_crs(settings.wgs84) if len(boundaries) else boundaries
    if len(wgs):
        x0, y0, x1, y1 = wgs.total_bounds
    else:
        x0, y0, x1, y1 = 121.0, 31.0, 122.0, 32.0
    fmap = OfflineMap(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, zoom_start=9, zoomSnap=0.25)
    fmap.fit_bounds([[y0, x0], [y1, x1]])
    fmap.get_root().add_child(StyleSheet((Path(__file__).parent / "templates" / "map.css").read_text("utf-8")))
    features = []
    for (_, b), geom in zip(boundaries.iterrows(), _light(boundaries)):
        key = str(b["district"])
        r = lookup.get((key, str(b["jiezhen_code"])))
        share = float(r[column]) if r is not None and column and pd.notna(r[column]) else float("nan")
        s = by_district.get(key)
        info = [("区", b.get("district_name_zh", key)), ("状态", s["status"] if s is not None else "—"),
                (f"{year} 年覆盖率", "—" if not np.isfinite(share) else f"{share:.1%}")]
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": {
            "style": {"color": "#555555", "weight": 0.6, "fillColor": _fill(share), "fillOpacity": 0.75},
            "popup": popup_html(str(b["name"]), info, link=("打开本区地图 →", f"{key}/map.html")),
            "tooltip": popup_html(str(b["name"]), [info[2]])}})
    group = folium.FeatureGroup(name="街镇").add_to(fmap)
    Shapes(features).add_to(group)
    outline = _district_outlines(boundaries)
    Shapes([{"type": "Feature", "geometry": shapely.geometry.mapping(g),
             "properties": {"style": {"color": "#000000", "weight": 2.0, "fill": False}}} for g in outline],
           interactive=False).add_to(group)
    Control(_legend(title, year, group_name_zh, notes), position="topright",
            class_name="svcov-box svcov-legend").add_to(fmap)
    html = fmap.get_root().render()
    external = external_assets(html)
    if external:  # pragma: no cover - a bug: the page must work offline
        raise RuntimeError(f"the city map would load assets from the internet: {external}")
    return atomic_write_text(path, html)


def _light(boundaries: gpd.GeoDataFrame) -> np.ndarray:
    geoms = boundaries.geometry.simplify(CITY_SIMPLIFY_M, preserve_topology=True).to_crs(settings.wgs84)
    return shapely.set_precision(geoms.values, 1e-5, mode="pointwise")


def _district_outlines(boundaries: gpd.GeoDataFrame) -> list:
    if len(boundaries) == 0:
        return []
    merged = boundaries.dissolve(by="district").geometry.boundary.simplify(CITY_SIMPLIFY_M).to_crs(settings.wgs84)
    return list(shapely.set_precision(merged.values, 1e-5, mode="pointwise"))


def _legend(title: str, year: int, group_name_zh: str, notes: Sequence[str]) -> str:
    from markupsafe import escape

    items = "".join(f'<div class="svcov-legend-item"><span class="svcov-swatch" style="background:{c}"></span>'
                    f"≥ {low:.0%}</div>" for low, c in SHARE_CLASSES)
    items += (f'<div class="svcov-legend-item"><span class="svcov-swatch" style="background:{NO_DATA}"></span>'
              "无结果 (失败或无人口)</div>")
    what = f"{year} 年服务圈内{spaced(group_name_zh)}占比"
    extra = "".join(f'<div class="svcov-legend-note">{escape(n)}</div>' for n in notes[:4])
    return (f'<div class="svcov-legend-title">{escape(title)}</div><div class="svcov-legend-section">'
            f"{escape(what)}</div>{items}{extra}<div class='svcov-legend-note'>点击街镇打开本区结果。</div>")


def write_city_report(out_dir: str | Path, *, jiezhen: pd.DataFrame, districts: pd.DataFrame, status: pd.DataFrame,
                      title: str, year: int, notes: Sequence[str] = (), group: str | None = None,
                      group_name_zh: str = "服务人群", profile: str | None = None,
                      formats: Sequence[str] = ("html", "docx")) -> list[Path]:
    """Write ``report.html`` (and ``.docx``): one row per district (status, population, share covered in the
    circle) with links to each district's map and report; failures with their messages."""
    rows = _circle_rows(districts.assign(jiezhen_code=districts.get("district")) if len(districts) else districts,
                        year, group, profile)
    column = circle_share_column(rows) if len(rows) else None
    share = {str(r["district"]): r for _, r in rows.iterrows()}
    body = []
    for _, s in status.iterrows():
        r = share.get(str(s["district"]))
        people = f"{float(r['pop']):,.0f}" if r is not None and "pop" in r.index and pd.notna(r["pop"]) else "—"
        value = f"{float(r[column]):.1%}" if r is not None and column and pd.notna(r[column]) else "—"
        body.append((str(s["district_name_zh"]), str(s["status"]), people, value,
                     (str(s["message"]).splitlines() or [""])[0][:120]))
    blocks = [Heading("各区结果"),
              Table(("区", "状态", f"{group_name_zh} (人)", f"{year} 年服务圈内占比", "说明"), tuple(body), key="districts",
                    numeric=(False, False, True, True, False)),
              Heading("各区文件夹"),
              Links(tuple((f"{s['district_name_zh']}: 地图", f"{s['district']}/map.html") for _, s in status.iterrows())
                    + tuple((f"{s['district_name_zh']}: 报告", f"{s['district']}/report.html")
                            for _, s in status.iterrows())),
              Heading("说明"), *[Para(n, kind="note") for n in notes]]
    doc = Document(title, (f"{len(status)} 个区, {len(jiezhen['jiezhen_code'].unique()) if len(jiezhen) else 0} "
                           f"个街镇; 年份 {year}",), tuple(blocks), footer=title)
    return write_document(doc, Path(out_dir) / "report", formats)
