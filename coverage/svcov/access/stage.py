"""The access stage of a run: road network → travel models (one per profile) → coverage tables, 2SFCA and
service-area layers, with the check that the network fits the district.

:func:`run_access` computes everything from validated inputs and returns frames; the pipeline writes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import RunConfig
from ..data.facilities import open_in_year
from ..network.build import RoadNetwork
from ..network.sources import load_network
from ..vocabulary import CAPACITY
from .engine import TravelModel
from .fit import check_network_fit, drive_network_note, network_fit
from .profiles import build_travel_models
from .service_areas import facility_service_areas, service_areas
from .summary import (
    TRAVEL_MODE_ZH,
    capacity_table,
    coverage_table,
    nearest_by_service,
    services_from_config,
    two_step_fca,
)

__all__ = ["AccessResult", "run_access", "coverage_only", "travel_models", "fit_table", "load_run_network",
           "network_layers", "default_cache_dir"]

log = logging.getLogger(__name__)


@dataclass
class AccessResult:
    """Everything the access stage computed (frames in the run's metric CRS).

    ``model`` is the primary profile's travel model (rules, siting, service areas and the main figures of the
    documents use it); ``models`` holds every profile's. ``coverage`` and ``capacity`` have rows for every
    profile; ``nearest`` too (column ``profile``); ``cells``, ``areas`` and ``facility_areas`` are the primary
    profile's. ``fit`` is the network fit table (empty without a network).
    """

    model: TravelModel
    network: RoadNetwork | None
    coverage: pd.DataFrame
    nearest: pd.DataFrame
    capacity: pd.DataFrame
    cells: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    facility_areas: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    models: dict[str, TravelModel] = field(default_factory=dict)
    fit: pd.DataFrame = field(default_factory=pd.DataFrame)


def load_run_network(config: RunConfig, boundaries: gpd.GeoDataFrame) -> RoadNetwork | None:
    """The run's road network, or None for the straight-line fallback (``network.source: none``)."""
    net = config.network
    if net.source is None:
        return None
    return load_network(net.source, crs_metric=boundaries.crs, boundary=boundaries, place=net.place,
                        cache_dir=default_cache_dir(config), snap_tolerance_m=net.snap_tolerance_m,
                        split_crossings=net.split_crossings)


def travel_models(config: RunConfig, boundaries: gpd.GeoDataFrame,
                  network: RoadNetwork | None) -> dict[str, TravelModel]:
    """One travel model per configured profile (the primary first), on the network or the straight-line fallback."""
    return build_travel_models(boundaries.crs, config.travel, network)


def fit_table(config: RunConfig, model: TravelModel, boundaries: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
              facilities: gpd.GeoDataFrame, *, check: bool = True) -> pd.DataFrame:
    """The network fit per 街镇 (:func:`svcov.access.fit.network_fit`; empty for the straight-line model), checked
    against ``network.min_fit_share`` when ``check``.

    Raises
    ------
    NetworkFitError
        With the 街镇 most affected and what to do.
    """
    if model.is_fallback:
        return pd.DataFrame()
    group = config.served_group
    table = network_fit(model, boundaries, demand, facilities, group.key, min_share=config.network.min_fit_share)
    if check:
        check_network_fit(table, min_share=config.network.min_fit_share, group_name_zh=group.name_zh,
                          snap_max_m=model.snap_max_m, source_zh=model.network.source_zh)
    return table


