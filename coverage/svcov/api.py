"""The Python API: one entry, :func:`open_run`, that follows the run configuration as ``svcov run`` does.

::

    import svcov

    run = svcov.open_run("data/config/songjiang.yaml")    # or a RunConfig
    run.inputs.demand                                     # validated GeoDataFrames (metric CRS)
    run.travel_model()                                    # the configured network and primary profile
    run.coverage                                          # year × 街镇 × service × group × profile × threshold
    run.rule_status()                                     # the layout rules per 街镇 and year
    run.site(k=5, year=2022)                              # proposed sites (nothing written)
    run.write("outputs/my_run", skip=("siting",))         # the run folder, as svcov run writes it

Everything is computed when first asked for and kept (the inputs, the road network, the travel models, the access
stage). The road network is the configured one (``network.source``, or ``network=`` here); the straight-line
estimate is used only when no network is configured or when asked for (``straight_line=True``), and every table
says so. Nothing is written except by :meth:`Run.write`.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path

import pandas as pd

from .config import RunConfig, load_config
from .pipeline import LoadedInputs, RunResult, check_rules, load_inputs, load_run_rules, run

__all__ = ["open_run", "Run"]


def open_run(config: str | Path | RunConfig, *, network: str | Path | None = None,
             straight_line: bool = False) -> Run:
    """Open a run configuration for analysis in Python (nothing is loaded until asked for).

    Parameters
    ----------
    config
        A configuration file (YAML) or a :class:`~svcov.config.RunConfig`.
    network
        A road network file to use instead of ``network.source`` (as ``svcov run --network``).
    straight_line
        Use the straight-line estimate even if a network is configured.

    Returns
    -------
    Run

    Raises
    ------
    ConfigError
        If the configuration has problems (every one listed, with its line).
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    if straight_line:
        cfg = dataclasses.replace(cfg, network=dataclasses.replace(cfg.network, source=None))
    elif network is not None:
        cfg = dataclasses.replace(cfg, network=dataclasses.replace(cfg.network, source=Path(network).resolve()))
    return Run(cfg)


class Run:
    """A configured run, computed on demand. Build it with :func:`open_run`."""

    def __init__(self, config: RunConfig):
        self.config = config

    def __repr__(self) -> str:
        source = self.config.network.source or "straight line (estimate)"
        profiles = ", ".join(f"{t.name_zh} {t.speed_kph:g} km/h" for t in self.config.travel.profile_list())
        return f"<svcov Run {self.config.run_name!r}: network {source}; profiles {profiles}>"

    @cached_property
    def inputs(self) -> LoadedInputs:
        """Boundaries, facilities and demand, validated (raises ``ValidationFailed`` listing every problem)."""
        return load_inputs(self.config)

    @property
    def boundaries(self):
        return self.inputs.boundaries

    @property
    def facilities(self):
        return self.inputs.facilities

    @property
    def demand(self):
        return self.inputs.demand

    @cached_property
    def network(self):
        """The configured road network (:class:`~svcov.network.build.RoadNetwork`), or ``None`` for the
        straight-line estimate."""
        from .access.stage import load_run_network

        return load_run_network(self.config, self.boundaries)

    @cached_property
    def travel_models(self) -> dict:
        """One travel model per configured profile, the primary first (profile key → model)."""
        from .access.stage import travel_models

        return travel_models(self.config, self.boundaries, self.network)

    def travel_model(self, profile: str | None = None):
        """The travel model of ``profile`` (default the primary profile): ``nearest``, ``catchments``,
        ``od_matrix_s`` on the configured network.

        Raises
        ------
        KeyError
            If ``profile`` is not one of ``travel.profiles``.
        """
        models = self.travel_models
        return models[profile] if profile is not None else next(iter(models.values()))

    def fit(self) -> pd.DataFrame:
        """The network fit per 街镇 (empty for the straight-line estimate); raises ``NetworkFitError`` below
        ``network.min_fit_share``."""
        from .access.stage import fit_table

        return fit_table(self.config, self.travel_model(), self.boundaries, self.demand, self.facilities)

    @cached_property
    def access(self):
        """The access stage (:class:`~svcov.access.stage.AccessResult`): coverage, 2SFCA, service areas."""
        from .access.stage import run_access

        return run_access(self.config, self.boundaries, self.facilities, self.demand, network=self.network,
                          models=self.travel_models)

    @property
    def coverage(self) -> pd.DataFrame:
        """The coverage table (docs/DEVELOPING.md): year × 街镇 × service × group × profile × threshold."""
        return self.access.coverage

    @cached_property
    def rules(self):
        """The configured rule file (:class:`~svcov.rules.spec.RuleSet`), or ``None``."""
        return load_run_rules(self.config)

    def rule_status(self) -> pd.DataFrame:
        """Every rule per 街镇 (and the district) and year, with the coverage of the access stage.

        Raises
        ------
        ConfigError
            If the configuration names no rule file.
        """
        if self.rules is None:
            from .errors import ConfigError, single_problem

            raise single_problem(ConfigError, self.config.path, "配置中没有 rules (规则文件)。",
                                 "the configuration names no rule file", column="rules")
        return check_rules(self.inputs, self.rules, coverage=self.coverage)

    def site(self, **overrides):
        """Propose new sites as ``siting:`` configures (``model``, ``k``, ``year``, ``method``, ``time_limit_s``
        override it); returns :class:`~svcov.siting.stage.SitingOutcome` (nothing is written).

        Raises
        ------
        ConfigError, InfeasibleError
        """
        from .siting.stage import run_siting

        status = self.rule_status() if self.rules is not None and self.config.siting.rule_ids else None
        return run_siting(self.config, self.boundaries, self.facilities, self.demand, self.travel_model(),
                          rule_status=status, **overrides)

    def write(self, out_dir: str | Path | None = None, *, skip: tuple[str, ...] = (),
              only: tuple[str, ...] | None = None) -> RunResult:
        """Write the run folder as ``svcov run`` does (default ``<outputs.dir>/<run_name>``)."""
        return run(self.config, out_dir=out_dir, skip=skip, only=only)
