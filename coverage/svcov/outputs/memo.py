"""Site-selection memos: one per proposed site, in Chinese, as HTML and Word (.docx).

Each memo says where the site is (coordinates, 街镇, nearby 小区, a small static map), how many people of the served
group (as the configuration names them) it newly brings within the circle's time, the 街镇's and the district's
coverage before and after, the rule gap it closes,
the nearest existing facilities, the alternatives compared, and the caveats (estimated inputs, fallback travel
model). It renders the proposed-site table it is handed (docs/DEVELOPING.md) and computes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..data.facilities import open_in_year
from . import charts
from .context import RunInfo, est, fmt_int, fmt_pp, fmt_share, require_columns, service_name, split_items, type_styles
from .document import Bullets, Document, Heading, Image, Links, Para, Table, write_document, write_html

__all__ = ["SITE_COLUMNS", "memo_stem", "build_memo", "write_memos"]

log = logging.getLogger(__name__)

#: Columns of the proposed-site table a memo needs (docs/DEVELOPING.md, "proposed sites").
SITE_COLUMNS = ("site_id", "rank", "year", "type", "jiezhen_code", "jiezhen_name", "candidate_id", "candidate_name",
                "candidate_source", "pop_newly_covered", "district_share_before", "district_share_after",
                "jiezhen_share_before", "jiezhen_share_after", "nearest_facilities", "nearest_compounds",
                "rule_gap_closed_zh", "alternatives", "lon_wgs84", "lat_wgs84")


def memo_stem(site_id: object) -> str:
    """File name (without suffix) of a site's memo: ``site_<id>`` with characters unsafe in file names or links
    replaced; a short hash keeps ids that differ only in those characters apart."""
    text = str(site_id)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", text).strip(".") or "site"
    if safe != text:
        safe = f"{safe}_{hashlib.sha1(text.encode('utf-8')).hexdigest()[:6]}"
    return f"site_{safe}"


def _site_area(site_areas: gpd.GeoDataFrame | None, site_id: object, threshold_min: int, crs):
    if site_areas is None or len(site_areas) == 0:
        return None
    rows = site_areas[site_areas["site_id"].astype(str) == str(site_id)]
    if "threshold_min" in rows.columns:
        rows = rows[rows["threshold_min"] == threshold_min]
    return rows.to_crs(crs).geometry.union_all() if len(rows) else None


def _existing_area(service_areas: gpd.GeoDataFrame | None, info: RunInfo, year: int, crs, view):
    """The existing facilities' service area inside ``view`` (the memo map's frame, in ``crs``).

    Only the areas that meet the frame are merged, cut to it: a city-wide run has thousands of areas, and merging
    all of them for every memo took most of the memo stage's time.
    """
    if service_areas is None or len(service_areas) == 0:
        return None
    rows = service_areas[(service_areas["service"] == info.circle_service)
                         & (service_areas["threshold_min"] == info.circle_threshold_min)]
    if "year" in rows.columns:
        rows = rows[rows["year"].isna() | (rows["year"] == year)]
    rows = rows.to_crs(crs)
    rows = rows.iloc[rows.sindex.query(view, predicate="intersects")]
    return rows.geometry.intersection(view).union_all() if len(rows) else None


def _site_image(site, *, site_crs, info: RunInfo, boundaries, facilities, service_areas, site_areas) -> Image:
    crs = boundaries.crs
    point = gpd.GeoSeries([site["geometry"]], crs=site_crs or crs).to_crs(crs).iloc[0]
    year = int(site["year"])
    open_now = facilities[open_in_year(facilities, year)] if "opened_year" in facilities.columns else facilities
    extra = zip(facilities["type"].astype(str), facilities.get("type_name_zh", facilities["type"]).astype(str))
    minutes = info.circle_threshold_min
    nearest_m = float(open_now.to_crs(crs).distance(point).min()) if len(open_now) else float("nan")
    half_width_m = min(max(1.3 * nearest_m, 1500.0), 6000.0) if np.isfinite(nearest_m) else 2000.0
    box = shapely.box(point.x - half_width_m, point.y - half_width_m, point.x + half_width_m, point.y + half_width_m)
    view = shapely.box(*point.buffer(1.5 * half_width_m).bounds)  # the frame with a margin (the map clips to it)
    png = charts.site_map((point.x, point.y), boundaries=boundaries, facilities=open_now.to_crs(crs),
                          half_width_m=half_width_m,
                          styles=type_styles(info.facility_types, extra),
                          service_area=_existing_area(service_areas, info, year, crs, view),
                          site_area=_site_area(site_areas, site["site_id"], minutes, crs),
                          area_labels=(f"现有{info.circle_name_zh} {minutes} 分钟范围", f"本点位 {minutes} 分钟范围"))
    side_km = 2 * half_width_m / 1000
    in_view = bool(open_now.to_crs(crs).intersects(box).any())
    shown = ("含附近的现有设施" if in_view else
             f"最近的现有设施在直线 {nearest_m / 1000:.1f} 公里外, 不在图中" if np.isfinite(nearest_m) else "没有现有设施")
    caption = (f"图: 建议点位 (星号) 周围约 {side_km:.0f}×{side_km:.0f} 公里, {shown}; 形状和颜色区分现有设施类型 "
               f"({year} 年在办); "
               f"灰色为现有设施{info.profile_name_zh} {minutes} 分钟范围"
               + ("; 虚线为本点位的范围" if site_areas is not None else "") + "。")
    return Image(png, caption, width_cm=10.0)


def build_memo(site: pd.Series, *, info: RunInfo, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
               service_areas: gpd.GeoDataFrame | None = None, site_areas: gpd.GeoDataFrame | None = None,
               site_crs=None, image: bool = True) -> Document:
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
        Optional service areas of the proposed sites (``site_id``, ``threshold_min``, geometry).
    site_crs
        CRS of the site's geometry (default: the boundaries' CRS).
    image
        Include the static map.
    """
    name, jz, year = str(site["candidate_name"]), str(site["jiezhen_name"]), int(site["year"])
    type_zh = service_name(str(site["type"]), info)
    blocks = _conclusion_and_location(site, info)
    if image:
        blocks.append(_site_image(site, site_crs=site_crs, info=info, boundaries=boundaries, facilities=facilities,
                                  service_areas=service_areas, site_areas=site_areas))
    blocks += _coverage_and_reasons(site, info)
    return Document(title=f"选址说明: {jz} {name}",
                    subtitle=(f"{info.district_name_zh} · {year} 年建议新设{type_zh} · 编号 {site['site_id']} · "
                              f"第 {int(site['rank'])} 位", f"生成日期 {info.created} · svcov"),
                    blocks=tuple(b for b in blocks if not (isinstance(b, Bullets) and not b.items)),
                    footer=f"{info.district_name_zh} 选址说明 {site['site_id']}")


