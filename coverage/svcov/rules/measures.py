"""The measures of the layout rules: what the records show, and the bounds the true value must lie in.

Every measure returns a :class:`Finding`: the value measured on the records found, and an interval
``[low, high]`` that the true value is certain to lie in given what the data lack. A rule is met (达标) only when
``low`` meets the target, failed (未达标) only when ``high`` cannot, and otherwise the data are insufficient
(数据不足). This is how "never guess a pass" is kept:

* a register that is not complete (``complete_register`` False, e.g. OpenStreetMap) can only show a lower bound of a
  count: ``high`` is infinite;
* a type with no record at all is treated as "not loaded", which makes the data incomplete;
* an unknown yes/no attribute or ``opened_year`` makes a record's membership uncertain; an unknown number
  (``capacity_places``) makes a sum's ``high`` infinite;
* spacing works the other way round: records found can prove a shortfall (two facilities too close) but only a
  complete register can prove a pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from ..data.facilities import open_in_year
from ..data.summary import DISTRICT_CODE
from .spec import Rule, Selection

__all__ = ["Finding", "DataState", "Context", "data_state", "measure", "judge", "PASS", "FAIL", "INSUFFICIENT"]

PASS, FAIL, INSUFFICIENT = "达标", "未达标", "数据不足"
_EPS = 1e-9


@dataclass(frozen=True)
class Finding:
    """What one rule shows for one unit (街镇 or district) in one year.

    Attributes
    ----------
    value
        Measured on the records found (a count, places, a share 0-1, metres); NaN if nothing could be measured.
    low, high
        The true value lies in ``[low, high]``; ``high`` is ``inf`` when the data cannot bound it.
    missing
        What keeps ``low`` and ``high`` apart: field names (``capacity_places``, ``opened_year``...),
        ``complete_register``, ``register:<type key>`` (no record of that type), ``coverage_table``.
    estimate_if_pass, estimate_if_not
        Whether a pass (or any other status) rests on estimates: types inferred from names, an estimated
        population, the straight-line travel fallback.
    detail
        Facts the wording needs (names, counts of records lacking a field...).
    """

    value: float
    low: float
    high: float
    missing: tuple[str, ...] = ()
    estimate_if_pass: bool = False
    estimate_if_not: bool = False
    detail: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class DataState:
    """Whether the loaded facility data can show a shortfall for some types."""

    complete: bool
    absent_types: tuple[str, ...]
    incomplete_sources: tuple[str, ...]
    n_records: int

    @property
    def tokens(self) -> tuple[str, ...]:
        return (("complete_register",) if self.incomplete_sources else ()) + tuple(
            f"register:{t}" for t in self.absent_types)


def data_state(facilities: pd.DataFrame, types: tuple[str, ...]) -> DataState:
    """Completeness of the data for ``types``: every type has records and every source holding them is complete."""
    sub = facilities[facilities["type"].isin(types)]
    present = set(sub["type"].dropna())
    absent = tuple(t for t in types if t not in present)
    incomplete = ~sub["complete_register"].astype(bool)
    sources = tuple(dict.fromkeys(sub.loc[incomplete, "source_label"].astype(str)))
    return DataState(complete=not absent and not sources, absent_types=absent, incomplete_sources=sources,
                     n_records=len(sub))


@dataclass
class Context:
    """What the measures of one year need: facilities open in the year, the 街镇, the coverage table."""

    facilities: pd.DataFrame  #: from :meth:`plain`
    year: int
    plan_start: int | None
    units: pd.DataFrame
    coverage: pd.DataFrame | None = None
    _states: dict = field(default_factory=dict)
    _candidates: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.open = self.facilities[open_in_year(self.facilities, self.year)]
        self.estimated = self.open["type_is_estimate"].fillna(False).astype(bool)

    @staticmethod
    def plain(facilities: pd.DataFrame) -> pd.DataFrame:
        """The facility frame as a plain DataFrame with ``x_m``/``y_m`` instead of geometry (much faster to filter
        than a GeoDataFrame)."""
        keep = ["name", "type", "type_is_estimate", "capacity_places", "opened_year", "closed_year",
                "has_nursery_class", "is_demonstration", "jiezhen_code", "source_label", "complete_register"]
        out = pd.DataFrame(facilities[keep]).reset_index(drop=True)
        out["jiezhen_code"] = out["jiezhen_code"].astype(str)
        out["x_m"] = facilities.geometry.x.to_numpy()
        out["y_m"] = facilities.geometry.y.to_numpy()
        return out

    def state(self, types: tuple[str, ...]) -> DataState:
        if types not in self._states:
            self._states[types] = data_state(self.facilities, types)
        return self._states[types]

    def in_unit(self, frame: pd.DataFrame, code: str | None) -> pd.DataFrame:
        return frame if code is None else frame[(frame["jiezhen_code"] == code).to_numpy(dtype=bool)]

    def candidates(self, sel: Selection, code: str | None) -> pd.DataFrame:
        """Facilities open in the year, of the selection's types, in 街镇 ``code`` (``None``: the district)."""
        key = (sel.types, code)
        if key not in self._candidates:
            frame = self.open if not sel.types else self.open[self.open["type"].isin(sel.types).to_numpy(dtype=bool)]
            self._candidates[key] = self.in_unit(frame, code)
        return self._candidates[key]

    def any_estimate(self, frame: pd.DataFrame) -> bool:
        return bool(self.estimated.reindex(frame.index, fill_value=False).any())


