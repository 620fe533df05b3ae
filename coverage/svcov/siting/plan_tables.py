"""The plan as a whole, from the solved legs: which leg each site belongs to and its places, the places per year
against the plan's target, the two phasings compared, and the coverage-against-sites curve.

Tables (docs/DEVELOPING.md):

- **places** (:func:`places_table`): per ``year`` × ``leg`` (and ``leg == "全部"``: the legs that count towards
  the target): ``leg_name_zh``, ``type``, ``type_name_zh``, ``n_sites``, ``places_new``, ``places_cumulative``,
  ``counts_toward_target``, ``target_places``, ``target_year``, ``share_of_target``, ``meets_target``,
  ``places_is_estimate``.
- **phasing** (:func:`phasing_comparison`): per ``phasing`` (efficiency / equity) × ``year``: ``phasing_zh``,
  ``chosen``, ``pop_covered``, ``share_covered``, ``min_jiezhen_share``, ``min_jiezhen_code``,
  ``min_jiezhen_name``, ``n_jiezhen_zero`` (街镇 whose served group is still at 0 %), ``status``, ``gap``.
- **tradeoff** (:func:`coverage_curve`): per ``k`` new sites (one round, the last plan year's facilities, no zone
  rules): ``pop_covered``, ``share_covered``, ``gain``, ``status``, ``gap``, ``time_s``; and **tradeoff
  shares**: per ``target_share``: ``fewest_sites`` (NaN if no plan reaches it), ``share_covered``, ``how``.
"""

from __future__ import annotations

import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InfeasibleError
from ..vocabulary import CAPACITY, SITING_ACTIONS, SITING_PHASINGS
from .base import ModelInputs
from .instance import UNLIMITED, Plan

__all__ = ["annotate", "as_facilities", "combine", "plan_extras", "places_table", "phasing_comparison",
           "coverage_curve", "plan_labels_zh", "ALL_LEGS", "LEG_COLUMNS"]

log = logging.getLogger(__name__)

#: ``leg`` of the rows that sum the legs counting towards the place target.
ALL_LEGS = "全部"
#: Columns the legs add to the proposed-site table.
LEG_COLUMNS = ["leg", "leg_name_zh", "action", "action_zh", "service", "service_name_zh", "places_new",
               "places_source_zh", "places_is_estimate"]


def plan_labels_zh(config) -> dict[str, str]:
    """Chinese headers of the plan's tables in the service's words: the capacity's noun (托位, 床位) and the served
    group (0-3 岁儿童, 60 岁及以上老人)."""
    cap = config.capacity
    noun = (cap.noun_zh or cap.label_zh) if cap else "容量"
    group = config.served_group.name_zh
    return {"places_new": f"新增{noun}", "places_source_zh": f"{cap.label_zh if cap else '容量'}来源",
            "places_is_estimate": f"{noun}为估算", "places_cumulative": f"累计新增{noun}",
            "counts_toward_target": f"计入{noun}目标", "places_known": f"{noun}已知", "target_places": f"{noun}目标",
            "pop_covered": f"覆盖{group}", "pop_newly_covered": f"新增覆盖{group}"}


def _name(config, key: str) -> str:
    for t in config.facility_types:
        if t.key == key:
            return t.name_zh
    for g in config.type_groups:
        if g.key == key:
            return g.name_zh
    return key