def _conclusion_and_location(site: pd.Series, info: RunInfo) -> list:
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    name, jz, year = str(site["candidate_name"]), str(site["jiezhen_name"]), int(site["year"])
    travel, unit = info.profile_name_zh, info.group_unit_zh
    return [Heading("一、结论"), Para(
        f"建议在{jz}「{name}」新设{service_name(str(site['type']), info)} ({year} 年, 本批建议第 {int(site['rank'])} 位)。"
        f"按{info.travel_description_zh}, 该点建成后, 原来{travel} {minutes} 分钟内没有{info.circle_name_zh}的{info.who}中, "
        f"约 {fmt_int(site['pop_newly_covered'])} {unit}{e}将在 {minutes} 分钟内可达; {jz}的 {minutes} 分钟覆盖率从 "
        f"{fmt_share(site['jiezhen_share_before'])} 提高到 {fmt_share(site['jiezhen_share_after'])}, 全区从 "
        f"{fmt_share(site['district_share_before'])} 提高到 {fmt_share(site['district_share_after'])}。", kind="key"),
        Heading("二、位置"), Table(("项目", "内容"), (
            ("候选点", name), ("候选点编号", str(site["candidate_id"])), ("候选点来源", str(site["candidate_source"])),
            ("街镇", f"{jz} ({site['jiezhen_code']})"),
            ("坐标 (WGS-84 经度, 纬度)", f"{float(site['lon_wgs84']):.6f}, {float(site['lat_wgs84']):.6f}"),
            ("附近小区", "、".join(split_items(site["nearest_compounds"])) or "—")), key="location")]


