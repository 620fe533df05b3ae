"""Charts and small static maps for the report and the memos (matplotlib, PNG bytes).

Chinese text uses Noto Sans CJK SC, which installs with the project (the ``mplfonts`` package), so no glyph is
missing on any machine. Every chart reads in grey print: statuses carry hatches as well as colours, bars of
different years differ in lightness and hatch, facility types differ in marker shape. The functions draw on
their own :class:`~matplotlib.figure.Figure` (no pyplot state) and return PNG bytes.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from ..errors import OutputError
from .context import (
    COVERAGE_COLORS,
    NO_DATA,
    NO_DATA_COLOR,
    SHAPE_MPL,
    SITE_COLOR,
    STATUS_COLORS,
    STATUS_HATCHES,
    STATUSES,
    coverage_class,
    coverage_class_label,
)

__all__ = ["cjk_font_path", "cjk_font_family", "coverage_bars", "trend_chart", "tradeoff_chart", "status_counts_chart",
           "choropleth_map", "status_map", "site_map"]

log = logging.getLogger(__name__)

FONT_FILE = "NotoSansCJKsc-Regular.otf"
DPI = 150


def cjk_font_path() -> Path:
    """The Noto Sans CJK SC font file shipped by ``mplfonts``.

    Raises
    ------
    OutputError
        If mplfonts (a dependency of svcov) is not installed.
    """
    try:
        import mplfonts
    except ImportError as exc:
        raise OutputError("缺少中文字体包 mplfonts, 请运行 `pip install mplfonts` (missing the CJK font package "
                          "mplfonts; install it with `pip install mplfonts`)") from exc
    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.is_file():
        raise OutputError(f"mplfonts 中没有字体 {FONT_FILE}, 请重新安装 mplfonts (font {FONT_FILE} missing from "
                          f"mplfonts; reinstall it)")
    return path


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register the CJK font with matplotlib (once) and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@contextlib.contextmanager
def _style() -> Iterator[None]:
    rc = {"font.family": [cjk_font_family(), "DejaVu Sans"], "axes.unicode_minus": False,
          "hatch.linewidth": 0.7, "hatch.color": "#333333", "font.size": 9, "axes.titlesize": 11,
          "text.parse_math": False}  # names from registers are text: "$...$" in a name is not mathtext
    with matplotlib.rc_context(rc):
        yield


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def coverage_bars(names: Sequence[str], shares: Sequence[float], *, year: int, title: str,
                  prev_shares: Sequence[float] | None = None, prev_year: int | None = None) -> bytes:
    """Horizontal bars of the share covered per 街镇, this year (dark) against the previous year (light, hatched).

    Parameters
    ----------
    names
        街镇 names.
    shares, prev_shares
        Shares 0-1 (NaN: no bar).
    year, prev_year
        The years compared (legend).
    title
        Chart title.
    """
    order = np.argsort(np.nan_to_num(np.asarray(shares, dtype=float), nan=-1.0))
    y = np.arange(len(names))
    with _style():
        fig = Figure(figsize=(6.3, 0.28 * len(names) + 1.2))
        ax = fig.subplots()
        now = np.asarray(shares, dtype=float)[order] * 100
        if prev_shares is not None:
            before = np.asarray(prev_shares, dtype=float)[order] * 100
            ax.barh(y + 0.2, before, height=0.4, color="#d9d9d9", edgecolor="#555555", hatch="///",
                    label=f"{prev_year} 年")
            ax.barh(y - 0.2, now, height=0.4, color="#404040", label=f"{year} 年")
        else:
            ax.barh(y, now, height=0.6, color="#404040", label=f"{year} 年")
        for yi, value in zip(y, now):
            offset = yi - (0.2 if prev_shares is not None else 0)
            if np.isfinite(value):
                ax.text(value + 1, offset, f"{value:.1f}%", va="center", fontsize=7)
            else:
                ax.text(1, offset, NO_DATA, va="center", fontsize=7, color="#555555")
        ax.set_yticks(y, [names[i] for i in order])
        ax.set_xlim(0, 112)
        ax.set_xticks(range(0, 101, 20), [f"{v}%" for v in range(0, 101, 20)])
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def trend_chart(years: Sequence[int], shares: Sequence[float], *, title: str) -> bytes:
    """District share covered per year, as a line with labelled points."""
    with _style():
        fig = Figure(figsize=(5.5, 2.8))
        ax = fig.subplots()
        values = np.asarray(shares, dtype=float) * 100
        ax.plot(list(years), values, color="#252525", marker="o", linewidth=1.8)
        for x, v in zip(years, values):
            if np.isfinite(v):
                ax.annotate(f"{v:.1f}%", (x, v), textcoords="offset points", xytext=(0, 7), ha="center")
        ax.set_xticks(list(years), [f"{y} 年" for y in years])
        top = np.nanmax(values) if np.isfinite(values).any() else 100
        ax.set_ylim(0, min(100, top * 1.25 + 5))
        ax.margins(x=0.12)
        ax.set_ylabel("覆盖率 (%)")
        ax.set_title(title)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def tradeoff_chart(k: Sequence[int], shares: Sequence[float], *, title: str, planned: int | None = None,
                   base_share: float | None = None) -> bytes:
    """Share covered against the number of new sites (each point an exact optimum), with the share before any new
    site as a dashed line and the plan's number of sites marked; black and grey only, for print."""
    with _style():
        fig = Figure(figsize=(6.0, 3.0))
        ax = fig.subplots()
        x, values = list(k), np.asarray(shares, dtype=float) * 100
        ax.plot(x, values, color="#252525", marker="o", markersize=3.5, linewidth=1.6, label="每个点数的最优覆盖率")
        if base_share is not None and np.isfinite(base_share):
            ax.axhline(base_share * 100, color="#737373", linestyle="--", linewidth=1.0, label="现有设施")
        if planned is not None and planned in x:
            v = values[x.index(planned)]
            ax.axvline(planned, color="#969696", linestyle=":", linewidth=1.2)
            ax.annotate(f"规划 {planned} 个: {v:.1f}%", (planned, v), textcoords="offset points", xytext=(6, -14))
        top = np.nanmax(values) if np.isfinite(values).any() else 100
        ax.set_ylim(max(0.0, (base_share or 0) * 100 - 5), min(100, top + 8))
        ax.set_xlabel("新增点数")
        ax.set_ylabel("覆盖率 (%)")
        ax.set_title(title)
        ax.legend(loc="upper left", frameon=False, fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def status_counts_chart(counts: pd.DataFrame, *, title: str) -> bytes:
    """Stacked bars: how many 街镇 are 达标 / 未达标 / 数据不足 each year.

    Parameters
    ----------
    counts
        Index = year, columns ⊆ 达标, 未达标, 数据不足 (counts).
    """
    with _style():
        fig = Figure(figsize=(5.5, 2.8))
        ax = fig.subplots()
        x = np.arange(len(counts.index))
        bottom = np.zeros(len(x))
        for status in STATUSES:
            values = counts.get(status, pd.Series(0, index=counts.index)).to_numpy(dtype=float)
            ax.bar(x, values, bottom=bottom, color=STATUS_COLORS[status], hatch=STATUS_HATCHES[status],
                   edgecolor="#333333", width=0.55, label=status)
            for xi, b, v in zip(x, bottom, values):
                if v > 0:
                    ax.text(xi, b + v / 2, f"{v:.0f}", ha="center", va="center", fontsize=8,
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
            bottom += values
        ax.set_xticks(x, [f"{y} 年" for y in counts.index])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("街镇数")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def _patch(geom, **kwargs) -> PathPatch | None:
    """A matplotlib patch of a (Multi)Polygon, holes included."""
    vertices, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)[:, :2]
            vertices.append(xy)
            codes.append([MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY])
    if not vertices:
        return None
    return PathPatch(MplPath(np.concatenate(vertices), np.concatenate(codes)), **kwargs)


def _draw_polygons(ax, geoms, **kwargs) -> None:
    for geom in geoms:
        patch = _patch(geom, **kwargs)
        if patch is not None:
            ax.add_patch(patch)


def _draw_lines(ax, geoms, **kwargs) -> None:
    for geom in geoms:
        for line in getattr(geom, "geoms", [geom]):
            if not line.is_empty and line.geom_type in ("LineString", "LinearRing"):
                xy = np.asarray(line.coords)
                ax.plot(xy[:, 0], xy[:, 1], **kwargs)


def _label(ax, x: float, y: float, text: str, size: float = 6.5) -> None:
    ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.8})