def run_access(config: RunConfig, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
               demand: gpd.GeoDataFrame, *, network: RoadNetwork | None = None,
               models: dict[str, TravelModel] | None = None, neighbours: gpd.GeoDataFrame | None = None,
               neighbour_demand: gpd.GeoDataFrame | None = None) -> AccessResult:
    """Coverage, 2SFCA and service areas for every year, type and group, population group and travel profile.

    Parameters
    ----------
    config
        The run configuration (travel profiles, years, types and groups, population groups, thresholds).
    boundaries, facilities, demand
        Validated inputs (metric CRS).
    network
        The road network; None for the straight-line fallback.
    models
        Travel models already built (:func:`travel_models`), e.g. by the Python API; default built here.
    neighbours, neighbour_demand
        Facilities and demand of the districts around (within walking reach; see :mod:`svcov.batch`): times to
        the nearest facility and the service areas include the neighbours' facilities, each facility's 2SFCA ratio
        counts the neighbours' people too; the tables count only ``facilities`` and ``demand``.

    Returns
    -------
    AccessResult

    Raises
    ------
    NetworkFitError
        When the network does not cover the district (``network.min_fit_share``).
    """
    models = models or travel_models(config, boundaries, network)
    model = next(iter(models.values()))
    fit = fit_table(config, model, boundaries, demand, facilities)
    services = services_from_config(config.facility_types, config.type_groups)
    thresholds = config.travel.thresholds_min
    reach = _with(facilities, neighbours)
    fac_points = model.prepare(reach, "facilities")
    nearest = pd.concat([nearest_by_service(m, reach, demand, years=config.years, services=services)
                         for m in models.values()], ignore_index=True)
    coverage = _coverage(config, nearest, demand, facilities, services, boundaries, model, models)
    everyone = _with(demand, neighbour_demand)
    capacity, access_2sfca = _capacity(models, config, (reach, facilities), (everyone, demand), services, fac_points,
                                       model.prepare(everyone, "demand"))
    primary = nearest[nearest["profile"] == model.profile]
    cells = _cell_layer(demand, primary, access_2sfca, config, services, model)
    areas = _service_area_layer(model, reach, fac_points, config.years, services, thresholds)
    facility_areas = facility_service_areas(model, facilities, thresholds,
                                            columns=("facility_id", "name", "type", "type_name_zh", "opened_year",
                                                     "closed_year", "jiezhen_code"))
    facility_areas["travel_mode_zh"] = TRAVEL_MODE_ZH.get(model.mode, model.mode)
    facility_areas["profile"] = model.profile
    notes = _notes(config, models, network, capacity, facilities)
    return AccessResult(model, network, coverage, nearest, capacity, cells, areas, facility_areas, notes,
                        models=dict(models), fit=fit)


def _coverage(config, nearest, demand, facilities, services, boundaries, model, models) -> pd.DataFrame:
    return coverage_table(nearest, demand, facilities, services=services, groups=config.population.groups,
                          thresholds_min=config.travel.thresholds_min, travel_mode=model.mode,
                          district_name_zh=config.district_name_zh, jiezhen=boundaries[["jiezhen_code", "name"]],
                          profile_names_zh={k: m.profile_name_zh for k, m in models.items()})


def coverage_only(config: RunConfig, boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                  demand: gpd.GeoDataFrame, *, network: RoadNetwork | None = None) -> tuple[TravelModel, pd.DataFrame]:
    """Just the travel models and the coverage table (no service areas, no 2SFCA): what the rule check needs.

    Returns
    -------
    (TravelModel, DataFrame)
        The primary profile's model and the coverage table of :func:`run_access` (every profile).
    """
    models = travel_models(config, boundaries, network)
    model = next(iter(models.values()))
    fit_table(config, model, boundaries, demand, facilities)
    services = services_from_config(config.facility_types, config.type_groups)
    nearest = pd.concat([nearest_by_service(m, facilities, demand, years=config.years, services=services)
                         for m in models.values()], ignore_index=True)
    return model, _coverage(config, nearest, demand, facilities, services, boundaries, model, models)


