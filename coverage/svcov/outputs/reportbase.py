"""What every section of the yearly report shares: the rows chosen once (:class:`ReportData`), the section numbers
(:class:`Sections`) and the few phrases several sections use. The sections themselves are in ``reportfindings``
(intro and key findings), ``reportcoverage`` (coverage, profiles, years), ``reportrules`` (layout and targets),
``reportsites`` (proposed sites as an "if built" scenario) and ``reportappendix`` (数据说明与待补充数据);
``report`` puts them in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .context import DISTRICT_CODE, RunInfo, circle_types, est, layout_rule_id, share_has_no_data
from .document import Heading
from .plantime import PlanTiming

__all__ = ["ReportData", "Sections", "no_codes", "tidy"]

_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True)
class ReportData:
    """The rows the report uses, chosen once."""

    info: RunInfo
    year: int
    prev_year: int | None
    years: tuple[int, ...]
    circle: pd.DataFrame          # coverage rows of the circle's service, threshold, group and primary profile
    by_profile: pd.DataFrame      # the same for every profile
    rules: pd.DataFrame | None
    sites: pd.DataFrame | None
    boundaries: gpd.GeoDataFrame
    timing: PlanTiming
    facilities: pd.DataFrame | None = None   # the district's own facilities (contract ``facilities``), if given
    gaps: pd.DataFrame | None = None         # the data-gap table (:func:`~.datagaps.data_gaps`)
    register_complete: bool = False
    siting_problem: str | None = None
    landmarks: dict = field(default_factory=dict)   # site_id → :class:`~.landmarks.Landmark`
    plan: Mapping | None = None   # the plan as a whole (``plan`` of :func:`~.report.build_report`; report_siting)

    def at(self, year: int | None) -> pd.DataFrame:
        """Circle coverage rows of a year, indexed by jiezhen_code (empty if no year)."""
        rows = self.circle[self.circle["year"] == year] if year is not None else self.circle.iloc[0:0]
        return rows.set_index("jiezhen_code")

    def no_data(self, row: pd.Series) -> bool:
        """The 街镇's share says nothing (0 % with no record while the register is incomplete, or missing)."""
        return share_has_no_data(row["share_covered"], row.get("n_facilities"), self.register_complete)

    def ordered(self, year: int | None = None) -> list[str]:
        """街镇 codes of a year: the district row first, then by share (lowest first), 「无数据」 last."""
        now = self.at(self.year if year is None else year)
        jz = now.drop(index=DISTRICT_CODE, errors="ignore")
        flags = pd.Series({c: self.no_data(r) for c, r in jz.iterrows()}, dtype=bool)
        keyed = jz.assign(_nd=flags.reindex(jz.index).fillna(False)).sort_values(["_nd", "share_covered"],
                                                                                  kind="stable")
        return ([DISTRICT_CODE] if DISTRICT_CODE in now.index else []) + list(keyed.index)

    @property
    def e(self) -> str:
        return est(self.info.population_is_estimate)

    @property
    def minutes(self) -> int:
        return self.info.circle_threshold_min

    @property
    def travel(self) -> str:
        """The primary profile's travel, e.g. 「步行」, as the circle's sentences use it."""
        return self.info.profile_name_zh

    @property
    def who(self) -> str:
        return self.info.who

    @property
    def layout(self) -> str | None:
        return layout_rule_id(self.rules, self.info) if self.rules is not None else None

    @property
    def show_sites(self) -> bool:
        return self.sites is not None or self.siting_problem is not None

    @property
    def evaluation(self) -> bool:
        """The plan period is over: the report evaluates it and the sites are for the next years."""
        return self.timing.is_over

    def circle_facilities(self) -> pd.DataFrame | None:
        """The district's own facilities of the circle's service (``None`` if no facility frame was given)."""
        if self.facilities is None:
            return None
        return self.facilities[self.facilities["type"].isin(set(circle_types(self.info)))]

    def years_unknown(self) -> bool:
        """No facility has an opening or closing year: every year counts the same facilities."""
        f = self.facilities
        if f is None or f.empty:
            return False
        cols = [c for c in ("opened_year", "closed_year") if c in f.columns]
        return not cols or all(f[c].isna().all() for c in cols)


class Sections:
    """Numbers the sections that are there (一、二、…) so that cross-references follow the ones left out."""

    def __init__(self, names: Sequence[str]):
        self.number = {name: _NUMBERS[i] if i < len(_NUMBERS) else str(i + 1) for i, name in enumerate(names)}
        self._figures = 0

    def fig(self) -> int:
        """The next figure number (figures are numbered in the order they appear)."""
        self._figures += 1
        return self._figures

    def has(self, name: str) -> bool:
        return name in self.number

    def ref(self, name: str) -> str:
        return f"第{self.number[name]}节"

    def head(self, name: str, title: str) -> Heading:
        return Heading(f"{self.number[name]}、{title}")


_ASCII_NOTE = re.compile(r"\s*\((?=[^()]*[A-Za-z])[\x20-\x7e]*\)")


def no_codes(text: str) -> str:
    """``text`` without bracketed ASCII notes: 「兴趣点 (POI)」 → 「兴趣点」, 「最大覆盖模型 (MCLP)」 → 「最大覆盖模型」."""
    return _ASCII_NOTE.sub("", str(text)).strip()


def tidy(text: str) -> str:
    """Joins two bracketed notes in a row into one: 「… (普惠性托育服务) (规划未规定数值)」 →
    「… (普惠性托育服务; 规划未规定数值)」."""
    out = str(text)
    while True:
        new = re.sub(r"\(([^()]*)\)\s*\(([^()]*)\)", r"(\1; \2)", out)
        if new == out:
            return out
        out = new
