"""From a solved model to the tables a planner reads: the proposed sites (one row per site with everything a memo
needs: docs/DEVELOPING.md, "proposed sites"), the coverage before and after per 街镇 and year, and the solver
diagnostics.

Within a year the sites are ranked greedily: first the site that newly covers the most people of the served group,
then the one that adds most after it, and so on; ``pop_newly_covered`` is each site's addition in that order, so the
column sums to the plan's total gain and ``district_share_after`` of the last site of a year is the year's coverage.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..vocabulary import DISTRICT_CODE, DISTRICT_NAME_ZH, SOLVE_STATUS_ZH

__all__ = ["proposed_sites", "coverage_change", "diagnostics_table", "PROPOSED_SITE_COLUMNS", "SITING_LABELS_ZH"]

log = logging.getLogger(__name__)

PROPOSED_SITE_COLUMNS = ["site_id", "rank", "year", "type", "type_name_zh", "jiezhen_code", "jiezhen_name",
                         "candidate_id", "candidate_name", "candidate_source", "pop_newly_covered",
                         "district_share_before", "district_share_after", "jiezhen_share_before",
                         "jiezhen_share_after", "nearest_facilities", "nearest_compounds", "rule_gap_closed_zh",
                         "alternatives", "threshold_min", "model", "lon_wgs84", "lat_wgs84", "geometry"]


def _within(times: sp.csr_array, threshold_s: float) -> sp.csc_array:
    keep = times.data <= threshold_s
    rows = np.repeat(np.arange(times.shape[0]), np.diff(times.indptr))[keep]
    return sp.csc_array((np.ones(int(keep.sum())), (rows, times.indices[keep])), shape=times.shape)


def _column(m: sp.csc_array, j: int) -> np.ndarray:
    return m.indices[m.indptr[j]:m.indptr[j + 1]]


class _Coverage:
    """Coverage state of the demand as sites are added (within the model's threshold)."""

    def __init__(self, model):
        inp = model.inputs_
        self.cover = _within(inp.cand_times, inp.threshold_s)
        self.exist = _within(inp.exist_times, inp.threshold_s)
        self.w = inp.weights
        self.total = float(self.w.sum())
        self.open_year = model.open_year_
        self.existing_open = inp.existing_open

    def base(self, y: int, *, sites: np.ndarray | None = None) -> np.ndarray:
        """Covered by the existing facilities open in year ``y`` and by ``sites`` (default: none)."""
        state = np.zeros(len(self.w), dtype=bool)
        if self.exist.shape[1]:
            state |= (self.exist @ self.existing_open[:, y].astype(float)) > 0
        for j in ([] if sites is None else sites):
            state[_column(self.cover, int(j))] = True
        return state

    def gains(self, state: np.ndarray) -> np.ndarray:
        return self.cover.T @ (self.w * ~state)


def _share(w: np.ndarray, state: np.ndarray, mask: np.ndarray | None = None) -> float:
    if mask is None:
        total = w.sum()
        return float(w[state].sum() / total) if total > 0 else float("nan")
    total = w[mask].sum()
    return float(w[state & mask].sum() / total) if total > 0 else float("nan")


def _rank_year(cov: _Coverage, y: int, earlier: list[int]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Sites opened in year ``y`` in greedy order: (candidate, state before, state after)."""
    state = cov.base(y, sites=earlier)
    todo = sorted(np.flatnonzero(cov.open_year == y).tolist())
    out = []
    while todo:
        gains = cov.gains(state)[todo]
        pick = todo[int(np.argmax(gains))]
        after = state.copy()
        after[_column(cov.cover, pick)] = True
        out.append((pick, state, after))
        state = after
        todo.remove(pick)
    return out


def _alternatives(cov: _Coverage, model, candidates: pd.DataFrame, j: int, y: int, closes_gap: bool, n: int,
                  who: str) -> str:
    chosen = np.flatnonzero(cov.open_year >= 0)
    others = [int(k) for k in chosen if k != j and cov.open_year[k] <= y]
    gains = cov.gains(cov.base(y, sites=others))
    own = float(gains[j])
    allowed = np.ones(len(gains), dtype=bool)
    allowed[chosen] = False
    if closes_gap:
        allowed &= model.zone_of == model.zone_of[j]
    order = [int(k) for k in np.argsort(-gains, kind="stable") if allowed[k]][:n]
    items = []
    for k in order:
        c = candidates.iloc[k]
        items.append(f"{c['name']} ({c['jiezhen_name']}, {c['candidate_id']}): 新增覆盖约 {gains[k]:,.0f} 名{who}, "
                     f"本点为 {own:,.0f} 名")
    return "\n".join(items)


def _nearest_text(travel, sites: gpd.GeoDataFrame, targets: gpd.GeoDataFrame | None, label, n: int,
                  years=None) -> list[str]:
    """The ``n`` nearest ``targets`` of each site with their times; with ``years`` (each site's year) a target that
    opens later (``opened_year``, e.g. a site an earlier leg proposes for a later year) or has closed is left out."""
    if travel is None or targets is None or len(targets) == 0 or len(sites) == 0:
        return [""] * len(sites)
    times = np.asarray(travel.od_matrix_s(sites, targets), dtype=float)
    if years is not None and "opened_year" in targets.columns:
        year = np.asarray(years, dtype=float)[:, None]
        opened = pd.to_numeric(targets["opened_year"], errors="coerce").to_numpy(dtype=float)[None, :]
        closed = (pd.to_numeric(targets["closed_year"], errors="coerce").to_numpy(dtype=float)[None, :]
                  if "closed_year" in targets.columns else np.full_like(opened, np.nan))
        times = np.where((opened > year) | (closed <= year), np.inf, times)
    how = getattr(travel, "profile_name_zh", "步行")
    out = []
    for row in times:
        order = [int(k) for k in np.argsort(row, kind="stable") if np.isfinite(row[k])][:n]
        out.append("\n".join(f"{label(targets.iloc[k])} {how}约 {row[k] / 60:.0f} 分钟" for k in order))
    return out


def _facility_label(f: pd.Series) -> str:
    kind = f.get("type_name_zh", f.get("type", ""))
    flag = f.get("type_is_estimate", False)
    estimate = "类型为估算, " if (pd.notna(flag) and bool(flag)) else ""
    return f"{f.get('name', f.get('facility_id', ''))} ({estimate}{kind})"


def proposed_sites(model, candidates: gpd.GeoDataFrame, demand: pd.DataFrame, *, type_key: str, type_name_zh: str,
                   existing: gpd.GeoDataFrame | None = None, compounds: gpd.GeoDataFrame | None = None,
                   travel=None, n_alternatives: int = 3, n_nearest: int = 3,
                   group_name_zh: str = "需求人口") -> gpd.GeoDataFrame:
    """The proposed sites of a solved model, ranked, with what a memo needs.

    Parameters
    ----------
    model
        A solved model built on ``candidates`` and ``demand`` (same order).
    candidates
        The candidate frame (:func:`~svcov.siting.candidates.build_candidates`).
    demand
        Demand points (``jiezhen_code``): the model's rows.
    type_key, type_name_zh
        Type of the new sites.
    existing
        The existing facilities the model counted (same order), for ``nearest_facilities``.
    compounds
        Residential compounds (``name``, points), for ``nearest_compounds``.
    travel
        The travel model (``od_matrix_s``) for the nearest facilities and compounds; without it those are empty.
    n_alternatives, n_nearest
        How many alternatives, facilities and compounds to list.
    group_name_zh
        What the demand weights count, for the alternatives' text (the served group, e.g. 「60 岁及以上老人」).

    Returns
    -------
    GeoDataFrame
        :data:`PROPOSED_SITE_COLUMNS` (the contract's columns plus ``type_name_zh``, ``threshold_min``,
        ``model``), candidates' CRS, index 0..n-1. Shares are 0-1; list columns hold one item per line.
    """
    cov = _Coverage(model)
    who = f" {group_name_zh}" if group_name_zh[:1].isascii() else group_name_zh
    zone_d = demand["jiezhen_code"].astype(str).to_numpy()
    rows, earlier, served = [], [], np.zeros(len(model.zone_codes), dtype=np.int64)
    for y in range(model.plan.n_years):
        for k, (j, before, after) in enumerate(_rank_year(cov, y, earlier), start=1):
            c = candidates.iloc[j]
            z = model.zone_of[j]
            closes = served[z] < model.zone_min[z]
            served[z] += 1
            in_zone = zone_d == str(c["jiezhen_code"])
            year = model.plan.years[y]
            reason = model.rules.reasons_zh.get(model.zone_codes[z], "")
            rows.append({
                "site_id": f"S{'' if year is None else year}-{k:02d}", "rank": len(rows) + 1, "year": year,
                "type": type_key, "type_name_zh": type_name_zh, "jiezhen_code": c["jiezhen_code"],
                "jiezhen_name": c["jiezhen_name"], "candidate_id": c["candidate_id"], "candidate_name": c["name"],
                "candidate_source": c["source_label"],
                "pop_newly_covered": float(cov.w[after & ~before].sum()),
                "district_share_before": _share(cov.w, before), "district_share_after": _share(cov.w, after),
                "jiezhen_share_before": _share(cov.w, before, in_zone),
                "jiezhen_share_after": _share(cov.w, after, in_zone),
                "rule_gap_closed_zh": f"补上{c['jiezhen_name']}的缺口: {reason}" if closes and reason else "",
                "alternatives": _alternatives(cov, model, candidates, j, y, bool(closes), n_alternatives, who),
                "threshold_min": model.inputs_.threshold_s / 60, "model": model.name,
                "lon_wgs84": c["lon_wgs84"], "lat_wgs84": c["lat_wgs84"], "geometry": c.geometry, "_j": j})
        earlier += [int(j) for j in np.flatnonzero(cov.open_year == y)]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=PROPOSED_SITE_COLUMNS + ["_j"]), geometry="geometry",
                           crs=candidates.crs)
    sites = candidates.iloc[out["_j"].astype(int).to_numpy()]
    out["nearest_facilities"] = _nearest_text(travel, sites, existing, _facility_label, n_nearest,
                                              years=out["year"].to_numpy(dtype=float, na_value=np.nan))
    out["nearest_compounds"] = _nearest_text(travel, sites, compounds, lambda r: str(r.get("name", "")), n_nearest)
    out["year"] = out["year"].astype("Int64")
    return out[PROPOSED_SITE_COLUMNS]


def coverage_change(model, demand: pd.DataFrame) -> pd.DataFrame:
    """Coverage within the threshold before (existing facilities only) and after the plan's sites, per year and
    街镇, with a district row (``jiezhen_code == "全区"``).

    Returns
    -------
    DataFrame
        ``year``, ``jiezhen_code``, ``jiezhen_name``, ``pop``, ``pop_covered_before``, ``share_before``,
        ``pop_covered_after``, ``share_after`` (0-1), ``n_new_sites`` (opened by the year, cumulative),
        ``n_new_sites_in_year``.
    """
    cov = _Coverage(model)
    zone_d = demand["jiezhen_code"].astype(str).to_numpy()
    names = dict(zip(zone_d, demand["jiezhen_name"].astype(str))) if "jiezhen_name" in demand else {}
    zone_site = np.array([model.zone_codes[z] for z in model.zone_of])
    rows = []
    for y, year in enumerate(model.plan.years):
        before = cov.base(y)
        after = cov.base(y, sites=np.flatnonzero((cov.open_year >= 0) & (cov.open_year <= y)))
        for code in [*sorted(set(zone_d)), DISTRICT_CODE]:
            district = code == DISTRICT_CODE
            mask = np.ones(len(zone_d), dtype=bool) if district else zone_d == code
            opened = (cov.open_year >= 0) & (cov.open_year <= y) & ((zone_site == code) | district)
            rows.append({"year": year, "jiezhen_code": code,
                         "jiezhen_name": DISTRICT_NAME_ZH if district else names.get(code, code),
                         "pop": float(cov.w[mask].sum()),
                         "pop_covered_before": float(cov.w[mask & before].sum()),
                         "share_before": _share(cov.w, before, mask),
                         "pop_covered_after": float(cov.w[mask & after].sum()),
                         "share_after": _share(cov.w, after, mask), "n_new_sites": int(opened.sum()),
                         "n_new_sites_in_year": int((opened & (cov.open_year == y)).sum())})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def diagnostics_table(model, **extra) -> pd.DataFrame:
    """One row of solver diagnostics (objective, bound, gap, times, status, sizes before and after merging) plus
    ``extra`` columns (e.g. ``travel_mode``)."""
    row = {"plan_years": model.plan.label(), "n_new_sites": int((model.open_year_ >= 0).sum()),
           **model.result_.as_row(), **extra}
    row["status_zh"] = SOLVE_STATUS_ZH.get(row["status"], row["status"])
    return pd.DataFrame([row])


#: Chinese headers of the siting tables (for :func:`svcov.outputs.tables.write_table`).
SITING_LABELS_ZH = {
    "site_id": "选址编号", "rank": "排序", "year": "年份", "type": "类型代码", "type_name_zh": "类型",
    "candidate_id": "候选点编号", "candidate_name": "候选点名称", "candidate_source": "候选点来源",
    "pop_newly_covered": "新增覆盖人数", "district_share_before": "全区覆盖率(建设前)",
    "district_share_after": "全区覆盖率(建设后)", "jiezhen_share_before": "街镇覆盖率(建设前)",
    "jiezhen_share_after": "街镇覆盖率(建设后)", "nearest_facilities": "最近的现有设施(时间)",
    "nearest_compounds": "附近小区(时间)", "rule_gap_closed_zh": "补上的规则缺口", "alternatives": "备选候选点",
    "threshold_min": "时间阈值(分钟)", "model": "模型", "pop": "人数", "pop_covered_before": "覆盖人数(现有设施)",
    "share_before": "覆盖率(现有设施)", "pop_covered_after": "覆盖人数(加新增点)", "group": "人群代码",
    "profile": "出行方式代码",
    "share_after": "覆盖率(加新增点)", "n_new_sites": "新增点累计", "n_new_sites_in_year": "当年新增点",
    "plan_years": "计划年份", "method": "求解方法", "status": "状态", "objective": "目标值", "best_bound": "最优界",
    "gap": "相对差距", "objective_label_zh": "目标含义", "time_s": "总用时(秒)", "build_time_s": "建模用时(秒)",
    "solver_time_s": "求解用时(秒)", "n_demand": "需求点", "n_demand_in_model": "模型中的需求点",
    "n_demand_merged": "合并后的需求行", "n_candidates": "候选点", "n_years": "年数", "n_rows": "约束行数",
    "n_cols": "变量数", "n_nonzeros": "非零元", "n_coverage_nonzeros": "覆盖关系数(合并前)",
    "n_coverage_nonzeros_merged": "覆盖关系数(合并后)", "mip_rel_gap": "最优性容差", "time_limit_s": "时间上限(秒)",
    "note_zh": "说明", "model_name_zh": "模型名称", "travel_mode": "出行时间方式", "n_existing": "计入的现有设施",
    "count_existing": "计入的设施组", "n_candidates_given": "候选点(筛选前)", "source": "来源类型",
    "source_label": "来源",
    # legs, places, phasing and the coverage curve (svcov.siting.plan_tables)
    "leg": "布局环节代码", "leg_name_zh": "布局环节", "action": "方式代码", "action_zh": "方式", "service": "覆盖的服务代码",
    "service_name_zh": "覆盖的服务", "places_new": "新增容量", "places_source_zh": "容量来源",
    "places_is_estimate": "容量为估算", "n_sites": "新增点数", "places_cumulative": "累计新增容量",
    "counts_toward_target": "计入容量目标", "places_known": "容量已知", "target_places": "容量目标",
    "target_year": "目标年份", "share_of_target": "完成目标比例", "meets_target": "达到目标", "phasing": "分期方式代码",
    "phasing_zh": "分期方式", "chosen": "本次采用", "share_covered": "覆盖率", "min_jiezhen_share": "最低街镇覆盖率",
    "min_jiezhen_code": "覆盖率最低的街镇代码", "min_jiezhen_name": "覆盖率最低的街镇", "n_jiezhen_zero": "覆盖率为0的街镇数",
    "k": "新增点数", "gain": "比少一个点多覆盖", "target_share": "目标覆盖率", "fewest_sites": "最少新增点数",
    "lower_bound": "下界", "how": "求法", "pop_covered": "覆盖人数", "status_zh": "状态说明",
}
