"""Ties between candidates, and the alternatives a memo argues from.

When another candidate would serve exactly as well as a proposed site — the same objective (people covered, sites
needed, …) and every plan and zone rule still met — the solver's choice between them is arbitrary. The tool then
applies one fixed rule (:data:`TIE_RULE_ZH`), so the choice is explained and repeatable:

1. a named place (a compound, a community centre, a room the 街镇 offered) before an anonymous grid point or
   cluster centre: it can be found and visited;
2. then the one whose people within the threshold are nearer (lower people-weighted travel time);
3. then the candidates' order.

:func:`prefer_among_ties` applies it to a solved model (before the proposals are ranked); :func:`site_alternatives`
lists, per proposed site, the site and the best other candidates with their gains in people, whether they tie and
the rule's keys — the memo says from these whether the alternatives tie and why this site was taken.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from ..vocabulary import TIE_BREAK_RULE_ZH
from .proposals import _Coverage

__all__ = ["TIE_RULE_ZH", "ALTERNATIVE_COLUMNS", "ALTERNATIVE_LABELS_ZH", "prefer_among_ties", "site_alternatives",
           "candidate_keys"]

log = logging.getLogger(__name__)

#: The tie-break rule in words (memos quote it); ``{travel}`` is the travel profile's name.
TIE_RULE_ZH = TIE_BREAK_RULE_ZH
#: Columns of the alternatives table (docs/DEVELOPING.md, "site alternatives").
ALTERNATIVE_COLUMNS = ["site_id", "alt_rank", "candidate_id", "candidate_name", "jiezhen_name", "candidate_source",
                       "named", "pop_newly_covered", "difference", "ties", "mean_time_min", "distance_m", "lon_wgs84",
                       "lat_wgs84"]
#: Chinese headers of the alternatives table.
ALTERNATIVE_LABELS_ZH = {"site_id": "选址编号", "alt_rank": "比较序号 (0 = 本点位)", "candidate_id": "候选点编号",
                         "candidate_name": "候选点名称", "jiezhen_name": "街镇", "candidate_source": "候选点来源",
                         "named": "有名称的地点", "pop_newly_covered": "代替本点位时的新增覆盖人数",
                         "difference": "与本点位之差 (人)", "ties": "与本点位相同", "mean_time_min":
                         "服务范围内人口的平均时间 (分钟)", "distance_m": "与本点位的直线距离 (米)",
                         "lon_wgs84": "经度 (WGS-84)", "lat_wgs84": "纬度 (WGS-84)"}
#: Gains closer than this (people) count as the same.
TIE_PEOPLE = 0.5
_ANONYMOUS = re.compile(r"^(grid\d*-|cluster-)")


def candidate_keys(model, candidates: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: named (bool) and the people-weighted travel time (minutes) of the demand within the
    model's threshold (inf when nobody is within it)."""
    ids = candidates["candidate_id"].astype(str)
    names = candidates["name"].astype(str) if "name" in candidates.columns else pd.Series("", index=candidates.index)
    named = ~(ids.str.match(_ANONYMOUS) | names.str.startswith("未命名")).to_numpy()
    inp = model.inputs_
    times = inp.cand_times.tocsc()
    mean = np.full(times.shape[1], np.inf)
    for j in range(times.shape[1]):
        rows = times.indices[times.indptr[j]:times.indptr[j + 1]]
        t = times.data[times.indptr[j]:times.indptr[j + 1]]
        keep = t <= inp.threshold_s
        w = inp.weights[rows[keep]]
        if w.sum() > 0:
            mean[j] = float((w * t[keep]).sum() / w.sum()) / 60.0
    return named, mean


def _score(model, x: np.ndarray) -> tuple[float, float]:
    """The objective (signed so that larger is better) and, for a model that minimises (set covering: the number
    of sites), the people covered as the second criterion."""
    value = float(model.evaluate(x))
    if getattr(model, "sense", "max") == "max":
        return value, 0.0
    cover = float(np.asarray(model.coverage_by_year(x)).sum()) if hasattr(model, "coverage_by_year") else 0.0
    return -value, cover


def _feasible(model, x: np.ndarray) -> bool:
    check = getattr(model, "is_feasible", None) or model.rules_met
    return bool(check(x))