def _membership(frame: pd.DataFrame, sel: Selection, ctx: Context) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """Which candidates certainly / possibly belong to the selection, and how many possible ones lack each field.

    A record is out if one known value excludes it (a ``where`` attribute with the other value, an opening year
    outside the window); possibly in if it is not out but some needed value is unknown; certainly in otherwise.
    """
    n = len(frame)
    out, unknown = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    lacks: dict[str, np.ndarray] = {}
    for attr, wanted in sel.where.items():
        values = frame[attr].astype("boolean")
        out |= (values == (not wanted)).fillna(False).to_numpy(dtype=bool)
        lacks[attr] = values.isna().to_numpy(dtype=bool)
    if sel.new_in is not None:
        first = ctx.year if sel.new_in == "year" else (ctx.plan_start or ctx.year)
        opened = frame["opened_year"].astype("Int64")
        inside = ((opened >= first) & (opened <= ctx.year)).fillna(False).to_numpy(dtype=bool)
        lacks["opened_year"] = opened.isna().to_numpy(dtype=bool)
        out |= ~lacks["opened_year"] & ~inside
    for na in lacks.values():
        unknown |= na
    certain, uncertain = ~out & ~unknown, ~out & unknown
    fields = {f: int((uncertain & na).sum()) for f, na in lacks.items() if (uncertain & na).any()}
    return pd.Series(certain, index=frame.index), pd.Series(uncertain, index=frame.index), fields


def _count_parts(sel: Selection, ctx: Context, code: str | None) -> dict:
    frame = ctx.candidates(sel, code)
    certain, uncertain, fields = _membership(frame, sel, ctx)
    state = ctx.state(sel.types)
    low = int(certain.sum())
    high = low + int(uncertain.sum()) if state.complete else math.inf
    firm = int((certain & ~ctx.estimated.reindex(frame.index, fill_value=False)).sum())
    return {"low": low, "high": high, "firm": firm, "fields": fields, "state": state,
            "missing": tuple(fields) + state.tokens,
            "estimate_if_not": ctx.any_estimate(ctx.in_unit(ctx.open, code))}


