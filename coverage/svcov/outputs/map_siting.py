"""Map layers of the plan as a whole: proposed sites per leg of the layout (new sites and conversions of existing
facilities in different shapes) and the scenarios (facilities added and closed).

They use the layer mechanism of :mod:`svcov.outputs.map` (a theme per layer in the layer control, one child per
year of the year switch; ``themes`` is its ``_Themes``) and render the frames they are handed.
"""

from __future__ import annotations

import pandas as pd

from .context import SITE_COLOR, RunInfo, est, fmt_int, fmt_share, service_name
from .mapelements import Points, popup_html, shape_svg
from .maplegend import Legend
from .memo import memo_stem
from .plantime import PlanTiming

__all__ = ["leg_styles", "plan_site_layers", "scenario_layers", "SCENARIO_COLORS"]

#: Shapes of the other legs' sites (the main leg's new sites are the map's stars): conversions diamonds, other new
#: sites pentagons (then hexagons).
LEG_SHAPES = {"conversion": "diamond", "new": "pentagon"}
#: Added and closed facilities of a scenario.
SCENARIO_COLORS = {"add": "#1a9850", "close": "#d73027"}


def leg_styles(sites: pd.DataFrame) -> dict[str, dict]:
    """Leg key → name, action, shape for the legs other than the main one (whose sites are the map's stars)."""
    out = {}
    for leg, rows in sites.groupby("leg", sort=False):
        action = str(rows["action"].iloc[0])
        shape = LEG_SHAPES.get(action, "pentagon")
        if action == "new" and any(s["shape"] == "pentagon" for s in out.values()):
            shape = "hexagon"
        out[leg] = {"name_zh": str(rows["leg_name_zh"].iloc[0]), "action_zh": str(rows["action_zh"].iloc[0]),
                    "shape": shape}
    return out


def capacity_noun(info: RunInfo) -> str:
    """What the capacity counts (托位, 床位), from the type file's ``capacity`` attribute; 「容量」 without one."""
    cap = info.capacity
    return (cap.noun_zh or cap.label_zh) if cap else "容量"


def _popup(row, info: RunInfo, memo_dir: str, name: str, timing: PlanTiming) -> str:
    e = est(info.population_is_estimate)
    minutes = info.circle_threshold_min
    service = str(row.get("service_name_zh") or info.circle_name_zh)
    rows = [("建议年份", timing.site_when_zh(int(row["year"]))), ("布局环节", row["leg_name_zh"]),
            ("方式", row["action_zh"]),
            ("类型", service_name(str(row["type"]), info)), ("街镇", row["jiezhen_name"]),
            (f"新增 {minutes} 分钟覆盖{e}", f"{fmt_int(row['pop_newly_covered'])} {info.group_unit_zh} ({service})"),
            (f"街镇覆盖率{e}", f"{fmt_share(row['jiezhen_share_before'])} → {fmt_share(row['jiezhen_share_after'])}"),
            (f"新增{capacity_noun(info)}", "—" if pd.isna(row.get("places_new")) else
             f"{fmt_int(row['places_new'])}" + (" (估算)" if bool(row.get("places_is_estimate")) else "")),
            ("候选点来源", row["candidate_source"])]
    href = f"{memo_dir.rstrip('/')}/{memo_stem(row['site_id'])}.html" if memo_dir else None
    title = "建议改建" if str(row.get("action")) == "conversion" else "建议点位"
    return popup_html(f"{title}: {name}", rows, link=("打开选址说明 →", href) if href else None)


def plan_site_layers(themes, legend: Legend, sites: pd.DataFrame, info: RunInfo, memo_dir: str, names: dict,
                     timing: PlanTiming) -> None:
    """One theme per leg other than the main one («建议: 公办幼儿园开设托班» ...) with its legend entry; this year's
    sites large and yellow, earlier ones small and pale; sites named by ``names`` (site id → landmark label)."""
    styles = leg_styles(sites)
    for leg, style in styles.items():
        of_leg = sites[sites["leg"] == leg]
        layer = f"建议: {style['name_zh']} ({style['action_zh']}, {len(of_leg)} 处)"
        theme = themes.theme(layer)
        legend.add("缺口与建议", layer, shape_svg(style["shape"], SITE_COLOR, 18),
                   f"建议: {style['name_zh']} ({style['action_zh']}; 当年大, 往年小)")
        for year, child in themes.by_year(theme).items():
            shown = of_leg[of_leg["year"] <= year].sort_values(["year", "rank"])
            points = []
            for _, r in shown.iterrows():
                now = int(r["year"]) == year
                icon = str(shape_svg(style["shape"], SITE_COLOR if now else "#fff3b0", 24 if now else 17))
                name = names.get(str(r["site_id"]), str(r["candidate_name"]))
                points.append([float(r["lat_wgs84"]), float(r["lon_wgs84"]), _popup(r, info, memo_dir, name, timing),
                               popup_html(f"{style['name_zh']} ({timing.site_when_zh(int(r['year']))}): {name}"),
                               icon])
            Points(points, size=24, class_name="svcov-icon svcov-site").add_to(child)


def scenario_layers(themes, legend: Legend, changes: pd.DataFrame, info: RunInfo) -> None:
    """One theme per scenario (off at first): facilities it adds (green cross) and closes (red square), the same in
    every year, with their legend entries.

    ``changes``: ``scenario``, ``scenario_label_zh``, ``change`` (``add`` / ``close``), ``name``, ``type``,
    ``facility_id``, ``lon_wgs84``, ``lat_wgs84``."""
    shapes = {"add": "cross", "close": "square"}
    for _, rows in changes.groupby("scenario", sort=False):
        label = str(rows["scenario_label_zh"].iloc[0])
        layer = f"情景: {label}"
        theme = themes.theme(layer, show=False)
        points = []
        for change in ("add", "close"):
            if (rows["change"] == change).any():
                verb = "增加" if change == "add" else "关闭"
                legend.add("情景", layer, shape_svg(shapes[change], SCENARIO_COLORS[change], 14),
                           f"情景「{label}」{verb}的设施")
        for _, r in rows.iterrows():
            verb = "增加" if r["change"] == "add" else "关闭"
            icon = str(shape_svg(shapes[r["change"]], SCENARIO_COLORS[r["change"]], 16))
            points.append([float(r["lat_wgs84"]), float(r["lon_wgs84"]),
                           popup_html(f"情景「{label}」{verb}: {r['name']}",
                                      [("类型", service_name(str(r["type"]), info)), ("编号", r["facility_id"])]),
                           popup_html(f"情景{verb}: {r['name']}"), icon])
        for child in themes.by_year(theme).values():
            Points(points, size=16, class_name="svcov-icon").add_to(child)