def annotate(proposals: gpd.GeoDataFrame, config, leg, counted: str, candidates: pd.DataFrame) -> gpd.GeoDataFrame:
    """Add the leg, the action and the places of every proposed site; site ids take the leg's prefix."""
    s = config.siting
    out = proposals.copy()
    out["site_id"] = [f"{leg.id_prefix}{sid[1:]}" for sid in out["site_id"].astype(str)]
    spec = s.capacity_per_new_site.get(s.facility_type)
    own = candidates.set_index("candidate_id")[CAPACITY].astype("Float64")
    given = own.reindex(out["candidate_id"].astype(str)).to_numpy(dtype=float, na_value=np.nan)
    default = np.nan if spec is None else float(spec.places)
    cap = config.capacity
    out["places_new"] = np.where(np.isfinite(given), given, default)
    out["places_source_zh"] = np.where(np.isfinite(given), f"候选点文件中的{cap.label_zh if cap else '容量'}",
                                       "未配置 (siting.capacity_per_new_site)" if spec is None else spec.source_zh)
    out["places_is_estimate"] = ~np.isfinite(given) & (spec is None or spec.is_estimate)
    out["leg"], out["leg_name_zh"] = leg.key, leg.label_zh
    out["action"], out["action_zh"] = leg.action, SITING_ACTIONS.get(leg.action, leg.action)
    out["service"], out["service_name_zh"] = counted, _name(config, counted)
    return out[[c for c in out.columns if c != "geometry"] + ["geometry"]]


def _proposed_name(proposals: pd.DataFrame) -> pd.Series:
    """How a later leg's memo names an earlier leg's site: its place with 「(建议新设)」, or, for a point without a
    name of its own (a grid point), 「<街镇>建议新设的点位」 (memos never show a grid code or a site id)."""
    names = proposals["candidate_name"].astype(str)
    unnamed = names.str.contains("网格点|聚类中心", regex=True)
    return pd.Series(np.where(unnamed, proposals["jiezhen_name"].astype(str) + "建议新设的点位", names + " (建议新设)"),
                     index=proposals.index)


def as_facilities(proposals: pd.DataFrame, crs) -> gpd.GeoDataFrame:
    """Proposed sites as facilities opened in their year (for the later legs)."""
    frame = pd.DataFrame({
        "facility_id": proposals["site_id"].astype(str),
        "name": _proposed_name(proposals),
        "type": proposals["type"].astype(str), "type_name_zh": proposals["type_name_zh"].astype(str),
        "type_source": "选址建议 (本次规划中较早环节的建议点位)", "type_is_estimate": False,
        CAPACITY: pd.array(proposals["places_new"], dtype="Float64").round().astype("Int64"),
        "opened_year": pd.array(proposals["year"], dtype="Int64"), "closed_year": pd.array([pd.NA] * len(proposals),
                                                                                           dtype="Int64"),
        "jiezhen_code": proposals["jiezhen_code"].astype(str), "jiezhen_name": proposals["jiezhen_name"].astype(str)})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(proposals.geometry.to_numpy(), crs=proposals.crs)
                            .to_crs(crs).to_numpy(), crs=crs)


def combine(outcomes: list):
    """One :class:`~svcov.siting.stage.SitingOutcome` from the legs' (the first is the main leg)."""
    from .stage import SitingOutcome

    main = outcomes[0]
    proposals = gpd.GeoDataFrame(pd.concat([o.proposals for o in outcomes], ignore_index=True),
                                 geometry="geometry", crs=main.proposals.crs)
    candidates = gpd.GeoDataFrame(pd.concat([o.candidates for o in outcomes], ignore_index=True),
                                  geometry="geometry", crs=main.candidates.crs)
    alternatives = [o.alternatives for o in outcomes if o.alternatives is not None]
    return SitingOutcome(proposals, pd.concat([o.coverage for o in outcomes], ignore_index=True),
                         pd.concat([o.diagnostics for o in outcomes], ignore_index=True), candidates, main.model,
                         main.rules, [n for o in outcomes for n in o.notes], [w for o in outcomes for w in o.warnings],
                         pd.concat(alternatives, ignore_index=True) if alternatives else None, legs=outcomes)