def _map_axes(fig: Figure, bounds: Sequence[float]):
    ax = fig.add_axes((0, 0, 1, 1))
    x0, y0, x1, y1 = bounds
    pad = 0.03 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def _scale_bar(ax, length_m: float) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="black", linewidth=2.5, solid_capstyle="butt", zorder=6)
    label = f"{length_m / 1000:g} 公里" if length_m >= 1000 else f"{length_m:g} 米"
    ax.text(x + length_m / 2, y + 0.02 * (y1 - y0), label, ha="center", va="bottom", fontsize=7, zorder=6,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 0.5})
    ax.annotate("北", xy=(x1 - 0.05 * (x1 - x0), y1 - 0.04 * (y1 - y0)),
                xytext=(x1 - 0.05 * (x1 - x0), y1 - 0.13 * (y1 - y0)), ha="center", va="center", fontsize=8,
                arrowprops={"arrowstyle": "-|>", "color": "black"}, zorder=6)


def _nice_length(span_m: float) -> float:
    target = span_m / 5
    for step in (100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000):
        if step >= target:
            return float(step)
    return 50000.0


def choropleth_map(boundaries, values: pd.Series, *, title: str, legend_title: str,
                   labels: Mapping[str, str] | None = None) -> bytes:
    """街镇 shaded by a share 0-1 (grey-print friendly sequential blues, labels with name and value).

    Parameters
    ----------
    boundaries
        GeoDataFrame with ``jiezhen_code``, ``name`` and metric geometry.
    values
        Share 0-1 by ``jiezhen_code`` (missing → white with a dotted hatch).
    labels
        Text drawn on each 街镇 by ``jiezhen_code`` (default: the name).
    """
    with _style():
        fig = Figure(figsize=(6.0, 6.0))
        ax = _map_axes(fig, boundaries.total_bounds)
        for code, geom in zip(boundaries["jiezhen_code"], boundaries.geometry):
            k = coverage_class(values.get(code, np.nan))
            if k is None:
                style = {"facecolor": NO_DATA_COLOR, "hatch": "...", "edgecolor": "#333333"}
            else:
                style = {"facecolor": COVERAGE_COLORS[k], "edgecolor": "#333333"}
            _draw_polygons(ax, [geom], linewidth=0.6, **style)
        for code, name, point in zip(boundaries["jiezhen_code"], boundaries["name"],
                                     boundaries.geometry.representative_point()):
            _label(ax, point.x, point.y, (labels or {}).get(code, name))
        handles = [Patch(facecolor=color, edgecolor="#333333", label=coverage_class_label(k))
                   for k, color in enumerate(COVERAGE_COLORS)]
        handles.append(Patch(facecolor=NO_DATA_COLOR, hatch="...", edgecolor="#333333", label=NO_DATA))
        ax.legend(handles=handles, title=legend_title, loc="lower right", fontsize=7, title_fontsize=7)
        ax.set_title(title, fontsize=11)
        _scale_bar(ax, _nice_length(boundaries.total_bounds[2] - boundaries.total_bounds[0]))
        return _png(fig)


