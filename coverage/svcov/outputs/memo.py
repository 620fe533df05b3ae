"""Site-selection memos: one per proposed site, in Chinese, as HTML and Word (.docx), and an index.

Each memo names the site by its landmark (the nearest named compound or POI and its 街镇, with the distance; never a
grid code), says how many people of the served group (as the configuration names them) it newly brings within the
circle's time, the 街镇's and the district's coverage before and after, the rule gap it closes, the nearest existing
facilities (times over an hour as 「60 分钟以上 (路程约 N 公里)」), the alternatives compared — saying plainly when they tie,
why this one was taken (the tie-break rule) and when a 街镇 without compound data makes any point cover the same
estimate —, a small map with the site's own 5/10/15-minute rings, and the caveats once. When the plan period is
over, the site is one of the batches for the next years. It renders the tables it is handed (docs/DEVELOPING.md:
proposed sites, site alternatives, places) and computes nothing but straight-line distances for the landmarks.
The sentences are in :mod:`~.memotext`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..data.facilities import open_in_year
from . import charts
from .context import RunInfo, est, fmt_int, require_columns, type_styles
from .document import Bullets, Document, Image, Para, Table, write_document, write_html
from .landmarks import Landmark, site_landmarks
from .memo_siting import action_words, index_prefix, plan_blocks
from .memotext import (
    alternatives_blocks,
    caveat_blocks,
    conclusion,
    coverage_blocks,
    facilities_blocks,
    gap_blocks,
    location,
    site_title,
    when_zh,
)
from .plantime import PlanTiming

__all__ = ["SITE_COLUMNS", "memo_stem", "build_memo", "write_memos"]

log = logging.getLogger(__name__)

#: Columns of the proposed-site table a memo needs (docs/DEVELOPING.md, "proposed sites").
SITE_COLUMNS = ("site_id", "rank", "year", "type", "jiezhen_code", "jiezhen_name", "candidate_id", "candidate_name",
                "candidate_source", "pop_newly_covered", "district_share_before", "district_share_after",
                "jiezhen_share_before", "jiezhen_share_after", "nearest_facilities", "nearest_compounds",
                "rule_gap_closed_zh", "alternatives", "lon_wgs84", "lat_wgs84")
#: The memo map shows at least this much around the site, metres (half the side).
MAP_MIN_HALF_M = 1200.0


def memo_stem(site_id: object) -> str:
    """File name (without suffix) of a site's memo: ``site_<id>`` with characters unsafe in file names or links
    replaced; a short hash keeps ids that differ only in those characters apart."""
    text = str(site_id)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", text).strip(".") or "site"
    if safe != text:
        safe = f"{safe}_{hashlib.sha1(text.encode('utf-8')).hexdigest()[:6]}"
    return f"site_{safe}"


def _site_rings(site_areas: gpd.GeoDataFrame | None, site_id: object, crs) -> list[tuple[str, object]]:
    """The site's own service areas, shortest time first, as (legend label, geometry)."""
    if site_areas is None or len(site_areas) == 0:
        return []
    rows = site_areas[site_areas["site_id"].astype(str) == str(site_id)]
    if not len(rows):
        return []
    rows = rows.to_crs(crs)
    if "threshold_min" not in rows.columns:
        return [("本点位服务范围", rows.geometry.union_all())]
    return [(f"本点位 {int(t)} 分钟", g.geometry.union_all()) for t, g in rows.groupby("threshold_min", sort=True)]


def _existing_area(service_areas: gpd.GeoDataFrame | None, info: RunInfo, year: int, crs, view):
    """The existing facilities' service area inside ``view`` (the memo map's frame, in ``crs``).

    Only the areas that meet the frame are merged, cut to it: a city-wide run has thousands of areas, and merging
    all of them for every memo took most of the memo stage's time.
    """
    if service_areas is None or len(service_areas) == 0:
        return None
    # the frame's own spatial index is built once and reused by every memo (a filtered copy would build its own)
    areas = service_areas if service_areas.crs == crs else service_areas.to_crs(crs)
    rows = areas.iloc[areas.sindex.query(view, predicate="intersects")]
    rows = rows[(rows["service"] == info.circle_service) & (rows["threshold_min"] == info.circle_threshold_min)]
    if "year" in rows.columns:
        rows = rows[rows["year"].isna() | (rows["year"] == year)]
    return rows.geometry.intersection(view).union_all() if len(rows) else None