def plan_extras(config, out, demand: pd.DataFrame, *, time_limit_s: float | None = None) -> None:
    """Fill ``places``, ``phasing``, ``tradeoff`` and ``tradeoff_shares`` of ``out`` (a combined outcome)."""
    s = config.siting
    out.places = places_table(out.proposals, config)
    main = out.legs[0].model
    limit = time_limit_s or s.time_limit_s
    if s.compare_phasing and main.name == "mclp" and main.plan.n_years > 1:
        out.phasing = phasing_comparison(main, demand, time_limit_s=limit)
        out.notes.append(_phasing_note(out.phasing, config.served_group.name_zh))
    total = int(sum(min(m, 10_000) for m in main.plan.max_new))
    k_max = total if s.tradeoff_max_k is None else int(s.tradeoff_max_k)
    if k_max > 0 and main.name in ("mclp", "lscp"):
        out.tradeoff, out.tradeoff_shares = coverage_curve(main, k_max, s.tradeoff_shares, time_limit_s=limit)


# --- places ---------------------------------------------------------------------------------------------------


def places_table(proposals: pd.DataFrame, config) -> pd.DataFrame:
    """Places of the new sites per year and leg, cumulated, against the plan's place target."""
    target = config.siting.place_target
    years = list(config.years) or sorted(proposals["year"].dropna().unique())
    rows = []
    counted_types = set(target.types) if target is not None and target.types else set(
        config.siting.capacity_per_new_site) | {leg.siting.facility_type for leg in config.siting.legs
                                                 if leg.siting.facility_type in leg.siting.capacity_per_new_site}
    for leg, group in proposals.groupby("leg", sort=False):
        kind = str(group["type"].iloc[0])
        counts = kind in counted_types
        cumulative = 0.0
        for year in years:
            now = group[group["year"] == year]
            places = float(now["places_new"].sum()) if now["places_new"].notna().any() else 0.0
            cumulative += places
            rows.append({"year": year, "leg": leg, "leg_name_zh": group["leg_name_zh"].iloc[0], "type": kind,
                         "type_name_zh": group["type_name_zh"].iloc[0], "n_sites": len(now), "places_new": places,
                         "places_cumulative": cumulative, "counts_toward_target": counts,
                         "places_is_estimate": bool(group["places_is_estimate"].any()),
                         "places_known": bool(group["places_new"].notna().all())})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    total = table[table["counts_toward_target"]].groupby("year", sort=True)[["n_sites", "places_new"]].sum()
    total = total.reindex(years, fill_value=0)
    total_rows = pd.DataFrame({"year": years, "leg": ALL_LEGS, "leg_name_zh": "计入目标的各环节合计", "type": "",
                               "type_name_zh": "", "n_sites": total["n_sites"].to_numpy(),
                               "places_new": total["places_new"].to_numpy(),
                               "places_cumulative": total["places_new"].cumsum().to_numpy(),
                               "counts_toward_target": True,
                               "places_is_estimate": bool(table["places_is_estimate"].any()),
                               "places_known": bool(table["places_known"].all())})
    table = pd.concat([table, total_rows], ignore_index=True)
    if target is not None:
        table["target_places"] = target.places
        table["target_year"] = target.by_year
        table["share_of_target"] = table["places_cumulative"] / target.places if target.places else np.nan
        due = (table["year"] >= target.by_year) if target.by_year is not None else True
        table["meets_target"] = np.where(table["leg"] == ALL_LEGS,
                                         np.where(due, table["places_cumulative"] >= target.places, pd.NA), pd.NA)
    table["year"] = table["year"].astype("Int64")
    return table


# --- phasing ------------------------------------------------------------------------------------------------


def _rebuild(model, **changes):
    """The same coverage model (inputs, plan, rules, zones) with some arguments changed."""
    args = dict(inputs=model.inputs_, plan=model.plan, rules=model.rules,
                candidate_zones=[model.zone_codes[z] for z in model.zone_of], merge=model.merge,
                where="phasing_comparison", demand_zones=[model.demand_zone_codes[z] for z in model.demand_zone],
                phasing=model.phasing)
    args.update(changes)
    return type(model)(**args)