def status_map(boundaries, status: pd.Series, *, title: str) -> bytes:
    """街镇 filled by rule status (colour and hatch), each labelled with its name.

    Parameters
    ----------
    status
        达标 / 未达标 / 数据不足 by ``jiezhen_code`` (missing → 数据不足).
    """
    with _style():
        fig = Figure(figsize=(6.0, 6.0))
        ax = _map_axes(fig, boundaries.total_bounds)
        for code, geom in zip(boundaries["jiezhen_code"], boundaries.geometry):
            s = status.get(code, "数据不足")
            s = s if s in STATUS_COLORS else "数据不足"
            _draw_polygons(ax, [geom], facecolor=STATUS_COLORS[s], hatch=STATUS_HATCHES[s], edgecolor="#333333",
                           linewidth=0.6)
        for name, point in zip(boundaries["name"], boundaries.geometry.representative_point()):
            _label(ax, point.x, point.y, name)
        handles = [Patch(facecolor=STATUS_COLORS[s], hatch=STATUS_HATCHES[s], edgecolor="#333333", label=s)
                   for s in STATUSES]
        ax.legend(handles=handles, loc="lower right", fontsize=8)
        ax.set_title(title, fontsize=11)
        _scale_bar(ax, _nice_length(boundaries.total_bounds[2] - boundaries.total_bounds[0]))
        return _png(fig)


#: Line styles of a proposed site's rings, shortest time first (black and grey, so they stay apart in grey print).
RING_STYLES = ({"linestyle": "-", "linewidth": 1.3, "edgecolor": "black"},
               {"linestyle": "--", "linewidth": 1.1, "edgecolor": "black"},
               {"linestyle": ":", "linewidth": 1.3, "edgecolor": "#333333"})


def _draw_places(ax, places, clip, half_width_m: float, handles: list) -> None:
    """Named places inside ``clip``: small grey dots with their names (and a legend entry)."""
    shown = [(px, py, n) for px, py, n in places if clip.contains(shapely.Point(px, py))]
    if not shown:
        return
    ax.scatter([p[0] for p in shown], [p[1] for p in shown], s=7, color="#888888", zorder=3)
    for px, py, name in shown:
        ax.text(px, py + 0.03 * half_width_m, name, ha="center", va="bottom", fontsize=5, color="#333333", zorder=5)
    handles.append(Line2D([], [], marker="o", markersize=3, color="#888888", linestyle="none", label="有名称的地点"))


