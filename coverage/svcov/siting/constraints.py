"""Rule inputs of the siting models (:class:`~svcov.siting.instance.SiteRules`) derived from the data:

- :func:`rules_from_facilities`: every 街镇 with no facility of the required type gets a minimum of one new site
  (the "3个一" of the childcare plan), and the reason says whether that is confirmed by a register or only an
  estimate because no register of the type was loaded;
- :func:`rules_from_status`: the same from the rules engine's status table (``svcov.rules.evaluate``:
  ``rule_id``, ``year``, ``jiezhen_code``, ``status`` 达标/未达标/数据不足, ``gap_zh``...).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import pandas as pd

from ..data.facilities import open_in_year
from ..errors import MissingColumnError, ProblemList
from ..vocabulary import DISTRICT_CODE
from .instance import SiteRules

__all__ = ["rules_from_facilities", "rules_from_status", "rules_per_jiezhen", "drop_minimums_without_candidates",
           "STATUS_NEEDS_SITE"]

log = logging.getLogger(__name__)

#: Statuses of the rule table that call for a new site (数据不足: no data to show the rule is met).
STATUS_NEEDS_SITE = ("未达标", "数据不足")


def _check(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    p = ProblemList(what)
    for column in columns:
        if column not in frame.columns:
            p.add(f"{what} 缺少列「{column}」。", f"{what} has no column {column!r}", column=column)
    p.raise_if_errors(MissingColumnError)


def rules_from_facilities(boundaries: pd.DataFrame, facilities: pd.DataFrame, *, type_key: str, type_name_zh: str,
                          year: int | None = None, deadline_year: int | None = None,
                          rule_label_zh: str | None = None, max_per_zone: int | None = None,
                          max_sites: Mapping[str, int] | None = None) -> SiteRules:
    """A minimum of one new site in every 街镇 that has no facility of ``type_key`` (open in ``year``).

    Parameters
    ----------
    boundaries
        The 街镇 (``jiezhen_code``, ``name``).
    facilities
        The facility frame (``type``, ``jiezhen_code``, ``complete_register``, ``opened_year``, ``closed_year``).
    type_key, type_name_zh
        The required type and its Chinese name.
    year
        Count the facilities open in this year (default: all).
    deadline_year
        Year by which every such 街镇 must have one (default: the plan's last year).
    rule_label_zh
        The rule in words, e.g. 「「3个一」: 每个街镇一个普惠性托育点 (计划二(二)1)」.
    max_per_zone, max_sites
        Maximum new sites per 街镇 (one number, and/or per 街镇 code).

    Returns
    -------
    SiteRules
        ``reasons_zh`` says, per 街镇, why a site is needed and whether that is confirmed (a complete register of the
        type was loaded) or an estimate (no register: the tool cannot tell whether one exists).

    Raises
    ------
    MissingColumnError
    """
    _check(boundaries, ("jiezhen_code", "name"), "街镇边界 (boundaries)")
    _check(facilities, ("type", "jiezhen_code", "complete_register"), "设施表 (facilities)")
    of_type = facilities[facilities["type"] == type_key]
    if year is not None and len(of_type) and {"opened_year", "closed_year"} <= set(of_type.columns):
        of_type = of_type[open_in_year(of_type, year)]
    counts = of_type.groupby("jiezhen_code").size()
    complete = bool(of_type["complete_register"].astype(bool).any()) if len(of_type) else False
    label = rule_label_zh or f"每个街镇至少一个{type_name_zh}"
    if len(facilities[facilities["type"] == type_key]) == 0:
        state = (f"未加载{type_name_zh}名册, 数据中没有任何{type_name_zh}: 按该街镇缺少估算 (需求估计, 不是已核实的缺口, "
                 f"请以名册核实)")
    elif complete:
        state = f"名册中该街镇没有{type_name_zh}"
    else:
        state = f"现有数据 (非完整名册) 中该街镇没有{type_name_zh}, 需核实"
    names = dict(zip(boundaries["jiezhen_code"].astype(str), boundaries["name"].astype(str)))
    missing = [c for c in names if int(counts.get(c, 0)) == 0]
    log.info("rule inputs: %d of %d 街镇 have no %s", len(missing), len(names), type_key)
    return SiteRules(min_sites={c: 1 for c in missing}, max_sites=dict(max_sites or {}),
                     default_max_sites=max_per_zone, deadline_year=deadline_year,
                     reasons_zh={c: f"{label}; {state}" for c in missing}, zone_names=names,
                     type_name_zh=type_name_zh)


def rules_from_status(status: pd.DataFrame, *, rule_ids: Iterable[str], type_name_zh: str,
                      year: int | None = None, deadline_year: int | None = None, max_per_zone: int | None = None,
                      zone_names: Mapping[str, str] | None = None) -> SiteRules:
    """A minimum of one new site in every 街镇 whose status for one of ``rule_ids`` is 未达标 or 数据不足.

    Parameters
    ----------
    status
        The rule status table (``rule_id``, ``year``, ``jiezhen_code``, ``jiezhen_name``, ``status``, ``label_zh``,
        ``gap_zh``, ``based_on_estimate``); district rows (``jiezhen_code == "全区"``) are ignored.
    rule_ids
        The rules a new site of the type can close (e.g. the "3个一" 普惠性托育点 rule).
    year
        Status of this year (default: each rule's latest year).
    deadline_year, max_per_zone, type_name_zh
        As in :func:`rules_from_facilities`.
    zone_names
        Code → name (default: from the table).

    Raises
    ------
    MissingColumnError
    """
    _check(status, ("rule_id", "year", "jiezhen_code", "status", "gap_zh"), "规则检查表 (rule status)")
    rows = status[status["rule_id"].isin(list(rule_ids)) & (status["jiezhen_code"].astype(str) != DISTRICT_CODE)]
    if year is not None:
        rows = rows[rows["year"] == year]
    elif len(rows):
        rows = rows[rows["year"] == rows.groupby("rule_id")["year"].transform("max")]
    need = rows[rows["status"].isin(STATUS_NEEDS_SITE)]
    reasons: dict[str, list[str]] = {}
    for _, r in need.iterrows():
        text = f"{r.get('label_zh', r['rule_id'])}: {r['status']}; {r['gap_zh']}"
        if r["status"] == "数据不足" or bool(r.get("based_on_estimate", False)):
            text += " (基于估算或数据不足, 需核实)"
        reasons.setdefault(str(r["jiezhen_code"]), []).append(text)
    names = dict(zone_names or {})
    if "jiezhen_name" in rows.columns:
        names = {**dict(zip(rows["jiezhen_code"].astype(str), rows["jiezhen_name"].astype(str))), **names}
    return SiteRules(min_sites={c: 1 for c in reasons}, default_max_sites=max_per_zone, deadline_year=deadline_year,
                     reasons_zh={c: "；".join(v) for c, v in reasons.items()}, zone_names=names,
                     type_name_zh=type_name_zh)


def rules_per_jiezhen(boundaries: pd.DataFrame, facilities: pd.DataFrame, *, type_key: str, type_name_zh: str,
                      minimum: int, maximum: int | None = None, year: int | None = None,
                      deadline_year: int | None = None, rule_label_zh: str | None = None) -> SiteRules:
    """Every 街镇 has between ``minimum`` and ``maximum`` facilities of ``type_key`` (existing ones, open in
    ``year``, count), e.g. the plan's "每个街镇配备1—2个家庭科学育儿指导站".

    Returns
    -------
    SiteRules
        ``min_sites`` = what each 街镇 still lacks, ``max_sites`` = what it may still get (0 if already full).

    Raises
    ------
    MissingColumnError
    """
    _check(boundaries, ("jiezhen_code", "name"), "街镇边界 (boundaries)")
    _check(facilities, ("type", "jiezhen_code"), "设施表 (facilities)")
    of_type = facilities[facilities["type"] == type_key]
    if year is not None and len(of_type) and {"opened_year", "closed_year"} <= set(of_type.columns):
        of_type = of_type[open_in_year(of_type, year)]
    counts = of_type.groupby("jiezhen_code").size()
    names = dict(zip(boundaries["jiezhen_code"].astype(str), boundaries["name"].astype(str)))
    have = {c: int(counts.get(c, 0)) for c in names}
    label = rule_label_zh or (f"每个街镇 {minimum}" + (f"-{maximum}" if maximum is not None else "") + f" 个{type_name_zh}")
    known = "名册中有" if len(of_type) else "未加载名册, 按没有估算:"
    mins = {c: minimum - n for c, n in have.items() if n < minimum}
    maxs = {} if maximum is None else {c: max(0, maximum - n) for c, n in have.items()}
    return SiteRules(min_sites=mins, max_sites=maxs, deadline_year=deadline_year,
                     reasons_zh={c: f"{label}; {known} {have[c]} 个" for c in mins}, zone_names=names,
                     type_name_zh=type_name_zh)


def drop_minimums_without_candidates(rules: SiteRules, candidate_zones: Iterable[str]) -> tuple[SiteRules, list[str]]:
    """The rules without the minimums of the 街镇 where no candidate lies (a conversion cannot create a building);
    returns the new rules and the names of the 街镇 dropped."""
    present = set(map(str, candidate_zones))
    dropped = [c for c in rules.min_sites if c not in present and rules.min_sites[c] > 0]
    if not dropped:
        return rules, []
    import dataclasses

    kept = {c: v for c, v in rules.min_sites.items() if c not in dropped}
    reasons = {c: v for c, v in rules.reasons_zh.items() if c not in dropped}
    return dataclasses.replace(rules, min_sites=kept, reasons_zh=reasons), [rules.zone_label(c) for c in dropped]
