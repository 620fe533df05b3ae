"""``svcov check``: load the inputs, check the layout rules for every year and write the rule tables in a run folder
of their own (``<outputs.dir>/<run_name>_check``), computing the coverage table only when a rule needs it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import RunConfig
from .errors import ConfigError, single_problem
from .files import RunFolder
from .pipeline import _config_settings, _record_inputs, data_notes, load_inputs, load_run_rules, write_rule_tables
from .rules.evaluate import evaluate_rules
from .rules.spec import RuleSet

__all__ = ["CheckResult", "check"]


@dataclass
class CheckResult:
    """What ``svcov check`` produced: the rules, the status of every year, the year shown and the files."""

    rules: RuleSet
    status: pd.DataFrame
    year: int
    written: list[Path]
    out_dir: Path


def check(config: RunConfig, *, year: int | None = None, rules_path: str | Path | None = None,
          out_dir: str | Path | None = None, coverage: pd.DataFrame | None = None) -> CheckResult:
    """Load the inputs, check the layout rules for every year and write the tables (``svcov check``).

    Parameters
    ----------
    config
        The run configuration.
    year
        The year of the pivot table (default ``report_year``); must be a year of the rules.
    rules_path
        A rule file instead of the configuration's.
    out_dir
        Where the tables go (default ``<outputs.dir>/<run_name>_check``); written like a run folder (replaced
        only if svcov wrote it, with a manifest).
    coverage
        The coverage table, if already computed; otherwise it is computed (travel model of the configuration)
        when a rule needs it.

    Raises
    ------
    ConfigError
        If no rule file is configured or given, or no rule covers ``year``.
    """
    rules = load_run_rules(config, rules_path)
    if rules is None:
        raise single_problem(ConfigError, config.path, "配置中没有 rules (规则文件)。请在配置中加入 rules: 规则文件路径, "
                             "或用 --rules 指定。", "the config names no rule file; add 'rules:' or pass --rules",
                             column="rules")
    year = config.report_year if year is None else int(year)
    if year not in rules.years:
        raise single_problem(ConfigError, rules.path, f"规则文件中没有 {year} 年的规则 (规则年份: "
                             f"{', '.join(map(str, rules.years))})。", f"no rule covers {year}", column="years",
                             value=year)
    target = Path(out_dir) if out_dir else config.output.dir / f"{config.run_name}_check"
    with RunFolder(target) as folder:  # like a run: replaces only svcov's own folder, atomically
        _record_inputs(folder, config)
        status, notes = _check_status(config, rules, coverage)
        written = write_rule_tables(status, rules, year, folder.tmp, notes=notes)
        folder.write_manifest(_config_settings(config))
        out = folder.commit()
    return CheckResult(rules, status, year, [out / p.relative_to(folder.tmp) for p in written], out)


def _check_status(config: RunConfig, rules: RuleSet, coverage: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """The rule status of every year (computing the coverage table when a rule needs it) and the data notes."""
    inputs = load_inputs(config)
    notes = data_notes(inputs)
    if coverage is None and any(r.measure == "coverage" for r in rules.rules):
        from .access.stage import coverage_only, load_run_network

        model, coverage = coverage_only(config, inputs.boundaries, inputs.facilities, inputs.demand,
                                        network=load_run_network(config, inputs.boundaries))
        notes.append(f"出行时间: {model.description_zh}")
    status = evaluate_rules(rules, inputs.facilities, inputs.boundaries, coverage=coverage,
                            district_name_zh=config.district_name_zh)
    return status, notes