def site_map(site_xy: tuple[float, float], *, boundaries, facilities, styles: Mapping[str, dict],
             service_area=None, site_area=None, half_width_m: float = 2000.0, title: str = "",
             area_labels: tuple[str, str] = ("现有设施 15 分钟范围", "本点位 15 分钟范围"),
             rings: Sequence[tuple[str, object]] = (), places: Sequence[tuple[float, float, str]] = ()) -> bytes:
    """Small map around a proposed site: 街镇 boundaries, existing facilities by shape, service areas, the site.

    Parameters
    ----------
    site_xy
        Site position in the boundaries' metric CRS.
    facilities
        GeoDataFrame of facilities (metric CRS) with ``type``.
    styles
        type → ``{"color", "shape", "name_zh"}`` (:func:`~svcov.outputs.context.type_styles`).
    service_area, site_area
        Optional geometries: the existing 15-minute service area (light grey), the site's own (dashed outline;
        ignored when ``rings`` are given).
    half_width_m
        Half the side of the square shown, metres.
    area_labels
        Legend entries of ``service_area`` and ``site_area``.
    rings
        The site's own service areas, shortest time first, as ``(legend label, geometry)`` (e.g. 5, 10 and 15
        minutes): outlines in :data:`RING_STYLES`.
    places
        Named places to draw for orientation, ``(x, y, name)``: small grey dots; the names are written.
    """
    x, y = site_xy
    box = (x - half_width_m, y - half_width_m, x + half_width_m, y + half_width_m)
    clip = shapely.box(*box)
    rings = [(label, geom) for label, geom in rings if geom is not None and not shapely.is_empty(geom)]
    with _style():
        fig = Figure(figsize=(3.6, 3.6))
        ax = _map_axes(fig, box)
        if service_area is not None and not shapely.is_empty(service_area):
            _draw_polygons(ax, [shapely.intersection(service_area, clip)], facecolor="#d9d9d9",
                           edgecolor="none", zorder=1)
        handles = [Line2D([], [], marker="*", markersize=11, color=SITE_COLOR, markeredgecolor="black",
                          linestyle="none", label="建议点位")]
        for (label, geom), style in zip(rings, RING_STYLES):
            _draw_polygons(ax, [shapely.intersection(geom, clip)], facecolor="none", zorder=3, **style)
            handles.append(Line2D([], [], color=style["edgecolor"], linestyle=style["linestyle"],
                                  linewidth=style["linewidth"], label=label))
        if not rings and site_area is not None and not shapely.is_empty(site_area):
            _draw_polygons(ax, [shapely.intersection(site_area, clip)], facecolor="none", edgecolor="black",
                           linestyle="--", linewidth=1.0, zorder=2)
            handles.append(Patch(facecolor="none", edgecolor="black", linestyle="--", label=area_labels[1]))
        near = boundaries[boundaries.intersects(clip)]
        parts = near.geometry.intersection(clip)
        _draw_lines(ax, parts.boundary, color="#555555", linewidth=0.8, zorder=2)
        for name, part in zip(near["name"], parts):
            if part.area > 0.08 * clip.area:
                point = part.representative_point()
                near_site = abs(point.x - x) < 0.25 * half_width_m and abs(point.y - y) < 0.2 * half_width_m
                _label(ax, point.x, point.y - (0.3 * half_width_m if near_site else 0), name, size=6)
        _draw_places(ax, places, clip, half_width_m, handles)
        shown = facilities[facilities.intersects(clip)]
        for key, group in shown.groupby(shown["type"].astype(str), sort=False):
            style = styles.get(key, {"color": "#555555", "shape": "circle", "name_zh": key})
            marker = SHAPE_MPL[style["shape"]]
            ax.scatter(group.geometry.x, group.geometry.y, marker=marker, s=30, color=style["color"],
                       edgecolor="black", linewidth=0.6, zorder=4)
            handles.append(Line2D([], [], marker=marker, markersize=6, color=style["color"], markeredgecolor="black",
                                  linestyle="none", label=style.get("name_zh", key)))
        ax.scatter([x], [y], marker="*", s=260, color=SITE_COLOR, edgecolor="black", linewidth=0.9, zorder=6)
        if service_area is not None and not shapely.is_empty(service_area):
            handles.append(Patch(facecolor="#d9d9d9", label=area_labels[0]))
        fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=2, fontsize=6.5,
                   frameon=False)
        if title:
            ax.set_title(title, fontsize=8)
        _scale_bar(ax, _nice_length(2 * half_width_m))
        return _png(fig)