def phasing_comparison(model, demand: pd.DataFrame, *, time_limit_s: float = 60.0) -> pd.DataFrame:
    """Both phasings of a solved multi-year MCLP, year by year (the solved one is reused)."""
    names = dict(zip(demand["jiezhen_code"].astype(str), demand["jiezhen_name"].astype(str))) \
        if "jiezhen_name" in demand.columns else {}
    rows = []
    for phasing in SITING_PHASINGS:
        solved = model if phasing == model.phasing else _rebuild(model, phasing=phasing).solve(
            time_limit_s=time_limit_s, mip_rel_gap=model.result_.mip_rel_gap)
        covered = solved.coverage_by_year(solved.open_year_)
        shares = solved.zone_shares(solved.open_year_)
        for y, year in enumerate(solved.plan.years):
            col = shares[:, y]
            z = int(np.nanargmin(col)) if np.isfinite(col).any() else -1
            code = solved.demand_zone_codes[z] if z >= 0 else ""
            rows.append({"phasing": phasing, "phasing_zh": SITING_PHASINGS[phasing], "chosen": solved is model,
                         "year": year, "pop_covered": float(covered[y]),
                         "share_covered": float(covered[y] / solved.total_weight) if solved.total_weight else np.nan,
                         "min_jiezhen_share": float(col[z]) if z >= 0 else np.nan, "min_jiezhen_code": code,
                         "min_jiezhen_name": names.get(code, code),
                         "n_jiezhen_zero": int(np.sum(np.isfinite(col) & (col <= 0))),
                         "n_new_sites": int(((solved.open_year_ >= 0) & (solved.open_year_ <= y)).sum()),
                         "status": solved.result_.status, "gap": solved.result_.gap})
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def _phasing_note(table: pd.DataFrame, group_name_zh: str) -> str:
    eff, eq = (table[table["phasing"] == p] for p in ("efficiency", "equity"))
    chosen = table.loc[table["chosen"], "phasing_zh"].iloc[0]
    lost = float(eff["pop_covered"].sum() - eq["pop_covered"].sum())
    first = table["year"].min()
    who = f" {group_name_zh}" if group_name_zh[:1].isascii() and group_name_zh[:1].isalnum() else group_name_zh
    return (f"选址分期: 采用{chosen}。规划各年覆盖的{who}合计: 效率优先 {eff['pop_covered'].sum():,.0f} 人次, "
            f"公平优先 "
            f"{eq['pop_covered'].sum():,.0f} 人次 (相差 {lost:,.0f}); {first} 年覆盖率最低街镇: 效率优先 "
            f"{eff['min_jiezhen_share'].iloc[0]:.1%}, 公平优先 {eq['min_jiezhen_share'].iloc[0]:.1%}。")


# --- the coverage curve -------------------------------------------------------------------------------------


def _one_round_inputs(model) -> ModelInputs:
    inp = model.inputs_
    return ModelInputs(inp.weights, inp.cand_times, inp.exist_times, inp.existing_open[:, -1:], inp.threshold_s,
                       inp.max_time_s)


