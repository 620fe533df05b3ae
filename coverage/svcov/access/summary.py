"""Coverage and capacity tables per 街镇: who is within 5/10/15 minutes of each kind of service, for every
configured population group and travel profile, and how much capacity (托位, 床位 … as the type file words it) per
person the facilities within reach offer (two-step floating catchment, 2SFCA).

A *service* is a facility type or a group of types (e.g. ``inclusive_childcare``: every 普惠性 type, the plan's
15-minute circle). The time to the nearest facility of a group is the least of the times to its types, so each
type is routed once per year and profile and groups cost nothing extra.

Tables follow the coverage-table contract of ``docs/DEVELOPING.md``: long form, one row per year × 街镇 × service ×
population group × travel profile × threshold, plus a district row with ``jiezhen_code == "全区"``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ..data.facilities import open_in_year
from ..vocabulary import CAPACITY, DISTRICT_CODE, TRAVEL_MODE_ZH
from .engine import TravelModel

__all__ = ["Service", "services_from_config", "nearest_by_service", "coverage_table", "two_step_fca",
           "capacity_table", "access_labels", "ACCESS_LABELS_ZH", "DISTRICT_CODE", "COVERAGE_COLUMNS",
           "CAPACITY_COLUMNS"]

log = logging.getLogger(__name__)


COVERAGE_COLUMNS = ["year", "jiezhen_code", "jiezhen_name", "service", "service_name_zh", "service_kind", "group",
                    "group_name_zh", "profile", "profile_name_zh", "threshold_min", "pop", "pop_covered",
                    "share_covered", "mean_time_min", "median_time_min", "p95_time_min", "pop_no_access",
                    "n_facilities", "population_is_estimate", "travel_mode", "travel_mode_zh"]

CAPACITY_COLUMNS = ["year", "jiezhen_code", "jiezhen_name", "service", "service_name_zh", "group", "group_name_zh",
                    "profile", "profile_name_zh", "threshold_min", "pop", "capacity", "capacity_per_person_2sfca",
                    "capacity_per_100_2sfca", "n_facilities", "n_capacity_unknown", "is_lower_bound", "travel_mode"]

#: Chinese headers of the access tables (``write_table(labels=...)``); :func:`access_labels` adds the service's
#: own words (the group and the capacity unit) to the 2SFCA headers.
ACCESS_LABELS_ZH = {
    "year": "年份",
    "service": "服务代码",
    "service_name_zh": "服务类型",
    "service_kind": "类型或类型组",
    "group": "人群代码",
    "group_name_zh": "人群",
    "profile": "出行方式代码",
    "profile_name_zh": "出行方式",
    "threshold_min": "时间阈值(分钟)",
    "pop": "人数",
    "pop_covered": "阈值内可达的人数",
    "share_covered": "覆盖率",
    "mean_time_min": "到最近设施平均时间(分钟)",
    "median_time_min": "到最近设施时间中位数(分钟)",
    "p95_time_min": "到最近设施时间95%分位(分钟)",
    "pop_no_access": "无可达设施的人数",
    "population_is_estimate": "人口为估算",
    "travel_mode": "出行时间计算方式",
    "travel_mode_zh": "出行时间说明",
    "capacity": "容量(已知)",
    "capacity_per_person_2sfca": "人均可达容量(2SFCA)",
    "capacity_per_100_2sfca": "每百人可达容量(2SFCA)",
    "n_capacity_unknown": "容量未知的设施数",
    "is_lower_bound": "为下限(有设施容量未知)",
    "time_s": "时间(秒)",
    "time_min": "时间(分钟)",
    "nearest_facility_id": "最近设施编号",
    "role": "点位类别",
    "id": "点位编号",
    "distance_m": "距最近道路(米)",
}


def access_labels(group_name_zh: str | None = None, capacity_noun_zh: str | None = None,
                  capacity_label_zh: str | None = None) -> dict[str, str]:
    """:data:`ACCESS_LABELS_ZH` with the 2SFCA headers in the service's words, e.g. 「每百名60岁及以上老人可达床位
    (2SFCA)」 for group 「60 岁及以上老人」 and capacity noun 「床位」."""
    labels = dict(ACCESS_LABELS_ZH)
    if capacity_noun_zh:
        labels["capacity"] = f"{capacity_label_zh or capacity_noun_zh}(已知)"
        labels["n_capacity_unknown"] = f"{capacity_label_zh or capacity_noun_zh}未知的设施数"
        labels["is_lower_bound"] = f"为下限(有设施{capacity_label_zh or capacity_noun_zh}未知)"
    if capacity_noun_zh and group_name_zh:
        who = group_name_zh.replace(" ", "")
        labels["capacity_per_person_2sfca"] = f"可达{capacity_noun_zh}/{who}(2SFCA)"
        labels["capacity_per_100_2sfca"] = f"每百名{who}可达{capacity_noun_zh}(2SFCA)"
    return labels


@dataclass(frozen=True)
class Service:
    """A facility type or a group of types that coverage is computed for."""

    key: str
    name_zh: str
    types: tuple[str, ...]
    kind: str  # "type" or "group"


def services_from_config(facility_types: Sequence, type_groups: Sequence = ()) -> list[Service]:
    """Every type, then every group (from :class:`svcov.config.RunConfig`)."""
    out = [Service(t.key, t.name_zh, (t.key,), "type") for t in facility_types]
    out += [Service(g.key, g.name_zh, tuple(g.types), "group") for g in type_groups]
    return out


def nearest_by_service(model: TravelModel, facilities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, *,
                       years: Sequence[int], services: Sequence[Service]) -> pd.DataFrame:
    """Time from every demand cell to the nearest open facility of every service, per year.

    Parameters
    ----------
    model
        The travel model.
    facilities
        Facility frame (``facility_id``, ``type``, ``opened_year``, ``closed_year``; metric CRS).
    demand
        Demand cells (metric CRS).
    years, services
        Which years and services.

    Returns
    -------
    DataFrame
        ``profile`` (``model.profile``), ``year``, ``service``, ``cell_pos`` (position in ``demand``), ``time_s``
        (inf if none reachable), ``nearest_facility_id`` (None if none).
    """
    fac_points = model.prepare(facilities, "facilities")
    cell_points = model.prepare(demand, "demand")
    ids = facilities["facility_id"].astype(str).to_numpy()
    cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    parts = []
    for year in years:
        is_open = open_in_year(facilities, year).to_numpy()
        per_type = {}
        for t in {t for s in services for t in s.types}:
            pos = np.flatnonzero(is_open & (facilities["type"].to_numpy() == t))
            key = tuple(pos)
            if key not in cache:
                result = model.nearest(fac_points.take(pos), cell_points)
                src = result["source_pos"].to_numpy()
                fac = pos[np.maximum(src, 0)] if len(pos) else np.zeros(len(src), dtype=np.int64)
                cache[key] = (result["time_s"].to_numpy(), np.where(src >= 0, fac, -1))
            per_type[t] = cache[key]
        for service in services:
            times = np.vstack([per_type[t][0] for t in service.types])
            which = np.vstack([per_type[t][1] for t in service.types])
            best = times.argmin(axis=0)
            cols = np.arange(times.shape[1])
            time_s, fac = times[best, cols], which[best, cols]
            parts.append(pd.DataFrame({"profile": getattr(model, "profile", "walk"), "year": year,
                                       "service": service.key, "cell_pos": cols, "time_s": time_s,
                                       "nearest_facility_id": np.where(fac >= 0, ids[np.maximum(fac, 0)], None)
                                       if len(ids) else None}))
    log.info("access: nearest times for %d services × %d years (%d distinct facility sets routed)", len(services),
             len(years), len(cache))
    return pd.concat(parts, ignore_index=True)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Lower weighted quantile: the smallest value with at least ``q`` of the weight at or below it."""
    if len(values) == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1])])


