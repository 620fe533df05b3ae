"""The data summary per 街镇: facilities by type and population, as loaded (before any travel analysis)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from ..config import DemandGroup, FacilityType
from ..vocabulary import DISTRICT_CODE

__all__ = ["jiezhen_data_summary", "summary_labels", "DISTRICT_CODE"]

#: ``jiezhen_code`` of the district-total row in per-街镇 tables.


def jiezhen_data_summary(boundaries: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                         types: Sequence[FacilityType], groups: Sequence[DemandGroup]) -> pd.DataFrame:
    """Count facilities by type and sum population per 街镇, with a district-total row last.

    Parameters
    ----------
    boundaries, facilities, demand
        The frames of :mod:`svcov.data` (same CRS).
    types
        Configured types: one ``n_<key>`` column each, in configuration order.
    groups
        Configured population groups: one column of people (the group key) and one of density
        (``<key>_per_km2``) each.

    Returns
    -------
    DataFrame
        ``jiezhen_code``, ``jiezhen_name``, ``area_km2``, ``n_<type key>`` …, ``n_facilities``,
        ``n_type_estimated`` (facilities whose type is inferred), ``<group key>`` …, ``<group key>_per_km2`` …;
        sorted by code; last row ``jiezhen_code == "全区"``. Facilities outside the district are not counted.
    """
    base = pd.DataFrame({"jiezhen_code": boundaries["jiezhen_code"].to_numpy(),
                         "jiezhen_name": boundaries["name"].to_numpy(),
                         "area_km2": boundaries["area_km2"].to_numpy()}).sort_values("jiezhen_code")
    counts = (pd.crosstab(facilities["jiezhen_code"], facilities["type"])
              .reindex(columns=[t.key for t in types], fill_value=0))
    counts.columns = [f"n_{c}" for c in counts.columns]
    out = base.merge(counts, left_on="jiezhen_code", right_index=True, how="left")
    count_cols = list(counts.columns)
    out["n_facilities"] = out[count_cols].sum(axis=1)
    estimated = facilities[facilities["type_is_estimate"].fillna(False).astype(bool)].groupby("jiezhen_code").size()
    out["n_type_estimated"] = out["jiezhen_code"].map(estimated)
    keys = [g.key for g in groups]
    pop = demand.groupby("jiezhen_code")[keys].sum(min_count=1)
    out = out.merge(pop, left_on="jiezhen_code", right_index=True, how="left")
    int_cols = count_cols + ["n_facilities", "n_type_estimated"]
    out[int_cols] = out[int_cols].fillna(0).astype("int64")
    total = {"jiezhen_code": DISTRICT_CODE, "jiezhen_name": "全区合计", "area_km2": out["area_km2"].sum(),
             **{c: out[c].sum() for c in int_cols}, **{k: out[k].sum(min_count=1) for k in keys}}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    for k in keys:
        out[f"{k}_per_km2"] = out[k] / out["area_km2"]
    return out


def summary_labels(types: Sequence[FacilityType], groups: Sequence[DemandGroup], *,
                   population_is_estimate: bool) -> dict[str, str]:
    """Chinese headers for :func:`jiezhen_data_summary`; population headers say 估算 when estimated."""
    est = "(估算)" if population_is_estimate else ""
    labels = {f"n_{t.key}": f"{t.name_zh}(个)" for t in types}
    labels.update({"n_facilities": "设施合计(个)", "n_type_estimated": "其中类型为推断(个)"})
    for g in groups:
        name = g.name_zh.replace(" ", "")
        labels[g.key] = f"{name}{est}"
        labels[f"{g.key}_per_km2"] = f"{name}密度{est}({g.unit_zh}/平方公里)"
    return labels