def _half_width(point, rings, nearest_m: float) -> float:
    """Half the side of the memo map: the site's rings with room around them, and the nearest existing facility
    when it is not far (farther ones are named in the caption)."""
    reach = max((float(np.max(np.abs(np.array(g.bounds) - [point.x, point.y, point.x, point.y]))) for _, g in rings),
                default=0.0)
    half = max(MAP_MIN_HALF_M, 1.25 * reach)
    if np.isfinite(nearest_m) and nearest_m <= 2.5 * half:
        half = max(half, 1.15 * nearest_m)
    return min(half, 6000.0)


def _site_image(site, *, site_crs, info: RunInfo, boundaries, facilities, service_areas, site_areas,
                places=None, mark: Landmark | None = None, timing: PlanTiming | None = None) -> Image:
    crs = boundaries.crs
    point = gpd.GeoSeries([site["geometry"]], crs=site_crs or crs).to_crs(crs).iloc[0]
    year = int(site["year"])
    open_now = facilities[open_in_year(facilities, year)] if "opened_year" in facilities.columns else facilities
    open_now = open_now.to_crs(crs)
    extra = zip(facilities["type"].astype(str), facilities.get("type_name_zh", facilities["type"]).astype(str))
    minutes = info.circle_threshold_min
    nearest_m = float(open_now.distance(point).min()) if len(open_now) else float("nan")
    rings = _site_rings(site_areas, site["site_id"], crs)
    half_width_m = _half_width(point, rings, nearest_m)
    box = shapely.box(point.x - half_width_m, point.y - half_width_m, point.x + half_width_m, point.y + half_width_m)
    view = shapely.box(*point.buffer(1.5 * half_width_m).bounds)  # the frame with a margin (the map clips to it)
    shown_places = []
    if places is not None and len(places):
        near = places.to_crs(crs)
        near = near[near.distance(point) <= 1.5 * half_width_m]
        shown_places = [(g.x, g.y, str(n)) for n, g in zip(near["name"], near.geometry)][:40]
    png = charts.site_map((point.x, point.y), boundaries=boundaries, facilities=open_now, half_width_m=half_width_m,
                          styles=type_styles(info.facility_types, extra),
                          service_area=_existing_area(service_areas, info, year, crs, view), rings=rings,
                          places=shown_places,
                          area_labels=(f"现有{info.circle_name_zh} {minutes} 分钟范围", f"本点位 {minutes} 分钟范围"))
    side_km = 2 * half_width_m / 1000
    in_view = bool(open_now.intersects(box).any())
    shown = ("含附近的现有设施" if in_view else
             f"最近的现有设施在直线 {nearest_m / 1000:.1f} 公里外, 不在图中" if np.isfinite(nearest_m) else "没有现有设施")
    ring_text = ("; 实线、虚线、点线依次为本点位 " + "、".join(label.replace("本点位 ", "") for label, _ in rings)
                 + f"{info.profile_name_zh}范围" if rings else "")
    side = f"{side_km:.0f}" if side_km >= 3 else f"{side_km:.1f}"
    open_zh = "现有" if timing is not None and timing.is_over else f"{year} 年在办"
    caption = (f"图: 建议点位 (星号) 周围约 {side}×{side} 公里, {shown}; 形状和颜色区分现有设施类型 ({open_zh}); "
               f"灰色为现有设施{info.profile_name_zh} {minutes} 分钟范围{ring_text}"
               + ("; 灰点为有名称的地点" if shown_places else "") + "。")
    return Image(png, caption, width_cm=10.0)


