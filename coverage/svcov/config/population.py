"""Section ``population``: where the demand comes from (a grid, points, or the estimated surface)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from .. import settings
from ..errors import ProblemList
from ..vocabulary import POPULATION_KINDS, normalise_coord_system
from ..yamlio import LineDict, check_keys, line_of
from .fields import boolean, existing_path, number

__all__ = ["PopulationEstimate", "PopulationSource", "parse_population"]


@dataclass(frozen=True)
class PopulationEstimate:
    """How the default population surface is estimated when no population grid is supplied.

    A district total (e.g. from the census) is spread over grid cells: ``compound_share`` of it in proportion to a
    Gaussian kernel (``kernel_sigma_m``) around residential compounds, the rest evenly over land area.
    """

    total_pop: float
    total_0_3: float
    source_zh: str
    compounds: Path | None
    compound_share: float = 0.7
    kernel_sigma_m: float = 300.0
    cell_size_m: float = settings.population_cell_size_m
    compounds_filter: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PopulationSource:
    """Where the demand comes from: ``kind`` is ``estimate``, ``raster``, ``vector`` or ``points``."""

    kind: str
    label_zh: str
    is_estimate: bool
    path: Path | None = None
    pop_0_3_column: str | None = None
    pop_total_column: str | None = None
    share_0_3: float | None = None
    band: int = 1
    band_value: str = "pop_total"
    coord_system: str = "wgs84"
    estimate: PopulationEstimate | None = None


def parse_population(m: dict, base: Path, p: ProblemList) -> PopulationSource:
    check_keys(m, {"kind", "label_zh", "is_estimate", "path", "pop_0_3_column", "pop_total_column", "share_0_3",
                   "band", "band_value", "coord_system", "estimate"}, "population", p, required=("kind",))
    kind = str(m.get("kind", "estimate"))
    if kind not in POPULATION_KINDS:
        p.add("population.kind 应是 estimate、raster (GeoTIFF)、vector (面网格) 或 points (CSV 点)。",
              "population.kind must be estimate, raster, vector or points", row=line_of(m, "kind"), column="kind",
              value=kind)
    estimate = None
    if kind == "estimate":
        e = m.get("estimate") if isinstance(m.get("estimate"), dict) else LineDict()
        check_keys(e, {"total_pop", "total_0_3", "source_zh", "compounds", "compound_share", "kernel_sigma_m",
                       "cell_size_m", "compounds_filter"}, "population.estimate", p,
                   required=("total_pop", "total_0_3"))
        estimate = PopulationEstimate(
            total_pop=number(e, "total_pop", 0.0, p, "population.estimate"),
            total_0_3=number(e, "total_0_3", 0.0, p, "population.estimate"),
            source_zh=str(e.get("source_zh", "")),
            compounds=existing_path(e, "compounds", base, p, "population.estimate.compounds"),
            compound_share=number(e, "compound_share", 0.7, p, "population.estimate", lo=0.0, hi=1.0,
                                   lo_open=False),
            kernel_sigma_m=number(e, "kernel_sigma_m", 300.0, p, "population.estimate"),
            cell_size_m=number(e, "cell_size_m", settings.population_cell_size_m, p, "population.estimate"),
            compounds_filter=MappingProxyType({str(k): str(v) for k, v in (e.get("compounds_filter") or {}).items()}),
        )
    elif "path" not in m:
        p.add(f"population.kind={kind} 需要 path。", f"population.kind={kind} needs a path", row=line_of(m),
              column="path")
    share = m.get("share_0_3")
    if share is not None:
        share = number(m, "share_0_3", 0.0, p, "population", lo=0.0, hi=1.0)
    coord = normalise_coord_system(m.get("coord_system", "wgs84")) or "wgs84"
    band_value = str(m.get("band_value", "pop_total"))
    if band_value not in {"pop_total", "pop_0_3"}:
        p.add("population.band_value 应是 pop_total (常住人口) 或 pop_0_3 (0-3 岁人口)。",
              "population.band_value must be pop_total or pop_0_3", row=line_of(m, "band_value"), column="band_value",
              value=band_value)
    return PopulationSource(kind=kind, label_zh=str(m.get("label_zh", "人口")),
                            is_estimate=boolean(m, "is_estimate", kind == "estimate", p, "population"),
                            path=existing_path(m, "path", base, p, "population"),
                            pop_0_3_column=m.get("pop_0_3_column"), pop_total_column=m.get("pop_total_column"),
                            share_0_3=share, band=int(m.get("band", 1)), band_value=band_value,
                            coord_system=coord, estimate=estimate)
