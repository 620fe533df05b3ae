"""Candidate sites: where a new facility could go.

Sources, in order of preference when two candidates are closer than the minimum spacing:

1. ``file``: the user's own file (vacant rooms in community centres, parcels, buildings offered by the 街镇):
   CSV/XLSX with longitude/latitude (WGS-84, GCJ-02 or BD-09) or a GIS layer of points or polygons;
   read and validated like a facility register (every problem reported with its row).
2. ``pois``: points of a POI layer (e.g. the bundled OSM community centres and residential compounds).
3. ``clusters``: demand-weighted k-means centres of the served group (scikit-learn), moved to the nearest demand
   cell.
4. ``grid``: a regular grid over the district.
5. ``facilities``: existing facilities that a conversion leg may convert (e.g. public kindergartens without a
   托班), chosen by type, flag attributes (``where``) and name.

Every candidate lies inside a 街镇 (those outside are dropped with a warning naming them), outside the exclusion
areas, at least ``min_spacing_m`` from every other candidate (so any chosen set keeps that spacing) and, if asked,
``min_distance_to_existing_m`` from existing facilities.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from .. import settings
from ..config import FacilitySource, FacilityType
from ..data.boundaries import assign_jiezhen
from ..data.facilities import read_facility_records
from ..data.population import grid_points
from ..data.readers import read_vector
from ..errors import InputError, Problem, ProblemList
from ..vocabulary import CANDIDATE_KINDS, CANDIDATE_SOURCE_NAMES_ZH, CAPACITY
from .instance import argument_error

__all__ = ["CandidateSpec", "build_candidates", "read_candidate_file", "poi_candidates", "grid_candidates",
           "cluster_candidates", "facility_candidates", "thin_by_spacing", "CANDIDATE_COLUMNS", "SOURCE_NAMES_ZH"]

log = logging.getLogger(__name__)

CANDIDATE_COLUMNS = ["candidate_id", "name", "source", "source_label", "jiezhen_code", "jiezhen_name",
                     "capacity", "lon_wgs84", "lat_wgs84", "geometry"]

#: Kinds of candidate source, in order of preference, with their Chinese names (:mod:`svcov.vocabulary`).
SOURCE_NAMES_ZH = CANDIDATE_SOURCE_NAMES_ZH
_GRID, _CLUSTERS, _POIS = CANDIDATE_KINDS["grid"].defaults, CANDIDATE_KINDS["clusters"].defaults, \
    CANDIDATE_KINDS["pois"].defaults


@dataclass(frozen=True)
class CandidateSpec:
    """One candidate source (see the module docstring); build from a config mapping with :meth:`from_mapping`."""

    kind: str
    path: Path | None = None
    label_zh: str = ""
    fclass: tuple[str, ...] = ()
    fclass_column: str = str(_POIS["fclass_column"])
    name_column: str = str(_POIS["name_column"])
    spacing_m: float = float(_GRID["spacing_m"])
    n_clusters: int = int(_CLUSTERS["n_clusters"])
    seed: int = int(_CLUSTERS["seed"])
    coord_system: str = "wgs84"
    columns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sheet: str | None = None
    types: tuple[str, ...] = ()
    where: Mapping[str, tuple[object, ...]] = field(default_factory=lambda: MappingProxyType({}))
    exclude_name_pattern: str | None = None

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> CandidateSpec:
        """From a ``siting.candidates`` entry of the configuration (already checked by :mod:`svcov.config`)."""
        kind = str(m.get("kind", ""))
        if kind not in CANDIDATE_KINDS:
            known = ", ".join(CANDIDATE_KINDS)
            raise argument_error("siting.candidates", f"候选点来源 kind「{kind}」未知; 可用: {known}。",
                                 f"unknown candidate kind {kind!r}; use one of {known}", value=kind)
        fclass = m.get("fclass") or ()
        return cls(kind=kind, path=None if m.get("path") is None else Path(m["path"]),
                   label_zh=str(m.get("label_zh", SOURCE_NAMES_ZH[kind])),
                   fclass=(fclass,) if isinstance(fclass, str) else tuple(str(f) for f in fclass),
                   fclass_column=str(m.get("fclass_column", cls.fclass_column)),
                   name_column=str(m.get("name_column", cls.name_column)),
                   spacing_m=float(m.get("spacing_m", cls.spacing_m)),
                   n_clusters=int(m.get("n_clusters", cls.n_clusters)),
                   seed=int(m.get("seed", cls.seed)), coord_system=str(m.get("coord_system", "wgs84")),
                   columns=MappingProxyType(dict(m.get("columns") or {})),
                   sheet=None if m.get("sheet") is None else str(m["sheet"]),
                   types=_listed(m.get("types")),
                   where=MappingProxyType({str(k): _listed(v, as_text=False)
                                           for k, v in dict(m.get("where") or {}).items()}),
                   exclude_name_pattern=None if m.get("exclude_name_pattern") is None
                   else str(m["exclude_name_pattern"]))


def _listed(value, as_text: bool = True) -> tuple:
    items = [] if value is None else value if isinstance(value, (list, tuple)) else [value]
    return tuple(f"{v}" for v in items) if as_text else tuple(items)


def _frame(names, source: str, label: str, geometry, crs, ids, capacity=None) -> gpd.GeoDataFrame:
    n = len(ids)
    cap = pd.array([pd.NA] * n if capacity is None else capacity, dtype="Float64")
    return gpd.GeoDataFrame({"candidate_id": pd.array(ids, dtype="string"), "name": pd.array(names, dtype="string"),
                             "source": source, "source_label": label, "capacity": cap},
                            geometry=gpd.GeoSeries(geometry, crs=crs).to_numpy(), crs=crs)


def read_candidate_file(spec: CandidateSpec, crs, types: Sequence[FacilityType], type_key: str,
                        problems: list[Problem], attributes: Sequence = ()) -> gpd.GeoDataFrame:
    """The user's candidate file, validated like a facility register (ids, names, coordinates, and the capacity if
    the type file declares one: ``attributes``).

    Raises
    ------
    InputError
        Listing every problem of the file.
    """
    source = FacilitySource(path=spec.path, label_zh=spec.label_zh, coord_system=spec.coord_system,
                            columns=spec.columns, sheet=spec.sheet, default_type=type_key)
    capacity = [a for a in attributes if a.key == CAPACITY]
    records, p = read_facility_records(source, types, capacity)
    p.raise_if_errors()
    problems.extend(p.problems)
    points = gpd.points_from_xy(records["lon_wgs84"], records["lat_wgs84"], crs=settings.wgs84)
    geometry = gpd.GeoSeries(points, index=records.index).to_crs(crs)
    out = _frame(records["name"].tolist(), "file", spec.label_zh, geometry, crs, records["facility_id"].tolist(),
                 records[CAPACITY].astype("Float64").tolist() if capacity else None)
    out["_row"] = records["source_row"].to_numpy()
    out["_file"] = str(spec.path)
    return out


def poi_candidates(spec: CandidateSpec, crs) -> gpd.GeoDataFrame:
    """Points of a POI layer whose ``fclass`` is one of ``spec.fclass`` (all if empty); polygons give an inner point.

    Raises
    ------
    InputError
        If a named column is missing.
    """
    frame = read_vector(spec.path)
    p = ProblemList(str(spec.path), row_base=1)
    if spec.fclass and spec.fclass_column not in frame.columns:
        p.add(f"POI 图层缺少列「{spec.fclass_column}」。", f"the POI layer has no column {spec.fclass_column!r}",
              column=spec.fclass_column)
    p.raise_if_errors()
    if spec.fclass:
        frame = frame[frame[spec.fclass_column].astype(str).isin(spec.fclass)]
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    geometry = frame.geometry.representative_point().to_crs(crs)
    ids = frame["osm_id"].astype(str) if "osm_id" in frame.columns else pd.Series(frame.index.astype(str))
    kind = frame[spec.fclass_column].astype(str) if spec.fclass_column in frame.columns else ""
    if spec.name_column in frame.columns:
        names = frame[spec.name_column].astype("string").fillna("未命名 " + kind + " " + ids.to_numpy())
    else:
        names = "未命名 " + kind + " " + ids
    return _frame(list(names), "pois", spec.label_zh, geometry.to_numpy(), crs, [f"poi-{i}" for i in ids])


def grid_candidates(spec: CandidateSpec, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Centres of a ``spacing_m`` grid inside the 街镇."""
    if not spec.spacing_m > 0:
        raise argument_error("siting.candidates", "grid 的 spacing_m 应大于 0。", "grid spacing_m must be > 0",
                             value=spec.spacing_m)
    cells = grid_points(boundaries, spec.spacing_m)
    names = (cells["jiezhen_name"].astype(str) + " 网格点 " + cells["cell_id"].astype(str)).tolist()
    return _frame(names, "grid", spec.label_zh, cells.geometry.to_numpy(), boundaries.crs,
                  [f"grid{spec.spacing_m:.0f}-{c}" for c in cells["cell_id"]])


