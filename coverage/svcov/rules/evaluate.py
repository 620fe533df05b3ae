"""Status of every layout rule per 街镇 (or the district) and year: 达标 / 未达标 / 数据不足, with the gap in words.

For each year, the facilities are those open that year (``opened_year``/``closed_year``, see
:func:`svcov.data.facilities.open_in_year`). A rule is 达标 only when the data prove it, 未达标 only when the
data prove the shortfall, and 数据不足 otherwise, naming what is missing (a field, a register, a complete list,
the coverage table). See :mod:`svcov.rules.measures` for how each measure bounds the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pandas as pd

from ..errors import ConfigError, MissingColumnError, Problem, single_problem
from ..vocabulary import DISTRICT_CODE, DISTRICT_NAME_ZH, INSUFFICIENT, PASS, SCOPE_ZH
from .measures import MEASURES, Context, judge, measure
from .spec import Rule, RuleSet
from .wording import gap_zh, target_zh, value_zh

__all__ = ["evaluate_rules", "RULE_STATUS_COLUMNS", "FACILITY_COLUMNS_NEEDED", "COVERAGE_COLUMNS_NEEDED",
           "SCOPE_ZH"]

log = logging.getLogger(__name__)

#: Columns of the rule-status table (docs/DEVELOPING.md, "rule status table").
RULE_STATUS_COLUMNS = ["rule_id", "label_zh", "clause", "scope", "year", "jiezhen_code", "jiezhen_name", "measure",
                       "value", "value_zh", "target", "target_zh", "status", "gap_zh", "missing_fields",
                       "based_on_estimate"]

#: Facility columns the rules read (besides the attributes the rules name, checked per rule).
FACILITY_COLUMNS_NEEDED = ("facility_id", "name", "type", "type_is_estimate", "opened_year", "closed_year",
                           "jiezhen_code", "source_label", "complete_register", "geometry")

#: Coverage-table columns a ``coverage`` rule reads (docs/DEVELOPING.md, "coverage table").
COVERAGE_COLUMNS_NEEDED = ("year", "jiezhen_code", "service", "group", "profile", "threshold_min", "share_covered",
                           "pop", "population_is_estimate", "travel_mode")



def evaluate_rules(rules: RuleSet, facilities: pd.DataFrame, boundaries: pd.DataFrame, *,
                   years: Iterable[int] | None = None, coverage: pd.DataFrame | None = None,
                   district_name_zh: str = DISTRICT_NAME_ZH) -> pd.DataFrame:
    """Evaluate every rule for every 街镇 (or the district) and year.

    Parameters
    ----------
    rules
        From :func:`svcov.rules.spec.load_rules`.
    facilities
        The facility frame (docs/DEVELOPING.md, "facilities"), metric CRS (``spacing`` measures metres).
    boundaries
        One row per 街镇: ``jiezhen_code`` and ``name`` (or ``jiezhen_name``).
    years
        Years to evaluate (default: every year of the rules). Each rule is evaluated only in its own years.
    coverage
        The coverage table of the access stage (docs/DEVELOPING.md, "coverage table"); without it, ``coverage``
        rules are 数据不足 (未计算覆盖率).
    district_name_zh
        Shown as ``jiezhen_name`` of district rows (``jiezhen_code`` is 「全区」).

    Returns
    -------
    DataFrame
        :data:`RULE_STATUS_COLUMNS`, one row per rule × unit × year, ordered by year, rule (file order), then 街镇
        code with the district row last. ``value`` is a count, places, a share (0-1) or metres; ``target`` the
        target in the same unit; ``status`` 达标 / 未达标 / 数据不足; ``missing_fields`` (only for 数据不足) lists
        field names, ``complete_register``, ``register:<type key>`` or ``coverage_table``.

    Raises
    ------
    MissingColumnError
        If ``facilities``, ``boundaries`` or ``coverage`` lack a column.
    ConfigError
        If a requested year has no rule.
    """
    _check_columns(facilities, FACILITY_COLUMNS_NEEDED + _attributes_named(rules), "facilities")
    units = _units(boundaries)
    if coverage is not None:
        _check_columns(coverage, COVERAGE_COLUMNS_NEEDED, "coverage table")
    years = _years(rules, years)
    plain = Context.plain(facilities)
    rows = []
    for year in years:
        ctx = Context(plain, year, rules.plan_start, units, coverage)
        for rule in rules.rules:
            if year in rule.years:
                rule_rows = _rule_rows(rule, ctx, rules, district_name_zh)
                ctx.rows[rule.id] = {code: row for code, row in rule_rows}
                rows.extend(row for _, row in rule_rows)
    out = pd.DataFrame(rows, columns=RULE_STATUS_COLUMNS)
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    out["based_on_estimate"] = out["based_on_estimate"].astype(bool)
    log.info("rules: %d rules × %d years → %d rows (%s)", len(rules.rules), len(years), len(out),
             ", ".join(f"{k} {v}" for k, v in out["status"].value_counts().items()))
    return out


def _rule_rows(rule: Rule, ctx: Context, rules: RuleSet, district_name_zh: str) -> list[tuple[str | None, dict]]:
    """One row per unit of the rule's scopes, with the unit's code (``None``: the district)."""
    units = []
    if "jiezhen" in rule.scopes:
        units += list(zip(ctx.units["jiezhen_code"], ctx.units["jiezhen_name"]))
    if "district" in rule.scopes:
        units.append((None, district_name_zh))
    rows = []
    target = MEASURES[rule.measure].target_value(rule, ctx.year)
    for code, name in units:
        finding = measure(rule, ctx, code)
        status = judge(finding, target)
        rows.append((code, {
            "rule_id": rule.id, "label_zh": rule.label_zh, "clause": rule.clause,
            "scope": SCOPE_ZH["jiezhen" if code is not None else "district"], "year": ctx.year,
            "jiezhen_code": code if code is not None else DISTRICT_CODE, "jiezhen_name": name,
            "measure": rule.measure, "value": finding.value, "value_zh": value_zh(rule, finding), "target": target,
            "target_zh": target_zh(rule, ctx.year, rules.plan_start), "status": status,
            "gap_zh": gap_zh(rule, finding, status, ctx.year, plan_start=rules.plan_start,
                             type_names_zh=rules.type_names_zh, field_labels_zh=rules.field_labels_zh),
            "missing_fields": ", ".join(finding.missing) if status == INSUFFICIENT else "",
            "based_on_estimate": finding.estimate_if_pass if status == PASS else finding.estimate_if_not,
        }))
    return rows


def _attributes_named(rules: RuleSet) -> tuple[str, ...]:
    """The facility attributes the rules read (``attribute`` of sums, ``where`` of selections and numerators)."""
    names: list[str] = []
    for rule in rules.rules:
        names += [rule.attribute] if rule.attribute else []
        for sel in (rule.select, rule.numerator):
            names += list(sel.where) if sel is not None else []
    return tuple(dict.fromkeys(names))


def _years(rules: RuleSet, years: Iterable[int] | None) -> list[int]:
    if years is None:
        return list(rules.years)
    years = sorted(set(int(y) for y in years))
    lonely = [y for y in years if y not in rules.years]
    if lonely and not any(y in rules.years for y in years):
        known = f"{rules.years[0]}-{rules.years[-1]}" if rules.years else "无"
        raise single_problem(ConfigError, rules.path, f"规则文件中没有 {lonely} 年的规则 (规则年份: {known})。"
                             f"请换一个年份, 或在规则文件中加入这些年份。",
                             f"the rule file has no rule for {lonely} (rule years: {known})", column="years",
                             value=lonely)
    return [y for y in years if y in rules.years]


def _units(boundaries: pd.DataFrame) -> pd.DataFrame:
    name_col = "jiezhen_name" if "jiezhen_name" in boundaries.columns else "name"
    _check_columns(boundaries, ("jiezhen_code", name_col), "boundaries")
    units = pd.DataFrame({"jiezhen_code": boundaries["jiezhen_code"].astype(str).to_numpy(),
                          "jiezhen_name": boundaries[name_col].astype(str).to_numpy()})
    return units.sort_values("jiezhen_code", kind="stable").reset_index(drop=True)


def _check_columns(frame: pd.DataFrame, needed: Iterable[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MissingColumnError(what, [Problem(what, f"缺少列 {', '.join(missing)}; 布局规则检查需要这些列。",
                                                f"missing columns {', '.join(missing)} needed by the rule check",
                                                column=", ".join(missing))])
