"""Does the road network fit the district? How much of the served population and of the facilities lie within
``snap_max_m`` of a road, and how much of each 街镇's area lies inside the network's outline (its convex hull).

A network extract that covers a corner of the district would otherwise "succeed": most demand points unreachable,
a coverage of a few per cent and memos for sites that reach nobody. :func:`network_fit` measures the fit per 街镇
and for the district; :func:`check_network_fit` stops the run below ``network.min_fit_share`` with the 街镇 most
affected and what to do. :func:`drive_network_note` warns when the network has no footways or paths at all (a
drive network makes walks longer than they are).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import NetworkError
from ..network.build import RoadNetwork
from ..vocabulary import DISTRICT_CODE
from .engine import NetworkTravelModel

__all__ = ["network_fit", "check_network_fit", "drive_network_note", "NetworkFitError", "FIT_COLUMNS",
           "FIT_LABELS_ZH", "WALK_HIGHWAYS"]

log = logging.getLogger(__name__)

FIT_COLUMNS = ["jiezhen_code", "jiezhen_name", "area_km2", "area_share_in_network", "pop", "pop_share_on_network",
               "n_facilities", "n_facilities_on_network", "share_facilities_on_network", "fits"]

FIT_LABELS_ZH = {"area_share_in_network": "面积在路网范围内的比例", "pop": "人数",
                 "pop_share_on_network": "距道路不超过吸附距离的人口比例",
                 "n_facilities_on_network": "距道路不超过吸附距离的设施数",
                 "share_facilities_on_network": "距道路不超过吸附距离的设施比例", "fits": "路网覆盖足够"}

#: OSM ``highway`` classes an osmnx drive network leaves out (ways for walking): a network without any of them looks
#: like a drive network.
WALK_HIGHWAYS = frozenset({"footway", "path", "pedestrian", "steps", "track", "corridor", "bridleway"})


class NetworkFitError(NetworkError):
    """The road network does not cover the district well enough; ``table`` holds the fit per 街镇."""

    def __init__(self, message: str, table: pd.DataFrame):
        super().__init__(message)
        self.table = table


def network_fit(model: NetworkTravelModel, boundaries: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                facilities: gpd.GeoDataFrame, group: str, *, min_share: float = 0.9) -> pd.DataFrame:
    """The network's fit per 街镇 and for the district (last row, ``jiezhen_code == "全区"``).

    Parameters
    ----------
    model
        The network travel model (its snapping and ``snap_max_m``).
    boundaries, demand, facilities
        The run's frames (metric CRS).
    group
        The population group whose people are counted (a column of ``demand``).
    min_share
        A unit fits when each of its shares is at least this (NaN shares, e.g. no facilities, do not count).

    Returns
    -------
    DataFrame
        :data:`FIT_COLUMNS`; shares 0-1.
    """
    hull = shapely.convex_hull(shapely.multipoints(np.c_[model.network.node_x, model.network.node_y]))
    geoms = boundaries.to_crs(model.crs).geometry.to_numpy()
    inside = shapely.area(shapely.intersection(geoms, hull)) / np.maximum(shapely.area(geoms), 1e-9)
    cells = model.prepare(demand, "demand")
    fac = model.prepare(facilities, "facilities") if len(facilities) else None
    pop = demand[group].to_numpy(dtype=float)
    codes = demand["jiezhen_code"].astype(str).to_numpy()
    fcodes = facilities["jiezhen_code"].astype(str).to_numpy() if len(facilities) else np.zeros(0, dtype=str)
    rows = []
    for code, name, share_in, area in zip(boundaries["jiezhen_code"].astype(str), boundaries["name"], inside,
                                          boundaries["area_km2"]):
        rows.append(_row(code, name, area, share_in, pop[codes == code], cells.ok[codes == code],
                         None if fac is None else fac.ok[fcodes == code]))
    district_in = float(np.nansum(inside * boundaries["area_km2"]) / max(boundaries["area_km2"].sum(), 1e-9))
    rows.append(_row(DISTRICT_CODE, DISTRICT_CODE, boundaries["area_km2"].sum(), district_in, pop, cells.ok,
                     None if fac is None else fac.ok))
    table = pd.DataFrame(rows, columns=FIT_COLUMNS[:-1])
    shares = table[["area_share_in_network", "pop_share_on_network", "share_facilities_on_network"]]
    table["fits"] = (shares.isna() | (shares >= min_share - 1e-12)).all(axis=1)
    return table


def _row(code: str, name: str, area: float, share_in: float, pop: np.ndarray, ok: np.ndarray,
         fac_ok: np.ndarray | None) -> dict:
    total = float(pop.sum())
    n_fac = 0 if fac_ok is None else int(len(fac_ok))
    n_on = 0 if fac_ok is None else int(fac_ok.sum())
    return {"jiezhen_code": code, "jiezhen_name": name, "area_km2": float(area),
            "area_share_in_network": float(share_in),
            "pop": total, "pop_share_on_network": float(pop[ok].sum() / total) if total > 0 else float("nan"),
            "n_facilities": n_fac, "n_facilities_on_network": n_on,
            "share_facilities_on_network": n_on / n_fac if n_fac else float("nan")}


def check_network_fit(table: pd.DataFrame, *, min_share: float, group_name_zh: str, snap_max_m: float,
                      source_zh: str) -> None:
    """Raise :class:`NetworkFitError` when the district or any 街镇 falls below ``min_share`` (0 turns it off).

    The message names the 街镇 most affected (least area inside the network, then least population on it), gives
    the district's figures and says what to do: a larger extract, ``network.source: osm_download``, or the
    straight-line estimate (``network.source: none``).
    """
    if min_share <= 0:
        return
    units = table[table["jiezhen_code"] != DISTRICT_CODE]
    district = table[table["jiezhen_code"] == DISTRICT_CODE].iloc[0]
    if bool(table["fits"].all()):
        return
    worst = units.assign(_a=units["area_share_in_network"], _p=units["pop_share_on_network"].fillna(1.0))
    worst = worst.sort_values(["_a", "_p"]).head(5)
    listed = "; ".join(f"{r['jiezhen_name']}: 面积 {r['area_share_in_network']:.0%} 在路网范围内, "
                       f"{_pct(r['pop_share_on_network'])} 的{_spaced(group_name_zh)}距道路不超过 {snap_max_m:g} 米"
                       for _, r in worst.iterrows())
    n_bad = int((~units["fits"]).sum())
    fac = (f", 设施 {district['n_facilities_on_network']}/{district['n_facilities']} 个"
           if district["n_facilities"] else "")
    raise NetworkFitError(
        f"路网没有覆盖本区 ({source_zh}): 全区面积的 {district['area_share_in_network']:.0%} 在路网范围内, "
        f"{_pct(district['pop_share_on_network'])} 的{_spaced(group_name_zh)}距道路不超过 {snap_max_m:g} 米{fac}; "
        f"{n_bad} 个街镇低于 {min_share:.0%}。受影响最大的街镇: {listed}。"
        f"按这样的路网算出的覆盖率和选址没有意义。请换用覆盖全区的路网 (更大的 OSM 提取范围, 或 network.source: "
        f"osm_download 下载全区步行路网), 或不用路网、按直线距离估算 (network.source: none); 确需只分析路网范围内的部分, "
        f"请把街镇边界裁到路网范围, 或调低 network.min_fit_share (network fit check failed: "
        f"{district['area_share_in_network']:.0%} of the district's area inside the network, "
        f"{_pct(district['pop_share_on_network'])} of the population within {snap_max_m:g} m of a road; use a "
        f"network that covers the district, osm_download, or network.source: none)", table)


def _spaced(text: str) -> str:
    return f" {text}" if text[:1].isascii() and text[:1].isalnum() else text


def _pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:.0%}"


def drive_network_note(network: RoadNetwork) -> str | None:
    """A warning when the network has no footway/path/pedestrian way at all (it looks like a drive network)."""
    if "highway" not in network.edge_attrs.columns or network.n_edges == 0:
        return None
    values = network.edge_attrs["highway"].dropna().astype(str).str.lower()
    classes = set()
    for value in values.unique():
        classes.update(v.strip(" []'\"") for v in value.replace(",", ";").split(";"))
    if classes & WALK_HIGHWAYS:
        return None
    return ("路网看起来是机动车路网: 没有 footway、path、pedestrian 等步行道路 (只有 "
            f"{'、'.join(sorted(classes)[:8])}), 小区内部道路和人行捷径不在其中, 步行时间会偏长、覆盖率偏低。"
            "有条件时请用步行路网 (network.source: osm_download 下载的是步行路网)。")