def cluster_candidates(spec: CandidateSpec, demand: gpd.GeoDataFrame, weight_column: str) -> gpd.GeoDataFrame:
    """Demand-weighted k-means centres (scikit-learn), each moved to the nearest demand point with weight, so it
    lies inside the district."""
    from sklearn.cluster import KMeans

    use = demand[demand[weight_column] > 0]
    k = min(int(spec.n_clusters), len(use))
    if k < 1:
        raise argument_error("siting.candidates", "clusters 需要 n_clusters ≥ 1 且有人口的需求点。",
                             "clusters need n_clusters >= 1 and demand with weight", value=spec.n_clusters)
    xy = np.c_[use.geometry.x.to_numpy(), use.geometry.y.to_numpy()]
    model = KMeans(n_clusters=k, n_init=3, random_state=spec.seed).fit(xy, sample_weight=use[weight_column].to_numpy())
    _, nearest = cKDTree(xy).query(model.cluster_centers_)
    nearest = np.unique(nearest)
    geometry = gpd.points_from_xy(xy[nearest, 0], xy[nearest, 1], crs=demand.crs)
    names = [f"需求聚类中心 {i + 1}" for i in range(len(nearest))]
    ids = [f"cluster-{i + 1}" for i in range(len(nearest))]
    return _frame(names, "clusters", spec.label_zh, geometry, demand.crs, ids)


