"""Where today's date stands against the plan's years, and how documents speak of the years of proposed sites.

A report written after the plan period (the plan's last year is before the year of the document's date) is an
evaluation (「规划期评估」), and sites the tool proposes for the plan's years cannot be built in years that are
over: they become batches for the next years (the first plan year's batch for next year, and so on). The date is
the document's date (:attr:`~svcov.outputs.context.RunInfo.created`, today by default), the years come from the
configuration; nothing here is written for one plan.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PlanTiming", "BATCH_NUMBERS_ZH"]

BATCH_NUMBERS_ZH = "一二三四五六七八九十"


@dataclass(frozen=True)
class PlanTiming:
    """The plan's years and the document's date.

    Parameters
    ----------
    years
        Years of the plan (configuration ``years``), ascending.
    today
        The document's date.
    """

    years: tuple[int, ...]
    today: _dt.date

    @classmethod
    def of(cls, years: Iterable[int], created: str | None = None) -> PlanTiming:
        """From the plan's years and a document date (ISO text, e.g. ``RunInfo.created``; default: today)."""
        try:
            today = _dt.date.fromisoformat(str(created)[:10]) if created else _dt.date.today()
        except ValueError:
            today = _dt.date.today()
        return cls(tuple(sorted(int(y) for y in years)), today)

    @property
    def first(self) -> int:
        return self.years[0]

    @property
    def last(self) -> int:
        return self.years[-1]

    @property
    def span_zh(self) -> str:
        """「2021-2023 年」 (or 「2023 年」)."""
        return f"{self.first}-{self.last} 年" if self.first != self.last else f"{self.first} 年"

    @property
    def is_over(self) -> bool:
        """The plan period ended before the year of the document's date."""
        return bool(self.years) and self.last < self.today.year

    @property
    def shift(self) -> int:
        """Years added to a proposed site's plan year when the plan is over (first plan year → next year)."""
        return self.today.year + 1 - self.first if self.is_over else 0

    def site_year(self, year: int) -> int:
        """The year a site proposed for plan year ``year`` is for: the same year, or next years' when the plan
        is over."""
        return int(year) + self.shift

    def batch(self, year: int) -> int:
        """1-based batch number of a plan year's sites (its place among the plan's years)."""
        return self.years.index(int(year)) + 1 if int(year) in self.years else 1

    def batch_zh(self, year: int) -> str:
        """「第一批」 for the sites of the first plan year."""
        n = self.batch(year)
        return f"第{BATCH_NUMBERS_ZH[n - 1]}批" if n <= len(BATCH_NUMBERS_ZH) else f"第 {n} 批"

    def site_when_zh(self, year: int) -> str:
        """When a site of plan year ``year`` is proposed for, in words: 「2023 年」; after the plan period
        「第一批, 建议 2027 年」; a plan year already past in a running plan 「2021 年 (该年已过, 宜尽早安排)」."""
        if self.is_over:
            return f"{self.batch_zh(year)}, 建议 {self.site_year(year)} 年"
        if int(year) < self.today.year:
            return f"{int(year)} 年 (该年已过, 宜尽早安排)"
        return f"{int(year)} 年"

    def site_years_zh(self, years: Iterable[int]) -> str:
        """The span of years the given plan years' sites are for: 「2027-2029 年」."""
        shown = sorted({self.site_year(y) for y in years})
        if not shown:
            return ""
        return f"{shown[0]}-{shown[-1]} 年" if len(shown) > 1 else f"{shown[0]} 年"