def _coverage_and_reasons(site: pd.Series, info: RunInfo) -> list:
    minutes, e = info.circle_threshold_min, est(info.population_is_estimate)
    jz = str(site["jiezhen_name"])
    travel, unit = info.profile_name_zh, info.group_unit_zh
    blocks: list = [Heading("三、新增覆盖与覆盖率变化"), Para(
        f"「新增覆盖」指原来{travel} {minutes} 分钟内没有任何{info.circle_name_zh}、在该点建成后 {minutes} 分钟内可达的"
        f"{info.who}人数{e}: 约 {fmt_int(site['pop_newly_covered'])} {unit}。下表的覆盖率是 {minutes} 分钟内可达的"
        f"{info.who}占全部{info.who}的比例, 「变化」以百分点计。"),
        Table(("范围", "建设前覆盖率", "建设后覆盖率", "变化 (百分点)"), (
            (jz, fmt_share(site["jiezhen_share_before"]), fmt_share(site["jiezhen_share_after"]),
             fmt_pp(site["jiezhen_share_after"] - site["jiezhen_share_before"])),
            ("全区", fmt_share(site["district_share_before"]), fmt_share(site["district_share_after"]),
             fmt_pp(site["district_share_after"] - site["district_share_before"]))),
            key="coverage", numeric=(False, True, True, True))]
    gap = str(site["rule_gap_closed_zh"]).strip() if pd.notna(site["rule_gap_closed_zh"]) else ""
    blocks += [Heading("四、补上的规划缺口"),
               Para(gap or "该点位不补规划规则的缺口; 它入选的理由见第三节 (新增覆盖) 和第六节 (与其他候选点的比较)。")]
    blocks += [Heading(f"五、附近现有设施及{travel}时间"),
               Bullets(tuple(split_items(site["nearest_facilities"])) or ("选址表没有列出附近的现有设施。",))]
    alternatives = tuple(split_items(site["alternatives"]))
    blocks += [Heading("六、比较过的其他候选点"), Para(
        "下列是选址模型比较过的其他候选点, 以及本点位排名更高的原因:" if alternatives else "选址表没有记录其他候选点。"),
        Bullets(alternatives)]
    blocks += [Heading("七、说明与注意事项"), Bullets(tuple(info.caveats()) + (
        "本说明的数字来自运行结果中的选址表 (tables/ 文件夹), 可逐项核对。",
        "选址是按数据计算的建议, 须经现场踏勘、产权和消防等条件核实后才能确定。"), kind="note")]
    return blocks


def write_memos(out_dir: str | Path, sites: gpd.GeoDataFrame, *, info: RunInfo, boundaries: gpd.GeoDataFrame,
                facilities: gpd.GeoDataFrame, service_areas: gpd.GeoDataFrame | None = None,
                site_areas: gpd.GeoDataFrame | None = None,
                formats: Sequence[str] = ("html", "docx")) -> list[Path]:
    """Write one memo per proposed site, plus ``index.html`` linking them all.

    Parameters
    ----------
    out_dir
        The memo folder (e.g. ``<run>/memos``); file names from :func:`memo_stem`.
    sites
        Proposed sites (contract columns :data:`SITE_COLUMNS`, geometry in a metric CRS).
    info, boundaries, facilities, service_areas, site_areas
        As for :func:`build_memo`.
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
    for _, site in ordered.iterrows():
        doc = build_memo(site, info=info, boundaries=boundaries, facilities=facilities,
                         service_areas=service_areas, site_areas=site_areas, site_crs=sites.crs)
        written += write_document(doc, out_dir / memo_stem(site["site_id"]), formats)
    index = Document(title=f"{info.district_name_zh} 建议新增点位的选址说明",
                     subtitle=(f"共 {len(sites)} 处 · 生成日期 {info.created} · svcov",),
                     blocks=(Para("每个建议点位一份说明 (网页版; 同名 .docx 为 Word 版, 可转发街镇踏勘):"),
                             Links(tuple((f"{int(s['year'])} 年第 {int(s['rank'])} 位: {s['jiezhen_name']} "
                                          f"{s['candidate_name']}", f"{memo_stem(s['site_id'])}.html")
                                         for _, s in ordered.iterrows()))))
    written.append(write_html(index, out_dir / "index.html"))
    log.info("wrote %d memos to %s", len(sites), out_dir)
    return written