def _with(own: gpd.GeoDataFrame, others: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``own`` followed by ``others`` (positions of ``own`` unchanged), or ``own`` alone."""
    if others is None or len(others) == 0:
        return own
    return gpd.GeoDataFrame(pd.concat([own, others.reindex(columns=own.columns)], ignore_index=True), crs=own.crs)


def _capacity(models, config, facilities, demand, services, fac_points, cell_points):
    """2SFCA tables (every year and profile, the served group) for services with at least one known capacity;
    and the primary profile's per-cell accessibility in the report year.

    ``facilities`` and ``demand`` are pairs (all in reach, the run's own; the own rows come first): ratios use
    every facility and person in reach, the tables the run's own."""
    (reach, own), (everyone, residents) = facilities, demand
    if CAPACITY not in reach.columns:
        return pd.DataFrame(), {}
    threshold = max(config.travel.thresholds_min)
    group = config.served_group
    frames, per_cell = [], {}
    known = pd.to_numeric(reach[CAPACITY], errors="coerce").notna().to_numpy()
    primary = next(iter(models))
    for key, model in models.items():
        for year in config.years:
            is_open = open_in_year(reach, year).to_numpy()
            for service in services:
                chosen = np.flatnonzero(is_open & reach["type"].isin(service.types).to_numpy())
                if not known[chosen].any():
                    continue
                access, _ = two_step_fca(model, reach.iloc[chosen], everyone, threshold, weight_column=group.key,
                                         facility_points=fac_points.take(chosen), demand_points=cell_points)
                access = access.iloc[:len(residents)].set_axis(residents.index)
                frames.append(capacity_table(access, residents, own, year=year, service=service, group=group,
                                             threshold_min=threshold, travel_mode=model.mode, profile=key,
                                             profile_name_zh=model.profile_name_zh,
                                             district_name_zh=config.district_name_zh))
                if year == config.report_year and key == primary:
                    per_cell[service.key] = access
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), per_cell


def _cell_layer(demand, nearest, access_2sfca, config, services, model) -> gpd.GeoDataFrame:
    """Demand cells with their time to each service (report year, primary profile) and 2SFCA capacity per person."""
    year = config.report_year
    cells = demand[["cell_id", "jiezhen_code", "jiezhen_name", *config.population.group_keys, "is_estimate"]].copy()
    this_year = nearest[nearest["year"] == year]
    for service in services:
        rows = this_year[this_year["service"] == service.key]
        minutes = np.full(len(demand), np.inf)
        minutes[rows["cell_pos"].to_numpy()] = rows["time_s"].to_numpy() / 60.0
        cells[f"time_min_{service.key}"] = np.where(np.isfinite(minutes), minutes, np.nan)
    for key, access in access_2sfca.items():
        cells[f"capacity_per_person_{key}"] = access.to_numpy()
    cells["year"] = year
    cells["profile"] = model.profile
    cells["travel_mode"] = model.mode
    return gpd.GeoDataFrame(cells, geometry=demand.geometry, crs=demand.crs)


def _service_area_layer(model, facilities, fac_points, years, services, thresholds) -> gpd.GeoDataFrame:
    """Service areas dissolved per year × service × threshold (each distinct set of facilities computed once)."""
    rows, geoms, cache = [], [], {}
    for year in years:
        is_open = open_in_year(facilities, year).to_numpy()
        for service in services:
            chosen = np.flatnonzero(is_open & facilities["type"].isin(service.types).to_numpy())
            key = tuple(chosen)
            if key not in cache:
                cache[key] = service_areas(model, fac_points.take(chosen), thresholds) if len(chosen) else \
                    {t: shapely.Polygon() for t in thresholds}
            for threshold in thresholds:
                geom = cache[key][threshold]
                rows.append({"year": year, "service": service.key, "service_name_zh": service.name_zh,
                             "service_kind": service.kind, "threshold_min": threshold, "n_facilities": len(chosen),
                             "area_km2": shapely.area(geom) / 1e6, "profile": model.profile,
                             "profile_name_zh": model.profile_name_zh, "travel_mode": model.mode,
                             "travel_mode_zh": TRAVEL_MODE_ZH.get(model.mode, model.mode)})
                geoms.append(geom)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=np.array(geoms, dtype=object), crs=model.crs)


def _notes(config: RunConfig, models: dict[str, TravelModel], network: RoadNetwork | None, capacity: pd.DataFrame,
           facilities) -> list[str]:
    model = next(iter(models.values()))
    notes = [f"出行时间: {model.description_zh}"]
    notes += [f"出行时间 ({m.profile_name_zh}): {m.description_zh}" for m in list(models.values())[1:]]
    if network is not None:
        notes.append(f"路网: {network.summary_zh()}")
        notes += [f"路网处理: {n}" for n in network.notes]
        drive = drive_network_note(network)
        if drive:
            notes.append(f"路网: {drive}")
            log.warning(drive)
    unreachable = model.unreachable
    if len(unreachable):
        counts = unreachable["role"].value_counts()
        notes.append("距道路超过吸附距离、按不可达处理的点位: " + ", ".join(f"{k} {v} 个" for k, v in counts.items())
                     + " (见 unreachable_points 表)。")
    notes += _capacity_notes(config, capacity, facilities)
    return notes


def _capacity_notes(config: RunConfig, capacity: pd.DataFrame, facilities) -> list[str]:
    cap = config.capacity
    if cap is None:
        return []
    what = cap.noun_zh or cap.label_zh
    if capacity.empty:
        return [f"{what}可达性 (2SFCA) 未计算: 设施数据中没有{cap.label_zh} ({CAPACITY})。提供含{cap.label_zh}的名册后即可计算。"]
    if bool(capacity["is_lower_bound"].any()):
        n = int(pd.to_numeric(facilities[CAPACITY], errors="coerce").isna().sum())
        return [f"{what}可达性 (2SFCA) 为下限: {n} 个设施的{cap.label_zh}未知, 未计入。"]
    return []


def network_layers(network: RoadNetwork) -> dict[str, gpd.GeoDataFrame]:
    """Layers for checking the network in QGIS: edges (with their connected piece) and the joins made."""
    layers = {"network_edges": network.edges_frame()}
    if network.joins is not None and len(network.joins):
        joins = network.joins
        layers["network_joins"] = gpd.GeoDataFrame(joins, geometry=gpd.points_from_xy(joins["x"], joins["y"]),
                                                   crs=network.crs)
    return layers


def default_cache_dir(config: RunConfig) -> Path:
    """Where downloaded networks are cached when the configuration does not say."""
    return config.network.cache_dir or Path("data") / "network"