def prefer_among_ties(model, candidates: pd.DataFrame) -> list[tuple[int, int]]:
    """Apply the tie-break rule to a solved model: a proposed site is replaced by a candidate of its zone that the
    rule prefers when the swap keeps the objective (and, for set covering, the people covered) and every rule.

    Parameters
    ----------
    model
        A solved siting model (``open_year_`` set) built on ``candidates`` (same order).
    candidates
        The candidate frame (``candidate_id``, ``name``).

    Returns
    -------
    list of (int, int)
        The swaps made, as (replaced, chosen) candidate positions; ``model.open_year_`` and ``model.selected_``
        are updated.
    """
    if getattr(model, "open_year_", None) is None or not (model.open_year_ >= 0).any():
        return []
    named, mean = candidate_keys(model, candidates)
    key = np.lexsort((np.arange(len(named)), mean, ~named))
    rank = np.empty(len(key), dtype=np.int64)
    rank[key] = np.arange(len(key))
    x = model.open_year_.copy()
    base = _score(model, x)
    tol = 1e-9 * max(1.0, abs(base[0]))
    swaps = []
    for j in sorted(np.flatnonzero(x >= 0), key=lambda k: (x[k], k)):
        better = [int(k) for k in key[:rank[j]] if x[k] < 0 and model.zone_of[k] == model.zone_of[j]]
        for k in better:
            trial = x.copy()
            trial[k], trial[j] = x[j], -1
            score = _score(model, trial)
            if score[0] >= base[0] - tol and score[1] >= base[1] - tol and _feasible(model, trial):
                x, base = trial, score
                swaps.append((int(j), k))
                break
    if swaps:
        model.open_year_ = x
        model.selected_ = model._selected()
        log.info("tie-break: %d site(s) replaced by equally good candidates the rule prefers", len(swaps))
    return swaps


def _gains(cov: _Coverage, model, j: int, y: int) -> np.ndarray:
    chosen = np.flatnonzero(cov.open_year >= 0)
    others = [int(k) for k in chosen if k != j and cov.open_year[k] <= y]
    return cov.gains(cov.base(y, sites=others))


def site_alternatives(model, candidates: pd.DataFrame, proposals: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """Per proposed site: the site itself (``alt_rank`` 0) and the ``n`` best other candidates.

    The alternatives are those a memo compares (as ``proposals.alternatives``): not chosen, and in the site's zone
    when the site closes a zone's gap. ``pop_newly_covered`` is what each would add in the site's place (the other
    sites of the plan open), ``difference`` that minus the site's own, ``ties`` whether they differ by less than
    :data:`TIE_PEOPLE` people; ``named`` and ``mean_time_min`` are the tie-break rule's keys; ``distance_m`` the
    straight line to the site; ``lon_wgs84``/``lat_wgs84`` the candidate's position.

    Returns
    -------
    DataFrame
        :data:`ALTERNATIVE_COLUMNS`.
    """
    if proposals is None or len(proposals) == 0:
        return pd.DataFrame(columns=ALTERNATIVE_COLUMNS)
    cov = _Coverage(model)
    named, mean = candidate_keys(model, candidates)
    pos = {str(c): i for i, c in enumerate(candidates["candidate_id"].astype(str))}
    years = {y: i for i, y in enumerate(model.plan.years)}
    served = np.zeros(len(model.zone_codes), dtype=np.int64)
    xy = np.c_[candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()]
    rows = []
    for _, site in proposals.sort_values("rank").iterrows():
        j = pos[str(site["candidate_id"])]
        y = years.get(site["year"] if pd.notna(site["year"]) else None, 0)
        z = model.zone_of[j]
        closes = served[z] < model.zone_min[z]
        served[z] += 1
        gains = _gains(cov, model, j, y)
        allowed = cov.open_year < 0
        if closes:
            allowed &= model.zone_of == z
        order = [j] + [int(k) for k in np.argsort(-gains, kind="stable") if allowed[k]][:n]
        for rank, k in enumerate(order):
            c = candidates.iloc[k]
            diff = float(gains[k] - gains[j])
            rows.append({"site_id": site["site_id"], "alt_rank": rank, "candidate_id": c["candidate_id"],
                         "candidate_name": c["name"], "jiezhen_name": c["jiezhen_name"],
                         "candidate_source": c["source_label"], "named": bool(named[k]),
                         "pop_newly_covered": float(gains[k]), "difference": diff, "ties": abs(diff) < TIE_PEOPLE,
                         "mean_time_min": float(mean[k]), "distance_m": float(np.hypot(*(xy[k] - xy[j]))),
                         "lon_wgs84": c.get("lon_wgs84"), "lat_wgs84": c.get("lat_wgs84")})
    return pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)
