"""The measures of the layout rules: what the records show, and the bounds the true value must lie in.

Every measure returns a :class:`Finding`: the value measured on the records found, and an interval
``[low, high]`` that the true value is certain to lie in given what the data lack. A rule is met (达标) only when
``low`` meets the target, failed (未达标) only when ``high`` cannot, and otherwise the data are insufficient
(数据不足). This is how "never guess a pass" is kept:

* a register that is not complete (``complete_register`` False, e.g. OpenStreetMap) can only show a lower bound of a
  count: ``high`` is infinite;
* a type with no record at all is treated as "not loaded", which makes the data incomplete;
* an unknown attribute value (a flag or a number a ``where`` tests) or ``opened_year`` makes a record's membership
  uncertain; an unknown number (e.g. ``capacity``) makes a sum's ``high`` infinite;
* spacing works the other way round: records found can prove a shortfall (two facilities too close) but only a
  complete register can prove a pass.
"""


from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from ...data.facilities import open_in_year
from ...errors import ArgumentError
from ...vocabulary import FAIL, INSUFFICIENT, PASS
from ..fields import RuleReader
from ..model import Rule, Selection

__all__ = ["Finding", "DataState", "Context", "data_state", "membership", "condition_met", "count_parts", "Measure",
           "MEASURES", "register", "judge", "EPS"]

EPS = 1e-9


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
        What keeps ``low`` and ``high`` apart: field names (``capacity``, ``opened_year``...),
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
    """What the measures of one year need: facilities open in the year, the 街镇, the coverage table, and the rows
    of the rules already evaluated this year (``rows``: rule id → 街镇 code, ``None`` for the district → row), which
    composite measures read."""

    facilities: pd.DataFrame  #: from :meth:`plain`
    year: int
    plan_start: int | None
    units: pd.DataFrame
    coverage: pd.DataFrame | None = None
    rows: dict = field(default_factory=dict)
    _states: dict = field(default_factory=dict)
    _candidates: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.open = self.facilities[open_in_year(self.facilities, self.year)]
        self.estimated = self.open["type_is_estimate"].fillna(False).astype(bool)

    @staticmethod
    def plain(facilities: pd.DataFrame) -> pd.DataFrame:
        """The district's facilities (those with a 街镇; facilities kept across the border are not the district's)
        as a plain DataFrame with ``x_m``/``y_m`` instead of geometry (much faster to filter than a GeoDataFrame).
        Every attribute column is kept."""
        inside = facilities["jiezhen_code"].notna().to_numpy(dtype=bool)
        keep = [c for c in facilities.columns if c != facilities.geometry.name]
        out = pd.DataFrame(facilities.loc[inside, keep]).reset_index(drop=True)
        out["jiezhen_code"] = out["jiezhen_code"].astype(str)
        out["x_m"] = facilities.geometry.x.to_numpy()[inside]
        out["y_m"] = facilities.geometry.y.to_numpy()[inside]
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

    def row_of(self, rule_id: str, code: str | None) -> Mapping | None:
        """This year's row of rule ``rule_id`` for 街镇 ``code`` (``None``: the district), if evaluated."""
        return self.rows.get(rule_id, {}).get(code)


def membership(frame: pd.DataFrame, sel: Selection, ctx: Context) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """Which candidates certainly / possibly belong to the selection, and how many possible ones lack each field.

    A record is out if one known value excludes it (a ``where`` attribute with another value or outside the range,
    an opening year outside the window); possibly in if it is not out but some needed value is unknown; certainly
    in otherwise.
    """
    n = len(frame)
    out, unknown = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    lacks: dict[str, np.ndarray] = {}
    for attr, wanted in sel.where.items():
        meets, na = condition_met(frame, attr, wanted)
        out |= ~meets & ~na
        lacks[attr] = na
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


def condition_met(frame: pd.DataFrame, attr: str, wanted: object) -> tuple[np.ndarray, np.ndarray]:
    """Per record: whether a known value meets a ``where`` condition (a flag's value, or a number's inclusive
    range), and whether the value is unknown."""
    if isinstance(wanted, tuple):
        values = pd.to_numeric(frame[attr], errors="coerce").astype("Float64")
        lo, hi = wanted
        ok = pd.Series(True, index=frame.index, dtype="boolean")
        if lo is not None:
            ok &= values >= lo - EPS
        if hi is not None:
            ok &= values <= hi + EPS
        na = values.isna().to_numpy(dtype=bool)
        return ok.fillna(False).to_numpy(dtype=bool) & ~na, na
    values = frame[attr].astype("boolean")
    return (values == wanted).fillna(False).to_numpy(dtype=bool), values.isna().to_numpy(dtype=bool)