def build_memo(site: pd.Series, *, info: RunInfo, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
               service_areas: gpd.GeoDataFrame | None = None, site_areas: gpd.GeoDataFrame | None = None,
               site_crs=None, image: bool = True, landmark: Landmark | None = None,
               alternatives: pd.DataFrame | None = None, timing: PlanTiming | None = None,
               places: gpd.GeoDataFrame | None = None, plan: Mapping | None = None) -> Document:
    """The memo of one proposed site as a :class:`~svcov.outputs.document.Document`.

    Parameters
    ----------
    site
        One row of the proposed-site GeoDataFrame (contract columns and ``geometry``).
    info
        The run's :class:`~svcov.outputs.context.RunInfo`.
    boundaries, facilities
        Contract frames (metric CRS), for the small map.
    service_areas
        Service areas (``service``, ``threshold_min``, optional ``year``, geometry): the existing circle is drawn.
    site_areas
        Optional service areas of the proposed sites (``site_id``, ``threshold_min``, geometry): the site's rings.
    site_crs
        CRS of the site's geometry (default: the boundaries' CRS).
    image
        Include the static map.
    landmark
        How to name the site (:func:`~svcov.outputs.landmarks.site_landmarks`); default: its candidate name.
    alternatives
        The site's rows of the alternatives table (docs/DEVELOPING.md, "site alternatives"); without them the
        memo lists the ``alternatives`` text of the site table.
    timing
        The plan's years and the document's date (:class:`~svcov.outputs.plantime.PlanTiming`): after the plan
        period the site is a batch for the next years.
    places
        Named places (for the map).
    plan
        Optional tables of the plan as a whole (``phasing``, ``places``; :mod:`svcov.outputs.memo_siting`).
    """
    blocks = conclusion(site, info, landmark, alternatives, timing) + location(site, info, landmark)
    if image:
        blocks.append(_site_image(site, site_crs=site_crs, info=info, boundaries=boundaries, facilities=facilities,
                                  service_areas=service_areas, site_areas=site_areas, places=places, mark=landmark,
                                  timing=timing))
    blocks += (coverage_blocks(site, info) + gap_blocks(site, info) + facilities_blocks(site, info)
               + alternatives_blocks(site, info, landmark, alternatives) + caveat_blocks(info, facilities)
               + plan_blocks(site, info=info, plan=plan, timing=timing))
    number = f"建议点位第 {int(site['rank'])} 处"
    return Document(title=f"选址说明: {site_title(site, landmark)}",
                    subtitle=(f"{info.district_name_zh} · 建议{action_words(site, info)} · {when_zh(site, timing)} · "
                              f"{number}",
                              f"生成日期 {info.created} · svcov"),
                    blocks=tuple(b for b in blocks if not (isinstance(b, Bullets) and not b.items)),
                    footer=f"{info.district_name_zh} 选址说明 {number}")


def _index(sites: pd.DataFrame, info: RunInfo, marks: dict, timing: PlanTiming) -> Document:
    """The memo index: one table row per site (site, 街镇, year, people newly covered, links to both versions)."""
    unit, e = info.group_unit_zh, est(info.population_is_estimate)
    rows, links = [], []
    for _, s in sites.iterrows():
        stem = memo_stem(s["site_id"])
        mark = marks.get(str(s["site_id"]))
        label = mark.label if mark is not None else str(s["candidate_name"])
        rows.append((str(int(s["rank"])), index_prefix(s) + label,
                     str(s["jiezhen_name"]), when_zh(s, timing), fmt_int(s["pop_newly_covered"]), "网页版", "Word 版"))
        links.append(("", f"{stem}.html", "", "", "", f"{stem}.html", f"{stem}.docx"))
    total = fmt_int(sites["pop_newly_covered"].sum())
    lead = (f"规划期 ({timing.span_zh}) 已经结束, 下列点位分批作为 {timing.site_years_zh(sites['year'].astype(int))}"
            f"的建议。" if timing.is_over else "")
    text = (f"{lead}共 {len(sites)} 处, 全部建成后新增覆盖的{info.who}约 {total} {unit}{e}; 各处的新增覆盖可以相加 "
            f"(每处只计入排在它前面的点位没有覆盖到的人)。每处一份选址说明, 点击名称打开网页版; Word 版可转发街镇踏勘。")
    when = "批次和建议年份" if timing.is_over else "建议年份"
    table = Table(("序号", "点位", "街镇", when, f"新增覆盖 ({unit})", "网页版", "Word 版"), tuple(rows),
                  key="memo_index", numeric=(True, False, False, False, True, False, False), links=tuple(links))
    return Document(title=f"{info.district_name_zh} 建议新增点位的选址说明",
                    subtitle=(f"共 {len(sites)} 处 · 生成日期 {info.created} · svcov",),
                    blocks=(Para(text), table))