def facility_candidates(spec: CandidateSpec, facilities: gpd.GeoDataFrame | None, crs) -> gpd.GeoDataFrame:
    """Existing facilities as candidates of a conversion (e.g. public kindergartens that could open a 托班): those
    of ``spec.types`` whose flag attributes are as ``spec.where`` asks (attribute → ``true``, ``false``,
    ``unknown``, e.g. ``{has_nursery_class: [false, unknown]}``) and whose name does not match
    ``spec.exclude_name_pattern``. The candidate id is the facility id.

    Raises
    ------
    ArgumentError
        If ``spec.where`` names a column the facilities do not have (not a flag of the type file).
    """
    if facilities is None or len(facilities) == 0:
        return _frame([], "facilities", spec.label_zh, [], crs, [])
    chosen = facilities[facilities["type"].astype(str).isin(spec.types)]
    for key, values in spec.where.items():
        if key not in facilities.columns:
            raise argument_error("siting.candidates (facilities)", f"where 中的属性「{key}」不是类型文件声明的属性; "
                                 "请在类型文件的 attributes 中声明它 (kind: flag), 或改用已声明的属性。",
                                 f"where names {key!r}, which the type file does not declare", value=key)
        flag = chosen[key].astype("boolean")
        state = np.where(flag.isna().to_numpy(), "unknown", np.where(flag.fillna(False).to_numpy(), "true", "false"))
        wanted = {"unknown" if v == "unknown" else ("true" if v is True else "false") for v in values}
        chosen = chosen[np.isin(state, list(wanted))]
    if spec.exclude_name_pattern:
        chosen = chosen[~chosen["name"].astype(str).str.contains(spec.exclude_name_pattern, regex=True)]
    return _frame(chosen["name"].astype(str).tolist(), "facilities", spec.label_zh,
                  chosen.geometry.to_crs(crs).to_numpy(), crs, chosen["facility_id"].astype(str).tolist())