def count_parts(sel: Selection, ctx: Context, code: str | None) -> dict:
    frame = ctx.candidates(sel, code)
    certain, uncertain, fields = membership(frame, sel, ctx)
    state = ctx.state(sel.types)
    low = int(certain.sum())
    high = low + int(uncertain.sum()) if state.complete else math.inf
    firm = int((certain & ~ctx.estimated.reindex(frame.index, fill_value=False)).sum())
    return {"low": low, "high": high, "firm": firm, "fields": fields, "state": state,
            "missing": tuple(fields) + state.tokens,
            "estimate_if_not": ctx.any_estimate(ctx.in_unit(ctx.open, code))}


class Measure(abc.ABC):
    """One kind of rule measure: the keys it reads, how it parses them, evaluates them and words the result.

    Subclasses set the class attributes and implement every abstract method, so a new measure cannot take
    another's wording by accident; :func:`register` adds an instance to :data:`MEASURES`.

    Attributes
    ----------
    name
        As written in the rule file (``measure: count``).
    keys, required
        The measure's own keys (besides the common ones: id, label_zh, clause, scope, years, ...) and those it
        must have.
    target
        How the target is checked: ``"share"`` (0-1], ``"count"`` (a whole number ≥ 0), ``"positive"`` (> 0) or
        ``"none"`` (no target: composites).
    target_key
        The key holding the target (``min``; ``min_m`` for distances).
    default_min
        Target when the rule gives none (``None``: a rule without a target is measured against 0).
    default_is_judgement
        The default target is this tool's planning judgement, not a plan figure: every table says so.
    district_only
        The measure only makes sense for the whole district (``scope: district``).
    composite
        Combines the rows of other rules (evaluated by :meth:`compose`, not :meth:`evaluate`).
    """

    name: ClassVar[str]
    keys: ClassVar[frozenset[str]]
    required: ClassVar[tuple[str, ...]] = ()
    target: ClassVar[str] = "positive"
    target_key: ClassVar[str] = "min"
    default_min: ClassVar[float | None] = None
    default_is_judgement: ClassVar[bool] = False
    district_only: ClassVar[bool] = False
    composite: ClassVar[bool] = False

    def parse(self, m: dict, reader: RuleReader) -> dict:
        """The :class:`~svcov.rules.model.Rule` fields of this measure, read from the rule's mapping ``m``."""
        return {"select": reader.selection(m)}

    def target_value(self, rule: Rule, year: int) -> float:
        """The target in ``year``, in the unit of the finding's value."""
        return rule.min_for(year)

    @abc.abstractmethod
    def evaluate(self, rule: Rule, ctx: Context, code: str | None) -> Finding:
        """What the data show for 街镇 ``code`` (``None``: the district) in ``ctx.year``."""

    @abc.abstractmethod
    def target_zh(self, rule: Rule, year: int, plan_start: int | None) -> str:
        """The target in words, e.g. 「≥1 个日间照料中心」 (notes are added by :func:`~svcov.rules.wording.target_zh`)."""

    @abc.abstractmethod
    def value_zh(self, rule: Rule, finding: Finding) -> str:
        """The measured value in words, e.g. 「3 个」, 「62.3%」."""

    @abc.abstractmethod
    def fail_zh(self, rule: Rule, finding: Finding, year: int) -> str:
        """What is missing when the rule is proven 未达标, in words a planner can act on."""

    @abc.abstractmethod
    def known_zh(self, rule: Rule, finding: Finding, year: int, plan_start: int | None) -> str:
        """What the records found show, said before why that is not enough (数据不足)."""

    def pass_note_zh(self, rule: Rule, finding: Finding) -> str:
        """A note on a pass (e.g. 「没有…, 无需检查」); empty by default."""
        return ""

    def insufficient_zh(self, rule: Rule, finding: Finding, year: int) -> str | None:
        """A measure's own reason for 数据不足 (e.g. no coverage table), replacing the general text; ``None``: none."""
        return None


#: Measure name → the measure, in the order measures are listed in messages.
MEASURES: dict[str, Measure] = {}


def register(cls: type[Measure]) -> type[Measure]:
    """Class decorator: add an instance of ``cls`` to :data:`MEASURES` under ``cls.name``."""
    if cls.name in MEASURES:
        raise ArgumentError(f"measure {cls.name!r} is registered twice")
    MEASURES[cls.name] = cls()
    return cls


def judge(finding: Finding, target: float) -> str:
    """达标 if the lower bound meets the target, 未达标 if even the upper bound cannot, else 数据不足."""
    if finding.low >= target - EPS:
        return PASS
    if finding.high < target - EPS:
        return FAIL
    return INSUFFICIENT