def _unit_rows(time_s: np.ndarray, pop: np.ndarray, thresholds_min: Sequence[int]) -> list[dict]:
    """Rows of one unit, one group: people, covered people and shares per threshold, weighted times."""
    reach = np.isfinite(time_s)
    w = np.nan_to_num(pop[reach])
    minutes = time_s[reach] / 60.0
    total = pop.sum() if np.isfinite(pop).all() else float("nan")
    stats = {"pop": total,
             "mean_time_min": float((minutes * w).sum() / w.sum()) if w.sum() > 0 else float("nan"),
             "median_time_min": _weighted_quantile(minutes, w, 0.5),
             "p95_time_min": _weighted_quantile(minutes, w, 0.95),
             "pop_no_access": pop[~reach].sum()}
    rows = []
    for threshold in thresholds_min:
        covered = pop[time_s <= threshold * 60.0].sum()
        rows.append({**stats, "threshold_min": threshold, "pop_covered": covered,
                     "share_covered": covered / total if total > 0 else float("nan")})
    return rows


def _units(demand: pd.DataFrame, jiezhen: pd.DataFrame | None) -> tuple[np.ndarray, dict, list]:
    codes = demand["jiezhen_code"].astype(str).to_numpy()
    names = dict(zip(codes, demand["jiezhen_name"].astype(str)))
    units = list(dict.fromkeys(codes))
    if jiezhen is not None:
        names = {**dict(zip(jiezhen["jiezhen_code"].astype(str), jiezhen["name"].astype(str))), **names}
        units = list(dict.fromkeys(list(jiezhen["jiezhen_code"].astype(str)) + units))
    return codes, names, units