def coverage_curve(model, k_max: int, shares=(0.8, 0.9, 0.95), *, time_limit_s: float = 60.0
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People of the served group within the threshold against the number of new sites, k = 1 … ``k_max``, each k
    solved exactly (one round, the last plan year's facilities, no zone rules), each started from the plan of k − 1
    plus its best addition; then the fewest sites for each share (read off the curve, or an exact set covering
    beyond it)."""
    from .models import MaximalCovering

    inputs = _one_round_inputs(model)
    year = model.plan.years[-1]
    rows, previous, start_all = [], None, time.perf_counter()
    for k in range(1, int(k_max) + 1):
        t0 = time.perf_counter()
        m = MaximalCovering(inputs=inputs, plan=Plan.single(k, year=year), rules=None, candidate_zones=None,
                            merge=True, where="coverage_curve")
        start = np.full(m.n_candidates, -1) if previous is None else previous.copy()
        gains = m.gains(start, 0)
        gains[start >= 0] = -np.inf
        start[int(np.argmax(gains))] = 0
        if k == 1:  # one site: the best single candidate, by enumeration (exact; HiGHS needs seconds to prove it)
            previous, status, gap = start, "optimal", 0.0
        else:
            m.solve(time_limit_s=time_limit_s, initial=start)
            previous, status, gap = m.open_year_, m.result_.status, m.result_.gap
        covered = float(m.coverage_by_year(previous)[0])
        rows.append({"k": k, "year": year, "pop_covered": covered, "share_covered": covered / m.total_weight,
                     "status": status, "gap": gap, "time_s": time.perf_counter() - t0})
        if m.total_weight and covered >= m.best_by_year()[0] - 1e-9:
            break  # everyone within reach is covered: more sites add nothing
    curve = pd.DataFrame(rows)
    base = float(MaximalCovering(inputs=inputs, plan=Plan.single(0, year=year), rules=None, candidate_zones=None,
                                 merge=True, where="coverage_curve").const[0])
    curve["gain"] = curve["pop_covered"].diff().fillna(curve["pop_covered"].iloc[0] - base)
    log.info("coverage curve: k = 1 … %d in %.1f s", len(curve), time.perf_counter() - start_all)
    targets = []
    for share in shares:
        hit = curve[curve["share_covered"] >= share - 1e-12]
        if len(hit):
            row = hit.iloc[0]
            targets.append({"target_share": share, "fewest_sites": int(row["k"]), "lower_bound": float(row["k"]),
                            "share_covered": row["share_covered"], "how": "覆盖曲线 (每个 k 精确求解)"})
            continue
        targets.append(_fewest(inputs, year, share, min(time_limit_s, BEYOND_CURVE_S)))
    return curve, pd.DataFrame(targets)


#: Seconds for the exact set covering of a share beyond the curve, started from the greedy plan (its result says
#: whether it is proven).
BEYOND_CURVE_S = 15.0


def _fewest(inputs: ModelInputs, year, share: float, time_limit_s: float) -> dict:
    """The fewest sites for ``share`` beyond the curve: the greedy plan (with its LP bound), then an exact set
    covering started from it (time-limited); the better plan and the higher bound are kept."""
    from .covering import SetCovering

    def model():
        return SetCovering(inputs=inputs, plan=Plan.single(None, year=year, k_max=UNLIMITED), rules=None,
                           candidate_zones=None, merge=True, where="coverage_curve", target_share=share,
                           tie_break=False)

    try:
        greedy = model().solve(method="heuristic", time_limit_s=time_limit_s)
    except InfeasibleError as exc:  # an unreachable share is reported, not raised
        return {"target_share": share, "fewest_sites": np.nan, "lower_bound": np.nan, "share_covered": np.nan,
                "how": f"无法达到: {str(exc).splitlines()[-1].strip(' -')}"}
    best, bound = greedy, greedy.result_.best_bound
    if not greedy.objective_ <= bound:  # not proven by the bound alone: try the exact model from the greedy plan
        exact = model().solve(time_limit_s=time_limit_s, initial=greedy.open_year_)
        bound = max(bound, exact.result_.best_bound) if np.isfinite(exact.result_.best_bound) else bound
        if exact.objective_ <= greedy.objective_:
            best = exact
    proven = best.objective_ <= bound or best.result_.status == "optimal"
    how = ("集合覆盖模型 (已证明最少)" if proven else
           f"集合覆盖模型 ({time_limit_s:.0f} 秒内找到的最好方案, 从贪心方案开始; 至少需要 {bound:.0f} 个)")
    return {"target_share": share, "fewest_sites": int(best.objective_), "lower_bound": float(bound),
            "share_covered": float(best.coverage_by_year(best.open_year_)[0] / best.total_weight), "how": how}