def count(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """Facilities of the rule's types open in the year (new in the window, matching ``where``)."""
    target = rule.min_for(ctx.year)
    parts = _count_parts(rule.select, ctx, code)
    return Finding(value=float(parts["low"]), low=parts["low"], high=parts["high"],
                   missing=parts["missing"] if parts["low"] != parts["high"] else (),
                   estimate_if_pass=parts["firm"] < target - _EPS, estimate_if_not=parts["estimate_if_not"],
                   detail={"fields": parts["fields"], "state": parts["state"]})


def sum_attribute(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """Sum of a numeric attribute (e.g. ``capacity_places``) over the selected facilities."""
    sel, attr = rule.select, rule.attribute
    frame = ctx.candidates(sel, code)
    certain, uncertain, fields = _membership(frame, sel, ctx)
    state = ctx.state(sel.types)
    values = frame[attr].astype("Float64")
    known = values.notna().to_numpy(dtype=bool)
    lacking = (certain | uncertain).to_numpy(dtype=bool) & ~known
    low = float(values[certain.to_numpy(dtype=bool) & known].sum())
    estimated = ctx.estimated.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)
    firm = float(values[certain.to_numpy(dtype=bool) & known & ~estimated].sum())
    if state.complete and not lacking.any():
        high = float(values[(certain | uncertain).to_numpy(dtype=bool)].sum())
    else:
        high = math.inf
    if lacking.any():
        fields = {**fields, attr: int(lacking.sum())}
    missing = tuple(fields) + state.tokens
    return Finding(value=low, low=low, high=high, missing=missing if low != high else (),
                   estimate_if_pass=firm < rule.min_for(ctx.year) - _EPS,
                   estimate_if_not=ctx.any_estimate(ctx.in_unit(ctx.open, code)),
                   detail={"fields": fields, "state": state})


def _numerator(frame: pd.DataFrame, num: Selection) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Per record: meets the numerator (True), does not (False), unknown (NA); and fields that are unknown."""
    yes = np.ones(len(frame), dtype=bool)
    no = np.zeros(len(frame), dtype=bool)
    if num.types:
        in_types = frame["type"].isin(num.types).fillna(False).to_numpy(dtype=bool)
        yes &= in_types
        no |= ~in_types
    fields = {}
    for attr, wanted in num.where.items():
        values = frame[attr].astype("boolean")
        yes &= (values == wanted).fillna(False).to_numpy(dtype=bool)
        no |= (values == (not wanted)).fillna(False).to_numpy(dtype=bool)
        na = values.isna().to_numpy(dtype=bool) & ~no
        if na.any():
            fields[attr] = int(na.sum())
    return yes, no, fields


def share(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """Share of the selected facilities that meet the rule's ``numerator``.

    Bounds: the lowest share counts unknown numerator values as "no" and adds the possible members that are not
    known to say "yes"; the highest does the opposite. No member at all is a vacuous pass (nothing to check).
    """
    sel = rule.select
    frame = ctx.candidates(sel, code)
    certain, uncertain, fields = _membership(frame, sel, ctx)
    state = ctx.state(sel.types)
    members = frame[certain.to_numpy(dtype=bool)]
    yes, no, num_fields = _numerator(members, rule.numerator)
    maybe = frame[uncertain.to_numpy(dtype=bool)]
    yes_maybe, no_maybe, maybe_fields = _numerator(maybe, rule.numerator)
    n, t = len(members), int(yes.sum())
    u = n - t - int(no.sum())
    if not state.complete:
        low, high = 0.0, 1.0
    else:
        low_den, high_add = n + int((~yes_maybe).sum()), int((~no_maybe).sum())
        low = t / low_den if low_den else 1.0
        high = (t + u + high_add) / (n + high_add) if n + high_add else 1.0
    for f, k in maybe_fields.items():
        num_fields[f] = num_fields.get(f, 0) + k
    fields = {**fields, **num_fields}
    est = ctx.any_estimate(members) or ctx.any_estimate(maybe)
    return Finding(value=t / n if n else math.nan, low=low, high=high,
                   missing=(tuple(fields) + state.tokens) if low != high else (),
                   estimate_if_pass=est, estimate_if_not=est,
                   detail={"fields": fields, "state": state, "n": n, "t": t, "u": u,
                           "names_no": members.loc[no, "name"].astype(str).tolist(), "n_uncertain": len(maybe)})


def share_of_jiezhen(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """District: share of 街镇 with at least ``per_jiezhen_min`` selected facilities."""
    k = rule.per_jiezhen_min
    covered, lacking, unknown = [], [], []
    fields: dict[str, int] = {}
    missing: list[str] = []
    estimate_pass = False
    state = ctx.state(rule.select.types)
    for jcode, jname in zip(ctx.units["jiezhen_code"], ctx.units["jiezhen_name"]):
        parts = _count_parts(rule.select, ctx, jcode)
        if parts["low"] >= k:
            covered.append(jname)
            estimate_pass |= parts["firm"] < k
        elif parts["high"] < k:
            lacking.append(jname)
        else:
            unknown.append(jname)
            missing += [m for m in parts["missing"] if m not in missing]
            for f, n in parts["fields"].items():
                fields[f] = fields.get(f, 0) + n
    n = len(ctx.units)
    low = len(covered) / n if n else math.nan
    high = (n - len(lacking)) / n if n else math.nan
    return Finding(value=low, low=low, high=high, missing=tuple(missing) if unknown else (),
                   estimate_if_pass=estimate_pass, estimate_if_not=ctx.any_estimate(ctx.open),
                   detail={"fields": fields, "state": state, "covered": covered, "lacking": lacking,
                           "unknown": unknown, "n": n})


def spacing(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """Straight-line distance (m) from each selected facility in the unit to its nearest selected neighbour."""
    from scipy.spatial import cKDTree

    sel = rule.select
    frame = ctx.candidates(sel, None)
    certain, uncertain, fields = _membership(frame, sel, ctx)
    state = ctx.state(sel.types)
    members = frame[certain.to_numpy(dtype=bool)]
    value, pair = math.nan, ()
    if len(members) >= 2:
        xy = members[["x_m", "y_m"]].to_numpy(dtype=float)
        dist, idx = cKDTree(xy).query(xy, k=2)
        here = np.ones(len(members), dtype=bool) if code is None else (members["jiezhen_code"] == code).to_numpy()
        if here.any():
            i = int(np.flatnonzero(here)[np.argmin(dist[here, 1])])
            j = int(idx[i, 1])
            value, pair = float(dist[i, 1]), (members.index[i], members.index[j])
    complete = state.complete and not uncertain.any()
    found = math.inf if math.isnan(value) else value
    low, high = (found if complete else 0.0), found
    names = tuple(str(members.at[p, "name"]) for p in pair)
    est_pair = ctx.any_estimate(members.loc[list(pair)]) if pair else False
    return Finding(value=value, low=low, high=high, missing=(tuple(fields) + state.tokens) if low != high else (),
                   estimate_if_pass=ctx.any_estimate(members), estimate_if_not=est_pair,
                   detail={"fields": fields, "state": state, "pair": names,
                           "n": int((members["jiezhen_code"] == code).sum()) if code else len(members)})


def coverage(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """Share of 0-3-year-olds within ``threshold_min`` of the service, from the coverage table."""
    state = ctx.state(rule.select.types)
    if ctx.coverage is None:
        return Finding(math.nan, 0.0, math.inf, ("coverage_table",), detail={"reason": "no_table", "state": state})
    table = ctx.coverage
    rows = table[(table["year"] == ctx.year) & (table["jiezhen_code"].astype(str) == (code or DISTRICT_CODE))
                 & (table["service"] == rule.service) & (table["threshold_min"] == rule.threshold_min)]
    if rows.empty:
        return Finding(math.nan, 0.0, math.inf, ("coverage_table",), detail={"reason": "no_row", "state": state})
    row = rows.iloc[0]
    value = float(row["share_0_3_covered"])
    model_est = bool(row["population_is_estimate"]) or str(row["travel_mode"]) != "network"
    est = model_est or ctx.any_estimate(ctx.candidates(rule.select, None))
    detail = {"state": state, "pop_0_3": float(row["pop_0_3"]), "population_is_estimate":
              bool(row["population_is_estimate"]), "travel_mode": str(row["travel_mode"])}
    if math.isnan(value):
        return Finding(value, 0.0, math.inf, ("pop_0_3",), est, est, {**detail, "reason": "no_population"})
    low, high = value, (value if state.complete else 1.0)
    return Finding(value, low, high, state.tokens if low != high else (), est, est, detail)


_MEASURES = {"count": count, "sum": sum_attribute, "share": share, "share_of_jiezhen": share_of_jiezhen,
             "spacing": spacing, "coverage": coverage}


def measure(rule: Rule, ctx: Context, code: str | None) -> Finding:
    """The finding of ``rule`` for 街镇 ``code`` (``None``: the district) in ``ctx.year``."""
    return _MEASURES[rule.measure](rule, ctx, code)


def judge(finding: Finding, target: float) -> str:
    """达标 if the lower bound meets the target, 未达标 if even the upper bound cannot, else 数据不足."""
    if finding.low >= target - _EPS:
        return PASS
    if finding.high < target - _EPS:
        return FAIL
    return INSUFFICIENT