def coverage_table(nearest: pd.DataFrame, demand: pd.DataFrame, facilities: pd.DataFrame, *,
                   services: Sequence[Service], groups: Sequence, thresholds_min: Sequence[int], travel_mode: str,
                   district_name_zh: str = DISTRICT_CODE, jiezhen: pd.DataFrame | None = None,
                   profile_names_zh: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Coverage per year × 街镇 × service × group × profile × threshold, with a district row (``jiezhen_code ==
    "全区"``).

    Parameters
    ----------
    nearest
        From :func:`nearest_by_service` (one frame per profile, concatenated).
    demand
        Demand cells (``jiezhen_code``, ``jiezhen_name``, one column per group key, ``is_estimate``).
    facilities
        Facility frame (for ``n_facilities``: open facilities of the service in the 街镇).
    services, thresholds_min
        As computed.
    groups
        The configured population groups (:class:`svcov.config.DemandGroup`: ``key``, ``name_zh``, ``share_of``).
    travel_mode
        ``model.mode``.
    district_name_zh
        Name shown on the district row.
    jiezhen
        Optional frame of all 街镇 (``jiezhen_code``, ``name``) so that 街镇 without demand cells still get rows.
    profile_names_zh
        Profile key → Chinese name (default: the key).

    Returns
    -------
    DataFrame
        :data:`COVERAGE_COLUMNS`: ``pop`` people of the group in the unit, ``pop_covered`` within the threshold,
        ``share_covered`` 0-1; times are minutes to the nearest facility weighted by the group's people, over those
        who can reach one (``pop_no_access`` counts the others: off the road network, or no facility of the
        service reachable); ``population_is_estimate`` is True if the group is estimated (any cell, or derived as a
        share of another group).
    """
    codes, names, units = _units(demand, jiezhen)
    is_estimate = bool(demand["is_estimate"].astype(bool).any())
    counts_of = {g.key: demand[g.key].to_numpy(dtype=float) for g in groups}
    by_service = {s.key: s for s in services}
    positions = _positions(codes)
    rows = []
    for (profile, year, key), grp in nearest.groupby(["profile", "year", "service"], sort=False):
        time_s = np.full(len(demand), np.inf)
        time_s[grp["cell_pos"].to_numpy()] = grp["time_s"].to_numpy()
        service = by_service[key]
        counts = _facility_counts(facilities, year, service)
        head = {"year": year, "service": key, "service_name_zh": service.name_zh, "service_kind": service.kind,
                "profile": profile, "profile_name_zh": (profile_names_zh or {}).get(profile, profile)}
        for g in groups:
            pop = counts_of[g.key]
            group = {"group": g.key, "group_name_zh": g.name_zh,
                     "population_is_estimate": is_estimate or getattr(g, "share_of", None) is not None}
            for code in units + [DISTRICT_CODE]:
                district = code == DISTRICT_CODE
                mask = slice(None) if district else positions.get(code, np.zeros(0, dtype=np.int64))
                unit = {"jiezhen_code": code, "jiezhen_name": district_name_zh if district else names.get(code, code),
                        "n_facilities": int(counts.sum()) if district else int(counts.get(code, 0))}
                for row in _unit_rows(time_s[mask], pop[mask], thresholds_min):
                    rows.append({**head, **group, **unit, **row})
    table = pd.DataFrame(rows)
    table["travel_mode"] = travel_mode
    table["travel_mode_zh"] = TRAVEL_MODE_ZH.get(travel_mode, travel_mode)
    return table.reindex(columns=COVERAGE_COLUMNS)


def _positions(codes: np.ndarray) -> dict[str, np.ndarray]:
    """Positions of each code (in order): one pass, instead of comparing every row with every 街镇."""
    return {str(k): v for k, v in pd.Series(np.arange(len(codes))).groupby(np.asarray(codes, dtype=object),
                                                                             sort=False).indices.items()}


def _facility_counts(facilities: pd.DataFrame, year: int, service: Service) -> pd.Series:
    """Open facilities of the service per 街镇 (facilities outside the district have no 街镇 and are not counted)."""
    chosen = facilities[open_in_year(facilities, year) & facilities["type"].isin(service.types)]
    return chosen["jiezhen_code"].dropna().astype(str).value_counts()


def two_step_fca(model: TravelModel, facilities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, threshold_min: float,
                 *, weight_column: str, capacity_column: str = CAPACITY, facility_points=None,
                 demand_points=None) -> tuple[pd.Series, pd.Series]:
    """Capacity per person within reach, by the two-step floating catchment method (2SFCA, Luo & Wang 2003).

    Step 1: each facility's ratio R = its capacity / people (``weight_column``) within ``threshold_min`` of it.
    Step 2: each cell's accessibility A = the sum of R over the facilities within ``threshold_min`` of it
    (capacity per person: places per child, beds per elderly resident ...). Facilities with unknown capacity are
    left out (so A is then a lower bound); a facility with nobody in reach has no ratio (NaN) and adds nothing.

    Parameters
    ----------
    model
        The travel model.
    facilities, demand
        Frames (metric CRS) with ``capacity_column`` and ``weight_column``.
    threshold_min
        Catchment size (minutes).
    weight_column
        The population group (a column of ``demand``).
    capacity_column
        The capacity attribute (default ``capacity``).
    facility_points, demand_points
        Optional ``model.prepare`` results for the same frames (saves snapping again).

    Returns
    -------
    (Series, Series)
        ``A`` per cell (index = ``demand.index``, capacity per person) and ``R`` per facility
        (index = ``facilities.index``).
    """
    capacity = pd.to_numeric(facilities[capacity_column], errors="coerce").to_numpy(dtype=float)
    known = np.flatnonzero(np.isfinite(capacity))
    if facility_points is None:
        facility_points = model.prepare(facilities, "facilities")
    if demand_points is None:
        demand_points = model.prepare(demand, "demand")
    pairs = model.catchments(facility_points.take(known), demand_points, threshold_min * 60.0)
    weight = demand[weight_column].to_numpy(dtype=float)
    src, tgt = pairs["source_pos"].to_numpy(), pairs["target_pos"].to_numpy()
    people = np.bincount(src, weights=weight[tgt], minlength=len(known))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_known = np.where(people > 0, capacity[known] / people, np.nan)
    ratio = np.full(len(facilities), np.nan)
    ratio[known] = ratio_known
    contrib = ratio_known[src]
    ok = np.isfinite(contrib)
    access = np.bincount(tgt[ok], weights=contrib[ok], minlength=len(demand))
    return pd.Series(access, index=demand.index, name="capacity_per_person_2sfca"), \
        pd.Series(ratio, index=facilities.index, name="capacity_per_person_at_facility")


def capacity_table(access: pd.Series, demand: pd.DataFrame, facilities: pd.DataFrame, *, year: int,
                   service: Service, group, threshold_min: float, travel_mode: str, profile: str = "walk",
                   profile_name_zh: str = "", district_name_zh: str = DISTRICT_CODE,
                   capacity_column: str = CAPACITY) -> pd.DataFrame:
    """2SFCA per 街镇 and for the district: the group-weighted mean of the cells' capacity per person.

    Parameters
    ----------
    group
        The population group (:class:`svcov.config.DemandGroup`) the accessibility was computed for.

    Returns
    -------
    DataFrame
        :data:`CAPACITY_COLUMNS`: ``pop`` (people of the group), ``capacity`` (known capacity of the service's
        open facilities in the unit), ``capacity_per_person_2sfca``, ``capacity_per_100_2sfca``, ``n_facilities``,
        ``n_capacity_unknown``, ``is_lower_bound``; values NaN where no capacity is known.
    """
    chosen = facilities[open_in_year(facilities, year) & facilities["type"].isin(service.types)]
    cap = pd.to_numeric(chosen[capacity_column], errors="coerce")
    all_unknown = len(chosen) == 0 or cap.isna().all()
    codes = demand["jiezhen_code"].astype(str).to_numpy(dtype=object)
    positions, names = _positions(codes), demand["jiezhen_name"].to_numpy()
    chosen_codes = chosen["jiezhen_code"].astype(str).to_numpy(dtype=object)
    in_district = chosen["jiezhen_code"].notna().to_numpy()
    weights, values = demand[group.key].to_numpy(dtype=float), access.to_numpy()
    rows = []
    for code in list(dict.fromkeys(codes)) + [DISTRICT_CODE]:
        mask = np.arange(len(demand)) if code == DISTRICT_CODE else positions[code]
        here = in_district if code == DISTRICT_CODE else (chosen_codes == code) & in_district
        w = weights[mask]
        a = values[mask]
        value = float((a * w).sum() / w.sum()) if w.sum() > 0 and not all_unknown else float("nan")
        rows.append({"year": year, "jiezhen_code": code,
                     "jiezhen_name": district_name_zh if code == DISTRICT_CODE else str(names[mask][0]),
                     "service": service.key, "service_name_zh": service.name_zh, "group": group.key,
                     "group_name_zh": group.name_zh, "profile": profile, "profile_name_zh": profile_name_zh or profile,
                     "threshold_min": threshold_min, "pop": w.sum(),
                     "capacity": float(cap[here].sum()) if not all_unknown else float("nan"),
                     "capacity_per_person_2sfca": value, "capacity_per_100_2sfca": value * 100,
                     "n_facilities": int(here.sum()), "n_capacity_unknown": int(cap[here].isna().sum()),
                     "is_lower_bound": bool(cap.isna().any()), "travel_mode": travel_mode})
    return pd.DataFrame(rows, columns=CAPACITY_COLUMNS)
