"""The measures of the layout rules, one registered object each (:data:`MEASURES`): what keys a measure reads,
how it is evaluated on the records and how its result is worded. See :mod:`.base` for how every measure bounds
the truth (达标 only when the data prove it).

Adding a measure: subclass :class:`~.base.Measure` in a module of this package, implement every abstract method,
decorate it with :func:`~.base.register` and import the module below; the rule file, the evaluation and the
wording pick it up from the registry.
"""

from __future__ import annotations

from . import composite, counting, coverage, shares, spacing  # noqa: F401  (each registers its measures)
from .base import MEASURES, Context, DataState, Finding, Measure, data_state, judge, register

__all__ = ["MEASURES", "Measure", "Finding", "DataState", "Context", "data_state", "judge", "register", "measure",
           "measure_of"]

#: The order measures are listed in messages.
_ORDER = ("count", "sum", "share", "share_of_jiezhen", "spacing", "coverage", "all_of")
for _name in _ORDER:
    MEASURES[_name] = MEASURES.pop(_name)


def measure_of(name: str) -> Measure:
    """The registered measure called ``name``."""
    return MEASURES[name]


def measure(rule, ctx: Context, code: str | None) -> Finding:
    """The finding of ``rule`` for 街镇 ``code`` (``None``: the district) in ``ctx.year``."""
    return MEASURES[rule.measure].evaluate(rule, ctx, code)
