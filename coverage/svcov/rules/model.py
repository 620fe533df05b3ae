"""The rules as data: which facilities a rule looks at (:class:`Selection`), one rule (:class:`Rule`) and a rule file
(:class:`RuleSet`). Parsed by :mod:`.spec`, measured by :mod:`.measures`, worded by :mod:`.wording`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from ..errors import ArgumentError

__all__ = ["Selection", "Rule", "RuleSet", "DEFAULT_COVERAGE_MIN_SHARE"]

#: Default target of a ``coverage`` rule: 90% of the served group within the threshold. The Songjiang plan asks for a
#: "15分钟社区托育服务圈" (三(一)2) without a number. Shanghai's 15-minute community life circle aims at (near) full
#: walking coverage in the long run; for a three-year plan in a district with large rural 镇 (where a 15-minute walk
#: cannot reach every scattered village), 90% is demanding but reachable. It is a planning judgement of this tool,
#: not a plan figure: set ``min`` in the rule file to the bureau's own target, and every table says the target.
DEFAULT_COVERAGE_MIN_SHARE = 0.9


@dataclass(frozen=True)
class Selection:
    """Which facilities a rule looks at.

    Attributes
    ----------
    types
        Configured type keys (groups already expanded), in configuration order; empty in a ``numerator`` that
        only filters on attributes (any type).
    what_zh
        What they are called in messages, e.g. 「普惠性托育点」.
    where
        Declared attribute → condition: a flag → the value required (``{"has_nursery_class": True}``), a number →
        ``(low, high)`` inclusive, ``None`` for an open end (``{"capacity": (50.0, None)}``).
    new_in
        ``None`` (all open in the year), ``"year"`` (opened in the year) or ``"plan"`` (opened since the plan's
        first year, up to the year).
    """

    types: tuple[str, ...]
    what_zh: str
    where: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    new_in: str | None = None
    #: The Chinese names of the types as written (``what_zh`` unless the rule gives its own).
    types_zh: str = ""
    #: The ``where`` conditions in words (from the type file's words), e.g. 「开设托班」, 「床位数 ≥50」.
    where_zh: str = ""


@dataclass(frozen=True)
class Rule:
    """One validated rule. Build rules with :func:`load_rules`.

    ``minimum`` is the target (a count, a number of places, a share 0-1, or metres for ``spacing``);
    ``minimum_by_year`` overrides it for some years. ``maximum`` is the plan's upper figure (e.g. "1-2 个"):
    exceeding it is reported in the gap text but is not a failure.
    """

    id: str
    label_zh: str
    clause: str
    source_zh: str
    scopes: tuple[str, ...]
    years: tuple[int, ...]
    measure: str
    minimum: float
    line: int | None = None
    label_en: str = ""
    note_zh: str = ""
    target_note_zh: str = ""
    minimum_is_default: bool = False
    unit_zh: str = "个"
    minimum_by_year: Mapping[int, float] = field(default_factory=lambda: MappingProxyType({}))
    maximum: float | None = None
    select: Selection | None = None
    numerator: Selection | None = None
    attribute: str | None = None
    #: ``sum``: what one unit of the attribute is called with its counting word (「个托位」, 「张床位」).
    attribute_amount_zh: str = ""
    per_jiezhen_min: int = 1
    service: str | None = None
    service_name_zh: str = ""
    threshold_min: int | None = None
    #: ``coverage``: the population group and travel profile (keys and Chinese names) of the coverage table rows.
    group: str | None = None
    group_name_zh: str = ""
    profile: str | None = None
    profile_name_zh: str = ""
    #: ``all_of``: ids of the rules that must all be met, and their short labels (after the label's 「:」).
    parts: tuple[str, ...] = ()
    part_labels_zh: tuple[str, ...] = ()

    def min_for(self, year: int) -> float:
        """The target in ``year``."""
        return float(self.minimum_by_year.get(year, self.minimum))


@dataclass(frozen=True)
class RuleSet:
    """A validated rule file."""

    path: Path
    plan_name_zh: str
    plan_years: tuple[int, ...]
    rules: tuple[Rule, ...]
    #: Chinese name of every configured type key (to say which register to load).
    type_names_zh: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Chinese label of every field a 数据不足 can name (declared attributes, years, population groups).
    field_labels_zh: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: The rule whose status per 街镇 colours the map and has its own report section (``plan.layout_rule``), and
    #: how documents name it (``plan.layout_name_zh``, e.g. 「3个一」); ``None``: no such rule, no such section.
    layout_rule: str | None = None
    layout_name_zh: str = ""

    @property
    def plan_start(self) -> int | None:
        return self.plan_years[0] if self.plan_years else None

    @property
    def years(self) -> tuple[int, ...]:
        """Every year some rule applies to."""
        return tuple(sorted({y for r in self.rules for y in r.years}))

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise ArgumentError(f"没有规则「{rule_id}」(可用: {', '.join(r.id for r in self.rules)}) (no rule {rule_id!r})")
