"""What-ifs: add or close facilities (and optionally walk at another speed), recompute the coverage, compare.

- :func:`with_facilities` / :func:`without_facilities`: the facility frame with more facilities, or without some,
  checked (columns, CRS, unique ids, ids that exist) so a typo cannot silently change nothing.
- :func:`run_scenario`: one :class:`~svcov.config.scenarios.ScenarioConfig` → the coverage table of the changed
  facilities (and travel profile), compared with the run's per year × 街镇 for the circle's service and threshold.

Comparison table (``tables/scenario_comparison``): ``scenario``, ``scenario_label_zh``, ``description_zh``,
``year``, ``jiezhen_code``, ``jiezhen_name``, ``service``, ``threshold_min``, ``group``, ``pop``,
``pop_covered_before``, ``share_before``, ``pop_covered_after``, ``share_after``, ``share_change`` (after − before,
0-1), and ``n_added``, ``n_closed``, ``travel_changed``. The changes (for the map layer): ``scenario``,
``scenario_label_zh``, ``change`` (``add`` / ``close``), ``facility_id``, ``name``, ``type``, ``lon_wgs84``,
``lat_wgs84``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ..config import RunConfig, ScenarioConfig
from ..data.facilities import combine_facilities, load_facilities
from ..errors import ConfigError, InputError, MissingColumnError, Problem, ProblemList, ValidationFailed
from ..vocabulary import DISTRICT_CODE

__all__ = ["with_facilities", "without_facilities", "ScenarioResult", "run_scenario", "compare_coverage",
           "scenario_facilities"]

log = logging.getLogger(__name__)

#: Columns a facility frame needs for coverage (the rest of the contract is filled with NA if missing).
NEEDED = ("facility_id", "name", "type", "geometry")


def _check_frame(frame, where: str) -> None:
    p = ProblemList(where)
    if not isinstance(frame, gpd.GeoDataFrame):
        p.add("应是 GeoDataFrame (设施点)。", "must be a GeoDataFrame of facility points", value=type(frame).__name__)
        p.raise_if_errors(MissingColumnError)
    for column in NEEDED:
        if column not in frame.columns:
            p.add(f"缺少列「{column}」。", f"has no column {column!r}", column=column)
    if frame.crs is None:
        p.add("没有坐标系 (CRS): 请先设置, 例如 frame.set_crs(4326)。", "has no CRS; set one first, e.g. set_crs(4326)")
    p.raise_if_errors(MissingColumnError)


def with_facilities(facilities: gpd.GeoDataFrame, added: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The facilities plus ``added`` (e.g. a register loaded with :func:`svcov.data.facilities.load_facilities`).

    Parameters
    ----------
    facilities
        The run's facility frame (contract ``facilities``).
    added
        Facilities to add: at least ``facility_id``, ``name``, ``type`` and Point geometry with a CRS (reprojected
        to ``facilities``' CRS); other contract columns are kept or filled with NA.

    Returns
    -------
    GeoDataFrame
        A new frame, index 0..n-1; the inputs are not modified.

    Raises
    ------
    MissingColumnError
        If ``added`` lacks a needed column or a CRS.
    InputError
        If an added id is already used, or repeated, or a geometry is not a point.
    """
    _check_frame(facilities, "facilities")
    _check_frame(added, "with_facilities(added)")
    p = ProblemList("with_facilities(added)")
    ids = added["facility_id"].astype(str)
    clash = sorted(set(ids) & set(facilities["facility_id"].astype(str)))
    if clash:
        p.add(f"编号已被现有设施使用: {', '.join(clash[:10])}。请给新增设施另起编号。",
              f"ids already used by existing facilities: {', '.join(clash[:10])}", column="facility_id",
              value=clash[:10])
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        p.add(f"新增设施的编号重复: {', '.join(repeated[:10])}。", f"repeated ids: {', '.join(repeated[:10])}",
              column="facility_id", value=repeated[:10])
    not_points = (added.geometry.geom_type != "Point").to_numpy()
    for row in [int(i) + 2 for i in not_points.nonzero()[0][:10]]:
        p.add("几何不是点。", "geometry is not a point", row=row, column="geometry")
    p.raise_if_errors(InputError)
    extra = added.to_crs(facilities.crs).reset_index(drop=True).reindex(columns=facilities.columns)
    out = pd.concat([facilities, extra], ignore_index=True)
    for column in facilities.columns:
        if column != "geometry" and out[column].dtype != facilities[column].dtype:
            # keep the contract's dtypes (Int64, boolean, string) where the added values allow it
            with contextlib.suppress(TypeError, ValueError):
                out[column] = out[column].astype(facilities[column].dtype)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=facilities.crs)


def without_facilities(facilities: gpd.GeoDataFrame, ids: Iterable[object]) -> gpd.GeoDataFrame:
    """The facilities without those whose ``facility_id`` is in ``ids``.

    Raises
    ------
    InputError
        Naming the ids that are not in ``facilities`` (a typo would otherwise close nothing).
    """
    _check_frame(facilities, "facilities")
    wanted = [str(i) for i in ids]
    known = set(facilities["facility_id"].astype(str))
    missing = [i for i in wanted if i not in known]
    if missing:
        raise InputError("without_facilities", [Problem(
            "without_facilities", f"没有这些编号的设施: {', '.join(missing[:10])}。请用设施表 (tables/facilities) 中的「编号」。",
            f"no facility has these ids: {', '.join(missing[:10])}; use the facility_id of tables/facilities",
            column="facility_id", value=missing[:10])])
    keep = ~facilities["facility_id"].astype(str).isin(wanted)
    return facilities[keep.to_numpy()].reset_index(drop=True)