def thin_by_spacing(xy: np.ndarray, priority: np.ndarray, min_spacing_m: float) -> np.ndarray:
    """Keep points in order of ``priority`` (lower first, then position), dropping any closer than
    ``min_spacing_m`` to a point already kept. Returns a boolean mask."""
    keep = np.zeros(len(xy), dtype=bool)
    if len(xy) == 0 or min_spacing_m <= 0:
        keep[:] = True
        return keep
    tree = cKDTree(xy)
    for i in np.lexsort((np.arange(len(xy)), priority)):
        near = tree.query_ball_point(xy[i], r=min_spacing_m * (1 - 1e-12))
        if not keep[near].any():
            keep[i] = True
    return keep


def _exclusion_union(exclusions, crs):
    frames = []
    for item in exclusions or ():
        frame = item if isinstance(item, gpd.GeoDataFrame) else read_vector(item)
        frames.append(frame.to_crs(crs).geometry)
    return pd.concat(frames).union_all() if frames else None


def _first_count(demand: gpd.GeoDataFrame) -> str:
    skip = {"cell_id", "jiezhen_code", "jiezhen_name", "is_estimate", "cell_size_m"}
    return next(c for c in demand.columns if c not in skip and c != demand.geometry.name)


def build_candidates(boundaries: gpd.GeoDataFrame, specs: Sequence[CandidateSpec | Mapping[str, Any]], *,
                     type_key: str, facility_types: Sequence[FacilityType] = (), demand: gpd.GeoDataFrame | None = None,
                     existing: gpd.GeoDataFrame | None = None, exclusions: Sequence = (), min_spacing_m: float = 0.0,
                     min_distance_to_existing_m: float = 0.0, weight_column: str | None = None,
                     attributes: Sequence = (), facilities: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """All candidate sites, inside the 街镇, outside exclusions, spaced.

    Parameters
    ----------
    boundaries
        The 街镇 (metric CRS).
    specs
        Candidate sources (:class:`CandidateSpec` or config mappings).
    type_key
        Type of the new sites (the user's file is read as facilities of this type).
    facility_types
        The configured types (for reading the user's file).
    demand
        Demand points (needed by ``clusters``).
    existing
        Existing facilities (for ``min_distance_to_existing_m``).
    exclusions
        Polygons (GeoDataFrames or paths) where no site may go.
    min_spacing_m
        Minimum distance between candidates (and so between chosen sites).
    min_distance_to_existing_m
        Minimum distance to an existing facility.
    weight_column
        The demand column ``clusters`` weigh by (the served population group; default the first numeric column).
    attributes
        The type file's attributes (the user's file gives the candidates' ``capacity`` if one is declared).
    facilities
        All facilities (needed by ``facilities``: existing facilities to convert).

    Returns
    -------
    GeoDataFrame
        :data:`CANDIDATE_COLUMNS`, metric CRS, index 0..n-1; ``attrs["problems"]`` lists warnings (rows of the
        user's file dropped and why) and ``attrs["counts"]`` the number kept and dropped per reason.

    Raises
    ------
    InputError
        If the user's file has errors, or no candidate is left.
    """
    crs, problems, parts = boundaries.crs, [], []
    for spec in specs:
        spec = spec if isinstance(spec, CandidateSpec) else CandidateSpec.from_mapping(spec)
        if spec.kind == "file":
            parts.append(read_candidate_file(spec, crs, facility_types, type_key, problems, attributes))
        elif spec.kind == "pois":
            parts.append(poi_candidates(spec, crs))
        elif spec.kind == "grid":
            parts.append(grid_candidates(spec, boundaries))
        elif spec.kind == "facilities":
            parts.append(facility_candidates(spec, facilities, crs))
        elif demand is None:
            raise argument_error("build_candidates", "clusters 候选点需要需求点 (demand)。", "clusters need demand")
        else:
            parts.append(cluster_candidates(spec, demand, weight_column or _first_count(demand)))
    if not parts:
        raise argument_error("build_candidates", "没有配置候选点来源 (siting.candidates)。",
                             "no candidate source configured (siting.candidates)")
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
    counts = {"given": len(frame)}
    frame = _place(frame, boundaries, problems, counts)
    frame = _exclude(frame, _exclusion_union(exclusions, crs), existing, min_distance_to_existing_m, problems, counts)
    order = frame["source"].map({k: i for i, k in enumerate(SOURCE_NAMES_ZH)}).to_numpy()
    keep = thin_by_spacing(np.c_[frame.geometry.x, frame.geometry.y], order, min_spacing_m)
    counts["closer_than_spacing"] = int((~keep).sum())
    frame = frame[keep]
    return _finish(frame, problems, counts)


def _file_warning(row, message_zh: str, message_en: str, problems: list[Problem]) -> None:
    if row["source"] == "file":
        problems.append(Problem(str(row["_file"]), message_zh, message_en, row=int(row["_row"]),
                                value=str(row["candidate_id"]), severity="warning"))


def _place(frame, boundaries, problems, counts) -> gpd.GeoDataFrame:
    where = assign_jiezhen(frame.geometry, boundaries, tolerance_m=0.0)
    inside = (where["how"] == "inside").to_numpy()
    for _, row in frame[~inside].iterrows():
        _file_warning(row, "候选点不在任何街镇边界内, 已忽略。请检查坐标 (及坐标系)。",
                      "candidate is outside every 街镇; ignored. Check its coordinates", problems)
    counts["outside_boundary"] = int((~inside).sum())
    return frame[inside].assign(jiezhen_code=where["jiezhen_code"][inside], jiezhen_name=where["jiezhen_name"][inside])


def _exclude(frame, zone, existing, min_existing_m, problems, counts) -> gpd.GeoDataFrame:
    drop = np.zeros(len(frame), dtype=bool)
    if zone is not None:
        drop = frame.geometry.intersects(zone).to_numpy()
        for _, row in frame[drop].iterrows():
            _file_warning(row, "候选点位于排除区内, 已忽略。", "candidate is inside an exclusion area; ignored", problems)
    counts["in_exclusion_area"] = int(drop.sum())
    near = np.zeros(len(frame), dtype=bool)
    if existing is not None and len(existing) and min_existing_m > 0:
        tree = cKDTree(np.c_[existing.geometry.x, existing.geometry.y])
        dist, _ = tree.query(np.c_[frame.geometry.x, frame.geometry.y])
        near = (dist < min_existing_m) & ~drop
    counts["near_existing"] = int(near.sum())
    return frame[~drop & ~near]


def _finish(frame, problems, counts) -> gpd.GeoDataFrame:
    if len(frame) == 0:
        raise InputError("siting.candidates", [Problem("siting.candidates", "没有可用的候选点 (都在边界外、排除区内或被间距规则去掉)。",
                                                       "no candidate left (all outside, excluded or too close)")])
    ids = frame["candidate_id"].astype(str)
    dup = ids.duplicated(keep=False)
    position = pd.Series(np.arange(len(frame)), index=frame.index).astype(str)
    ids = ids.where(~dup, ids + "-" + frame["source"].astype(str) + "-" + position)
    wgs = frame.geometry.to_crs(settings.wgs84)
    out = frame.assign(candidate_id=pd.array(ids, dtype="string"), lon_wgs84=wgs.x.to_numpy(),
                       lat_wgs84=wgs.y.to_numpy())
    out = out[CANDIDATE_COLUMNS].reset_index(drop=True)
    counts["kept"] = len(out)
    counts.update({f"kept_{k}": int((out["source"] == k).sum()) for k in SOURCE_NAMES_ZH})
    out.attrs["problems"] = problems
    out.attrs["counts"] = counts
    log.info("candidates: %d kept of %d (%s)", len(out), counts["given"],
             ", ".join(f"{k} {v}" for k, v in counts.items() if k not in {"given", "kept"}))
    return out