def write_memos(out_dir: str | Path, sites: gpd.GeoDataFrame, *, info: RunInfo, boundaries: gpd.GeoDataFrame,
                facilities: gpd.GeoDataFrame, service_areas: gpd.GeoDataFrame | None = None,
                site_areas: gpd.GeoDataFrame | None = None, places: gpd.GeoDataFrame | None = None,
                alternatives: pd.DataFrame | None = None, years: Sequence[int] | None = None,
                formats: Sequence[str] = ("html", "docx"), plan: Mapping | None = None) -> list[Path]:
    """Write one memo per proposed site, plus ``index.html`` with a table linking them all.

    Parameters
    ----------
    out_dir
        The memo folder (e.g. ``<run>/memos``); file names from :func:`memo_stem`.
    sites
        Proposed sites (contract columns :data:`SITE_COLUMNS`, geometry in a metric CRS).
    info, boundaries, facilities, service_areas, site_areas
        As for :func:`build_memo`.
    places
        Named places (:func:`svcov.data.places.load_places`): sites are named by their landmark.
    alternatives
        The alternatives table (docs/DEVELOPING.md, "site alternatives"; ``site_id`` per row).
    years
        The plan's years (default: the sites' years): with the memo's date, whether the plan period is over.
    formats
        Any of ``html``, ``docx``, ``pdf``.

    Returns
    -------
    list of Path
        Files written (memos first, the index last).

    Raises
    ------
    MissingColumnError
        If ``sites`` lacks contract columns.
    """
    require_columns(sites, SITE_COLUMNS, "选址结果表 (proposed sites)")
    out_dir = Path(out_dir)
    written: list[Path] = []
    ordered = sites.sort_values(["year", "rank"], kind="stable")
    if "leg" in sites.columns:  # legs in their order, then year and rank
        order = {leg: i for i, leg in enumerate(dict.fromkeys(sites["leg"]))}
        ordered = sites.assign(_leg=sites["leg"].map(order)).sort_values(["_leg", "year", "rank"], kind="stable")
    timing = PlanTiming.of(years or sorted(int(y) for y in sites["year"].dropna().unique()), info.created)
    marks = site_landmarks(sites, places, boundaries)
    by_site = {str(k): g for k, g in alternatives.groupby(alternatives["site_id"].astype(str))} \
        if alternatives is not None and len(alternatives) else {}
    for _, site in ordered.iterrows():
        key = str(site["site_id"])
        doc = build_memo(site, info=info, boundaries=boundaries, facilities=facilities, service_areas=service_areas,
                         site_areas=site_areas, site_crs=sites.crs, landmark=marks.get(key),
                         alternatives=by_site.get(key), timing=timing, places=places, plan=plan)
        written += write_document(doc, out_dir / memo_stem(site["site_id"]), formats)
    written.append(write_html(_index(ordered, info, marks, timing), out_dir / "index.html"))
    log.info("wrote %d memos to %s", len(sites), out_dir)
    return written