def scenario_facilities(config: RunConfig, scenario: ScenarioConfig, facilities: gpd.GeoDataFrame,
                        boundaries: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[Problem]]:
    """The scenario's facility frame, its changes (``change`` = add / close) and the registers' warnings.

    Raises
    ------
    ValidationFailed
        If an added register has errors (every problem of every file), or a closed id does not exist.
    """
    errors, frames, warnings = [], [], []
    for source in scenario.add:
        try:  # the run's register loader: the same checks (and messages) as the run's own registers
            frame = load_facilities(source, config.facility_types, boundaries, attributes=config.attributes,
                                    column_aliases=config.column_aliases)
        except InputError as exc:
            errors.append(exc)
            continue
        warnings.extend(frame.attrs.pop("problems", []))
        frame.attrs.clear()
        frames.append(frame)
    if errors:
        raise ValidationFailed(errors)
    out = facilities
    added = combine_facilities(frames) if frames else facilities.iloc[0:0]
    if len(added):
        added = added.assign(facility_id=added["facility_id"].astype(str))
        out = with_facilities(out, added)
    try:
        closed = facilities[facilities["facility_id"].astype(str).isin(scenario.close)]
        out = without_facilities(out, scenario.close)
    except InputError as exc:
        where = str(scenario.path) if scenario.path else f"{config.path} (scenarios: {scenario.name})"
        raise ConfigError(where, [dataclasses.replace(q, file=where) for q in exc.problems]) from None
    changes = pd.concat([added.assign(change="add"), closed.assign(change="close")], ignore_index=True)
    changes = changes.assign(scenario=scenario.name, scenario_label_zh=scenario.label_zh)
    changes = changes[["scenario", "scenario_label_zh", "change", "facility_id", "name", "type", "lon_wgs84",
                       "lat_wgs84"]]
    return out, changes, warnings


def compare_coverage(before: pd.DataFrame, after: pd.DataFrame, *, service: str, threshold_min: int, group: str,
                     profile_before: str, profile_after: str | None = None) -> pd.DataFrame:
    """Per year × 街镇 (and 全区): the circle's coverage of ``group`` before (profile ``profile_before``) and after
    (``profile_after``, default the same), from two long-form coverage tables (coverage-table contract rows)."""
    keys = ["year", "jiezhen_code"]

    def pick(t: pd.DataFrame, profile: str) -> pd.DataFrame:
        rows = t[(t["service"] == service) & (t["threshold_min"] == threshold_min) & (t["group"] == group)
                 & (t["profile"] == profile)]
        return rows.set_index(keys)[["jiezhen_name", "pop", "pop_covered", "share_covered"]]

    a, b = pick(before, profile_before), pick(after, profile_after or profile_before)
    out = a.rename(columns={"pop_covered": "pop_covered_before", "share_covered": "share_before"})
    out["pop_covered_after"] = b["pop_covered"].reindex(out.index)
    out["share_after"] = b["share_covered"].reindex(out.index)
    out["share_change"] = out["share_after"] - out["share_before"]
    out = out.reset_index()
    out["_district"] = out["jiezhen_code"] == DISTRICT_CODE
    out = out.sort_values(["year", "_district", "share_change"], ascending=[True, False, False], kind="stable")
    return out.drop(columns="_district").reset_index(drop=True).assign(service=service, threshold_min=threshold_min,
                                                                       group=group)


@dataclass
class ScenarioResult:
    """A scenario's comparison table, its changes (map layer), its coverage table and the warnings of its
    registers (:class:`~svcov.errors.Problem`)."""

    comparison: pd.DataFrame
    changes: pd.DataFrame
    coverage: pd.DataFrame
    warnings: list = dataclasses.field(default_factory=list)


def run_scenario(config: RunConfig, scenario: ScenarioConfig, boundaries: gpd.GeoDataFrame,
                 facilities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, base_coverage: pd.DataFrame, *,
                 network=None, service: str, threshold_min: int, prepared: tuple | None = None) -> ScenarioResult:
    """Coverage with the scenario's facilities (and travel profile), compared with ``base_coverage``;
    ``prepared`` is the scenario's ``(facilities, changes)`` if already loaded (:func:`scenario_facilities`)."""
    from .stage import coverage_only

    if prepared is None:
        changed, changes, warnings = scenario_facilities(config, scenario, facilities, boundaries)
    else:
        (changed, changes), warnings = prepared, []
    cfg = config if scenario.travel is None else dataclasses.replace(config, travel=scenario.travel)
    _, coverage = coverage_only(cfg, boundaries, changed, demand, network=network)
    table = compare_coverage(base_coverage, coverage, service=service, threshold_min=threshold_min,
                             group=config.served_group.key, profile_before=config.travel.primary_key,
                             profile_after=cfg.travel.primary_key)
    n_add, n_close = int((changes["change"] == "add").sum()), int((changes["change"] == "close").sum())
    parts = ([f"增加 {n_add} 处设施"] if n_add else []) + ([f"关闭 {n_close} 处设施"] if n_close else [])
    if scenario.travel is not None:
        primary = scenario.travel.primary
        parts.append(f"{primary.name_zh}速度 {primary.speed_kph:g} 公里/小时")
    description = scenario.description_zh or ("、".join(parts) + "。")
    table = table.assign(scenario=scenario.name, scenario_label_zh=scenario.label_zh, description_zh=description,
                         n_added=n_add, n_closed=n_close, travel_changed=scenario.travel is not None)
    front = ["scenario", "scenario_label_zh", "description_zh"]
    log.info("scenario %s: %d added, %d closed", scenario.name, n_add, n_close)
    return ScenarioResult(table[front + [c for c in table.columns if c not in front]], changes, coverage,
                          warnings)

